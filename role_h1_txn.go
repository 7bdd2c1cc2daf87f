package lws

import (
	"errors"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
)

// HTTP/1 as the wire of an HTTP transaction: the connection's httpState
// is its httpWire. What is here is HTTP/1 by nature: the request's
// version and keep-alive, its body's framing (Content-Length or chunked)
// and 100 Continue, the response body's chunks, and a connection that
// carries one transaction after another, reading the next request only
// once the last response has gone.

// beginRequest notes what the request head just read says of the
// connection: its HTTP version and whether it may be kept.
func (hs *httpState) beginRequest(c *Conn) {
	ah := c.ah
	hs.await100 = false
	hs.http10 = ah.Version() == 10
	if hs.http10 {
		hs.keepAlive = headerHasToken(ah, hdr.TokenConnection, "keep-alive")
	} else {
		hs.keepAlive = !headerHasToken(ah, hdr.TokenConnection, "close")
	}
}

// countRequest counts the request, and the connection with its first, in
// the vhost's HTTP/1 statistics.
func (hs *httpState) countRequest(c *Conn) {
	c.vhost.counts.h1Trans++
	if !hs.counted {
		c.vhost.counts.h1Conns++
		hs.counted = true
	}
}

// requestBody reads the request body's framing and reports whether a
// body follows the head.
func (hs *httpState) requestBody(c *Conn, t *httpTxn) (bool, error) {
	if err := hs.bodyFraming(c); err != nil || c.Closed() || c.closing == closeFlush {
		return false, err
	}
	body := hs.bodyLeft > 0 || hs.chunked
	hs.await100 = body && !hs.http10 && headerHasToken(c.ah, hdr.TokenExpect, "100-continue")
	return body, nil
}

// sendHead sends the head and the first of the body in one write.
func (hs *httpState) sendHead(c *Conn, t *httpTxn, head, body []byte, end bool) error {
	_, err := c.send(head, body)
	return err
}

// responding holds the connection's input: a pipelined request waits
// until this transaction is completed.
func (hs *httpState) responding(c *Conn) {
	c.rxHold |= holdTxn
	c.loop.updateInterest(c)
}

func (hs *httpState) plainBody() bool { return true }

func (hs *httpState) protocol() string {
	if hs.http10 {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// sendBody sends p as it is, or as a chunk of a chunked response.
func (hs *httpState) sendBody(c *Conn, t *httpTxn, p []byte, final bool) (int, error) {
	if t.txChunked {
		return c.sendChunk(p, final)
	}
	return c.send(nil, p)
}

func (hs *httpState) closeAfter() { hs.keepAlive = false }

var continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")

func (hs *httpState) continueBody(c *Conn, t *httpTxn) error {
	if !hs.await100 {
		return nil
	}
	hs.await100 = false
	_, err := c.send(nil, continue100)
	return err
}

// finishResponse sends the last chunk of a chunked response. The
// connection is kept if the client and the response head allow it, the
// client can tell where the response ends, and the unread rest of the
// request body, if any, will be read and dropped.
func (hs *httpState) finishResponse(c *Conn, t *httpTxn) (bool, error) {
	if t.txChunked && t.headersSent && !t.finalSent && !t.head {
		t.finalSent = true
		if _, err := c.send(nil, lastChunk); err != nil {
			return false, err
		}
	}
	bodyless := t.head || t.status == 204 || t.status == 304 || t.status/100 == 1
	keep := hs.keepAlive && (t.txLength >= 0 || t.txChunked || bodyless || !t.headersSent)
	if t.stage == txnBody && !hs.bodyDroppable() {
		keep = false
	}
	return keep, nil
}

func (hs *httpState) endTxn(c *Conn, keep, bodyUnread bool, ka int) error {
	if !bodyUnread {
		hs.bodyLeft = 0
	}
	hs.chunked, hs.started = false, false
	c.loop.releaseAH(c)
	if !keep {
		hs.phase, hs.bodyLeft = phaseHead, 0
		c.rxHold &^= holdTxn
		return c.closeWhenFlushed()
	}
	hs.phase, hs.ka = phaseDone, ka
	if hs.bodyLeft > 0 || c.held() > 0 {
		// What is left of the transaction (the body to drop, the
		// response to send) may take this long.
		c.SetTimeout(PendingTimeoutHTTPContent, c.loop.cx.info.TimeoutSecs)
	}
	return hs.httpNext(c)
}

// bodyFraming reads how the request's body is framed: Content-Length or
// chunked. Requests framed both ways, or with a transfer coding other than
// chunked, are refused: a proxy in front might read them differently
// (request smuggling).
func (hs *httpState) bodyFraming(c *Conn) error {
	ah := c.ah
	t := c.txn()
	hs.bodyLeft, hs.chunked, t.bodyLength = 0, false, -1
	if ah.Has(hdr.TokenTransferEncoding) {
		if ah.Has(hdr.TokenContentLength) {
			return c.replyStatus(400, "both Transfer-Encoding and Content-Length")
		}
		if hs.http10 {
			return c.replyStatus(400, "Transfer-Encoding in an HTTP/1.0 request")
		}
		for i := range ah.FragmentCount(hdr.TokenTransferEncoding) {
			if !ascii.EqualFold(ascii.TrimOWS(ah.Fragment(hdr.TokenTransferEncoding, i)), "chunked") || i > 0 {
				return c.replyStatus(501, "transfer coding not implemented")
			}
		}
		hs.chunked = true
		if hs.dec == nil {
			hs.dec = new(h1.ChunkedDecoder)
		}
		hs.dec.Reset()
		hs.dec.MaxTrailer = c.ah.MaxData()
		return nil
	}
	n := ah.FragmentCount(hdr.TokenContentLength)
	for i := range n {
		v, ok := httpsem.ParseContentLength(ascii.TrimOWS(ah.Fragment(hdr.TokenContentLength, i)))
		if !ok || (i > 0 && v != hs.bodyLeft) {
			return c.replyStatus(400, "bad Content-Length")
		}
		hs.bodyLeft, t.bodyLength = v, v
	}
	return nil
}

// httpBody delivers request body bytes from p and reports how many it
// used. It takes at most one piece of p at a time and checks reception
// between deliveries: when an HTTP_BODY callback turns reception off (or
// a CGI program's input is full), what is left of p is not used, and the
// loop holds it until reception is back on, as for any role.
func (hs *httpState) httpBody(c *Conn, p []byte) (int, error) {
	used := 0
	for used < len(p) && hs.txn.stage == txnBody && !c.Closed() && !c.rxDisabled && c.closing != closeFlush && c.rxHold&holdCGI == 0 {
		in := p[used:min(len(p), used+c.rxPieceSize())]
		var data []byte
		if hs.chunked {
			n, d, err := hs.dec.Next(in)
			used += n
			if err != nil {
				var he *httpsem.Error
				if errors.As(err, &he) {
					return len(p), c.replyStatus(he.Status, he.Reason)
				}
				return len(p), err
			}
			data = d
		} else {
			k := int(min(int64(len(in)), hs.bodyLeft))
			data = in[:k]
			used += k
			hs.bodyLeft -= int64(k)
		}
		if len(data) > 0 {
			if err := c.deliverBody(data); err != nil {
				return used, err
			}
			if c.Closed() || c.closing == closeFlush {
				// The transaction ended before its body and the
				// connection closes: the rest is of no use.
				return len(p), nil
			}
			if hs.txn.stage != txnBody {
				// The transaction ended before its body and the
				// connection stays: the role reads and drops the rest
				// of the body, then serves what follows it.
				return used, nil
			}
		}
		if (hs.chunked && hs.dec.Done()) || (!hs.chunked && hs.bodyLeft == 0) {
			if err := c.bodyComplete(); err != nil {
				return used, err
			}
			break
		}
	}
	return used, nil
}

// maxDroppedBody bounds the unread request body the server reads and
// drops after a transaction completes, to keep the connection (the bound
// net/http has); a longer body closes the connection.
const maxDroppedBody = 256 << 10

// bodyDroppable reports whether the unread rest of the request body will
// be read and dropped once the transaction completes, so that the
// connection can carry the next request: its length is known and small,
// and the client is sending it (not waiting for 100 Continue).
func (hs *httpState) bodyDroppable() bool {
	return !hs.chunked && hs.bodyLeft <= maxDroppedBody && !hs.await100
}

// httpNext moves a completed transaction's connection on to its next
// request once nothing of the transaction is left: the unread rest of its
// body dropped (rx), and its response taken by the kernel. Until then no
// request is parsed and, once the body is dropped, the socket is not read
// at all (holdTxn), so a client pipelining requests without reading the
// answers fills its own buffers and TCP holds it back: the library keeps
// at most one response's remainder for it. When the kernel has taken what
// was held, onWritable owes the connection a WRITEABLE, and the role's
// WRITEABLE calls httpNext again.
func (hs *httpState) httpNext(c *Conn) error {
	l := c.loop
	if hs.bodyLeft > 0 {
		// Reading goes on, to drop the body.
		c.rxHold &^= holdTxn
		if len(c.rxHeld) > 0 || c.readReady || c.rolePending() {
			l.queueReady(c)
		}
		l.updateInterest(c)
		return nil
	}
	c.rxHold |= holdTxn
	if l.cork == c {
		// Writes gathered this pass go to the kernel now, not at the end
		// of the pass: the next request should not wait for nothing.
		if err := c.flushStage(); err != nil {
			return err
		}
	}
	if c.held() > 0 {
		c.wantWriteable = true
		l.updateInterest(c)
		return nil
	}
	hs.phase = phaseHead
	c.rxHold &^= holdTxn
	c.SetTimeout(PendingTimeoutHTTPKeepaliveIdle, hs.ka)
	if len(c.rxHeld) > 0 || c.readReady || c.rolePending() {
		l.queueReady(c)
	}
	l.updateInterest(c)
	return nil
}
