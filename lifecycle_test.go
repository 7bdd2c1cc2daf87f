package lws_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

func dupFD(f *os.File) (int, error) {
	defer f.Close()
	return unix.Dup(int(f.Fd()))
}

func TestLifecycleReasons(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		cb := func(name string) lws.Callback {
			return func(c *lws.Conn, reason lws.Reason, in []byte) error {
				switch reason {
				case lws.CallbackProtocolInit:
					v, _ := c.ProtocolOption("greeting")
					c.SetVhostData(name + "-data")
					rec.add(fmt.Sprintf("%s %v %s", name, reason, v))
				case lws.CallbackFilterNetworkConnection:
					rec.add(fmt.Sprintf("%s %v", name, reason))
					if !c.PeerAddr().Addr().IsLoopback() {
						return errors.New("not loopback")
					}
					if rejectNext.Swap(false) {
						return errors.New("rejected")
					}
				case lws.CallbackRawAdopt:
					rec.add(fmt.Sprintf("%s %v %v", name, reason, c.VhostData()))
				case lws.CallbackRawRX:
					rec.add(fmt.Sprintf("%s %v %s", name, reason, in))
					return errors.New("close me")
				case lws.CallbackEventWaitCancelled:
				default:
					rec.add(fmt.Sprintf("%s %v", name, reason))
				}
				return nil
			}
		}
		var vh *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			var err error
			vh, err = cx.CreateVhost(lws.VhostInfo{
				Name: "life", Port: lws.PortAny, Iface: "127.0.0.1",
				ListenAcceptRole:     lws.RoleRawSkt,
				ListenAcceptProtocol: "second",
				Protocols: []lws.Protocol{
					{Name: "first", Callback: cb("first")},
					{Name: "second", Callback: cb("second")},
				},
				ProtocolOptions: map[string]map[string]string{"first": {"greeting": "hi"}},
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		if got := rec.list(); !slices.Equal(got, []string{"first PROTOCOL_INIT hi", "second PROTOCOL_INIT "}) {
			t.Fatalf("init: %q", got)
		}

		// A filtered connection is dropped before it exists.
		rejectNext.Store(true)
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("filtered connection: read gave %v, want EOF", err)
		}
		nc.Close()
		rec.await(t, "first FILTER_NETWORK_CONNECTION")

		nc, err = net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write([]byte("bye")); err != nil {
			t.Fatal(err)
		}
		rec.await(t, "first WSI_DESTROY")
		nc.Close()
		r.stop()
		want := []string{
			"first PROTOCOL_INIT hi", "second PROTOCOL_INIT ",
			"first FILTER_NETWORK_CONNECTION",
			"first FILTER_NETWORK_CONNECTION", "first WSI_CREATE", "first SERVER_NEW_CLIENT_INSTANTIATED",
			"second RAW_ADOPT second-data", "second RAW_RX bye", "second RAW_CLOSE", "first WSI_DESTROY",
			"first PROTOCOL_DESTROY", "second PROTOCOL_DESTROY",
		}
		if got := rec.list(); !slices.Equal(got, want) {
			t.Fatalf("reasons:\n got %q\nwant %q", got, want)
		}
	})
}

var rejectNext atomic.Bool

func TestDestroyClosesConnections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var closes, destroys atomic.Int32
		adopted := make(chan struct{}, 8)
		proto := lws.Protocol{Name: "hold", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdopt:
				adopted <- struct{}{}
			case lws.CallbackRawClose:
				closes.Add(1)
			case lws.CallbackWSIDestroy:
				destroys.Add(1)
			}
			return nil
		}}
		var vh *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "hold", proto)
		})
		var conns []net.Conn
		for range 5 {
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, nc)
			<-adopted
		}
		r.stop()
		if closes.Load() != 5 || destroys.Load() != 5 {
			t.Fatalf("Destroy delivered %d RAW_CLOSE and %d WSI_DESTROY, want 5 each", closes.Load(), destroys.Load())
		}
		for _, nc := range conns {
			_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("peer read %v after Destroy, want EOF", err)
			}
			nc.Close()
		}
	})
}

func TestCancelServiceFromManyGoroutines(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var mu sync.Mutex
		seen := map[string]int{}
		cb := func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackEventWaitCancelled {
				mu.Lock()
				seen[c.Vhost().Name()+"/"+c.Protocol().Name]++
				mu.Unlock()
			}
			return nil
		}
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			for _, name := range []string{"a", "b"} {
				_, err := cx.CreateVhost(lws.VhostInfo{Name: name, Port: lws.PortNoListen,
					Protocols: []lws.Protocol{{Name: "p1", Callback: cb}, {Name: "p2", Callback: cb}}})
				if err != nil {
					t.Fatal(err)
				}
			}
			// Wake from 8 goroutines while the loop sleeps with no timer.
			var start sync.WaitGroup
			start.Add(1)
			for range 8 {
				go func() {
					start.Wait()
					cx.CancelService()
				}()
			}
			start.Done()
		})
		waitFor(t, "EVENT_WAIT_CANCELLED on every vhost-protocol", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) == 4
		})
		mu.Lock()
		defer mu.Unlock()
		for _, k := range []string{"a/p1", "a/p2", "b/p1", "b/p2"} {
			if seen[k] < 1 || seen[k] > 8 {
				t.Errorf("%s saw %d EVENT_WAIT_CANCELLED, want 1..8", k, seen[k])
			}
		}
	})
}

func TestTimersFireInOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		suls := make([]lws.Sul, 6)
		var cancelled lws.Sul
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			delays := []time.Duration{40, 10, 30, 10, 0, 20}
			for i, d := range delays {
				name := fmt.Sprintf("sul%d", i)
				cx.Schedule(&suls[i], d*time.Millisecond, func(*lws.Sul) { rec.add(name) })
			}
			cx.Schedule(&cancelled, 5*time.Millisecond, func(*lws.Sul) { rec.add("cancelled") })
			cancelled.Cancel()
			// Rescheduling moves a Sul rather than adding a second one.
			cx.Schedule(&suls[4], 25*time.Millisecond, nil)
		})
		rec.await(t, "sul0")
		want := []string{"sul1", "sul3", "sul5", "sul4", "sul2", "sul0"}
		if got := rec.list(); !slices.Equal(got, want) {
			t.Fatalf("order %q, want %q", got, want)
		}
	})
}

func TestConnTimerAndTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		proto := lws.Protocol{Name: "timed", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdopt:
				c.SetTimer(10 * time.Millisecond)
			case lws.CallbackTimer:
				rec.add("timer")
				c.SetTimeout(lws.PendingTimeoutUserReasonBase+1, 1)
				c.SetTimeoutDuration(lws.PendingTimeoutUserReasonBase+1, 20*time.Millisecond)
			case lws.CallbackRawClose:
				rec.add("close")
			}
			return nil
		}}
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "timed", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		start := time.Now()
		rec.await(t, "close")
		if got := rec.list(); !slices.Equal(got, []string{"timer", "close"}) {
			t.Fatalf("events %q", got)
		}
		if el := time.Since(start); el < 25*time.Millisecond {
			t.Fatalf("closed after %v, before timer and timeout could expire", el)
		}
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("peer read %v, want EOF after the timeout", err)
		}
	})
}

func TestFDLimitRefusesCleanly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var lines atomic.Int32
		captureLog(t, func(level lws.LogLevel, line string) {
			if strings.Contains(line, "connection refused") {
				lines.Add(1)
			}
		})
		const limit = 8
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend, FDLimitPerThread: limit}, func(cx *lws.Context) {
			if cx.FDLimit() != limit {
				t.Errorf("FDLimit %d", cx.FDLimit())
			}
			vh = rawVhost(t, cx, "echo", echoProtocol())
		})
		// The listener holds one descriptor: limit-1 connections fit.
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for i := range limit - 1 {
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, nc)
			if err := roundTrip(nc, fmt.Sprint("conn", i)); err != nil {
				t.Fatalf("connection %d within the limit: %v", i, err)
			}
		}
		for range 3 {
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				t.Fatal(err)
			}
			_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _ = nc.Write([]byte("x"))
			if _, err := nc.Read(make([]byte, 1)); err == nil {
				t.Fatal("a connection over the limit was served")
			}
			nc.Close()
		}
		if lines.Load() == 0 {
			t.Error("no log line for refused connections")
		}
		// Existing connections keep working, and a freed slot is reused.
		if err := roundTrip(held[0], "still"); err != nil {
			t.Fatal(err)
		}
		held[1].Close()
		held = slices.Delete(held, 1, 2)
		waitFor(t, "a slot to be freed", func() bool {
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				return false
			}
			if roundTrip(nc, "again") == nil {
				held = append(held, nc)
				return true
			}
			nc.Close()
			return false
		})
	})
}

// roundTrip sends msg to an echo server and checks it comes back.
func roundTrip(nc net.Conn, msg string) error {
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(msg)); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(nc, got); err != nil {
		return err
	}
	if string(got) != msg {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	return nil
}

func TestCallbackPanicClosesOnlyThatConnection(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		captureLog(t, func(lws.LogLevel, string) {})
		proto := echoProtocol()
		inner := proto.Callback
		proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackRawRX && string(in) == "panic" {
				panic("boom")
			}
			return inner(c, reason, in)
		}
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "echo", proto)
		})
		good, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer good.Close()
		bad, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer bad.Close()
		_, _ = bad.Write([]byte("panic"))
		_ = bad.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := bad.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("panicking connection: %v, want EOF", err)
		}
		if err := roundTrip(good, "fine"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVhostCreatedAndDestroyedWhileRunning(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		r := newContext(t, lws.ContextInfo{EventLib: backend}, nil)
		var vh *lws.Vhost
		r.do(func() { vh = rawVhost(t, r.cx, "late", echoProtocol()) })
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if err := roundTrip(nc, "late"); err != nil {
			t.Fatal(err)
		}
		port := vh.Port()
		r.do(func() { vh.Destroy() })
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("connection of a destroyed vhost: %v, want EOF", err)
		}
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			t.Fatal("a destroyed vhost still listens")
		}
		r.do(func() {
			if r.cx.VhostByName("late") != nil {
				t.Error("destroyed vhost still listed")
			}
		})
	})
}

func TestAdoptFileDescriptor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		proto := lws.Protocol{Name: "pipe", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdoptFile, lws.CallbackRawCloseFile:
				rec.add(reason.String())
			case lws.CallbackRawRXFile:
				if len(in) != 0 {
					return errors.New("RAW_RX_FILE carried data")
				}
				buf := make([]byte, 64)
				n, err := unix.Read(c.FD(), buf)
				if n == 0 || err != nil {
					return io.EOF
				}
				rec.add("read " + string(buf[:n]))
			}
			return nil
		}}
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh, err := cx.CreateVhost(lws.VhostInfo{Name: "files", Port: lws.PortNoListen,
				Protocols: []lws.Protocol{proto}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := vh.AdoptDescriptor(lws.AdoptInfo{Type: lws.AdoptRawFileDesc, FD: p[0]}); err != nil {
				t.Fatal(err)
			}
		})
		rec.await(t, "RAW_ADOPT_FILE")
		if _, err := unix.Write(p[1], []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if got := rec.await(t, "read"); got != "read hello" {
			t.Fatal(got)
		}
		unix.Close(p[1])
		rec.await(t, "RAW_CLOSE_FILE")
	})
}
