package lws

import "errors"

// A client connection's role until it knows what it is: the clientState
// is its role while the name is resolved, the TCP connection made and,
// for a TLS client, the handshake run. Once connected it becomes the
// role its method asks for: the WebSocket handshake (wsClientState, then
// a wsState), an HTTP client (httpClientState) or RAW.

var errNotConnected = errors.New("lws: the client is not connected yet")

func (*clientState) name() string                                { return "client-connecting" }
func (*clientState) rx(*Conn, []byte) (int, error)               { return 0, errNotConnected }
func (*clientState) writeable(*Conn) error                       { return nil }
func (*clientState) write(*Conn, []byte, WriteType) (int, error) { return 0, errNotConnected }

// closed is never reached: a client is not established while it
// connects, so closing it reports CLIENT_CONNECTION_ERROR instead.
func (*clientState) closed(*Conn) {}

// clientInfo is what a client connection keeps about its target until it
// is established (address, timeouts, TLS flags, what it becomes); nil
// for other connections and for an established WebSocket client.
func (c *Conn) clientInfo() *clientState {
	switch r := c.role.(type) {
	case *clientState:
		return r
	case *wsClientState:
		return r.cs
	case *httpClientState:
		return r.cs
	}
	return nil
}

// A client closed before it was established reports
// CLIENT_CONNECTION_ERROR with the reason, once; a timeout before then
// fails it with what it was waiting for. These are the client roles'
// closedEarly and timedOut.

func (cs *clientState) closedEarly(c *Conn, why error)     { clientClosedEarly(c, cs, why) }
func (hs *wsClientState) closedEarly(c *Conn, why error)   { clientClosedEarly(c, hs.cs, why) }
func (hc *httpClientState) closedEarly(c *Conn, why error) { clientClosedEarly(c, hc.cs, why) }

func (cs *clientState) timedOut(c *Conn, _ PendingTimeout) bool     { return clientTimedOut(c, cs) }
func (hs *wsClientState) timedOut(c *Conn, _ PendingTimeout) bool   { return clientTimedOut(c, hs.cs) }
func (hc *httpClientState) timedOut(c *Conn, _ PendingTimeout) bool { return clientTimedOut(c, hc.cs) }

func clientClosedEarly(c *Conn, cs *clientState, why error) {
	if cs.failed {
		return
	}
	cs.failed = true
	text := "closed before connecting"
	if why != nil {
		text = why.Error()
	}
	_ = c.callback(CallbackClientConnectionError, []byte(text))
}

func clientTimedOut(c *Conn, cs *clientState) bool {
	if c.established {
		return false
	}
	c.loop.clientFail(c, cs.timeoutText())
	return true
}
