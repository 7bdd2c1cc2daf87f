package cgi

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
)

// DefaultMaxHead is the head size limit a [HeaderParser] applies when its
// MaxHead is 0.
const DefaultMaxHead = 4096

// HeaderError reports a CGI response head the server must not pass on;
// the HTTP server answers 502 instead.
type HeaderError struct {
	// Reason says what was wrong.
	Reason string
}

// Error implements error.
func (e *HeaderError) Error() string {
	return "cgi: bad response head: " + e.Reason
}

// HeaderParser parses the response head a CGI script writes to its
// standard output (RFC 3875 section 6.3): header lines "Name: value"
// ended by LF or CRLF, then an empty line. It is fed incrementally with
// [HeaderParser.Parse], whatever each read returned.
//
// The zero value is ready to use, with the default head limit. The result
// fields are meaningful once Parse has reported done.
type HeaderParser struct {
	// MaxHead limits the whole head, line ends and the empty line
	// included, in bytes; 0 means [DefaultMaxHead].
	MaxHead int

	// Status is the response status: the script's Status header, else 302
	// when it sent Location, else 200.
	Status int
	// Reason is the reason phrase the script's Status header carried, ""
	// if none.
	Reason string
	// Location is the script's Location header, "" if none. A local
	// redirect (a path without Status) is not followed here; it is
	// reported as a 302 like any other.
	Location string
	// ContentLength is the script's Content-Length, -1 if it sent none.
	ContentLength int64
	// Chunked reports that the script sent "Transfer-Encoding: chunked".
	// The header is not passed on: the server frames the response itself.
	// Whether the script's body really is chunk-coded is for
	// [SniffChunked] to tell.
	Chunked bool

	headers   [][2]string
	conn      []string // the field names the script's Connection header lists
	line      []byte   // a line not yet complete
	total     int      // head bytes consumed so far
	fields    int      // header lines seen
	started   bool
	done      bool
	sawStatus bool
	err       error
}

// Reset makes h ready for a new response head, keeping MaxHead and its
// buffers.
func (h *HeaderParser) Reset() {
	*h = HeaderParser{
		MaxHead: h.MaxHead,
		headers: h.headers[:0],
		conn:    h.conn[:0],
		line:    h.line[:0],
	}
	h.start()
}

// start sets the defaults of the result fields.
func (h *HeaderParser) start() {
	h.started = true
	h.Status = 200
	h.ContentLength = -1
}

// Parse consumes the head from b, which continues whatever earlier calls
// were given. It returns how many bytes of b belong to the head and
// whether the head is complete; when it is, b[n:] is the start of the
// body. A partial line is kept internally, so n is len(b) while the head
// is incomplete. After done, Parse consumes nothing and reports done
// again.
//
// A head longer than MaxHead, a line that is not "Name: value" with a
// valid field name, a value holding control characters (CR, NUL, ...),
// conflicting or repeated framing headers, a Status that is not a
// three-digit code in 200..599, a Content-Length that is not a decimal
// number, a Transfer-Encoding other than chunked, or a head with no
// header at all, yields a [*HeaderError]. The error is sticky: later calls
// return it again. n is then of no use.
func (h *HeaderParser) Parse(b []byte) (n int, done bool, err error) {
	if h.err != nil {
		return 0, false, h.err
	}
	if h.done {
		return 0, true, nil
	}
	if !h.started {
		h.start()
	}
	limit := h.MaxHead
	if limit <= 0 {
		limit = DefaultMaxHead
	}
	for n < len(b) {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			h.total += len(b) - n
			if h.total > limit {
				return len(b), false, h.fail("head too long")
			}
			h.line = append(h.line, b[n:]...)
			return len(b), false, nil
		}
		h.total += i + 1
		line := b[n : n+i]
		n += i + 1
		if h.total > limit {
			return n, false, h.fail("head too long")
		}
		if len(h.line) > 0 {
			h.line = append(h.line, line...)
			line = h.line
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			h.line = h.line[:0]
			if err := h.finish(); err != nil {
				return n, false, err
			}
			return n, true, nil
		}
		err := h.field(line)
		h.line = h.line[:0]
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// fail records a sticky error.
func (h *HeaderParser) fail(reason string) error {
	h.err = &HeaderError{Reason: reason}
	return h.err
}

// finish checks the complete head and settles Status.
func (h *HeaderParser) finish() error {
	if h.fields == 0 {
		return h.fail("no header fields")
	}
	if h.Chunked && h.ContentLength >= 0 {
		return h.fail("both Content-Length and Transfer-Encoding")
	}
	if !h.sawStatus && h.Location != "" {
		h.Status = 302
	}
	if len(h.conn) > 0 {
		// Fields the Connection header names are hop-by-hop too.
		kept := h.headers[:0]
		for _, kv := range h.headers {
			if !h.connListed(kv[0]) {
				kept = append(kept, kv)
			}
		}
		clear(h.headers[len(kept):])
		h.headers = kept
	}
	h.done = true
	return nil
}

// field handles one header line, its line end removed.
func (h *HeaderParser) field(line []byte) error {
	h.fields++
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return h.fail("header line without colon")
	}
	name := line[:colon]
	if len(name) == 0 {
		return h.fail("empty header name")
	}
	for _, c := range name {
		if !ascii.IsTchar(c) {
			return h.fail("invalid character in header name")
		}
	}
	value := ascii.TrimOWS(line[colon+1:])
	for _, c := range value {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return h.fail("control character in header value")
		}
	}

	switch {
	case ascii.EqualFold(name, "Status"):
		return h.status(value)
	case ascii.EqualFold(name, "Location"):
		if h.Location != "" {
			return h.fail("repeated Location")
		}
		if len(value) == 0 {
			return h.fail("empty Location")
		}
		h.Location = string(value)
	case ascii.EqualFold(name, "Content-Length"):
		cl, ok := httpsem.ParseContentLength(value)
		if !ok {
			return h.fail("invalid Content-Length")
		}
		if h.ContentLength >= 0 && h.ContentLength != cl {
			return h.fail("conflicting Content-Length")
		}
		h.ContentLength = cl
	case ascii.EqualFold(name, "Transfer-Encoding"):
		if h.Chunked {
			return h.fail("repeated Transfer-Encoding")
		}
		if !ascii.EqualFold(value, "chunked") {
			return h.fail("unsupported Transfer-Encoding")
		}
		h.Chunked = true
	case ascii.EqualFold(name, "Connection"):
		// Hop-by-hop, as is every field it names.
		for v := value; len(v) > 0; {
			var item []byte
			if i := bytes.IndexByte(v, ','); i >= 0 {
				item, v = ascii.TrimOWS(v[:i]), v[i+1:]
			} else {
				item, v = ascii.TrimOWS(v), nil
			}
			if len(item) > 0 && len(h.conn) < maxConnTokens {
				h.conn = append(h.conn, string(item))
			}
		}
	case isHopByHop(name):
		// The server manages its connection with the client itself.
	default:
		h.headers = append(h.headers, [2]string{string(name), string(value)})
	}
	return nil
}

// maxConnTokens bounds how many field names a Connection header may make
// hop-by-hop; the head's size bounds them anyway.
const maxConnTokens = 64

// isHopByHop reports whether a field only concerns one connection (RFC
// 9110 section 7.6.1): Keep-Alive, TE, Trailer, Upgrade and the Proxy-
// fields. Connection and Transfer-Encoding are handled on their own.
func isHopByHop(name []byte) bool {
	return ascii.EqualFold(name, "Keep-Alive") ||
		ascii.EqualFold(name, "TE") ||
		ascii.EqualFold(name, "Trailer") ||
		ascii.EqualFold(name, "Upgrade") ||
		(len(name) >= 6 && ascii.EqualFold(name[:6], "Proxy-"))
}

// connListed reports whether the Connection header named field.
func (h *HeaderParser) connListed(field string) bool {
	for _, tok := range h.conn {
		if strings.EqualFold(tok, field) {
			return true
		}
	}
	return false
}

// status parses a Status header value, "404" or "404 Not Found".
func (h *HeaderParser) status(v []byte) error {
	if h.sawStatus {
		return h.fail("repeated Status")
	}
	if len(v) < 3 || (len(v) > 3 && v[3] != ' ' && v[3] != '\t') {
		return h.fail("invalid Status")
	}
	code := 0
	for _, c := range v[:3] {
		if c < '0' || c > '9' {
			return h.fail("invalid Status")
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 || code > 599 {
		return h.fail("Status out of range")
	}
	h.sawStatus = true
	h.Status = code
	h.Reason = string(ascii.TrimOWS(v[3:]))
	return nil
}

// Headers returns the header fields the script sent other than Status,
// Location, Content-Length and Transfer-Encoding (those are in the
// corresponding fields) and the hop-by-hop ones, which are dropped:
// Connection and the fields it names, Keep-Alive, TE, Trailer, Upgrade
// and Proxy-*. They come in order, names as sent.
// The slice belongs to h and is valid until [HeaderParser.Reset].
func (h *HeaderParser) Headers() [][2]string {
	return h.headers
}

// AppendResponseHead appends the HTTP/1 response head for the parsed CGI
// head to dst and returns the extended slice: the status line (HTTP/1.0
// when http10), the kept [HeaderParser.Headers], Location when set,
// content-length when known and "transfer-encoding: chunked" when chunked
// is true (content-length is then left out, as RFC 9112 requires). The
// empty line ending the head is not written: the caller adds its own
// headers first. Whether chunked suits http10 is the caller's decision.
//
// The reason phrase is the script's own when it is printable ASCII, else
// the usual one for the status, else "Status".
func (h *HeaderParser) AppendResponseHead(dst []byte, http10 bool, chunked bool) []byte {
	if http10 {
		dst = append(dst, "HTTP/1.0 "...)
	} else {
		dst = append(dst, "HTTP/1.1 "...)
	}
	status, reason := h.StatusLine()
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	dst = append(dst, "\r\n"...)
	for _, kv := range h.headers {
		dst = append(dst, kv[0]...)
		dst = append(dst, ": "...)
		dst = append(dst, kv[1]...)
		dst = append(dst, "\r\n"...)
	}
	if h.Location != "" {
		dst = append(dst, "Location: "...)
		dst = append(dst, h.Location...)
		dst = append(dst, "\r\n"...)
	}
	if chunked {
		dst = append(dst, "transfer-encoding: chunked\r\n"...)
	} else if h.ContentLength >= 0 {
		dst = append(dst, "content-length: "...)
		dst = strconv.AppendInt(dst, h.ContentLength, 10)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// StatusLine returns the status to answer with and its reason phrase:
// [HeaderParser.Status] (200 when out of range), and the script's own
// phrase when it is printable ASCII, else the usual one for the status,
// else "Status". A server writing the head in another form than
// [HeaderParser.AppendResponseHead] takes them from here.
func (h *HeaderParser) StatusLine() (int, string) {
	status := h.Status
	if status < 100 || status > 999 {
		status = 200
	}
	return status, h.reason(status)
}

// reason picks the reason phrase for status.
func (h *HeaderParser) reason(status int) string {
	if h.Reason != "" && printable(h.Reason) {
		return h.Reason
	}
	if r := httpsem.StatusText(status); r != "Unknown" {
		return r
	}
	return "Status"
}

// printable reports whether s is all printable ASCII (space included).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
