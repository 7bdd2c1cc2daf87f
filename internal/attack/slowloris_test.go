package attack

import (
	"net"
	"strconv"
	"testing"
	"time"
)

const (
	// slowlorisConns is how many connections drip request heads at once.
	slowlorisConns = 3000
	// slowlorisHeaderTimeout is the server's AHIdleTimeoutSecs for the
	// attack, in seconds. lws's default is 10; a shorter one keeps the test
	// short and changes nothing else.
	slowlorisHeaderTimeout = 5
	// slowlorisDrip is the pace of each connection: one byte of its
	// request head at a time, never the end of it.
	slowlorisDrip = time.Second
	// slowlorisProbeEvery is how often the normal client asks for a page.
	slowlorisProbeEvery = 100 * time.Millisecond
	// slowlorisProbeBound is the most a normal client's GET (a fresh
	// connection, the request, the whole response) may take while the
	// drips are held: the loop serves it on its next pass whatever the
	// drips do, so even a busy machine stays far below it.
	slowlorisProbeBound = 500 * time.Millisecond
	// slowlorisCloseSlack is how late after the header timeout a drip may
	// be closed: the timeout is counted from the drip's first byte and
	// checked by the loop's timer heap, late only by scheduling.
	slowlorisCloseSlack = 3 * time.Second
	// slowlorisPerConn is the server's memory budget per drip: a
	// connection holding a header table (MaxHTTPHeaderData, 4 KiB, lws's
	// ah) with its connection and parser state. Measured: 5.2 KiB per
	// drip at the peak; the budget leaves room for the Go heap's headroom
	// (GOGC=100 lets the heap reach twice what is live before collecting).
	slowlorisPerConn = 10 << 10
)

// slowlorisHead is the request head each drip sends a byte at a time; at
// one byte a second it never ends within the header timeout.
var slowlorisHead = []byte("GET /test.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " +
	"slowloris-slowloris-slowloris-slowloris-slowloris-slowloris\r\n\r\n")

// TestSlowloris holds 3,000 connections that drip request heads a byte a
// second. The header timeout (AHIdleTimeoutSecs) must close every one of
// them, a normal client's GET must be answered throughout within
// slowlorisProbeBound, and the server's memory may grow by no more than
// slowlorisPerConn per drip. With the default header pool
// (MaxHTTPHeaderPool: one table per descriptor) every drip holds a table.
// It runs on each backend.
func TestSlowloris(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		slowloris(t, nil, slowlorisHeaderTimeout*time.Second+slowlorisCloseSlack,
			"-e", backend, "-ah-idle", strconv.Itoa(slowlorisHeaderTimeout))
	})
}

const (
	// slowlorisSmallPool is the header pool (MaxHTTPHeaderPool) of
	// TestSlowlorisPeerLimit: far fewer tables than drips.
	slowlorisSmallPool = 32
	// slowlorisPeerAH is that test's IPLimitAH: the most tables the
	// drips' one address may hold, leaving the rest of the pool to others.
	slowlorisPeerAH = 16
)

// slowlorisProbeFrom is the address TestSlowlorisPeerLimit's normal
// client connects from: another peer than the drips' 127.0.0.1 (all of
// 127/8 is loopback on Linux).
var slowlorisProbeFrom = net.IPv4(127, 0, 0, 2)

// TestSlowlorisPeerLimit is TestSlowloris against a small header pool
// (slowlorisSmallPool tables for 3,000 drips) with a per-peer limit
// (IPLimitAH): the drips, all from one address, hold at most
// slowlorisPeerAH tables and the others wait, unread, so a normal client
// from another address still finds a table at once. A drip that waited
// gets its table only as another's times out, and its head's timeout
// starts then: the last drips close within two header timeouts. The
// header pool and the peer counts are the same whatever the backend, so
// this runs on the default one only.
func TestSlowlorisPeerLimit(t *testing.T) {
	slowloris(t, slowlorisProbeFrom, 2*slowlorisHeaderTimeout*time.Second+slowlorisCloseSlack,
		"-ah-idle", strconv.Itoa(slowlorisHeaderTimeout),
		"-ah-pool", strconv.Itoa(slowlorisSmallPool), "-ip-limit-ah", strconv.Itoa(slowlorisPeerAH))
}

// slowloris runs the attack against a server started with args, the
// normal client connecting from probeFrom (nil: any address), and
// expects every drip closed within closeWithin of the attack's start.
func slowloris(t *testing.T, probeFrom net.IP, closeWithin time.Duration, args ...string) {
	needNofile(t, slowlorisConns)
	srv := startServer(t, args...)
	base := srv.warmUp(t)

	probe := startProbes(slowlorisProbeEvery, func() (time.Duration, error) {
		return httpGetFrom(probeFrom, srv.httpAddr, "/error.css", nil, 5*time.Second)
	})
	peak := samplePeak(srv, 100*time.Millisecond)

	var s siege
	defer s.end()
	start := time.Now()
	s.open(t, srv.httpAddr, slowlorisConns, 32, func(int) []byte { return slowlorisHead[:1] })
	t.Logf("%d drips open in %v", len(s.conns), time.Since(start).Round(time.Millisecond))

	// The drip: every connection still open gets its next byte each
	// slowlorisDrip.
	stopDrip := make(chan struct{})
	dripDone := make(chan struct{})
	go func() {
		defer close(dripDone)
		tick := time.NewTicker(slowlorisDrip)
		defer tick.Stop()
		for pos := 1; ; pos++ {
			select {
			case <-stopDrip:
				return
			case <-tick.C:
			}
			for _, h := range s.conns {
				if h.closedAt.Load() != 0 || pos >= len(slowlorisHead)-1 {
					continue
				}
				_ = h.c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
				_, _ = h.c.Write(slowlorisHead[pos : pos+1])
			}
		}
	}()

	// Every drip is held by the server at once before the timeout ends
	// any: the attack is whole.
	heldAll := waitFor(slowlorisHeaderTimeout*time.Second/2, func() bool { return srv.fds(t) >= slowlorisConns })
	fds := srv.fds(t)

	// The header timeout closes them all.
	allClosed := waitFor(time.Until(start.Add(closeWithin)),
		func() bool { return s.closed.Load() == int64(len(s.conns)) })
	close(stopDrip)
	<-dripDone
	// A few more probes once the drips are gone.
	probe.more(3, 5*time.Second)
	n, maxLat, median, errs := probe.stop()
	peakRSS := peak.stop()
	srv.alive(t)
	after := srv.mem(t)
	shortest, longest, received := s.lifetimes()

	growth := max(after.hwm, peakRSS) - base.rss
	t.Logf("server descriptors with the drips held: %d", fds)
	t.Logf("drips closed by the server: %d of %d, after %v to %v (header timeout %d s); bytes they received: %d",
		s.closed.Load(), len(s.conns), shortest.Round(time.Millisecond), longest.Round(time.Millisecond),
		slowlorisHeaderTimeout, received)
	t.Logf("normal GETs: %d, median %v, max %v (bound %v), failed %d",
		n, median.Round(time.Microsecond), maxLat.Round(time.Microsecond), slowlorisProbeBound, len(errs))
	t.Logf("server memory: baseline %s, peak %s, growth %s = %s per drip (budget %s per drip, %s in all)",
		mib(base.rss), mib(base.rss+growth), mib(growth), kib(growth/slowlorisConns),
		kib(slowlorisPerConn), mib(slowlorisConns*slowlorisPerConn))

	if !heldAll {
		t.Errorf("the server held %d descriptors, never all %d drips at once", fds, slowlorisConns)
	}
	if !allClosed {
		t.Errorf("%d drips still open %v after the attack began (header timeout %d s)",
			int64(len(s.conns))-s.closed.Load(), closeWithin, slowlorisHeaderTimeout)
	}
	if shortest < (slowlorisHeaderTimeout-1)*time.Second {
		t.Errorf("a drip was closed after %v, before the header timeout (%d s)", shortest, slowlorisHeaderTimeout)
	}
	if len(errs) > 0 {
		t.Errorf("%d normal GETs failed, the first with %v", len(errs), errs[0])
	}
	if minProbes := int(slowlorisHeaderTimeout * time.Second / slowlorisProbeEvery / 2); n < minProbes {
		t.Errorf("only %d normal GETs answered during the attack, want at least %d", n, minProbes)
	}
	if maxLat > slowlorisProbeBound {
		t.Errorf("a normal GET took %v during the attack, over %v", maxLat, slowlorisProbeBound)
	}
	if growth > slowlorisConns*slowlorisPerConn {
		t.Errorf("the server grew by %s under %d drips, over %s (%s per drip)",
			mib(growth), slowlorisConns, mib(slowlorisConns*slowlorisPerConn), kib(slowlorisPerConn))
	}
}
