// Package echo is the lws-echo protocol of golws: every WebSocket message
// received is sent back with the same fragment boundaries and opcodes. It
// works on server and client connections alike: it is the target of the
// WebSocket conformance tests and ws-server-echo, and the echoing client of
// ws-client-echo and of the client conformance tests.
//
// Each connection queues what it received, fragment by fragment, and
// writes one fragment per SERVER_WRITEABLE (lws's minimal-ws-server-echo
// has the same shape). The queue is bounded in bytes: once it holds
// QueueLimit bytes (64 KiB by default; the per-vhost option "queue-limit"
// sets it), reception is switched off, so a peer that sends without
// reading its echoes meets TCP backpressure, and it is switched back on
// when half of that has been sent. A connection thus holds at most the
// limit plus the one received piece that crossed it (each piece is at most
// the service buffer, 4 KiB by default, or the protocol's RxBufferSize),
// plus a 5-byte record per fragment. The queue's buffer is taken when a
// message arrives and given back when the queue is empty: an idle
// connection holds none, whatever it sent before. Given-back buffers of
// up to 128 KiB are kept for reuse, at most 64 of them and 2 MiB in the
// process, so a steady echo allocates nothing.
package echo

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"

	"github.com/golws/lws"
)

// Name is the protocol's name.
const Name = "lws-echo"

// QueueLimit is how many bytes of received fragments a connection may
// hold unsent, by default, before reception is switched off. lws's
// minimal-ws-server-echo counts messages instead (a ring of 4096, each
// allocated as it arrives); golws bounds bytes, so that a connection's
// memory does not depend on how large the pieces are.
const QueueLimit = 64 << 10

// recordSize is the size of a fragment's record in the queue: its flags
// and its length.
const recordSize = 5

const (
	flagFirst = 1 << iota
	flagFinal
	flagBinary
)

var errQueueLimit = errors.New("lws-echo: queue-limit must be a positive number of bytes")

type vhostData struct {
	limit int
}

// session is a connection's state. buf holds the unsent fragments back to
// back, each a record then its payload, from off on; it is nil while the
// queue is empty.
type session struct {
	buf []byte
	off int
}

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the echo protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:       Name,
		Callback:   callback,
		NewSession: func() any { return new(session) },
	}
}

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit:
		vd := &vhostData{limit: QueueLimit}
		if v, ok := c.ProtocolOption("queue-limit"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return errQueueLimit
			}
			vd.limit = n
		}
		c.SetVhostData(vd)

	case lws.CallbackReceive, lws.CallbackClientReceive:
		s := c.User().(*session)
		limit := queueLimit(c)
		var flags byte
		if c.IsFirstFragment() {
			flags |= flagFirst
		}
		if c.IsFinalFragment() {
			flags |= flagFinal
		}
		if c.FrameIsBinary() {
			flags |= flagBinary
		}
		s.reserve(recordSize+len(in), limit)
		s.buf = append(s.buf, flags)
		s.buf = binary.LittleEndian.AppendUint32(s.buf, uint32(len(in)))
		s.buf = append(s.buf, in...)
		if len(s.buf)-s.off >= limit {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		c.CallbackOnWritable()

	case lws.CallbackServerWriteable, lws.CallbackClientWriteable:
		s := c.User().(*session)
		if s.buf == nil {
			return nil
		}
		rec := s.buf[s.off:]
		flags := rec[0]
		n := int(binary.LittleEndian.Uint32(rec[1:recordSize]))
		initial := lws.WriteText
		if flags&flagBinary != 0 {
			initial = lws.WriteBinary
		}
		wt := lws.WriteWSFlags(initial, flags&flagFirst != 0, flags&flagFinal != 0)
		if _, err := c.Write(rec[recordSize:recordSize+n], wt); err != nil {
			return err
		}
		s.off += recordSize + n
		if s.off == len(s.buf) {
			putBuf(s.buf)
			s.buf, s.off = nil, 0
		}
		if !c.RxFlowAllowed() && len(s.buf)-s.off <= queueLimit(c)/2 {
			if err := c.RxFlowControl(true); err != nil {
				return err
			}
		}
		if s.buf != nil {
			c.CallbackOnWritable()
		}

	case lws.CallbackClosed, lws.CallbackClientClosed:
		s := c.User().(*session)
		if s.buf != nil {
			putBuf(s.buf)
			s.buf, s.off = nil, 0
		}
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}

// queueLimit returns the vhost's queue limit.
func queueLimit(c *lws.Conn) int {
	if vd, ok := c.VhostData().(*vhostData); ok {
		return vd.limit
	}
	return QueueLimit
}

// reserve makes room for n more bytes at the end of the queue: the buffer
// is taken from the pool when the queue is empty, sent fragments are
// dropped from its front when that makes room, and otherwise it grows, to
// no more than the limit plus this fragment.
func (s *session) reserve(n, limit int) {
	if s.buf == nil {
		s.buf = getBuf(n)
	}
	if len(s.buf)+n <= cap(s.buf) {
		return
	}
	live := len(s.buf) - s.off
	if live+n <= cap(s.buf) {
		s.buf = s.buf[:copy(s.buf, s.buf[s.off:])]
		s.off = 0
		return
	}
	size := max(min(2*cap(s.buf), limit+n), live+n)
	nb := make([]byte, live, size)
	copy(nb, s.buf[s.off:])
	putBuf(s.buf)
	s.buf, s.off = nb, 0
}

const (
	poolBufSize  = 4 << 10   // the least capacity of a new buffer
	poolMaxCap   = 128 << 10 // larger buffers are not kept
	poolMax      = 64        // buffers kept in the process
	poolMaxBytes = 2 << 20   // and their capacity in all
)

// pool keeps given-back queue buffers for reuse, so that a steady echo
// does not allocate. It is bounded: at most poolMax buffers of at most
// poolMaxCap bytes, poolMaxBytes in all.
var pool struct {
	sync.Mutex
	free  [][]byte
	bytes int
}

// getBuf returns an empty buffer for at least n bytes: the most recently
// given back one that is large enough, or a new one.
func getBuf(n int) []byte {
	pool.Lock()
	for i := len(pool.free) - 1; i >= 0; i-- {
		if b := pool.free[i]; cap(b) >= n {
			last := len(pool.free) - 1
			pool.free[i] = pool.free[last]
			pool.free[last] = nil
			pool.free = pool.free[:last]
			pool.bytes -= cap(b)
			pool.Unlock()
			return b
		}
	}
	pool.Unlock()
	return make([]byte, 0, max(n, poolBufSize))
}

// putBuf gives a buffer back, to be kept if the pool has room for it.
func putBuf(b []byte) {
	if cap(b) > poolMaxCap {
		return
	}
	pool.Lock()
	if len(pool.free) < poolMax && pool.bytes+cap(b) <= poolMaxBytes {
		pool.free = append(pool.free, b[:0])
		pool.bytes += cap(b)
	}
	pool.Unlock()
}
