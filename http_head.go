package lws

import (
	"strconv"
	"strings"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
)

// Response heads are written through a headWriter, the wire format of
// what carries the transaction: the response helpers (AddHTTPHeader*,
// FinalizeHTTPHeader, ReturnHTTPStatus, HTTPRedirect), the files the
// library serves, its status pages, the WebSocket handshake's 101 and the
// heads of CGI programs' responses all go through it, so another wire
// (HTTP/2's HPACK) is one more implementation and none of them changes.
// HTTP/1's is the connection's httpState. Names and values reach it
// checked (httpsem.CheckField) or made by the library.
type headWriter interface {
	// headStatus starts a head with status. reason, if not empty,
	// replaces the usual phrase where the wire carries one (a CGI
	// program's own). t is the transaction answered, or nil for the
	// connection's own answer before it closes (a status page for a
	// request it could not read).
	headStatus(b []byte, t *httpTxn, status int, reason string) []byte
	// headField appends a header.
	headField(b []byte, name, value string) []byte
	// headFieldBytes appends a header whose value the library made in
	// one of the loop's buffers.
	headFieldBytes(b []byte, name string, value []byte) []byte
	// headToken appends a header named by its token.
	headToken(b []byte, tok hdr.Token, value string) []byte
	// headLength appends the body's length.
	headLength(b []byte, n int64) []byte
	// headUnsized says the body's length is not known; it reports
	// whether Write must frame the body (HTTP/1.1's chunked coding).
	headUnsized(b []byte) ([]byte, bool)
	// headRaw appends fields made earlier by this writer's helpers
	// (ServeHTTPFile's extraHeaders).
	headRaw(b []byte, fields []byte) []byte
	// headEnd ends the head of t's response, with what the wire says
	// there of the connection's future; t nil ends it bare (a protocol
	// switch, a status page that says its own).
	headEnd(b []byte, t *httpTxn) []byte
}

// headerField is a response header the library adds to heads it makes
// or starts: a vhost's or a mount's Headers, the server string.
type headerField struct{ name, value string }

// newField checks a configured header; its name loses the colon lws's
// callers usually end it with.
func newField(name, value string) (headerField, error) {
	name = strings.TrimSuffix(name, ":")
	if err := httpsem.CheckField(name, value); err != nil {
		return headerField{}, err
	}
	return headerField{name, value}, nil
}

// appendFields writes fields through hw.
func appendFields(hw headWriter, b []byte, fields []headerField) []byte {
	for _, f := range fields {
		b = hw.headField(b, f.name, f.value)
	}
	return b
}

// The HTTP/1 head writer: status line, header lines, the blank line.

func (hs *httpState) headStatus(b []byte, t *httpTxn, status int, reason string) []byte {
	if reason == "" {
		return h1.AppendStatusLine(b, t != nil && hs.http10, status)
	}
	if t != nil && hs.http10 {
		b = append(b, "HTTP/1.0 "...)
	} else {
		b = append(b, "HTTP/1.1 "...)
	}
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, reason...)
	return append(b, crlf...)
}

func (hs *httpState) headField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, crlf...)
}

func (hs *httpState) headFieldBytes(b []byte, name string, value []byte) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, crlf...)
}

func (hs *httpState) headToken(b []byte, tok hdr.Token, value string) []byte {
	return hs.headField(b, strings.TrimSuffix(tok.String(), ":"), value)
}

func (hs *httpState) headLength(b []byte, n int64) []byte {
	return h1.AppendContentLength(b, n)
}

func (hs *httpState) headUnsized(b []byte) ([]byte, bool) {
	if hs.http10 {
		// the body ends with the connection
		return b, false
	}
	return append(b, "transfer-encoding: chunked\r\n"...), true
}

func (hs *httpState) headRaw(b []byte, fields []byte) []byte { return append(b, fields...) }

// headEnd adds "connection: close" when the connection cannot carry
// another request after this response (no length and not chunked, the
// client asked, or the request body is unread and will not be read and
// dropped: see HTTPTransactionCompleted), and "connection: keep-alive"
// for an HTTP/1.0 client that asked to keep it.
func (hs *httpState) headEnd(b []byte, t *httpTxn) []byte {
	if t != nil {
		bodyless := t.head || t.status == 204 || t.status == 304 || t.status/100 == 1
		if t.txLength < 0 && !t.txChunked && !bodyless {
			hs.keepAlive = false
		}
		if t.stage == txnBody && !hs.bodyDroppable() {
			// Answered before a body the server will not read to its
			// end: the connection closes after the response, which says
			// so.
			hs.keepAlive = false
		}
		switch {
		case !hs.keepAlive:
			b = append(b, "connection: close\r\n"...)
		case hs.http10:
			b = append(b, "connection: keep-alive\r\n"...)
		}
	}
	return h1.AppendHeadEnd(b)
}
