package h2

import (
	"encoding/binary"

	"golang.org/x/net/http2"
)

// The frames are parsed here rather than by x/net's Framer, which copies
// every payload into a buffer of its own and allocates most frames it
// returns: a frame is read in place, in the bytes given to Feed or in the
// buffer of a frame split across calls, and each frame type's layout
// checks (RFC 9113 section 6) give the error codes the Framer gives,
// except for a HEADERS frame's padding longer than its payload, a
// connection error as RFC 9113 section 6.2 says (the Framer makes it a
// stream error, which would lose the block's HPACK state).

// streamIDMask drops the reserved bit of a stream id.
const streamIDMask = 1<<31 - 1

// frame handles one whole frame, b its header and payload.
func (c *Conn) frame(b []byte) (Event, error) {
	typ := http2.FrameType(b[3])
	flags := http2.Flags(b[4])
	id := binary.BigEndian.Uint32(b[5:]) & streamIDMask
	p := b[frameHeaderLen:]
	if !c.settled {
		// RFC 9113 section 3.4: the preface ends with SETTINGS
		if typ != http2.FrameSettings || flags.Has(http2.FlagSettingsAck) {
			return Event{}, connErr(http2.ErrCodeProtocol, "client preface without SETTINGS")
		}
		c.settled = true
	}
	if c.hb.active && (typ != http2.FrameContinuation || id != c.hb.stream) {
		return Event{}, connErr(http2.ErrCodeProtocol, "header block interrupted")
	}
	switch typ {
	case http2.FrameData:
		if id == 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "DATA on stream 0")
		}
		d, err := unpad(p, flags.Has(http2.FlagDataPadded))
		if err != nil {
			return Event{}, err
		}
		end := flags.Has(http2.FlagDataEndStream)
		if err := c.carries(len(d) > 0 || end); err != nil {
			return Event{}, err
		}
		return c.data(id, d, len(p), end)

	case http2.FrameHeaders:
		if id == 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "HEADERS on stream 0")
		}
		pad := 0
		if flags.Has(http2.FlagHeadersPadded) {
			if len(p) < 1 {
				return Event{}, connErr(http2.ErrCodeFrameSize, "padded HEADERS without its pad length")
			}
			pad, p = int(p[0]), p[1:]
		}
		selfDep := false
		if flags.Has(http2.FlagHeadersPriority) {
			if len(p) < 5 {
				return Event{}, connErr(http2.ErrCodeFrameSize, "HEADERS too short for its priority")
			}
			selfDep = binary.BigEndian.Uint32(p)&streamIDMask == id
			p = p[5:]
		}
		if pad > len(p) {
			return Event{}, connErr(http2.ErrCodeProtocol, "HEADERS padding longer than the frame")
		}
		frag := p[:len(p)-pad]
		end := flags.Has(http2.FlagHeadersEndHeaders)
		if err := c.carries(len(frag) > 0 || end); err != nil {
			return Event{}, err
		}
		return c.headers(id, frag, flags.Has(http2.FlagHeadersEndStream), end, selfDep)

	case http2.FramePriority:
		if id == 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "PRIORITY on stream 0")
		}
		if len(p) != 5 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "PRIORITY of a wrong size")
		}
		// RFC 9113 section 5.3.2: priority signals are ignored, but
		// cost as much to process as frames that carry nothing
		if err := c.carries(false); err != nil {
			return Event{}, err
		}
		if binary.BigEndian.Uint32(p)&streamIDMask == id {
			// a stream error (RFC 9113 section 5.3.1), but no
			// RST_STREAM may name an idle stream (section 5.1): the
			// connection ends instead
			if c.idle(id) {
				return Event{}, connErr(http2.ErrCodeProtocol, "idle stream depends on itself")
			}
			return Event{}, streamErr(id, http2.ErrCodeProtocol, "stream depends on itself")
		}
		return Event{}, nil

	case http2.FrameRSTStream:
		if len(p) != 4 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "RST_STREAM of a wrong size")
		}
		if id == 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "RST_STREAM on stream 0")
		}
		if err := c.carries(c.streams[id] != nil); err != nil {
			return Event{}, err
		}
		return c.rstStream(id, http2.ErrCode(binary.BigEndian.Uint32(p)))

	case http2.FrameSettings:
		ack := flags.Has(http2.FlagSettingsAck)
		if ack && len(p) > 0 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "SETTINGS ACK with a payload")
		}
		if id != 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "SETTINGS on a stream")
		}
		if len(p)%6 != 0 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "SETTINGS of a wrong size")
		}
		// the server sends one SETTINGS: further ACKs carry nothing
		if err := c.carries(!ack || !c.acked); err != nil {
			return Event{}, err
		}
		return c.settings(ack, p)

	case http2.FramePushPromise:
		return Event{}, connErr(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")

	case http2.FramePing:
		if len(p) != 8 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "PING of a wrong size")
		}
		if id != 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "PING on a stream")
		}
		// the server sends no PING: an ACK carries nothing
		ack := flags.Has(http2.FlagPingAck)
		if err := c.carries(!ack); err != nil {
			return Event{}, err
		}
		if !ack {
			c.writer().WritePing(true, [8]byte(p))
			c.queuedControl()
		}
		return Event{}, nil

	case http2.FrameGoAway:
		if id != 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "GOAWAY on a stream")
		}
		if len(p) < 8 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "GOAWAY too short")
		}
		c.empties = 0
		return Event{Kind: EventGoAway, LastStream: binary.BigEndian.Uint32(p) & streamIDMask,
			Code: http2.ErrCode(binary.BigEndian.Uint32(p[4:])), Debug: p[8:]}, nil

	case http2.FrameWindowUpdate:
		if len(p) != 4 {
			return Event{}, connErr(http2.ErrCodeFrameSize, "WINDOW_UPDATE of a wrong size")
		}
		inc := binary.BigEndian.Uint32(p) & streamIDMask
		if inc == 0 {
			// RFC 9113 section 6.9: a stream error, or a connection
			// error on the connection's window
			if id == 0 {
				return Event{}, connErr(http2.ErrCodeProtocol, "WINDOW_UPDATE of 0 on the connection")
			}
			if c.idle(id) {
				return Event{}, connErr(http2.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream")
			}
			return Event{}, streamErr(id, http2.ErrCodeProtocol, "WINDOW_UPDATE of 0")
		}
		if err := c.carries(id == 0 || c.streams[id] != nil); err != nil {
			return Event{}, err
		}
		return c.windowUpdate(id, inc)

	case http2.FrameContinuation:
		if id == 0 {
			return Event{}, connErr(http2.ErrCodeProtocol, "CONTINUATION on stream 0")
		}
		end := flags.Has(http2.FlagContinuationEndHeaders)
		if err := c.carries(len(p) > 0 || end); err != nil {
			return Event{}, err
		}
		return c.continuation(p, end)
	}
	// RFC 9113 section 5.5: unknown frame types (PRIORITY_UPDATE of RFC
	// 9218 among them: the server does not take part) are ignored, and
	// carry nothing
	return Event{}, c.carries(false)
}

// unpad is a DATA frame's payload without its padding (RFC 9113 section
// 6.1).
func unpad(p []byte, padded bool) ([]byte, error) {
	if !padded {
		return p, nil
	}
	if len(p) < 1 {
		return nil, connErr(http2.ErrCodeFrameSize, "padded DATA without its pad length")
	}
	pad := int(p[0])
	p = p[1:]
	if pad > len(p) {
		return nil, connErr(http2.ErrCodeProtocol, "DATA padding longer than the frame")
	}
	return p[:len(p)-pad], nil
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
