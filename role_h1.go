package lws

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/h2"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
	"golang.org/x/net/http2"
)

// txn is the HTTP transaction the connection carries: the request being
// answered and its response's state, whatever the wire. It is nil when the
// connection carries no HTTP transaction.
func (c *Conn) txn() *httpTxn {
	if w := c.role.httpWire(); w != nil {
		return w.transaction()
	}
	return nil
}

// httpWire is the role operation: an HTTP/1 server connection's wire is
// its state.
func (hs *httpState) httpWire() httpWire { return hs }

// transaction is the one transaction an HTTP/1 connection carries at a
// time.
func (hs *httpState) transaction() *httpTxn { return &hs.txn }

// The server side of HTTP/1 reads request heads into a header table,
// hands WebSocket upgrades to the WebSocket role and serves everything
// else as HTTP transactions: mounts (files, redirects, CGI, callback
// protocols) or the vhost's first protocol's CallbackHTTP. One
// transaction runs at a time: the bytes of a pipelined next request wait,
// unparsed, until HTTPTransactionCompleted and until the response has
// gone to the kernel (see httpNext), so responses go out in order and a
// client that pipelines without reading is held back by TCP.
//
// The role is the connection's httpState: a server connection is HTTP/1
// while its role is one, and the state goes back to the loop's free list
// when the connection upgrades, falls back to RAW or closes.

// httpPhase is where the connection stands between transactions; while
// one is under way, its stage (httpTxn.stage) says the rest.
type httpPhase uint8

const (
	phaseHead httpPhase = iota // reading a request head
	phaseDone                  // completed: dropping the unread body, or waiting for the response to drain
)

// httpState is the HTTP/1 wire state of a server connection: the request
// parser, keep-alive, the request body's framing and deadlines. It carries
// the connection's one HTTP transaction at a time.
type httpState struct {
	roleBase
	parser   h1.Parser
	started  bool  // the parser was reset onto the connection's table
	fallback bool  // apply the listen-accept role if the first bytes are not HTTP
	notH2    bool  // the first bytes are not HTTP/2's client preface
	pre      uint8 // bytes of HTTP/2's client preface matched so far
	waitedAH bool  // the head had to wait for a header table: its timeout starts when it gets one
	phase    httpPhase
	counted  bool // counted in the vhost's H1Conns

	keepAlive bool // the connection may carry another request after this one
	http10    bool

	// the request body
	bodyLeft int64 // Content-Length bytes not yet delivered (or, once completed, dropped)
	chunked  bool
	dec      *h1.ChunkedDecoder
	await100 bool // the client awaits 100 Continue before sending the body, and has none yet

	ka int // keep-alive timeout once the completed transaction's response has gone

	txn httpTxn
}

// httpTxn is an HTTP transaction independent of the wire that carries it:
// the request being answered and its response's state. An HTTP/1
// connection carries one at a time.
type httpTxn struct {
	stage txnStage
	head  bool // a HEAD request: responses carry no body

	// the request body
	bodyLength int64 // its declared length (Content-Length), or -1
	bodyDue    int64 // HTTPBodyTimeout's deadline before HTTPBodyMinRate's extension (loop clock), or 0
	bodyRx     int64 // bytes received, for HTTPBodyMinRate

	status      int
	headersSent bool
	txLength    int64 // declared Content-Length, or -1
	txChunked   bool  // the response is sent chunked: Write frames it
	txBytes     int64 // body bytes sent, for the access log
	finalSent   bool
	mount       *mount
	file        *fileTx
	cgi         *cgiState
	extra       *[]byte // the head the library builds, during ADD_HEADERS
	handling404 bool
	toHTTPS     bool           // plain HTTP on a TLS port that redirects to https://
	callbackVP  *vhostProtocol // the callback mount protocol the connection is bound to
}

func (*httpState) name() string { return "h1" }

// lingers: a server connection closing after its last response drains
// what the client still sends (see closeFlushed); an adopted
// descriptor that is not a socket cannot shut down one way.
func (*httpState) lingers(c *Conn) bool { return c.kind == kindSocket }

var h1ALPN = []string{"http/1.1"}

func (*httpState) alpn() []string { return h1ALPN }

// release gives the state back to the loop's free list.
func (hs *httpState) release(c *Conn) bool {
	c.loop.freeHTTP(hs)
	return true
}

func (hs *httpState) rx(c *Conn, p []byte) (int, error) {
	l := c.loop
	if hs.fallback {
		hs.fallback = false
		if !looksLikeHTTPMethod(p) {
			return l.fallbackToRaw(c, p)
		}
	}
	used := 0
	for {
		if c.Closed() || c.role != hs || c.closing == closeFlush || c.rxDisabled {
			// Closed, closing, or another role: the request switched
			// protocols or fell back to RAW, and hs may serve another
			// connection already.
			return used, nil
		}
		switch {
		case hs.txn.stage == txnResponse:
			// A pipelined request waits until this one's response is done.
			return used, nil
		case hs.txn.stage == txnBody:
			if used == len(p) {
				return used, nil
			}
			hs.await100 = false // the body comes anyway
			n, err := hs.httpBody(c, p[used:])
			used += n
			if err != nil {
				return used, err
			}
			if n == 0 && hs.txn.stage == txnBody {
				// Nothing taken: a CGI program's input is full (holdCGI).
				// The loop holds the rest until it has room.
				return used, nil
			}
		case hs.phase == phaseHead:
			if used == len(p) {
				return used, nil
			}
			if !hs.counted && !hs.started && !hs.notH2 {
				n, err := hs.priorKnowledge(c, p[used:])
				used += n
				if err != nil || c.role != hs {
					return used, err
				}
				if used == len(p) {
					return used, nil
				}
			}
			if c.ah == nil && !l.acquireAH(c) {
				hs.waitedAH = true
				c.rxHold |= holdAH
				l.updateInterest(c)
				return used, nil
			}
			if !hs.started {
				hs.parser.Reset(c.ah)
				hs.started = true
				// The header timeout runs from when lws would attach the
				// header table: for a connection's first request, from
				// accept (adoptHTTP), not from the first byte, so trickling
				// a head buys no time; for a later request on a kept
				// connection, from its first byte; for a head that waited
				// for a table (the pool was empty), from when it got one.
				if c.timeoutReason != PendingTimeoutHoldingAH || hs.waitedAH {
					c.SetTimeout(PendingTimeoutHoldingAH, c.vhost.info.AHIdleTimeoutSecs)
				}
				hs.waitedAH = false
			}
			n, done, err := hs.parser.Parse(p[used:])
			used += n
			if err != nil {
				var he *httpsem.Error
				if (err == h1.ErrNotHTTP || err == hdr.ErrMethod) && !hs.counted && c.vhost.servesH2() {
					// Neither HTTP/1 nor HTTP/2's preface: an HTTP/2
					// client's bad preface is a connection error, which
					// closes without an answer (RFC 9113 section 3.4).
					logf(LogInfo, "lws: %v: neither HTTP/1 nor HTTP/2: %v", c, err)
					return len(p), c.closeWhenFlushed()
				}
				if errors.As(err, &he) {
					logf(LogInfo, "lws: %v: bad request: %v", c, err)
					return len(p), c.replyStatus(he.Status, he.Reason)
				}
				return len(p), err
			}
			if !done {
				return used, nil
			}
			c.SetTimeout(NoPendingTimeout, 0)
			hs.beginRequest(c)
			if settings, ok := hs.h2cUpgrade(c); ok {
				r, err := l.upgradeH2c(c, settings)
				if err != nil {
					return len(p), err
				}
				n, err := r.rx(c, p[used:])
				return used + n, err
			}
			if err := c.serveRequest(hs); err != nil {
				return len(p), err
			}
			if !c.Closed() && c.role != hs && c.closing != closeFlush {
				// The rest of p belongs to the role the request switched to.
				n, err := c.role.rx(c, p[used:])
				return used + n, err
			}
		default: // phaseDone
			if hs.bodyLeft == 0 || used == len(p) {
				// A pipelined request waits until this one's response has
				// gone (httpNext, from the WRITEABLE that follows the drain).
				return used, nil
			}
			// The transaction was completed before its body was read: the
			// rest of the body is read and dropped.
			k := int(min(int64(len(p)-used), hs.bodyLeft))
			used += k
			hs.bodyLeft -= int64(k)
			if hs.bodyLeft == 0 {
				if err := hs.httpNext(c); err != nil {
					return used, err
				}
			}
		}
	}
}

func (hs *httpState) writeable(c *Conn) error {
	if hs.phase == phaseDone {
		// What the completed transaction left has drained: on to the
		// next request.
		return hs.httpNext(c)
	}
	if hs.txn.file != nil {
		return c.sendFilePiece()
	}
	if hs.txn.cgi != nil {
		return c.cgiWriteable()
	}
	return c.dispatchWriteable(CallbackHTTPWriteable)
}

func (hs *httpState) write(c *Conn, p []byte, wt WriteType) (int, error) {
	t := &hs.txn
	base := wt &^ (WriteNoFin | WriteH2StreamEnd)
	switch base {
	case WriteHTTPHeaders, WriteHTTPHeadersContinuation:
		c.headersGone()
		return c.send(nil, p)
	case WriteHTTP, WriteHTTPFinal:
		if t.head {
			return len(p), nil
		}
		t.txBytes += int64(len(p))
		return hs.sendBody(c, t, p, base == WriteHTTPFinal || wt&WriteH2StreamEnd != 0)
	}
	return c.send(nil, p)
}

// sendChunk sends p as one chunk of a chunked response, followed by the
// last chunk when final.
func (c *Conn) sendChunk(p []byte, final bool) (int, error) {
	t := c.txn()
	if t.finalSent {
		return 0, errors.New("lws: HTTP write after the final chunk")
	}
	if len(p) > 0 {
		hdr := strconv.AppendInt(c.loop.hdr[:0], int64(len(p)), 16)
		hdr = append(hdr, "\r\n"...)
		if _, err := c.send(hdr, p); err != nil {
			return 0, err
		}
	}
	tail := crlf
	switch {
	case final && len(p) > 0:
		tail = crlfLastChunk
	case final:
		tail = lastChunk
	case len(p) == 0:
		return 0, nil
	}
	t.finalSent = final
	if _, err := c.send(nil, tail); err != nil {
		return 0, err
	}
	return len(p), nil
}

var (
	crlf          = []byte("\r\n")
	lastChunk     = []byte("0\r\n\r\n")
	crlfLastChunk = []byte("\r\n0\r\n\r\n")
)

// closed delivers CLOSED_HTTP to the protocol the connection is bound to
// (a callback mount's, then also HTTP_DROP_PROTOCOL, or the vhost's
// first).
func (hs *httpState) closed(c *Conn) { c.httpClosed(&hs.txn) }

// httpClosed delivers the close reasons of a connection that carried
// HTTP transaction t, whatever its wire.
func (c *Conn) httpClosed(t *httpTxn) {
	if t.active() {
		c.logAccess() // a transaction cut short
	}
	c.endFile()
	c.cgiClose()
	if err := c.callback(CallbackClosedHTTP, nil); err != nil {
		logf(LogDebug, "lws: CLOSED_HTTP on %v: %v", c, err)
	}
	if t := c.txn(); t != nil && t.callbackVP != nil && c.vp == t.callbackVP {
		_ = c.callback(CallbackHTTPDropProtocol, nil)
	}
}

// priorKnowledge switches a connection whose first bytes are HTTP/2's
// client preface to HTTP/2 (h2c by prior knowledge, RFC 9113 section
// 3.3), when its vhost serves HTTP/2, and hands the new role what follows
// the preface. The preface may come in pieces: what matches is consumed
// and counted (pre); bytes that turn out not to be the preface make the
// connection HTTP/1 for good, the consumed part parsed first.
func (hs *httpState) priorKnowledge(c *Conn, p []byte) (int, error) {
	if !c.vhost.servesH2() {
		hs.notH2 = true
		return 0, nil
	}
	k := min(len(p), len(h2.Preface)-int(hs.pre))
	if string(p[:k]) != h2.Preface[hs.pre:int(hs.pre)+k] {
		hs.notH2 = true
		if hs.pre == 0 {
			return 0, nil
		}
		_, err := hs.rx(c, []byte(h2.Preface[:hs.pre]))
		return 0, err
	}
	hs.pre += uint8(k)
	if int(hs.pre) < len(h2.Preface) {
		return k, nil
	}
	r := c.loop.startH2(c, h2.NewConn(c.vhost.h2Config()))
	if _, ev := r.h.Feed([]byte(h2.Preface)); ev.Kind != h2.EventNone {
		return k, errors.New("lws: HTTP/2 preface refused")
	}
	n, err := r.rx(c, p[k:])
	return k + n, err
}

// h2cUpgrade reports whether the request just read upgrades the
// connection to HTTP/2 (RFC 7540 section 3.2, Upgrade: h2c), and the
// settings its HTTP2-Settings carries: the vhost serves HTTP/2, the
// connection is plain, it is an HTTP/1.1 request without a body, with one
// valid HTTP2-Settings. Otherwise the request is served as HTTP/1.1, as
// the RFC lets a server do.
func (hs *httpState) h2cUpgrade(c *Conn) ([]http2.Setting, bool) {
	ah := c.ah
	if hs.http10 || c.tls != nil || !headerHasToken(ah, hdr.TokenUpgrade, "h2c") ||
		ah.FragmentCount(hdr.TokenHTTP2Settings) != 1 || ah.Has(hdr.TokenTransferEncoding) ||
		!c.vhost.servesH2() {
		return nil, false
	}
	if ah.Has(hdr.TokenContentLength) {
		if v, ok := httpsem.ParseContentLength(ascii.TrimOWS(ah.Fragment(hdr.TokenContentLength, 0))); !ok || v != 0 {
			return nil, false
		}
	}
	settings, err := h2.DecodeSettingsHeader(ah.Fragment(hdr.TokenHTTP2Settings, 0))
	if err != nil {
		logf(LogInfo, "lws: %v: no h2c upgrade: %v", c, err)
		return nil, false
	}
	return settings, true
}

// fallbackToRaw switches a connection whose first bytes are not an HTTP
// method to the vhost's listen-accept role (lws's
// LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG).
func (l *loop) fallbackToRaw(c *Conn, p []byte) (int, error) {
	l.releaseAH(c)
	c.setRole(rawSkt)
	c.SetTimeout(NoPendingTimeout, 0)
	c.unbindProtocol()
	c.bindProtocol(c.vhost.acceptProtocol(), nil)
	if err := c.callback(CallbackRawAdopt, nil); err != nil {
		return len(p), err
	}
	if c.Closed() {
		return len(p), nil
	}
	return c.role.rx(c, p)
}

const httpFreeMax = 256

// newHTTP returns a fresh HTTP state, recycled if one is at hand: every
// accepted connection needs one until it upgrades.
func (l *loop) newHTTP() *httpState {
	if n := len(l.httpFree); n > 0 {
		hs := l.httpFree[n-1]
		l.httpFree[n-1] = nil
		l.httpFree = l.httpFree[:n-1]
		return hs
	}
	return new(httpState)
}

// freeHTTP keeps an HTTP state a connection no longer has for reuse.
func (l *loop) freeHTTP(hs *httpState) {
	if len(l.httpFree) < httpFreeMax {
		*hs = httpState{}
		l.httpFree = append(l.httpFree, hs)
	}
}

// replyStatus answers with a status page and closes once it is sent.
func (c *Conn) replyStatus(status int, reason string) error {
	return c.replyStatusHeaders(status, reason, headerField{})
}

// replyStatusHeaders is replyStatus with an extra header, if its name is
// not empty. Error paths are rare: this one allocates.
func (c *Conn) replyStatusHeaders(status int, reason string, extra headerField) error {
	code := strconv.Itoa(status)
	body := "<!DOCTYPE html><html><head><meta charset=utf-8><title>" + code +
		"</title><link rel=\"stylesheet\" href=\"/error.css\"></head><body><h1>" + code + " " +
		string(appendHTMLEscaped(nil, reason)) + "</h1></body></html>"
	hw := c.fieldWriter()
	b := hw.headStatus(nil, nil, status, "")
	b = hw.headField(b, "content-type", "text/html; charset=utf-8")
	b = hw.headLength(b, int64(len(body)))
	b = hw.headField(b, "connection", "close")
	if extra.name != "" {
		b = hw.headField(b, extra.name, extra.value)
	}
	b = hw.headEnd(b, nil)
	return c.sendAndClose(b, []byte(body))
}

// sendAndClose sends a library-made response, head and body, and closes
// the connection (a stream: the stream) once it has gone; nothing more is
// read meanwhile.
func (c *Conn) sendAndClose(head, body []byte) error {
	var err error
	if w := c.httpWire(); w != nil {
		err = w.sendHead(c, nil, head, body, true)
	} else {
		_, err = c.send(head, body)
	}
	if err != nil {
		return err
	}
	return c.closeWhenFlushed()
}

var errResponseSent = errors.New("lws: closing after the response")

func appendHTMLEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		default:
			dst = append(dst, ch)
		}
	}
	return dst
}

// headerHasToken reports whether a comma-separated header contains token,
// case-insensitively (as Connection: keep-alive, Upgrade).
func headerHasToken(ah *hdr.Table, tok hdr.Token, token string) bool {
	for i := range ah.FragmentCount(tok) {
		if listHasToken(ah.Fragment(tok, i), token) {
			return true
		}
	}
	return false
}

// listHasToken looks for token in a comma-separated list.
func listHasToken(list []byte, token string) bool {
	for len(list) > 0 {
		var item []byte
		item, list = nextListItem(list)
		if ascii.EqualFold(item, token) {
			return true
		}
	}
	return false
}

// nextListItem splits the first item, without its whitespace, off a
// comma-separated header list.
func nextListItem(list []byte) (item, rest []byte) {
	if i := bytes.IndexByte(list, ','); i >= 0 {
		return ascii.TrimOWS(list[:i]), list[i+1:]
	}
	return ascii.TrimOWS(list), nil
}

// httpMethods are the request methods whose first bytes keep a
// fallback-enabled connection in HTTP.
var httpMethods = [...]string{"GET ", "POST ", "OPTIONS ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "CONNECT "}

// looksLikeHTTPMethod reports whether p could be the start of an HTTP
// request line.
func looksLikeHTTPMethod(p []byte) bool {
	for _, m := range httpMethods {
		n := min(len(p), len(m))
		if string(p[:n]) == m[:n] {
			return true
		}
	}
	return false
}
