package lws

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/ascii"
)

// An HTTP/2 stream as the wire of an HTTP transaction: the role of a
// stream child that serves a request. The transaction code is HTTP/1's
// (serveRequest, the mounts, files, CGI, the response helpers); what
// differs is here. Response heads are made in HTTP/1's form by the same
// helpers and turned into an HPACK block when they are sent (sendHead),
// in the order the HEADERS frames go, so that heads built out of order or
// never sent cannot put HPACK's dynamic table out of step with the peer's.
// Bodies are never chunked: a stream ends with END_STREAM. A stream
// carries one transaction: when it is completed, the stream ends and its
// child closes.

// h2Stream is the role of an HTTP/2 stream serving an HTTP transaction,
// and its state.
type h2Stream struct {
	roleBase
	net *h2Net
	id  uint32
	txn httpTxn
}

func (*h2Stream) name() string { return "h2-stream" }

func (s *h2Stream) httpWire() httpWire                 { return s }
func (s *h2Stream) transaction() *httpTxn              { return &s.txn }
func (s *h2Stream) countRequest(c *Conn)               { c.vhost.counts.h2Trans++ }
func (s *h2Stream) protocol() string                   { return "HTTP/2.0" }
func (s *h2Stream) closeAfter()                        {}
func (s *h2Stream) responding(*Conn)                   {}
func (s *h2Stream) plainBody() bool                    { return false }
func (s *h2Stream) lingers(*Conn) bool                 { return false }
func (s *h2Stream) release(*Conn) bool                 { return false }
func (s *h2Stream) continueBody(*Conn, *httpTxn) error { return nil }

// st is what the network connection keeps of the stream.
func (s *h2Stream) st() *h2Str { return s.net.streams[s.id] }

// requestBody reads the request's declared length; a body follows the
// head unless the head ended the stream.
func (s *h2Stream) requestBody(c *Conn, t *httpTxn) (bool, error) {
	st := s.st()
	if st == nil {
		return false, errStreamClosed
	}
	t.bodyLength = st.declared
	return !st.remoteEnded, nil
}

// rx takes DATA of the request body, a piece at a time, while the
// protocol takes it; a protocol that turns reception off leaves the rest
// to the network connection, which holds it. Once the transaction has
// ended, the rest of the body is dropped.
func (s *h2Stream) rx(c *Conn, p []byte) (int, error) {
	t := &s.txn
	if t.stage != txnBody {
		return len(p), nil
	}
	used := 0
	for used < len(p) && t.stage == txnBody && !c.Closed() && !c.rxDisabled && c.closing == closeNone {
		in := p[used:min(len(p), used+c.rxPieceSize())]
		used += len(in)
		if err := c.deliverBody(in); err != nil {
			return used, err
		}
	}
	if t.stage != txnBody || c.Closed() || c.closing != closeNone {
		return len(p), nil
	}
	return used, nil
}

// peerEOF: the request body is complete.
func (s *h2Stream) peerEOF(c *Conn) bool {
	t := &s.txn
	if t.stage != txnBody {
		return false
	}
	if err := c.bodyComplete(); err != nil {
		c.loop.userClose(c, err)
	}
	return false
}

func (s *h2Stream) writeable(c *Conn) error {
	t := &s.txn
	if t.file != nil {
		return c.sendFilePiece()
	}
	if t.cgi != nil {
		return c.cgiWriteable()
	}
	return c.dispatchWriteable(CallbackHTTPWriteable)
}

// bodyless reports whether t's response carries no body whatever its
// head says.
func bodyless(t *httpTxn) bool {
	return t.head || t.status == 204 || t.status == 304 || t.status/100 == 1
}

func (s *h2Stream) write(c *Conn, p []byte, wt WriteType) (int, error) {
	t := &s.txn
	base := wt &^ (WriteNoFin | WriteH2StreamEnd)
	switch base {
	case WriteHTTPHeaders, WriteHTTPHeadersContinuation:
		end := wt&WriteH2StreamEnd != 0 || bodyless(t) || t.txLength == 0
		if err := s.sendHead(c, t, p, nil, end); err != nil {
			return 0, err
		}
		c.headersGone()
		return len(p), nil
	case WriteHTTP, WriteHTTPFinal:
		final := base == WriteHTTPFinal || wt&WriteH2StreamEnd != 0
		if t.head {
			if final {
				s.net.endStream(c.Network(), s.st())
			}
			return len(p), nil
		}
		t.txBytes += int64(len(p))
		return s.sendBody(c, t, p, final || sized(t))
	}
	return c.send(nil, p)
}

// sendHead turns head, made by this wire's headWriter in HTTP/1's form,
// into an HPACK block and sends it as HEADERS, then body as DATA; end
// ends the stream after them.
func (s *h2Stream) sendHead(c *Conn, t *httpTxn, head, body []byte, end bool) error {
	st := s.st()
	if st == nil || st.child != c || st.ended {
		return errStreamClosed
	}
	r := s.net
	block, rest, err := r.hpackHead(head)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		// Body bytes written with the head (HTTP/1 allows it).
		if t != nil {
			t.txBytes += int64(len(rest))
		}
		if len(body) > 0 {
			rest = append(rest[:len(rest):len(rest)], body...)
		}
		body = rest
	}
	end = end || t != nil && sized(t)
	endHead := end && len(body) == 0
	r.lend(c.Network())
	if err := r.h.WriteHeaders(s.id, block, endHead); err != nil {
		return errStreamClosed
	}
	if endHead {
		st.ended = true
	}
	if len(body) > 0 {
		return r.sendData(c, st, body, end)
	}
	r.wrote(c.Network())
	return nil
}

// hpackHead encodes a head in HTTP/1's form (status line, header lines,
// blank line) as an HPACK block, into the connection's buffer, and
// returns what follows the head. Fields HTTP/2 forbids (connection,
// transfer-encoding, ...) are dropped.
func (r *h2Net) hpackHead(head []byte) (block, body []byte, err error) {
	line, rest, ok := bytes.Cut(head, crlf)
	if !ok || len(line) < 12 {
		return nil, nil, errors.New("lws: HTTP/2: a response head without its status line")
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return nil, nil, errors.New("lws: HTTP/2: a response head without its status")
	}
	b := r.enc.AppendStatus(r.buf[:0], status)
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, crlf)
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		b = r.enc.AppendField(b, string(name), string(ascii.TrimOWS(value)))
	}
	r.buf = b[:0]
	return b, rest, nil
}

// sized reports whether t's response body, of a declared length, has
// been written whole: its stream ends with the DATA that completes it.
func sized(t *httpTxn) bool { return t.txLength >= 0 && t.txBytes >= t.txLength }

// sendBody sends a piece of the body as DATA, and END_STREAM after it
// when final.
func (s *h2Stream) sendBody(c *Conn, t *httpTxn, p []byte, final bool) (int, error) {
	st := s.st()
	if st == nil || st.child != c {
		return 0, errStreamClosed
	}
	if err := s.net.sendData(c, st, p, final); err != nil {
		return 0, err
	}
	return len(p), nil
}

// finishResponse ends the stream if the response did not; a stream
// carries one transaction.
func (s *h2Stream) finishResponse(c *Conn, t *httpTxn) (bool, error) {
	if st := s.st(); st != nil && st.child == c && t.headersSent && !st.ended {
		s.net.endStream(c.Network(), st)
	}
	return false, nil
}

// endTxn closes the stream's child: the stream has ended, or is reset if
// its response never started.
func (s *h2Stream) endTxn(c *Conn, keep, bodyUnread bool, ka int) error {
	c.loop.releaseAH(c)
	return c.closeWhenFlushed()
}

// closed delivers the HTTP close reasons, as an HTTP/1 connection's.
func (s *h2Stream) closed(c *Conn) { c.httpClosed(&s.txn) }

// The head writer: HTTP/1's form, turned into HPACK by sendHead.

func (s *h2Stream) headStatus(b []byte, _ *httpTxn, status int, _ string) []byte {
	return h1.AppendStatusLine(b, false, status)
}
func (s *h2Stream) headField(b []byte, name, value string) []byte {
	return h1Fields.headField(b, name, value)
}
func (s *h2Stream) headFieldBytes(b []byte, name string, value []byte) []byte {
	return h1Fields.headFieldBytes(b, name, value)
}
func (s *h2Stream) headToken(b []byte, tok hdr.Token, value string) []byte {
	return h1Fields.headToken(b, tok, value)
}
func (s *h2Stream) headLength(b []byte, n int64) []byte { return h1.AppendContentLength(b, n) }

// headUnsized: a stream's body ends with the stream; nothing frames it.
func (s *h2Stream) headUnsized(b []byte) ([]byte, bool)    { return b, false }
func (s *h2Stream) headRaw(b []byte, fields []byte) []byte { return append(b, fields...) }
func (s *h2Stream) headEnd(b []byte, _ *httpTxn) []byte    { return h1.AppendHeadEnd(b) }

// wsOverH2 serves an RFC 8441 extended CONNECT: a WebSocket on the
// stream, with the same protocols and callbacks as over HTTP/1 (its
// frames travel as the stream's DATA, and its close ends the stream).
// Extensions are negotiated as over HTTP/1 (RFC 8441 section 5).
func (c *Conn) wsOverH2(protocol string) error {
	if err := c.selectVhost(); err != nil || c.Closed() || c.closing != closeNone {
		return err
	}
	if protocol != "websocket" {
		return c.replyStatus(501, "the :protocol of this extended CONNECT is not served")
	}
	return c.wsServerUpgrade(true)
}
