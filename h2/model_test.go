package h2

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/net/http2"
)

// peerView reads what the server queues as its peer does, and checks
// that every frame is well formed and one a server may send at that
// point (RFC 9113): the fuzz targets' check of Output. Frames are read as
// they are queued (scan), so that flow control is checked against the
// windows of that moment, and the bytes the loop writes (sent) must be
// those frames in order.
type peerView struct {
	queued    []byte // scanned and not yet written
	scanned   int    // of Output
	frames    int
	hdrStream uint32 // a header block is open on this stream
	settings  int    // SETTINGS (not ACK) frames seen
	goAways   int
	lastGo    uint32
	failed    bool // a GOAWAY with an error code came: nothing may follow
	// maxFrame is the largest SETTINGS_MAX_FRAME_SIZE the peer sent (a
	// frame queued before the peer lowered it may be larger than the
	// current one)
	maxFrame uint32
	// opened says whether the peer opened stream id (nil: any id up to
	// the connection's last stream)
	opened func(id uint32) bool
	// ended are the streams the server ended: END_STREAM or RST_STREAM
	ended map[uint32]bool
	// windows: with flow set, the peer's receive windows (what the server
	// may still send), the connection's and each stream's, kept by the
	// driver for the peer's SETTINGS and WINDOW_UPDATEs and here for the
	// server's DATA; and what the server granted the peer, 65535 each
	// plus its WINDOW_UPDATEs, less the peer's DATA (driver)
	flow       bool
	recvConn   int64
	recvStream map[uint32]int64
	grantConn  int64
	grant      map[uint32]int64
}

func newPeerView() *peerView {
	return &peerView{maxFrame: 16384, ended: map[uint32]bool{}, recvConn: defaultWindow,
		recvStream: map[uint32]int64{}, grantConn: defaultWindow, grant: map[uint32]int64{}}
}

// scan reads the frames queued since the last scan: Output only ever
// gets whole frames.
func (v *peerView) scan(t testing.TB, c *Conn) {
	t.Helper()
	out := c.Output()
	for p := out[v.scanned:]; len(p) > 0; {
		if len(p) < frameHeaderLen || len(p) < frameHeaderLen+int(frameLen(p)) {
			t.Fatalf("output: %d bytes of a frame", len(p))
		}
		l := frameHeaderLen + int(frameLen(p))
		v.frame(t, c, p[:l])
		v.queued = append(v.queued, p[:l]...)
		p = p[l:]
	}
	v.scanned = len(out)
}

// sent writes the first k bytes of Output, as the loop does.
func (v *peerView) sent(t testing.TB, c *Conn, k int) {
	t.Helper()
	v.scan(t, c)
	if !bytes.Equal(c.Output()[:k], v.queued[:k]) {
		t.Fatal("output written is not the frames queued")
	}
	v.queued = v.queued[k:]
	c.Sent(k)
	v.scanned -= k
	if len(c.Output()) != v.scanned || !bytes.Equal(c.Output(), v.queued) {
		t.Fatal("output after Sent is not the rest of the frames queued")
	}
}

func (v *peerView) frame(t testing.TB, c *Conn, b []byte) {
	t.Helper()
	typ, flags := http2.FrameType(b[3]), http2.Flags(b[4])
	id := binary.BigEndian.Uint32(b[5:])
	p := b[frameHeaderLen:]
	v.frames++
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf("output frame %d (%v flags %#x stream %d, %d bytes): %s", v.frames, typ, flags, id, len(p), fmt.Sprintf(format, a...))
	}
	if id>>31 != 0 {
		fail("reserved bit set")
	}
	if v.failed {
		fail("after a GOAWAY with an error code")
	}
	if uint32(len(p)) > v.maxFrame {
		fail("larger than the peer's SETTINGS_MAX_FRAME_SIZE")
	}
	if v.frames == 1 && (typ != http2.FrameSettings || flags != 0) {
		fail("the server preface is not SETTINGS")
	}
	if v.hdrStream != 0 && (typ != http2.FrameContinuation || id != v.hdrStream) {
		fail("header block on stream %d interrupted", v.hdrStream)
	}
	opened := func() {
		t.Helper()
		if id == 0 || id&1 == 0 {
			fail("on a stream the peer cannot have opened")
		}
		if v.opened != nil && !v.opened(id) || v.opened == nil && id > c.LastStream() {
			fail("on an idle stream")
		}
	}
	switch typ {
	case http2.FrameSettings:
		if id != 0 {
			fail("on a stream")
		}
		if flags&http2.FlagSettingsAck != 0 {
			if len(p) != 0 {
				fail("ACK with a payload")
			}
		} else if v.settings++; v.settings > 1 || len(p)%6 != 0 {
			fail("a second SETTINGS, or a bad one")
		}
	case http2.FramePing:
		if id != 0 || len(p) != 8 || flags&http2.FlagPingAck == 0 {
			fail("not a PING ACK")
		}
	case http2.FrameWindowUpdate:
		if len(p) != 4 {
			fail("bad size")
		}
		inc := int64(binary.BigEndian.Uint32(p))
		if inc == 0 || inc > maxWindow {
			fail("increment %d", inc)
		}
		if id == 0 {
			v.grantConn += inc
			if v.grantConn > maxWindow {
				fail("connection window granted up to %d", v.grantConn)
			}
			break
		}
		opened()
		if _, ok := v.grant[id]; !ok {
			v.grant[id] = defaultWindow
		}
		if v.grant[id] += inc; v.grant[id] > maxWindow {
			fail("stream window granted up to %d", v.grant[id])
		}
	case http2.FrameRSTStream:
		if len(p) != 4 {
			fail("bad size")
		}
		opened()
		v.ended[id] = true
		if v.flow && http2.ErrCode(binary.BigEndian.Uint32(p)) == http2.ErrCodeFlowControl {
			fail("FLOW_CONTROL_ERROR though the peer kept to the windows")
		}
	case http2.FrameGoAway:
		if id != 0 || len(p) < 8 {
			fail("bad GOAWAY")
		}
		last := binary.BigEndian.Uint32(p) & (1<<31 - 1)
		code := http2.ErrCode(binary.BigEndian.Uint32(p[4:]))
		if v.goAways++; v.goAways > 1 && last > v.lastGo {
			fail("last stream %d after %d", last, v.lastGo)
		}
		v.lastGo = last
		v.failed = code != http2.ErrCodeNo
		if v.flow && code == http2.ErrCodeFlowControl {
			fail("FLOW_CONTROL_ERROR though the peer kept to the windows")
		}
	case http2.FrameHeaders, http2.FrameContinuation:
		opened()
		if typ == http2.FrameHeaders && v.ended[id] {
			fail("HEADERS on a stream the server ended")
		}
		if flags&http2.FlagHeadersEndHeaders != 0 {
			v.hdrStream = 0
		} else {
			v.hdrStream = id
		}
		if typ == http2.FrameHeaders && flags&http2.FlagHeadersEndStream != 0 {
			v.ended[id] = true
		}
	case http2.FrameData:
		opened()
		if v.ended[id] {
			fail("DATA on a stream the server ended")
		}
		if flags&http2.FlagDataEndStream != 0 {
			v.ended[id] = true
		}
		if v.flow {
			v.recvConn -= int64(len(p))
			v.recvStream[id] -= int64(len(p))
			if v.recvConn < 0 || v.recvStream[id] < 0 {
				fail("beyond the peer's windows: connection %d, stream %d", v.recvConn, v.recvStream[id])
			}
		}
	default:
		fail("a frame type the server never sends")
	}
}

// checkConn checks the connection's own invariants: windows within
// 2^31-1, every bound of Config kept, nothing growing without bound.
// owed is what the user was given and has not yet consumed.
func checkConn(t testing.TB, c *Conn, owed int64) {
	t.Helper()
	cfg := &c.cfg
	if c.sendWin > maxWindow || c.recvWin > maxWindow || c.recvWin+c.recvUnacked > maxWindow {
		t.Fatalf("connection windows: send %d, receive %d+%d", c.sendWin, c.recvWin, c.recvUnacked)
	}
	if c.err == nil && c.recvWin+c.recvUnacked+owed != int64(cfg.ConnWindowSize) {
		t.Fatalf("connection receive window %d+%d and %d owed, not %d", c.recvWin, c.recvUnacked, owed, cfg.ConnWindowSize)
	}
	if len(c.streams) > int(cfg.MaxConcurrentStreams) || len(c.free) > int(cfg.MaxConcurrentStreams)+1 {
		t.Fatalf("%d streams, %d free", len(c.streams), len(c.free))
	}
	for id, s := range c.streams {
		if s.id != id || id&1 == 0 || id > c.lastStream {
			t.Fatalf("stream %d (%d) with last %d", id, s.id, c.lastStream)
		}
		if s.state != StateOpen && s.state != StateHalfClosedLocal && s.state != StateHalfClosedRemote {
			t.Fatalf("stream %d live in state %v", id, s.state)
		}
		if s.sendWin > maxWindow || s.recvWin+s.recvUnacked > maxWindow || s.recvWin+s.recvUnacked < 0 {
			t.Fatalf("stream %d windows: send %d, receive %d+%d", id, s.sendWin, s.recvWin, s.recvUnacked)
		}
		if c.State(id) != s.state {
			t.Fatalf("State(%d) %v, live %v", id, c.State(id), s.state)
		}
	}
	if c.err == nil && len(c.hb.buf) > int(cfg.MaxHeaderListSize) || cap(c.hb.buf) > 2*(int(cfg.MaxHeaderListSize)+int(cfg.MaxFrameSize)) {
		t.Fatalf("header block buffer %d/%d", len(c.hb.buf), cap(c.hb.buf))
	}
	if cap(c.pend) > frameHeaderLen+int(cfg.MaxFrameSize) {
		t.Fatalf("frame buffer %d", cap(c.pend))
	}
	if c.resetTokens > cfg.MaxResets || c.control > cfg.MaxPendingControl+1 || c.empties > cfg.MaxEmptyFrames+1 {
		t.Fatalf("budgets: resets %d, control %d, empties %d", c.resetTokens, c.control, c.empties)
	}
	if c.err != nil && c.next.Kind != EventNone {
		t.Fatalf("event %v pending after the connection failed", c.next.Kind)
	}
}
