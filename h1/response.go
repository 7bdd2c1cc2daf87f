package h1

import (
	"strconv"
	"strings"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
)

// Building a response head, the pure half of lws's lws_add_http_header_*
// family: each function appends to a caller's buffer (lws's p and end
// pointers become a []byte that grows), allocates nothing once the buffer
// is big enough, and refuses what would corrupt the head. A header value
// with CR, LF or NUL in it would end the head early and let whoever chose
// the value write headers or a body of their own (response splitting), so
// it is an error, never written.

// AppendStatusLine appends the status line, "HTTP/1.1 200 OK\r\n" (or
// HTTP/1.0 when http10 is set; lws answers in the request's version), as
// lws_add_http_header_status does. Statuses outside 100 to 999 are
// written as 500.
func AppendStatusLine(b []byte, http10 bool, status int) []byte {
	if status < 100 || status > 999 {
		status = 500
	}
	if http10 {
		b = append(b, "HTTP/1.0 "...)
	} else {
		b = append(b, "HTTP/1.1 "...)
	}
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, httpsem.StatusText(status)...)
	return append(b, "\r\n"...)
}

// AppendHeader appends "name: value\r\n" (lws_add_http_header_by_name).
// name may end with the colon lws's callers usually include. On an error
// b is returned unchanged.
func AppendHeader(b []byte, name, value string) ([]byte, error) {
	name = strings.TrimSuffix(name, ":")
	if err := httpsem.CheckField(name, value); err != nil {
		return b, err
	}
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...), nil
}

// AppendHeaderToken appends a header named by its token
// (lws_add_http_header_by_token); the pseudo-tokens of the request line
// (TokenGetURI and the like, TokenHTTPVersion, TokenURIArgs) are refused
// with httpsem.ErrHeaderName.
func AppendHeaderToken(b []byte, t hdr.Token, value string) ([]byte, error) {
	if t < hdr.TokenHost || t == hdr.TokenHTTPVersion || t >= hdr.TokenURIArgs {
		return b, httpsem.ErrHeaderName
	}
	return AppendHeader(b, t.String(), value)
}

// AppendContentLength appends "content-length: n\r\n"
// (lws_add_http_header_content_length).
func AppendContentLength(b []byte, n int64) []byte {
	b = append(b, "content-length: "...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, "\r\n"...)
}

// AppendHeadEnd appends the blank line that ends the head
// (lws_finalize_http_header).
func AppendHeadEnd(b []byte) []byte { return append(b, "\r\n"...) }
