package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws/internal/selfsigned"
)

// buildLwsws builds the command once per test binary.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lwsws-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "lwsws")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out)}
	}
	return bin, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build: " + e.out }

// startLwsws runs lwsws with args until the test ends and returns its
// stderr lines as they come.
func startLwsws(t *testing.T, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("lwsws exited with %v", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("lwsws did not stop on SIGTERM")
		}
	})
	return cmd, lines
}

// awaitLine waits for a stderr line matching re and returns its submatches.
func awaitLine(t *testing.T, lines <-chan string, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("lwsws ended before printing %q", re)
			}
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("lwsws did not print %q", re)
		}
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestDefaultSite(t *testing.T) {
	_, lines := startLwsws(t, "-p", "0", "-d", "7")
	port := awaitLine(t, lines, `listening on port (\d+)`)[1]
	base := "http://127.0.0.1:" + port
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for path, ctype := range map[string]string{"/": "text/html", "/lws-common.js": "text/javascript", "/error.css": "text/css"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	req, _ := http.NewRequest("GET", base+"/ziptest/book.html", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("the zip book: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = client.PostForm(base+"/formtest", url.Values{"text": {"hello lwsws"}, "send": {"SEND"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "hello lwsws") {
		t.Errorf("formtest: %d %q", resp.StatusCode, body)
	}
	// The status page and the metrics.
	resp, err = client.Get(base + "/server-status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Server status") {
		t.Errorf("/server-status: %d", resp.StatusCode)
	}
	resp, err = client.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `lws_connections{vhost="localhost",port="`+port+`"}`) ||
		!strings.Contains(string(body), "# TYPE lws_rx_bytes_total counter") {
		t.Errorf("/metrics: %d %q", resp.StatusCode, body)
	}
	sd := websocket.Dialer{Subprotocols: []string{"lws-server-status"}}
	sws, _, err := sd.Dial("ws://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	sws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, status, err := sws.ReadMessage()
	sws.Close()
	if err != nil || !strings.Contains(string(status), `"name":"localhost"`) || !strings.Contains(string(status), `"lws-server-status":`) {
		t.Errorf("lws-server-status: %q %v", status, err)
	}

	// dumb-increment counts, compressed: the built-in site has
	// permessage-deflate too.
	d := websocket.Dialer{Subprotocols: []string{"dumb-increment-protocol"}, EnableCompression: true}
	ws, wresp, err := d.Dial("ws://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if h := wresp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(h, "permessage-deflate") {
		t.Errorf("the built-in site answered %q to an offer of permessage-deflate", h)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	prev := -1
	for range 3 {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(string(msg))
		if err != nil || (prev >= 0 && n != prev+1) {
			t.Fatalf("dumb-increment sent %q after %d", msg, prev)
		}
		prev = n
	}
}

// TestDefaultSiteTLS serves the built-in site over https and wss with -C
// and -K.
func TestDefaultSiteTLS(t *testing.T) {
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o600)
	os.WriteFile(key, keyPEM, 0o600)
	_, lines := startLwsws(t, "-p", "0", "-d", "7", "-C", cert, "-K", key)
	port := awaitLine(t, lines, `listening on port (\d+)`)[1]
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	tr := &http.Transport{TLSClientConfig: cfg.Clone(), ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://127.0.0.1:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html" || resp.ProtoMajor != 2 {
		t.Errorf("https (HTTP/2 by ALPN): %s %d %v", resp.Proto, resp.StatusCode, resp.Header)
	}
	d := websocket.Dialer{TLSClientConfig: cfg, Subprotocols: []string{"dumb-increment-protocol"}}
	ws, _, err := d.Dial("wss://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || len(msg) == 0 {
		t.Errorf("wss dumb-increment: %q %v", msg, err)
	}
}

// TestConfigDir runs lwsws on a configuration directory with two vhosts:
// file, redirect, callback and CGI mounts on one, TLS on the other.
func TestConfigDir(t *testing.T) {
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	os.MkdirAll(www, 0o755)
	os.WriteFile(filepath.Join(www, "index.html"), []byte("configured site"), 0o644)
	script := filepath.Join(dir, "hello.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"cgi says $QUERY_STRING\"\n"), 0o755)
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, "secure.test")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o600)
	os.WriteFile(key, keyPEM, 0o600)
	logPath := filepath.Join(dir, "access.log")
	p1, p2 := freePort(t), freePort(t)
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(filepath.Join(conf, "conf.d"), 0o755)
	os.WriteFile(filepath.Join(conf, "conf"), []byte(`# lwsws global settings
{
  "global": {
    "server-string": "lwsws-test",
    "timeout-secs": "20",
    "reject-service-keywords": [ { "badbot": "418 I'm a teapot" } ]
  }
}
`), 0o644)
	os.WriteFile(filepath.Join(conf, "conf.d", "plain"), []byte(`{
  "vhosts": [ {
    "name": "plain.test",
    "port": "`+strconv.Itoa(p1)+`",
    "interface": "127.0.0.1",
    "access-log": "`+logPath+`",
    "mounts": [
      { "mountpoint": "/", "origin": "file://`+www+`", "default": "index.html", "cache-max-age": "60", "cache-reuse": "1" },
      { "mountpoint": "/old", "origin": ">https://example.com/new", "append-path": "1" },
      { "mountpoint": "/formtest", "origin": "callback://protocol-post-demo" },
      { "mountpoint": "/cgi", "origin": "cgi://`+script+`" }
    ],
    "ws-protocols": [ { "lws-echo": { "status": "ok" }, "protocol-post-demo": {} } ]
  } ]
}
`), 0o644)
	os.WriteFile(filepath.Join(conf, "conf.d", "secure"), []byte(`{
  "vhosts": [ {
    "name": "secure.test",
    "port": "`+strconv.Itoa(p2)+`",
    "interface": "127.0.0.1",
    "host-ssl-cert": "`+cert+`",
    "host-ssl-key": "`+key+`",
    "sts": "on",
    "quic-mtu": "1200",
    "mounts": [ { "mountpoint": "/", "origin": "file://`+www+`", "default": "index.html" } ],
    "ws-protocols": [ { "lws-echo": {} } ]
  } ]
}
`), 0o644)
	_, lines := startLwsws(t, "-c", conf, "-d", "7")
	awaitLine(t, lines, `secure.*quic-mtu.*not supported`)
	awaitLine(t, lines, `vhost "secure.test": https://`)

	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://127.0.0.1:" + strconv.Itoa(p1)
	get := func(path string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := get("/"); resp.StatusCode != 200 || body != "configured site" || resp.Header.Get("Server") != "lwsws-test" ||
		resp.Header.Get("Cache-Control") != "private, max-age=60" {
		t.Errorf("file mount: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, _ := get("/old/page"); resp.StatusCode != 301 || resp.Header.Get("Location") != "https://example.com/new/page" {
		t.Errorf("redirect mount: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, body := get("/cgi?x=1"); resp.StatusCode != 200 || body != "cgi says x=1\n" {
		t.Errorf("cgi mount: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get("/", "User-Agent", "a badbot here"); resp.StatusCode != 418 {
		t.Errorf("reject-service-keywords: %d", resp.StatusCode)
	}
	resp, err := client.PostForm(base+"/formtest", url.Values{"text": {"posted"}, "send": {"SEND"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "posted") {
		t.Errorf("callback mount: %d %q", resp.StatusCode, b)
	}
	if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), `"GET /cgi?x=1 HTTP/1.1" 200`) {
		t.Errorf("access log: %q", log)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "secure.test"}
	tr := &http.Transport{TLSClientConfig: tlsCfg}
	defer tr.CloseIdleConnections()
	sresp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://127.0.0.1:" + strconv.Itoa(p2) + "/")
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := io.ReadAll(sresp.Body)
	sresp.Body.Close()
	if string(sb) != "configured site" || sresp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("TLS vhost: %q %v", sb, sresp.Header)
	}
	// lwsws registers permessage-deflate on every vhost, as lws does.
	d := websocket.Dialer{TLSClientConfig: tlsCfg, Subprotocols: []string{"lws-echo"}, EnableCompression: true}
	ws, wresp, err := d.Dial("wss://127.0.0.1:"+strconv.Itoa(p2)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if h := wresp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(h, "permessage-deflate") {
		t.Errorf("a configured vhost answered %q to an offer of permessage-deflate", h)
	}
	msg := strings.Repeat("over wss, compressed ", 5000)
	ws.WriteMessage(websocket.TextMessage, []byte(msg))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != msg {
		t.Errorf("wss echo: %d bytes, %v", len(got), err)
	}
}

// TestConfigErrors: a malformed file stops start-up with its file, line
// and what was expected.
func TestConfigErrors(t *testing.T) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	conf := t.TempDir()
	os.WriteFile(filepath.Join(conf, "conf"), []byte("{\n  \"global\": {\n    \"server-string\": \"x\"\n    \"timeout-secs\": \"5\"\n  }\n}\n"), 0o644)
	out, err := exec.Command(bin, "-c", conf).CombinedOutput()
	if err == nil || !strings.Contains(string(out), filepath.Join(conf, "conf")+":4:") {
		t.Errorf("a malformed configuration: %v\n%s", err, out)
	}
}

// TestDaemonize: -D returns at once, with status 0 and saying nothing
// (the daemon's notices and warnings are not errors), with lwsws running
// detached and holding its lock file, for the built-in site and for a
// configuration directory; a second -D refuses; SIGTERM stops the
// daemon. A -D whose daemon cannot start fails with the daemon's reason:
// a malformed configuration, a port already taken, a serving process
// that cannot load its certificate.
func TestDaemonize(t *testing.T) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	// started runs -D with the default log level (notices included) and
	// returns the daemon, which it stops when the test ends.
	started := func(lock string, args ...string) *os.Process {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"-D", "--lock", lock}, args...)...).CombinedOutput()
		b, _ := os.ReadFile(lock)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		var proc *os.Process
		if perr == nil {
			proc, _ = os.FindProcess(pid)
			t.Cleanup(func() { proc.Signal(syscall.SIGTERM) })
		}
		if err != nil || len(out) != 0 {
			t.Fatalf("-D %v: %v, want status 0 and no output; output:\n%s", args, err, out)
		}
		if perr != nil {
			t.Fatalf("lock file %q", b)
		}
		return proc
	}
	// failed runs -D expecting it to fail with want in its output.
	failed := func(want string, args ...string) {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"-D"}, args...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("-D %v: %v %q, want a failure saying %q", args, err, out, want)
		}
	}
	get := func(port int, want string) {
		t.Helper()
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("the daemon's site: %d %.60q", resp.StatusCode, body)
		}
	}
	stopped := func(proc *os.Process) {
		t.Helper()
		if err := proc.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for proc.Signal(syscall.Signal(0)) == nil {
			if time.Now().After(deadline) {
				t.Fatal("the daemon did not stop on SIGTERM")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// The built-in site.
	lock := filepath.Join(tmp, "lwsws.lock")
	port := freePort(t)
	proc := started(lock, "-p", strconv.Itoa(port))
	get(port, "<html")
	failed("already running as pid "+strconv.Itoa(proc.Pid), "--lock", lock, "-p", strconv.Itoa(freePort(t)))
	// Its port is taken: the daemon fails to listen, and says so.
	failed("address already in use", "--lock", filepath.Join(tmp, "other.lock"), "-p", strconv.Itoa(port))
	stopped(proc)

	// A configuration directory, with a warning: still silent.
	www := filepath.Join(tmp, "www")
	os.MkdirAll(www, 0o755)
	os.WriteFile(filepath.Join(www, "index.html"), []byte("daemon site"), 0o644)
	conf := filepath.Join(tmp, "conf")
	os.MkdirAll(conf, 0o755)
	cport := freePort(t)
	os.WriteFile(filepath.Join(conf, "conf"), []byte(`{ "vhosts": [ { "name": "d.test", "port": "`+strconv.Itoa(cport)+`",
  "interface": "127.0.0.1", "no-such-key": "1",
  "mounts": [ { "mountpoint": "/", "origin": "file://`+www+`", "default": "index.html" } ] } ] }
`), 0o644)
	cproc := started(filepath.Join(tmp, "conf.lock"), "-c", conf)
	get(cport, "daemon site")
	stopped(cproc)

	// A malformed configuration.
	bad := filepath.Join(tmp, "bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "conf"), []byte("{\n  \"vhosts\": [ {\n    \"port\" \"80\"\n  } ]\n}\n"), 0o644)
	failed(filepath.Join(bad, "conf")+":3:", "--lock", filepath.Join(tmp, "bad.lock"), "-c", bad)
	// The serving process fails: its reason is told too.
	nocert := filepath.Join(tmp, "nocert")
	os.MkdirAll(nocert, 0o755)
	os.WriteFile(filepath.Join(nocert, "conf"), []byte(`{ "vhosts": [ { "name": "t.test", "port": "`+strconv.Itoa(freePort(t))+`",
  "interface": "127.0.0.1", "host-ssl-cert": "`+tmp+`/absent.pem", "host-ssl-key": "`+tmp+`/absent.key" } ] }
`), 0o644)
	failed(tmp+"/absent.pem: no such file or directory", "--lock", filepath.Join(tmp, "nocert.lock"), "-c", nocert)
}

// TestPrivilegeDrop (as root): the serving process runs as the configured
// uid and gid with no capability left, while the parent, which bound the
// ports (SO_BINDTODEVICE for bind-iface included), stays root.
func TestPrivilegeDrop(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to change user")
	}
	dir, err := os.MkdirTemp("", "lwsws-drop") // readable by the dropped user
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	www := filepath.Join(dir, "www")
	os.MkdirAll(www, 0o755)
	os.WriteFile(filepath.Join(www, "index.html"), []byte("as nobody"), 0o644)
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	port := freePort(t)
	os.WriteFile(filepath.Join(conf, "conf"), []byte(`{ "global": { "uid": "65534", "gid": "65534", "ka-time": "60" },
  "vhosts": [ { "name": "drop.test", "port": "`+strconv.Itoa(port)+`", "interface": "lo", "bind-iface": "1",
    "mounts": [ { "mountpoint": "/", "origin": "file://`+www+`", "default": "index.html" } ] } ] }
`), 0o644)
	_, lines := startLwsws(t, "-c", conf, "-d", "7")
	awaitLine(t, lines, `vhost "drop.test": http://`)
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "as nobody" {
		t.Errorf("body %q", body)
	}
	// The serving child is the process that owns the connection's peer
	// socket: find it among lwsws processes by its uid.
	found := false
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil || !strings.Contains(string(status), "Name:\tlwsws") {
			continue
		}
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if !strings.Contains(string(env), envWorker+"=1") || !strings.Contains(string(cmdline), conf) {
			continue // not this test's serving process
		}
		found = true
		if !strings.Contains(string(status), "Uid:\t65534\t65534\t65534\t65534") || !strings.Contains(string(status), "Gid:\t65534\t65534\t65534\t65534") {
			t.Errorf("serving process %d still has its ids:\n%s", pid, status)
		}
		if !strings.Contains(string(status), "CapEff:\t0000000000000000") {
			t.Errorf("serving process %d kept capabilities:\n%s", pid, status)
		}
	}
	if !found {
		t.Error("no serving process found")
	}
}
