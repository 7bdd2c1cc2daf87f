package h1

import (
	"strconv"
	"strings"

	"github.com/golws/lws/internal/ascii"
)

// Building a response head, the pure half of lws's lws_add_http_header_*
// family: each function appends to a caller's buffer (lws's p and end
// pointers become a []byte that grows), allocates nothing once the buffer
// is big enough, and refuses what would corrupt the head. A header value
// with CR, LF or NUL in it would end the head early and let whoever chose
// the value write headers or a body of their own (response splitting), so
// it is an error, never written.

// ErrHeaderName is returned for a header name that is empty or holds a
// byte outside RFC 9110's token characters.
var ErrHeaderName = &Error{500, "invalid response header name"}

// ErrHeaderValue is returned for a header value holding CR, LF or NUL.
var ErrHeaderValue = &Error{500, "CR, LF or NUL in a response header value"}

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
	b = append(b, StatusText(status)...)
	return append(b, "\r\n"...)
}

// AppendHeader appends "name: value\r\n" (lws_add_http_header_by_name).
// name may end with the colon lws's callers usually include. On an error
// b is returned unchanged.
func AppendHeader(b []byte, name, value string) ([]byte, error) {
	name = strings.TrimSuffix(name, ":")
	if name == "" {
		return b, ErrHeaderName
	}
	for i := 0; i < len(name); i++ {
		if !ascii.IsTchar(name[i]) {
			return b, ErrHeaderName
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return b, ErrHeaderValue
	}
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...), nil
}

// AppendHeaderToken appends a header named by its token
// (lws_add_http_header_by_token); the pseudo-tokens of the request line
// (TokenGetURI and the like, TokenHTTPVersion, TokenURIArgs) are refused
// with ErrHeaderName.
func AppendHeaderToken(b []byte, t Token, value string) ([]byte, error) {
	if t < TokenHost || t == TokenHTTPVersion || t >= TokenURIArgs {
		return b, ErrHeaderName
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

// StatusText returns the reason phrase for an HTTP status, or "Unknown"
// for a code it does not know.
func StatusText(status int) string {
	switch status {
	case 100:
		return "Continue"
	case 101:
		return "Switching Protocols"
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	case 204:
		return "No Content"
	case 206:
		return "Partial Content"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 303:
		return "See Other"
	case 304:
		return "Not Modified"
	case 307:
		return "Temporary Redirect"
	case 308:
		return "Permanent Redirect"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 406:
		return "Not Acceptable"
	case 408:
		return "Request Timeout"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 411:
		return "Length Required"
	case 413:
		return "Content Too Large"
	case 414:
		return "URI Too Long"
	case 415:
		return "Unsupported Media Type"
	case 416:
		return "Range Not Satisfiable"
	case 417:
		return "Expectation Failed"
	case 421:
		return "Misdirected Request"
	case 426:
		return "Upgrade Required"
	case 429:
		return "Too Many Requests"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Unknown"
}
