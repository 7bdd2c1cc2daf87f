package lws

import "math"

// role is what lws keeps in its role ops tables: the operations that differ
// between RAW sockets, adopted files, WebSocket, HTTP and so on, over the one
// Conn type. The loop calls them; they call the protocol. The loop asks a
// role, never which role a connection has: every decision that differs
// between roles is one of these operations. roleBase gives the common
// answer to the optional ones.
//
// A role that keeps per-connection state is that state: the value in
// Conn.role is the connection's *httpState, *wsState, *clientState and so
// on, so a connection carries only the state of the role it has. Roles
// without state (RAW, the CGI pipes) are shared values. A connection
// changes role only through setRole.
type role interface {
	// name is lws's role name, shown in Conn.String for logs.
	name() string
	// rx handles bytes read from the transport and returns how many it
	// consumed; it stops early only when reception was turned off during a
	// callback, and the loop holds the rest.
	rx(c *Conn, p []byte) (int, error)
	// writeable delivers the role's WRITEABLE reason.
	writeable(c *Conn) error
	// write frames and sends p for a user Write.
	write(c *Conn, p []byte, wt WriteType) (int, error)
	// closed delivers the role's close reason, when the connection
	// closes after its role was established.
	closed(c *Conn)
	// closedEarly is told instead that the connection closes before its
	// role was established: a client reports CLIENT_CONNECTION_ERROR
	// with why.
	closedEarly(c *Conn, why error)
	// timedOut may answer the connection's timeout of reason itself, and
	// reports whether it did: a client not established yet fails with
	// what it was waiting for, whatever the timeout's reason; an idle
	// HTTP/2 connection says GOAWAY first.
	timedOut(c *Conn, reason PendingTimeout) bool
	// closing may take over closing a connection that user code closes
	// (a WebSocket sends its Close frame and waits for the answer); it
	// reports whether it did.
	closing(c *Conn, why error) bool

	// readSize is how many bytes one read of the descriptor asks for.
	// RAW hands the protocol what it reads, so its reads are piece-sized;
	// a framing role splits what it reads itself and reads a whole
	// buffer, many frames per system call. (A TLS transport reads a whole
	// buffer whatever the role: records are larger than a piece.)
	readSize(c *Conn) int
	// pending reports whether the role holds received data it has not
	// delivered yet (lws's service_flag_pending: a WebSocket extension's
	// decoded output), so the loop services the connection again without
	// waiting for the descriptor.
	pending(c *Conn) bool
	// peerEOF is told that the peer finished sending. It reports whether
	// that ends the connection now (an HTTP client's body that runs until
	// the server closes is complete); otherwise the connection closes
	// once what it owes the peer is written.
	peerEOF(c *Conn) bool
	// lingers reports whether closing after a final response shuts the
	// sending side down and then reads and drops what the peer still
	// sends until it closes (an HTTP/1 server's lingering close), rather
	// than closing at once.
	lingers(c *Conn) bool
	// heard returns when the peer was last heard from (loop clock), for
	// the validity policy; ok is false for roles without one.
	heard(c *Conn) (last int64, ok bool)
	// issueKeepalive asks the peer for a sign of life when it has been
	// silent for the validity policy's ping interval (lws's
	// issue_keepalive: a WebSocket PING).
	issueKeepalive(c *Conn)
	// alpn returns the ALPN protocol names the role serves over TLS.
	alpn() []string
	// release gives back the role's state when the connection leaves the
	// role or closes (an HTTP state goes back to the loop's free list).
	// It reports whether the state was given back, so that a closed
	// connection must not keep it; a role whose state stays readable
	// after the close (a WebSocket's close codes) keeps it and reports
	// false.
	release(c *Conn) bool
	// txCredit is lws's tx_credit: asked of a network connection's role
	// about one of its stream children c, it adds add (zero, or negative
	// for what c sent) to c's credit and returns the credit then, how many
	// bytes c may send now. A child without credit gets no WRITEABLE and
	// is choked (HTTP/2's flow-control windows). Roles that carry no
	// metered children give every child unlimited credit.
	txCredit(c *Conn, add int) int
	// sendChild sends hdr then p for the stream child ch of the network
	// connection whose role this is: framed as the role frames a
	// stream's data (HTTP/2's DATA frames), within the child's tx credit,
	// the rest kept for the child, which gets no WRITEABLE until it has
	// gone. Roles that carry unframed children send the bytes as they are.
	sendChild(ch *Conn, hdr, p []byte) (int, error)
	// endChild ends what the stream child ch sends, once what it wrote
	// has gone (HTTP/2's END_STREAM): ch is closing after its last
	// message (closeWhenFlushed). It reports whether nothing ch wrote is
	// kept any more; otherwise the role closes ch once it has gone.
	endChild(ch *Conn) bool
	// childClosed is told that the stream child ch has closed: the role
	// forgets it, and tells the peer if the stream was still open
	// (HTTP/2's RST_STREAM).
	childClosed(ch *Conn)
	// childRxFlow turns reception on or off for the stream child ch
	// (RxFlowControl) and reports whether the role did it; otherwise
	// reception is turned on or off for the whole network connection.
	childRxFlow(ch *Conn, enable bool) bool
	// childPending is told that the stream child ch holds received data
	// its role has not delivered yet (a WebSocket extension's decoded
	// output, left for the next pass), so that the network connection
	// services ch again though nothing new arrives for it.
	childPending(ch *Conn)
	// goAway tells the connection that the server takes no new work
	// (Deprecate, the context's end): HTTP/2 sends GOAWAY and closes once
	// its streams are done. Other roles go on as they are.
	goAway(c *Conn)
	// httpWire returns the wire of the HTTP transaction the connection
	// carries (HTTP/1's connection state; an HTTP/2 stream's later), or
	// nil when the role carries none: the response helpers ask it, never
	// which role they serve.
	httpWire() httpWire
}

// setRole moves c to role r (lws's lws_role_transition): the old role's
// state is given back.
func (c *Conn) setRole(r role) {
	old := c.role
	c.role = r
	if old != nil && old != r {
		old.release(c)
	}
}

// roleBase gives the answers most roles share to the role operations a
// few roles have an opinion about. Role types embed it.
type roleBase struct{}

func (roleBase) readSize(c *Conn) int         { return c.rxPieceSize() }
func (roleBase) pending(*Conn) bool           { return false }
func (roleBase) peerEOF(*Conn) bool           { return false }
func (roleBase) lingers(*Conn) bool           { return false }
func (roleBase) heard(*Conn) (int64, bool)    { return 0, false }
func (roleBase) issueKeepalive(*Conn)         {}
func (roleBase) alpn() []string               { return nil }
func (roleBase) txCredit(*Conn, int) int      { return math.MaxInt }
func (roleBase) closing(*Conn, error) bool    { return false }
func (roleBase) release(*Conn) bool           { return false }
func (roleBase) httpWire() httpWire           { return nil }
func (roleBase) endChild(*Conn) bool          { return true }
func (roleBase) goAway(*Conn)                 {}
func (roleBase) childClosed(*Conn)            {}
func (roleBase) childRxFlow(*Conn, bool) bool { return false }
func (roleBase) childPending(*Conn)           {}

// sendChild sends a child's bytes on the network connection as they are.
func (roleBase) sendChild(ch *Conn, hdr, p []byte) (int, error) {
	return ch.Network().send(hdr, p)
}
func (roleBase) closedEarly(*Conn, error)            {}
func (roleBase) timedOut(*Conn, PendingTimeout) bool { return false }

// dispatchWriteable runs a WRITEABLE callback with one write permitted.
func (c *Conn) dispatchWriteable(reason Reason) error {
	c.permit, c.inWriteable = true, true
	err := c.callback(reason, nil)
	c.permit, c.inWriteable = false, false
	return err
}
