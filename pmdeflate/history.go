package pmdeflate

import "slices"

// history is the last bytes of one direction's uncompressed stream, kept
// between messages for context takeover: a ring of at most size bytes,
// allocated when first written.
type history struct {
	buf  []byte // len(buf) == size once allocated
	size int
	pos  int  // next write position
	full bool // buf holds size bytes, the oldest at pos
}

// write appends p to the history, forgetting what falls out of it.
func (h *history) write(p []byte) {
	if h.size == 0 || len(p) == 0 {
		return
	}
	if h.buf == nil {
		h.buf = make([]byte, h.size)
	}
	if len(p) >= h.size {
		copy(h.buf, p[len(p)-h.size:])
		h.pos, h.full = 0, true
		return
	}
	n := copy(h.buf[h.pos:], p)
	if n < len(p) {
		copy(h.buf, p[n:])
		h.full = true
		h.pos = len(p) - n
	} else {
		h.pos += n
		if h.pos == h.size {
			h.pos, h.full = 0, true
		}
	}
}

// bytes returns the history oldest first, rotating the ring in place.
func (h *history) bytes() []byte {
	if !h.full {
		return h.buf[:h.pos]
	}
	if h.pos != 0 {
		slices.Reverse(h.buf[:h.pos])
		slices.Reverse(h.buf[h.pos:])
		slices.Reverse(h.buf)
		h.pos = 0
	}
	return h.buf
}
