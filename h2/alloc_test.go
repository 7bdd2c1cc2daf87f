//go:build !race

package h2

import (
	"testing"

	"golang.org/x/net/http2"
)

// The allocations of a connection's steady state. Streams come from a
// free list, the output buffer is reused, and x/net's Framer reads DATA
// into a frame it reuses (SetReuseFrames): a request body and a response
// body allocate nothing. Every other frame the Framer reads is a new
// value (one allocation per frame: HEADERS, CONTINUATION, PRIORITY, PING,
// WINDOW_UPDATE...); the tests of those pin the current count, so that
// any more shows. (The race detector allocates on its own: these run
// only without it.)

// allocsPerFrame is what x/net's Framer allocates for each frame other
// than DATA it reads: the frame.
const allocsPerFrame = 1

// allocRuns is how many runs pinAllocs averages over.
const allocRuns = 1000

// pinAllocs checks that f allocates want times a run.
func pinAllocs(t *testing.T, want float64, f func()) {
	t.Helper()
	switch a := testing.AllocsPerRun(allocRuns, f); {
	case a > want:
		t.Errorf("%v allocations, up from %v", a, want)
	case a < want:
		t.Errorf("%v allocations, down from %v: lower the figure pinned", a, want)
	}
}

// TestFeedDataAllocatesNothing: a request body, DATA fed whole or split
// across reads, consumed and given back.
func TestFeedDataAllocatesNothing(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", false)
	feedAll(t, c, cl.take())
	cl.data(1, string(make([]byte, 4000)), false)
	frame := cl.take()
	cl.fr.WriteDataPadded(1, false, make([]byte, 1000), make([]byte, 20))
	padded := cl.take()
	whole := func() {
		for _, f := range [][]byte{frame, padded} {
			n, ev := c.Feed(f)
			if n != len(f) || ev.Kind != EventData {
				t.Fatalf("Feed: %d %v", n, ev.Kind)
			}
			c.Consumed(1, len(ev.Data))
		}
		c.Sent(len(c.Output()))
	}
	split := func() {
		_, ev := c.Feed(frame[:100])
		if ev.Kind != EventNone {
			t.Fatal("event from a partial frame")
		}
		n, ev := c.Feed(frame[100:])
		if n != len(frame)-100 || ev.Kind != EventData {
			t.Fatalf("Feed: %d %v", n, ev.Kind)
		}
		c.Consumed(1, len(ev.Data))
		c.Sent(len(c.Output()))
	}
	for range 100 { // warm the buffers
		whole()
		split()
	}
	if a := testing.AllocsPerRun(1000, whole); a != 0 {
		t.Errorf("whole frames: %v allocations", a)
	}
	if a := testing.AllocsPerRun(1000, split); a != 0 {
		t.Errorf("split frames: %v allocations", a)
	}
}

// TestWindowUpdateAllocs: the response side of a body, DATA written as
// far as the windows go (nothing allocated) and the windows given back by
// the peer's WINDOW_UPDATEs (the Framer's frames).
func TestWindowUpdateAllocs(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", true)
	feedAll(t, c, cl.take())
	if err := c.WriteHeaders(1, []byte("r"), false); err != nil {
		t.Fatal(err)
	}
	cl.fr.WriteWindowUpdate(0, 4000)
	cl.fr.WriteWindowUpdate(1, 4000)
	updates := cl.take()
	out := make([]byte, 4000)
	// the windows start at 65535: use them up first
	c.WriteData(1, make([]byte, defaultWindow), false)
	c.Sent(len(c.Output()))
	write := func() {
		for p := updates; len(p) > 0; {
			n, ev := c.Feed(p)
			if ev.Kind != EventWindow {
				t.Fatalf("Feed: %d %v", n, ev.Kind)
			}
			p = p[n:]
		}
		if n, err := c.WriteData(1, out, false); n != len(out) || err != nil {
			t.Fatalf("WriteData: %d %v", n, err)
		}
		c.Sent(len(c.Output()))
	}
	for range 100 {
		write()
	}
	// two WINDOW_UPDATEs
	pinAllocs(t, 2*allocsPerFrame, write)
}

// TestHeadersAllocs: requests one after another, each a HEADERS frame
// and a CONTINUATION opening a stream, and a response closing it (nothing
// allocated but the Framer's frames); with a PING and a PRIORITY in
// between.
func TestHeadersAllocs(t *testing.T) {
	c, cl := started(t, Config{})
	var reqs [][]byte
	for i := range allocRuns + 200 {
		id := uint32(2*i + 1)
		cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: make([]byte, 200), EndStream: true,
			Priority: http2.PriorityParam{StreamDep: 0, Weight: 16}})
		cl.fr.WriteContinuation(id, true, make([]byte, 100))
		cl.fr.WritePriority(id, http2.PriorityParam{StreamDep: 0, Weight: 16})
		cl.fr.WritePing(false, [8]byte{1})
		reqs = append(reqs, cl.take())
	}
	resp := make([]byte, 50)
	next := 0
	request := func() {
		p := reqs[next]
		next++
		got := false
		for len(p) > 0 {
			n, ev := c.Feed(p)
			p = p[n:]
			if ev.Kind == EventHeaders {
				got = true
				if err := c.WriteHeaders(ev.Stream, resp, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !got || c.Streams() != 0 {
			t.Fatalf("request %d: headers %v, %d streams", next, got, c.Streams())
		}
		c.Sent(len(c.Output()))
	}
	for range 150 {
		request()
	}
	// HEADERS, CONTINUATION, PRIORITY, PING
	pinAllocs(t, 4*allocsPerFrame, request)
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}
