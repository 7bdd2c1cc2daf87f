package lws_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/looptest"
)

// uploadProtocol takes request bodies and answers 200 once one is
// complete; requests without a body are answered 200 at once.
func uploadProtocol() lws.Protocol {
	return lws.Protocol{Name: "upload", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackHTTP:
			if c.HdrFragmentCount(hdr.TokenContentLength) > 0 {
				return nil // the body follows
			}
			return c.ReturnHTTPStatus(200, "")
		case lws.CallbackHTTPBodyCompletion:
			return c.ReturnHTTPStatus(200, "")
		}
		return nil
	}}
}

// uploadStatus sends a POST of size bytes to addr, n bytes every pace, and
// returns the status of the answer (0 when the connection closed with
// none) and when it came, counted from the first byte sent.
func uploadStatus(addr string, size, n int, pace time.Duration) (int, time.Duration, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	if _, err := fmt.Fprintf(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size); err != nil {
		return 0, 0, err
	}
	answered := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		body := strings.Repeat("x", n)
		for sent := 0; sent < size; sent += n {
			if _, err := io.WriteString(c, body[:min(n, size-sent)]); err != nil {
				return
			}
			if sent+n >= size {
				return
			}
			select {
			case <-answered:
				return
			case <-time.After(pace):
			}
		}
	})
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	el := time.Since(start)
	close(answered)
	c.Close()
	writer.Wait()
	if err != nil {
		return 0, el, nil
	}
	resp.Body.Close()
	return resp.StatusCode, el, nil
}

// TestHTTPBodyTimeoutSlowUploads: 300 uploads that send their body a byte
// every 100 ms restart the per-piece wait (TimeoutSecs, 20 s) with every
// byte, so only the body's deadline (HTTPBodyTimeout, here 1.5 s) ends
// them: every one is answered 408 and closed, none before the deadline,
// while a normal client's complete upload is answered at once throughout.
func TestHTTPBodyTimeoutSlowUploads(t *testing.T) {
	const (
		uploads    = 300
		deadline   = 1500 * time.Millisecond
		drip       = 100 * time.Millisecond
		closeSlack = 3 * time.Second
		probeBound = 500 * time.Millisecond
	)
	looptest.RaiseNofile(t, 3*uploads)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{HTTPBodyTimeout: deadline}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Protocols: []lws.Protocol{uploadProtocol()}})
	})
	a := addr(vh)

	type slow struct {
		c      net.Conn
		opened time.Time
		closed atomic.Int64 // UnixNano of the server's close
		head   []byte       // the first bytes the server sent
	}
	conns := make([]*slow, uploads)
	var readers sync.WaitGroup
	var closedCount atomic.Int64
	defer func() {
		for _, s := range conns {
			if s != nil {
				s.c.Close()
			}
		}
		readers.Wait()
	}()
	start := time.Now()
	for i := range conns {
		c, err := net.DialTimeout("tcp", a, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		s := &slow{c: c, opened: time.Now()}
		conns[i] = s
		if _, err := io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nx"); err != nil {
			t.Fatal(err)
		}
		readers.Go(func() {
			buf := make([]byte, 512)
			for {
				n, err := c.Read(buf)
				if len(s.head) < 32 {
					s.head = append(s.head, buf[:min(n, 32-len(s.head))]...)
				}
				if err != nil {
					s.closed.Store(time.Now().UnixNano())
					closedCount.Add(1)
					return
				}
			}
		})
	}
	t.Logf("%d slow uploads open in %v", uploads, time.Since(start).Round(time.Millisecond))

	stopDrip := make(chan struct{})
	var dripper sync.WaitGroup
	dripper.Go(func() {
		tick := time.NewTicker(drip)
		defer tick.Stop()
		for {
			select {
			case <-stopDrip:
				return
			case <-tick.C:
			}
			for _, s := range conns {
				if s.closed.Load() == 0 {
					_ = s.c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
					_, _ = s.c.Write([]byte{'x'})
				}
			}
		}
	})
	defer func() {
		close(stopDrip)
		dripper.Wait()
	}()

	// A normal client uploads whole bodies meanwhile.
	var lat []time.Duration
	var probeErrs []string
	for time.Since(start) < deadline+closeSlack && closedCount.Load() < uploads {
		status, el, err := uploadStatus(a, 1000, 1000, time.Second)
		if err != nil || status != 200 {
			probeErrs = append(probeErrs, fmt.Sprintf("status %d after %v: %v", status, el, err))
		} else {
			lat = append(lat, el)
		}
		time.Sleep(50 * time.Millisecond)
	}
	allClosed := waitForCond(time.Until(start.Add(deadline+closeSlack)), func() bool { return closedCount.Load() == uploads })

	got408, shortest, longest := 0, time.Duration(0), time.Duration(0)
	for _, s := range conns {
		at := s.closed.Load()
		if at == 0 {
			continue
		}
		life := time.Unix(0, at).Sub(s.opened)
		if shortest == 0 || life < shortest {
			shortest = life
		}
		longest = max(longest, life)
		if strings.HasPrefix(string(s.head), "HTTP/1.1 408 ") {
			got408++
		}
	}
	slices.Sort(lat)
	var maxLat time.Duration
	if len(lat) > 0 {
		maxLat = lat[len(lat)-1]
	}
	t.Logf("slow uploads closed by the server: %d of %d (%d answered 408), after %v to %v (deadline %v)",
		closedCount.Load(), uploads, got408, shortest.Round(time.Millisecond), longest.Round(time.Millisecond), deadline)
	t.Logf("normal uploads: %d answered, max %v (bound %v), failed %d", len(lat), maxLat.Round(time.Microsecond), probeBound, len(probeErrs))
	if !allClosed {
		t.Errorf("%d of %d slow uploads still open %v after they began (HTTPBodyTimeout %v)",
			uploads-closedCount.Load(), uploads, deadline+closeSlack, deadline)
	}
	if got408 != int(closedCount.Load()) {
		t.Errorf("%d slow uploads closed, only %d answered 408", closedCount.Load(), got408)
	}
	if closedCount.Load() > 0 && shortest < deadline {
		t.Errorf("a slow upload was closed after %v, before the deadline %v", shortest, deadline)
	}
	if len(probeErrs) > 0 {
		t.Errorf("%d normal uploads failed, the first: %s", len(probeErrs), probeErrs[0])
	}
	if len(lat) < 3 {
		t.Errorf("only %d normal uploads answered during the attack", len(lat))
	}
	if maxLat > probeBound {
		t.Errorf("a normal upload took %v during the attack, over %v", maxLat, probeBound)
	}
}

// TestHTTPBodyMinRate: HTTPBodyMinRate moves the deadline by a second per
// that many bytes received, so an upload faster than the rate ends well
// after HTTPBodyTimeout and is served, while one slower than it is
// answered 408 once its extended deadline passes.
func TestHTTPBodyMinRate(t *testing.T) {
	const (
		base = 500 * time.Millisecond
		rate = 1000 // bytes per second
	)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{HTTPBodyTimeout: base, HTTPBodyMinRate: rate}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Protocols: []lws.Protocol{uploadProtocol()}})
	})
	// 3000 bytes at 4000 bytes a second: 750 ms, past the base deadline
	// but always ahead of the rate's extension.
	status, el, err := uploadStatus(addr(vh), 3000, 100, 25*time.Millisecond)
	if err != nil || status != 200 {
		t.Errorf("an upload at 4x the minimum rate: status %d after %v (%v), want 200", status, el, err)
	}
	if el < base {
		t.Errorf("the upload at 4x the minimum rate took %v: it should outlast the base deadline %v", el, base)
	}
	// 3000 bytes at 250 bytes a second: the deadline, 0.5 s + a quarter of
	// the time spent, passes at about 0.67 s.
	status, el, err = uploadStatus(addr(vh), 3000, 25, 100*time.Millisecond)
	if err != nil || status != 408 {
		t.Errorf("an upload at a quarter of the minimum rate: status %d after %v (%v), want 408", status, el, err)
	}
	if el < base || el > 5*time.Second {
		t.Errorf("the slow upload was answered after %v, want soon after about 0.67 s", el)
	}
	t.Logf("slow upload answered %d after %v", status, el.Round(time.Millisecond))
}

// waitForCond polls cond until it holds or d has passed, and reports
// whether it held.
func waitForCond(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
