package poll

import (
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// extraBackends runs the suite also with the portable pipe waker.
var extraBackends = []testBackend{
	{label: "epoll+pipewake", name: "epoll", open: func() (Poller, error) {
		p, err := newEpoll(newPipeWaker)
		if err != nil {
			return nil, err
		}
		return p, nil
	}},
	{label: "poll+pipewake", name: "poll", open: func() (Poller, error) {
		p, err := newPoll(newPipeWaker)
		if err != nil {
			return nil, err
		}
		return p, nil
	}},
}

// newPipe returns a non-blocking, close-on-exec pipe.
func newPipe(tb testing.TB) (r, w int) {
	tb.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		tb.Fatalf("pipe2: %v", err)
	}
	return p[0], p[1]
}

// countFDs counts the entries of /proc/self/fd.
func countFDs(tb testing.TB) (int, bool) {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatalf("read /proc/self/fd: %v", err)
	}
	return len(ents), true
}

// wakerOf returns the waker of a poller.
func wakerOf(p Poller) *waker {
	switch p := p.(type) {
	case *epoller:
		return p.w
	case *poller:
		return p.w
	}
	return nil
}

// TestWaitEINTR interrupts a blocked Wait(-1) with signals sent to its
// thread: it must return 0 events and no error.
func TestWaitEINTR(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p Poller) {
		wd := startWatchdog(t, p, 10*time.Second)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		pid, tid := unix.Getpid(), unix.Gettid()

		// SIGURG is what the runtime itself preempts with; an unrequested
		// one is ignored by the runtime but still interrupts the syscall.
		signal := func() (stop func()) {
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					unix.Tgkill(pid, tid, unix.SIGURG)
					runtime.Gosched()
				}
			})
			return func() { close(done); wg.Wait() }
		}

		var evs [4]Event
		stop := signal()
		n, intr, err := p.(rawWaiter).wait(evs[:], -1)
		stop()
		if n != 0 || err != nil || !intr {
			t.Fatalf("interrupted wait = %d, %v, %v; want 0, true, nil", n, intr, err)
		}

		stop = signal()
		n = waitWoken(t, p, wd, evs[:])
		stop()
		if n != 0 {
			t.Fatalf("interrupted Wait(-1) returned %d events", n)
		}
	})
}
