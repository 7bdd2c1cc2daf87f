package attack

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The server program is built once per test binary, on first use, into a
// directory removed when the tests end.
var (
	buildDir  string
	buildOnce sync.Once
	serverBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// The attacks hold thousands of sockets in this process and in the
	// server it starts, which inherits the limit.
	if err := raiseNofile(); err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "golws-attack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	buildDir = dir
	return m.Run()
}

// nofileWanted is the open-file limit the tests ask for: the largest
// attack's connections in both processes, with room to spare.
const nofileWanted = 16384

// raiseNofile raises RLIMIT_NOFILE's soft limit to its hard limit, and
// the hard limit to nofileWanted when it is lower (the tests run as root
// in CI; elsewhere that step may fail, and the attacks then fail with the
// limit named).
func raiseNofile() error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Max < nofileWanted {
		nl := syscall.Rlimit{Cur: nofileWanted, Max: nofileWanted}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &nl) == nil {
			return nil
		}
	}
	rl.Cur = rl.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
}

// needNofile skips nothing: it fails the test when the open-file limit
// cannot hold n sockets, naming the limit.
func needNofile(t *testing.T, n int) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur < uint64(n)+256 {
		t.Fatalf("RLIMIT_NOFILE is %d: the attack needs %d sockets (raise the hard limit)", rl.Cur, n)
	}
}

func buildServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(buildDir, "testserver")
		out, err := exec.Command("go", "build", "-o", bin, "./testserver").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./testserver: %v\n%s", err, out)
			return
		}
		serverBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return serverBin
}

// server is a running testserver process.
type server struct {
	pid       int
	httpAddr  string // plain HTTP and WebSocket
	tlsAddr   string // the same over TLS
	log       *tailBuffer
	exited    chan struct{} // closed when the process has ended
	waitErr   error
	stopAsked bool
}

// backends are the event loop backends every attack runs against
// (testserver -e): epoll, the default, and poll(2).
var backends = []string{"epoll", "poll"}

// forEachBackend runs attack as a subtest per backend, one after the
// other.
func forEachBackend(t *testing.T, attack func(t *testing.T, backend string)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { attack(t, b) })
	}
}

// startServer starts the server with args (testserver's flags) in a
// process group of its own and waits until it listens. It is stopped
// (the whole group) when the test ends, whatever the outcome; should the
// test binary itself die, the kernel kills it (Pdeathsig).
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	bin := buildServer(t)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s := &server{log: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stderr = s.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.pid = cmd.Process.Pid
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })

	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		var hp, tp int
		if !ok {
			t.Fatalf("testserver ended before listening:\n%s", s.log)
		}
		if _, err := fmt.Sscanf(l, "listening http=%d https=%d", &hp, &tp); err != nil {
			t.Fatalf("testserver said %q: %v", l, err)
		}
		s.httpAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(hp))
		s.tlsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(tp))
	case <-time.After(30 * time.Second):
		t.Fatalf("testserver did not listen within 30 s:\n%s", s.log)
	}
	return s
}

// stop ends the server's process group: SIGTERM, then SIGKILL if it
// has not ended within 5 s. A server that ended by itself before is a
// failure (it crashed under attack).
func (s *server) stop(t *testing.T) {
	select {
	case <-s.exited:
		if !s.stopAsked {
			t.Errorf("testserver ended by itself (%v); its log:\n%s", s.waitErr, s.log)
		}
		return
	default:
	}
	s.stopAsked = true
	_ = syscall.Kill(-s.pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
		<-s.exited
		t.Errorf("testserver did not stop within 5 s of SIGTERM")
	}
	if t.Failed() {
		t.Logf("testserver's log (last %d bytes):\n%s", s.log.max, s.log)
	}
}

// alive fails the test if the server has ended.
func (s *server) alive(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		t.Fatalf("testserver ended under attack (%v); its log:\n%s", s.waitErr, s.log)
	default:
	}
}

// memory is the server's resident memory, as the kernel reports it.
type memory struct {
	rss int64 // VmRSS: resident now, bytes
	hwm int64 // VmHWM: the peak since the process started, bytes
}

func (s *server) mem(t *testing.T) memory {
	t.Helper()
	m, err := s.readMem()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readMem reads VmRSS and VmHWM from /proc/PID/status.
func (s *server) readMem() (memory, error) {
	var m memory
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return m, fmt.Errorf("reading the server's status: %w", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.rss
		case "VmHWM":
			dst = &m.hwm
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("the server's %s: %q", k, v)
		}
		*dst = kb << 10
	}
	if m.rss == 0 || m.hwm == 0 {
		return m, fmt.Errorf("no VmRSS or VmHWM in /proc/%d/status", s.pid)
	}
	return m, nil
}

// fds returns how many descriptors the server has open.
func (s *server) fds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.pid))
	if err != nil {
		t.Fatalf("reading the server's descriptors: %v", err)
	}
	return len(ents)
}

// warmUp serves a few requests of each kind, so that what the first
// requests allocate once (buffers, pools, the runtime's own) is in the
// baseline the attack is measured against, and returns that baseline.
func (s *server) warmUp(t *testing.T) memory {
	t.Helper()
	for range 5 {
		if _, err := httpGet(s.httpAddr, "/test.html", nil, 5*time.Second); err != nil {
			t.Fatalf("warm-up GET: %v", err)
		}
		if _, err := httpGet(s.tlsAddr, "/test.html", clientTLS, 5*time.Second); err != nil {
			t.Fatalf("warm-up https GET: %v", err)
		}
		if _, err := wsEcho(s.httpAddr, 5*time.Second); err != nil {
			t.Fatalf("warm-up echo: %v", err)
		}
	}
	return s.mem(t)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (tb *tailBuffer) Write(p []byte) (int, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.b = append(tb.b, p...)
	if over := len(tb.b) - tb.max; over > 0 {
		tb.b = append(tb.b[:0], tb.b[over:]...)
	}
	return len(p), nil
}

func (tb *tailBuffer) String() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return string(tb.b)
}

// clientTLS is the normal https client's configuration: the server's
// certificate is made at its start, so it is not verified.
var clientTLS = &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}

// httpGet is a normal client: it connects (over TLS when cfg is set),
// asks for path with a fresh connection, reads the whole response and
// returns how long all of that took. Anything but a 200 within timeout
// is an error.
func httpGet(addr, path string, cfg *tls.Config, timeout time.Duration) (time.Duration, error) {
	return httpGetFrom(nil, addr, path, cfg, timeout)
}

// httpGetFrom is httpGet from the local address from (nil: any).
func httpGetFrom(from net.IP, addr, path string, cfg *tls.Config, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	d := net.Dialer{Timeout: timeout}
	if from != nil {
		d.LocalAddr = &net.TCPAddr{IP: from}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(start.Add(timeout))
	if cfg != nil {
		tc := tls.Client(c, cfg)
		if err := tc.Handshake(); err != nil {
			return 0, fmt.Errorf("TLS handshake: %w", err)
		}
		c = tc
	}
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK || n == 0 {
		return 0, fmt.Errorf("GET %s: %s with %d bytes", path, resp.Status, n)
	}
	return time.Since(start), nil
}

// wsKey is the sample key of RFC 6455; the tests do not check the
// server's accept hash (golws's own tests do).
const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

// wsDial opens a WebSocket connection to the echo protocol with a plain
// upgrade request, and returns it with the reader that holds what
// followed the 101.
func wsDial(addr string, timeout time.Duration) (net.Conn, *bufio.Reader, error) {
	return wsDialWith(&net.Dialer{Timeout: timeout}, addr, timeout)
}

// wsDialWith is wsDial with the dialer given.
func wsDialWith(d *net.Dialer, addr string, timeout time.Duration) (net.Conn, *bufio.Reader, error) {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	req := "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + wsKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, nil, err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, nil, fmt.Errorf("upgrade answered %s", resp.Status)
	}
	_ = c.SetDeadline(time.Time{})
	return c, br, nil
}

// wsFrame returns one final client frame (masked, as a client must)
// with the opcode and payload.
func wsFrame(opcode byte, payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// wsRead reads one server frame (unmasked) and returns its opcode and
// payload.
func wsRead(br *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(br, e[:]); err != nil {
			return 0, nil, err
		}
		n = int(e[0])<<8 | int(e[1])
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(br, e[:]); err != nil {
			return 0, nil, err
		}
		n = 0
		for _, b := range e[4:] {
			n = n<<8 | int(b)
		}
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("a masked frame from the server")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0f, p, nil
}

// wsEcho is a normal WebSocket client: it connects, sends a text
// message, waits for its echo and returns how long all of that took.
func wsEcho(addr string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	c, br, err := wsDial(addr, timeout)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(start.Add(timeout))
	msg := []byte("are you there?")
	if _, err := c.Write(wsFrame(0x1, msg)); err != nil {
		return 0, err
	}
	op, p, err := wsRead(br)
	if err != nil {
		return 0, err
	}
	if op != 0x1 || !bytes.Equal(p, msg) {
		return 0, fmt.Errorf("echo: opcode %d, %q", op, p)
	}
	return time.Since(start), nil
}

// probes runs a normal client's request every interval until stopped,
// and keeps every latency and failure.
type probes struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	lat   []time.Duration
	at    []time.Time // when each probe of lat began
	errs  []error
}

func startProbes(interval time.Duration, probe func() (time.Duration, error)) *probes {
	p := &probes{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			began := time.Now()
			d, err := probe()
			p.mu.Lock()
			if err != nil {
				p.errs = append(p.errs, err)
			} else {
				p.lat = append(p.lat, d)
				p.at = append(p.at, began)
			}
			p.mu.Unlock()
			select {
			case <-p.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// more waits until n more probes have ended, or d has passed.
func (p *probes) more(n int, d time.Duration) {
	count := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.lat) + len(p.errs)
	}
	want := count() + n
	waitFor(d, func() bool { return count() >= want })
}

// slowest returns when the slowest probe began, and how long it took.
func (p *probes) slowest() (time.Time, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var at time.Time
	var d time.Duration
	for i, l := range p.lat {
		if l > d {
			at, d = p.at[i], l
		}
	}
	return at, d
}

// split returns the longest latency of the probes that began before at,
// and of those that began at or after it, with their count.
func (p *probes) split(at time.Time) (before, after time.Duration, nAfter int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, l := range p.lat {
		if p.at[i].Before(at) {
			before = max(before, l)
		} else {
			after = max(after, l)
			nAfter++
		}
	}
	return before, after, nAfter
}

// stop ends the probes and returns their count, maximum and median
// latency, and failures.
func (p *probes) stop() (n int, maxLat, median time.Duration, errs []error) {
	close(p.stopc)
	<-p.done
	lat := slices.Clone(p.lat)
	slices.Sort(lat)
	if len(lat) > 0 {
		maxLat, median = lat[len(lat)-1], lat[len(lat)/2]
	}
	return len(lat), maxLat, median, p.errs
}

// waitFor polls cond every 50 ms until it holds or d has passed, and
// reports whether it held.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// kib formats a byte count in KiB.
func kib(n int64) string { return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10)) }
