package lws

import (
	"errors"

	"github.com/golws/lws/ws"
)

// MessageBuffer gathers the pieces RECEIVE hands over into whole messages,
// for protocols that want messages rather than fragments. golws, like lws,
// never reassembles on its own; a MessageBuffer does, up to Limit bytes,
// so that memory per connection stays bounded. Keep one per connection
// (in its session data).
type MessageBuffer struct {
	// Limit is the largest message accepted; zero means 1 MiB.
	Limit int
	buf   []byte
}

// ErrMessageTooBig is returned by MessageBuffer.Receive for a message over
// its limit; the connection's Close frame is then set to 1009.
var ErrMessageTooBig = errors.New("lws: message larger than the MessageBuffer limit")

// Receive adds a piece received on c. When the piece ends a message it
// returns the whole message (valid until the next call), whether it is
// binary, and complete true. A message over Limit returns
// ErrMessageTooBig, which the callback should return to close the
// connection.
func (m *MessageBuffer) Receive(c *Conn, in []byte) (msg []byte, binary, complete bool, err error) {
	limit := m.Limit
	if limit <= 0 {
		limit = 1 << 20
	}
	if c.IsFirstFragment() {
		m.buf = m.buf[:0]
	}
	if len(m.buf)+len(in) > limit {
		m.buf = nil
		c.CloseReason(ws.CloseMessageTooBig, "message too big")
		return nil, false, false, ErrMessageTooBig
	}
	if !c.IsFinalFragment() {
		m.buf = append(m.buf, in...)
		return nil, false, false, nil
	}
	if len(m.buf) == 0 {
		return in, c.FrameIsBinary(), true, nil // a message in one piece: no copy
	}
	m.buf = append(m.buf, in...)
	msg = m.buf
	if cap(m.buf) > 64<<10 {
		m.buf = nil // do not keep a large buffer for the next message
	} else {
		m.buf = m.buf[:0]
	}
	return msg, c.FrameIsBinary(), true, nil
}
