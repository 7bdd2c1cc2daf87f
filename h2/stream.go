package h2

import (
	"errors"

	"golang.org/x/net/http2"
)

// State is a stream's state (RFC 9113 section 5.1). A server that never
// pushes has no reserved states.
type State uint8

// The stream states.
const (
	// StateIdle: the stream has not been opened yet.
	StateIdle State = iota
	// StateOpen: both sides may send.
	StateOpen
	// StateHalfClosedLocal: the server has sent END_STREAM; the peer
	// may still send.
	StateHalfClosedLocal
	// StateHalfClosedRemote: the peer has sent END_STREAM; the server
	// may still send.
	StateHalfClosedRemote
	// StateClosed: neither side sends any more.
	StateClosed
)

var stateNames = [...]string{"idle", "open", "half-closed (local)", "half-closed (remote)", "closed"}

// String returns the state's name as RFC 9113 section 5.1 writes it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "invalid"
}

// stream is one live (open or half-closed) stream. Closed streams are
// not kept: a peer stream id at or below the highest one opened that has
// no entry is closed.
type stream struct {
	id    uint32
	state State
	// sendWin is what the peer lets the server send on this stream; it
	// may go negative when the peer lowers SETTINGS_INITIAL_WINDOW_SIZE.
	sendWin int64
	// recvWin is what the peer may still send on this stream before a
	// WINDOW_UPDATE; recvUnacked is what the user consumed and the
	// server has not yet given back.
	recvWin     int64
	recvUnacked int64
	// remain is what the request's content-length says is still to
	// come in DATA (SetContentLength); -1 when no length was declared
	remain int64
}

// idRing remembers the last streams closed one way. Those the server
// reset may still have frames of the peer's in flight, which RFC 9113
// section 5.1 says to process minimally and drop; frames on those the
// peer closed are STREAM_CLOSED errors; a stream id below the highest
// opened in neither ring was skipped, or closed long ago.
type idRing struct {
	ids  [idRingSize]uint32
	next int
}

const idRingSize = 64

func (r *idRing) add(id uint32) {
	r.ids[r.next] = id
	r.next = (r.next + 1) % idRingSize
}

func (r *idRing) has(id uint32) bool {
	for _, v := range r.ids {
		if v == id {
			return true
		}
	}
	return false
}

// errNotWritable is returned by the writers for a stream that is not live
// or whose server side has ended.
var errNotWritable = errors.New("h2: stream is not open for sending")

// writable is the live stream id when the server may still send on it.
func (c *Conn) writable(id uint32) *stream {
	s := c.streams[id]
	if c.err != nil || s == nil || s.state == StateHalfClosedLocal {
		return nil
	}
	return s
}

// WriteHeaders queues an encoded header block (a response's, or
// trailers) for stream id: one HEADERS frame and as many CONTINUATION
// frames as the peer's SETTINGS_MAX_FRAME_SIZE asks. endStream ends the
// server's side of the stream.
func (c *Conn) WriteHeaders(id uint32, block []byte, endStream bool) error {
	defer c.putWriter()
	s := c.writable(id)
	if s == nil {
		return errNotWritable
	}
	max := int(c.peer.MaxFrameSize)
	first := block[:min(len(block), max)]
	block = block[len(first):]
	c.writer().WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first,
		EndStream: endStream, EndHeaders: len(block) == 0})
	for len(block) > 0 {
		frag := block[:min(len(block), max)]
		block = block[len(frag):]
		c.writer().WriteContinuation(id, len(block) == 0, frag)
	}
	if endStream {
		c.localEnded(s)
	}
	return nil
}

// WriteData queues as much of p as the send windows allow
// (SendAllowance) for stream id, in DATA frames no larger than the peer's
// SETTINGS_MAX_FRAME_SIZE, and returns how much it took. endStream ends
// the server's side of the stream once all of p is taken; an empty p with
// endStream queues an empty DATA frame that only ends the stream.
func (c *Conn) WriteData(id uint32, p []byte, endStream bool) (int, error) {
	defer c.putWriter()
	s := c.writable(id)
	if s == nil {
		return 0, errNotWritable
	}
	allow := int(max(min(s.sendWin, c.sendWin), 0))
	take := min(len(p), allow)
	end := endStream && take == len(p)
	mf := int(c.peer.MaxFrameSize)
	n := 0
	for n < take || (n == 0 && end) {
		k := min(take-n, mf)
		last := n+k == take
		c.writer().WriteData(id, end && last, p[n:n+k])
		n += k
		if last {
			break
		}
	}
	s.sendWin -= int64(take)
	c.sendWin -= int64(take)
	if end {
		c.localEnded(s)
	}
	return take, nil
}

// localEnded moves a stream on after the server's END_STREAM.
func (c *Conn) localEnded(s *stream) {
	switch s.state {
	case StateOpen:
		s.state = StateHalfClosedLocal
	case StateHalfClosedRemote:
		s.state = StateClosed
		c.closed.add(s.id)
		c.closeStream(s.id, true)
	}
}

// GoAway starts a graceful shutdown: a GOAWAY with code (NO_ERROR for a
// plain shutdown) naming the last stream the server will process. Live
// streams go on; header blocks of newer streams are reported with
// Discard. The loop closes the connection once no stream is live
// (Streams).
func (c *Conn) GoAway(code http2.ErrCode) {
	defer c.putWriter()
	if c.err != nil || c.goneAway {
		return
	}
	c.goneAway = true
	c.goAwayLast = c.lastStream
	c.writer().WriteGoAway(c.lastStream, code, nil)
}

// Streams is how many streams are live (open or half-closed).
func (c *Conn) Streams() int { return len(c.streams) }

// SetContentLength gives stream id's content-length, as the request's
// header block declared it, once the block decoded: the DATA the peer
// sends on the stream must add up to n (RFC 9113 section 8.1.1), or the
// stream is reset with PROTOCOL_ERROR as a malformed request, reported by
// Feed as an EventReset (Local) when DATA goes beyond n or the stream
// ends short of it. It returns false when the stream was reset at once:
// the peer had already ended its side with less DATA than n (a request
// of a content-length above 0 without a body). Nothing happens for a
// stream that is not live.
func (c *Conn) SetContentLength(id uint32, n int64) bool {
	defer c.putWriter()
	s := c.streams[id]
	if c.err != nil || s == nil || n < 0 {
		return true
	}
	if s.state == StateHalfClosedRemote {
		if n == 0 {
			return true
		}
		c.resetStream(id, http2.ErrCodeProtocol)
		return false
	}
	s.remain = n
	return true
}
