package lws_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

// echoSession buffers what a RAW echo connection received until it is
// writeable, turning reception off while the buffer is full.
type echoSession struct{ pending []byte }

func echoCallback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackRawRX:
		s := c.User().(*echoSession)
		s.pending = append(s.pending, in...)
		if cap(s.pending)-len(s.pending) < 4096 {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		c.CallbackOnWritable()
	case lws.CallbackRawWriteable:
		s := c.User().(*echoSession)
		if len(s.pending) == 0 {
			return nil
		}
		if _, err := c.Write(s.pending, lws.WriteRaw); err != nil {
			return err
		}
		s.pending = s.pending[:0]
		return c.RxFlowControl(true)
	}
	return nil
}

func echoProtocol() lws.Protocol {
	return lws.Protocol{
		Name:       "echo",
		Callback:   echoCallback,
		NewSession: func() any { return &echoSession{pending: make([]byte, 0, 16<<10)} },
	}
}

// rawVhost creates a listening RAW vhost on an ephemeral loopback port.
func rawVhost(t testing.TB, cx *lws.Context, name string, protos ...lws.Protocol) *lws.Vhost {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Name:             name,
		Port:             lws.PortAny,
		Iface:            "127.0.0.1",
		ListenAcceptRole: lws.RoleRawSkt,
		Protocols:        protos,
	})
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

func addr(vh *lws.Vhost) string { return "127.0.0.1:" + strconv.Itoa(vh.Port()) }

func TestRawEchoManyClients(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "echo", echoProtocol())
		})
		const clients, rounds = 64, 50
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- echoClient(addr(vh), i, rounds)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// echoClient sends rounds of random-sized messages and checks each echo.
func echoClient(address string, seed, rounds int) error {
	nc, err := net.Dial("tcp", address)
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	for r := range rounds {
		msg := make([]byte, 1+rng.IntN(40000))
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		if _, err := nc.Write(msg); err != nil {
			return fmt.Errorf("client %d round %d: write: %w", seed, r, err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(nc, got); err != nil {
			return fmt.Errorf("client %d round %d: read: %w", seed, r, err)
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("client %d round %d: echo differs", seed, r)
		}
	}
	return nil
}

// pattern is the byte at offset i of the streams the tests send.
func pattern(i int64) byte { return byte(i*7 + i>>11) }

func TestSlowReaderPartialWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		const total = 64 << 20
		const chunk = 512 << 10
		var (
			sent, maxHeld, partials atomic.Int64
		)
		buf := make([]byte, chunk)
		proto := lws.Protocol{Name: "firehose", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdopt:
				// A send buffer smaller than one write: every write is
				// taken only partly, whatever the reader's pace.
				if err := unix.SetsockoptInt(c.FD(), unix.SOL_SOCKET, unix.SO_SNDBUF, 128<<10); err != nil {
					return err
				}
				c.CallbackOnWritable()
			case lws.CallbackRawWriteable:
				off := sent.Load()
				if off >= total {
					return nil
				}
				if held := c.BufferedAmount(); held != 0 {
					return fmt.Errorf("WRITEABLE while %d bytes still held", held)
				}
				n := min(chunk, total-off)
				for i := range n {
					buf[i] = pattern(off + i)
				}
				if _, err := c.Write(buf[:n], lws.WriteRaw); err != nil {
					return err
				}
				held := int64(c.BufferedAmount())
				if held > 0 {
					partials.Add(1)
					if !c.SendPipeChoked() {
						return errors.New("SendPipeChoked says free while part of a write is held")
					}
				}
				if held > maxHeld.Load() {
					maxHeld.Store(held)
				}
				sent.Store(off + n)
				if off+n < total {
					c.CallbackOnWritable()
				}
			}
			return nil
		}}
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "firehose", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(120 * time.Second))
		small := make([]byte, 32<<10) // a reader slower than the writer's 512 KiB writes
		var got int64
		for got < total {
			n, err := nc.Read(small)
			for i := range n {
				if small[i] != pattern(got+int64(i)) {
					t.Fatalf("byte %d differs", got+int64(i))
				}
			}
			got += int64(n)
			if err != nil {
				t.Fatalf("after %d bytes: %v", got, err)
			}
		}
		if partials.Load() == 0 {
			t.Error("the kernel never took a write only partly: the slow path was not exercised")
		}
		if m := maxHeld.Load(); m > chunk {
			t.Errorf("library held %d bytes, more than one write of %d", m, chunk)
		}
		t.Logf("%d partial writes, at most %d bytes held", partials.Load(), maxHeld.Load())
	})
}

func TestRxFlowControlBackpressure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var (
			mu       sync.Mutex
			conn     *lws.Conn
			received int64
			bad      error
			rxWhile  atomic.Int64 // RX callbacks while reception was off
		)
		adopted := make(chan struct{})
		proto := lws.Protocol{Name: "sink", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawAdopt:
				mu.Lock()
				conn = c
				mu.Unlock()
				if err := c.RxFlowControl(false); err != nil {
					return err
				}
				close(adopted)
			case lws.CallbackRawRX:
				if !c.RxFlowAllowed() {
					rxWhile.Add(1)
				}
				mu.Lock()
				for i, b := range in {
					if b != pattern(received+int64(i)) && bad == nil {
						bad = fmt.Errorf("byte %d differs", received+int64(i))
					}
				}
				received += int64(len(in))
				mu.Unlock()
			}
			return nil
		}}
		var vh *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "sink", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		<-adopted

		// Write until the kernel buffers on both sides are full and a
		// write makes no progress for a while.
		var written int64
		block := make([]byte, 64<<10)
		for {
			for i := range block {
				block[i] = pattern(written + int64(i))
			}
			_ = nc.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := nc.Write(block)
			written += int64(n)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					// The rest of a partial block must still go out, in order.
					rest := block[n:]
					_ = nc.SetWriteDeadline(time.Time{})
					r.do(func() { _ = conn.RxFlowControl(true) })
					if _, err := nc.Write(rest); err != nil {
						t.Fatal(err)
					}
					written += int64(len(rest))
					break
				}
				t.Fatal(err)
			}
			if written > 256<<20 {
				t.Fatal("256 MiB written while reception was off: no backpressure")
			}
		}
		t.Logf("the peer's writes blocked after %d bytes", written)
		if rxWhile.Load() != 0 {
			t.Errorf("%d RX callbacks while reception was off", rxWhile.Load())
		}
		nc.Close()
		waitFor(t, "all bytes to arrive", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return received >= written
		})
		mu.Lock()
		defer mu.Unlock()
		if bad != nil {
			t.Fatal(bad)
		}
		if received != written {
			t.Fatalf("received %d of %d bytes", received, written)
		}
	})
}

func TestRxFlowControlHeldDataFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		var conn *lws.Conn
		proto := rxOffProtocol("held", rec, &conn)
		var vh *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "held", proto)
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		peer, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer peer.Close()
		local, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		f, err := local.(*net.TCPConn).File()
		local.Close()
		if err != nil {
			t.Fatal(err)
		}
		fd, err := dupFD(f)
		if err != nil {
			t.Fatal(err)
		}
		r.do(func() {
			if _, err := vh.AdoptSocketReadbuf(fd, []byte("first")); err != nil {
				t.Error(err)
			}
		})
		rec.await(t, "adopt")
		if _, err := peer.Write([]byte("second")); err != nil {
			t.Fatal(err)
		}
		r.do(func() {}) // a full pass of the loop with reception off
		r.do(func() { _ = conn.RxFlowControl(true) })
		got := rec.await(t, "rx ")
		if got != "rx first" {
			t.Fatalf("first delivery %q, want the held bytes", got)
		}
		if got := rec.await(t, "rx "); got != "rx second" {
			t.Fatalf("second delivery %q", got)
		}
	})
}

func TestBackToBackWriteRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var logged atomic.Int32
		captureLog(t, func(level lws.LogLevel, line string) {
			if bytes.Contains([]byte(line), []byte("Illegal back-to-back write")) {
				logged.Add(1)
			}
		})
		results := make(chan error, 8)
		proto := lws.Protocol{Name: "b2b", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackRawRX:
				_, err := c.Write([]byte("outside"), lws.WriteRaw)
				results <- err
				c.CallbackOnWritable()
			case lws.CallbackRawWriteable:
				_, err := c.Write([]byte("one "), lws.WriteRaw)
				results <- err
				_, err = c.Write([]byte("two "), lws.WriteRaw)
				results <- err
				choked := c.SendPipeChoked()
				results <- boolErr(choked)
				if !choked {
					_, err = c.Write([]byte("three"), lws.WriteRaw)
					results <- err
				}
			}
			return nil
		}}
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "b2b", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := nc.Write([]byte("go")); err != nil {
			t.Fatal(err)
		}
		if err := <-results; !errors.Is(err, lws.ErrWriteOutsideWriteable) || !errors.Is(err, lws.ErrIllegalWrite) {
			t.Fatalf("write from RAW_RX: %v, want ErrWriteOutsideWriteable", err)
		}
		if err := <-results; err != nil {
			t.Fatalf("first write in WRITEABLE: %v", err)
		}
		if err := <-results; !errors.Is(err, lws.ErrBackToBackWrite) || !errors.Is(err, lws.ErrIllegalWrite) {
			t.Fatalf("second write: %v, want ErrBackToBackWrite", err)
		}
		if err := <-results; err != nil {
			t.Fatal("SendPipeChoked reported a fresh socket choked")
		}
		if err := <-results; err != nil {
			t.Fatalf("write after SendPipeChoked said free: %v", err)
		}
		want := "one three"
		got := make([]byte, len(want))
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(nc, got); err != nil || string(got) != want {
			t.Fatalf("peer got %q (%v), want %q", got, err, want)
		}
		if logged.Load() != 1 {
			t.Errorf("logged %d 'Illegal back-to-back write' lines, want 1", logged.Load())
		}
	})
}

func boolErr(b bool) error {
	if b {
		return errors.New("true")
	}
	return nil
}

// captureLog routes library log lines to fn for the test's duration.
func captureLog(t *testing.T, fn lws.Emitter) {
	lws.SetLogLevel(lws.DefaultLogLevel, fn)
	t.Cleanup(func() { lws.SetLogLevel(testLogLevel, lws.EmitStderr) })
}

// rxOffProtocol turns reception off as soon as a connection is adopted,
// publishes the connection in *conn and records adopt, rx and close.
func rxOffProtocol(name string, rec *recorder, conn **lws.Conn) lws.Protocol {
	return lws.Protocol{Name: name, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackRawAdopt:
			*conn = c
			rec.add("adopt")
			return c.RxFlowControl(false)
		case lws.CallbackRawRX:
			rec.add("rx " + string(in))
		case lws.CallbackRawClose:
			rec.add("close")
		}
		return nil
	}}
}

func TestRxOffThenPeerHalfCloses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		var conn *lws.Conn
		proto := rxOffProtocol("late", rec, &conn)
		var vh *lws.Vhost
		r := newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh = rawVhost(t, cx, "late", proto)
		})
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		rec.await(t, "adopt")
		if _, err := nc.Write([]byte("last words")); err != nil {
			t.Fatal(err)
		}
		if err := nc.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			r.do(func() {}) // passes of the loop while reception is off
		}
		if ev := rec.list(); len(ev) != 1 {
			t.Fatalf("events with reception off: %q", ev)
		}
		r.do(func() { _ = conn.RxFlowControl(true) })
		if got := rec.await(t, "rx"); got != "rx last words" {
			t.Fatal(got)
		}
		rec.await(t, "close")
	})
}

// TestTCPKeepalive: accepted connections get lws's ka_* settings.
func TestTCPKeepalive(t *testing.T) {
	var vh *lws.Vhost
	got := make(chan [4]int, 1)
	probe := lws.Protocol{Name: "probe", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackRawAdopt {
			fd := c.FD()
			var v [4]int
			v[0], _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
			v[1], _ = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
			v[2], _ = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT)
			v[3], _ = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
			got <- v
		}
		return nil
	}}
	newContext(t, lws.ContextInfo{KaTime: 30, KaProbes: 4, KaInterval: 7}, func(cx *lws.Context) {
		vh = rawVhost(t, cx, "ka", probe)
	})
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if v := <-got; v != [4]int{1, 30, 4, 7} {
		t.Errorf("keepalive, idle, probes, interval = %v", v)
	}
}
