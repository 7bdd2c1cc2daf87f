package h2

import (
	"fmt"
	"testing"

	"golang.org/x/net/http2"
)

// outcome summarises what one frame did: the events it gave and the
// frames the server queued in answer.
func outcome(t *testing.T, c *Conn, b []byte) string {
	t.Helper()
	s := ""
	for _, e := range feedAll(t, c, b) {
		switch {
		case e.Kind == EventHeaders && e.Discard:
			s += "headers(discard) "
		case e.Kind == EventHeaders && e.Trailers:
			s += "trailers "
		case e.Kind == EventHeaders:
			s += "headers "
		case e.Kind == EventData:
			s += "data "
		case e.Kind == EventReset && e.Local:
			s += "reset(local) "
		case e.Kind == EventReset:
			s += "reset "
		case e.Kind == EventWindow:
			s += "window "
		case e.Kind == EventConnError:
			s += "connerror "
		default:
			s += fmt.Sprintf("event%d ", e.Kind)
		}
	}
	for _, f := range output(t, c) {
		switch f.Type {
		case http2.FrameRSTStream:
			s += "RST:" + f.Code.String() + " "
		case http2.FrameGoAway:
			s += "GOAWAY:" + f.Code.String() + " "
		}
	}
	if s == "" {
		return "-"
	}
	return s[:len(s)-1]
}

// streamStates are the ways stream 1 can be in each state (RFC 9113
// section 5.1) on a connection past its preface.
var streamStates = []struct {
	name  string
	state State
	setup func(t *testing.T, c *Conn, cl *client)
}{
	{"idle", StateIdle, func(t *testing.T, c *Conn, cl *client) {}},
	{"open", StateOpen, func(t *testing.T, c *Conn, cl *client) { cl.headers(1, "h", false) }},
	{"open, upgraded", StateOpen, nil}, // see stateConn
	{"half-closed remote", StateHalfClosedRemote, func(t *testing.T, c *Conn, cl *client) { cl.headers(1, "h", true) }},
	{"half-closed remote, upgraded", StateHalfClosedRemote, nil},
	{"half-closed local", StateHalfClosedLocal, func(t *testing.T, c *Conn, cl *client) {
		cl.headers(1, "h", false)
		feedAll(t, c, cl.take())
		c.WriteHeaders(1, []byte("r"), true)
	}},
	{"closed by both ends", StateClosed, func(t *testing.T, c *Conn, cl *client) {
		cl.headers(1, "h", true)
		feedAll(t, c, cl.take())
		c.WriteHeaders(1, []byte("r"), true)
	}},
	{"closed by the peer's reset", StateClosed, func(t *testing.T, c *Conn, cl *client) {
		cl.headers(1, "h", false)
		cl.fr.WriteRSTStream(1, http2.ErrCodeCancel)
	}},
	{"closed by the server's reset", StateClosed, func(t *testing.T, c *Conn, cl *client) {
		cl.headers(1, "h", false)
		feedAll(t, c, cl.take())
		c.ResetStream(1, http2.ErrCodeCancel)
	}},
	{"closed by a stream error", StateClosed, func(t *testing.T, c *Conn, cl *client) {
		cl.headers(1, "h", true).data(1, "x", false)
	}},
	{"closed after the server's GOAWAY", StateClosed, func(t *testing.T, c *Conn, cl *client) {
		c.GoAway(http2.ErrCodeNo)
		cl.headers(1, "h", false)
	}},
	{"closed, skipped", StateClosed, func(t *testing.T, c *Conn, cl *client) { cl.headers(3, "h", false) }},
	{"closed long ago", StateClosed, func(t *testing.T, c *Conn, cl *client) {
		cl.headers(1, "h", true)
		feedAll(t, c, cl.take())
		c.WriteHeaders(1, []byte("r"), true)
		for id := uint32(3); id < 3+2*idRingSize; id += 2 {
			cl.headers(id, "h", true)
			feedAll(t, c, cl.take())
			c.WriteHeaders(id, []byte("r"), true)
		}
	}},
}

// stateConn is a connection past its preface, output drained, with
// stream 1 in the state st.
func stateConn(t *testing.T, name string) (*Conn, *client) {
	for _, st := range streamStates {
		if st.name != name {
			continue
		}
		var c *Conn
		cl := newClient()
		if st.setup == nil {
			var err error
			if c, err = NewUpgradedConn(Config{}, nil); err != nil {
				t.Fatal(err)
			}
			cl.preface()
			cl.fr.WriteSettingsAck()
			feedAll(t, c, cl.take())
			if st.state == StateOpen {
				// an upgraded stream 1 is never open: a later one
				// stands for it
				t.Skip("an upgraded stream 1 is half-closed (remote)")
			}
		} else {
			c, cl = started(t, Config{})
			st.setup(t, c, cl)
			feedAll(t, c, cl.take())
		}
		output(t, c)
		if got := c.State(1); got != st.state {
			t.Fatalf("state %v, want %v", got, st.state)
		}
		if c.Err() != nil {
			t.Fatal(c.Err())
		}
		return c, cl
	}
	t.Fatalf("no state %q", name)
	return nil, nil
}

// peerFrames are the frames the peer may send on stream 1.
var peerFrames = []struct {
	name  string
	write func(cl *client)
}{
	{"DATA", func(cl *client) { cl.data(1, "x", false) }},
	{"DATA+END_STREAM", func(cl *client) { cl.data(1, "x", true) }},
	{"HEADERS", func(cl *client) { cl.headers(1, "t", false) }},
	{"HEADERS+END_STREAM", func(cl *client) { cl.headers(1, "t", true) }},
	{"CONTINUATION", func(cl *client) { cl.fr.WriteContinuation(1, true, []byte("c")) }},
	{"PRIORITY", func(cl *client) { cl.fr.WritePriority(1, http2.PriorityParam{StreamDep: 3, Weight: 1}) }},
	{"RST_STREAM", func(cl *client) { cl.fr.WriteRSTStream(1, http2.ErrCodeCancel) }},
	{"WINDOW_UPDATE", func(cl *client) { cl.fr.WriteWindowUpdate(1, 1) }},
	{"WINDOW_UPDATE 0", func(cl *client) { cl.fr.WriteWindowUpdate(1, 0) }},
	{"PUSH_PROMISE", func(cl *client) {
		cl.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true})
	}},
	{"SETTINGS", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameSettings, 0, 1, nil) }},
	{"PING", func(cl *client) { cl.fr.WriteRawFrame(http2.FramePing, 0, 1, make([]byte, 8)) }},
	{"GOAWAY", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameGoAway, 0, 1, make([]byte, 8)) }},
	{"unknown", func(cl *client) { cl.fr.WriteRawFrame(0x42, 0, 1, []byte("x")) }},
}

// TestStreamStates sends every frame the peer may send on stream 1 in
// every state (RFC 9113 section 5.1), and checks what comes of it: the
// events (headers, data, reset: the peer's, reset(local): the server's
// stream error), the RST_STREAM (stream error) or GOAWAY (connection
// error) queued with its code, and the stream's state after.
func TestStreamStates(t *testing.T) {
	const (
		connProto  = "connerror GOAWAY:PROTOCOL_ERROR"
		connClosed = "connerror GOAWAY:STREAM_CLOSED"
	)
	// by state, in the order of peerFrames
	want := map[string][]string{
		"idle": {connProto, connProto, "headers => open", "headers => half-closed (remote)", connProto,
			"- => idle", connProto, connProto, connProto, connProto, connProto, connProto, connProto, "- => idle"},
		"open": {"data => open", "data => half-closed (remote)",
			"reset(local) headers(discard) RST:PROTOCOL_ERROR => closed", "trailers => half-closed (remote)", connProto,
			"- => open", "reset => closed", "window => open", "reset(local) RST:PROTOCOL_ERROR => closed",
			connProto, connProto, connProto, connProto, "- => open"},
		"half-closed remote": {"reset(local) RST:STREAM_CLOSED => closed", "reset(local) RST:STREAM_CLOSED => closed",
			"reset(local) headers(discard) RST:STREAM_CLOSED => closed", "reset(local) headers(discard) RST:STREAM_CLOSED => closed",
			connProto, "- => half-closed (remote)", "reset => closed", "window => half-closed (remote)",
			"reset(local) RST:PROTOCOL_ERROR => closed", connProto, connProto, connProto, connProto, "- => half-closed (remote)"},
		"half-closed local": {"data => half-closed (local)", "data => closed",
			"reset(local) headers(discard) RST:PROTOCOL_ERROR => closed", "trailers => closed", connProto,
			"- => half-closed (local)", "reset => closed", "window => half-closed (local)",
			"reset(local) RST:PROTOCOL_ERROR => closed", connProto, connProto, connProto, connProto, "- => half-closed (local)"},
		"closed by both ends": {"RST:STREAM_CLOSED => closed", "RST:STREAM_CLOSED => closed", connClosed, connClosed, connProto,
			"- => closed", "- => closed", "- => closed", "RST:PROTOCOL_ERROR => closed",
			connProto, connProto, connProto, connProto, "- => closed"},
		"closed by the peer's reset": {"RST:STREAM_CLOSED => closed", "RST:STREAM_CLOSED => closed", connClosed, connClosed, connProto,
			"- => closed", "- => closed", "- => closed", "RST:PROTOCOL_ERROR => closed",
			connProto, connProto, connProto, connProto, "- => closed"},
		// frames in flight when the server reset the stream are dropped
		"closed by the server's reset": {"- => closed", "- => closed", "headers(discard) => closed", "headers(discard) => closed",
			connProto, "- => closed", "- => closed", "- => closed", "RST:PROTOCOL_ERROR => closed",
			connProto, connProto, connProto, connProto, "- => closed"},
		"closed, skipped": {"RST:STREAM_CLOSED => closed", "RST:STREAM_CLOSED => closed", connProto, connProto, connProto,
			"- => closed", "- => closed", "- => closed", "RST:PROTOCOL_ERROR => closed",
			connProto, connProto, connProto, connProto, "- => closed"},
	}
	want["half-closed remote, upgraded"] = want["half-closed remote"]
	want["closed by a stream error"] = want["closed by the server's reset"]
	want["closed after the server's GOAWAY"] = want["closed by the server's reset"]
	// closed too long ago to tell from skipped
	want["closed long ago"] = want["closed, skipped"]
	for _, st := range streamStates {
		for i, fr := range peerFrames {
			t.Run(st.name+"/"+fr.name, func(t *testing.T) {
				w, ok := want[st.name]
				if !ok {
					t.Skip()
				}
				c, cl := stateConn(t, st.name)
				fr.write(cl)
				got := outcome(t, c, cl.take())
				if c.Err() == nil {
					got += " => " + c.State(1).String()
				}
				if got != w[i] {
					t.Errorf("got %q, want %q", got, w[i])
				}
			})
		}
	}
}

func TestStreamErrors(t *testing.T) {
	cases := []struct {
		name  string
		write func(cl *client)
		want  string
	}{
		{"HEADERS on an even stream", func(cl *client) { cl.headers(2, "h", true) }, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"HEADERS below the last stream", func(cl *client) { cl.headers(5, "h", true).headers(3, "h", true) },
			"headers connerror GOAWAY:PROTOCOL_ERROR"},
		{"HEADERS depending on itself", func(cl *client) {
			cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("h"), EndHeaders: true,
				Priority: http2.PriorityParam{StreamDep: 1}})
		}, "reset(local) headers(discard) RST:PROTOCOL_ERROR"},
		{"PRIORITY of an idle stream depending on itself", func(cl *client) {
			cl.fr.WritePriority(5, http2.PriorityParam{StreamDep: 5})
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"PRIORITY of a server stream depending on itself", func(cl *client) {
			cl.fr.WritePriority(2, http2.PriorityParam{StreamDep: 2})
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"PRIORITY of an open stream depending on itself", func(cl *client) {
			cl.headers(5, "h", false)
			cl.fr.WritePriority(5, http2.PriorityParam{StreamDep: 5})
		}, "headers reset(local) RST:PROTOCOL_ERROR"},
		{"PRIORITY of a closed stream depending on itself", func(cl *client) {
			cl.headers(5, "h", false)
			cl.fr.WriteRSTStream(5, http2.ErrCodeCancel)
			cl.fr.WritePriority(5, http2.PriorityParam{StreamDep: 5})
		}, "headers reset RST:PROTOCOL_ERROR"},
		{"PRIORITY of a wrong size", func(cl *client) { cl.fr.WriteRawFrame(http2.FramePriority, 0, 1, []byte{0, 0}) },
			"connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"HEADERS interrupted", func(cl *client) {
			cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("h")})
			cl.data(1, "x", false)
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"CONTINUATION of another stream", func(cl *client) {
			cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("h")})
			cl.fr.WriteContinuation(3, true, []byte("c"))
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"PUSH_PROMISE", func(cl *client) {
			cl.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true})
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"DATA on stream 0", func(cl *client) { cl.data(0, "x", false) }, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"SETTINGS on a stream", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameSettings, 0, 1, nil) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"SETTINGS ack with payload", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameSettings, http2.FlagSettingsAck, 0, make([]byte, 6))
		}, "connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"SETTINGS of a wrong size", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameSettings, 0, 0, make([]byte, 5)) },
			"connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"ENABLE_PUSH 2", func(cl *client) { cl.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 2}) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"MAX_FRAME_SIZE too small", func(cl *client) {
			cl.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 100})
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"INITIAL_WINDOW_SIZE too large", func(cl *client) {
			cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, "connerror GOAWAY:FLOW_CONTROL_ERROR"},
		{"PING on a stream", func(cl *client) { cl.fr.WriteRawFrame(http2.FramePing, 0, 1, make([]byte, 8)) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"PING of a wrong size", func(cl *client) { cl.fr.WriteRawFrame(http2.FramePing, 0, 0, make([]byte, 7)) },
			"connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"GOAWAY on a stream", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameGoAway, 0, 1, make([]byte, 8)) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"RST_STREAM of a wrong size", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRawFrame(http2.FrameRSTStream, 0, 1, make([]byte, 3))
		}, "headers connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"WINDOW_UPDATE of 0 on a stream", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteWindowUpdate(1, 0)
		}, "headers reset(local) RST:PROTOCOL_ERROR"},
		{"WINDOW_UPDATE of 0 on the connection", func(cl *client) { cl.fr.WriteWindowUpdate(0, 0) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"DATA padding longer than the frame", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRawFrame(http2.FrameData, http2.FlagDataPadded, 1, []byte{5, 'a'})
		}, "headers connerror GOAWAY:PROTOCOL_ERROR"},
		{"padded DATA without its pad length", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRawFrame(http2.FrameData, http2.FlagDataPadded, 1, nil)
		}, "headers connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"frame larger than MAX_FRAME_SIZE", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRawFrame(http2.FrameData, 0, 1, make([]byte, 16385))
		}, "headers connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"unknown frame", func(cl *client) { cl.fr.WriteRawFrame(0x42, 0xff, 7, []byte("x")) }, "-"},
		{"PRIORITY_UPDATE on a stream", func(cl *client) { cl.fr.WriteRawFrame(0x10, 0, 1, []byte{0, 0, 0, 1}) }, "-"},
		{"PRIORITY_UPDATE", func(cl *client) { cl.fr.WritePriorityUpdate(1, "u=1, i") }, "-"},
		{"PRIORITY_UPDATE too short", func(cl *client) { cl.fr.WriteRawFrame(0x10, 0, 0, []byte{0, 0, 1}) }, "-"},
		{"PRIORITY_UPDATE of stream 0", func(cl *client) { cl.fr.WriteRawFrame(0x10, 0, 0, []byte{0, 0, 0, 0}) }, "-"},
		{"PUSH_PROMISE too short", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FramePushPromise, http2.FlagPushPromiseEndHeaders, 1, []byte{0, 0})
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"WINDOW_UPDATE of 0 on a server stream", func(cl *client) { cl.fr.WriteWindowUpdate(2, 0) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"WINDOW_UPDATE of 0 on an open stream", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteWindowUpdate(1, 0)
		}, "headers reset(local) RST:PROTOCOL_ERROR"},
		{"HEADERS on stream 0", func(cl *client) { cl.headers(0, "h", true) }, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"HEADERS padding longer than the frame", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersPadded|http2.FlagHeadersEndHeaders, 1, []byte{2, 'h'})
		}, "connerror GOAWAY:PROTOCOL_ERROR"},
		{"HEADERS padding as long as the frame", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersPadded|http2.FlagHeadersEndHeaders, 1, []byte{1, 0})
		}, "headers"},
		{"padded HEADERS without its pad length", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersPadded|http2.FlagHeadersEndHeaders, 1, nil)
		}, "connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"HEADERS too short for its priority", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersPriority|http2.FlagHeadersEndHeaders, 1, []byte{0, 0, 0, 0})
		}, "connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"CONTINUATION on stream 0", func(cl *client) { cl.fr.WriteContinuation(0, true, []byte("c")) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"PRIORITY on stream 0", func(cl *client) { cl.fr.WritePriority(0, http2.PriorityParam{StreamDep: 1}) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"RST_STREAM on stream 0", func(cl *client) { cl.fr.WriteRSTStream(0, http2.ErrCodeCancel) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"GOAWAY too short", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameGoAway, 0, 0, make([]byte, 7)) },
			"connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"WINDOW_UPDATE of a wrong size", func(cl *client) { cl.fr.WriteRawFrame(http2.FrameWindowUpdate, 0, 0, make([]byte, 5)) },
			"connerror GOAWAY:FRAME_SIZE_ERROR"},
		{"WINDOW_UPDATE of 0 on an idle stream", func(cl *client) { cl.fr.WriteWindowUpdate(1, 0) },
			"connerror GOAWAY:PROTOCOL_ERROR"},
		{"WINDOW_UPDATE of 0 on a closed stream", func(cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRSTStream(1, http2.ErrCodeCancel)
			cl.fr.WriteWindowUpdate(1, 0)
		}, "headers reset RST:PROTOCOL_ERROR"},
		{"WINDOW_UPDATE with the reserved bit", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameWindowUpdate, 0, 0, []byte{0x80, 0, 0, 1})
		}, "window"},
		{"reserved bit of the stream id", func(cl *client) {
			cl.fr.WriteRawFrame(http2.FrameHeaders, http2.FlagHeadersEndHeaders, 1<<31|1, []byte("h"))
		}, "headers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, cl := started(t, Config{})
			tc.write(cl)
			if got := outcome(t, c, cl.take()); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestContentLength(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length int64
		write  func(cl *client)
		want   string
	}{
		{"exact", 5, func(cl *client) { cl.data(1, "abc", false).data(1, "de", true) }, "data data"},
		{"exact with trailers", 5, func(cl *client) { cl.data(1, "abcde", false).headers(1, "t", true) }, "data trailers"},
		{"none", 0, func(cl *client) { cl.data(1, "", true) }, "data"},
		{"beyond", 3, func(cl *client) { cl.data(1, "ab", false).data(1, "cd", false) },
			"data reset(local) RST:PROTOCOL_ERROR"},
		{"beyond none", 0, func(cl *client) { cl.data(1, "x", true) }, "reset(local) RST:PROTOCOL_ERROR"},
		{"short", 5, func(cl *client) { cl.data(1, "abc", true) }, "reset(local) RST:PROTOCOL_ERROR"},
		{"short with trailers", 5, func(cl *client) { cl.data(1, "abc", false).headers(1, "t", true) },
			"data reset(local) headers(discard) RST:PROTOCOL_ERROR"},
		{"padding does not count", 3, func(cl *client) { cl.fr.WriteDataPadded(1, true, []byte("abc"), make([]byte, 9)) }, "data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cl := started(t, Config{})
			cl.headers(1, "h", false)
			feedAll(t, c, cl.take())
			if !c.SetContentLength(1, tc.length) {
				t.Fatal("SetContentLength reset the stream")
			}
			tc.write(cl)
			if got := outcome(t, c, cl.take()); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	// the request ended with its header block: a length above 0 is a
	// malformed request at once
	c, cl := started(t, Config{})
	cl.headers(1, "h", true).headers(3, "h", true)
	feedAll(t, c, cl.take())
	if !c.SetContentLength(1, 0) || c.SetContentLength(3, 10) {
		t.Fatal("SetContentLength of a request without a body")
	}
	if c.fw != nil {
		t.Fatal("the writing Framer lent for the reset was kept")
	}
	if got := outcome(t, c, nil); got != "RST:PROTOCOL_ERROR" || c.State(3) != StateClosed || c.State(1) != StateHalfClosedRemote {
		t.Fatalf("%q, %v, %v", got, c.State(1), c.State(3))
	}
	if !c.SetContentLength(3, 10) || !c.SetContentLength(99, 10) {
		t.Fatal("SetContentLength of a stream not live")
	}
}
