package lws_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
)

// backends lists the event loop backends every loop test runs against.
var backends = []string{lws.EventLibEpoll, lws.EventLibPoll}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// loopRunner runs a context's loop on its own goroutine, as an application
// would, and lets the test hand work to the loop the lws way: publish it
// under a lock, CancelService, act in EVENT_WAIT_CANCELLED.
type loopRunner struct {
	t      testing.TB
	cx     *lws.Context
	cancel context.CancelFunc
	done   chan error

	mu   sync.Mutex
	jobs []func()
}

// newContext makes a context whose first vhost is a control vhost that
// runs jobs handed over by do. setup creates the test's vhosts; it runs
// before the loop starts, on the goroutine that later services it.
func newContext(t testing.TB, info lws.ContextInfo, setup func(cx *lws.Context)) *loopRunner {
	t.Helper()
	fds := openFDs(t)
	goroutines := runtime.NumGoroutine()
	cx, err := lws.NewContext(info)
	if err != nil {
		t.Fatal(err)
	}
	r := &loopRunner{t: t, cx: cx, done: make(chan error, 1)}
	_, err = cx.CreateVhost(lws.VhostInfo{
		Name: "control",
		Port: lws.PortNoListen,
		Protocols: []lws.Protocol{{Name: "control", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackEventWaitCancelled {
				r.runJobs()
			}
			return nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(cx)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		err := cx.Run(ctx)
		cx.Destroy()
		r.done <- err
	}()
	t.Cleanup(func() {
		r.stop()
		waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= goroutines })
		waitFor(t, "descriptors to close", func() bool { return openFDs(t) <= fds })
	})
	return r
}

func (r *loopRunner) runJobs() {
	r.mu.Lock()
	jobs := r.jobs
	r.jobs = nil
	r.mu.Unlock()
	for _, j := range jobs {
		j()
	}
}

// do runs fn on the loop and waits for it.
func (r *loopRunner) do(fn func()) {
	r.t.Helper()
	done := make(chan struct{})
	r.mu.Lock()
	r.jobs = append(r.jobs, func() { fn(); close(done) })
	r.mu.Unlock()
	r.cx.CancelService()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.t.Fatal("the loop did not run the job")
	}
}

// stop ends the loop, destroys the context and waits.
func (r *loopRunner) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		r.t.Fatal("the loop did not stop")
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// waitFor polls cond until it holds or a generous deadline passes. It
// waits for the outcome itself, never for a fixed time.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// recorder collects events from callbacks running on the loop.
type recorder struct {
	mu     sync.Mutex
	events []string
	ch     chan string
}

func newRecorder() *recorder { return &recorder{ch: make(chan string, 4096)} }

func (r *recorder) add(ev string) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.ch <- ev:
	default:
	}
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// await waits for an event with the given prefix and returns it.
func (r *recorder) await(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-r.ch:
			if strings.HasPrefix(ev, prefix) {
				return ev
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %q; saw %q", prefix, r.list())
		}
	}
}
