package pmdeflate

import "sync"

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

// bytes returns the history oldest first: buf itself while it has not
// wrapped, else a copy in order in scratch (which must hold size bytes).
// The inflater and the compressor copy a dictionary in; a copy in a
// borrowed scratch costs two memmoves, turning the ring in place costs
// three passes of byte swaps.
func (h *history) bytes(scratch []byte) []byte {
	if !h.full {
		return h.buf[:h.pos]
	}
	if h.pos == 0 {
		return h.buf
	}
	n := copy(scratch, h.buf[h.pos:])
	copy(scratch[n:], h.buf[:h.pos])
	return scratch[:h.size]
}

// scratches are 32 KiB buffers: the ordered copies of histories given to
// an inflater or a compressor, and the histories of messages sent in
// pieces without context takeover.
var scratches = sync.Pool{New: func() any {
	b := make([]byte, 1<<15)
	return &b
}}
