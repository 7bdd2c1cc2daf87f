package lws

import "time"

// The connection-validity policy (VhostInfo.ValidityPing and
// ValidityHangup): a peer silent for a while is asked for a sign of life
// (the role's issueKeepalive: a WebSocket PING), one silent for too long
// is hung up. The role tells when the peer was last heard from; the
// timer is the connection's validity entry in the loop's heap.

// startValidity arms the validity policy of a connection whose role
// has one, counting from now.
func (c *Conn) startValidity() {
	l, info := c.loop, &c.vhost.info
	last, ok := c.role.heard(c)
	if !ok {
		return
	}
	next := info.ValidityPing
	if next < 0 || (info.ValidityHangup > 0 && info.ValidityHangup < next) {
		next = info.ValidityHangup
	}
	if next < 0 {
		return
	}
	c.validity.kind, c.validity.conn = timerValidity, c
	l.timers.schedule(&c.validity, last+int64(next))
}

// checkValidity runs when the validity timer fires: it hangs up a peer
// silent for too long, asks one silent for a while for a sign of life,
// or waits again.
func (l *loop) checkValidity(c *Conn) {
	if c.Closed() {
		return
	}
	last, ok := c.role.heard(c)
	if !ok {
		return
	}
	info := &c.vhost.info
	now := l.now()
	idle := time.Duration(now - last)
	if info.ValidityHangup > 0 && idle >= info.ValidityHangup {
		logf(LogInfo, "lws: %v: nothing received for %v: hanging up", c, idle)
		l.closeConn(c, &TimeoutError{Reason: PendingTimeoutWSPongCheckGetPong})
		return
	}
	next := time.Duration(-1)
	if info.ValidityPing > 0 {
		if idle >= info.ValidityPing {
			c.role.issueKeepalive(c)
		} else {
			next = info.ValidityPing - idle
		}
	}
	if info.ValidityHangup > 0 && (next < 0 || info.ValidityHangup-idle < next) {
		next = info.ValidityHangup - idle
	}
	if next >= 0 {
		l.timers.schedule(&c.validity, now+int64(next))
	}
}
