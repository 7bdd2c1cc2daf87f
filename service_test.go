package lws_test

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

func TestServiceOnePass(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		cx, err := lws.NewContext(lws.ContextInfo{EventLib: backend})
		if err != nil {
			t.Fatal(err)
		}
		defer cx.Destroy()
		if cx.EventLib() != backend {
			t.Fatalf("EventLib %q, want %q", cx.EventLib(), backend)
		}
		woken := 0
		_, err = cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen, Protocols: []lws.Protocol{{Name: "p",
			Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
				if reason == lws.CallbackEventWaitCancelled {
					woken++
				}
				return nil
			}}}})
		if err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		if err := cx.Service(0); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > time.Second {
			t.Fatalf("Service(0) took %v with nothing to do", el)
		}

		start = time.Now()
		if err := cx.Service(50 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 45*time.Millisecond {
			t.Fatalf("Service(50ms) returned after %v with nothing to do", el)
		}

		// A timer shortens the wait: Service(-1) returns when it fires.
		var s lws.Sul
		fired := false
		cx.Schedule(&s, 20*time.Millisecond, func(*lws.Sul) { fired = true })
		if err := cx.Service(-1); err != nil {
			t.Fatal(err)
		}
		if !fired {
			t.Fatal("Service(-1) returned before the timer fired")
		}

		// CancelService from another goroutine ends a wait with no deadline.
		go cx.CancelService()
		if err := cx.Service(-1); err != nil {
			t.Fatal(err)
		}
		if woken != 1 {
			t.Fatalf("EVENT_WAIT_CANCELLED delivered %d times, want 1", woken)
		}
	})
}

func TestContextRaisesRlimitNofile(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &rl) })
	// Lower the soft limit (always allowed) so there is room to raise it.
	top := min(rl.Max, 1<<20) // the kernel's usual nr_open
	lowered := rl
	lowered.Cur = top - 100
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	want := top - 50
	cx, err := lws.NewContext(lws.ContextInfo{RlimitNofile: want})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	var now unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &now); err != nil {
		t.Fatal(err)
	}
	if now.Cur != want || cx.FDLimit() != int(want) {
		t.Fatalf("soft limit %d, FDLimit %d, want %d", now.Cur, cx.FDLimit(), want)
	}
}

func TestDestroyedContextRefusesWork(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	cx.Destroy()
	cx.Destroy()       // a second Destroy is harmless
	cx.CancelService() // and so is a late CancelService from another goroutine
	if err := cx.Service(0); err != lws.ErrContextDestroyed {
		t.Fatalf("Service after Destroy: %v", err)
	}
	if _, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen, Protocols: []lws.Protocol{{Name: "p"}}}); err == nil {
		t.Fatal("CreateVhost after Destroy succeeded")
	}
}
