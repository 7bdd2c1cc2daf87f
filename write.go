package lws

import (
	"errors"

	"golang.org/x/sys/unix"
)

// ErrIllegalWrite is matched (errors.Is) by both ways a write breaks lws's
// one-write-per-WRITEABLE rule.
var ErrIllegalWrite = errors.New("lws: illegal write")

// ErrBackToBackWrite refuses a second Write in one WRITEABLE callback when
// SendPipeChoked was not asked in between, or said the pipe was choked.
var ErrBackToBackWrite = &writeRuleError{"lws: illegal back-to-back write: one write per WRITEABLE callback, unless SendPipeChoked reports the pipe free in between"}

// ErrWriteOutsideWriteable refuses a Write made outside the connection's
// WRITEABLE callback: ask CallbackOnWritable and write from the callback.
var ErrWriteOutsideWriteable = &writeRuleError{"lws: illegal write outside the WRITEABLE callback: call CallbackOnWritable and write from the callback"}

type writeRuleError struct{ msg string }

func (e *writeRuleError) Error() string        { return e.msg }
func (e *writeRuleError) Is(target error) bool { return target == ErrIllegalWrite }

// Write sends p on the connection, framed for its role according to wt
// (lws_write). It may be called once per WRITEABLE callback; a second call
// is refused with ErrBackToBackWrite and the log line "Illegal back-to-back
// write", unless SendPipeChoked was called in between and reported the pipe
// free. A call outside the WRITEABLE callback is refused with
// ErrWriteOutsideWriteable.
//
// p is not retained. Whatever the kernel does not take at once is copied
// and sent by the library as the socket drains; until it is all gone no
// WRITEABLE callback is delivered and SendPipeChoked reports true. So the
// library holds at most one write's remainder per connection. Write returns
// len(p) when the data was sent or taken over, or an error if the
// connection is dead (the connection then closes).
func (c *Conn) Write(p []byte, wt WriteType) (int, error) {
	if c.Closed() {
		return 0, ErrClosed
	}
	if !c.permit {
		if c.inWriteable {
			logf(LogErr, "Illegal back-to-back write of %d detected on %v", len(p), c)
			return 0, ErrBackToBackWrite
		}
		logf(LogErr, "Illegal write of %d outside WRITEABLE on %v", len(p), c)
		return 0, ErrWriteOutsideWriteable
	}
	c.permit = false
	return c.role.write(c, p, wt)
}

// SendPipeChoked reports whether the connection cannot take more data now
// (lws_send_pipe_choked): the library still holds part of an earlier write,
// or the kernel refused data since the socket last drained. Inside a
// WRITEABLE callback, a false answer permits one more Write in the same
// callback: that is how a producer drains a queue without waiting for a
// callback per message.
//
// The kernel refuses data once the socket holds ContextInfo.SendQueueLimit
// bytes (64 KiB by default) written and not yet sent, and reports the
// socket writable again only when fewer than half as many wait; lws's
// check, a poll(2) for POLLOUT, leaves that bound to the socket's send
// buffer, which Linux grows to megabytes for a peer that does not read.
// So a connection whose peer stops reading is choked, and gets no
// WRITEABLE, after at most that much plus one write's remainder.
//
// A stream child (see Network) is choked when its network connection is,
// and while its network connection's role gives it no tx credit.
func (c *Conn) SendPipeChoked() bool {
	if c.Closed() {
		return true
	}
	n := c
	if c.rare != nil {
		n = c.Network()
	}
	choked := len(c.out) > 0 || !c.writeReady ||
		(c.loop.cork == n && len(c.loop.stage) >= corkLimit) ||
		(n != c && c.txCredit() <= 0)
	if !choked && c.inWriteable {
		c.permit = true
	}
	return choked
}

// BufferedAmount returns how many bytes of an earlier write the kernel
// refused and the library still holds for the connection
// (lws_partial_buffered gives whether it is non-zero). It is zero in every
// WRITEABLE callback. Writes gathered into one system call during a pass
// (see corkLimit) do not count: they go to the kernel before the pass
// ends.
func (c *Conn) BufferedAmount() int { return len(c.out) - c.outOff }

// held is what the library holds for c and has not given the kernel: a
// partial write's remainder, or writes gathered during its WRITEABLE
// callbacks.
func (c *Conn) held() int {
	n := len(c.out) - c.outOff
	if c.loop.cork == c.Network() {
		n += len(c.loop.stage)
	}
	return n
}

// Write batching ("corking"). When a connection is owed a WRITEABLE and
// its socket is free, the loop runs its WRITEABLE callback; if the
// callback asks for another at once (CallbackOnWritable) the loop runs it
// again, up to corkRounds times or until corkLimit bytes are gathered, and
// then hands everything written to the kernel with one system call. Each
// callback still makes one write (lws's rule); what changes is only how
// many system calls carry them. An echo server that read sixteen frames
// in one read answers them with one write instead of sixteen.
const (
	corkLimit  = 32 << 10
	corkRounds = 64
)

// stageable reports whether n more bytes for c go to the batch.
// The batch holds bytes for the wire: a TLS connection's writes are
// encrypted first, so nothing is appended to the batch for it directly.
func (c *Conn) stageable(n int) bool {
	l := c.loop
	return l.cork == c && c.outOff >= len(c.out) && len(l.stage)+n <= corkLimit &&
		c.tls == nil
}

// send writes hdr then p to the connection, encrypted if it is TLS, and
// keeps whatever the kernel did not take. It returns len(p) on success.
// A stream child's bytes go out on its network connection, framed by the
// network connection's role (sendChild).
func (c *Conn) send(hdr, p []byte) (int, error) {
	if c.rare != nil {
		if c.isStream() {
			return c.Network().role.sendChild(c, hdr, p)
		}
		c = c.Network()
	}
	if c.tls != nil {
		return c.sendTLS(hdr, p)
	}
	return c.sendWire(hdr, p)
}

// sendWire writes hdr then p to the descriptor as they are.
func (c *Conn) sendWire(hdr, p []byte) (int, error) {
	if c.outOff < len(c.out) {
		// Library messages (a pong, a Close) may follow a write the kernel
		// has not finished taking: they queue behind it, whole.
		c.out = append(c.out, hdr...)
		c.out = append(c.out, p...)
		return len(p), nil
	}
	if l := c.loop; l.cork == c {
		if len(l.stage)+len(hdr)+len(p) <= corkLimit {
			l.stage = append(l.stage, hdr...)
			l.stage = append(l.stage, p...)
			return len(p), nil
		}
		// Too big to gather: what is gathered goes first, then this
		// write goes straight from the caller's buffer.
		if err := c.flushStage(); err != nil {
			return 0, err
		}
		if c.outOff < len(c.out) {
			c.out = append(c.out, hdr...)
			c.out = append(c.out, p...)
			return len(p), nil
		}
	}
	total := len(hdr) + len(p)
	var n int
	var err error
	if len(hdr) == 0 {
		n, err = unix.Write(int(c.fd), p)
	} else {
		n, err = c.loop.writev(int(c.fd), hdr, p)
	}
	c.loop.writeCalls++
	if err != nil {
		if err != unix.EAGAIN && err != unix.EINTR {
			c.loop.killLater(c, err)
			return 0, err
		}
		n = 0
	}
	c.countTx(n)
	if n < total {
		c.writeReady = false
		if n < len(hdr) {
			c.out = append(c.out[:0], hdr[n:]...)
			c.out = append(c.out, p...)
		} else {
			c.out = append(c.out[:0], p[n-len(hdr):]...)
		}
		c.outOff = 0
		c.loop.updateInterest(c)
	}
	return len(p), nil
}

// flushStage sends the writes gathered for c (the loop's cork) with one
// system call; the kernel's refusal of part of them leaves the rest in
// c.out, as for any partial write.
func (c *Conn) flushStage() error {
	l := c.loop
	if len(l.stage) == 0 {
		return nil
	}
	st := l.stage
	l.stage = l.stage[:0]
	n, err := unix.Write(int(c.fd), st)
	l.writeCalls++
	if err != nil {
		if err != unix.EAGAIN && err != unix.EINTR {
			c.loop.killLater(c, err)
			return err
		}
		n = 0
	}
	c.countTx(n)
	if n < len(st) {
		c.writeReady = false
		c.out = append(c.out[:0], st[n:]...)
		c.outOff = 0
		l.updateInterest(c)
	}
	return nil
}

// flush sends what the library holds; it reports whether all of it is gone.
func (c *Conn) flush() (bool, error) {
	for c.outOff < len(c.out) {
		n, err := unix.Write(int(c.fd), c.out[c.outOff:])
		c.loop.writeCalls++
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				c.writeReady = false
				return false, nil
			}
			return false, err
		}
		c.outOff += n
		c.countTx(n)
		if c.outOff < len(c.out) {
			c.writeReady = false
			return false, nil
		}
	}
	// Keep a small buffer for the next partial write; give back a big one.
	if cap(c.out) > 16<<10 {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	c.outOff = 0
	return true, nil
}
