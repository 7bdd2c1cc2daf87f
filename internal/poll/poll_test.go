//go:build unix

package poll

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testBackend is one poller configuration the shared suite runs against.
type testBackend struct {
	label string // sub-test name
	name  string // expected Name()
	open  func() (Poller, error)
}

// testBackends returns the public backends of this platform plus the
// platform's extra configurations (on Linux: the pipe waker in place of
// the eventfd, so the portable wake-up path is exercised too).
func testBackends() []testBackend {
	var bs []testBackend
	for _, name := range []string{"epoll", "poll"} {
		if name == "epoll" && runtime.GOOS != "linux" {
			continue
		}
		bs = append(bs, testBackend{label: name, name: name, open: func() (Poller, error) { return New(name) }})
	}
	return append(bs, extraBackends...)
}

// forEachBackend runs f as a sub-test for every backend with a fresh
// poller, closed when the sub-test ends (after the fds f registered, since
// cleanups run last-in first-out).
func forEachBackend(t *testing.T, f func(t *testing.T, p Poller)) {
	t.Helper()
	for _, b := range testBackends() {
		t.Run(b.label, func(t *testing.T) {
			f(t, openPoller(t, b))
		})
	}
}

func openPoller(tb testing.TB, b testBackend) Poller {
	tb.Helper()
	p, err := b.open()
	if err != nil {
		tb.Fatalf("open %s: %v", b.label, err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if p.Name() != b.name {
		tb.Fatalf("Name() = %q, want %q", p.Name(), b.name)
	}
	return p
}

// track closes fd when the test ends and returns a function closing it
// earlier; either way it is closed exactly once.
func track(tb testing.TB, fd int) (closeNow func()) {
	var once sync.Once
	closeNow = func() { once.Do(func() { unix.Close(fd) }) }
	tb.Cleanup(closeNow)
	return closeNow
}

// pair is two connected descriptors: a is the one under watch, b its peer.
type pair struct {
	a, b           int
	closeA, closeB func()
}

func newPair(tb testing.TB, a, b int) pair {
	return pair{a: a, b: b, closeA: track(tb, a), closeB: track(tb, b)}
}

func nonblock(tb testing.TB, fds ...int) {
	tb.Helper()
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			tb.Fatalf("set non-blocking: %v", err)
		}
		unix.CloseOnExec(fd)
	}
}

// socketPair returns a connected, non-blocking AF_UNIX stream pair.
func socketPair(tb testing.TB) pair {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatalf("socketpair: %v", err)
	}
	p := newPair(tb, fds[0], fds[1])
	nonblock(tb, fds[0], fds[1])
	return p
}

// pipePair returns a non-blocking pipe: a is the read end, b the write end.
func pipePair(tb testing.TB) pair {
	tb.Helper()
	r, w := newPipe(tb)
	return newPair(tb, r, w)
}

// listenTCP returns a non-blocking TCP listener on 127.0.0.1 and its
// address.
func listenTCP(tb testing.TB) (int, *unix.SockaddrInet4) {
	tb.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatalf("socket: %v", err)
	}
	track(tb, fd)
	nonblock(tb, fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		tb.Fatalf("listen: %v", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		tb.Fatalf("getsockname: %v", err)
	}
	return fd, sa.(*unix.SockaddrInet4)
}

// dialTCP starts a non-blocking connect to addr.
func dialTCP(tb testing.TB, addr *unix.SockaddrInet4) int {
	tb.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatalf("socket: %v", err)
	}
	track(tb, fd)
	nonblock(tb, fd)
	if err := unix.Connect(fd, addr); err != nil && err != unix.EINPROGRESS {
		tb.Fatalf("connect: %v", err)
	}
	return fd
}

// tcpPair returns a connected loopback TCP pair: a is the accepted side,
// b the dialing side. It waits for the handshake with poll(2) directly so
// the pollers under test see nothing of it.
func tcpPair(tb testing.TB) pair {
	tb.Helper()
	lfd, addr := listenTCP(tb)
	cfd := dialTCP(tb, addr)
	pfd := []unix.PollFd{{Fd: int32(lfd), Events: unix.POLLIN}}
	for {
		nfd, _, err := unix.Accept(lfd)
		if err == nil {
			p := pair{a: nfd, b: cfd, closeA: track(tb, nfd)}
			nonblock(tb, nfd)
			p.closeB = track(tb, cfd)
			return p
		}
		if err != unix.EAGAIN && err != unix.EINTR {
			tb.Fatalf("accept: %v", err)
		}
		if n, err := unix.Poll(pfd, 5000); n == 0 && err == nil {
			tb.Fatal("accept: no connection within 5s")
		}
	}
}

func write(tb testing.TB, fd int, s string) {
	tb.Helper()
	if n, err := unix.Write(fd, []byte(s)); err != nil || n != len(s) {
		tb.Fatalf("write fd %d: n=%d err=%v", fd, n, err)
	}
}

// drain reads fd until EAGAIN and returns how many bytes it got.
func drain(tb testing.TB, fd int) int {
	tb.Helper()
	var buf [4096]byte
	total := 0
	for {
		n, err := unix.Read(fd, buf[:])
		switch {
		case err == unix.EAGAIN:
			return total
		case err != nil:
			tb.Fatalf("read fd %d: %v", fd, err)
		case n == 0:
			return total
		}
		total += n
	}
}

// collect runs one Wait and merges the results per fd. It fails the test
// if an fd appears twice in one Wait.
func collect(tb testing.TB, p Poller, timeoutMs int) map[int32]uint32 {
	tb.Helper()
	var evs [64]Event
	n, err := p.Wait(evs[:], timeoutMs)
	if err != nil {
		tb.Fatalf("Wait(%d): %v", timeoutMs, err)
	}
	got := make(map[int32]uint32, n)
	for _, e := range evs[:n] {
		if _, dup := got[e.FD]; dup {
			tb.Fatalf("fd %d reported twice in one Wait", e.FD)
		}
		got[e.FD] = e.Events
	}
	return got
}

// waitFor waits (up to 5s, in Waits of at most 100ms) until fd has been
// reported with all bits of want, and returns the union of what was
// reported for it.
func waitFor(tb testing.TB, p Poller, fd int, want uint32) uint32 {
	tb.Helper()
	return waitForAll(tb, p, map[int]uint32{fd: want})[int32(fd)]
}

// waitForAll is waitFor for several fds at once. Waiting for them one by
// one would lose, on an edge-triggered poller, the reports about the
// others that arrive meanwhile.
func waitForAll(tb testing.TB, p Poller, want map[int]uint32) map[int32]uint32 {
	tb.Helper()
	seen := make(map[int32]uint32)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for fd, ev := range collect(tb, p, 100) {
			seen[fd] |= ev
		}
		done := true
		for fd, w := range want {
			if seen[int32(fd)]&w != w {
				done = false
			}
		}
		if done {
			return seen
		}
	}
	for fd, w := range want {
		if got := seen[int32(fd)]; got&w != w {
			tb.Errorf("fd %d: reported %s within 5s, want %s", fd, bits(got), bits(w))
		}
	}
	tb.FailNow()
	return nil
}

// bits formats event bits for failure messages.
func bits(ev uint32) string {
	var s []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{In, "In"}, {Out, "Out"}, {Hup, "Hup"}, {Err, "Err"}} {
		if ev&b.bit != 0 {
			s = append(s, b.name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "|")
}

// watchdog registers a pipe that is written to after d unless stop is
// called first, so a Wait(-1) that is never woken fails the test instead of
// hanging it. fired reports whether ev came from the watchdog.
type watchdog struct {
	fd    int
	stopT func() bool
	done  chan struct{}
}

func startWatchdog(tb testing.TB, p Poller, d time.Duration) *watchdog {
	tb.Helper()
	pp := pipePair(tb)
	if err := p.Add(pp.a, In); err != nil {
		tb.Fatalf("Add watchdog: %v", err)
	}
	w := &watchdog{fd: pp.a, done: make(chan struct{})}
	timer := time.AfterFunc(d, func() {
		defer close(w.done)
		unix.Write(pp.b, []byte{1})
	})
	w.stopT = timer.Stop
	tb.Cleanup(func() {
		if !timer.Stop() {
			<-w.done // the write must finish before the pipe is closed
		}
	})
	return w
}

// waitWoken runs Wait(-1), failing if the watchdog rather than a Wake ended
// it, and returns the count of the events that were not the watchdog's.
func waitWoken(tb testing.TB, p Poller, w *watchdog, evs []Event) int {
	tb.Helper()
	n, err := p.Wait(evs, -1)
	if err != nil {
		tb.Fatalf("Wait(-1): %v", err)
	}
	k := 0
	for _, e := range evs[:n] {
		if int(e.FD) == w.fd {
			tb.Fatal("Wait(-1) was not woken by Wake (watchdog fired)")
		}
		k++
	}
	return k
}

func TestNew(t *testing.T) {
	p, err := New("")
	if err != nil {
		t.Fatalf("New(\"\"): %v", err)
	}
	defer p.Close()
	want := "poll"
	if runtime.GOOS == "linux" {
		want = "epoll"
	}
	if p.Name() != want {
		t.Errorf("default backend is %q, want %q", p.Name(), want)
	}

	_, err = New("kqueue")
	if err == nil {
		t.Fatal("New(\"kqueue\") succeeded")
	}
	msg := err.Error()
	for _, s := range []string{"kqueue", `"poll"`} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %s", msg, s)
		}
	}
	if runtime.GOOS == "linux" && !strings.Contains(msg, `"epoll"`) {
		t.Errorf("error %q does not list epoll", msg)
	}
	if runtime.GOOS != "linux" {
		if _, err := New("epoll"); err == nil {
			t.Error("New(\"epoll\") succeeded outside Linux")
		}
	}

	forEachBackend(t, func(t *testing.T, p Poller) {
		if got, want := p.EdgeTriggered(), p.Name() == "epoll"; got != want {
			t.Errorf("EdgeTriggered() = %v, want %v", got, want)
		}
	})
}

func TestReadable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		sp := socketPair(t)
		if err := p.Add(sp.a, In); err != nil {
			t.Fatal(err)
		}
		if ev := collect(t, p, 0)[int32(sp.a)]; ev&In != 0 {
			t.Fatalf("fd reported %s before the peer wrote", bits(ev))
		}
		write(t, sp.b, "hello")
		ev := waitFor(t, p, sp.a, In)
		if ev&(Hup|Err) != 0 {
			t.Errorf("reported %s, want no Hup or Err", bits(ev))
		}
		var buf [16]byte
		if n, err := unix.Read(sp.a, buf[:]); err != nil || string(buf[:n]) != "hello" {
			t.Errorf("read %q, %v", buf[:n], err)
		}
	})
}

func TestWritable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		sp := socketPair(t)
		if err := p.Add(sp.a, Out); err != nil {
			t.Fatal(err)
		}
		waitFor(t, p, sp.a, Out)
	})
}

func TestTCPAcceptAndConnect(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		lfd, addr := listenTCP(t)
		if err := p.Add(lfd, In); err != nil {
			t.Fatal(err)
		}
		cfd := dialTCP(t, addr)
		if err := p.Add(cfd, Out); err != nil {
			t.Fatal(err)
		}
		waitForAll(t, p, map[int]uint32{cfd: Out, lfd: In})
		if soerr, err := unix.GetsockoptInt(cfd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soerr != 0 {
			t.Fatalf("connect: SO_ERROR=%d, %v", soerr, err)
		}
		nfd, _, err := unix.Accept(lfd)
		if err != nil {
			t.Fatalf("accept after In: %v", err)
		}
		track(t, nfd)
		nonblock(t, nfd)

		// Data and close over the accepted connection.
		if err := p.Add(nfd, In); err != nil {
			t.Fatal(err)
		}
		write(t, cfd, "ping")
		waitFor(t, p, nfd, In)
		if n := drain(t, nfd); n != 4 {
			t.Errorf("read %d bytes, want 4", n)
		}
	})
}

func TestEdgeVersusLevel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		sp := socketPair(t)
		fd := int32(sp.a)
		if err := p.Add(sp.a, In); err != nil {
			t.Fatal(err)
		}
		write(t, sp.b, "hello")
		waitFor(t, p, sp.a, In)

		if p.EdgeTriggered() {
			// Data remains unread, but nothing changed: no new report.
			if ev, ok := collect(t, p, 0)[fd]; ok {
				t.Fatalf("edge: reported %s again without new data", bits(ev))
			}
			if n := drain(t, sp.a); n != 5 {
				t.Fatalf("read %d bytes, want 5", n)
			}
			if ev, ok := collect(t, p, 0)[fd]; ok {
				t.Fatalf("edge: reported %s after draining", bits(ev))
			}
			write(t, sp.b, "again")
			waitFor(t, p, sp.a, In)
			if ev, ok := collect(t, p, 0)[fd]; ok {
				t.Fatalf("edge: reported %s twice for one write", bits(ev))
			}
			return
		}

		// Level: reported on every Wait while data remains.
		for i := range 3 {
			if ev := collect(t, p, 0)[fd]; ev&In == 0 {
				t.Fatalf("level: Wait %d after the first reported %s, want In", i+1, bits(ev))
			}
		}
		var buf [2]byte
		if _, err := unix.Read(sp.a, buf[:]); err != nil {
			t.Fatal(err)
		}
		if ev := collect(t, p, 0)[fd]; ev&In == 0 {
			t.Fatalf("level: reported %s with 3 bytes left, want In", bits(ev))
		}
		drain(t, sp.a)
		if ev, ok := collect(t, p, 0)[fd]; ok {
			t.Fatalf("level: reported %s after draining", bits(ev))
		}
	})
}

func TestHup(t *testing.T) {
	kinds := []struct {
		name string
		mk   func(testing.TB) pair
	}{
		{"socketpair", socketPair},
		{"pipe", pipePair},
		{"tcp", tcpPair},
	}
	forEachBackend(t, func(t *testing.T, p Poller) {
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				if k.name == "tcp" && p.Name() == "poll" && pollRDHUP == 0 {
					t.Skip("poll(2) here has no POLLRDHUP: a TCP half-close shows as In and EOF only")
				}
				pp := k.mk(t)
				if err := p.Add(pp.a, In); err != nil {
					t.Fatal(err)
				}
				write(t, pp.b, "bye")
				pp.closeB()
				ev := waitFor(t, p, pp.a, Hup)
				if ev&In == 0 {
					t.Errorf("reported %s, want Hup together with In", bits(ev))
				}
				if n := drain(t, pp.a); n != 3 {
					t.Errorf("read %d bytes before EOF, want 3", n)
				}
				var buf [1]byte
				if n, err := unix.Read(pp.a, buf[:]); n != 0 || err != nil {
					t.Errorf("read after Hup = %d, %v; want EOF", n, err)
				}
				if err := p.Delete(pp.a); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

func TestModify(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		sp := socketPair(t)
		fd := int32(sp.a)
		if err := p.Add(sp.a, In|Out); err != nil {
			t.Fatal(err)
		}
		write(t, sp.b, "data")
		waitFor(t, p, sp.a, In|Out)

		if p.EdgeTriggered() {
			for _, ev := range []uint32{0, In, Out, In | Out} {
				if err := p.Modify(sp.a, ev); err != nil {
					t.Errorf("edge: Modify(%s) = %v, want nil", bits(ev), err)
				}
			}
			if err := p.Modify(1<<20, In); err != nil {
				t.Errorf("edge: Modify of an unwatched fd = %v, want nil", err)
			}
			return
		}

		if err := p.Modify(sp.a, Out); err != nil {
			t.Fatal(err)
		}
		if ev := collect(t, p, 0)[fd]; ev != Out {
			t.Errorf("interest Out: reported %s, want Out", bits(ev))
		}
		if err := p.Modify(sp.a, 0); err != nil {
			t.Fatal(err)
		}
		if ev, ok := collect(t, p, 0)[fd]; ok {
			t.Errorf("empty interest: reported %s", bits(ev))
		}
		if err := p.Modify(sp.a, In); err != nil {
			t.Fatal(err)
		}
		if ev := collect(t, p, 0)[fd]; ev != In {
			t.Errorf("interest In: reported %s, want In", bits(ev))
		}
		if err := p.Modify(1<<20, In); !errors.Is(err, unix.ENOENT) {
			t.Errorf("Modify of an unwatched fd = %v, want ENOENT", err)
		}
	})
}

func TestDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		sps := []pair{socketPair(t), socketPair(t), socketPair(t)}
		for _, sp := range sps {
			if err := p.Add(sp.a, In); err != nil {
				t.Fatal(err)
			}
		}
		// Delete the first so the poll backend moves its last entry.
		if err := p.Delete(sps[0].a); err != nil {
			t.Fatal(err)
		}
		for _, sp := range sps {
			write(t, sp.b, "x")
		}
		waitForAll(t, p, map[int]uint32{sps[1].a: In, sps[2].a: In})
		if p.EdgeTriggered() {
			write(t, sps[0].b, "y") // a new edge, for an fd no longer watched
		}
		if ev, ok := collect(t, p, 0)[int32(sps[0].a)]; ok {
			t.Fatalf("deleted fd reported %s", bits(ev))
		}
		if err := p.Delete(sps[0].a); !errors.Is(err, unix.ENOENT) {
			t.Errorf("second Delete = %v, want ENOENT", err)
		}
		// A deleted fd can be added again.
		if err := p.Add(sps[0].a, In); err != nil {
			t.Fatalf("re-Add: %v", err)
		}
		waitFor(t, p, sps[0].a, In)
	})
}

func TestAddErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		sp := socketPair(t)
		if err := p.Add(sp.a, In); err != nil {
			t.Fatal(err)
		}
		err := p.Add(sp.a, In)
		if !errors.Is(err, unix.EEXIST) {
			t.Errorf("second Add = %v, want EEXIST", err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "poll: ") {
			t.Errorf("error %q lacks the poll: prefix", err)
		}
		if err := p.Add(-1, In); err == nil {
			t.Error("Add(-1) succeeded")
		}
		if _, err := p.Wait(nil, 0); err == nil {
			t.Error("Wait with no room for events succeeded")
		}
	})
}

func TestWaitTimeoutZero(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		pp := pipePair(t) // an idle read end: neither readable nor writable
		if err := p.Add(pp.a, In); err != nil {
			t.Fatal(err)
		}
		var evs [8]Event
		start := time.Now()
		for range 10 {
			n, err := p.Wait(evs[:], 0)
			if n != 0 || err != nil {
				t.Fatalf("idle Wait(0) = %d, %v; want 0, nil", n, err)
			}
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("10 idle Wait(0) took %v", d)
		}
	})
}

func TestWaitTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		pp := pipePair(t)
		if err := p.Add(pp.a, In); err != nil {
			t.Fatal(err)
		}
		if d := waitIdle(t, p, 50); d < 40*time.Millisecond {
			t.Errorf("Wait(50) returned after %v", d)
		}
	})
}

// rawWaiter is implemented by every backend: Wait plus whether the kernel
// call was interrupted by a signal.
type rawWaiter interface {
	wait(evs []Event, timeoutMs int) (int, bool, error)
}

// waitIdle runs Wait(ms) on a poller with nothing to report, asserting it
// reports nothing, and returns how long it blocked. A Wait cut short by a
// signal (EINTR; the Go runtime preempts with SIGURG) is resumed for the
// remaining time; any other early return counts against the poller.
func waitIdle(t *testing.T, p Poller, ms int) time.Duration {
	t.Helper()
	rw, ok := p.(rawWaiter)
	if !ok {
		t.Fatalf("%T has no wait method", p)
	}
	var evs [8]Event
	start := time.Now()
	deadline := start.Add(time.Duration(ms) * time.Millisecond)
	for left := ms; ; {
		n, intr, err := rw.wait(evs[:], left)
		if n != 0 || err != nil {
			t.Fatalf("idle Wait(%d) = %d, %v; want 0, nil", left, n, err)
		}
		rest := time.Until(deadline)
		if !intr || rest <= 0 {
			break
		}
		left = int((rest + time.Millisecond - 1) / time.Millisecond)
	}
	return time.Since(start)
}

// checkWakeDrained asserts that no wake-up is pending: the flag is clear
// and the wake fd has nothing to read.
func checkWakeDrained(t *testing.T, p Poller) {
	t.Helper()
	w := wakerOf(p)
	if w == nil {
		t.Fatalf("no waker for %T", p)
	}
	if v := w.pending.Load(); v != 0 {
		t.Errorf("wake flag = %d after draining, want 0", v)
	}
	var buf [8]byte
	if n, err := unix.Read(w.rfd, buf[:]); err != unix.EAGAIN {
		t.Errorf("wake fd read = %d, %v; want EAGAIN", n, err)
	}
}

func TestWakeConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		wd := startWatchdog(t, p, 10*time.Second)
		var evs [8]Event
		start := make(chan struct{})
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				<-start
				errs <- p.Wake()
			})
		}
		close(start)
		if n := waitWoken(t, p, wd, evs[:]); n != 0 {
			t.Errorf("woken Wait(-1) returned %d events, want 0", n)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Wake: %v", err)
			}
		}
		// Wakes that came after the drain may have written once more;
		// a non-blocking Wait consumes that and reports nothing.
		if n, err := p.Wait(evs[:], 0); n != 0 || err != nil {
			t.Fatalf("Wait(0) after the Wakes = %d, %v; want 0, nil", n, err)
		}
		checkWakeDrained(t, p)
		if d := waitIdle(t, p, 50); d < 40*time.Millisecond {
			t.Errorf("a stale wake-up ended Wait(50) after %v", d)
		}
	})
}

// TestWakeRounds repeats Wake racing with a blocking Wait, checking that no
// wake-up is ever lost to the coalescing flag.
func TestWakeRounds(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	forEachBackend(t, func(t *testing.T, p Poller) {
		wd := startWatchdog(t, p, 20*time.Second)
		var evs [4]Event
		for range rounds {
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					if err := p.Wake(); err != nil {
						t.Error(err)
					}
				})
			}
			waitWoken(t, p, wd, evs[:])
			wg.Wait()
		}
		p.Wait(evs[:], 0) // consume a late write, if any
		checkWakeDrained(t, p)
	})
}

func TestWakeBeforeWait(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		wd := startWatchdog(t, p, 10*time.Second)
		var evs [8]Event
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		if n := waitWoken(t, p, wd, evs[:]); n != 0 {
			t.Errorf("woken Wait returned %d events, want 0", n)
		}
		checkWakeDrained(t, p)

		// Many Wakes before a Wait cause one early return, not many.
		for range 100 {
			if err := p.Wake(); err != nil {
				t.Fatal(err)
			}
		}
		waitWoken(t, p, wd, evs[:])
		if d := waitIdle(t, p, 50); d < 40*time.Millisecond {
			t.Errorf("coalesced Wakes ended a second Wait after %v", d)
		}
	})
}

func TestEventsCapped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		const ready = 4
		want := make(map[int32]bool)
		for range ready {
			sp := socketPair(t)
			if err := p.Add(sp.a, In); err != nil {
				t.Fatal(err)
			}
			write(t, sp.b, "x")
			want[int32(sp.a)] = true
		}
		var small [2]Event
		n, err := p.Wait(small[:], 1000)
		if err != nil || n != len(small) {
			t.Fatalf("Wait with %d ready fds and room for %d = %d, %v", ready, len(small), n, err)
		}
		first := make(map[int32]bool)
		for _, e := range small[:n] {
			if !want[e.FD] || e.Events&In == 0 {
				t.Fatalf("unexpected event fd %d %s", e.FD, bits(e.Events))
			}
			first[e.FD] = true
		}

		// Nothing is lost: the rest come with the next Wait. The edge
		// backend reports only those; the level one reports all again.
		rest := collect(t, p, 0)
		seen := make(map[int32]bool)
		for fd := range first {
			seen[fd] = true
		}
		for fd := range rest {
			if !want[fd] {
				t.Fatalf("unexpected fd %d", fd)
			}
			if p.EdgeTriggered() && first[fd] {
				t.Errorf("edge: fd %d reported again", fd)
			}
			seen[fd] = true
		}
		if len(seen) != ready {
			t.Errorf("%d of %d ready fds reported over two Waits", len(seen), ready)
		}

		// A pending wake-up takes no slot away from the caller's events
		// beyond the cap: one slot still yields at most one event.
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		if !p.EdgeTriggered() {
			n, err := p.Wait(small[:1], 0)
			if err != nil || n != 1 {
				t.Fatalf("Wait with one slot = %d, %v; want 1", n, err)
			}
		} else {
			n, err := p.Wait(small[:1], 0)
			if err != nil || n > 1 {
				t.Fatalf("Wait with one slot = %d, %v", n, err)
			}
		}
	})
}

func TestClose(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.label, func(t *testing.T) {
			countFDs(t) // let the runtime open whatever it opens once
			before, ok := countFDs(t)
			p, err := b.open()
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				if during, _ := countFDs(t); during <= before {
					t.Errorf("open fds: %d before New, %d after", before, during)
				}
			}
			sp := socketPair(t)
			if err := p.Add(sp.a, In); err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if ok {
				// socketPair added two fds of its own.
				if after, _ := countFDs(t); after != before+2 {
					t.Errorf("open fds: %d before New, %d after Close (+2 watched, not closed)", before, after)
				}
			}
			// Watched fds stay open.
			write(t, sp.b, "still open")
			if n := drain(t, sp.a); n != len("still open") {
				t.Errorf("watched fd: read %d bytes after Close", n)
			}

			if err := p.Close(); err != nil {
				t.Errorf("second Close = %v", err)
			}
			var evs [4]Event
			if _, err := p.Wait(evs[:], 0); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Wait after Close = %v, want os.ErrClosed", err)
			}
			if err := p.Add(sp.b, In); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Add after Close = %v, want os.ErrClosed", err)
			}
			if err := p.Delete(sp.a); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Delete after Close = %v, want os.ErrClosed", err)
			}
			if err := p.Wake(); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Wake after Close = %v, want os.ErrClosed", err)
			}
		})
	}
}

// TestCloseWhileWaking closes a poller while other goroutines Wake it: the
// Wakes either succeed or report the poller closed.
func TestCloseWhileWaking(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.label, func(t *testing.T) {
			p, err := b.open()
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 4 {
				wg.Go(func() {
					<-start
					for range 100 {
						if err := p.Wake(); err != nil && !errors.Is(err, os.ErrClosed) {
							t.Errorf("Wake: %v", err)
							return
						}
					}
				})
			}
			close(start)
			var evs [4]Event
			p.Wait(evs[:], 0)
			if err := p.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			wg.Wait()
		})
	}
}

// oneReady drives one fd through the steady state of a service loop: the
// peer makes it ready, Wait reports it, the loop drains it.
type oneReady struct {
	p    Poller
	sp   pair
	evs  [16]Event
	buf  [1]byte
	msg  [1]byte
	fail func(format string, args ...any)
}

func newOneReady(tb testing.TB, p Poller) *oneReady {
	r := &oneReady{p: p, sp: socketPair(tb), fail: tb.Fatalf}
	if err := p.Add(r.sp.a, In); err != nil {
		tb.Fatal(err)
	}
	r.run(1) // size the poller's buffers
	return r
}

func (r *oneReady) run(n int) {
	for range n {
		if _, err := unix.Write(r.sp.b, r.msg[:]); err != nil {
			r.fail("write: %v", err)
		}
		k, err := r.p.Wait(r.evs[:], -1)
		if err != nil || k != 1 || r.evs[0].FD != int32(r.sp.a) {
			r.fail("Wait = %d, %v, %+v", k, err, r.evs[0])
		}
		if _, err := unix.Read(r.sp.a, r.buf[:]); err != nil {
			r.fail("read: %v", err)
		}
	}
}

func TestWaitNoAllocs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		r := newOneReady(t, p)
		if a := testing.AllocsPerRun(100, func() { r.run(1) }); a != 0 {
			t.Errorf("%.1f allocations per Wait, want 0", a)
		}
		wake := testing.AllocsPerRun(100, func() {
			if err := p.Wake(); err != nil {
				t.Fatal(err)
			}
			if n, err := p.Wait(r.evs[:], 0); n != 0 || err != nil {
				t.Fatalf("Wait = %d, %v", n, err)
			}
		})
		if wake != 0 {
			t.Errorf("%.1f allocations per Wake and Wait, want 0", wake)
		}
	})
}

func BenchmarkWaitOneReady(b *testing.B) {
	for _, tb := range testBackends() {
		b.Run(tb.label, func(b *testing.B) {
			r := newOneReady(b, openPoller(b, tb))
			b.ReportAllocs()
			b.ResetTimer()
			r.run(b.N)
		})
	}
}
