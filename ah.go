package lws

import (
	"github.com/golws/lws/hdr"
)

// The header tables ("ah" in lws) are a per-loop pool: a connection holds
// one only while it reads a request head (and, for HTTP, until the
// transaction ends). When the pool is empty, a connection that needs one
// stops being read and waits its turn: the limit is soft, as in lws.

type ahPool struct {
	max      int // tables that may exist at once
	dataSize int // bytes of header data per table
	free     []*hdr.Table
	inUse    int
	waiting  []*Conn // FIFO of connections waiting for a table
}

// acquireAH gives c a header table, or queues it and reports false.
func (l *loop) acquireAH(c *Conn) bool {
	if l.takeAH(c) {
		return true
	}
	p := &l.ah
	if !c.waitingAH {
		c.waitingAH = true
		p.waiting = append(p.waiting, c)
		logf(LogInfo, "lws: %v waits for a header table (%d in use)", c, p.inUse)
	}
	return false
}

// takeAH gives c a header table if the pool and c's peer allow one now,
// and reports whether c has one; it does not queue c. An HTTP/2 stream,
// whose head must be decoded when it arrives, takes one this way or is
// refused.
func (l *loop) takeAH(c *Conn) bool {
	if c.ah != nil {
		return true
	}
	p := &l.ah
	if p.inUse >= p.max || !l.peerMayHoldAH(c) {
		return false
	}
	var t *hdr.Table
	if n := len(p.free); n > 0 {
		t = p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		t.Reset()
	} else {
		t = hdr.NewTable(p.dataSize)
	}
	p.inUse++
	c.ah = t
	if pc := l.peerOf(c); pc != nil {
		pc.ah++
	}
	return true
}

// releaseAH returns c's table to the pool and wakes the first waiter
// that may take it.
func (l *loop) releaseAH(c *Conn) {
	p := &l.ah
	if c.waitingAH {
		c.waitingAH = false
		for i, w := range p.waiting {
			if w == c {
				p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
				break
			}
		}
	}
	if c.ah == nil {
		return
	}
	t := c.ah
	c.ah = nil
	p.inUse--
	if pc := l.peerOf(c); pc != nil {
		pc.ah--
	}
	if len(p.free) < 64 {
		p.free = append(p.free, t)
	}
	for i := 0; i < len(p.waiting); i++ {
		w := p.waiting[i]
		if !w.Closed() && !l.peerMayHoldAH(w) {
			continue // over its peer's limit: it waits for its peer
		}
		p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
		w.waitingAH = false
		if w.Closed() {
			i--
			continue
		}
		l.queueReady(w) // its next rx pass acquires the table
		break
	}
}

// HdrTotalLength returns the length of a request header, its fragments
// joined as lws_hdr_copy joins them (lws_hdr_total_length), or 0 when the
// header is absent or the headers are gone (after a WebSocket upgrade's
// ESTABLISHED callback).
func (c *Conn) HdrTotalLength(tok hdr.Token) int {
	if c.ah == nil {
		return 0
	}
	return c.ah.TotalLength(tok)
}

// HdrCopy appends the value of a request header to dst (lws_hdr_copy).
func (c *Conn) HdrCopy(dst []byte, tok hdr.Token) []byte {
	if c.ah == nil {
		return dst
	}
	return c.ah.Copy(dst, tok)
}

// Hdr returns the value of a request header as a string, or "".
func (c *Conn) Hdr(tok hdr.Token) string {
	if c.ah == nil || !c.ah.Has(tok) {
		return ""
	}
	return string(c.ah.Copy(nil, tok))
}

// HdrFragmentCount returns how many fragments a header has: repeated
// headers, or one per URI argument for hdr.TokenURIArgs.
func (c *Conn) HdrFragmentCount(tok hdr.Token) int {
	if c.ah == nil {
		return 0
	}
	return c.ah.FragmentCount(tok)
}

// HdrFragment returns fragment i of a header (lws_hdr_copy_fragment). The
// slice is only valid during the callback.
func (c *Conn) HdrFragment(tok hdr.Token, i int) []byte {
	if c.ah == nil {
		return nil
	}
	return c.ah.Fragment(tok, i)
}

// HdrCustom returns a header golws has no token for, by case-insensitive
// name (lws_hdr_custom_copy).
func (c *Conn) HdrCustom(name string) (string, bool) {
	if c.ah == nil {
		return "", false
	}
	v, ok := c.ah.Custom(name)
	return string(v), ok
}

// URLArg returns the value of a URI argument (?name=value), %-decoded
// (lws_get_urlarg_by_name).
func (c *Conn) URLArg(name string) (string, bool) {
	if c.ah == nil {
		return "", false
	}
	v, ok := c.ah.URLArg(name)
	return string(v), ok
}

// HasHeaders reports whether the connection still holds its request
// headers.
func (c *Conn) HasHeaders() bool { return c.ah != nil }
