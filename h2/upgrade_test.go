package h2

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// settingsPayload is the payload of a SETTINGS frame carrying set.
func settingsPayload(set ...http2.Setting) []byte {
	var b []byte
	for _, s := range set {
		b = append(b, byte(s.ID>>8), byte(s.ID), byte(s.Val>>24), byte(s.Val>>16), byte(s.Val>>8), byte(s.Val))
	}
	return b
}

func TestDecodeSettingsHeader(t *testing.T) {
	set := []http2.Setting{
		{ID: http2.SettingHeaderTableSize, Val: 100},
		{ID: http2.SettingEnablePush, Val: 0},
		{ID: http2.SettingInitialWindowSize, Val: 1000},
		{ID: http2.SettingMaxFrameSize, Val: 20000},
		{ID: 0x99, Val: 7}, // unknown: kept, ignored when applied
	}
	raw := base64.RawURLEncoding.EncodeToString(settingsPayload(set...))
	for _, v := range []string{raw, raw + strings.Repeat("=", (4-len(raw)%4)%4)} {
		got, err := DecodeSettingsHeader([]byte(v))
		if err != nil || !reflect.DeepEqual(got, set) {
			t.Fatalf("%q: %v, %v", v, got, err)
		}
	}
	if got, err := DecodeSettingsHeader(nil); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
	// curl's: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 33554432,
	// ENABLE_PUSH 0
	if got, err := DecodeSettingsHeader([]byte("AAMAAABkAAQCAAAAAAIAAAAA")); err != nil || len(got) != 3 ||
		got[1] != (http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 25}) {
		t.Fatalf("curl's: %v, %v", got, err)
	}

	bad := map[string]string{
		"not base64":            "AAMAAABk!",
		"standard alphabet":     base64.RawStdEncoding.EncodeToString([]byte{0xfb, 0xff, 0, 0, 0, 0}),
		"5 bytes":               base64.RawURLEncoding.EncodeToString(make([]byte, 5)),
		"7 bytes":               base64.RawURLEncoding.EncodeToString(make([]byte, 7)),
		"ENABLE_PUSH 2":         base64.RawURLEncoding.EncodeToString(settingsPayload(http2.Setting{ID: http2.SettingEnablePush, Val: 2})),
		"INITIAL_WINDOW 2^31":   base64.RawURLEncoding.EncodeToString(settingsPayload(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})),
		"MAX_FRAME_SIZE 100":    base64.RawURLEncoding.EncodeToString(settingsPayload(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 100})),
		"MAX_FRAME_SIZE 2^24":   base64.RawURLEncoding.EncodeToString(settingsPayload(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 24})),
		"CONNECT_PROTOCOL 2":    base64.RawURLEncoding.EncodeToString(settingsPayload(http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 2})),
		"65 settings":           base64.RawURLEncoding.EncodeToString(make([]byte, 65*6)),
		"padding in the middle": "AAMA=AABk",
		"too much padding":      raw + "====",
		"padding to no quantum": raw[:len(raw)-1] + "=",
	}
	for name, v := range bad {
		if got, err := DecodeSettingsHeader([]byte(v)); err == nil || !errors.Is(err, ErrSettingsHeader) {
			t.Errorf("%s (%q): %v, %v", name, v, got, err)
		}
	}
	if _, err := NewUpgradedConn(Config{}, []http2.Setting{{ID: http2.SettingEnablePush, Val: 2}}); err == nil {
		t.Error("NewUpgradedConn took an invalid setting")
	}
}

func TestUpgrade(t *testing.T) {
	set, err := DecodeSettingsHeader([]byte(base64.RawURLEncoding.EncodeToString(settingsPayload(
		http2.Setting{ID: http2.SettingHeaderTableSize, Val: 100},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: 20000},
	))))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewUpgradedConn(Config{}, set)
	if err != nil {
		t.Fatal(err)
	}
	// the server preface, as NewConn's, and no ACK for the header's
	// settings
	out := output(t, c)
	if len(out) != 2 || out[0].Type != http2.FrameSettings || out[0].Flags != 0 || out[1].Type != http2.FrameWindowUpdate {
		t.Fatalf("server preface %+v", out)
	}
	if p := c.Peer(); p.HeaderTableSize != 100 || p.InitialWindowSize != 1000 || p.MaxFrameSize != 20000 {
		t.Fatalf("peer settings %+v", p)
	}
	if c.State(1) != StateHalfClosedRemote || c.Streams() != 1 || c.LastStream() != 1 || c.SendAllowance(1) != 1000 {
		t.Fatalf("stream 1: %v, %d streams, last %d, allowance %d", c.State(1), c.Streams(), c.LastStream(), c.SendAllowance(1))
	}
	if !c.SettingsAckPending() {
		t.Fatal("server SETTINGS acknowledged before the client's preface")
	}

	// the client's preface, SETTINGS and ACK follow
	cl := newClient().preface()
	cl.fr.WriteSettingsAck()
	if got := outcome(t, c, cl.take()); got != "event5" {
		t.Fatalf("client preface: %q", got)
	}
	if c.SettingsAckPending() {
		t.Fatal("server SETTINGS still unacknowledged")
	}
	// the client's SETTINGS without values kept the header's
	if p := c.Peer(); p.InitialWindowSize != 1000 || p.MaxFrameSize != 20000 {
		t.Fatalf("peer settings %+v", p)
	}

	// the response on stream 1, its body beyond the stream window
	if err := c.WriteHeaders(1, []byte("resp"), false); err != nil {
		t.Fatal(err)
	}
	if n, err := c.WriteData(1, make([]byte, 1500), true); n != 1000 || err != nil {
		t.Fatalf("WriteData: %d, %v", n, err)
	}
	want := []sent{
		{Type: http2.FrameHeaders, Stream: 1, Flags: http2.FlagHeadersEndHeaders, Len: 4},
		{Type: http2.FrameData, Stream: 1, Len: 1000},
	}
	if out := output(t, c); !reflect.DeepEqual(out, want) {
		t.Fatalf("response\n%+v\nwant\n%+v", out, want)
	}
	cl.fr.WriteWindowUpdate(1, 500)
	if got := outcome(t, c, cl.take()); got != "window" {
		t.Fatalf("WINDOW_UPDATE: %q", got)
	}
	if n, err := c.WriteData(1, make([]byte, 500), true); n != 500 || err != nil {
		t.Fatalf("WriteData: %d, %v", n, err)
	}
	if c.State(1) != StateClosed || c.Streams() != 0 {
		t.Fatalf("stream 1 after END_STREAM: %v, %d streams", c.State(1), c.Streams())
	}
	want = []sent{{Type: http2.FrameData, Stream: 1, Flags: http2.FlagDataEndStream, Len: 500}}
	if out := output(t, c); !reflect.DeepEqual(out, want) {
		t.Fatalf("response\n%+v\nwant\n%+v", out, want)
	}

	// the next request is stream 3; stream 1 is closed
	cl.headers(3, "h", true)
	if got := outcome(t, c, cl.take()); got != "headers" || c.LastStream() != 3 {
		t.Fatalf("stream 3: %q, last %d", got, c.LastStream())
	}
	cl.headers(1, "h", true)
	if got := outcome(t, c, cl.take()); got != "connerror GOAWAY:STREAM_CLOSED" {
		t.Fatalf("HEADERS on the closed stream 1: %q", got)
	}
}

// TestUpgradeStreamOne checks the peer's frames on stream 1 while the
// upgraded request is being answered: it is half-closed (remote).
func TestUpgradeStreamOne(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(cl *client)
		want  string
	}{
		{"DATA", func(cl *client) { cl.data(1, "x", false) }, "reset(local) RST:STREAM_CLOSED"},
		{"HEADERS", func(cl *client) { cl.headers(1, "h", true) }, "reset(local) headers(discard) RST:STREAM_CLOSED"},
		{"RST_STREAM", func(cl *client) { cl.fr.WriteRSTStream(1, http2.ErrCodeCancel) }, "reset"},
		{"WINDOW_UPDATE", func(cl *client) { cl.fr.WriteWindowUpdate(1, 1) }, "window"},
		{"HEADERS on stream 3", func(cl *client) { cl.headers(3, "h", false) }, "headers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewUpgradedConn(Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			cl := newClient().preface()
			feedAll(t, c, cl.take())
			output(t, c)
			tc.write(cl)
			if got := outcome(t, c, cl.take()); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}

	// the client's preface is still required
	c, _ := NewUpgradedConn(Config{}, nil)
	output(t, c)
	if got := outcome(t, c, []byte("GET / HTTP/1.1\r\n\r\n")); got != "connerror GOAWAY:PROTOCOL_ERROR" {
		t.Fatalf("no client preface: %q", got)
	}
}
