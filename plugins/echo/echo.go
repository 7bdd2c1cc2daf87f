// Package echo is the lws-echo protocol of golws: every WebSocket message
// received is sent back with the same fragment boundaries and opcodes. It
// works on server and client connections alike: it is the target of the
// WebSocket conformance tests and ws-server-echo, and the echoing client of
// ws-client-echo and of the client conformance tests.
//
// Each connection keeps what it received in a ring of fragments (lws's
// minimal-ws-server-echo uses the same shape): one fragment is written per
// SERVER_WRITEABLE, and reception is switched off while the ring is nearly
// full, so memory per connection is bounded by the ring: at most 64
// fragments, each no larger than the service buffer (4 KiB by default).
// The ring is made on a connection's first message; an idle connection
// holds none.
package echo

import (
	"github.com/golws/lws"
)

// Name is the protocol's name.
const Name = "lws-echo"

// ringSize is how many fragments a connection may hold unsent.
const ringSize = 64

type fragment struct {
	data         []byte
	first, final bool
	binary       bool
}

// session is a connection's state. The ring is made when the first
// message arrives, so an idle connection costs only this struct.
type session struct {
	ring       []fragment
	head, tail int // head: next to fill; tail: next to send
	count      int
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
	case lws.CallbackReceive, lws.CallbackClientReceive:
		s := c.User().(*session)
		if s.ring == nil {
			s.ring = make([]fragment, ringSize)
		}
		f := &s.ring[s.head]
		f.data = append(f.data[:0], in...)
		f.first, f.final, f.binary = c.IsFirstFragment(), c.IsFinalFragment(), c.FrameIsBinary()
		s.head = (s.head + 1) % ringSize
		s.count++
		if s.count >= ringSize-2 {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		c.CallbackOnWritable()

	case lws.CallbackServerWriteable, lws.CallbackClientWriteable:
		s := c.User().(*session)
		if s.count == 0 {
			return nil
		}
		f := &s.ring[s.tail]
		initial := lws.WriteText
		if f.binary {
			initial = lws.WriteBinary
		}
		if _, err := c.Write(f.data, lws.WriteWSFlags(initial, f.first, f.final)); err != nil {
			return err
		}
		if cap(f.data) > 64<<10 {
			f.data = nil // do not keep a large buffer per slot
		}
		s.tail = (s.tail + 1) % ringSize
		s.count--
		if s.count < ringSize/2 && !c.RxFlowAllowed() {
			if err := c.RxFlowControl(true); err != nil {
				return err
			}
		}
		if s.count > 0 {
			c.CallbackOnWritable()
		}
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}
