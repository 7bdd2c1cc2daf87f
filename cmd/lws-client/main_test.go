package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/internal/selfsigned"
	"github.com/golws/lws/plugins/dumbincrement"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/plugins/fraggle"
	"github.com/golws/lws/plugins/mirror"
	"github.com/golws/lws/plugins/status"
	"github.com/golws/lws/ws"
)

// clientBin is the command under test, built once by TestMain (with the
// race detector when the tests have it).
var clientBin string

func TestMain(m *testing.M) {
	// Keep the in-process servers' output to errors and warnings.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn, nil)
	dir, err := os.MkdirTemp("", "lws-client-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clientBin = filepath.Join(dir, "lws-client")
	args := []string{"build", "-o", clientBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runLimit bounds every run of the command; a run that hangs is killed
// and fails its test.
const runLimit = 60 * time.Second

// proc is a running lws-client.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	cancel context.CancelFunc
}

// start runs lws-client with args; its standard input stays open until
// closeStdin.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	p := &proc{cmd: exec.CommandContext(ctx, clientBin, args...), cancel: cancel}
	p.cmd.Stderr = &p.stderr
	if raceEnabled && os.Getenv("GORACE") == "" {
		// The race runtime waits a second at exit by default; a race
		// still fails the run (exit status 66).
		p.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=20")
	}
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = p.cmd.Wait()
	})
	return p
}

// line reads the next line of standard output (the run limit kills a
// client that never writes it).
func (p *proc) line(t *testing.T) string {
	t.Helper()
	l, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading stdout: %v (got %q); stderr:\n%s", err, l, p.stderr.String())
	}
	return strings.TrimSuffix(l, "\n")
}

// wait reads the rest of standard output and returns it with the exit
// status.
func (p *proc) wait(t *testing.T) (string, int) {
	t.Helper()
	rest, _ := io.ReadAll(p.out)
	err := p.cmd.Wait()
	p.cancel()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(rest), 0
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return string(rest), ee.ExitCode()
	}
	t.Fatalf("lws-client: %v; stderr:\n%s", err, p.stderr.String())
	return "", -1
}

// runCmd runs lws-client to its end with stdin as its standard input and
// returns its standard output, standard error and exit status.
func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := start(t, args...)
	go func() {
		_, _ = io.WriteString(p.stdin, stdin)
		p.stdin.Close()
	}()
	stdout, code = p.wait(t)
	return stdout, p.stderr.String(), code
}

// mustRun is runCmd expecting exit status 0.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := runCmd(t, stdin, args...)
	if code != 0 {
		t.Fatalf("lws-client %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// serve runs a golws server vhost on an ephemeral loopback port until the
// test ends and returns the port.
func serve(t *testing.T, info lws.VhostInfo) int {
	t.Helper()
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	info.Port, info.Iface = lws.PortAny, "127.0.0.1"
	vh, err := cx.CreateVhost(info)
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	port := vh.Port()
	looptest.Run(t, cx)
	return port
}

func wsURL(port int) string { return fmt.Sprintf("ws://127.0.0.1:%d/", port) }

// closeRecorder wraps a server protocol to report the code of each Close
// a client starts.
func closeRecorder(p lws.Protocol) (lws.Protocol, <-chan ws.CloseCode) {
	codes := make(chan ws.CloseCode, 16)
	inner := p.Callback
	p.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackWSPeerInitiatedClose {
			code := ws.CloseNoStatus
			if len(in) >= 2 {
				code = ws.CloseCode(binary.BigEndian.Uint16(in))
			}
			select {
			case codes <- code:
			default:
			}
		}
		return inner(c, reason, in)
	}
	return p, codes
}

func awaitClose(t *testing.T, codes <-chan ws.CloseCode, want ws.CloseCode) {
	t.Helper()
	select {
	case got := <-codes:
		if got != want {
			t.Errorf("the client closed with %d, want %d", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the server saw no Close from the client")
	}
}

// TestInteractiveWS types lines at the client one by one: each comes back
// from the echo server before the next is sent, and the end of input
// closes with 1000.
func TestInteractiveWS(t *testing.T) {
	proto, codes := closeRecorder(echo.Protocol())
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	p := start(t, wsURL(port))
	for _, l := range []string{"hello, golws", "second line"} {
		if _, err := io.WriteString(p.stdin, l+"\n"); err != nil {
			t.Fatal(err)
		}
		if got := p.line(t); got != l {
			t.Fatalf("echoed %q, want %q", got, l)
		}
	}
	p.stdin.Close()
	if rest, code := p.wait(t); code != 0 || rest != "" {
		t.Fatalf("exit %d, more output %q; stderr:\n%s", code, rest, p.stderr.String())
	}
	awaitClose(t, codes, ws.CloseNormal)
}

// TestInteractiveWSPipeEnd: input from a pipe ends at once, before any
// echo can arrive; the Close waits until every message sent has been
// answered, so everything comes back and is printed.
func TestInteractiveWSPipeEnd(t *testing.T) {
	proto, codes := closeRecorder(echo.Protocol())
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	if out := mustRun(t, "hello\nworld\n", wsURL(port)); out != "hello\nworld\n" {
		t.Fatalf("printed %q, want both lines", out)
	}
	awaitClose(t, codes, ws.CloseNormal)

	var in strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	if out := mustRun(t, in.String(), wsURL(port)); out != in.String() {
		t.Fatalf("%d lines came back, want 2000", strings.Count(out, "\n"))
	}
	awaitClose(t, codes, ws.CloseNormal)
}

// TestInteractiveWSPipeEndUnanswered: a server that answers only part of
// what was sent gets the Close once the wait for answers ran out, and
// what it did answer is printed.
func TestInteractiveWSPipeEndUnanswered(t *testing.T) {
	type session struct{ answered, owed bool }
	proto, codes := closeRecorder(lws.Protocol{
		Name:       "answers-once",
		NewSession: func() any { return new(session) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*session)
			switch reason {
			case lws.CallbackReceive:
				if !s.answered {
					s.answered, s.owed = true, true
					c.CallbackOnWritable()
				}
			case lws.CallbackServerWriteable:
				if s.owed {
					s.owed = false
					_, err := c.Write([]byte("only answer"), lws.WriteText)
					return err
				}
			}
			return nil
		},
	})
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	start := time.Now()
	if out := mustRun(t, "one\ntwo\nthree\n", wsURL(port)); out != "only answer\n" {
		t.Fatalf("printed %q", out)
	}
	if el := time.Since(start); el < wsLinger || el > wsLinger+10*time.Second {
		t.Errorf("closed after %v, want after the %v wait for answers", el, wsLinger)
	}
	awaitClose(t, codes, ws.CloseNormal)
}

// TestInteractiveWSPipe: with -n the end of input does not close: the
// client stays for the answers. Many lines pass the bounded queue
// between the stdin reader and the loop, in order; long lines go out as
// fragmented messages and come back whole.
func TestInteractiveWSPipe(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{echo.Protocol()}})
	var in strings.Builder
	var lines []string
	for i := range 3000 {
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%50))
		if i == 1000 {
			l = strings.Repeat("long", 50000) // 200 KB: several pieces
		}
		lines = append(lines, l)
		in.WriteString(l + "\r\n")
	}
	out := mustRun(t, in.String(), "-n", strconv.Itoa(len(lines)), wsURL(port))
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); !equalLines(got, lines) {
		t.Fatalf("%d lines came back, want %d in order", len(got), len(lines))
	}
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rawEcho is a RAW protocol that echoes what it reads.
func rawEcho() lws.Protocol {
	type session struct{ q []byte }
	return lws.Protocol{
		Name:       "raw-echo",
		NewSession: func() any { return new(session) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawRX:
				s := c.User().(*session)
				s.q = append(s.q, in...)
				c.CallbackOnWritable()
			case lws.CallbackRawWriteable:
				s := c.User().(*session)
				if len(s.q) == 0 {
					return nil
				}
				if _, err := c.Write(s.q, lws.WriteRaw); err != nil {
					return err
				}
				s.q = s.q[:0]
			}
			return nil
		},
	}
}

func TestInteractiveRaw(t *testing.T) {
	port := serve(t, lws.VhostInfo{ListenAcceptRole: lws.RoleRawSkt, Protocols: []lws.Protocol{rawEcho()}})
	p := start(t, fmt.Sprintf("raw://127.0.0.1:%d", port))
	for _, l := range []string{"raw bytes", "more"} {
		if _, err := io.WriteString(p.stdin, l+"\n"); err != nil {
			t.Fatal(err)
		}
		if got := p.line(t); got != l {
			t.Fatalf("echoed %q, want %q", got, l)
		}
	}
	p.stdin.Close()
	if rest, code := p.wait(t); code != 0 || rest != "" {
		t.Fatalf("exit %d, more output %q; stderr:\n%s", code, rest, p.stderr.String())
	}

	// Input that ends at once is still all sent and echoed before the
	// peer closes.
	want := strings.Repeat("0123456789abcdef", 10000)
	if out := mustRun(t, want, fmt.Sprintf("raw://127.0.0.1:%d", port)); out != want {
		t.Fatalf("%d bytes echoed, want %d", len(out), len(want))
	}
}

func TestHTTP(t *testing.T) {
	dir := t.TempDir()
	body := "hello from a golws file mount\n"
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	port := serve(t, lws.VhostInfo{
		Protocols: []lws.Protocol{{Name: "http", Callback: lws.CallbackHTTPDummy}},
		Mounts:    []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}},
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	out, errOut, code := runCmd(t, "", "-v", base+"/hello.txt")
	if code != 0 || out != body {
		t.Fatalf("GET: exit %d, body %q; stderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"HTTP/1.1 200 OK\n", "content-type: text/plain", "content-length: " + strconv.Itoa(len(body))} {
		if !strings.Contains(errOut, want) {
			t.Errorf("-v printed no %q:\n%s", want, errOut)
		}
	}
	if out, _, _ := runCmd(t, "", base+"/hello.txt"); out != body {
		t.Errorf("without -v: %q", out)
	}

	_, errOut, code = runCmd(t, "", base+"/missing.txt")
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Fatalf("GET of a missing file: exit %d; stderr:\n%s", code, errOut)
	}
}

// TestHTTPBody sends a request body from a file (-b), with the method
// given by -m.
func TestHTTPBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %d %s", r.Method, len(b), b[len(b)-5:])
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "body")
	body := strings.Repeat("0123456789", 10000) + "tail!"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "", "-b", path, srv.URL+"/upload"); out != fmt.Sprintf("POST %d tail!", len(body)) {
		t.Fatalf("POST answered %q", out)
	}
	if out := mustRun(t, "", "-b", path, "-m", "put", srv.URL+"/upload"); out != fmt.Sprintf("PUT %d tail!", len(body)) {
		t.Fatalf("PUT answered %q", out)
	}
}

func TestWSS(t *testing.T) {
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{echo.Protocol()},
		SSLCertFilepath: cert, SSLPrivateKeyFilepath: key})
	url := fmt.Sprintf("wss://127.0.0.1:%d/", port)

	if out := mustRun(t, "over tls\n", "-A", cert, "-n", "1", url); out != "over tls\n" {
		t.Errorf("-A: %q", out)
	}
	if out := mustRun(t, "lax\n", "-k", "-n", "1", url); out != "lax\n" {
		t.Errorf("-k: %q", out)
	}
	// Without either, the self-signed certificate is refused.
	_, errOut, code := runCmd(t, "", url)
	if code != 1 || !strings.Contains(errOut, "CLIENT_CONNECTION_ERROR") {
		t.Errorf("no -A or -k: exit %d; stderr:\n%s", code, errOut)
	}
}

// TestOriginAndProtocol: -o is sent as the Origin header and -P as the
// subprotocols offered; the server picks one of them.
func TestOriginAndProtocol(t *testing.T) {
	seen := make(chan string, 1)
	proto := echo.Protocol()
	inner := proto.Callback
	proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackFilterProtocolConnection {
			seen <- c.Hdr(hdr.TokenOrigin) + " | " + c.Hdr(hdr.TokenWSProtocol)
		}
		return inner(c, reason, in)
	}
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	out := mustRun(t, "x\n", "-o", "http://origin.example", "-P", "nope, "+echo.Name, "-n", "1", wsURL(port))
	if got, want := <-seen, "http://origin.example | nope, "+echo.Name; got != want || out != "x\n" {
		t.Fatalf("the server saw %q (want %q); echoed %q", got, want, out)
	}
}

func TestConnectionError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	for _, url := range []string{wsURL(port), fmt.Sprintf("raw://127.0.0.1:%d", port), fmt.Sprintf("http://127.0.0.1:%d/", port)} {
		_, errOut, code := runCmd(t, "", url)
		if code != 1 || !strings.Contains(errOut, "CLIENT_CONNECTION_ERROR: connect to 127.0.0.1:"+strconv.Itoa(port)+" failed") {
			t.Errorf("%s: exit %d; stderr:\n%s", url, code, errOut)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"ftp://example.com/"},
		{"raw://127.0.0.1"},
		{"-mode", "dumb", "http://127.0.0.1/"},
		{"-mode", "bogus", "ws://127.0.0.1/"},
		{"-mode", "ping", "-s", "4", "ws://127.0.0.1/"},
		{"-b", "x", "ws://127.0.0.1/"},
	} {
		if _, errOut, code := runCmd(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2; stderr:\n%s", args, code, errOut)
		}
	}
}

// checkNumbers checks that out holds n consecutive numbers, one per line.
func checkNumbers(t *testing.T, out string, n int) {
	t.Helper()
	f := strings.Fields(out)
	if len(f) != n {
		t.Fatalf("%d numbers, want %d: %q", len(f), n, out)
	}
	for i := range f {
		v, err := strconv.Atoi(f[i])
		if err != nil {
			t.Fatalf("not a number: %q", f[i])
		}
		if prev, _ := strconv.Atoi(f[max(i-1, 0)]); i > 0 && v != prev+1 {
			t.Fatalf("%d after %d", v, prev)
		}
	}
}

func TestModeDumb(t *testing.T) {
	proto, codes := closeRecorder(dumbincrement.Protocol())
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	checkNumbers(t, mustRun(t, "", "-mode", "dumb", "-n", "5", wsURL(port)), 5)
	awaitClose(t, codes, ws.CloseNormal)
}

// TestModeDumbOutOfSequence: a number that is not one more than the last
// fails the run.
func TestModeDumbOutOfSequence(t *testing.T) {
	type session struct{ i int }
	numbers := []string{"7", "8", "10", "11"}
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{{
		Name:       dumbincrement.Name,
		NewSession: func() any { return new(session) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*session)
			switch reason {
			case lws.CallbackEstablished:
				c.CallbackOnWritable()
			case lws.CallbackServerWriteable:
				if s.i < len(numbers) {
					if _, err := c.Write([]byte(numbers[s.i]), lws.WriteText); err != nil {
						return err
					}
					s.i++
					c.CallbackOnWritable()
				}
			}
			return nil
		},
	}}})
	out, errOut, code := runCmd(t, "", "-mode", "dumb", "-n", "4", wsURL(port))
	if code != 1 || out != "7\n8\n" || !strings.Contains(errOut, "10 after 8") {
		t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
}

func TestModeFraggle(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{fraggle.Protocol()}})
	out := mustRun(t, "", "-mode", "fraggle", "-n", "3", wsURL(port))
	re := regexp.MustCompile(`^EOM received \d+ correctly from \d+ fragments$`)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d results, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("result %q", l)
		}
	}
}

// TestModeFraggleMismatch: a checksum that does not match fails the run.
func TestModeFraggleMismatch(t *testing.T) {
	type session struct{ step int }
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{{
		Name:       fraggle.Name,
		NewSession: func() any { return new(session) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*session)
			switch reason {
			case lws.CallbackEstablished:
				c.CallbackOnWritable()
			case lws.CallbackServerWriteable:
				var err error
				switch s.step {
				case 0:
					_, err = c.Write([]byte{1, 2}, lws.WriteWSFlags(lws.WriteBinary, true, false))
				case 1:
					_, err = c.Write([]byte{3}, lws.WriteWSFlags(lws.WriteBinary, false, true))
				case 2:
					_, err = c.Write([]byte{0, 0, 0, 7}, lws.WriteBinary) // the sum is 6
				default:
					return nil
				}
				s.step++
				c.CallbackOnWritable()
				return err
			}
			return nil
		},
	}}})
	_, errOut, code := runCmd(t, "", "-mode", "fraggle", "-n", "1", wsURL(port))
	if code != 1 || !strings.Contains(errOut, "ERROR at EOM") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
}

var (
	pingReply   = regexp.MustCompile(`^64 bytes from 127\.0\.0\.1: req=(\d+) time=\d+\.\d+ ms$`)
	pingSummary = regexp.MustCompile(`(?m)^(\d+) packets transmitted, (\d+) received, (\d+)% loss, rtt min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms$`)
)

// checkPing checks ping's output: a reply per ping, in order, and the
// summary.
func checkPing(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	req := 0
	for _, l := range lines {
		if m := pingReply.FindStringSubmatch(l); m != nil {
			req++
			if m[1] != strconv.Itoa(req) {
				t.Errorf("reply %q, want req=%d", l, req)
			}
		}
	}
	m := pingSummary.FindStringSubmatch(out)
	if req != n || m == nil || m[1] != strconv.Itoa(n) || m[2] != strconv.Itoa(n) || m[3] != "0" {
		t.Fatalf("want %d replies and their summary:\n%s", n, out)
	}
}

func TestModePing(t *testing.T) {
	t.Run("mirror", func(t *testing.T) {
		// lws-mirror-protocol is the subprotocol offered by default.
		port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{mirror.Protocol()}, RejectProtocolLessUpgrades: true})
		checkPing(t, mustRun(t, "", "-mode", "ping", "-n", "3", "-i", "0.05", wsURL(port)), 3)
	})
	t.Run("echo", func(t *testing.T) {
		port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{echo.Protocol()}})
		checkPing(t, mustRun(t, "", "-mode", "ping", "-P", "", "-n", "3", "-i", "50ms", wsURL(port)), 3)
	})
}

// TestModePingInterrupt: without -n, ping runs until SIGINT and then
// prints its summary.
func TestModePingInterrupt(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{echo.Protocol()}})
	p := start(t, "-mode", "ping", "-P", "", "-i", "0.02", wsURL(port))
	var out strings.Builder
	for replies := 0; replies < 3; {
		l := p.line(t)
		out.WriteString(l + "\n")
		if pingReply.MatchString(l) {
			replies++
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, code := p.wait(t)
	out.WriteString(rest)
	m := pingSummary.FindStringSubmatch(out.String())
	if code != 0 || m == nil {
		t.Fatalf("exit %d:\n%s\nstderr:\n%s", code, out.String(), p.stderr.String())
	}
	if tx, _ := strconv.Atoi(m[1]); tx < 3 {
		t.Fatalf("%s packets transmitted", m[1])
	}
}

func TestModeEcho(t *testing.T) {
	proto, codes := closeRecorder(echo.Protocol())
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	out := mustRun(t, "", "-mode", "echo", "-n", "20", "-s", "3000", wsURL(port))
	if !strings.HasPrefix(out, "echo: 20 messages of 3000 bytes sent, 20 echoed and verified") {
		t.Fatalf("summary %q", out)
	}
	awaitClose(t, codes, ws.CloseNormal)

	// -P "" offers no subprotocol: the server binds its default, and -v
	// says that none was agreed.
	out, errOut, code := runCmd(t, "", "-v", "-mode", "echo", "-n", "1", "-P", "", wsURL(port))
	if code != 0 || !strings.HasPrefix(out, "echo: 1 messages") || !strings.Contains(errOut, "lws-client: protocol none, extensions: none\n") {
		t.Fatalf("-P \"\": exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
}

// lwswsSite runs lwsws, built from ../lwsws, on its built-in test site on
// a free loopback port until the test ends, and returns the port.
func lwswsSite(t *testing.T) int {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lwsws")
	if out, err := exec.Command("go", "build", "-o", bin, "../lwsws").CombinedOutput(); err != nil {
		t.Fatalf("go build lwsws: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-p", "0", "-d", "7")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ports := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on port (\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				ports <- m[1]
				break
			}
		}
		close(ports)
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case p, ok := <-ports:
		if !ok {
			t.Fatal("lwsws ended before listening")
		}
		port, _ := strconv.Atoi(p)
		return port
	case <-time.After(30 * time.Second):
		t.Fatal("lwsws did not say it was listening")
	}
	return 0
}

// TestModeEchoAgainstLwsws: echo mode offers the echo protocol, so the
// README's example works against lwsws's built-in site, whose first
// protocol (http-only) would otherwise take the connection and never
// answer; -v names the protocol and extensions the server agreed to
// (permessage-deflate, which the client offers and lwsws accepts, as lws
// does).
func TestModeEchoAgainstLwsws(t *testing.T) {
	port := lwswsSite(t)
	out, errOut, code := runCmd(t, "", "-mode", "echo", "-n", "20", "-s", "3000", "-v", "-t", "20", wsURL(port))
	if code != 0 || !strings.HasPrefix(out, "echo: 20 messages of 3000 bytes sent, 20 echoed and verified") {
		t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "lws-client: protocol "+echo.Name+", extensions: permessage-deflate\n") {
		t.Errorf("-v did not name the protocol and extensions:\n%s", errOut)
	}
	// -no-extensions offers none, as lws's test client's -n.
	out, errOut, code = runCmd(t, "", "-mode", "echo", "-n", "5", "-s", "3000", "-v", "-t", "20", "-no-extensions", wsURL(port))
	if code != 0 || !strings.HasPrefix(out, "echo: 5 messages of 3000 bytes sent, 5 echoed and verified") ||
		!strings.Contains(errOut, "lws-client: protocol "+echo.Name+", extensions: none\n") {
		t.Errorf("-no-extensions: exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
	// -P still chooses; the server's choice among those offered is shown.
	_, errOut, code = runCmd(t, "x\n", "-v", "-n", "1", "-t", "20", "-P", "nope, "+dumbincrement.Name+", "+echo.Name, wsURL(port))
	if code != 0 || !strings.Contains(errOut, "lws-client: protocol "+dumbincrement.Name+", extensions: permessage-deflate\n") {
		t.Errorf("exit %d; stderr:\n%s", code, errOut)
	}
}

// checkRefusedEcho checks that echo mode failed at once, saying that the
// upgrade offering the echo protocol was refused.
func checkRefusedEcho(t *testing.T, url string) {
	t.Helper()
	start := time.Now()
	_, errOut, code := runCmd(t, "", "-mode", "echo", "-n", "3", "-t", "30", url)
	if code != 1 || !strings.Contains(errOut, "CLIENT_CONNECTION_ERROR") ||
		!strings.Contains(errOut, `offered subprotocol "`+echo.Name+`"`) {
		t.Fatalf("exit %d after %v; stderr:\n%s", code, time.Since(start), errOut)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("the failure took %v", el)
	}
}

// TestModeEchoNotServed: a server that does not serve the echo protocol
// fails the run at once with a message that says so, instead of binding
// the connection to a protocol that never answers.
func TestModeEchoNotServed(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{
		{Name: "http-only", Callback: lws.CallbackHTTPDummy}, dumbincrement.Protocol()}})
	checkRefusedEcho(t, wsURL(port))
}

// TestModeEchoMismatch: an echo server that changes one byte fails the
// run.
func TestModeEchoMismatch(t *testing.T) {
	type session struct {
		msg   []byte
		q     [][]byte // whole messages to echo
		count int
	}
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{{
		Name:       echo.Name, // served under the echo protocol's name
		NewSession: func() any { return new(session) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*session)
			switch reason {
			case lws.CallbackReceive:
				s.msg = append(s.msg, in...)
				if c.IsFinalFragment() {
					s.q = append(s.q, s.msg)
					s.msg = nil
					c.CallbackOnWritable()
				}
			case lws.CallbackServerWriteable:
				if len(s.q) == 0 {
					return nil
				}
				msg := s.q[0]
				s.q = s.q[1:]
				if s.count++; s.count == 3 {
					msg[100] ^= 1
				}
				if len(s.q) > 0 {
					c.CallbackOnWritable()
				}
				_, err := c.Write(msg, lws.WriteBinary)
				return err
			}
			return nil
		},
	}}})
	_, errOut, code := runCmd(t, "", "-mode", "echo", "-n", "5", "-s", "500", wsURL(port))
	if code != 1 || !strings.Contains(errOut, "mismatch in message 2 at offset 100") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
}

func TestModeMirror(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{mirror.Protocol()}})
	out := mustRun(t, "", "-mode", "mirror", "-n", "20", wsURL(port))
	if !strings.HasPrefix(out, "mirror: 20 circles sent, 20 messages received, 20 of ours back") {
		t.Fatalf("summary %q", out)
	}
	out = mustRun(t, "", "-mode", "mirror", "-n", "5", "-r", "100", wsURL(port)+"?mirror=rated")
	if !strings.HasPrefix(out, "mirror: 5 circles sent") {
		t.Fatalf("summary %q", out)
	}
}

// TestModePingDeadline: -t is the length of a ping run, which ends with
// the summary.
func TestModePingDeadline(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{echo.Protocol()}})
	out := mustRun(t, "", "-mode", "ping", "-P", "", "-i", "0.02", "-t", "0.3", wsURL(port))
	if m := pingSummary.FindStringSubmatch(out); m == nil || m[1] == "0" {
		t.Fatalf("no summary of a run with pings:\n%s", out)
	}
}

func TestTimeout(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{dumbincrement.Protocol()}})
	out, errOut, code := runCmd(t, "", "-mode", "dumb", "-t", "0.3", wsURL(port))
	if code != 1 || !strings.Contains(errOut, "timed out after 300ms") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	checkNumbers(t, out, len(strings.Fields(out)))
}

// lwsTestServer runs libwebsockets' own test server (Debian's
// libwebsockets-test-server) on a free loopback port until the test ends.
// Without it the test is skipped, or fails when LWS_REQUIRE_PEERS is set.
func lwsTestServer(t *testing.T) int {
	t.Helper()
	bin, err := exec.LookPath("libwebsockets-test-server")
	if err != nil {
		msg := "libwebsockets-test-server is not installed (Debian package libwebsockets-test-server): run ./scripts/test.sh, which installs it"
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-p", strconv.Itoa(port), "-i", "lo", "-d", "3")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("libwebsockets-test-server:\n%s", logs.String())
		}
	})
	// Wait until it accepts, retrying the dial for at most 10 seconds.
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("libwebsockets-test-server does not accept on port %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAgainstLwsTestServer(t *testing.T) {
	port := lwsTestServer(t)
	t.Run("dumb", func(t *testing.T) {
		checkNumbers(t, mustRun(t, "", "-mode", "dumb", "-n", "5", wsURL(port)), 5)
	})
	t.Run("echo", func(t *testing.T) {
		// libwebsockets-test-server serves no echo protocol: it drops an
		// upgrade asking only for one.
		checkRefusedEcho(t, wsURL(port))
	})
	t.Run("mirror", func(t *testing.T) {
		out := mustRun(t, "", "-mode", "mirror", "-n", "10", wsURL(port))
		if !strings.HasPrefix(out, "mirror: 10 circles sent") || !strings.Contains(out, "10 of ours back") {
			t.Fatalf("summary %q", out)
		}
	})
}

// TestInteractiveWSServerSpeaksFirst: with no input at all, what a
// server sends unasked (lws-status's list, dumb-increment's numbers) is
// printed: the client does not close the moment its input ends, when the
// first message may still be on its way, but once the server has been
// quiet for wsLinger, or wsLinger after that moment for a server that
// never stops.
func TestInteractiveWSServerSpeaksFirst(t *testing.T) {
	port := serve(t, lws.VhostInfo{Protocols: []lws.Protocol{status.Protocol(), dumbincrement.Protocol()}})
	t.Run("status", func(t *testing.T) {
		// The race the quiet wait closes is lost about one time in
		// three without it: twenty tries make a pass by luck unlikely.
		for i := range 20 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				out := mustRun(t, "", "-P", status.Name, wsURL(port))
				if !strings.HasPrefix(out, `{"version":`) || !strings.HasSuffix(out, "]}\n") {
					t.Fatalf("printed %q, want the status", out)
				}
			})
		}
	})
	t.Run("dumb-increment", func(t *testing.T) {
		start := time.Now()
		out := mustRun(t, "", "-P", dumbincrement.Name, wsURL(port))
		if el := time.Since(start); el < wsLinger || el > wsLinger+10*time.Second {
			t.Errorf("closed after %v, want about %v after the input ended", el, wsLinger)
		}
		if n := strings.Count(out, "\n"); n < 10 {
			t.Errorf("printed %d numbers in %v: %q", n, wsLinger, out)
		}
	})
}
