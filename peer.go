package lws

import "net/netip"

// Peer limits (lws's LWS_WITH_PEER_LIMITS): with ContextInfo.IPLimitWSI
// or IPLimitAH set, the loop counts, per peer address, the connections and
// the header tables in use. The connection limit is hard (a connection
// over it is closed as soon as it is accepted); the header table limit is
// soft (a connection over it waits, unread, for one of its peer's others
// to finish its request head).

// peerCount is what one peer address holds.
type peerCount struct {
	conns int
	ah    int
}

// peersTracked reports whether peer limits are on.
func (l *loop) peersTracked() bool {
	return l.cx.info.IPLimitWSI > 0 || l.cx.info.IPLimitAH > 0
}

// peerOf returns the counts of c's peer, if c is counted.
func (l *loop) peerOf(c *Conn) *peerCount {
	if !c.peerCounted {
		return nil
	}
	return l.peers[c.peer.Addr()]
}

// admitPeer counts a new accepted connection against its peer's limit and
// reports whether it may stay.
func (l *loop) admitPeer(c *Conn) bool {
	if !l.peersTracked() {
		return true
	}
	a := c.peer.Addr()
	if l.peers == nil {
		l.peers = make(map[netip.Addr]*peerCount)
	}
	pc := l.peers[a]
	if pc == nil {
		pc = new(peerCount)
		l.peers[a] = pc
	}
	if lim := l.cx.info.IPLimitWSI; lim > 0 && pc.conns >= lim {
		if pc.conns == 0 {
			delete(l.peers, a)
		}
		return false
	}
	pc.conns++
	c.peerCounted = true
	return true
}

// releasePeer uncounts a closing connection.
func (l *loop) releasePeer(c *Conn) {
	if !c.peerCounted {
		return
	}
	c.peerCounted = false
	a := c.peer.Addr()
	if pc := l.peers[a]; pc != nil {
		if pc.conns--; pc.conns <= 0 && pc.ah <= 0 {
			delete(l.peers, a)
		}
	}
}

// peerMayHoldAH reports whether c's peer is under its header table limit.
func (l *loop) peerMayHoldAH(c *Conn) bool {
	lim := l.cx.info.IPLimitAH
	if lim <= 0 {
		return true
	}
	pc := l.peerOf(c)
	return pc == nil || pc.ah < lim
}
