package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/golws/lws"
)

// message is a status as a client decodes it.
type message struct {
	Version   string `json:"version"`
	WSSOverH2 string `json:"wss_over_h2"`
	Hostname  string `json:"hostname"`
	WSI       string `json:"wsi"`
	Conns     []struct {
		Peer string `json:"peer"`
		Time string `json:"time"`
		UA   string `json:"ua"`
	} `json:"conns"`
}

// decode parses a status strictly: no unknown members, nothing after it.
func decode(p []byte) (message, error) {
	var m message
	d := json.NewDecoder(bytes.NewReader(p))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return m, err
	}
	if d.More() {
		return m, errors.New("trailing data after the status")
	}
	return m, nil
}

// uas lists the user agents of a status in order.
func (m message) uas() []string {
	var s []string
	for _, c := range m.Conns {
		s = append(s, c.UA)
	}
	return s
}

type sentFrame struct {
	p  string
	wt lws.WriteType
}

// drain takes every frame a session has to send, as a connection that is
// always writeable would, calling between(i) before the i-th frame.
func drain(s *session, vd *vhostData, between func(i int)) []sentFrame {
	var out []sentFrame
	for i := 0; ; i++ {
		if between != nil {
			between(i)
		}
		p, wt, ok := s.nextFrame(vd)
		if !ok {
			if s.more() {
				panic("nothing to send but more() says otherwise")
			}
			return out
		}
		out = append(out, sentFrame{string(p), wt})
	}
}

// messages splits frames into messages, checking the frame types: TEXT
// without FIN, CONTINUATION without FIN, and a final CONTINUATION.
func messages(t *testing.T, frames []sentFrame) []message {
	t.Helper()
	var msgs []message
	var cur []byte
	for i, f := range frames {
		first := cur == nil
		final := f.wt&lws.WriteNoFin == 0
		want := lws.WriteWSFlags(lws.WriteText, first, final)
		if f.wt != want {
			t.Fatalf("frame %d (%q): write type %#x, want %#x", i, f.p, int(f.wt), int(want))
		}
		cur = append(cur, f.p...)
		if final {
			if f.p != "]}" {
				t.Fatalf("final frame %q, want \"]}\"", f.p)
			}
			m, err := decode(cur)
			if err != nil {
				t.Fatalf("message %q: %v", cur, err)
			}
			if m.WSI != strconv.Itoa(len(m.Conns)) {
				t.Fatalf("wsi %q for %d conns", m.WSI, len(m.Conns))
			}
			msgs = append(msgs, m)
			cur = nil
		}
	}
	if cur != nil {
		t.Fatalf("unfinished message %q", cur)
	}
	return msgs
}

func newTestSession(vd *vhostData, ua string) *session {
	s := &session{entry: appendEntry(nil, "10.0.0.1", 1700000000, ua)}
	vd.add(s)
	return s
}

func TestMessageShape(t *testing.T) {
	vd := newVhostData(`host "x"`)
	a := newTestSession(vd, "a")
	frames := drain(a, vd, nil)
	if len(frames) != 3 {
		t.Fatalf("%d frames, want head, one connection and the end: %v", len(frames), frames)
	}
	want := `{"version":"golws","wss_over_h2":"0","hostname":"host \"x\"","wsi":"1","conns":[` +
		`{"peer":"10.0.0.1","time":"1700000000","ua":"a"}]}`
	var got string
	for _, f := range frames {
		got += f.p
	}
	if got != want {
		t.Fatalf("status\n%s\nwant\n%s", got, want)
	}
	m := messages(t, frames)[0]
	if m.Hostname != `host "x"` || m.Version != Version || m.WSSOverH2 != "0" {
		t.Fatalf("%+v", m)
	}
}

func TestNewestFirstAndCommas(t *testing.T) {
	vd := newVhostData("h")
	a := newTestSession(vd, "a")
	newTestSession(vd, "b")
	newTestSession(vd, "c")
	msgs := messages(t, drain(a, vd, nil))
	if len(msgs) != 1 {
		t.Fatalf("%d messages after three changes, want them coalesced into one", len(msgs))
	}
	if got := strings.Join(msgs[0].uas(), ","); got != "c,b,a" {
		t.Fatalf("order %s, want newest first c,b,a", got)
	}
}

func TestChangeMidMessage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		at     int // the frame before which the list changes
		change func(vd *vhostData, ss map[string]*session)
		second string
	}{
		{"add after head", 1, func(vd *vhostData, ss map[string]*session) { ss["d"] = newTestSession(vd, "d") }, "d,c,b,a"},
		{"remove next", 1, func(vd *vhostData, ss map[string]*session) { vd.remove(ss["b"]) }, "c,a"},
		{"remove last before it is sent", 3, func(vd *vhostData, ss map[string]*session) { vd.remove(ss["a"]) }, "c,b"},
		{"remove all others before the end", 4, func(vd *vhostData, ss map[string]*session) {
			vd.remove(ss["a"])
			vd.remove(ss["b"])
		}, "c"},
		{"remove and add", 2, func(vd *vhostData, ss map[string]*session) {
			vd.remove(ss["b"])
			ss["e"] = newTestSession(vd, "e")
		}, "e,c,a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vd := newVhostData("h")
			ss := map[string]*session{}
			for _, n := range []string{"a", "b", "c"} {
				ss[n] = newTestSession(vd, n)
			}
			// The newest connection, first in the list, is sending.
			msgs := messages(t, drain(ss["c"], vd, func(i int) {
				if i == tc.at {
					tc.change(vd, ss)
				}
			}))
			if len(msgs) != 2 {
				t.Fatalf("%d messages, want the one under way and a fresh one", len(msgs))
			}
			if got := strings.Join(msgs[0].uas(), ","); got != "c,b,a" {
				t.Fatalf("message under way lists %s, want c,b,a as when it started", got)
			}
			if got := strings.Join(msgs[1].uas(), ","); got != tc.second {
				t.Fatalf("fresh message lists %s, want %s", got, tc.second)
			}
		})
	}
}

func TestSnapshotShared(t *testing.T) {
	vd := newVhostData("h")
	a := newTestSession(vd, "a")
	b := newTestSession(vd, "b")
	a.nextFrame(vd)
	b.nextFrame(vd)
	if a.snap == nil || a.snap != b.snap {
		t.Fatal("two messages of the same list do not share their snapshot")
	}
	newTestSession(vd, "c")
	if vd.snap != nil {
		t.Fatal("a change kept the old snapshot as current")
	}
	if len(a.snap.list) != 2 {
		t.Fatal("a change modified a snapshot in use")
	}
}

func TestEmptyList(t *testing.T) {
	vd := newVhostData("h")
	s := &session{pending: true}
	msgs := messages(t, drain(s, vd, nil))
	if len(msgs) != 1 || msgs[0].WSI != "0" || msgs[0].Conns == nil || len(msgs[0].Conns) != 0 {
		t.Fatalf("%+v", msgs)
	}
}

func TestRemoveUnlisted(t *testing.T) {
	vd := newVhostData("h")
	a := newTestSession(vd, "a")
	drain(a, vd, nil)
	vd.remove(&session{})
	if a.more() {
		t.Fatal("removing a connection that was never listed owes a status")
	}
	vd.remove(a)
	vd.remove(a)
	if len(vd.sessions) != 0 {
		t.Fatal(len(vd.sessions))
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{`q"b\s/`, `q"b\s/`},
		{"\n\r\t\x00\x01\x1f\x7f", "\n\r\t\x00\x01\x1f\x7f"},
		{"é€😀", "é€😀"},
		{"bad\xff\xc3", "bad\ufffd\ufffd"},
		{"\u2028\u2029", "\u2028\u2029"},
		{"<script>&", "<script>&"},
	} {
		enc := appendJSONString(nil, tc.in)
		if !utf8.Valid(enc) {
			t.Errorf("%q: encoding %q is not UTF-8", tc.in, enc)
		}
		for _, b := range enc {
			if b < 0x20 {
				t.Errorf("%q: encoding %q holds a control character", tc.in, enc)
			}
		}
		if bytes.ContainsRune(enc, '\u2028') || bytes.ContainsRune(enc, '\u2029') {
			t.Errorf("%q: line separators left raw in %q", tc.in, enc)
		}
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Errorf("%q: %q: %v", tc.in, enc, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%q decodes to %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUserAgentAndPeer(t *testing.T) {
	if got := userAgent(""); got != "unknown" {
		t.Error(got)
	}
	if ua := strings.Repeat("u", 255); userAgent(ua) != ua {
		t.Error("255 bytes refused")
	}
	if got := userAgent(strings.Repeat("u", 256)); got != "unknown" {
		t.Error("256 bytes kept")
	}
	for in, want := range map[netip.AddrPort]string{
		{}: "unknown",
		netip.MustParseAddrPort("[::ffff:192.0.2.1]:80"): "192.0.2.1",
		netip.MustParseAddrPort("[2001:db8::1]:80"):      "2001:db8::1",
		netip.MustParseAddrPort("127.0.0.1:5"):           "127.0.0.1",
	} {
		if got := peerString(in); got != want {
			t.Errorf("%v: %q, want %q", in, got, want)
		}
	}
}
