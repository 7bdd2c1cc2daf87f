package attack

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

const (
	// tlsStallConns is how many connections stall their handshake on the
	// TLS port at once: a third send nothing, a third half a ClientHello,
	// a third a whole ClientHello and then nothing more.
	tlsStallConns = 2000
	// tlsStallTimeout is the server's TimeoutSecs for the attack, in
	// seconds: the most a handshake may take from the accept, waiting
	// for the ClientHello included. lws's default is 20 (golws's too); a
	// shorter one keeps the test short and changes nothing else.
	tlsStallTimeout = 5
	// tlsStallCloseSlack is how late after tlsStallTimeout a stalled
	// connection may be closed (the loop's timer heap, late only by
	// scheduling).
	tlsStallCloseSlack = 3 * time.Second
	// tlsProbeEvery is how often the normal https client asks for a page.
	tlsProbeEvery = 100 * time.Millisecond
	// tlsBusyProbeBound is the most a normal https GET (a fresh
	// connection, a full handshake, the request, the whole response) may
	// take while the server answers the whole ClientHellos among the
	// stalls: those are real handshakes, each some CPU, queued for the
	// same workers (TLSHandshakeWorkers). Measured: up to 650 ms on a
	// loaded two-core machine.
	tlsBusyProbeBound = 2 * time.Second
	// tlsProbeBound is the most a normal https GET may take once every
	// ClientHello has been answered and the stalls are only held: stalled
	// handshakes must not keep the workers a real client needs.
	// Measured: a few ms as a rule, 190 ms at worst.
	tlsProbeBound = time.Second
	// tlsStallPerConn is the server's memory budget per stalled handshake:
	// the connection and its TLS state waiting for the ClientHello, or a
	// handshake in progress (crypto/tls's state) for those that sent one.
	// Measured: 15 to 19 KiB per stall at the peak; the budget leaves
	// room for the Go heap's headroom.
	tlsStallPerConn = 32 << 10
)

// clientHello returns the first record a crypto/tls client sends: a
// whole ClientHello, as a real client makes it.
func clientHello(t *testing.T) []byte {
	t.Helper()
	cli, srv := net.Pipe()
	defer srv.Close()
	go func() {
		defer cli.Close()
		_ = tls.Client(cli, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}).Handshake()
	}()
	_ = srv.SetDeadline(time.Now().Add(10 * time.Second))
	h := make([]byte, 5)
	if _, err := io.ReadFull(srv, h); err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 5+int(h[3])<<8|int(h[4]))
	copy(rec, h)
	if _, err := io.ReadFull(srv, rec[5:]); err != nil {
		t.Fatal(err)
	}
	if rec[0] != 0x16 || rec[5] != 0x01 {
		t.Fatalf("not a ClientHello record: % x", rec[:6])
	}
	return rec
}

// TestTLSHandshakeStall holds 2,000 connections on the TLS port that
// stall their handshake: silent, with half a ClientHello, or with a whole
// one and nothing after. Every whole ClientHello must be answered, a
// normal https client must be served within tlsBusyProbeBound while they
// are and within tlsProbeBound once the stalls are only held, every stall
// must be closed within TimeoutSecs of its accept, and the server's
// memory may grow by no more than tlsStallPerConn per stall. It runs on
// each backend.
func TestTLSHandshakeStall(t *testing.T) {
	needNofile(t, tlsStallConns)
	hello := clientHello(t)
	forEachBackend(t, func(t *testing.T, backend string) { tlsStall(t, backend, hello) })
}

func tlsStall(t *testing.T, backend string, hello []byte) {
	srv := startServer(t, "-e", backend, "-timeout", strconv.Itoa(tlsStallTimeout))
	base := srv.warmUp(t)

	probe := startProbes(tlsProbeEvery, func() (time.Duration, error) {
		return httpGet(srv.tlsAddr, "/error.css", clientTLS, 5*time.Second)
	})
	peak := samplePeak(srv, 100*time.Millisecond)

	var s siege
	defer s.end()
	start := time.Now()
	s.open(t, srv.tlsAddr, tlsStallConns, 32, func(i int) []byte {
		switch i % 3 {
		case 1:
			return hello[:len(hello)/2]
		case 2:
			return hello
		}
		return nil
	})
	t.Logf("%d stalls open in %v", len(s.conns), time.Since(start).Round(time.Millisecond))

	// The server answers each whole ClientHello (its first flight), then
	// waits for the peer.
	answered := waitFor(tlsStallTimeout*time.Second, func() bool {
		for i, h := range s.conns {
			if i%3 == 2 && h.got.Load() == 0 {
				return false
			}
		}
		return true
	})
	answeredAt := time.Now()
	heldAll := waitFor(tlsStallTimeout*time.Second/2, func() bool { return srv.fds(t) >= tlsStallConns })
	fds := srv.fds(t)
	allClosed := waitFor(time.Until(start.Add(tlsStallTimeout*time.Second+tlsStallCloseSlack)),
		func() bool { return s.closed.Load() == int64(len(s.conns)) })
	probe.more(3, 5*time.Second)
	slowAt, _ := probe.slowest()
	n, maxLat, median, errs := probe.stop()
	busyMax, heldMax, nHeld := probe.split(answeredAt)
	peakRSS := peak.stop()
	srv.alive(t)
	after := srv.mem(t)
	shortest, longest, received := s.lifetimes()

	growth := max(after.hwm, peakRSS) - base.rss
	t.Logf("server descriptors with the stalls held: %d", fds)
	t.Logf("stalls closed by the server: %d of %d, after %v to %v (TimeoutSecs %d); bytes they received: %d",
		s.closed.Load(), len(s.conns), shortest.Round(time.Millisecond), longest.Round(time.Millisecond),
		tlsStallTimeout, received)
	t.Logf("whole ClientHellos answered %v after the attack began", answeredAt.Sub(start).Round(time.Millisecond))
	t.Logf("normal https GETs: %d, median %v, max %v at %v of the attack, failed %d",
		n, median.Round(time.Microsecond), maxLat.Round(time.Microsecond),
		slowAt.Sub(start).Round(time.Millisecond), len(errs))
	t.Logf("normal https GETs until then: max %v (bound %v); %d after: max %v (bound %v)",
		busyMax.Round(time.Microsecond), tlsBusyProbeBound, nHeld, heldMax.Round(time.Microsecond), tlsProbeBound)
	t.Logf("server memory: baseline %s, peak %s, growth %s = %s per stall (budget %s per stall, %s in all)",
		mib(base.rss), mib(base.rss+growth), mib(growth), kib(growth/tlsStallConns),
		kib(tlsStallPerConn), mib(tlsStallConns*tlsStallPerConn))

	if !answered {
		t.Errorf("the server did not answer every whole ClientHello within %d s", tlsStallTimeout)
	}
	if !heldAll {
		t.Errorf("the server held %d descriptors, never all %d stalls at once", fds, tlsStallConns)
	}
	if !allClosed {
		t.Errorf("%d stalls still open %v after TimeoutSecs (%d s)",
			int64(len(s.conns))-s.closed.Load(), tlsStallCloseSlack, tlsStallTimeout)
	}
	if len(errs) > 0 {
		t.Errorf("%d normal https GETs failed, the first with %v", len(errs), errs[0])
	}
	if minProbes := int(tlsStallTimeout * time.Second / tlsProbeEvery / 2); nHeld < minProbes {
		t.Errorf("only %d normal https GETs answered while the stalls were held, want at least %d", nHeld, minProbes)
	}
	if busyMax > tlsBusyProbeBound {
		t.Errorf("a normal https GET took %v while the ClientHellos were answered, over %v", busyMax, tlsBusyProbeBound)
	}
	if heldMax > tlsProbeBound {
		t.Errorf("a normal https GET took %v while the stalls were held, over %v", heldMax, tlsProbeBound)
	}
	if growth > tlsStallConns*tlsStallPerConn {
		t.Errorf("the server grew by %s under %d stalls, over %s (%s per stall)",
			mib(growth), tlsStallConns, mib(tlsStallConns*tlsStallPerConn), kib(tlsStallPerConn))
	}
}
