package ws

import (
	"bytes"
	"fmt"
	"math"
	"testing"
)

// testKey is the masking key of RFC 6455 section 5.7's masked examples.
var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frameBytes encodes one frame; when h.Masked the payload is masked with
// h.Mask by a plain loop.
func frameBytes(h Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	out := AppendHeader(nil, h)
	for i, c := range payload {
		if h.Masked {
			c ^= h.Mask[i%4]
		}
		out = append(out, c)
	}
	return out
}

// cf builds a frame as a client sends it (masked with testKey), sf as a
// server sends it (unmasked).
func cf(fin bool, op Opcode, payload string) []byte {
	return frameBytes(Header{Fin: fin, Opcode: op, Masked: true, Mask: testKey}, []byte(payload))
}

func sf(fin bool, op Opcode, payload string) []byte {
	return frameBytes(Header{Fin: fin, Opcode: op}, []byte(payload))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// gotFrame is one frame as the reports of Next describe it, its payload
// reassembled.
type gotFrame struct {
	Header        Header
	Payload       []byte
	Complete      bool // FrameEnd was reported
	MessageStart  bool
	MessageEnd    bool
	MessageOpcode Opcode
}

func (g gotFrame) String() string {
	return fmt.Sprintf("{%+v %q complete=%v start=%v end=%v msgop=%v}",
		g.Header, g.Payload, g.Complete, g.MessageStart, g.MessageEnd, g.MessageOpcode)
}

// parseResult is what parsing a byte stream gives: its frames and the
// error that stopped it, if any.
type parseResult struct {
	Frames []gotFrame
	Err    *ProtocolError
	ErrAt  int // offset in the stream of the byte the error was found on
}

func (r parseResult) equal(o parseResult, withReason bool) bool {
	if len(r.Frames) != len(o.Frames) {
		return false
	}
	for i := range r.Frames {
		a, b := r.Frames[i], o.Frames[i]
		if a.Header != b.Header || !bytes.Equal(a.Payload, b.Payload) || a.Complete != b.Complete ||
			a.MessageStart != b.MessageStart || a.MessageEnd != b.MessageEnd || a.MessageOpcode != b.MessageOpcode {
			return false
		}
	}
	if (r.Err == nil) != (o.Err == nil) {
		return false
	}
	if r.Err != nil && (r.Err.Code != o.Err.Code || withReason && r.Err.Reason != o.Err.Reason) {
		return false
	}
	return true
}

func (r parseResult) String() string {
	var b bytes.Buffer
	for _, f := range r.Frames {
		fmt.Fprintln(&b, f)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "error %d %q at %d\n", r.Err.Code, r.Err.Reason, r.ErrAt)
	}
	return b.String()
}

// feed parses a copy of data with a fresh parser, handing it over in the
// pieces that cuts delimit (sorted offsets into data), and checks the
// invariants every report must keep.
func feed(tb testing.TB, cfg ParserConfig, data []byte, cuts []int) parseResult {
	tb.Helper()
	buf := append([]byte(nil), data...)
	var p Parser
	p.Reset(cfg)
	var r parseResult
	var cur *gotFrame
	var got int64 // payload bytes reported for cur
	offset := 0
	prev := 0
	pieces := append(append([]int(nil), cuts...), len(buf))
	for _, cut := range pieces {
		if cut < prev || cut > len(buf) {
			continue
		}
		b := buf[prev:cut]
		prev = cut
		for len(b) > 0 {
			n, f, ok, err := p.Next(b)
			if n < 0 || n > len(b) {
				tb.Fatalf("Next consumed %d of %d bytes", n, len(b))
			}
			if err != nil {
				pe, isPE := err.(*ProtocolError)
				if !isPE {
					tb.Fatalf("error %v is not a *ProtocolError", err)
				}
				if ok {
					tb.Fatalf("ok with an error")
				}
				if n2, _, ok2, err2 := p.Next(b[n:]); n2 != 0 || ok2 || err2 != err {
					tb.Fatalf("dead parser answered %d %v %v", n2, ok2, err2)
				}
				r.Err = pe
				r.ErrAt = offset + n - 1
				return r
			}
			if !ok {
				if n != len(b) {
					tb.Fatalf("nothing reported but only %d of %d bytes consumed", n, len(b))
				}
				offset += n
				break
			}
			pl := f.Payload
			if len(pl) > n {
				tb.Fatalf("payload of %d bytes from %d consumed", len(pl), n)
			}
			if cap(pl) != len(pl) {
				tb.Fatalf("payload capacity %d beyond its length %d", cap(pl), len(pl))
			}
			if len(pl) > 0 && &pl[0] != &b[n-len(pl)] {
				tb.Fatalf("payload does not alias the end of the consumed bytes")
			}
			if f.FrameStart != (cur == nil) {
				tb.Fatalf("FrameStart=%v with a frame in progress=%v", f.FrameStart, cur != nil)
			}
			if f.FrameStart {
				r.Frames = append(r.Frames, gotFrame{
					Header:        f.Header,
					Payload:       []byte{},
					MessageStart:  f.MessageStart,
					MessageOpcode: f.MessageOpcode,
				})
				cur = &r.Frames[len(r.Frames)-1]
				got = 0
			} else if f.Header != cur.Header || f.MessageStart != cur.MessageStart || f.MessageOpcode != cur.MessageOpcode {
				tb.Fatalf("frame changed between reports: %+v then %+v", cur.Header, f.Header)
			}
			cur.Payload = append(cur.Payload, pl...)
			got += int64(len(pl))
			if f.Remaining != f.Header.Length-got {
				tb.Fatalf("Remaining %d, want %d", f.Remaining, f.Header.Length-got)
			}
			if f.FrameEnd != (f.Remaining == 0) {
				tb.Fatalf("FrameEnd=%v with %d remaining", f.FrameEnd, f.Remaining)
			}
			if f.MessageEnd && !f.FrameEnd {
				tb.Fatalf("MessageEnd without FrameEnd")
			}
			if f.MessageStart != (f.Header.Opcode != OpContinuation) {
				tb.Fatalf("MessageStart=%v for opcode %v", f.MessageStart, f.Header.Opcode)
			}
			if f.FrameEnd {
				cur.Complete = true
				cur.MessageEnd = f.MessageEnd
				cur = nil
			}
			offset += n
			b = b[n:]
		}
	}
	if n, _, ok, err := p.Next(nil); n != 0 || ok || err != nil {
		tb.Fatalf("Next(nil) = %d %v %v", n, ok, err)
	}
	return r
}

func wholeCuts() []int { return nil }

func byteCuts(n int) []int {
	c := make([]int, n)
	for i := range c {
		c[i] = i
	}
	return c
}

// refParse is a plain, non-incremental reading of RFC 6455 section 5 used
// as an oracle: it parses the whole stream at once, applying each rule as
// soon as the bytes it needs are present.
func refParse(cfg ParserConfig, data []byte) parseResult {
	var r parseResult
	inMsg := false
	var msgOp Opcode
	var msgLen int64
	pos := 0
	fail := func(code CloseCode, at int) parseResult {
		r.Err = &ProtocolError{Code: code}
		r.ErrAt = at
		return r
	}
	for pos < len(data) {
		b0 := data[pos]
		fin, rsv, op := b0&0x80 != 0, b0>>4&7, Opcode(b0&15)
		control := op >= 8
		switch {
		case op >= 3 && op <= 7 || op >= 11:
			return fail(CloseProtocolError, pos)
		case control && (rsv != 0 || !fin):
			return fail(CloseProtocolError, pos)
		case !control && rsv&^(cfg.AllowedRSV&7) != 0:
			return fail(CloseProtocolError, pos)
		case op == OpContinuation && (!inMsg || rsv&4 != 0):
			return fail(CloseProtocolError, pos)
		case (op == OpText || op == OpBinary) && inMsg:
			return fail(CloseProtocolError, pos)
		}
		if pos+1 >= len(data) {
			return r
		}
		b1 := data[pos+1]
		masked := b1&0x80 != 0
		if masked != cfg.Server {
			return fail(CloseProtocolError, pos+1)
		}
		l7 := int64(b1 & 127)
		if control && l7 > 125 {
			return fail(CloseProtocolError, pos+1)
		}
		hs := 2
		switch l7 {
		case 126:
			hs = 4
		case 127:
			hs = 10
		}
		if pos+hs > len(data) {
			return r
		}
		length := l7
		if hs == 4 {
			length = int64(data[pos+2])<<8 | int64(data[pos+3])
		} else if hs == 10 {
			var u uint64
			for _, c := range data[pos+2 : pos+10] {
				u = u<<8 | uint64(c)
			}
			if u >= 1<<63 {
				return fail(CloseProtocolError, pos+9)
			}
			length = int64(u)
		}
		if length > refLimit(cfg.MaxFrame, DefaultMaxFrame) {
			return fail(CloseMessageTooBig, pos+hs-1)
		}
		if !control {
			total := length
			if op == OpContinuation {
				total += msgLen
			}
			if total > refLimit(cfg.MaxMessage, DefaultMaxMessage) || total < 0 {
				return fail(CloseMessageTooBig, pos+hs-1)
			}
		}
		var key [4]byte
		if masked {
			if pos+hs+4 > len(data) {
				return r
			}
			copy(key[:], data[pos+hs:])
			hs += 4
		}
		pos += hs
		h := Header{Fin: fin, RSV: rsv, Opcode: op, Masked: masked, Mask: key, Length: length}
		g := gotFrame{Header: h, Payload: []byte{}, MessageStart: op != OpContinuation}
		switch {
		case control:
			g.MessageOpcode = op
		case op == OpContinuation:
			msgLen += length
			inMsg = !fin
			g.MessageOpcode = msgOp
		default:
			msgOp, msgLen, inMsg = op, length, !fin
			g.MessageOpcode = op
		}
		avail := int64(len(data) - pos)
		if avail > length {
			avail = length
		}
		for i := int64(0); i < avail; i++ {
			c := data[pos+int(i)]
			if masked {
				c ^= key[i%4]
			}
			g.Payload = append(g.Payload, c)
		}
		pos += int(avail)
		if avail == length {
			g.Complete = true
			g.MessageEnd = control || fin
		}
		r.Frames = append(r.Frames, g)
	}
	return r
}

// refLimit is the limit a configured value stands for, written apart from
// the parser's: 0 is the default, a negative value no limit.
func refLimit(v, def int64) int64 {
	if v == 0 {
		return def
	}
	if v < 0 {
		return math.MaxInt64
	}
	return v
}
