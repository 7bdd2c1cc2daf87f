package h2

import "golang.org/x/net/http2"

// maxWindow is the largest flow-control window (RFC 9113 section 6.9.1).
const maxWindow = 1<<31 - 1

// defaultWindow is the initial window of every stream and of the
// connection until SETTINGS say otherwise (RFC 9113 section 6.9.2).
const defaultWindow = 65535

// SendAllowance is how many bytes of DATA the server may send now on
// stream id: the smaller of the stream's and the connection's send
// windows (lws's lws_get_peer_write_allowance). It is 0 when either
// window is exhausted or not positive, and -1 when the stream does not
// exist or the server has already ended its side of it.
func (c *Conn) SendAllowance(id uint32) int {
	s := c.streams[id]
	if s == nil || s.state == StateHalfClosedLocal {
		return -1
	}
	a := min(s.sendWin, c.sendWin)
	if a < 0 {
		return 0
	}
	return int(a)
}

// Consumed tells the connection that the user has consumed n bytes of
// DATA it was given for stream id (Event.Data). Only then does the
// connection give the window back to the peer with WINDOW_UPDATE, once
// half a window has been consumed: a consumer that stops consuming stops
// the peer (backpressure). The stream may already be gone; the connection
// window is given back all the same.
func (c *Conn) Consumed(id uint32, n int) {
	defer c.putWriter()
	if n <= 0 || c.err != nil {
		return
	}
	c.creditConn(int64(n))
	if s := c.streams[id]; s != nil {
		c.creditStream(s, int64(n))
	}
}

// creditStream gives n bytes of a stream's receive window back, in a
// WINDOW_UPDATE once half the window is owed; a stream the peer has ended
// needs no more window.
func (c *Conn) creditStream(s *stream, n int64) {
	if s.state == StateHalfClosedRemote {
		return
	}
	s.recvUnacked += n
	if s.recvUnacked >= int64(c.cfg.InitialWindowSize)/2 {
		c.writer().WriteWindowUpdate(s.id, uint32(s.recvUnacked))
		s.recvWin += s.recvUnacked
		s.recvUnacked = 0
	}
}

// creditConn gives n bytes of the connection's receive window back, in a
// WINDOW_UPDATE once half the window is owed.
func (c *Conn) creditConn(n int64) {
	c.recvUnacked += n
	if c.recvUnacked >= int64(c.cfg.ConnWindowSize)/2 {
		c.writer().WriteWindowUpdate(0, uint32(c.recvUnacked))
		c.recvWin += c.recvUnacked
		c.recvUnacked = 0
	}
}

// windowUpdate applies a WINDOW_UPDATE from the peer.
func (c *Conn) windowUpdate(id uint32, increment uint32) (Event, error) {
	inc := int64(increment)
	if id == 0 {
		if c.sendWin+inc > maxWindow {
			return Event{}, connErr(http2.ErrCodeFlowControl, "connection window above 2^31-1")
		}
		c.sendWin += inc
		return Event{Kind: EventWindow}, nil
	}
	s := c.streams[id]
	if s == nil {
		if c.idle(id) {
			return Event{}, connErr(http2.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream")
		}
		return Event{}, nil // closed: may be in flight
	}
	if s.sendWin+inc > maxWindow {
		return Event{}, streamErr(id, http2.ErrCodeFlowControl, "stream window above 2^31-1")
	}
	s.sendWin += inc
	return Event{Kind: EventWindow, Stream: id}, nil
}

// applyInitialWindow moves every stream's send window by the change of
// the peer's SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 section 6.9.2).
func (c *Conn) applyInitialWindow(v uint32) error {
	delta := int64(v) - int64(c.peer.InitialWindowSize)
	c.peer.InitialWindowSize = v
	for _, s := range c.streams {
		if s.sendWin+delta > maxWindow {
			return connErr(http2.ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window")
		}
		s.sendWin += delta
	}
	return nil
}
