package lws_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// buildExample compiles one of ./examples into a temporary directory.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "./examples/"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	return bin
}

// startRawEcho runs the raw-echo example on a kernel-chosen port and
// returns its address once it listens.
func startRawEcho(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + startExample(t, "raw-echo", "-p", "0", "-d", "7")
}

func TestExampleRawEcho(t *testing.T) {
	addr := startRawEcho(t)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := roundTrip(nc, "hello, raw-echo"); err != nil {
		t.Fatal(err)
	}
}

func TestExampleRawNetcat(t *testing.T) {
	addr := startRawEcho(t)
	netcat := buildExample(t, "raw-netcat")
	host, port, _ := net.SplitHostPort(addr)

	t.Run("pipe", func(t *testing.T) {
		cmd := exec.Command(netcat, host, port)
		cmd.Stdin = bytes.NewReader([]byte("hello\n"))
		out, err := runWithTimeout(t, cmd)
		if err != nil || string(out) != "hello\n" {
			t.Fatalf("raw-netcat printed %q (%v), want the echo", out, err)
		}
	})

	// A regular file on stdin (poll backend), larger than every buffer on
	// the way, comes back whole and in order.
	t.Run("file", func(t *testing.T) {
		data := make([]byte, 3<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		path := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(netcat, host, port)
		cmd.Stdin = f
		out, err := runWithTimeout(t, cmd)
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("raw-netcat echoed %d of %d bytes correctly (%v)", len(out), len(data), err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, closed, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		cmd := exec.Command(netcat, "127.0.0.1", closed)
		cmd.Stdin = bytes.NewReader(nil)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if _, err := runWithTimeout(t, cmd); err == nil || !bytes.Contains(stderr.Bytes(), []byte("refused")) {
			t.Fatalf("raw-netcat to a closed port: %v, stderr %q", err, stderr.String())
		}
	})
}

// runWithTimeout runs cmd and returns its standard output, killing it if
// it has not finished in a minute.
func runWithTimeout(t *testing.T, cmd *exec.Cmd) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not finish", cmd.Path)
		return nil, nil
	}
}

func TestExampleWSServerEcho(t *testing.T) {
	port := startExample(t, "ws-server-echo", "-p", "0", "-d", "7")
	conn, _, err := websocket.DefaultDialer.Dial("ws://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	mt, got, err := conn.ReadMessage()
	if err != nil || mt != websocket.BinaryMessage || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("echo %v %v %v", mt, got, err)
	}
}

// TestExampleWSServerEchoAnyProtocol: the echo server takes whatever
// subprotocols a client offers, answering with the first, and a client
// that offers none gets none back.
func TestExampleWSServerEchoAnyProtocol(t *testing.T) {
	port := startExample(t, "ws-server-echo", "-p", "0", "-d", "7")
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"foo", "bar"}, "foo"},
		{nil, ""},
	} {
		d := websocket.Dialer{Subprotocols: tc.offer}
		conn, resp, err := d.Dial("ws://127.0.0.1:"+port+"/", nil)
		if err != nil {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Fatalf("offering %q: %v (status %d)", tc.offer, err, status)
		}
		got, answered := resp.Header["Sec-Websocket-Protocol"]
		if conn.Subprotocol() != tc.want || (tc.want == "") == answered {
			t.Errorf("offering %q: answered %q (header %v), want %q", tc.offer, conn.Subprotocol(), got, tc.want)
		}
		msg := []byte("echo " + strings.Join(tc.offer, ","))
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatal(err)
		}
		if mt, echoed, err := conn.ReadMessage(); err != nil || mt != websocket.TextMessage || !bytes.Equal(echoed, msg) {
			t.Errorf("offering %q: echo %d %q %v", tc.offer, mt, echoed, err)
		}
		conn.Close()
	}
}

func TestExampleWSClientEcho(t *testing.T) {
	bin := buildExample(t, "ws-client-echo")
	// A gorilla server that sends four messages, checks the echoes and
	// closes normally.
	messages := []struct {
		kind int
		data string
	}{
		{websocket.TextMessage, "one"},
		{websocket.TextMessage, "two"},
		{websocket.TextMessage, strings.Repeat("3", 100000)},
		{websocket.BinaryMessage, "\x00\x01\x02\x03\x04"},
	}
	result := make(chan error, 1)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			result <- err
			return
		}
		defer conn.Close()
		for _, m := range messages {
			if err := conn.WriteMessage(m.kind, []byte(m.data)); err != nil {
				result <- err
				return
			}
			kind, got, err := conn.ReadMessage()
			if err != nil || kind != m.kind || string(got) != m.data {
				result <- fmt.Errorf("echo of %d bytes: got %d, %v", len(m.data), len(got), err)
				return
			}
		}
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		_, _, err = conn.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
			result <- fmt.Errorf("close answer: %v", err)
			return
		}
		result <- nil
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// At the default log level, what arrives is printed on stdout.
	out, err := runWithTimeout(t, exec.Command(bin, "-s", "127.0.0.1", "-p", port, "-u", "/"))
	if err != nil {
		t.Fatalf("ws-client-echo: %v\n%s", err, out)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	want := "one\ntwo\n" + strings.Repeat("3", 100000) + "\n(binary message of 5 bytes)\n"
	if string(out) != want {
		t.Errorf("ws-client-echo printed %d bytes %.40q..., want %d bytes %.40q...", len(out), out, len(want), want)
	}
}

func TestExampleWSClientEchoFailsOnProtocolError(t *testing.T) {
	bin := buildExample(t, "ws-client-echo")
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		// A text message that is not UTF-8: the client must fail it.
		_ = conn.WriteMessage(websocket.TextMessage, []byte{0xc0, 0xaf})
		_, _, _ = conn.ReadMessage()
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cmd := exec.Command(bin, "-s", "127.0.0.1", "-p", port)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if _, err := runWithTimeout(t, cmd); err == nil || !strings.Contains(stderr.String(), "1007") {
		t.Fatalf("ws-client-echo after invalid UTF-8: %v, stderr %q", err, stderr.String())
	}
}

func TestExampleHTTPServer(t *testing.T) {
	dir := t.TempDir()
	const index, atxt = "<!doctype html><title>t</title>hello\n", "plain text\n"
	for name, body := range map[string]string{"index.html": index, "a.txt": atxt} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	port := startExample(t, "http-server", "-p", "0", "-d", "7", "-r", dir)
	addr := "127.0.0.1:" + port
	for _, tc := range []struct {
		path, ctype string
		status      int
		body        string // exact body, or for 404 a part of it
	}{
		{"/", "text/html", 200, index},
		{"/index.html", "text/html", 200, index},
		{"/a.txt", "text/plain", 200, atxt},
		{"/nope", "text/html; charset=utf-8", 404, `href="/error.css"`},
	} {
		resp, err := http.Get("http://" + addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		ok := string(body) == tc.body
		if tc.status != 200 {
			ok = strings.Contains(string(body), tc.body)
		}
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype || !ok {
			t.Errorf("GET %s: %d %q %q; want %d %q with %q",
				tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status, tc.ctype, tc.body)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	// HEAD, on a raw socket to see that no body follows the head.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, "HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(nc)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, found := strings.Cut(string(raw), "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200 ") || !found || rest != "" ||
		!strings.Contains(strings.ToLower(head), fmt.Sprintf("\r\ncontent-length: %d\r\n", len(atxt))) {
		t.Errorf("HEAD /a.txt answered %q", raw)
	}
}

// startExample runs an example with args and returns the port it listens
// on; it is stopped with SIGTERM when the test ends.
func startExample(t *testing.T, name string, args ...string) string {
	t.Helper()
	return startServer(t, buildExample(t, name), args...)
}

// startServer runs the server program bin with args and returns the port
// it says it listens on; it is stopped with SIGTERM when the test ends.
func startServer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	name := filepath.Base(bin)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s exited with %v", name, err)
		}
	})
	re := regexp.MustCompile(`listening on port (\d+)`)
	sc := bufio.NewScanner(stderr)
	var port string
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			port = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	if port == "" {
		t.Fatalf("%s never said it was listening", name)
	}
	return port
}

// TestExampleTLSFlags: -s serves wss with a certificate made at start, -C
// and -K serve https with given files.
func TestExampleTLSFlags(t *testing.T) {
	port := startExample(t, "ws-server-echo", "-p", "0", "-d", "7", "-s")
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	conn, _, err := d.Dial("wss://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc, ok := conn.UnderlyingConn().(*tls.Conn)
	if !ok {
		t.Fatal("wss without TLS")
	}
	if cn := tc.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "localhost" {
		t.Errorf("-s certificate for %q", cn)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := conn.ReadMessage(); err != nil || string(got) != "over tls" {
		t.Fatalf("wss echo %q %v", got, err)
	}

	cert, key, _ := tlsCert(t, "localhost")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("secure index"), 0o644)
	port = startExample(t, "http-server", "-p", "0", "-d", "7", "-r", dir, "-C", cert, "-K", key)
	out := curl(t, "--cacert", cert, "--resolve", "localhost:"+port+":127.0.0.1", "https://localhost:"+port+"/")
	if !strings.HasPrefix(out, "HTTP/2 200 \n") || !strings.HasSuffix(out, "\nsecure index") {
		t.Errorf("https example (HTTP/2 by ALPN): %q", out)
	}
}
