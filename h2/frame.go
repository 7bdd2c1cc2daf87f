package h2

import (
	"errors"
	"io"

	"golang.org/x/net/http2"
)

// Frames are read by x/net's Framer, one whole frame at a time (Feed cuts
// the input into frames by the length in their header). The Framer's own
// answers are mostly the protocol's; framerError adjusts the few that are
// not: a HEADERS frame's padding longer than its payload is a connection
// error (RFC 9113 section 6.2; the Framer makes it a stream error, which
// would lose the block's HPACK state), a WINDOW_UPDATE of 0 on an idle
// stream too (no RST_STREAM may name an idle stream, section 5.1), and a
// PRIORITY_UPDATE (RFC 9218) is ignored whatever it holds, the server
// taking no part in it.

// frameReader hands the Framer one whole frame.
type frameReader struct{ b []byte }

// Read gives the Framer what is left of the frame.
func (r *frameReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errNoInput
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

var errNoInput = errors.New("h2: frame read past its end")

// newFramer makes the connection's reading Framer: it reads the peer's
// frames from rd (the server's are written by the Framer writer lends).
func (c *Conn) newFramer() {
	c.fr = http2.NewFramer(nil, &c.rd) // reads only: writes go through writer
	c.fr.SetReuseFrames()
	c.fr.SetMaxReadFrameSize(c.cfg.MaxFrameSize)
	c.fr.AllowIllegalReads = true // the state machine checks frame order
}

// frame handles one whole frame, b its header and payload.
func (c *Conn) frame(b []byte) (Event, error) {
	c.rd.b = b
	fh, err := c.fr.ReadFrameHeader()
	if err != nil {
		return c.framerError(fh, err)
	}
	if !c.settled {
		// RFC 9113 section 3.4: the preface ends with SETTINGS
		if fh.Type != http2.FrameSettings || fh.Flags.Has(http2.FlagSettingsAck) {
			return Event{}, connErr(http2.ErrCodeProtocol, "client preface without SETTINGS")
		}
		c.settled = true
	}
	if c.hb.active && (fh.Type != http2.FrameContinuation || fh.StreamID != c.hb.stream) {
		return Event{}, connErr(http2.ErrCodeProtocol, "header block interrupted")
	}
	f, err := c.fr.ReadFrameForHeader(fh)
	if err != nil {
		return c.framerError(fh, err)
	}
	id := fh.StreamID
	switch f := f.(type) {
	case *http2.DataFrame:
		d := f.Data()
		end := f.StreamEnded()
		if err := c.carries(len(d) > 0 || end); err != nil {
			return Event{}, err
		}
		return c.data(id, d, int(fh.Length), end)

	case *http2.HeadersFrame:
		frag := f.HeaderBlockFragment()
		end := f.HeadersEnded()
		if err := c.carries(len(frag) > 0 || end); err != nil {
			return Event{}, err
		}
		selfDep := f.HasPriority() && f.Priority.StreamDep == id
		return c.headers(id, frag, f.StreamEnded(), end, selfDep)

	case *http2.PriorityFrame:
		// RFC 9113 section 5.3.2: priority signals are ignored, but
		// cost as much to process as frames that carry nothing
		if err := c.carries(false); err != nil {
			return Event{}, err
		}
		if f.StreamDep == id {
			// a stream error (RFC 9113 section 5.3.1), but no
			// RST_STREAM may name an idle stream (section 5.1): the
			// connection ends instead
			if c.idle(id) {
				return Event{}, connErr(http2.ErrCodeProtocol, "idle stream depends on itself")
			}
			return Event{}, streamErr(id, http2.ErrCodeProtocol, "stream depends on itself")
		}
		return Event{}, nil

	case *http2.RSTStreamFrame:
		if err := c.carries(c.streams[id] != nil); err != nil {
			return Event{}, err
		}
		return c.rstStream(id, f.ErrCode)

	case *http2.SettingsFrame:
		// the server sends one SETTINGS: further ACKs carry nothing
		if err := c.carries(!f.IsAck() || !c.acked); err != nil {
			return Event{}, err
		}
		return c.settings(f)

	case *http2.PushPromiseFrame:
		return Event{}, connErr(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")

	case *http2.PingFrame:
		// the server sends no PING: an ACK carries nothing
		if err := c.carries(!f.IsAck()); err != nil {
			return Event{}, err
		}
		if !f.IsAck() {
			c.writer().WritePing(true, f.Data)
			c.queuedControl()
		}
		return Event{}, nil

	case *http2.GoAwayFrame:
		c.empties = 0
		return Event{Kind: EventGoAway, LastStream: f.LastStreamID, Code: f.ErrCode, Debug: f.DebugData()}, nil

	case *http2.WindowUpdateFrame:
		if err := c.carries(id == 0 || c.streams[id] != nil); err != nil {
			return Event{}, err
		}
		return c.windowUpdate(id, f.Increment)

	case *http2.ContinuationFrame:
		frag := f.HeaderBlockFragment()
		end := f.HeadersEnded()
		if err := c.carries(len(frag) > 0 || end); err != nil {
			return Event{}, err
		}
		return c.continuation(frag, end)
	}
	// RFC 9113 section 5.5: unknown frame types (PRIORITY_UPDATE of RFC
	// 9218 among them: the server does not take part) are ignored, and
	// carry nothing
	return Event{}, c.carries(false)
}

// framerError turns an error of the Framer reading frame fh into the
// connection's answer.
func (c *Conn) framerError(fh http2.FrameHeader, err error) (Event, error) {
	switch fh.Type {
	case http2.FramePriorityUpdate:
		// ignored as any unknown type, whatever it holds
		return Event{}, c.carries(false)
	case http2.FramePushPromise:
		return Event{}, connErr(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")
	}
	switch e := err.(type) {
	case http2.ConnectionError:
		reason := "malformed " + fh.Type.String()
		if d := c.fr.ErrorDetail(); d != nil {
			reason = d.Error()
		}
		return Event{}, connErr(http2.ErrCode(e), reason)
	case http2.StreamError:
		switch {
		case fh.Type == http2.FrameHeaders:
			// RFC 9113 section 6.2: padding longer than the frame is
			// a connection error (and a stream error would lose the
			// block's HPACK state)
			return Event{}, connErr(http2.ErrCodeProtocol, "HEADERS padding longer than the frame")
		case e.StreamID == 0 || c.idle(e.StreamID):
			// no RST_STREAM may name an idle stream (RFC 9113
			// section 5.1): a WINDOW_UPDATE of 0 on one ends the
			// connection
			return Event{}, connErr(e.Code, "malformed "+fh.Type.String()+" on an idle stream")
		}
		return Event{}, streamErr(e.StreamID, e.Code, "malformed "+fh.Type.String())
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Event{}, connErr(http2.ErrCodeFrameSize, fh.Type.String()+" too short for its fields")
	case errors.Is(err, http2.ErrFrameTooLarge):
		return Event{}, connErr(http2.ErrCodeFrameSize, "frame larger than SETTINGS_MAX_FRAME_SIZE")
	}
	return Event{}, connErr(http2.ErrCodeInternal, err.Error())
}

// carries accounts a frame: one that carries something for the
// connection or the user resets the count of consecutive frames that
// carry nothing, which Config.MaxEmptyFrames bounds.
func (c *Conn) carries(something bool) error {
	if something {
		c.empties = 0
		return nil
	}
	c.empties++
	if c.empties > c.cfg.MaxEmptyFrames {
		return connErr(http2.ErrCodeEnhanceYourCalm, "too many frames carrying nothing")
	}
	return nil
}
