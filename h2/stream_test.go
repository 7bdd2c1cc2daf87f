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

// TestStreamStates sends every frame type on stream 1 in every state
// (RFC 9113 section 5.1).
func TestStreamStates(t *testing.T) {
	states := []struct {
		name  string
		state State
		setup func(c *Conn, cl *client)
	}{
		{"idle", StateIdle, func(c *Conn, cl *client) {}},
		{"open", StateOpen, func(c *Conn, cl *client) { cl.headers(1, "h", false) }},
		{"half-closed remote", StateHalfClosedRemote, func(c *Conn, cl *client) { cl.headers(1, "h", true) }},
		{"half-closed local", StateHalfClosedLocal, func(c *Conn, cl *client) {
			cl.headers(1, "h", false)
			feedAll(t, c, cl.take())
			c.WriteHeaders(1, []byte("r"), true)
		}},
		{"closed by both ends", StateClosed, func(c *Conn, cl *client) {
			cl.headers(1, "h", true)
			feedAll(t, c, cl.take())
			c.WriteHeaders(1, []byte("r"), true)
		}},
		{"closed by the peer's reset", StateClosed, func(c *Conn, cl *client) {
			cl.headers(1, "h", false)
			cl.fr.WriteRSTStream(1, http2.ErrCodeCancel)
		}},
		{"closed by the server's reset", StateClosed, func(c *Conn, cl *client) {
			cl.headers(1, "h", false)
			feedAll(t, c, cl.take())
			c.ResetStream(1, http2.ErrCodeCancel)
		}},
	}
	frames := []struct {
		name  string
		write func(cl *client)
	}{
		{"DATA", func(cl *client) { cl.data(1, "x", false) }},
		{"HEADERS+END_STREAM", func(cl *client) { cl.headers(1, "t", true) }},
		{"HEADERS", func(cl *client) { cl.headers(1, "t", false) }},
		{"PRIORITY", func(cl *client) { cl.fr.WritePriority(1, http2.PriorityParam{StreamDep: 3, Weight: 1}) }},
		{"RST_STREAM", func(cl *client) { cl.fr.WriteRSTStream(1, http2.ErrCodeCancel) }},
		{"WINDOW_UPDATE", func(cl *client) { cl.fr.WriteWindowUpdate(1, 1) }},
		{"CONTINUATION", func(cl *client) { cl.fr.WriteContinuation(1, true, []byte("c")) }},
	}
	want := map[string][]string{
		"idle": {"connerror GOAWAY:PROTOCOL_ERROR", "headers", "headers", "-",
			"connerror GOAWAY:PROTOCOL_ERROR", "connerror GOAWAY:PROTOCOL_ERROR", "connerror GOAWAY:PROTOCOL_ERROR"},
		"open": {"data", "trailers", "reset(local) headers(discard) RST:PROTOCOL_ERROR", "-",
			"reset", "window", "connerror GOAWAY:PROTOCOL_ERROR"},
		"half-closed remote": {"reset(local) RST:STREAM_CLOSED", "reset(local) headers(discard) RST:STREAM_CLOSED",
			"reset(local) headers(discard) RST:STREAM_CLOSED", "-", "reset", "window", "connerror GOAWAY:PROTOCOL_ERROR"},
		"half-closed local": {"data", "trailers", "reset(local) headers(discard) RST:PROTOCOL_ERROR", "-",
			"reset", "window", "connerror GOAWAY:PROTOCOL_ERROR"},
		"closed by both ends": {"RST:STREAM_CLOSED", "connerror GOAWAY:STREAM_CLOSED", "connerror GOAWAY:STREAM_CLOSED",
			"-", "-", "-", "connerror GOAWAY:PROTOCOL_ERROR"},
		"closed by the peer's reset": {"RST:STREAM_CLOSED", "connerror GOAWAY:STREAM_CLOSED", "connerror GOAWAY:STREAM_CLOSED",
			"-", "-", "-", "connerror GOAWAY:PROTOCOL_ERROR"},
		"closed by the server's reset": {"-", "headers(discard)", "headers(discard)",
			"-", "-", "-", "connerror GOAWAY:PROTOCOL_ERROR"},
	}
	for _, st := range states {
		for i, fr := range frames {
			t.Run(st.name+"/"+fr.name, func(t *testing.T) {
				c, cl := started(t, Config{})
				st.setup(c, cl)
				feedAll(t, c, cl.take())
				output(t, c)
				if got := c.State(1); got != st.state {
					t.Fatalf("state %v, want %v", got, st.state)
				}
				fr.write(cl)
				if got := outcome(t, c, cl.take()); got != want[st.name][i] {
					t.Errorf("got %q, want %q", got, want[st.name][i])
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
		{"PRIORITY depending on itself", func(cl *client) {
			cl.fr.WritePriority(5, http2.PriorityParam{StreamDep: 5})
		}, "RST:PROTOCOL_ERROR"},
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
