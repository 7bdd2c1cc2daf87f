package conformance

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// Opcodes of RFC 6455 section 5.2 (the reserved ones are sent as plain
// numbers by the cases that need them).
const (
	OpContinuation byte = 0
	OpText         byte = 1
	OpBinary       byte = 2
	OpClose        byte = 8
	OpPing         byte = 9
	OpPong         byte = 10
)

// Frame is one frame as the fuzzing client puts it on the wire. Nothing in
// it is checked: a Frame may carry a reserved opcode, RSV bits, FIN clear on
// a control frame or a control payload longer than 125 octets.
type Frame struct {
	// Opcode is the frame's opcode, 0 to 15.
	Opcode byte
	// Fin is the FIN bit. Note that the zero value is a non-final frame.
	Fin bool
	// RSV holds the three reserved bits, RSV1 as 4, RSV2 as 2, RSV3 as 1.
	RSV byte
	// Payload is the application data, before masking.
	Payload []byte
	// Length, when positive, makes the payload this many octets long by
	// repeating Payload (as Autobahn's payload_len does).
	Length int
	// Chop, when positive, writes the frame's octets in pieces of this
	// size, each on its own, pausing between small pieces so that they
	// reach the peer separately.
	Chop int
	// Sync writes the frame on its own (not coalesced with frames sent
	// around it) and pauses after it, so that it reaches the peer by itself.
	Sync bool
}

// payload returns the frame's unmasked payload, Payload repeated to
// Length when Length is set.
func (f Frame) payload() []byte {
	if f.Length <= 0 {
		return f.Payload
	}
	return repeat(f.Payload, f.Length)
}

// repeat returns n octets made of pattern repeated (and cut).
func repeat(pattern []byte, n int) []byte {
	if len(pattern) == 0 {
		panic("conformance: repeated payload needs a non-empty pattern")
	}
	out := make([]byte, n)
	if n == 0 {
		return out
	}
	k := copy(out, pattern)
	for k < n {
		k += copy(out[k:], out[:k])
	}
	return out
}

// Bytes returns the frame as a client sends it: header, a fresh random
// masking key, and the masked payload.
func (f Frame) Bytes() []byte {
	return appendFrame(nil, f.Opcode, f.Fin, f.RSV, f.payload())
}

// appendFrame appends a masked client frame to dst.
func appendFrame(dst []byte, opcode byte, fin bool, rsv byte, payload []byte) []byte {
	return appendFrameAs(dst, opcode, fin, rsv, payload, true)
}

// appendFrameAs appends a frame to dst, masked with a fresh random key
// when masked is set (a client's frame), else unmasked (a server's).
func appendFrameAs(dst []byte, opcode byte, fin bool, rsv byte, payload []byte, masked bool) []byte {
	b0 := opcode & 0x0f
	if fin {
		b0 |= 0x80
	}
	b0 |= (rsv & 7) << 4
	n := len(payload)
	var mbit byte
	if masked {
		mbit = 0x80
	}
	switch {
	case n <= 125:
		dst = append(dst, b0, mbit|byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, mbit|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, mbit|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if !masked {
		return append(dst, payload...)
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	mask(dst[start:], key, 0)
	return dst
}

// mask XORs p with the masking key, p starting at offset pos of the
// payload. It returns the position after p.
func mask(p []byte, key [4]byte, pos int) int {
	i := 0
	// Align to the key, then work on eight octets at a time.
	for ; i < len(p) && (pos+i)&3 != 0; i++ {
		p[i] ^= key[(pos+i)&3]
	}
	if len(p)-i >= 8 {
		k32 := uint64(binary.LittleEndian.Uint32(key[:]))
		k64 := k32 | k32<<32
		for ; len(p)-i >= 8; i += 8 {
			v := binary.LittleEndian.Uint64(p[i:])
			binary.LittleEndian.PutUint64(p[i:], v^k64)
		}
	}
	for ; i < len(p); i++ {
		p[i] ^= key[(pos+i)&3]
	}
	return pos + len(p)
}

// utf8State is an incremental UTF-8 validator (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF). It stays invalid once an
// octet made the sequence invalid.
type utf8State struct {
	need    int  // continuation octets still expected
	lo, hi  byte // range allowed for the next continuation octet
	invalid bool
	n       int // octets consumed before the first invalid one
}

// write feeds p; it reports whether everything so far is valid UTF-8 (or
// a valid prefix of it).
func (s *utf8State) write(p []byte) bool {
	if s.invalid {
		return false
	}
	i := 0
	for i < len(p) {
		b := p[i]
		if s.need == 0 {
			// Fast path over ASCII.
			if b < 0x80 {
				for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
					i += 8
				}
				for i < len(p) && p[i] < 0x80 {
					i++
				}
				continue
			}
			switch {
			case b >= 0xc2 && b <= 0xdf:
				s.need, s.lo, s.hi = 1, 0x80, 0xbf
			case b == 0xe0:
				s.need, s.lo, s.hi = 2, 0xa0, 0xbf
			case b == 0xed:
				s.need, s.lo, s.hi = 2, 0x80, 0x9f
			case b >= 0xe1 && b <= 0xef:
				s.need, s.lo, s.hi = 2, 0x80, 0xbf
			case b == 0xf0:
				s.need, s.lo, s.hi = 3, 0x90, 0xbf
			case b >= 0xf1 && b <= 0xf3:
				s.need, s.lo, s.hi = 3, 0x80, 0xbf
			case b == 0xf4:
				s.need, s.lo, s.hi = 3, 0x80, 0x8f
			default:
				s.invalid = true
				s.n += i
				return false
			}
			i++
			continue
		}
		if b < s.lo || b > s.hi {
			s.invalid = true
			s.n += i
			return false
		}
		s.need--
		s.lo, s.hi = 0x80, 0xbf
		i++
	}
	s.n += len(p)
	return true
}

// complete reports whether the octets so far are valid and end on a code
// point boundary.
func (s *utf8State) complete() bool { return !s.invalid && s.need == 0 }

// validUTF8 reports whether p is valid UTF-8 as a whole.
func validUTF8(p []byte) bool {
	var s utf8State
	return s.write(p) && s.complete()
}

// rxKind says what a receive event is.
type rxKind uint8

const (
	rxMessage   rxKind = iota // a complete data message
	rxPing                    // a ping frame
	rxPong                    // a pong frame
	rxClose                   // a close frame
	rxViolation               // the peer broke the protocol
	rxLost                    // the TCP connection ended
)

// rxEvent is what the reading side hands to the case's loop, in wire
// order.
type rxEvent struct {
	kind    rxKind
	payload []byte
	binary  bool
	code    int    // close code (NoCode when absent) or the violation's close code
	reason  []byte // close reason
	text    string // violation description, or the read error
	at      timeOffset
}

// frameNote describes one received frame for case details.
type frameNote struct {
	opcode byte
	fin    bool
	rsv    byte
	masked bool
	// wrongMask: masked is not what the frame's sender must do.
	wrongMask bool
	length    uint64
	head      []byte // the first octets of the payload
	at        timeOffset
}

func (n frameNote) String() string {
	s := opName(n.opcode)
	if !n.fin {
		s += " (FIN clear)"
	}
	if n.rsv != 0 {
		s += fmt.Sprintf(" RSV=%d", n.rsv)
	}
	if n.wrongMask {
		if n.masked {
			s += " masked"
		} else {
			s += " unmasked"
		}
	}
	s += fmt.Sprintf(" %d B", n.length)
	if n.opcode == OpClose && len(n.head) >= 2 {
		s += fmt.Sprintf(" code %d", binary.BigEndian.Uint16(n.head))
	} else if len(n.head) > 0 && n.length <= 16 {
		s += " " + quote(n.head, 16)
	}
	return s + " at " + n.at.String()
}

// opName names an opcode.
func opName(op byte) string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("opcode %d", op)
}

// maxNotes bounds how many received frames are described in a case's
// detail.
const maxNotes = 12

// parser is the client's frame decoder, run on the reading goroutine. It
// checks what Autobahn's client checks, in the same order, and like it
// goes on decoding after a violation (the loop decides what a violation
// does to the connection).
type parser struct {
	buf []byte
	// The frame being received.
	inFrame   bool
	op        byte
	fin       bool
	remaining uint64
	masked    bool
	key       [4]byte
	maskPos   int
	ctrl      []byte
	// The message being received.
	inMessage bool
	binary    bool
	validate  bool
	utf8      utf8State
	msg       []byte
	// compressed: the message being received has RSV1 set on its first
	// frame, and is decompressed by inflate once complete.
	compressed bool

	// inflate, when permessage-deflate is agreed, decompresses messages.
	inflate *inflater

	// expectMasked: the frames decoded are a client's, which must be
	// masked (the fuzzing server's side); else a server's, which must not.
	expectMasked bool

	notes   []frameNote
	dropped int // frames not described
	now     func() timeOffset
	emit    func(rxEvent)
}

func (p *parser) violation(code int, format string, args ...any) {
	p.emit(rxEvent{kind: rxViolation, code: code, text: fmt.Sprintf(format, args...), at: p.now()})
}

// feed decodes data, emitting events as frames complete.
func (p *parser) feed(data []byte) {
	if len(p.buf) == 0 {
		p.buf = data
	} else {
		p.buf = append(p.buf, data...)
	}
	for p.step() {
	}
	// Keep the rest (at most a partial header) in memory of our own.
	p.buf = append([]byte(nil), p.buf...)
}

// step makes one unit of progress; it reports whether to call it again.
func (p *parser) step() bool {
	if !p.inFrame {
		return p.header()
	}
	n := uint64(len(p.buf))
	if n > p.remaining {
		n = p.remaining
	}
	chunk := p.buf[:n]
	p.buf = p.buf[n:]
	p.remaining -= n
	if p.masked {
		p.maskPos = mask(chunk, p.key, p.maskPos)
	}
	if p.op >= 8 {
		p.ctrl = append(p.ctrl, chunk...)
	} else if len(chunk) > 0 {
		if p.validate && !p.utf8.write(chunk) {
			p.violation(1007, "invalid UTF-8 in a text message at octet %d", p.utf8.n)
		}
		p.msg = append(p.msg, chunk...)
	}
	if p.remaining > 0 {
		return false
	}
	p.endFrame()
	return len(p.buf) > 0
}

// header decodes a frame header when it is complete.
func (p *parser) header() bool {
	b := p.buf
	if len(b) < 2 {
		return false
	}
	fin := b[0]&0x80 != 0
	rsv := (b[0] >> 4) & 7
	op := b[0] & 0x0f
	masked := b[1]&0x80 != 0
	len1 := b[1] & 0x7f
	hl := 2
	switch len1 {
	case 126:
		hl += 2
	case 127:
		hl += 8
	}
	if masked {
		hl += 4
	}
	if len(b) < hl {
		return false
	}
	compressed, wireRSV := false, rsv
	if rsv&4 != 0 && p.inflate != nil {
		switch {
		case op > 7:
			p.violation(1002, "RSV1 set on a %s frame (permessage-deflate compresses data messages only)", opName(op))
		case op == OpContinuation:
			p.violation(1002, "RSV1 set on a continuation frame (permessage-deflate marks a message's first frame only)")
		default:
			compressed = true
		}
		rsv &^= 4
	}
	if rsv != 0 {
		p.violation(1002, "RSV = %d and no extension negotiated", rsv)
	}
	if masked != p.expectMasked {
		if masked {
			p.violation(1002, "masked server-to-client frame")
		} else {
			p.violation(1002, "unmasked client-to-server frame")
		}
	}
	if op > 7 {
		if !fin {
			p.violation(1002, "fragmented control frame")
		}
		if len1 > 125 {
			p.violation(1002, "control frame with payload length > 125 octets")
		}
		if op != OpClose && op != OpPing && op != OpPong {
			p.violation(1002, "control frame using reserved opcode %d", op)
		}
		if op == OpClose && len1 == 1 {
			p.violation(1002, "close frame with payload length 1")
		}
	} else {
		if op > OpBinary {
			p.violation(1002, "data frame using reserved opcode %d", op)
		}
		if !p.inMessage && op == OpContinuation {
			p.violation(1002, "continuation frame outside a fragmented message")
		}
		if p.inMessage && op != OpContinuation {
			p.violation(1002, "non-continuation data frame inside a fragmented message")
		}
	}
	length := uint64(len1)
	i := 2
	switch len1 {
	case 126:
		length = uint64(binary.BigEndian.Uint16(b[2:]))
		if length < 126 {
			p.violation(1002, "payload length %d not in minimal encoding", length)
		}
		i += 2
	case 127:
		length = binary.BigEndian.Uint64(b[2:])
		if length > 1<<63-1 {
			p.violation(1002, "payload length above 2^63")
		}
		if length < 65536 {
			p.violation(1002, "payload length %d not in minimal encoding", length)
		}
		i += 8
	}
	p.masked = masked
	p.maskPos = 0
	if masked {
		copy(p.key[:], b[i:i+4])
		i += 4
	}
	p.buf = b[i:]
	p.inFrame = true
	p.op, p.fin, p.remaining = op, fin, length
	note := frameNote{opcode: op, fin: fin, rsv: wireRSV, masked: masked, wrongMask: masked != p.expectMasked, length: length, at: p.now()}
	if len(p.notes) < maxNotes {
		h := p.buf
		if uint64(len(h)) > length {
			h = h[:length]
		}
		if len(h) > 16 {
			h = h[:16]
		}
		note.head = append([]byte(nil), h...)
		if masked {
			mask(note.head, p.key, 0)
		}
		p.notes = append(p.notes, note)
	} else {
		p.dropped++
	}
	if op > 7 {
		p.ctrl = p.ctrl[:0]
	} else if !p.inMessage {
		p.inMessage = true
		p.binary = op == OpBinary
		p.compressed = compressed
		p.validate = op == OpText && !compressed
		p.utf8 = utf8State{}
		p.msg = nil
	}
	if length == 0 {
		p.endFrame()
	}
	return len(p.buf) > 0
}

// endFrame completes the current frame.
func (p *parser) endFrame() {
	p.inFrame = false
	if p.op >= 8 {
		payload := append([]byte(nil), p.ctrl...)
		at := p.now()
		switch p.op {
		case OpClose:
			ev := rxEvent{kind: rxClose, code: NoCode, at: at}
			if len(payload) >= 2 {
				ev.code = int(binary.BigEndian.Uint16(payload))
				if len(payload) > 2 {
					ev.reason = payload[2:]
				}
			}
			p.emit(ev)
		case OpPing:
			p.emit(rxEvent{kind: rxPing, payload: payload, at: at})
		case OpPong:
			p.emit(rxEvent{kind: rxPong, payload: payload, at: at})
		}
		return
	}
	if !p.fin {
		return
	}
	if p.validate && !p.utf8.complete() {
		p.violation(1007, "text message ends inside a code point (octet %d)", p.utf8.n)
	}
	msg := p.msg
	if msg == nil {
		msg = []byte{}
	}
	p.msg = nil
	p.inMessage = false
	if p.compressed {
		out, err := p.inflate.inflate(msg)
		if err != nil {
			p.violation(1002, "a compressed message (%d octets) does not decompress: %v", len(msg), err)
			return
		}
		if !p.binary {
			var u utf8State
			if !u.write(out) || !u.complete() {
				p.violation(1007, "invalid UTF-8 in a compressed text message at octet %d of its %d decompressed octets", u.n, len(out))
			}
		}
		msg = out
	}
	p.emit(rxEvent{kind: rxMessage, payload: msg, binary: p.binary, at: p.now()})
}
