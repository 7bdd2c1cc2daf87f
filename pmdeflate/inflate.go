package pmdeflate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	kflate "github.com/klauspost/compress/flate"
)

// The inflater (klauspost/compress/flate's; compress/flate's works the
// same way) pulls its input from an io.Reader, and an input error is
// final: it cannot be told "no more yet, come back later". So a Session runs it only when it cannot run dry in the middle
// of a message: when the message's input is complete, or when at least
// runAhead bytes of it are staged.
//
// One call of the inflater's Read runs steps until one of them produces
// output. A step decodes one block header, if it starts a block, then
// symbols until the block ends or the 32 KiB window is full, so it yields
// at most 32768 bytes. Every byte it yields costs at most 16 bits of
// input: a literal's code is at most 15 bits, a copy's length and distance
// codes with their extra bits at most 15+5+15+13 = 48 bits for at least 3
// bytes (a copy cut by the full window costs its 6 bytes once, in the
// step that starts it); a stored block yields 8 bits per byte. A dynamic block header is
// at most 3+5+5+4 bits, 19 3-bit code length codes and 286+30 code
// lengths of at most 7+7 bits: under 600 bytes; the end of block code is
// 2 bytes more. The bit reader takes a byte only when it needs its bits.
// So one step that yields output needs at most stepBound bytes.
//
// Steps that yield nothing are empty blocks: a sync flush's empty stored
// block, say, 5 bytes. A sender may put a few between the pieces of a
// message; runAhead allows emptyAllowance bytes of them before one step
// that yields. More, and the source runs dry: Decode reports a stream of
// empty blocks (only a hostile sender makes one), and the message fails.
const (
	stepBound      = 2*32768 + 1024
	emptyAllowance = 30 << 10
	runAhead       = stepBound + emptyAllowance
	// maxPooledStage is the largest staging buffer kept in the pool.
	maxPooledStage = 2 * runAhead
)

// trailer ends a message's deflate stream: the 00 00 ff ff the sender
// removed (RFC 7692 section 7.2.2), then a final empty stored block, so
// that the inflater reports io.EOF at the end of the message.
var trailer = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// stage is the inflater's input: the staged compressed payload of one
// message, read through a bytes.Reader (an io.ByteReader, so the inflater
// reads no further than it needs; klauspost/compress/flate decodes from a
// *bytes.Reader without an interface call per byte).
type stage struct {
	buf   []byte
	rd    bytes.Reader // reads buf
	final bool         // buf holds the rest of the message, trailer included
}

// unread is the number of staged bytes the inflater has not read.
func (g *stage) unread() int { return g.rd.Len() }

// add stages p. It moves the unread bytes to the front of buf only when p
// does not fit after them, so a long message fed in small pieces is
// copied about once more, not once per piece.
func (g *stage) add(p []byte) {
	read := len(g.buf) - g.rd.Len()
	if cap(g.buf)-len(g.buf) < len(p) && read > 0 {
		g.buf = g.buf[:copy(g.buf, g.buf[read:])]
		read = 0
	}
	g.buf = append(g.buf, p...)
	g.rd.Reset(g.buf[read:])
}

// inflater is a pooled inflater with its input.
type inflater struct {
	src stage
	fr  io.ReadCloser
	res kflate.Resetter
}

var inflaters = sync.Pool{New: func() any {
	inf := &inflater{}
	inf.fr = kflate.NewReader(&inf.src.rd)
	inf.res = inf.fr.(kflate.Resetter)
	return inf
}}

// Feed stages compressed payload of the message being received; final
// says in ends the message's payload. The first Feed after a message ended
// starts the next. Call it for a message's first piece, or when Decode
// asked for input (returned 0 and not end). Feed copies in.
func (s *Session) Feed(in []byte, final bool) error {
	if s.inf == nil {
		inf := inflaters.Get().(*inflater)
		inf.src.buf, inf.src.final = inf.src.buf[:0], false
		inf.src.rd.Reset(inf.src.buf)
		var dict []byte
		var scratch *[]byte
		if s.rxTakeover {
			scratch = scratches.Get().(*[]byte)
			dict = s.rxHist.bytes(*scratch)
		}
		err := inf.res.Reset(&inf.src.rd, dict)
		if scratch != nil {
			scratches.Put(scratch)
		}
		if err != nil {
			inflaters.Put(inf)
			return fmt.Errorf("pmdeflate: %w", err)
		}
		s.inf, s.rxEOF = inf, false
	}
	src := &s.inf.src
	if src.final {
		return errors.New("pmdeflate: Feed after the message's final piece; Decode until it reports the end first")
	}
	if !s.rxEOF {
		if src.unread() >= runAhead {
			return errors.New("pmdeflate: Feed while input is waiting; Decode until it asks for more")
		}
		src.add(in)
	}
	if final {
		src.final = true
		if len(src.buf) == 0 && !s.rxEOF {
			// No payload at all: zlib, which lws inflates with, takes
			// 00 00 ff ff alone for an empty message without error,
			// though the empty stored block it starts is incomplete.
			s.rxEOF = true
			return nil
		}
		src.add(trailer)
	}
	return nil
}

// Decode decompresses the message being received into dst, at most
// len(dst) and at most RxBufSize bytes. It returns end when dst[:n] is
// the last of the message; it reads a byte ahead to report the end with
// the message's last bytes, so n is 0 with end only for an empty message,
// or when the last piece of input yields nothing more. n == 0 and !end
// asks for more input (Feed). An error means the message is corrupt and
// the connection must fail.
func (s *Session) Decode(dst []byte) (n int, end bool, err error) {
	inf := s.inf
	if inf == nil {
		return 0, false, nil
	}
	if len(dst) == 0 {
		return 0, false, errors.New("pmdeflate: Decode needs room: dst is empty")
	}
	if m := s.RxBufSize(); len(dst) > m {
		dst = dst[:m]
	}
	if s.peeked {
		dst[0], n, s.peeked = s.peek[0], 1, false
	}
	if s.rxEOF {
		if inf.src.final {
			s.endRx()
			return n, true, nil
		}
		return n, false, nil
	}
	if n == 0 && !inf.src.final && inf.src.unread() < runAhead {
		return 0, false, nil
	}
	// Fill dst while the input cannot run dry.
	for n < len(dst) && err == nil && (inf.src.final || inf.src.unread() >= runAhead) {
		var m int
		m, err = inf.fr.Read(dst[n:])
		n += m
	}
	// With dst full, look one byte ahead, so that the end of the message
	// comes with its last bytes rather than alone in a call of its own.
	if err == nil && n == len(dst) && inf.src.final {
		var m int
		m, err = inf.fr.Read(s.peek[:])
		s.peeked = m == 1
	}
	if s.rxTakeover {
		s.rxHist.write(dst[:n])
	}
	switch {
	case err == nil:
		return n, false, nil
	case err == io.EOF:
		s.rxEOF = true
		if inf.src.final && !s.peeked {
			s.endRx()
			return n, true, nil
		}
		return n, false, nil
	}
	s.endRx()
	switch {
	case err == io.ErrUnexpectedEOF && !inf.src.final:
		// The staged input ran dry before the message's end.
		err = fmt.Errorf("pmdeflate: more than %d bytes of the compressed message yield nothing (a stream of empty deflate blocks); the message is refused", emptyAllowance)
	case err == io.ErrUnexpectedEOF:
		err = errors.New("pmdeflate: the compressed message ends inside a deflate block; it is truncated or corrupt")
	default:
		err = fmt.Errorf("pmdeflate: the compressed message is corrupt: %w", err)
	}
	return n, false, err
}

// endRx gives the inflater back to the pool.
func (s *Session) endRx() {
	inf := s.inf
	if inf == nil {
		return
	}
	s.inf, s.rxEOF, s.peeked = nil, false, false
	if cap(inf.src.buf) > maxPooledStage {
		inf.src.buf = nil
	}
	inf.src.buf, inf.src.final = inf.src.buf[:0], false
	inf.src.rd.Reset(nil)
	inflaters.Put(inf)
}
