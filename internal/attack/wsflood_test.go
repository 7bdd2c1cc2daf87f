package attack

import (
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// floodConns is how many WebSocket connections flood the echo
	// protocol without reading.
	floodConns = 500
	// floodMessage is the size of each message the flood sends: one
	// service buffer (ServiceBufferSize, lws's 4096), the most one RECEIVE
	// hands the protocol.
	floodMessage = 4096
	// floodSocketBuffer is the size of the kernel's socket buffers
	// (SO_SNDBUF, SO_RCVBUF) of both ends, the attacker's and the
	// server's (testserver -sockbuf). Left to loopback's autotuning they
	// grow to megabytes per connection as the server reads, and the
	// flood would fill the machine's TCP memory (tcp_mem) with bytes that
	// are the kernel's, not the server's.
	floodSocketBuffer = 32 << 10
	// floodStillFor is how long the bytes the flood got out must stay
	// unchanged for the flood to count as stalled: the server has stopped
	// reading every connection.
	floodStillFor = time.Second
	// floodStallWithin bounds how long the flood may take to stall.
	floodStallWithin = 30 * time.Second
	// floodProbeEvery is how often the normal client asks for an echo.
	floodProbeEvery = 100 * time.Millisecond
	// floodRampProbeBound is the most a normal client's echo (a fresh
	// connection, the upgrade, one message and its echo) may take while
	// the server still reads the flood at full speed, before it stalls:
	// each pass of the loop then serves 500 connections' reads and
	// echoes, and a newcomer waits a few passes. Measured: up to 750 ms
	// on a loaded two-core machine, in the flood's first second.
	floodRampProbeBound = 2 * time.Second
	// floodProbeBound is the most a normal client's echo may take once
	// the flood is held (stalled): the flooding connections are not read
	// and cost the loop nothing. Measured: 30 ms at most.
	floodProbeBound = 500 * time.Millisecond
	// floodPerConn is the server's memory budget per flooding connection
	// that never reads. The echo protocol queues up to its QueueLimit
	// (64 KiB) and the piece that crossed it (at most ServiceBufferSize,
	// 4 KiB) before it turns reception off; the library adds at most one
	// read's held rest (ReadBufferSize, 16 KiB) and one write's remainder
	// (the send-leftover rule: one frame, about 4 KiB); the connection's
	// own state is under 1 KiB. That is about 90 KiB live. Measured: 123
	// to 147 KiB per connection at the peak, since the queue's buffer
	// grows by doubling and the buffers it outgrew count until the
	// garbage collector frees them. The budget leaves room for that
	// headroom.
	floodPerConn = 256 << 10
	// floodPerConnSent bounds what one flooding connection gets out
	// before it stalls: the echo's queue, one held read, what was echoed,
	// and the kernel's buffers of both ends in both directions (each
	// floodSocketBuffer, which the kernel doubles). Measured: at most
	// 360 KiB.
	floodPerConnSent = 1 << 20
)

// TestWebSocketFloodNoRead opens 500 WebSocket connections to the echo
// protocol that send 4 KiB messages as fast as they can and never read
// the echoes. The server must stop reading them (the flood stalls), its
// memory may grow by no more than floodPerConn per connection, and a
// normal client must get its echo within floodRampProbeBound while the
// flood is read, and within floodProbeBound once it is held. It runs on
// each backend.
func TestWebSocketFloodNoRead(t *testing.T) {
	needNofile(t, floodConns)
	forEachBackend(t, wsFlood)
}

func wsFlood(t *testing.T, backend string) {
	srv := startServer(t, "-e", backend, "-sockbuf", strconv.Itoa(floodSocketBuffer))
	base := srv.warmUp(t)

	probe := startProbes(floodProbeEvery, func() (time.Duration, error) {
		return wsEcho(srv.httpAddr, 5*time.Second)
	})
	peak := samplePeak(srv, 100*time.Millisecond)

	conns := make([]net.Conn, 0, floodConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			for _, opt := range []int{unix.SO_SNDBUF, unix.SO_RCVBUF} {
				if serr == nil {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, floodSocketBuffer)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	dialStart := time.Now()
	for range floodConns {
		c, _, err := wsDialWith(dialer, srv.httpAddr, 10*time.Second)
		if err != nil {
			t.Fatalf("flood connection %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}

	frame := wsFrame(0x2, make([]byte, floodMessage))
	sent := make([]atomic.Int64, floodConns)
	var total atomic.Int64
	var writers sync.WaitGroup
	start := time.Now()
	for i, c := range conns {
		writers.Go(func() {
			for {
				n, err := c.Write(frame)
				sent[i].Add(int64(n))
				total.Add(int64(n))
				if err != nil {
					return
				}
			}
		})
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		writers.Wait()
	}()

	// Stalled: nothing more got out for floodStillFor.
	var last int64
	lastChange := time.Now()
	stalled := waitFor(floodStallWithin, func() bool {
		if v := total.Load(); v != last {
			last, lastChange = v, time.Now()
		}
		return time.Since(lastChange) >= floodStillFor
	})
	stallAfter := lastChange.Sub(start)
	// The normal client keeps being served while the flood is held.
	probe.more(10, 10*time.Second)
	slowAt, _ := probe.slowest()
	n, maxLat, median, errs := probe.stop()
	rampMax, heldMax, nHeld := probe.split(lastChange)
	peakRSS := peak.stop()
	srv.alive(t)
	held := srv.mem(t)

	per := make([]int64, floodConns)
	for i := range sent {
		per[i] = sent[i].Load()
	}
	slices.Sort(per)
	growth := max(held.hwm, peakRSS) - base.rss
	t.Logf("flood of %d connections stalled after %v: %s sent, per connection %s to %s",
		floodConns, stallAfter.Round(time.Millisecond), mib(total.Load()), kib(per[0]), kib(per[len(per)-1]))
	t.Logf("normal echoes: %d, median %v, max %v at %v of the attack (flood from %v, stalled at %v), failed %d",
		n, median.Round(time.Microsecond), maxLat.Round(time.Microsecond),
		slowAt.Sub(dialStart).Round(time.Millisecond), start.Sub(dialStart).Round(time.Millisecond),
		lastChange.Sub(dialStart).Round(time.Millisecond), len(errs))
	t.Logf("normal echoes before the stall: max %v (bound %v); %d after it: max %v (bound %v)",
		rampMax.Round(time.Microsecond), floodRampProbeBound, nHeld, heldMax.Round(time.Microsecond), floodProbeBound)
	t.Logf("server memory: baseline %s, peak %s, held %s; growth %s = %s per connection (budget %s per connection, %s in all)",
		mib(base.rss), mib(base.rss+growth), mib(held.rss), mib(growth), kib(growth/floodConns),
		kib(floodPerConn), mib(floodConns*floodPerConn))

	if !stalled {
		t.Errorf("the flood did not stall within %v: the server kept reading (%s sent)", floodStallWithin, mib(total.Load()))
	}
	if per[len(per)-1] > floodPerConnSent {
		t.Errorf("a flooding connection got %s out before stalling, over %s", kib(per[len(per)-1]), kib(floodPerConnSent))
	}
	if len(errs) > 0 {
		t.Errorf("%d normal echoes failed, the first with %v", len(errs), errs[0])
	}
	if nHeld < 10 {
		t.Errorf("only %d normal echoes while the flood was held", nHeld)
	}
	if rampMax > floodRampProbeBound {
		t.Errorf("a normal echo took %v while the flood was read, over %v", rampMax, floodRampProbeBound)
	}
	if heldMax > floodProbeBound {
		t.Errorf("a normal echo took %v while the flood was held, over %v", heldMax, floodProbeBound)
	}
	if growth > floodConns*floodPerConn {
		t.Errorf("the server grew by %s under the flood, over %s (%s per connection)",
			mib(growth), mib(floodConns*floodPerConn), kib(floodPerConn))
	}
}
