package h2

import (
	"bytes"
	"reflect"
	"testing"

	"golang.org/x/net/http2"
)

// windowUpdates lists the WINDOW_UPDATEs the server queued, as
// stream:increment.
func windowUpdates(t *testing.T, c *Conn) [][2]uint32 {
	var w [][2]uint32
	for _, f := range output(t, c) {
		if f.Type == http2.FrameWindowUpdate {
			w = append(w, [2]uint32{f.Stream, f.Inc})
		}
	}
	return w
}

func TestReceiveWindowBackpressure(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", false)
	for range 4 {
		cl.data(1, string(make([]byte, 15000)), false)
	}
	evs := feedAll(t, c, cl.take())
	if len(evs) != 5 {
		t.Fatalf("%d events", len(evs))
	}
	if w := windowUpdates(t, c); w != nil {
		t.Fatalf("WINDOW_UPDATE %v before any data was consumed", w)
	}
	c.Consumed(1, 30000)
	if w := windowUpdates(t, c); w != nil {
		t.Fatalf("WINDOW_UPDATE %v before half the window was consumed", w)
	}
	c.Consumed(1, 3000)
	if w := windowUpdates(t, c); !reflect.DeepEqual(w, [][2]uint32{{1, 33000}}) {
		t.Fatalf("WINDOW_UPDATEs %v", w)
	}
	// the window now has 65535-60000+33000 bytes left: 38535
	cl.data(1, string(make([]byte, 16384)), false).data(1, string(make([]byte, 16384)), false)
	cl.data(1, string(make([]byte, 5767)), false)
	if got := outcome(t, c, cl.take()); got != "data data data" {
		t.Fatalf("within the window: %q", got)
	}
	cl.data(1, "x", false)
	if got := outcome(t, c, cl.take()); got != "reset(local) RST:FLOW_CONTROL_ERROR" {
		t.Fatalf("beyond the stream window: %q", got)
	}
}

func TestConnectionReceiveWindow(t *testing.T) {
	c, cl := started(t, Config{ConnWindowSize: 65535})
	cl.headers(1, "h", false).headers(3, "h", false)
	cl.data(1, string(make([]byte, 16384)), false).data(1, string(make([]byte, 16384)), false)
	cl.data(3, string(make([]byte, 16384)), false).data(3, string(make([]byte, 16383)), false)
	if got := outcome(t, c, cl.take()); got != "headers headers data data data data" {
		t.Fatalf("within the window: %q", got)
	}
	// the connection window is given back with the stream's, once half
	// of it is consumed
	c.Consumed(1, 32768)
	if w := windowUpdates(t, c); !reflect.DeepEqual(w, [][2]uint32{{0, 32768}, {1, 32768}}) {
		t.Fatalf("WINDOW_UPDATEs %v", w)
	}
	cl.data(3, string(make([]byte, 16384)), false).data(3, string(make([]byte, 16384)), false)
	if got := outcome(t, c, cl.take()); got != "data data" {
		t.Fatalf("%q", got)
	}
	c.Consumed(1, 32767)
	output(t, c)
	cl.data(3, "x", false)
	if got := outcome(t, c, cl.take()); got != "reset(local) RST:FLOW_CONTROL_ERROR" {
		t.Fatalf("beyond the stream window: %q", got)
	}
	c, cl = started(t, Config{ConnWindowSize: 65535})
	cl.headers(1, "h", false).headers(3, "h", false).headers(5, "h", false)
	for _, id := range []uint32{1, 3, 5} {
		cl.data(id, string(make([]byte, 16384)), false).data(id, string(make([]byte, 10000)), false)
	}
	if got := outcome(t, c, cl.take()); got != "headers headers headers data data data data connerror GOAWAY:FLOW_CONTROL_ERROR" {
		t.Fatalf("beyond the connection window: %q", got)
	}
}

func TestPaddingGivenBack(t *testing.T) {
	c, cl := started(t, Config{ConnWindowSize: 65535})
	cl.headers(1, "h", false)
	// 128 frames of 1 data byte, 1 pad length byte and 255 bytes of
	// padding: the padding alone passes half of both windows
	for range 128 {
		cl.fr.WriteDataPadded(1, false, []byte("x"), make([]byte, 255))
	}
	feedAll(t, c, cl.take())
	w := windowUpdates(t, c)
	if len(w) != 2 || w[0][0] != 0 || w[1][0] != 1 {
		t.Fatalf("WINDOW_UPDATEs %v: the padding was not given back", w)
	}
}

func TestSendWindowOverflow(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", false)
	cl.fr.WriteWindowUpdate(1, maxWindow-defaultWindow)
	if got := outcome(t, c, cl.take()); got != "headers window" {
		t.Fatalf("up to 2^31-1: %q", got)
	}
	cl.fr.WriteWindowUpdate(1, 1)
	if got := outcome(t, c, cl.take()); got != "reset(local) RST:FLOW_CONTROL_ERROR" {
		t.Fatalf("stream above 2^31-1: %q", got)
	}
	cl.fr.WriteWindowUpdate(0, maxWindow-defaultWindow)
	if got := outcome(t, c, cl.take()); got != "window" {
		t.Fatalf("connection up to 2^31-1: %q", got)
	}
	cl.fr.WriteWindowUpdate(0, 1)
	if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:FLOW_CONTROL_ERROR" {
		t.Fatalf("connection above 2^31-1: %q", got)
	}

	c, cl = started(t, Config{})
	cl.headers(1, "h", false)
	cl.fr.WriteWindowUpdate(1, maxWindow-defaultWindow)
	cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: defaultWindow + 1})
	if got := outcome(t, c, cl.take()); got != "headers window connerror GOAWAY:FLOW_CONTROL_ERROR" {
		t.Fatalf("SETTINGS pushing a stream above 2^31-1: %q", got)
	}
}

func TestSendAllowance(t *testing.T) {
	c, cl := started(t, Config{})
	if a := c.SendAllowance(1); a != -1 {
		t.Fatalf("idle stream: %d", a)
	}
	cl.headers(1, "h", true)
	feedAll(t, c, cl.take())
	if a := c.SendAllowance(1); a != defaultWindow {
		t.Fatalf("new stream: %d", a)
	}
	n, err := c.WriteData(1, make([]byte, 70000), true)
	if n != defaultWindow || err != nil {
		t.Fatalf("WriteData took %d, %v", n, err)
	}
	out := output(t, c)
	var sizes []int
	for _, f := range out {
		if f.Flags.Has(http2.FlagDataEndStream) {
			t.Fatal("END_STREAM before all the data was taken")
		}
		sizes = append(sizes, f.Len)
	}
	if !reflect.DeepEqual(sizes, []int{16384, 16384, 16384, 16383}) {
		t.Fatalf("frames %v", sizes)
	}
	if a := c.SendAllowance(1); a != 0 {
		t.Fatalf("after the window: %d", a)
	}
	// a lower SETTINGS_INITIAL_WINDOW_SIZE takes the stream's window
	// below zero
	cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	cl.fr.WriteWindowUpdate(1, 65535)
	cl.fr.WriteWindowUpdate(1, 100)
	if got := outcome(t, c, cl.take()); got != "event5 window window" {
		t.Fatalf("%q", got)
	}
	if a := c.SendAllowance(1); a != 0 {
		t.Fatalf("connection window exhausted: %d", a)
	}
	cl.fr.WriteWindowUpdate(0, 1000)
	feedAll(t, c, cl.take())
	if a := c.SendAllowance(1); a != 100 {
		t.Fatalf("allowance %d, want 100", a)
	}
	// the peer's larger frame size is used
	cl.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 20000}, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100000})
	cl.fr.WriteWindowUpdate(0, 100000)
	feedAll(t, c, cl.take())
	output(t, c)
	if n, _ := c.WriteData(1, make([]byte, 30000), true); n != 30000 {
		t.Fatalf("took %d", n)
	}
	out = output(t, c)
	if len(out) != 2 || out[0].Len != 20000 || out[1].Len != 10000 || !out[1].Flags.Has(http2.FlagDataEndStream) {
		t.Fatalf("frames %+v", out)
	}
	if c.SendAllowance(1) != -1 || c.State(1) != StateClosed {
		t.Fatal("stream still writable after END_STREAM")
	}
}

func TestWriteHeadersSplit(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", true)
	feedAll(t, c, cl.take())
	block := bytes.Repeat([]byte("b"), 40000)
	if err := c.WriteHeaders(1, block, true); err != nil {
		t.Fatal(err)
	}
	out := output(t, c)
	want := []sent{
		{Type: http2.FrameHeaders, Stream: 1, Flags: http2.FlagHeadersEndStream, Len: 16384},
		{Type: http2.FrameContinuation, Stream: 1, Len: 16384},
		{Type: http2.FrameContinuation, Stream: 1, Flags: http2.FlagContinuationEndHeaders, Len: 7232},
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("frames\n%+v\nwant\n%+v", out, want)
	}
	if c.State(1) != StateClosed {
		t.Fatalf("state %v", c.State(1))
	}
	if err := c.WriteHeaders(1, []byte("x"), false); err == nil {
		t.Fatal("WriteHeaders on a closed stream")
	}
}
