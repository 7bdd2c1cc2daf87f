package h2

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

func TestMaxConcurrentStreams(t *testing.T) {
	c, cl := started(t, Config{MaxConcurrentStreams: 2})
	cl.headers(1, "h", true).headers(3, "h", false).headers(5, "h", false)
	if got := outcome(t, c, cl.take()); got != "headers headers headers(discard) RST:REFUSED_STREAM" {
		t.Fatalf("%q", got)
	}
	cl.data(5, "x", false)
	if got := outcome(t, c, cl.take()); got != "-" {
		t.Fatalf("DATA in flight on the refused stream: %q", got)
	}
	c.WriteHeaders(1, []byte("r"), true)
	cl.headers(7, "h", false)
	if got := outcome(t, c, cl.take()); got != "headers" {
		t.Fatalf("once a stream closed: %q", got)
	}

	// refusals spend the reset budget
	c, cl = started(t, Config{MaxConcurrentStreams: 1, MaxResets: 2})
	cl.headers(1, "h", false).headers(3, "h", false).headers(5, "h", false)
	if got := outcome(t, c, cl.take()); got != "headers headers(discard) headers(discard) RST:REFUSED_STREAM RST:REFUSED_STREAM" {
		t.Fatalf("%q", got)
	}
	cl.headers(7, "h", false)
	if got := outcome(t, c, cl.take()); got != "connerror RST:REFUSED_STREAM GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("refusals beyond the reset budget: %q", got)
	}
}

func TestHeaderBlockLimits(t *testing.T) {
	c, cl := started(t, Config{MaxHeaderListSize: 100})
	cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: make([]byte, 60)})
	cl.fr.WriteContinuation(1, false, make([]byte, 40))
	if got := outcome(t, c, cl.take()); got != "-" {
		t.Fatalf("at the limit: %q", got)
	}
	cl.fr.WriteContinuation(1, true, make([]byte, 1))
	if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("beyond the limit: %q", got)
	}

	c, cl = started(t, Config{MaxContinuations: 3})
	cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("a")})
	for range 3 {
		cl.fr.WriteContinuation(1, false, []byte("b"))
	}
	if got := outcome(t, c, cl.take()); got != "-" {
		t.Fatalf("at the limit: %q", got)
	}
	cl.fr.WriteContinuation(1, true, []byte("c"))
	if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("beyond the limit: %q", got)
	}
}

func TestRapidReset(t *testing.T) {
	c, cl := started(t, Config{MaxResets: 3})
	id := uint32(1)
	open := func(end bool) uint32 {
		cl.headers(id, "h", end)
		id += 2
		return id - 2
	}
	for range 3 {
		cl.fr.WriteRSTStream(open(false), http2.ErrCodeCancel)
	}
	if got := outcome(t, c, cl.take()); got != strings.Repeat("headers reset ", 2)+"headers reset" {
		t.Fatalf("within the budget: %q", got)
	}
	// a stream that completes earns one reset back
	s := open(true)
	feedAll(t, c, cl.take())
	c.WriteHeaders(s, []byte("r"), true)
	cl.fr.WriteRSTStream(open(false), http2.ErrCodeCancel)
	if got := outcome(t, c, cl.take()); got != "headers reset" {
		t.Fatalf("earned back: %q", got)
	}
	// resets the server makes because of the peer count too
	cl.headers(open(false), "x", false)
	if got := outcome(t, c, cl.take()); got != "headers connerror RST:PROTOCOL_ERROR GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("beyond the budget: %q", got)
	}
}

func TestControlFlood(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(cl *client)
	}{
		{"PING", func(cl *client) { cl.fr.WritePing(false, [8]byte{}) }},
		{"SETTINGS", func(cl *client) { cl.fr.WriteSettings() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cl := started(t, Config{MaxPendingControl: 4})
			for range 10 {
				for range 4 {
					tc.write(cl)
				}
				feedAll(t, c, cl.take())
				if c.Err() != nil {
					t.Fatalf("drained between bursts: %v", c.Err())
				}
				output(t, c)
			}
			for range 5 {
				tc.write(cl)
			}
			got := outcome(t, c, cl.take())
			if !strings.HasSuffix(got, "connerror GOAWAY:ENHANCE_YOUR_CALM") {
				t.Fatalf("flood: %q", got)
			}
		})
	}
}

func TestEmptyFrameFlood(t *testing.T) {
	c, cl := started(t, Config{MaxEmptyFrames: 3})
	cl.headers(1, "h", false)
	for range 3 {
		cl.data(1, "", false)
	}
	cl.data(1, "x", false)
	for range 3 {
		cl.data(1, "", false)
	}
	want := "headers data data data data data data data"
	if got := outcome(t, c, cl.take()); got != want {
		t.Fatalf("within the limit: %q", got)
	}
	cl.data(1, "", false)
	if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("beyond the limit: %q", got)
	}

	c, cl = started(t, Config{MaxEmptyFrames: 3})
	cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1})
	for range 3 {
		cl.fr.WriteContinuation(1, false, nil)
	}
	if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("empty CONTINUATIONs: %q", got)
	}
}

// TestNothingFlood sends runs of frames that carry nothing, each kind
// alone: MaxEmptyFrames of them pass, one more ends the connection.
func TestNothingFlood(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(c *Conn, cl *client) // then the run of frames
		write func(cl *client)
	}{
		{"empty DATA", func(c *Conn, cl *client) { cl.headers(1, "h", false) }, func(cl *client) { cl.data(1, "", false) }},
		{"padded empty DATA", func(c *Conn, cl *client) { cl.headers(1, "h", false) },
			func(cl *client) { cl.fr.WriteDataPadded(1, false, nil, make([]byte, 10)) }},
		{"PRIORITY", nil, func(cl *client) { cl.fr.WritePriority(1, http2.PriorityParam{StreamDep: 3, Weight: 7}) }},
		{"PRIORITY of open streams", func(c *Conn, cl *client) { cl.headers(1, "h", false) },
			func(cl *client) { cl.fr.WritePriority(1, http2.PriorityParam{Weight: 200}) }},
		{"PRIORITY_UPDATE", nil, func(cl *client) { cl.fr.WritePriorityUpdate(1, "u=1") }},
		{"unknown type", nil, func(cl *client) { cl.fr.WriteRawFrame(0xfe, 0, 0, []byte("x")) }},
		{"PING ACK", nil, func(cl *client) { cl.fr.WritePing(true, [8]byte{}) }},
		{"SETTINGS ACK", nil, func(cl *client) { cl.fr.WriteSettingsAck() }},
		{"WINDOW_UPDATE of a closed stream", func(c *Conn, cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRSTStream(1, http2.ErrCodeCancel)
		}, func(cl *client) { cl.fr.WriteWindowUpdate(1, 1) }},
		{"RST_STREAM of a closed stream", func(c *Conn, cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRSTStream(1, http2.ErrCodeCancel)
		}, func(cl *client) { cl.fr.WriteRSTStream(1, http2.ErrCodeCancel) }},
		{"mixed", func(c *Conn, cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRSTStream(1, http2.ErrCodeCancel)
			cl.headers(3, "h", false)
		}, func(cl *client) {
			cl.fr.WritePriority(5, http2.PriorityParam{StreamDep: 3, Weight: 7})
			cl.data(3, "", false)
			cl.fr.WriteRawFrame(0xfe, 0, 0, nil)
			cl.fr.WriteWindowUpdate(1, 1)
			cl.fr.WritePing(true, [8]byte{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const limit = 10
			c, cl := started(t, Config{MaxEmptyFrames: limit})
			if tc.setup != nil {
				tc.setup(c, cl)
				feedAll(t, c, cl.take())
				output(t, c)
			}
			// runs of the limit, each ended by a frame that carries
			// something, pass
			for range 5 {
				for c.empties < limit {
					tc.write(cl)
					feedAll(t, c, cl.take())
				}
				if c.Err() != nil || c.empties != limit {
					t.Fatalf("within the limit: %d, %v", c.empties, c.Err())
				}
				cl.fr.WritePing(false, [8]byte{})
				feedAll(t, c, cl.take())
				output(t, c)
			}
			for range limit + 1 {
				tc.write(cl)
			}
			got := outcome(t, c, cl.take())
			if !strings.HasSuffix(got, "connerror GOAWAY:ENHANCE_YOUR_CALM") {
				t.Fatalf("beyond the limit: %q", got)
			}
		})
	}
}

// TestNothingInterleaved checks that frames that carry nothing between
// those that do are not a flood, however many there are in all: a client
// sending PRIORITY frames with its requests.
func TestNothingInterleaved(t *testing.T) {
	c, cl := started(t, Config{MaxEmptyFrames: 3})
	for i := range uint32(100) {
		id := 2*i + 1
		cl.fr.WritePriority(id+2, http2.PriorityParam{StreamDep: id, Weight: 7})
		cl.fr.WritePriority(id+4, http2.PriorityParam{StreamDep: id, Weight: 7})
		cl.headers(id, "h", true)
		cl.fr.WritePing(true, [8]byte{})
	}
	feedAll(t, c, cl.take())
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

func TestGoAway(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", false)
	feedAll(t, c, cl.take())
	c.GoAway(http2.ErrCodeNo)
	out := output(t, c)
	if len(out) != 1 || out[0].Type != http2.FrameGoAway || out[0].Code != http2.ErrCodeNo {
		t.Fatalf("output %+v", out)
	}
	cl.headers(3, "h", true).data(1, "x", true)
	if got := outcome(t, c, cl.take()); got != "headers(discard) data" {
		t.Fatalf("%q", got)
	}
	if c.Streams() != 1 || c.Err() != nil {
		t.Fatalf("%d streams, %v", c.Streams(), c.Err())
	}
	// the frames of streams above the GOAWAY's last are dropped, however
	// many (RFC 9113 section 6.8), without spending the reset budget
	for id := uint32(5); id < 5+2*(idRingSize+300); id += 2 {
		cl.headers(id, "h", false).data(id, "body", false).headers(id, "t", true)
	}
	if got := outcome(t, c, cl.take()); got != strings.TrimSuffix(strings.Repeat("headers(discard) headers(discard) ", idRingSize+300), " ") {
		t.Fatalf("streams above the last: %q", got)
	}
	if c.Streams() != 1 || c.Err() != nil {
		t.Fatalf("%d streams, %v", c.Streams(), c.Err())
	}
	// a connection error's GOAWAY names no later stream than the
	// graceful one's (RFC 9113 section 6.8)
	defer func() {
		c.Fail(http2.ErrCodeInternal, "the end")
		fr := http2.NewFramer(nil, bytes.NewReader(c.Output()))
		f, err := fr.ReadFrame()
		if ga, ok := f.(*http2.GoAwayFrame); err != nil || !ok || ga.LastStreamID != 1 || ga.ErrCode != http2.ErrCodeInternal {
			t.Fatalf("final GOAWAY %v, %v", f, err)
		}
	}()
	cl.fr.WriteGoAway(1, http2.ErrCodeNo, []byte("bye"))
	n, ev := c.Feed(cl.take())
	if ev.Kind != EventGoAway || ev.LastStream != 1 || string(ev.Debug) != "bye" || n == 0 {
		t.Fatalf("peer's GOAWAY: %+v", ev)
	}
}

func TestUserErrors(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", false)
	feedAll(t, c, cl.take())
	c.ResetStream(1, http2.ErrCodeProtocol)
	if out := output(t, c); len(out) != 1 || out[0].Code != http2.ErrCodeProtocol || c.State(1) != StateClosed {
		t.Fatalf("ResetStream: %+v", out)
	}
	c.Fail(http2.ErrCodeCompression, "bad block")
	if out := output(t, c); len(out) != 1 || out[0].Type != http2.FrameGoAway || out[0].Code != http2.ErrCodeCompression {
		t.Fatalf("Fail: %+v", out)
	}
	var ce *ConnError
	if err, ok := c.Err().(*ConnError); !ok || err.Code != http2.ErrCodeCompression {
		t.Fatalf("Err %v", c.Err())
	} else {
		ce = err
	}
	if ce.Error() == "" || (&StreamError{Stream: 1}).Error() == "" {
		t.Fatal("empty error text")
	}
}

func TestRefuseHeaders(t *testing.T) {
	c, cl := started(t, Config{MaxResets: 1})
	cl.headers(1, "h", true).headers(3, "h", true)
	feedAll(t, c, cl.take())
	c.RefuseHeaders(1, &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Reason: "malformed"})
	if got := outcome(t, c, nil); got != "RST:PROTOCOL_ERROR" || c.State(1) != StateClosed || c.Err() != nil {
		t.Fatalf("stream error: %q, %v, %v", got, c.State(1), c.Err())
	}
	c.RefuseHeaders(1, &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Reason: "again"})
	if got := outcome(t, c, nil); got != "-" {
		t.Fatalf("stream no longer live: %q", got)
	}
	// the second malformed request is beyond the reset budget
	c.RefuseHeaders(3, &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Reason: "malformed"})
	if got := outcome(t, c, nil); got != "RST:PROTOCOL_ERROR GOAWAY:ENHANCE_YOUR_CALM" {
		t.Fatalf("beyond the budget: %q", got)
	}

	c, cl = started(t, Config{})
	cl.headers(1, "h", true)
	feedAll(t, c, cl.take())
	c.RefuseHeaders(1, &HeaderError{Code: http2.ErrCodeCompression, Reason: "bad index"})
	if got := outcome(t, c, nil); got != "GOAWAY:COMPRESSION_ERROR" {
		t.Fatalf("connection error: %q", got)
	}
	if e, ok := c.Err().(*ConnError); !ok || e.Code != http2.ErrCodeCompression || e.Reason != "bad index" {
		t.Fatalf("Err %v", c.Err())
	}
}
