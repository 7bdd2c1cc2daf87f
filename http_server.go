package lws

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
)

// HTTP transactions on the server. A request's head selects the vhost (by
// Host), then a WebSocket upgrade, a mount or the vhost's first protocol's
// CallbackHTTP serves it. The body, if any, follows as HTTP_BODY pieces and
// HTTP_BODY_COMPLETION. The response goes out from HTTP_WRITEABLE
// callbacks (the head in one, body pieces in the next ones, lws's rule
// that keeps HTTP/2 possible), or is made by the library (files, status
// pages, redirects, CGI). HTTPTransactionCompleted ends the transaction:
// the connection then reads its next request or closes, in both cases
// once the response has gone to the kernel (httpNext, closeWhenFlushed).

// ErrHTTPNotActive is returned by the HTTP response helpers on a
// connection that is not serving an HTTP request.
var ErrHTTPNotActive = errors.New("lws: the connection is not serving an HTTP request")

// serveRequest acts on a complete request head, which the wire w has
// read into the connection's header table.
func (c *Conn) serveRequest(w httpWire) error {
	ah := c.ah
	t := c.txn()
	t.status, t.headersSent, t.finalSent, t.txBytes = 0, false, false, 0
	t.txLength, t.txChunked, t.bodyLength = -1, false, -1
	t.mount, t.handling404 = nil, false
	method := ah.Method()
	t.head = method == hdr.TokenHeadURI
	if err := c.selectVhost(); err != nil || c.Closed() || c.closing == closeFlush {
		return err
	}
	w.countRequest(c)
	if t.toHTTPS {
		c.enterResponse()
		host := string(ah.Copy(nil, hdr.TokenHost))
		if host == "" {
			host = c.vhost.name
		}
		loc := "https://" + host + string(ah.Fragment(method, 0))
		if q := c.queryString(); q != "" {
			loc += "?" + q
		}
		return c.HTTPRedirect(301, loc)
	}
	if method == hdr.TokenGetURI && headerHasToken(ah, hdr.TokenUpgrade, "websocket") {
		return c.wsServerUpgrade(false)
	}
	if method == hdr.TokenConnect {
		return c.replyStatus(405, "CONNECT is not served")
	}
	body, err := w.requestBody(c, t)
	if err != nil || c.Closed() || c.closing == closeFlush {
		return err
	}
	if body {
		t.stage = txnBody
		c.startBodyTimeout()
	} else {
		c.enterResponse()
	}
	uri := ah.Fragment(method, 0)
	if err := c.callbackProto(c.vhost.protocols[0], CallbackFilterHTTPConnection, uri); err != nil {
		c.vhost.counts.rejected++
		return c.replyStatus(rejectStatus(err))
	}
	m := c.vhost.findMount(uri, ah.Has(hdr.TokenUpgrade))
	t.mount = m
	if err := c.bindForMount(m); err != nil || c.Closed() {
		return err
	}
	err = c.dispatchMount(m, method, uri)
	if err == nil && !c.Closed() && t.stage == txnBody && !t.headersSent {
		err = w.continueBody(c, t)
	}
	return err
}

// dispatchMount serves a request by its mount, or by CallbackHTTP of the
// vhost's first protocol when no mount matches.
func (c *Conn) dispatchMount(m *mount, method hdr.Token, uri []byte) error {
	if m == nil {
		return c.httpCallback(uri)
	}
	rest := uri[len(m.Mountpoint):]
	if len(m.Mountpoint) == 1 {
		rest = uri
	}
	switch m.kind {
	case mountCallback:
		if m.AuthMask != 0 {
			if err := c.callback(CallbackCheckAccessRights, uri); err != nil {
				return c.ReturnHTTPStatus(401, "")
			}
		}
		if len(m.PMO) > 0 {
			if err := c.callback(CallbackHTTPPMO, nil); err != nil {
				return err
			}
		}
		return c.httpCallback(rest)
	case mountRedirHTTP, mountRedirHTTPS:
		loc := "http://"
		if m.kind == mountRedirHTTPS {
			loc = "https://"
		}
		loc += m.target
		if m.AppendPath {
			loc = strings.TrimSuffix(loc, "/") + string(rest)
		}
		return c.HTTPRedirect(301, loc)
	case mountCGI:
		return c.startCGI(m, method, uri, rest)
	}
	if method != hdr.TokenGetURI && method != hdr.TokenHeadURI {
		return c.respond(405, headerField{"allow", "GET, HEAD"}, "text/html", statusPage(405, ""))
	}
	if len(rest) == 0 && len(m.Mountpoint) > 1 {
		// "/app" names the folder "/app/": send the client there, so that
		// relative links in its pages resolve.
		loc := m.Mountpoint + "/"
		if q := c.queryString(); q != "" {
			loc += "?" + q
		}
		return c.HTTPRedirect(301, loc)
	}
	return c.serveMountFile(m, rest)
}

// httpCallback delivers CallbackHTTP with in to the bound protocol. The
// callback may write once (the response head), as lws's examples do.
func (c *Conn) httpCallback(in []byte) error {
	if c.vp == nil || c.vp.proto.Callback == nil {
		return c.ReturnHTTPStatus(404, "")
	}
	c.permit = true
	err := c.callback(CallbackHTTP, in)
	c.permit = false
	return err
}

// enterResponse marks the request as read: until the transaction is
// completed, the connection reads no further request, and a response that
// does not start within the context's TimeoutSecs closes the connection.
func (c *Conn) enterResponse() {
	t := c.txn()
	t.stage = txnResponse
	c.httpWire().responding(c)
	if !t.headersSent {
		c.SetTimeout(PendingTimeoutHTTPContent, c.loop.cx.info.TimeoutSecs)
	}
}

// headersGone notes that the response head has been sent.
func (c *Conn) headersGone() {
	c.txn().headersSent = true
	if c.timeoutReason == PendingTimeoutHTTPContent && c.txn().stage == txnResponse {
		c.SetTimeout(NoPendingTimeout, 0)
	}
}

// bindForMount binds the connection to the protocol that serves mount m:
// a callback mount's protocol, or the vhost's first. Each transaction on a
// callback mount gets HTTP_BIND_PROTOCOL and fresh user data, and the one
// after it HTTP_DROP_PROTOCOL first.
func (c *Conn) bindForMount(m *mount) error {
	t := c.txn()
	want := c.vhost.protocols[0]
	if m != nil && m.kind == mountCallback {
		want = m.vp
	}
	if c.vp == want && t.callbackVP == nil {
		return nil
	}
	if t.callbackVP != nil && c.vp == t.callbackVP {
		if err := c.callback(CallbackHTTPDropProtocol, nil); err != nil {
			return err
		}
	}
	t.callbackVP = nil
	c.unbindProtocol()
	c.user = nil
	c.bindProtocol(want, nil)
	if want != c.vhost.protocols[0] {
		t.callbackVP = want
		return c.callback(CallbackHTTPBindProtocol, nil)
	}
	return nil
}

// deliverBody hands one piece of body to whoever takes it: a CGI
// program's input or the protocol's HTTP_BODY.
func (c *Conn) deliverBody(p []byte) error {
	c.bodyProgress(len(p))
	if c.txn().cgi != nil {
		return c.cgiStdin(p)
	}
	return c.callback(CallbackHTTPBody, p)
}

func (c *Conn) bodyComplete() error {
	c.enterResponse()
	if c.txn().cgi != nil {
		c.cgiStdinDone()
		return nil
	}
	return c.callback(CallbackHTTPBodyCompletion, nil)
}

// HTTPTransactionCompleted ends the current HTTP transaction
// (lws_http_transaction_completed): call it once the response has been
// written. The connection then waits for its next request (HTTP/1.1
// keep-alive, or pipelined requests already received), or, when it cannot
// be reused (the client asked to close, the response had no length, the
// request body is left unread and will not be dropped), closes once what
// was written has gone. In that case it returns an error for the callback
// to return, as lws's callers return -1 when it returns non-zero;
// returning it is optional, the connection closes either way. Calling it
// again, or with no transaction in progress, does nothing.
//
// Nothing is read for the next request until the kernel has taken the
// whole response (lws defers its completion the same way while a partial
// write is held): a client that pipelines requests without reading its
// answers is held back by TCP instead of growing the server's memory.
//
// A transaction completed before its request body was read (an early
// error answer to an upload, say) keeps the connection if the rest of the
// body has a Content-Length of at most 256 KiB and the client is not
// waiting for 100 Continue: the library reads and drops it, then serves
// the next request (lws reads and drops the body too, with no bound). A
// longer or chunked body makes the connection close instead, and a head
// finalized while such a body is unread says "connection: close"
// (FinalizeHTTPHeader), so that a pipelined request is never dropped
// silently.
func (c *Conn) HTTPTransactionCompleted() error {
	if c.Closed() {
		return ErrClosed
	}
	t := c.txn()
	if t == nil || !t.active() {
		if c.closing == closeFlush {
			return errResponseSent
		}
		return nil
	}
	w := c.httpWire()
	keep, err := w.finishResponse(c, t)
	if err != nil {
		return err
	}
	c.logAccess()
	ka := c.vhost.info.KeepaliveTimeout
	if m := t.mount; m != nil && m.KeepaliveTimeout > 0 {
		ka = m.KeepaliveTimeout
	}
	c.endFile()
	c.cgiClose()
	bodyUnread := t.stage == txnBody
	t.mount, t.stage = nil, txnIdle
	return w.endTxn(c, keep, bodyUnread, ka)
}

// selectVhost moves the connection to the vhost its Host header names,
// among those sharing its listen port: an exact name first, then the
// nearest vhost whose name is a suffix of the host at a dot boundary
// ("cats.abc.com" matches vhost "abc.com"). With none, the connection
// stays on the vhost that accepted it, unless that vhost checks hosts
// strictly. A vhost whose TLS settings differ from those the connection's
// handshake was made with is answered 421 Misdirected Request.
func (c *Conn) selectVhost() error {
	vh := c.vhost
	g := vh.group
	if g == nil || (len(g.vhosts) == 1 && !vh.info.StrictHostCheck) {
		return nil
	}
	host := hostName(c.ah.Copy(c.loop.ctrlBuf[:0], hdr.TokenHost))
	var exact, wild *Vhost
	for _, v := range g.vhosts {
		if ascii.EqualFold(host, v.name) {
			exact = v
			break
		}
		if n := len(v.name); len(host) > n+1 && host[len(host)-n-1] == '.' &&
			ascii.EqualFold(host[len(host)-n:], v.name) && (wild == nil || n > len(wild.name)) {
			wild = v
		}
	}
	target := exact
	if target == nil {
		target = wild
	}
	if target == nil {
		target = vh
		if vh.info.StrictHostCheck {
			return c.replyStatus(400, "the Host header names no vhost of this server")
		}
	}
	if target != vh {
		if c.misdirected(target) {
			return c.replyStatus(421, "the Host header names a vhost this connection's TLS does not reach")
		}
		c.unbindProtocol()
		c.user = nil
		c.vhost = target
		c.bindProtocol(target.protocols[0], nil)
	}
	return nil
}

// hostName strips the port from a Host header value, minding IPv6
// literals.
func hostName(h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := bytes.IndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}

// queryString rebuilds the request's query string from its arguments.
func (c *Conn) queryString() string {
	if c.ah == nil {
		return ""
	}
	var b []byte
	for i := range c.ah.FragmentCount(hdr.TokenURIArgs) {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, c.ah.Fragment(hdr.TokenURIArgs, i)...)
	}
	return string(b)
}

// Mount returns the mount serving the current HTTP transaction, or nil.
// Treat it as read-only.
func (c *Conn) Mount() *Mount {
	if c.txn() == nil || c.txn().mount == nil {
		return nil
	}
	return &c.txn().mount.Mount
}

// PMO returns a per-mount option of the current transaction's mount
// (lws_pmo_search).
func (c *Conn) PMO(name string) (string, bool) {
	m := c.Mount()
	if m == nil {
		return "", false
	}
	v, ok := m.PMO[name]
	return v, ok
}

// HTTPURIAndMethod returns the request's path and method, such as "/x"
// and "GET" (lws_http_get_uri_and_method); both are empty once the
// headers are gone.
func (c *Conn) HTTPURIAndMethod() (uri, method string) {
	if c.ah == nil {
		return "", ""
	}
	m := c.ah.Method()
	if int(m) >= len(methodNames) {
		return "", ""
	}
	return string(c.ah.Fragment(m, 0)), methodNames[m]
}

var methodNames = [...]string{
	hdr.TokenGetURI:     "GET",
	hdr.TokenPostURI:    "POST",
	hdr.TokenOptionsURI: "OPTIONS",
	hdr.TokenPutURI:     "PUT",
	hdr.TokenPatchURI:   "PATCH",
	hdr.TokenDeleteURI:  "DELETE",
	hdr.TokenHeadURI:    "HEAD",
	hdr.TokenConnect:    "CONNECT",
}

// Response heads. Each helper appends to b and returns it, as lws's
// lws_add_http_header_* write at p: build the head in one buffer, end it
// with FinalizeHTTPHeader and send it with Write(b, WriteHTTPHeaders).

// AddHTTPHeaderStatus starts a response head with its status line, then
// the vhost's and the mount's headers and the server string
// (lws_add_http_header_status).
func (c *Conn) AddHTTPHeaderStatus(b []byte, status int) ([]byte, error) {
	hw := c.httpWire()
	if hw == nil {
		return b, ErrHTTPNotActive
	}
	return c.appendStatus(hw, b, status), nil
}

// appendStatus starts the head of the transaction's response: the status,
// then the headers every response of the vhost or the mount carries.
func (c *Conn) appendStatus(hw headWriter, b []byte, status int) []byte {
	t := c.txn()
	t.status, t.txLength, t.txChunked = status, -1, false
	b = hw.headStatus(b, t, status, "")
	if c.vhost.info.Options&OptionSTS != 0 {
		b = hw.headField(b, "strict-transport-security", "max-age=15768000 ; includeSubDomains")
	}
	if m := t.mount; m != nil {
		b = appendFields(hw, b, m.allHeaders)
	} else {
		b = appendFields(hw, b, c.vhost.headers)
	}
	return appendFields(hw, b, c.loop.cx.serverHeader)
}

// fieldWriter is the head writer for the helpers that write one field
// and need no transaction: the connection's, or HTTP/1's outside one.
func (c *Conn) fieldWriter() headWriter {
	if hw := c.httpWire(); hw != nil {
		return hw
	}
	return h1Fields
}

// h1Fields writes HTTP/1 header lines for no connection: only its
// methods that keep no state (fields, lengths) may be used.
var h1Fields headWriter = (*httpState)(nil)

// AddHTTPHeaderByName appends "name: value" (lws_add_http_header_by_name).
// Use lower-case names, which HTTP/2 requires. A value holding CR, LF or
// NUL is refused with httpsem.ErrHeaderValue: it could never split the
// response.
func (c *Conn) AddHTTPHeaderByName(b []byte, name, value string) ([]byte, error) {
	name = strings.TrimSuffix(name, ":")
	if err := httpsem.CheckField(name, value); err != nil {
		return b, err
	}
	b = c.fieldWriter().headField(b, name, value)
	c.noteHeader(name, value)
	return b, nil
}

// AddHTTPHeaderByToken appends a known header (lws_add_http_header_by_token).
func (c *Conn) AddHTTPHeaderByToken(b []byte, tok hdr.Token, value string) ([]byte, error) {
	if tok < hdr.TokenHost || tok == hdr.TokenHTTPVersion || tok >= hdr.TokenURIArgs {
		return b, httpsem.ErrHeaderName
	}
	if err := httpsem.CheckField(strings.TrimSuffix(tok.String(), ":"), value); err != nil {
		return b, err
	}
	b = c.fieldWriter().headToken(b, tok, value)
	switch tok {
	case hdr.TokenContentLength:
		c.noteHeader("content-length", value)
	case hdr.TokenTransferEncoding:
		c.noteHeader("transfer-encoding", value)
	case hdr.TokenConnection:
		c.noteHeader("connection", value)
	}
	return b, nil
}

// noteHeader keeps what the transaction must know of the response head.
func (c *Conn) noteHeader(name, value string) {
	t := c.txn()
	if t == nil {
		return
	}
	switch {
	case strings.EqualFold(name, "content-length"):
		if v, ok := httpsem.ParseContentLength([]byte(strings.TrimSpace(value))); ok {
			t.txLength = v
		}
	case strings.EqualFold(name, "transfer-encoding"):
		if listHasToken([]byte(value), "chunked") {
			t.txChunked = true
		}
	case strings.EqualFold(name, "connection"):
		if listHasToken([]byte(value), "close") {
			c.httpWire().closeAfter()
		}
	}
}

// AddHTTPHeaderContentLength appends Content-Length
// (lws_add_http_header_content_length); a response with a length can be
// followed by another request on the connection.
func (c *Conn) AddHTTPHeaderContentLength(b []byte, n int64) ([]byte, error) {
	hw := c.httpWire()
	if hw == nil {
		return b, ErrHTTPNotActive
	}
	c.txn().txLength = n
	return hw.headLength(b, n), nil
}

// AddHTTPCommonHeaders appends the status line, Content-Type (unless
// empty) and Content-Length (unless length is negative: then the response
// is sent chunked on HTTP/1.1, and written with Write as usual)
// (lws_add_http_common_headers).
func (c *Conn) AddHTTPCommonHeaders(b []byte, status int, contentType string, length int64) ([]byte, error) {
	b, err := c.AddHTTPHeaderStatus(b, status)
	if err != nil {
		return b, err
	}
	if contentType != "" {
		if b, err = c.AddHTTPHeaderByToken(b, hdr.TokenContentType, contentType); err != nil {
			return b, err
		}
	}
	if length >= 0 {
		return c.AddHTTPHeaderContentLength(b, length)
	}
	b, c.txn().txChunked = c.httpWire().headUnsized(b)
	return b, nil
}

// FinalizeHTTPHeader ends a response head (lws_finalize_http_header). On
// HTTP/1 it adds "connection: close" when the connection cannot carry
// another request after this response (no length and not chunked, the
// client asked, or the request body is unread and will not be read and
// dropped: see HTTPTransactionCompleted), and "connection: keep-alive"
// for an HTTP/1.0 client that asked to keep it.
func (c *Conn) FinalizeHTTPHeader(b []byte) ([]byte, error) {
	hw := c.httpWire()
	if hw == nil {
		return b, ErrHTTPNotActive
	}
	return hw.headEnd(b, c.txn()), nil
}

// FinalizeWriteHTTPHeader finalizes the head in b and writes it with
// WriteHTTPHeaders (lws_finalize_write_http_header); like any Write, from
// the HTTP callback or a WRITEABLE one.
func (c *Conn) FinalizeWriteHTTPHeader(b []byte) error {
	b, err := c.FinalizeHTTPHeader(b)
	if err != nil {
		return err
	}
	_, err = c.Write(b, WriteHTTPHeaders)
	return err
}

// AddHTTPHeader adds a header to the response head the library is
// building, during CallbackAddHeaders.
func (c *Conn) AddHTTPHeader(name, value string) error {
	t := c.txn()
	if t == nil || t.extra == nil {
		return errors.New("lws: AddHTTPHeader outside CallbackAddHeaders")
	}
	name = strings.TrimSuffix(name, ":")
	if err := httpsem.CheckField(name, value); err != nil {
		return err
	}
	*t.extra = c.httpWire().headField(*t.extra, name, value)
	return nil
}

// respond sends a whole response made by the library, head and body, and
// completes the transaction. extra is a header to add, if its name is not
// empty.
func (c *Conn) respond(status int, extra headerField, contentType string, body []byte) error {
	t := c.txn()
	if t == nil || !t.active() {
		return ErrHTTPNotActive
	}
	l := c.loop
	hw := c.httpWire()
	b := c.appendStatus(hw, l.scratch[:0], status)
	if contentType != "" {
		b = hw.headField(b, "content-type", contentType)
	}
	if extra.name != "" {
		b = hw.headField(b, extra.name, extra.value)
	}
	b = hw.headLength(b, int64(len(body)))
	t.txLength = int64(len(body))
	b = hw.headEnd(b, t)
	l.scratch = b[:0]
	if t.head {
		body = nil
	}
	t.txBytes += int64(len(body))
	if err := hw.sendHead(c, t, b, body, true); err != nil {
		return err
	}
	c.headersGone()
	return c.HTTPTransactionCompleted()
}

// statusPage is the small HTML page of a status response: it links
// /error.css, so that a site styles its error pages with one file.
func statusPage(status int, html string) []byte {
	b := make([]byte, 0, 200+len(html))
	b = append(b, "<!doctype html><html><head><meta charset=utf-8><title>"...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, "</title><link rel=\"stylesheet\" type=\"text/css\" href=\"/error.css\"></head><body><h1>"...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, httpsem.StatusText(status)...)
	b = append(b, "</h1>"...)
	b = append(b, html...)
	return append(b, "</body></html>"...)
}

// ReturnHTTPStatus answers the current request with status and a small
// HTML page holding html (which is not escaped), and completes the
// transaction (lws_return_http_status). The page links /error.css. A 404
// on a vhost with ErrorDocument404 redirects there instead. It may be
// called from any callback of the transaction; it returns what
// HTTPTransactionCompleted returns.
func (c *Conn) ReturnHTTPStatus(status int, html string) error {
	t := c.txn()
	if t == nil || !t.active() {
		return ErrHTTPNotActive
	}
	if status == 404 && c.vhost.info.ErrorDocument404 != "" && !t.handling404 {
		return c.HTTPRedirect(302, c.vhost.info.ErrorDocument404)
	}
	return c.respond(status, headerField{}, "text/html; charset=utf-8", statusPage(status, html))
}

// HTTPRedirect answers the current request with a redirect to location
// (lws_http_redirect) and completes the transaction. status is a 3xx code
// such as 301, 302, 303, 307 or 308. A location holding CR, LF or NUL is
// refused.
func (c *Conn) HTTPRedirect(status int, location string) error {
	extra, err := newField("location", location)
	if err != nil {
		return err
	}
	return c.respond(status, extra, "text/html; charset=utf-8", nil)
}

// CallbackHTTPDummy is the default handling of HTTP reasons
// (lws_callback_http_dummy): it answers CallbackHTTP with 404. Protocols
// that serve no HTTP themselves but may be a vhost's first protocol end
// their callback with it:
//
//	default:
//		return lws.CallbackHTTPDummy(c, reason, in)
func CallbackHTTPDummy(c *Conn, reason Reason, in []byte) error {
	if reason == CallbackHTTP {
		return c.ReturnHTTPStatus(404, "")
	}
	return nil
}

// logAccess writes the transaction's line to the vhost's access log, in
// Apache's combined format.
func (c *Conn) logAccess() {
	w := c.vhost.info.AccessLog
	t := c.txn()
	if w == nil || t == nil || c.ah == nil {
		return
	}
	ah := c.ah
	b := make([]byte, 0, 256)
	b = append(b, c.peer.Addr().Unmap().String()...)
	b = append(b, " - - ["...)
	b = time.Now().AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	uri, method := c.HTTPURIAndMethod()
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	if q := c.queryString(); q != "" {
		b = append(b, '?')
		b = append(b, q...)
	}
	b = append(b, ' ')
	b = append(b, c.httpWire().protocol()...)
	b = append(b, "\" "...)
	if t.status > 0 {
		b = strconv.AppendInt(b, int64(t.status), 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	if t.txBytes > 0 {
		b = strconv.AppendInt(b, t.txBytes, 10)
	} else {
		b = append(b, '-')
	}
	for _, tok := range [...]hdr.Token{hdr.TokenReferer, hdr.TokenUserAgent} {
		b = append(b, " \""...)
		v := ah.Copy(nil, tok)
		if len(v) == 0 {
			b = append(b, '-')
		}
		for _, ch := range v {
			if ch == '"' || ch == '\\' {
				b = append(b, '\\')
			}
			b = append(b, ch)
		}
		b = append(b, '"')
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		logf(LogWarn, "lws: vhost %q: access log: %v", c.vhost.name, err)
	}
}
