package lws

import (
	"time"

	"github.com/golws/lws/ws"
)

// The connection-validity policy (VhostInfo.ValidityPing and
// ValidityHangup): a WebSocket peer silent for a while is pinged, one
// silent for too long is hung up. Its timer is the connection's validity
// entry in the loop's heap.

// startValidity arms the connection-validity policy of a new WebSocket.
func (c *Conn) startValidity() {
	l, info := c.loop, &c.vhost.info
	c.ws.lastValid = l.now()
	next := info.ValidityPing
	if next < 0 || (info.ValidityHangup > 0 && info.ValidityHangup < next) {
		next = info.ValidityHangup
	}
	if next < 0 {
		return
	}
	c.validity.kind, c.validity.conn = timerValidity, c
	l.timers.schedule(&c.validity, c.ws.lastValid+int64(next))
}

// checkValidity runs when the validity timer fires: it hangs up a peer
// silent for too long, pings one silent for a while, or waits again.
func (l *loop) checkValidity(c *Conn) {
	w := c.ws
	if c.closed || w == nil {
		return
	}
	info := &c.vhost.info
	now := l.now()
	idle := time.Duration(now - w.lastValid)
	if info.ValidityHangup > 0 && idle >= info.ValidityHangup {
		logf(LogInfo, "lws: %v: nothing received for %v: hanging up", c, idle)
		l.closeConn(c, &TimeoutError{Reason: PendingTimeoutWSPongCheckGetPong})
		return
	}
	next := time.Duration(-1)
	if info.ValidityPing > 0 {
		if idle >= info.ValidityPing {
			if !w.pingInFlight && !w.closeSent {
				w.pingInFlight = true
				_, _ = c.wsSendFrame(ws.OpPing, true, nil)
			}
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
