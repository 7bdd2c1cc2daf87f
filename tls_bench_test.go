package lws_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// BenchmarkTLSHandshake compares full TLS handshakes per second (TLS 1.3,
// ECDSA P-256, no resumption) of golws and net/http's TLS server in one
// run. One op is one handshake, made by a crypto/tls client in this
// process, and a close.
func BenchmarkTLSHandshake(b *testing.B) {
	cert, key, pool := tlsCert(b, "localhost")
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: nil}
	b.Run("golws", func(b *testing.B) {
		var vh *lws.Vhost
		newContext(b, lws.ContextInfo{}, func(cx *lws.Context) {
			vh = httpVhost(b, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key})
		})
		runHandshakes(b, addr(vh), cfg)
	})
	b.Run("nethttp", func(b *testing.B) {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			b.Fatal(err)
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
		srv.StartTLS()
		defer srv.Close()
		runHandshakes(b, srv.Listener.Addr().String(), cfg)
	})
}

func runHandshakes(b *testing.B, address string, cfg *tls.Config) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tc, err := tls.Dial("tcp", address, cfg)
		if err != nil {
			b.Fatal(err)
		}
		tc.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}

// BenchmarkWSSEcho compares wss echo on golws and on gorilla/websocket
// behind net/http's TLS, driven by the same gorilla clients (as
// BenchmarkWSEcho does without TLS).
func BenchmarkWSSEcho(b *testing.B) {
	cert, key, pool := tlsCert(b, "localhost")
	d := &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	for _, size := range []int{1024, 64 << 10} {
		name := fmt.Sprintf("%dB-16conns", size)
		b.Run("golws/"+name, func(b *testing.B) {
			var vh *lws.Vhost
			newContext(b, lws.ContextInfo{ServiceBufferSize: 64 << 10}, func(cx *lws.Context) {
				vh = httpVhost(b, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key, Protocols: []lws.Protocol{echo.Protocol()}})
			})
			runWSLoadWith(b, d, "wss://"+addr(vh)+"/", size, 16)
		})
		b.Run("gorilla/"+name, func(b *testing.B) {
			tlsURL := gorillaTLSEchoServer(b, cert, key)
			runWSLoadWith(b, d, tlsURL, size, 16)
		})
	}
}

// gorillaTLSEchoServer is gorillaEchoServer behind net/http's TLS.
func gorillaTLSEchoServer(b *testing.B, cert, key string) string {
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, msg) != nil {
				return
			}
		}
	}))
	c, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		b.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return "wss://localhost:" + strings.Split(srv.Listener.Addr().String(), ":")[1] + "/"
}

// TestTLSIdleConnectionMemory measures what an idle wss connection costs
// the server: the heap grown by 300 of them (upgraded, then silent), per
// connection. The clients run in a child process (this test binary
// re-run as a helper), so the heap is the server's alone. The figure is
// logged for docs/performance.md and bounded, so that a change that makes
// it balloon fails.
func TestTLSIdleConnectionMemory(t *testing.T) {
	if a := os.Getenv("LWS_TEST_WSS_CLIENTS"); a != "" {
		tlsClientsHelper(a)
		return
	}
	cert, key, _ := tlsCert(t, "localhost")
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key, Protocols: []lws.Protocol{echo.Protocol()}})
	})
	heap := func() uint64 {
		var ms runtime.MemStats
		r.do(func() {
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&ms)
		})
		return ms.HeapAlloc
	}
	const n = 300
	before := heap()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTLSIdleConnectionMemory$")
	cmd.Env = append(os.Environ(), "LWS_TEST_WSS_CLIENTS="+addr(vh)+" "+strconv.Itoa(n)+" "+cert)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("the client helper: %q %v", line, err)
	}
	after := heap()
	perConn := (float64(after) - float64(before)) / n
	t.Logf("server heap per idle wss connection: %.1f KiB (%d connections)", perConn/1024, n)
	if perConn > 48<<10 {
		t.Errorf("%.1f KiB per idle TLS connection", perConn/1024)
	}
}

// tlsClientsHelper opens the wss connections of TestTLSIdleConnectionMemory
// ("ADDR N CAFILE"), says "ready", and holds them until stdin closes.
func tlsClientsHelper(arg string) {
	f := strings.Fields(arg)
	n, _ := strconv.Atoi(f[1])
	pem, err := os.ReadFile(f[2])
	if err != nil {
		fmt.Println(err)
		return
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	d := &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	var conns []*websocket.Conn
	for range n {
		c, _, err := d.Dial("wss://"+f[0]+"/", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		// one message each way, as a live connection has had
		if c.WriteMessage(websocket.TextMessage, []byte("hi")) != nil {
			return
		}
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
