package lws

// role is what lws keeps in its role ops tables: the operations that differ
// between RAW sockets, adopted files, WebSocket, HTTP and so on, over the one
// Conn type. The loop calls them; they call the protocol.
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
	// closed delivers the role's close reason.
	closed(c *Conn)
	// closing may take over closing a connection that user code closes
	// (a WebSocket sends its Close frame and waits for the answer); it
	// reports whether it did.
	closing(c *Conn, why error) bool
}

// dispatchWriteable runs a WRITEABLE callback with one write permitted.
func (c *Conn) dispatchWriteable(reason Reason) error {
	c.permit, c.inWriteable = true, true
	err := c.callback(reason, nil)
	c.permit, c.inWriteable = false, false
	return err
}
