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
	if c.closed {
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
	if c.role == nil {
		return 0, errors.New("lws: connection has no role to write with")
	}
	return c.role.write(c, p, wt)
}

// SendPipeChoked reports whether the connection cannot take more data now
// (lws_send_pipe_choked): the library still holds part of an earlier write,
// or the kernel refused data since the socket last drained. Inside a
// WRITEABLE callback, a false answer permits one more Write in the same
// callback: that is how a producer drains a queue without waiting for a
// callback per message.
func (c *Conn) SendPipeChoked() bool {
	if c.closed {
		return true
	}
	choked := len(c.out) > 0 || !c.writeReady
	if !choked && c.inWriteable {
		c.permit = true
	}
	return choked
}

// BufferedAmount returns how many bytes of an earlier write the library
// still holds for the connection (lws_partial_buffered gives whether it is
// non-zero).
func (c *Conn) BufferedAmount() int { return len(c.out) - c.outOff }

// send writes hdr then p to the descriptor and keeps whatever the kernel did
// not take. It returns len(p) on success.
func (c *Conn) send(hdr, p []byte) (int, error) {
	if c.outOff < len(c.out) {
		// Library messages (a pong, a Close) may follow a write the kernel
		// has not finished taking: they queue behind it, whole.
		c.out = append(c.out, hdr...)
		c.out = append(c.out, p...)
		return len(p), nil
	}
	total := len(hdr) + len(p)
	var n int
	var err error
	if len(hdr) == 0 {
		n, err = unix.Write(int(c.fd), p)
	} else {
		n, err = c.loop.writev(int(c.fd), hdr, p)
	}
	if err != nil {
		if err != unix.EAGAIN && err != unix.EINTR {
			c.loop.killLater(c, err)
			return 0, err
		}
		n = 0
	}
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

// flush sends what the library holds; it reports whether all of it is gone.
func (c *Conn) flush() (bool, error) {
	for c.outOff < len(c.out) {
		n, err := unix.Write(int(c.fd), c.out[c.outOff:])
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
