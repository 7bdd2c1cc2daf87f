package lws

import (
	"errors"
	"strconv"

	"github.com/golws/lws/h1"
)

// roleH1 is the server side of HTTP/1 before a request head is complete:
// it reads the head into a header table and then hands the connection to
// the role the request asks for. Today that is a WebSocket upgrade; other
// requests are answered with a status page until the HTTP role serves them.
type roleH1 struct{}

var h1Server role = roleH1{}

// httpState is what a server connection keeps while it is HTTP.
type httpState struct {
	parser   h1.Parser
	started  bool // the parser was reset onto the connection's table
	fallback bool // apply the listen-accept role if the first bytes are not HTTP
}

func (roleH1) name() string { return "h1" }

func (roleH1) rx(c *Conn, p []byte) (int, error) {
	l := c.loop
	hs := c.http
	if hs.fallback {
		hs.fallback = false
		if !looksLikeHTTPMethod(p) {
			return l.fallbackToRaw(c, p)
		}
	}
	if c.ah == nil && !l.acquireAH(c) {
		c.rxHold |= holdAH
		l.updateInterest(c)
		return 0, nil
	}
	if !hs.started {
		hs.parser.Reset(c.ah)
		hs.started = true
		c.SetTimeout(PendingTimeoutHoldingAH, c.vhost.info.AHIdleTimeoutSecs)
	}
	n, done, err := hs.parser.Parse(p)
	if err != nil {
		var he *h1.Error
		if errors.As(err, &he) {
			logf(LogInfo, "lws: %v: bad request: %v", c, err)
			return len(p), c.replyStatus(he.Status, he.Reason)
		}
		return len(p), err
	}
	if !done {
		return n, nil
	}
	c.SetTimeout(NoPendingTimeout, 0)
	if err := c.serveRequest(); err != nil {
		return len(p), err
	}
	if c.closed || c.role == h1Server || c.killAfterWrite {
		return len(p), nil
	}
	// The rest of p belongs to the role the request switched to.
	used, err := c.role.rx(c, p[n:])
	return n + used, err
}

func (roleH1) writeable(c *Conn) error { return c.dispatchWriteable(CallbackHTTPWriteable) }

func (roleH1) write(c *Conn, p []byte, _ WriteType) (int, error) { return c.send(nil, p) }

func (roleH1) closed(c *Conn) {
	if err := c.callbackProto(c.vhost.protocols[0], CallbackClosedHTTP, nil); err != nil {
		logf(LogDebug, "lws: CLOSED_HTTP on %v: %v", c, err)
	}
}

func (roleH1) closing(*Conn, error) bool { return false }

// fallbackToRaw switches a connection whose first bytes are not an HTTP
// method to the vhost's listen-accept role (lws's
// LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG).
func (l *loop) fallbackToRaw(c *Conn, p []byte) (int, error) {
	l.freeHTTP(c)
	c.unbindProtocol()
	c.role = rawSkt
	c.bindProtocol(c.vhost.acceptProtocol(), nil)
	if err := c.callback(CallbackRawAdopt, nil); err != nil {
		return len(p), err
	}
	if c.closed {
		return len(p), nil
	}
	return c.role.rx(c, p)
}

// serveRequest acts on a complete request head.
func (c *Conn) serveRequest() error {
	ah := c.ah
	if ah.Method() == h1.TokenGetURI && headerHasToken(ah, h1.TokenUpgrade, "websocket") {
		return c.wsServerUpgrade()
	}
	return c.replyStatus(404, "Not Found")
}

// replyStatus answers with a status page and closes once it is sent.
func (c *Conn) replyStatus(status int, reason string) error {
	return c.replyStatusHeaders(status, reason, "")
}

// replyStatusHeaders is replyStatus with extra header lines (each ending
// in CRLF). Error paths are rare: this one allocates.
func (c *Conn) replyStatusHeaders(status int, reason, extra string) error {
	code := strconv.Itoa(status)
	body := "<!DOCTYPE html><html><head><meta charset=utf-8><title>" + code +
		"</title><link rel=\"stylesheet\" href=\"/error.css\"></head><body><h1>" + code + " " +
		string(appendHTMLEscaped(nil, reason)) + "</h1></body></html>"
	resp := "HTTP/1.1 " + code + " " + h1.StatusText(status) +
		"\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: " + strconv.Itoa(len(body)) +
		"\r\nconnection: close\r\n" + extra + "\r\n" + body
	return c.sendAndClose([]byte(resp))
}

// sendAndClose sends a library-made message and closes the connection once
// it has gone; nothing more is read meanwhile.
func (c *Conn) sendAndClose(b []byte) error {
	if _, err := c.send(nil, b); err != nil {
		return err
	}
	return c.closeAfterWrite()
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
func headerHasToken(ah *h1.Table, tok h1.Token, token string) bool {
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
		if i := indexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, nil
		}
		if equalFoldASCII(trimOWS(item), token) {
			return true
		}
	}
	return false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
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
