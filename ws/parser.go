package ws

import "encoding/binary"

// ParserConfig sets the rules a Parser enforces.
type ParserConfig struct {
	// Server is set when the parser reads frames sent by a client: every
	// frame must then be masked. Otherwise (a client reading a server)
	// no frame may be masked.
	Server bool
	// MaxFrame is the largest payload of one frame; 0 means
	// DefaultMaxFrame and a negative value means no limit. A larger frame
	// is a ProtocolError with CloseMessageTooBig, raised on the last byte
	// of its length, before any of its payload is taken.
	MaxFrame int64
	// MaxMessage is the largest total payload of one data message across
	// its fragments; 0 means DefaultMaxMessage and a negative value means
	// no limit. A larger message is a ProtocolError with
	// CloseMessageTooBig, raised at the header of the frame that goes
	// over.
	MaxMessage int64
	// AllowedRSV holds the reserved bits negotiated extensions may set
	// (RSV1, that is 4, for permessage-deflate). Any other reserved bit
	// is a protocol error. Whatever AllowedRSV says, control frames may
	// carry no reserved bit and continuation frames may not carry RSV1
	// (RFC 7692 section 6: the compressed bit belongs to a message's first
	// frame only).
	AllowedRSV byte
}

// The limits a zero ParserConfig applies. lws refuses a frame announcing
// more than 0x10000000 bytes (256 MiB) and a permessage-deflate message
// inflating to more than that; golws caps both a frame and a message at
// that figure unless told otherwise, so that no peer can announce a
// payload without end.
const (
	DefaultMaxFrame   = 256 << 20
	DefaultMaxMessage = 256 << 20
)

// limit turns a configured limit into the one enforced: 0 is def, a
// negative value none (the largest length a frame can have).
func limit(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 1<<63 - 1
	}
	return v
}

// Fragment is what one call of Parser.Next reports: the current frame's
// header and the piece of its payload available now.
type Fragment struct {
	// Header is the current frame's header.
	Header Header
	// Payload holds the payload bytes available now, unmasked in place
	// in the caller's buffer (it aliases the slice given to Next, with its
	// capacity limited to its length). It may be empty.
	Payload []byte
	// FrameStart is set on the first report for a frame: its header has
	// just been completed.
	FrameStart bool
	// FrameEnd is set when this report completes the frame's payload.
	FrameEnd bool
	// MessageStart is set on every report of a frame that begins a
	// message: a Text or Binary frame, or a control frame. It is clear for
	// continuation frames.
	MessageStart bool
	// MessageEnd is set on the report that completes a data frame with
	// Fin, or a control frame: the message is complete.
	MessageEnd bool
	// Remaining is the number of payload bytes of this frame still to
	// come after this report.
	Remaining int64
	// MessageOpcode is OpText or OpBinary for data frames, continuation
	// frames included (the opcode of the message's first frame), and the
	// frame's own opcode for control frames.
	MessageOpcode Opcode
}

type parserState uint8

const (
	stateUnset   parserState = iota // zero value: Reset not called
	stateHeader                     // collecting header bytes
	statePayload                    // delivering payload
	stateFailed                     // a protocol error was reported
)

// Parser is an incremental frame parser: it takes the bytes of a
// connection in pieces of any size and reports frames as soon as their
// headers are complete, then their payload as it arrives. It checks every
// framing rule of RFC 6455 section 5 except those on payload contents
// (UTF-8 of text, Close frame payloads), which the caller checks with UTF8
// and ParseClosePayload.
//
// Its zero value is not ready: call Reset first. A Parser does not
// allocate and is not safe for concurrent use.
type Parser struct {
	cfg   ParserConfig
	state parserState
	err   *ProtocolError

	hdr   [MaxHeaderSize]byte // header bytes received so far
	hlen  int                 // how many of hdr are filled
	ext   int                 // 2 + extended length bytes, known after byte 1
	hsize int                 // whole header size, known after byte 1

	cur       Header
	remaining int64 // payload bytes of cur still to deliver
	maskPos   int   // key offset of the next payload byte
	reported  bool  // cur has been reported at least once

	inMessage bool   // a fragmented data message awaits continuations
	msgOpcode Opcode // opcode of the current or last data message
	msgLen    int64  // payload announced so far for the current message
}

var errNotReset = &ProtocolError{Code: CloseInternalError, Reason: "parser used before reset"}

// Reset makes p ready to parse a new connection with cfg, forgetting any
// frame, message or error in progress.
func (p *Parser) Reset(cfg ParserConfig) {
	cfg.AllowedRSV &= 7
	cfg.MaxFrame = limit(cfg.MaxFrame, DefaultMaxFrame)
	cfg.MaxMessage = limit(cfg.MaxMessage, DefaultMaxMessage)
	*p = Parser{cfg: cfg, state: stateHeader}
}

// Next parses from b. It returns how many bytes of b it consumed and, when
// ok is true, a Fragment. ok is false when the bytes consumed held nothing
// to report (for example part of a header); n is then len(b).
//
// Each call reports at most one fragment, so the caller loops until b is
// consumed, calling Next again with b[n:]. A frame is reported (with
// FrameStart) as soon as its header is complete, even before any payload
// and even with an empty payload: a zero-length frame gives exactly one
// report, with FrameStart and FrameEnd. The payload of one frame may be
// split over many reports. Next never reports more payload than b holds,
// unmasks the payload in place in b, and allocates nothing but the error
// it returns.
//
// A violation of the protocol is returned as a *ProtocolError whose Code
// the connection must close with; it is found on the first byte that
// shows it (a reserved opcode on the frame's first byte, a masking error
// on its second), and n then counts the bytes up to and including that
// one. After a non-nil error the parser is dead: every later call returns
// the same error, consuming nothing, until Reset.
func (p *Parser) Next(b []byte) (n int, f Fragment, ok bool, err error) {
	switch p.state {
	case stateFailed:
		return 0, Fragment{}, false, p.err
	case stateUnset:
		return 0, Fragment{}, false, errNotReset
	case stateHeader:
		for p.state == stateHeader {
			if n == len(b) {
				return n, Fragment{}, false, nil
			}
			p.hdr[p.hlen] = b[n]
			p.hlen++
			n++
			if e := p.headerByte(); e != nil {
				p.state = stateFailed
				p.err = e
				return n, Fragment{}, false, e
			}
		}
	}

	avail := int64(len(b) - n)
	if avail > p.remaining {
		avail = p.remaining
	}
	if avail == 0 && p.reported {
		// Mid-payload with nothing new: b was empty.
		return n, Fragment{}, false, nil
	}
	end := n + int(avail)
	payload := b[n:end:end]
	if p.cur.Masked {
		p.maskPos = Mask(p.cur.Mask, p.maskPos, payload)
	}
	p.remaining -= avail

	f = Fragment{
		Header:     p.cur,
		Payload:    payload,
		FrameStart: !p.reported,
		FrameEnd:   p.remaining == 0,
		Remaining:  p.remaining,
	}
	p.reported = true
	if p.cur.Opcode.IsControl() {
		f.MessageStart = true
		f.MessageOpcode = p.cur.Opcode
		f.MessageEnd = f.FrameEnd
	} else {
		f.MessageStart = p.cur.Opcode != OpContinuation
		f.MessageOpcode = p.msgOpcode
		f.MessageEnd = f.FrameEnd && p.cur.Fin
	}
	if f.FrameEnd {
		p.state = stateHeader
		p.hlen = 0
	}
	return end, f, true, nil
}

// Reasons, fixed so that reporting an error does not build strings.
var reservedOpcodeReason = [16]string{
	3: "reserved opcode 3", 4: "reserved opcode 4", 5: "reserved opcode 5",
	6: "reserved opcode 6", 7: "reserved opcode 7", 11: "reserved opcode 11",
	12: "reserved opcode 12", 13: "reserved opcode 13", 14: "reserved opcode 14",
	15: "reserved opcode 15",
}

// headerByte checks the header byte just stored at hdr[hlen-1] and, when
// the header is complete, starts the frame.
func (p *Parser) headerByte() *ProtocolError {
	switch p.hlen {
	case 1:
		return p.checkFirstByte(p.hdr[0])
	case 2:
		b1 := p.hdr[1]
		masked := b1&0x80 != 0
		if p.cfg.Server && !masked {
			return protoErr(CloseProtocolError, "unmasked frame from client")
		}
		if !p.cfg.Server && masked {
			return protoErr(CloseProtocolError, "masked frame from server")
		}
		p.ext = 2
		switch l := b1 & 0x7F; {
		case l == 126:
			p.ext += 2
		case l == 127:
			p.ext += 8
		}
		if p.ext > 2 && Opcode(p.hdr[0]&0xF).IsControl() {
			return protoErr(CloseProtocolError, "control frame payload over 125 bytes")
		}
		p.hsize = p.ext
		if masked {
			p.hsize += 4
		}
	}
	if p.hlen == p.ext {
		if e := p.checkLength(); e != nil {
			return e
		}
	}
	if p.hlen >= 2 && p.hlen == p.hsize {
		p.startFrame()
	}
	return nil
}

// checkFirstByte applies the rules that FIN, RSV and the opcode decide on
// their own, given the message state.
func (p *Parser) checkFirstByte(b0 byte) *ProtocolError {
	op := Opcode(b0 & 0xF)
	rsv := b0 >> 4 & 7
	fin := b0&0x80 != 0
	if op.IsReserved() {
		return protoErr(CloseProtocolError, reservedOpcodeReason[op])
	}
	if op.IsControl() {
		if rsv != 0 {
			return protoErr(CloseProtocolError, "reserved bit set on control frame")
		}
		if !fin {
			return protoErr(CloseProtocolError, "fragmented control frame")
		}
		return nil
	}
	if rsv&^p.cfg.AllowedRSV != 0 {
		return protoErr(CloseProtocolError, "reserved bit set without extension")
	}
	if op == OpContinuation {
		if !p.inMessage {
			return protoErr(CloseProtocolError, "continuation frame without message")
		}
		if rsv&RSV1 != 0 {
			return protoErr(CloseProtocolError, "rsv1 set on continuation frame")
		}
		return nil
	}
	if p.inMessage {
		return protoErr(CloseProtocolError, "new message inside fragmented message")
	}
	return nil
}

// checkLength decodes the payload length once its bytes are in and
// applies the size rules.
func (p *Parser) checkLength() *ProtocolError {
	var l int64
	switch p.ext {
	case 2:
		// At most 125, so within the limit of control frames too.
		l = int64(p.hdr[1] & 0x7F)
	case 4:
		l = int64(binary.BigEndian.Uint16(p.hdr[2:4]))
	default:
		u := binary.BigEndian.Uint64(p.hdr[2:10])
		if u>>63 != 0 {
			return protoErr(CloseProtocolError, "64-bit length with top bit set")
		}
		l = int64(u)
	}
	if l > p.cfg.MaxFrame {
		return protoErr(CloseMessageTooBig, "frame too big")
	}
	if op := Opcode(p.hdr[0] & 0xF); !op.IsControl() {
		sofar := int64(0)
		if op == OpContinuation {
			sofar = p.msgLen
		}
		if l > p.cfg.MaxMessage-sofar {
			return protoErr(CloseMessageTooBig, "message too big")
		}
	}
	p.cur.Length = l
	return nil
}

// startFrame fills cur from the complete header and moves to the payload.
func (p *Parser) startFrame() {
	b0 := p.hdr[0]
	p.cur.Fin = b0&0x80 != 0
	p.cur.RSV = b0 >> 4 & 7
	p.cur.Opcode = Opcode(b0 & 0xF)
	p.cur.Masked = p.hdr[1]&0x80 != 0
	if p.cur.Masked {
		copy(p.cur.Mask[:], p.hdr[p.ext:p.ext+4])
	} else {
		p.cur.Mask = [4]byte{}
	}
	p.remaining = p.cur.Length
	p.maskPos = 0
	p.reported = false
	p.state = statePayload

	switch op := p.cur.Opcode; {
	case op == OpContinuation:
		p.msgLen += p.cur.Length
		p.inMessage = !p.cur.Fin
	case op.IsData():
		p.msgOpcode = op
		p.msgLen = p.cur.Length
		p.inMessage = !p.cur.Fin
	}
}

// HeaderNeeded returns how many more bytes the parser needs to complete
// the header it is reading, and whether that number is exact: once the
// header's second byte is in, its size is known and the count is exact;
// before, HeaderNeeded counts only what is missing of those two bytes.
// It returns 0, true while a frame's payload is being delivered. A caller
// that wants reports of at most n payload bytes feeds Next the inexact
// count alone, or n plus the exact one.
func (p *Parser) HeaderNeeded() (n int, exact bool) {
	if p.state != stateHeader {
		return 0, true
	}
	if p.hlen < 2 {
		return 2 - p.hlen, false
	}
	return p.hsize - p.hlen, true
}
