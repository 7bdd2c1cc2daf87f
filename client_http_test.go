package lws_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
)

// httpClientRun makes one golws HTTP client request and returns what it
// saw: the status, a header, the body's length and hash, and the reasons.
func httpClientRun(t *testing.T, info lws.ClientConnectInfo, vhinfo lws.VhostInfo, body []byte) (status int, ctype string, got []byte, events []string) {
	t.Helper()
	rec := newRecorder()
	var buf bytes.Buffer
	sent := false
	proto := lws.Protocol{Name: "client", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientAppendHandshakeHeader:
			if body != nil {
				c.ClientHTTPBodyPending(true)
				return c.AddHandshakeHeader("Content-Length", strconv.Itoa(len(body)))
			}
		case lws.CallbackClientHTTPWriteable:
			if !sent {
				sent = true
				c.ClientHTTPBodyPending(false)
				_, err := c.Write(body, lws.WriteHTTPFinal)
				return err
			}
		case lws.CallbackEstablishedClientHTTP:
			status, ctype = c.HTTPClientStatus(), c.Hdr(hdr.TokenContentType)
			rec.add("established")
		case lws.CallbackReceiveClientHTTPRead:
			buf.Write(in)
		case lws.CallbackCompletedClientHTTP:
			rec.add("completed")
		case lws.CallbackClosedClientHTTP:
			got = append([]byte(nil), buf.Bytes()...)
			rec.add("closed")
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	vhinfo.Port, vhinfo.Protocols = lws.PortNoListen, []lws.Protocol{proto}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh, err := cx.CreateVhost(vhinfo)
		if err != nil {
			t.Fatal(err)
		}
		info.Vhost = vh
		if _, err := cx.ClientConnect(info); err != nil {
			t.Fatal(err)
		}
	})
	for {
		ev := rec.await(t, "")
		events = append(events, ev)
		if ev == "closed" || strings.HasPrefix(ev, "error") {
			return
		}
	}
}

func TestHTTPClient(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("Content-Type", "text/plain")
			for i := 0; i < len(big); i += 10000 {
				w.Write(big[i:min(i+10000, len(big))])
				w.(http.Flusher).Flush()
			}
		case "/length":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		case "/post":
			b, _ := io.ReadAll(r.Body)
			sum := sha256.Sum256(b)
			fmt.Fprintf(w, "%s %d %x %s", r.Method, len(b), sum, r.Header.Get("Content-Length"))
		case "/close":
			// no length: the body ends when the server closes
			hj, _ := w.(http.Hijacker)
			c, bw, _ := hj.Hijack()
			bw.WriteString("HTTP/1.0 200 OK\r\nContent-Type: text/x-eof\r\n\r\n")
			bw.Write(big)
			bw.Flush()
			c.Close()
		default:
			http.NotFound(w, r)
		}
	}))
	srv.EnableHTTP2 = false
	srv.StartTLS()
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	ssl := lws.ClientUseSSL | lws.ClientAllowSelfsigned
	for _, path := range []string{"/chunked", "/length", "/close"} {
		status, _, got, events := httpClientRun(t, lws.ClientConnectInfo{Address: "127.0.0.1", Port: port, Method: "GET", Path: path, SSLConnection: ssl}, lws.VhostInfo{}, nil)
		if status != 200 || !bytes.Equal(got, big) || strings.Join(events, ",") != "established,completed,closed" {
			t.Errorf("https GET %s: %d, %d bytes, %q", path, status, len(got), events)
		}
	}
	body := bytes.Repeat([]byte("posted "), 30000)
	sum := sha256.Sum256(body)
	status, _, got, _ := httpClientRun(t, lws.ClientConnectInfo{Address: "127.0.0.1", Port: port, Method: "POST", Path: "/post", SSLConnection: ssl}, lws.VhostInfo{}, body)
	if want := fmt.Sprintf("POST %d %x %d", len(body), sum, len(body)); status != 200 || string(got) != want {
		t.Errorf("https POST: %d %q, want %q", status, got, want)
	}
	status, _, _, events := httpClientRun(t, lws.ClientConnectInfo{Address: "127.0.0.1", Port: port, Method: "HEAD", Path: "/length", SSLConnection: ssl}, lws.VhostInfo{}, nil)
	if status != 200 || strings.Join(events, ",") != "established,completed,closed" {
		t.Errorf("HEAD: %d %q", status, events)
	}
	// Plain http to golws's own file server.
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
	})
	status, ctype, got, _ := httpClientRun(t, lws.ClientConnectInfo{Address: "127.0.0.1", Port: vh.Port(), Method: "GET", Path: "/a.txt"}, lws.VhostInfo{}, nil)
	if status != 200 || ctype != "text/plain" || string(got) != "hello, file\n" {
		t.Errorf("http GET to golws: %d %q %q", status, ctype, got)
	}
	status, _, _, _ = httpClientRun(t, lws.ClientConnectInfo{Address: "127.0.0.1", Port: vh.Port(), Method: "GET", Path: "/missing"}, lws.VhostInfo{}, nil)
	if status != 404 {
		t.Errorf("http GET of a missing file: %d", status)
	}
	// A server that answers garbage is a connection error.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			// read the request first, so that closing does not reset
			http.ReadRequest(bufio.NewReader(c))
			io.WriteString(c, "NOT HTTP AT ALL\r\n\r\n")
			c.Close()
		}
	}()
	_, _, _, events = httpClientRun(t, lws.ClientConnectInfo{Address: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Method: "GET"}, lws.VhostInfo{}, nil)
	if len(events) != 1 || !strings.Contains(events[0], "bad status line") {
		t.Errorf("garbage answer: %q", events)
	}
}
