package h2

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"golang.org/x/net/http2"
)

// client builds the bytes a client sends.
type client struct {
	buf bytes.Buffer
	fr  *http2.Framer
}

func newClient() *client {
	cl := &client{}
	cl.fr = http2.NewFramer(&cl.buf, nil)
	cl.fr.AllowIllegalWrites = true
	return cl
}

func (cl *client) take() []byte {
	b := append([]byte(nil), cl.buf.Bytes()...)
	cl.buf.Reset()
	return b
}

func (cl *client) preface() *client {
	cl.buf.WriteString(Preface)
	cl.fr.WriteSettings()
	return cl
}

func (cl *client) headers(id uint32, block string, end bool) *client {
	cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: []byte(block), EndStream: end, EndHeaders: true})
	return cl
}

func (cl *client) data(id uint32, d string, end bool) *client {
	cl.fr.WriteData(id, end, []byte(d))
	return cl
}

// rec is an Event with its slices copied.
type rec struct {
	Kind      EventKind
	Stream    uint32
	EndStream bool
	Trailers  bool
	Discard   bool
	Local     bool
	Block     string
	Data      string
	Code      http2.ErrCode
}

func feedAll(t testing.TB, c *Conn, b []byte) []rec {
	var out []rec
	for {
		n, ev := c.Feed(b)
		if n < 0 || n > len(b) {
			t.Fatalf("Feed consumed %d of %d", n, len(b))
		}
		b = b[n:]
		if ev.Kind != EventNone {
			out = append(out, rec{ev.Kind, ev.Stream, ev.EndStream, ev.Trailers, ev.Discard, ev.Local,
				string(ev.Block), string(ev.Data), ev.Code})
			continue
		}
		if len(b) == 0 {
			return out
		}
		if n == 0 {
			t.Fatalf("Feed consumed nothing and reported nothing with %d bytes left", len(b))
		}
	}
}

// sent is one frame the server queued.
type sent struct {
	Type   http2.FrameType
	Stream uint32
	Flags  http2.Flags
	Code   http2.ErrCode // RST_STREAM, GOAWAY
	Inc    uint32        // WINDOW_UPDATE
	Len    int
}

// output parses and drains what the server queued.
func output(t testing.TB, c *Conn) []sent {
	t.Helper()
	fr := http2.NewFramer(nil, bytes.NewReader(c.Output()))
	fr.AllowIllegalReads = true
	var out []sent
	for {
		f, err := fr.ReadFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("server output: %v", err)
		}
		h := f.Header()
		s := sent{Type: h.Type, Stream: h.StreamID, Flags: h.Flags, Len: int(h.Length)}
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			s.Code = f.ErrCode
		case *http2.GoAwayFrame:
			s.Code = f.ErrCode
		case *http2.WindowUpdateFrame:
			s.Inc = f.Increment
		}
		out = append(out, s)
	}
	c.Sent(len(c.Output()))
	return out
}

// started is a connection past the preface exchange, output drained.
func started(t testing.TB, cfg Config) (*Conn, *client) {
	t.Helper()
	c := NewConn(cfg)
	cl := newClient().preface()
	cl.fr.WriteSettingsAck()
	evs := feedAll(t, c, cl.take())
	if len(evs) != 1 || evs[0].Kind != EventSettings {
		t.Fatalf("preface events %+v", evs)
	}
	output(t, c)
	return c, cl
}

func TestServerPreface(t *testing.T) {
	c := NewConn(Config{})
	out := output(t, c)
	if len(out) != 2 || out[0].Type != http2.FrameSettings || out[0].Flags != 0 ||
		out[1].Type != http2.FrameWindowUpdate || out[1].Stream != 0 || out[1].Inc != 1<<20-defaultWindow {
		t.Fatalf("server preface %+v", out)
	}
	fr := http2.NewFramer(nil, bytes.NewReader(NewConn(Config{MaxConcurrentStreams: 7}).Output()))
	f, _ := fr.ReadFrame()
	sf := f.(*http2.SettingsFrame)
	for id, want := range map[http2.SettingID]uint32{
		http2.SettingMaxConcurrentStreams: 7, http2.SettingInitialWindowSize: 65535,
		http2.SettingMaxFrameSize: 16384, http2.SettingMaxHeaderListSize: 65536,
		http2.SettingEnablePush: 0, http2.SettingEnableConnectProtocol: 1,
	} {
		if v, ok := sf.Value(id); !ok || v != want {
			t.Errorf("%v = %d, %v; want %d", id, v, ok, want)
		}
	}
	fr = http2.NewFramer(nil, bytes.NewReader(NewConn(Config{NoConnectProtocol: true, ConnWindowSize: 100}).Output()))
	f, _ = fr.ReadFrame()
	if _, ok := f.(*http2.SettingsFrame).Value(http2.SettingEnableConnectProtocol); ok {
		t.Error("ENABLE_CONNECT_PROTOCOL advertised with NoConnectProtocol")
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Error("WINDOW_UPDATE queued for the default connection window")
	}
}

func TestClientPreface(t *testing.T) {
	c := NewConn(Config{})
	output(t, c)
	evs := feedAll(t, c, newClient().preface().take())
	if len(evs) != 1 || evs[0].Kind != EventSettings {
		t.Fatalf("events %+v", evs)
	}
	if out := output(t, c); len(out) != 1 || out[0].Type != http2.FrameSettings || out[0].Flags != http2.FlagSettingsAck {
		t.Fatalf("output %+v", out)
	}
	if !c.SettingsAckPending() {
		t.Fatal("SETTINGS acknowledged without an ACK")
	}
	cl := newClient()
	cl.fr.WriteSettingsAck()
	feedAll(t, c, cl.take())
	if c.SettingsAckPending() {
		t.Fatal("SETTINGS ACK not seen")
	}

	c = NewConn(Config{})
	output(t, c)
	evs = feedAll(t, c, []byte("GET / HTTP/1.1\r\n\r\n"))
	if len(evs) != 1 || evs[0].Kind != EventConnError || evs[0].Code != http2.ErrCodeProtocol {
		t.Fatalf("events %+v", evs)
	}
	if out := output(t, c); len(out) != 1 || out[0].Type != http2.FrameGoAway || out[0].Code != http2.ErrCodeProtocol {
		t.Fatalf("output %+v", out)
	}
	if n, ev := c.Feed([]byte("more")); n != 4 || ev.Kind != EventNone || c.Err() == nil {
		t.Fatalf("after the error: %d %+v %v", n, ev, c.Err())
	}

	for _, first := range []func(cl *client){
		func(cl *client) { cl.headers(1, "h", true) },
		func(cl *client) { cl.fr.WriteSettingsAck() },
	} {
		c = NewConn(Config{})
		output(t, c)
		cl := newClient()
		cl.buf.WriteString(Preface)
		first(cl)
		if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:PROTOCOL_ERROR" {
			t.Fatalf("preface without SETTINGS: %q", got)
		}
	}
}

func TestRequest(t *testing.T) {
	c, cl := started(t, Config{})
	cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("ab"), EndHeaders: false})
	cl.fr.WriteContinuation(1, false, []byte("cd"))
	cl.fr.WriteContinuation(1, true, []byte("ef"))
	cl.fr.WriteDataPadded(1, false, []byte("body"), make([]byte, 5))
	cl.data(1, "", true)
	evs := feedAll(t, c, cl.take())
	want := []rec{
		{Kind: EventHeaders, Stream: 1, Block: "abcdef"},
		{Kind: EventData, Stream: 1, Data: "body"},
		{Kind: EventData, Stream: 1, EndStream: true},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events\n%+v\nwant\n%+v", evs, want)
	}
	if c.State(1) != StateHalfClosedRemote {
		t.Fatalf("state %v", c.State(1))
	}
	if err := c.WriteHeaders(1, []byte("resp"), false); err != nil {
		t.Fatal(err)
	}
	if n, err := c.WriteData(1, []byte("hello"), true); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	if c.State(1) != StateClosed || c.Streams() != 0 {
		t.Fatalf("state %v, %d streams", c.State(1), c.Streams())
	}
	out := output(t, c)
	if len(out) != 2 || out[0].Type != http2.FrameHeaders || out[0].Flags != http2.FlagHeadersEndHeaders ||
		out[1].Type != http2.FrameData || out[1].Flags != http2.FlagDataEndStream || out[1].Len != 5 {
		t.Fatalf("output %+v", out)
	}
	if _, err := c.WriteData(1, []byte("x"), false); err == nil {
		t.Fatal("WriteData on a closed stream")
	}

	// trailers
	cl.headers(3, "h", false).data(3, "x", false).headers(3, "t", true)
	evs = feedAll(t, c, cl.take())
	want = []rec{
		{Kind: EventHeaders, Stream: 3, Block: "h"},
		{Kind: EventData, Stream: 3, Data: "x"},
		{Kind: EventHeaders, Stream: 3, Block: "t", Trailers: true, EndStream: true},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events\n%+v\nwant\n%+v", evs, want)
	}
}

// conversation is a client's whole exchange exercising most frame types.
func conversation() []byte {
	cl := newClient().preface()
	cl.fr.WriteSettingsAck()
	cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("hdr"), EndHeaders: false,
		Priority: http2.PriorityParam{StreamDep: 0, Weight: 3}})
	cl.fr.WriteContinuation(1, true, []byte("more"))
	cl.fr.WritePriority(1, http2.PriorityParam{StreamDep: 0, Weight: 9})
	cl.fr.WriteDataPadded(1, false, bytes.Repeat([]byte("d"), 300), make([]byte, 7))
	cl.fr.WritePing(false, [8]byte{1, 2, 3})
	cl.fr.WriteWindowUpdate(0, 1000)
	cl.fr.WriteWindowUpdate(1, 10)
	cl.fr.WriteRawFrame(0x20, 0, 0, []byte("unknown"))
	cl.headers(3, "second", true)
	cl.fr.WriteRSTStream(3, http2.ErrCodeCancel)
	cl.data(1, "end", true)
	cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	cl.fr.WriteGoAway(3, http2.ErrCodeNo, []byte("bye"))
	return cl.take()
}

type transcript struct {
	evs []rec
}

func run(t testing.TB, pieces [][]byte) transcript {
	c := NewConn(Config{})
	var tr transcript
	for _, p := range pieces {
		tr.evs = append(tr.evs, feedAll(t, c, p)...)
		if r := c.Streams(); r > 0 {
			c.Consumed(1, 200)
		}
	}
	return tr
}

func TestSplitAnywhere(t *testing.T) {
	all := conversation()
	whole := run(t, [][]byte{all})
	kinds := []EventKind{}
	for _, e := range whole.evs {
		kinds = append(kinds, e.Kind)
	}
	wantKinds := []EventKind{EventSettings, EventHeaders, EventData, EventWindow, EventWindow,
		EventHeaders, EventReset, EventData, EventSettings, EventGoAway}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Fatalf("event kinds %v, want %v", kinds, wantKinds)
	}
	for i := 1; i < len(all); i++ {
		got := run(t, [][]byte{all[:i], all[i:]})
		if !reflect.DeepEqual(got.evs, whole.evs) {
			t.Fatalf("split at %d: events\n%+v\nwant\n%+v", i, got.evs, whole.evs)
		}
	}
	var bytewise [][]byte
	for i := range all {
		bytewise = append(bytewise, all[i:i+1])
	}
	if got := run(t, bytewise); !reflect.DeepEqual(got.evs, whole.evs) {
		t.Fatalf("byte by byte: events\n%+v\nwant\n%+v", got.evs, whole.evs)
	}
}

func TestPeerSettings(t *testing.T) {
	c, cl := started(t, Config{})
	cl.fr.WriteSettings(
		http2.Setting{ID: http2.SettingHeaderTableSize, Val: 100},
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 7},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: 20000},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 300},
		http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 1},
		http2.Setting{ID: 0x99, Val: 5}, // unknown: ignored
	)
	if got := outcome(t, c, cl.take()); got != "event5" {
		t.Fatalf("%q", got)
	}
	want := PeerSettings{HeaderTableSize: 100, MaxConcurrentStreams: 7, InitialWindowSize: 1000,
		MaxFrameSize: 20000, MaxHeaderListSize: 300, ConnectProtocol: true}
	if c.Peer() != want {
		t.Fatalf("peer settings %+v", c.Peer())
	}
}

// TestPartialSent checks that output the loop wrote in part keeps the
// rest in order.
func TestPartialSent(t *testing.T) {
	c := NewConn(Config{})
	whole := append([]byte(nil), c.Output()...)
	c.Sent(5)
	if !bytes.Equal(c.Output(), whole[5:]) {
		t.Fatal("output after a partial write")
	}
	c.Sent(len(c.Output()))
	if len(c.Output()) != 0 {
		t.Fatal("output after a whole write")
	}
}

// TestSplitOversizedFrame checks the frame size limit when the header of
// the oversized frame arrives a byte at a time.
func TestSplitOversizedFrame(t *testing.T) {
	c, cl := started(t, Config{})
	cl.fr.WriteRawFrame(http2.FrameData, 0, 1, make([]byte, 16385))
	b := cl.take()[:10]
	var got []rec
	for i := range b {
		got = append(got, feedAll(t, c, b[i:i+1])...)
	}
	if len(got) != 1 || got[0].Kind != EventConnError || got[0].Code != http2.ErrCodeFrameSize {
		t.Fatalf("events %+v", got)
	}
}

// exchange feeds pieces to a new connection (upgraded if set), consuming
// DATA as soon as it comes, and returns the events and every byte the
// connection queued, which must not depend on how the input was cut.
func exchange(t *testing.T, upgraded bool, pieces [][]byte) ([]rec, []byte) {
	t.Helper()
	cfg := Config{InitialWindowSize: 4096, ConnWindowSize: 65535}
	c := NewConn(cfg)
	if upgraded {
		var err error
		if c, err = NewUpgradedConn(cfg, []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: 100}}); err != nil {
			t.Fatal(err)
		}
	}
	var evs []rec
	var out []byte
	for _, p := range pieces {
		for len(p) > 0 {
			n, ev := c.Feed(p)
			p = p[n:]
			if ev.Kind == EventNone {
				if n == 0 {
					t.Fatal("no progress")
				}
				continue
			}
			evs = append(evs, rec{ev.Kind, ev.Stream, ev.EndStream, ev.Trailers, ev.Discard, ev.Local,
				string(ev.Block), string(ev.Data), ev.Code})
			switch ev.Kind {
			case EventData:
				c.Consumed(ev.Stream, len(ev.Data))
			case EventHeaders:
				if c.State(ev.Stream) != StateClosed {
					c.WriteHeaders(ev.Stream, []byte("resp"), false)
				}
			}
		}
		out = append(out, c.Output()...)
		c.Sent(len(c.Output()))
	}
	// what each stream still has to answer
	if c.State(1) != StateClosed {
		c.WriteData(1, make([]byte, 300), true)
	}
	return evs, append(out, c.Output()...)
}

// TestSplitEverywhere cuts a client's exchange at every byte, in two and
// into single bytes, and checks the events and the server's output are
// those of the exchange fed whole; for a connection started with the
// client's preface and for one upgraded from HTTP/1.1.
func TestSplitEverywhere(t *testing.T) {
	padded := func(cl *client) {
		cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: []byte("hdr"), PadLength: 4,
			Priority: http2.PriorityParam{StreamDep: 1, Weight: 3}})
		cl.fr.WriteContinuation(3, false, []byte("more"))
		cl.fr.WriteContinuation(3, true, []byte("end"))
		cl.fr.WriteDataPadded(3, false, bytes.Repeat([]byte("d"), 1500), make([]byte, 7))
		cl.fr.WriteDataPadded(3, false, bytes.Repeat([]byte("D"), 1000), nil)
		cl.fr.WriteDataPadded(3, false, bytes.Repeat([]byte("e"), 1000), make([]byte, 255))
		cl.fr.WritePing(false, [8]byte{1, 2, 3})
		cl.fr.WriteWindowUpdate(0, 1000)
		cl.fr.WriteWindowUpdate(3, 10)
		cl.fr.WritePriority(5, http2.PriorityParam{StreamDep: 3, Weight: 9})
		cl.fr.WriteRawFrame(0x20, 0, 0, []byte("unknown"))
		cl.headers(5, "second", false)
		cl.fr.WriteRSTStream(5, http2.ErrCodeCancel)
		cl.data(5, "in flight", true)
		cl.fr.WriteDataPadded(3, true, []byte("end"), make([]byte, 3))
		cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
		cl.fr.WriteSettingsAck()
		cl.fr.WriteGoAway(5, http2.ErrCodeNo, []byte("bye"))
	}
	for _, upgraded := range []bool{false, true} {
		cl := newClient().preface()
		padded(cl)
		all := cl.take()
		evs, out := exchange(t, upgraded, [][]byte{all})
		if len(evs) < 10 || evs[len(evs)-1].Kind != EventGoAway {
			t.Fatalf("events %+v", evs)
		}
		// the output has something of everything the server answers
		seen := map[string]bool{}
		fr := http2.NewFramer(nil, bytes.NewReader(out))
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				break
			}
			h := f.Header()
			seen[fmt.Sprintf("%v/%d/%d", h.Type, h.StreamID, h.Flags)] = true
		}
		for _, want := range []string{"SETTINGS/0/1", "PING/0/1", "WINDOW_UPDATE/3/0", "HEADERS/3/4", "RST_STREAM/5/0"} {
			if !seen[want] {
				t.Fatalf("upgraded %v: no %s in the output: %v", upgraded, want, seen)
			}
		}
		check := func(how string, pieces [][]byte) {
			t.Helper()
			gotEvs, gotOut := exchange(t, upgraded, pieces)
			if !reflect.DeepEqual(gotEvs, evs) {
				t.Fatalf("upgraded %v, %s: events\n%+v\nwant\n%+v", upgraded, how, gotEvs, evs)
			}
			if !bytes.Equal(gotOut, out) {
				t.Fatalf("upgraded %v, %s: output differs", upgraded, how)
			}
		}
		for i := 1; i < len(all); i++ {
			check(fmt.Sprintf("cut at %d", i), [][]byte{all[:i], all[i:]})
		}
		for _, size := range []int{1, 2, 3, 7, 9, 10, 100} {
			var pieces [][]byte
			for p := all; len(p) > 0; p = p[min(size, len(p)):] {
				pieces = append(pieces, p[:min(size, len(p))])
			}
			check(fmt.Sprintf("pieces of %d", size), pieces)
		}
	}
}

// TestPendingEvent checks the second event of a frame: it comes at the
// next call of Feed, before what new bytes bring, and is dropped by a
// connection error.
func TestPendingEvent(t *testing.T) {
	c, cl := started(t, Config{})
	cl.headers(1, "h", true)
	feedAll(t, c, cl.take())
	cl.headers(1, "t", true) // HEADERS after END_STREAM: a reset and a block to discard
	b := cl.take()
	n, ev := c.Feed(b)
	if n != len(b) || ev.Kind != EventReset || !ev.Local {
		t.Fatalf("first: %d, %+v", n, ev)
	}
	cl.headers(3, "h", true)
	b = cl.take()
	n, ev = c.Feed(b)
	if n != 0 || ev.Kind != EventHeaders || !ev.Discard || ev.Stream != 1 || string(ev.Block) != "t" {
		t.Fatalf("pending: %d, %+v", n, ev)
	}
	if n, ev = c.Feed(b); n != len(b) || ev.Kind != EventHeaders || ev.Stream != 3 {
		t.Fatalf("then: %d, %+v", n, ev)
	}

	cl.headers(3, "t", true)
	c.Feed(cl.take())
	c.Fail(http2.ErrCodeCompression, "bad block")
	if n, ev := c.Feed(nil); n != 0 || ev.Kind != EventNone {
		t.Fatalf("after the error: %d, %+v", n, ev)
	}
}
