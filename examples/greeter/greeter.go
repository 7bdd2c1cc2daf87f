// Package greeter is a protocol plugin in its smallest useful form:
// greeter-protocol answers every WebSocket text message NAME with
// "GREETING, NAME", where GREETING is the per-vhost option "greeting"
// ("hello" by default). Importing the package registers the protocol, so
// lwsws built with it serves it by name.
package greeter

import (
	"github.com/golws/lws"
)

// Name is the protocol's name: the subprotocol clients ask for, and the
// key of its options in lwsws's "ws-protocols".
const Name = "greeter-protocol"

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:       Name,
		Callback:   callback,
		NewSession: func() any { return new(session) }, // per connection
	}
}

// session is one connection's state: the message being gathered and the
// reply not yet sent.
type session struct {
	in    lws.MessageBuffer
	reply []byte
}

// vhostData is the protocol's state on one vhost, shared by its
// connections.
type vhostData struct{ greeting string }

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit: // once per vhost; no connection data
		vd := &vhostData{greeting: "hello"}
		if v, ok := c.ProtocolOption("greeting"); ok {
			vd.greeting = v
		}
		c.SetVhostData(vd)

	case lws.CallbackReceive:
		s := c.User().(*session)
		msg, _, complete, err := s.in.Receive(c, in)
		if err != nil || !complete {
			return err
		}
		s.reply = append(append(append(s.reply[:0], greeting(c)...), ", "...), msg...)
		_ = c.RxFlowControl(false) // one reply at a time
		c.CallbackOnWritable()

	case lws.CallbackServerWriteable:
		s := c.User().(*session)
		if len(s.reply) == 0 {
			return nil
		}
		if _, err := c.Write(s.reply, lws.WriteText); err != nil {
			return err
		}
		s.reply = s.reply[:0]
		return c.RxFlowControl(true)
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}

// greeting returns the vhost's greeting; a vhost made with
// OptionSkipProtocolInit has no vhost data, and gets the default.
func greeting(c *lws.Conn) string {
	if vd, ok := c.VhostData().(*vhostData); ok {
		return vd.greeting
	}
	return "hello"
}
