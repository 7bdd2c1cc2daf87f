package lws_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/selfsigned"
	"github.com/golws/lws/plugins/echo"
)

// tlsCert writes a self-signed certificate for hosts into a temporary
// directory and returns the certificate and key paths and a pool trusting
// it.
func tlsCert(t testing.TB, hosts ...string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, hosts...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool
}

func TestTLSHTTPSAndWSS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
		dir := httpSite(t)
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = httpVhost(t, cx, lws.VhostInfo{
				Name:            "localhost",
				SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
				Protocols: []lws.Protocol{echo.Protocol()},
				Mounts:    []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}},
			})
		})
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		for range 3 { // keep-alive over TLS
			resp, body := get(t, client, "https://"+addr(vh)+"/files/a.txt")
			if resp.StatusCode != 200 || body != "hello, file\n" || resp.TLS == nil {
				t.Fatalf("https: %d %q %+v", resp.StatusCode, body, resp.TLS)
			}
		}
		// curl, resolving localhost to the vhost's address.
		out := curl(t, "--cacert", cert, "--resolve", "localhost:"+strconv.Itoa(vh.Port())+":127.0.0.1",
			"https://localhost:"+strconv.Itoa(vh.Port())+"/files/a.txt")
		if !strings.HasPrefix(out, "HTTP/2 200 \n") || !strings.HasSuffix(out, "\nhello, file\n") {
			t.Errorf("curl: %q", out)
		}
		// wss: messages larger than one record, echoed.
		d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}}
		ws, _, err := d.Dial("wss://"+addr(vh)+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		for i := range 20 {
			msg := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1)*3)
			if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				t.Fatal(err)
			}
			_, got, err := ws.ReadMessage()
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("wss message %d: %d bytes, %v", i, len(got), err)
			}
		}
	})
}

func TestTLSSNI(t *testing.T) {
	names := []string{"one.example", "two.example", "three.example"}
	var vhs []*lws.Vhost
	pools := map[string]*x509.CertPool{}
	certs := map[string]string{}
	for _, n := range names {
		cert, key, pool := tlsCert(t, n)
		pools[n], certs[n+"/key"], certs[n] = pool, key, cert
	}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		port := 0
		for _, n := range names {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "index.html"), []byte("site "+n), 0o644)
			alpn := "" // h2 and http/1.1
			if n == "three.example" {
				alpn = "http/1.1" // this vhost serves no HTTP/2
			}
			vh := httpVhost(t, cx, lws.VhostInfo{Name: n, Port: port, SSLCertFilepath: certs[n], SSLPrivateKeyFilepath: certs[n+"/key"],
				ALPN: alpn, Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
			port = vh.Port()
			vhs = append(vhs, vh)
		}
	})
	// ALPN follows the vhost SNI chose: HTTP/2 unless the vhost's ALPN
	// leaves it out.
	for _, n := range names {
		tc, err := tls.Dial("tcp", addr(vhs[0]), &tls.Config{ServerName: n, RootCAs: pools[n], NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		want := "h2"
		if n == "three.example" {
			want = "http/1.1"
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != want {
			t.Errorf("SNI %s: ALPN chose %q, want %q", n, p, want)
		}
		tc.Close()
	}
	for range 2 {
		for _, n := range names {
			tc, err := tls.Dial("tcp", addr(vhs[0]), &tls.Config{ServerName: n, RootCAs: pools[n], NextProtos: []string{"http/1.1"}})
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if cn := tc.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != n {
				t.Errorf("SNI %s: certificate of %s", n, cn)
			}
			io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+n+"\r\nConnection: close\r\n\r\n")
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			out, _ := io.ReadAll(tc)
			tc.Close()
			if !strings.HasSuffix(string(out), "site "+n) {
				t.Errorf("SNI %s: %q", n, out)
			}
		}
	}
	// openssl s_client sees the certificate SNI selects.
	openssl := lookPeer(t, "openssl", "openssl")
	for _, n := range names {
		out, _ := execOutputStdin(openssl, "", "s_client", "-connect", addr(vhs[0]), "-servername", n)
		if !strings.Contains(out, "CN = "+n) && !strings.Contains(out, "CN="+n) {
			t.Errorf("openssl s_client -servername %s:\n%s", n, out)
		}
	}
}

// TestTLSHandshakePool: with one handshake worker, a client that never
// speaks and one that stops mid-ClientHello do not hold it: a real client
// is served at once, and the stalled ones are closed at the timeout
// (reset, as the loop never read what they sent).
func TestTLSHandshakePool(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{TLSHandshakeWorkers: 1, TimeoutSecs: 1}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + httpSite(t)}}})
	})
	silent, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// A peer that stops mid-handshake: half a ClientHello.
	half, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	half.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	resp, body := get(t, client, "https://"+addr(vh)+"/a.txt")
	if resp.StatusCode != 200 || body != "hello, file\n" {
		t.Fatalf("the waiting client: %d %q", resp.StatusCode, body)
	}
	for _, nc := range []net.Conn{silent, half} {
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(nc); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("a stalled handshake was not closed: %v", err)
		}
	}
}

// TestTLSRefusesPlainAndBadConfig: a plain HTTP request on the TLS port
// fails its handshake; a vhost without a usable certificate is refused.
func TestTLSRefusesPlainAndBadConfig(t *testing.T) {
	cert, key, _ := tlsCert(t, "localhost")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key})
		if _, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortAny, Protocols: []lws.Protocol{httpProtocol()},
			SSLCertFilepath: cert, SSLPrivateKeyFilepath: cert}); err == nil {
			t.Error("a certificate given as its own key was accepted")
		}
		if _, err := cx.CreateVhost(lws.VhostInfo{Port: vh.Port(), Iface: "127.0.0.1", Protocols: []lws.Protocol{httpProtocol()}}); err == nil {
			t.Error("a plain vhost joined a TLS port")
		}
	})
	out := exchange(t, addr(vh), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if strings.Contains(out, "HTTP/1.1") {
		t.Errorf("plain HTTP was served on the TLS port: %q", out)
	}
}

// tlsClientRun connects a golws WebSocket client with the given TLS flags
// to address and echoes three messages; it returns what happened.
func tlsClientRun(t *testing.T, info lws.VhostInfo, address string, port int, flags lws.ClientSSLFlags) []string {
	t.Helper()
	return tlsClientRunProto(t, info, address, port, flags, "")
}

// tlsClientRunProto is tlsClientRun offering the subprotocol protocol.
func tlsClientRunProto(t *testing.T, info lws.VhostInfo, address string, port int, flags lws.ClientSSLFlags, protocol string) []string {
	t.Helper()
	rec := newRecorder()
	msgs := []string{"hello", strings.Repeat("x", 70000), "bye"}
	sent := 0
	var got strings.Builder
	name := "client"
	if protocol != "" {
		name = protocol
	}
	proto := lws.Protocol{Name: name, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientEstablished:
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			if sent < len(msgs) {
				if _, err := c.Write([]byte(msgs[sent]), lws.WriteText); err != nil {
					return err
				}
				sent++
			}
		case lws.CallbackClientReceive:
			got.Write(in)
			if c.IsFinalFragment() {
				rec.add(fmt.Sprintf("echo %d", got.Len()))
				got.Reset()
				if sent == len(msgs) {
					return errors.New("done")
				}
				c.CallbackOnWritable()
			}
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	info.Port, info.Protocols = lws.PortNoListen, []lws.Protocol{proto}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh, err := cx.CreateVhost(info)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: address, Port: port, SSLConnection: flags, Protocol: protocol}); err != nil {
			t.Fatal(err)
		}
	})
	first := rec.await(t, "")
	if strings.HasPrefix(first, "error") {
		return []string{first}
	}
	return []string{first, rec.await(t, "echo"), rec.await(t, "echo")}
}

func TestTLSClient(t *testing.T) {
	// A gorilla server behind Go's TLS, with httptest's self-signed
	// certificate (for 127.0.0.1 and example.com).
	up := websocket.Upgrader{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			mt, msg, err := conn.ReadMessage()
			if err != nil || conn.WriteMessage(mt, msg) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	want := []string{"echo 5", "echo 70000", "echo 3"}
	if got := tlsClientRun(t, lws.VhostInfo{}, "127.0.0.1", port, lws.ClientUseSSL); len(got) != 1 || !strings.Contains(got[0], "certificate") {
		t.Errorf("an unknown authority was accepted: %q", got)
	}
	if got := tlsClientRun(t, lws.VhostInfo{}, "127.0.0.1", port, lws.ClientUseSSL|lws.ClientAllowSelfsigned); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("allow self-signed: %q", got)
	}
	// golws's own TLS server, its certificate given to the client vhost
	// as its CA; the name must match unless the check is skipped.
	cert, key, _ := tlsCert(t, "localhost")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key, Protocols: []lws.Protocol{echo.Protocol()}})
	})
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: cert}, "localhost", vh.Port(), lws.ClientUseSSL); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("golws to golws over TLS: %q", got)
	}
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: cert}, "127.0.0.1", vh.Port(), lws.ClientUseSSL); len(got) != 1 || !strings.HasPrefix(got[0], "error TLS") {
		t.Errorf("a certificate for another name was accepted: %q", got)
	}
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: cert}, "127.0.0.1", vh.Port(), lws.ClientUseSSL|lws.ClientSkipServerCertHostnameCheck); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("skip hostname check: %q", got)
	}
}

// TestTLSClientCertificates: with OptionRequireValidOpenSSLClientCert, a
// client without a certificate, or with one the CA did not sign, is
// refused; the verification callback refuses by name; and a protocol
// adds a CA at OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS.
func TestTLSClientCertificates(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost")
	caCert, caKey, _ := tlsCert(t, "trusted client")
	otherCert, otherKey, _ := tlsCert(t, "unknown client")
	refusedCert, refusedKey, _ := tlsCert(t, "refused client")
	refusedPEM, _ := os.ReadFile(refusedCert)
	rec := newRecorder()
	first := lws.Protocol{Name: "http", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackOpenSSLLoadExtraServerVerifyCerts:
			// the second client CA comes from the protocol
			c.Vhost().TLSConfig().ClientCAs.AppendCertsFromPEM(refusedPEM)
		case lws.CallbackOpenSSLPerformClientCertVerification:
			cn := c.PeerCertificates()[0].Subject.CommonName
			rec.add("verify " + cn)
			if cn == "refused client" {
				return errors.New("not this one")
			}
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key, SSLCAFilepath: caCert,
			Options: lws.OptionRequireValidOpenSSLClientCert, Protocols: []lws.Protocol{first},
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + httpSite(t)}}})
	})
	fetch := func(certFile, keyFile string) (string, error) {
		cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
		if certFile != "" {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		tc, err := tls.Dial("tcp", addr(vh), cfg)
		if err != nil {
			return "", err
		}
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(tc, "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		out, err := io.ReadAll(tc)
		return string(out), err
	}
	if out, err := fetch(caCert, caKey); err != nil || !strings.HasSuffix(out, "hello, file\n") {
		t.Errorf("a trusted client: %q %v", out, err)
	}
	if got := rec.await(t, "verify"); got != "verify trusted client" {
		t.Errorf("verification callback: %q", got)
	}
	for _, c := range [][2]string{{"", ""}, {otherCert, otherKey}, {refusedCert, refusedKey}} {
		if out, err := fetch(c[0], c[1]); err == nil && strings.Contains(out, "hello") {
			t.Errorf("client %q was served: %q", c[0], out)
		}
	}
	if got := rec.await(t, "verify"); got != "verify refused client" {
		t.Errorf("verification callback: %q", got)
	}
}

// TestTLSNodeWSS runs Node's ws against golws over wss, both ways.
func TestTLSNodeWSS(t *testing.T) {
	node, client := nodePeer(t, "client.js")
	_, server := nodePeer(t, "server.js")
	cert, key, _ := tlsCert(t, "localhost")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key, Protocols: []lws.Protocol{echo.Protocol()}})
	})
	out, err := exec.Command(node, client, "wss://localhost:"+strconv.Itoa(vh.Port())+"/", cert).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("node wss client: %v\n%s", err, out)
	}

	cmd := exec.Command(node, server, cert, key)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("node wss server did not start: %v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("node server printed %q", line)
	}
	got := tlsClientRunProto(t, lws.VhostInfo{ClientSSLCAFilepath: cert}, "localhost", port, lws.ClientUseSSL, "chat")
	if strings.Join(got, ",") != "echo 5,echo 70000,echo 3" {
		t.Errorf("golws wss client to node: %q", got)
	}
}

// TestTLSOpenSSLServer connects golws's TLS RAW client to openssl
// s_server and exchanges a line each way.
func TestTLSOpenSSLServer(t *testing.T) {
	openssl := lookPeer(t, "openssl", "openssl")
	cert, key, _ := tlsCert(t, "localhost")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(openssl, "s_server", "-accept", "127.0.0.1:"+strconv.Itoa(port), "-cert", cert, "-key", key, "-quiet")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rec := newRecorder()
	proto := lws.Protocol{Name: "raw", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackRawConnected:
			rec.add("connected")
			c.CallbackOnWritable()
		case lws.CallbackRawWriteable:
			_, err := c.Write([]byte("hello from golws\n"), lws.WriteRaw)
			return err
		case lws.CallbackRawRX:
			rec.add("rx " + string(in))
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen, Protocols: []lws.Protocol{proto}, ClientSSLCAFilepath: cert})
		if err != nil {
			t.Fatal(err)
		}
		// s_server may not listen yet: connect once it accepts.
		waitFor(t, "openssl s_server to listen", func() bool {
			nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err == nil {
				nc.Close()
			}
			return err == nil
		})
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "localhost", Port: port, Method: "RAW", SSLConnection: lws.ClientUseSSL}); err != nil {
			t.Fatal(err)
		}
	})
	if ev := rec.await(t, ""); ev != "connected" {
		t.Fatalf("%q", ev)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "hello from golws\n" {
		t.Fatalf("openssl got %q %v", line, err)
	}
	io.WriteString(stdin, "hello from openssl\n")
	if ev := rec.await(t, "rx"); ev != "rx hello from openssl\n" {
		t.Fatalf("golws got %q", ev)
	}
}

// TestTLSSlowReader streams to a TLS client that reads a byte at a time:
// what the library holds for it never exceeds one write's ciphertext, and
// the producer is slowed (few writes are made), not buffered.
func TestTLSSlowReader(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost")
	piece := bytes.Repeat([]byte("slow reader "), 16<<10/12)
	var server *lws.Conn
	writes := 0
	stream := lws.Protocol{Name: "stream", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackHTTP:
			server = c
			b, _ := c.AddHTTPCommonHeaders(nil, 200, "application/octet-stream", -1)
			c.CallbackOnWritable()
			return c.FinalizeWriteHTTPHeader(b)
		case lws.CallbackHTTPWriteable:
			writes++
			_, err := c.Write(piece, lws.WriteHTTP)
			c.CallbackOnWritable()
			return err
		}
		return nil
	}}
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Protocols: []lws.Protocol{httpProtocol(), stream},
			Mounts:    []lws.Mount{{Mountpoint: "/stream", Origin: "callback://stream"}}})
	})
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	tc, err := tls.DialWithDialer(&d, "tcp", addr(vh), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(tc, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
	b := make([]byte, 1)
	maxHeld, maxWrites := 0, 0
	for i := range 3000 {
		if _, err := tc.Read(b); err != nil {
			t.Fatal(err)
		}
		if i%300 == 299 {
			r.do(func() {
				if server != nil {
					maxHeld = max(maxHeld, server.BufferedAmount())
				}
				maxWrites = writes
			})
		}
	}
	// At most one pass's batch of writes (corkLimit, 32 KiB), or one write
	// if larger, with TLS's framing.
	if maxHeld > max(32<<10, len(piece))+2048 {
		t.Errorf("the library held %d bytes for a slow reader (one write is %d)", maxHeld, len(piece))
	}
	// The kernel's buffers hold a few hundred KiB at most; without
	// backpressure the producer would have written without bound.
	if maxWrites > 200 {
		t.Errorf("%d writes of %d bytes for a reader that took 3000 bytes", maxWrites, len(piece))
	}
}

// TestTLSClientCertAndExpired: a golws client presents the vhost's client
// certificate to a server that requires one; an expired server
// certificate is refused unless ClientAllowExpired.
func TestTLSClientCertAndExpired(t *testing.T) {
	cert, key, _ := tlsCert(t, "localhost")
	clientCert, clientKey, _ := tlsCert(t, "a client")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key, SSLCAFilepath: clientCert,
			Options: lws.OptionRequireValidOpenSSLClientCert, Protocols: []lws.Protocol{echo.Protocol()}})
	})
	want := "echo 5,echo 70000,echo 3"
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: cert, ClientSSLCertFilepath: clientCert, ClientSSLPrivateKeyFilepath: clientKey},
		"localhost", vh.Port(), lws.ClientUseSSL); strings.Join(got, ",") != want {
		t.Errorf("with a client certificate: %q", got)
	}
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: cert}, "localhost", vh.Port(), lws.ClientUseSSL); len(got) != 1 || !strings.HasPrefix(got[0], "error") {
		t.Errorf("without a client certificate: %q", got)
	}

	certPEM, keyPEM, err := selfsigned.Generate(-30*time.Minute, "localhost") // expired half an hour ago
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	oldCert, oldKey := filepath.Join(dir, "old.pem"), filepath.Join(dir, "old.key")
	os.WriteFile(oldCert, certPEM, 0o600)
	os.WriteFile(oldKey, keyPEM, 0o600)
	var old *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		old = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: oldCert, SSLPrivateKeyFilepath: oldKey, Protocols: []lws.Protocol{echo.Protocol()}})
	})
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: oldCert}, "localhost", old.Port(), lws.ClientUseSSL); len(got) != 1 || !strings.Contains(got[0], "expired") {
		t.Errorf("an expired certificate: %q", got)
	}
	if got := tlsClientRun(t, lws.VhostInfo{ClientSSLCAFilepath: oldCert}, "localhost", old.Port(), lws.ClientUseSSL|lws.ClientAllowExpired); strings.Join(got, ",") != want {
		t.Errorf("allow expired: %q", got)
	}
}

// TestTLSPipelining: requests pipelined over TLS are answered in order,
// byte for byte as over plain TCP, though crypto/tls may hold several of
// them decrypted ahead of the loop.
func TestTLSPipelining(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost")
	dir := httpSite(t)
	// big enough to go out over several WRITEABLEs: the next request is
	// taken up after the loop has left the read that brought it
	os.WriteFile(filepath.Join(dir, "big.txt"), bytes.Repeat([]byte("pipelined "), 30000), 0o644)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
	})
	req := "GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n"
	closing := "GET /big.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	fetch := func(reqs ...string) string {
		tc, err := tls.Dial("tcp", addr(vh), &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		for _, r := range reqs { // one TLS record each
			io.WriteString(tc, r)
		}
		out, err := io.ReadAll(tc)
		if err != nil {
			t.Fatalf("%v after %q", err, out)
		}
		return string(out)
	}
	one := fetch(closing)
	keep := strings.Replace(one, "connection: close\r\n", "", 1)
	if got := fetch(req, req, req, req, req, req, req, closing); got != strings.Repeat(keep, 7)+one {
		t.Fatalf("pipelined over TLS:\n%q", got)
	}
}
