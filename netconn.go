package lws

import (
	"math"
	"net/netip"
)

// Network connections and their children (lws's network wsi and child
// wsi). A Conn reaches its socket through the *netConn it embeds: the
// descriptor, what the poller watches, readiness, the out-list, held
// input, the peer and TLS. A network connection owns its netConn, made in
// the same allocation as the Conn (newConn). A stream child (a future
// HTTP/2 stream, a pipelined client transaction) is a Conn of its own that
// points to its network connection's netConn, so that c.fd, c.out or
// c.writeReady on the child are those of the socket it travels on; its
// writes, its SendPipeChoked, its flow control and the loop's queues go
// through the network connection, and its WRITEABLE is routed by the
// network connection's role (writeableChild), within the tx credit that
// role gives it. The validity policy is the socket's; a child keeps its own
// timeout, timer, callbacks and close reason. CGI pipes and adopted
// children are children in the tree (Parent) but have descriptors, hence
// netConns, of their own.

// netConn is the transport of a network connection: everything about the
// socket, shared by the stream children it carries. Fields are ordered so
// that the small ones pack together: with its Conn it fits one 320-byte
// allocation (TestIdleConnectionFootprint).
type netConn struct {
	out    []byte // the part of one write the kernel did not take
	outOff int
	rxHeld []byte // data read but not yet delivered because rx was disabled

	validity timerEntry // the connection-validity policy (the socket's liveness)
	tls      *tlsState  // nil unless the socket speaks TLS

	fd       int32
	interest uint32 // what the level-triggered poller watches
	peer     peerAddr

	// readiness as last learned from the poller and system calls
	readReady  bool
	writeReady bool
	peerHup    bool
	rxEOF      bool // the peer finished sending; close once writes drain

	registered  bool
	parked      bool // removed from a level-triggered poller while rx is off after a hangup
	connecting  bool // a client socket whose connect(2) is under way
	peerCounted bool // counted in the loop's peer limits

	inReadyList bool
	inWriteList bool
	rxHold      uint8 // library reasons not to read: holdAH, holdClosing, ...
}

// connAlloc is a network connection as allocated: the Conn and its
// transport together, one allocation.
type connAlloc struct {
	c Conn
	n netConn
}

// newConn makes a network connection of kind on descriptor fd (-1 for
// none yet), its transport in the same allocation.
func newConn(l *loop, vh *Vhost, fd int, kind connKind) *Conn {
	a := &connAlloc{}
	c := &a.c
	c.netConn = &a.n
	c.loop, c.vhost, c.kind, c.role = l, vh, kind, noRole
	c.fd = int32(fd)
	return c
}

// Network returns the network connection c's data travels on
// (lws_get_network_wsi): c itself, unless c is a stream child carried by
// its parent's socket (the streams of an HTTP/2 connection, the
// transactions pipelined on a client connection). CGI pipes and adopted
// children have descriptors of their own and are their own network
// connections.
func (c *Conn) Network() *Conn {
	for c.isStream() {
		c = c.rare.parent
	}
	return c
}

// isStream reports whether c is a stream child: it has no socket of its
// own but travels on its network connection's.
func (c *Conn) isStream() bool {
	return c.rare != nil && c.rare.parent != nil && c.rare.parent.netConn == c.netConn
}

// newStreamChild makes a stream child of the network connection n bound
// to vp with role r: a Conn of its own (its callbacks, user data, timeout,
// close reason) on n's transport. The role that makes it delivers its
// lifecycle reasons and marks it established.
func (n *Conn) newStreamChild(vp *vhostProtocol, r role, user any) *Conn {
	c := &Conn{netConn: n.netConn, loop: n.loop, vhost: n.vhost, kind: n.kind, role: r}
	c.setParent(n)
	c.bindProtocol(vp, user)
	return c
}

// txCredit returns how many bytes c may send now as far as its network
// connection's role meters it.
func (c *Conn) txCredit() int { return c.addTxCredit(0) }

// addTxCredit gives the stream child c n more bytes of credit (what a
// future HTTP/2 WINDOW_UPDATE does) and returns its credit then, through
// the txCredit operation of its network connection's role. A WRITEABLE
// that c asked for while it had none is now routed to it. A connection
// that is not a stream child is not metered.
func (c *Conn) addTxCredit(n int) int {
	if !c.isStream() {
		return math.MaxInt
	}
	nc := c.Network()
	cr := nc.role.txCredit(c, n)
	if n > 0 && cr > 0 && c.wantWriteable && !c.Closed() {
		nc.askWriteable()
	}
	return cr
}

// askWriteable asks a WRITEABLE for the network connection c: in this
// pass if its socket is presumed writable, else when the poller says so.
func (c *Conn) askWriteable() {
	c.wantWriteable = true
	if c.writeReady && len(c.out) == 0 && !c.connecting {
		c.loop.queueWrite(c)
		return
	}
	c.loop.updateInterest(c)
}

// writeableChild routes a WRITEABLE of the network connection n to its
// stream children (lws's walk of the children on POLLOUT); the WRITEABLE
// operation of n's role calls it, after whatever n itself must send. One
// child that asked for WRITEABLE and has tx credit gets its WRITEABLE
// (one write, as always) and moves behind its siblings, so that children
// that ask all the time are served in turn; while another still waits
// with credit, n asks for WRITEABLE again, which the loop serves within
// the same pass up to its batching bounds. A child without credit keeps
// its request until addTxCredit gives it some. An error from the child's
// callback closes the child, not n. It reports whether a child was
// served.
func (n *Conn) writeableChild() bool {
	if n.rare == nil {
		return false
	}
	var pick *Conn
	var at **Conn
	for pp := &n.rare.firstChild; *pp != nil; pp = &(*pp).rare.nextSibling {
		ch := *pp
		if ch.netConn != n.netConn || ch.Closed() || !ch.wantWriteable || ch.txCredit() <= 0 {
			continue
		}
		if pick != nil {
			n.wantWriteable = true // another one waits: serve it next
			break
		}
		pick, at = ch, pp
	}
	if pick == nil {
		return false
	}
	// The child served goes to the end of the list.
	*at = pick.rare.nextSibling
	pp := at
	for *pp != nil {
		pp = &(*pp).rare.nextSibling
	}
	*pp, pick.rare.nextSibling = pick, nil

	pick.wantWriteable = false
	if err := pick.role.writeable(pick); err != nil {
		n.loop.userClose(pick, err)
	}
	return true
}

// peerAddr is a peer's address and port packed in 20 bytes, where a
// netip.AddrPort takes 32: it keeps the transport and its Conn in one
// 320-byte allocation. Zones are not kept.
type peerAddr struct {
	ip   [16]byte
	port uint16
	fam  uint8 // 0 (no address), 4 or 6
}

func packPeer(ap netip.AddrPort) peerAddr {
	a := ap.Addr()
	p := peerAddr{ip: a.As16(), port: ap.Port()}
	switch {
	case a.Is4():
		p.fam = 4
	case a.IsValid():
		p.fam = 6
	}
	return p
}

// Addr returns the address (the zero Addr if there is none).
func (p peerAddr) Addr() netip.Addr {
	switch p.fam {
	case 4:
		return netip.AddrFrom16(p.ip).Unmap()
	case 6:
		return netip.AddrFrom16(p.ip)
	}
	return netip.Addr{}
}

// Port returns the port.
func (p peerAddr) Port() uint16 { return p.port }

// AddrPort returns the address and port.
func (p peerAddr) AddrPort() netip.AddrPort {
	if p.fam == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(p.Addr(), p.port)
}

// String formats the address and port as netip.AddrPort does.
func (p peerAddr) String() string { return p.AddrPort().String() }
