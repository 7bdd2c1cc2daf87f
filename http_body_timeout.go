package lws

import "time"

// The request body's deadline (ContextInfo.HTTPBodyTimeout and
// HTTPBodyMinRate). lws bounds only the wait for each piece of a body
// (timeout_secs, PENDING_TIMEOUT_HTTP_CONTENT, armed again by every
// piece), so a client sending a byte every few seconds keeps its
// connection, and its header table, for as long as it likes. The deadline
// bounds the body as a whole. It shares the connection's one timeout
// entry with the per-piece wait: the entry is armed for whichever comes
// first, and when it fires, onTimeout asks bodyOverdue whether it was the
// deadline.

// startBodyTimeout arms the body's timeouts as its request head ends.
func (c *Conn) startBodyTimeout() {
	t := c.txn()
	t.bodyDue, t.bodyRx = 0, 0
	if d := c.loop.cx.info.HTTPBodyTimeout; d > 0 {
		t.bodyDue = c.loop.now() + int64(d)
	}
	c.armBodyTimeout()
}

// bodyProgress notes n more bytes of body received and arms the timeouts
// again: the per-piece wait restarts, and the deadline moves by what the
// minimum rate grants for the bytes.
func (c *Conn) bodyProgress(n int) {
	c.txn().bodyRx += int64(n)
	c.armBodyTimeout()
}

// bodyDeadline returns when the body must be complete (loop clock), or 0
// when it has no deadline.
func (c *Conn) bodyDeadline() int64 {
	t := c.txn()
	if t.bodyDue == 0 {
		return 0
	}
	due := t.bodyDue
	if rate := int64(c.loop.cx.info.HTTPBodyMinRate); rate > 0 {
		// One second more for every rate bytes received.
		due += t.bodyRx/rate*int64(time.Second) + t.bodyRx%rate*int64(time.Second)/rate
	}
	return due
}

// armBodyTimeout arms the connection's timeout for the next piece of body
// (TimeoutSecs), or for the body's deadline if that comes first.
func (c *Conn) armBodyTimeout() {
	d := time.Duration(c.loop.cx.info.TimeoutSecs) * time.Second
	if due := c.bodyDeadline(); due != 0 {
		d = min(d, max(time.Duration(due-c.loop.now()), 1))
	}
	c.SetTimeoutDuration(PendingTimeoutHTTPContent, d)
}

// bodyOverdue handles an expired PendingTimeoutHTTPContent: when it was
// the body's deadline, the request is answered 408 (unless a response has
// begun) and the connection closes once that has gone. It reports
// whether it dealt with the connection.
func (l *loop) bodyOverdue(c *Conn) bool {
	t := c.txn()
	if t == nil || t.stage != txnBody {
		return false
	}
	due := c.bodyDeadline()
	if due == 0 || l.now() < due {
		return false
	}
	logf(LogInfo, "lws: %v: request body incomplete after %v (%d bytes received)",
		c, l.cx.info.HTTPBodyTimeout, t.bodyRx)
	if t.headersSent {
		l.closeConn(c, &TimeoutError{Reason: PendingTimeoutHTTPContent})
		return true
	}
	if err := c.replyStatus(408, "request body too slow"); err != nil && err != errResponseSent {
		l.closeConn(c, err)
	}
	return true
}
