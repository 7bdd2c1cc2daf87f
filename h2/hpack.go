package h2

// Header blocks: HPACK (RFC 7541) by golang.org/x/net/http2/hpack, and
// the rules RFC 9113 (8.2, 8.3) and RFC 8441 set for a request's fields.
//
// HPACK's dynamic tables belong to the connection, one each way: a
// HeaderDecoder and a HeadEncoder serve one connection, and its header
// blocks must go through the decoder in the order they arrived, refused
// streams' included (Discard), or the tables fall out of step with the
// peer's and every later block decodes wrong.

import (
	"errors"
	"strconv"
	"strings"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// HeaderError is a header block the decoder refuses. Stream says what it
// costs: a stream error (the stream is reset with Code, the connection
// goes on) or, when false, a connection error (GOAWAY with Code: the
// HPACK state is lost). Status, when not 0, is an HTTP status the server
// may answer the stream with instead of resetting it: the request is
// well-formed HTTP/2 that the server declines (431 for too large a
// header list, hdr's refusals of a method or target). The decoder
// returns the same *HeaderError for the same refusal: it is not to be
// modified.
type HeaderError struct {
	Code   http2.ErrCode
	Stream bool
	Status int
	Reason string
}

// Error returns the reason with the error code and the error's scope.
func (e *HeaderError) Error() string {
	scope := "connection"
	if e.Stream {
		scope = "stream"
	}
	return "h2: " + scope + " error " + e.Code.String() + ": " + e.Reason
}

// malformed is a request RFC 9113 8.1.1 calls malformed: a stream error
// of type PROTOCOL_ERROR.
func malformed(reason string) *HeaderError {
	return &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Reason: reason}
}

// The refusals of the decoder's own rules. They are shared values: a
// caller must not modify them.
var (
	errUppercase      = malformed("uppercase in field name")
	errPseudoAfter    = malformed("pseudo-header after a regular field")
	errPseudoUnknown  = malformed("unknown pseudo-header")
	errPseudoResponse = malformed("response pseudo-header in a request")
	errPseudoRepeated = malformed("repeated pseudo-header")
	errPseudoTrailer  = malformed("pseudo-header in trailers")
	errNoMethod       = malformed("missing :method")
	errNoScheme       = malformed("missing :scheme")
	errNoPath         = malformed("missing or empty :path")
	errNoAuthority    = malformed("missing :authority")
	errConnectFields  = malformed("CONNECT with :scheme or :path")
	errProtocol       = malformed(":protocol without extended CONNECT")
	errPath           = malformed(":path neither absolute nor * of OPTIONS")
	errConnSpecific   = malformed("connection-specific field")
	errTE             = malformed("te other than trailers")
	errValue          = malformed("forbidden character in field value")
	errName           = malformed("invalid field name")
	errHost           = malformed("host differs from :authority")
	errUserinfo       = malformed("userinfo in :authority")
	errHosts          = &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Status: 400, Reason: "more than one host field"}
	errListTooLarge   = &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Status: 431, Reason: "header list too large"}
)

// The pseudo-headers of a request, as bits.
const (
	pseudoMethod uint8 = 1 << iota
	pseudoScheme
	pseudoAuthority
	pseudoPath
	pseudoProtocol
)

// DefaultMaxHeaderListSize is the header list size a HeaderDecoder
// allows when it is given none.
const DefaultMaxHeaderListSize = 65536

// fieldOverhead is what RFC 9113 (6.5.2) adds to a field's name and
// value lengths when it counts a header list's size.
const fieldOverhead = 32

// HeaderDecoder decodes a connection's request header blocks, each into a
// hdr.Table, under the limits the server advertised. It holds the
// connection's HPACK decoding state: one per connection, every block in
// the order received. It is not safe for concurrent use.
type HeaderDecoder struct {
	dec     *hpack.Decoder
	t       *hdr.Table
	maxList uint64 // SETTINGS_MAX_HEADER_LIST_SIZE
	extConn bool   // SETTINGS_ENABLE_CONNECT_PROTOCOL was sent

	// the block being decoded
	list     uint64       // its size so far, as RFC 9113 counts it
	err      *HeaderError // its first stream error
	trailers bool
	regular  bool // a regular field has been seen
	seen     uint8
	method   string
	scheme   string
	auth     string
	path     string
	protocol string
	cookies  int
	cookie   []byte
}

// NewHeaderDecoder returns the decoder of one connection. tableSize is
// the SETTINGS_HEADER_TABLE_SIZE the server advertised (4096 unless it
// sent another), maxListSize its SETTINGS_MAX_HEADER_LIST_SIZE (0
// selects DefaultMaxHeaderListSize): the bound of a block's fields,
// counted as RFC 9113 does (name, value and 32 bytes each), and of any
// one string HPACK decodes, so that no block grows memory beyond it.
func NewHeaderDecoder(tableSize, maxListSize uint32) *HeaderDecoder {
	if maxListSize == 0 {
		maxListSize = DefaultMaxHeaderListSize
	}
	d := &HeaderDecoder{maxList: uint64(maxListSize)}
	d.dec = hpack.NewDecoder(tableSize, d.emit)
	d.dec.SetMaxStringLength(int(maxListSize))
	return d
}

// SetMaxTableSize takes a new SETTINGS_HEADER_TABLE_SIZE of the server's,
// once the peer has acknowledged it: the peer's table size updates may go
// up to it.
func (d *HeaderDecoder) SetMaxTableSize(n uint32) { d.dec.SetAllowedMaxDynamicTableSize(n) }

// SetExtendedConnect says whether the server sent
// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): without it a request with
// :protocol is malformed.
func (d *HeaderDecoder) SetExtendedConnect(on bool) { d.extConn = on }

// Decode decodes a complete request header block (the fragments of a
// HEADERS frame and its CONTINUATIONs, joined) into t, which it resets.
//
// The table then reads as the HTTP/1 parser would have filled it:
// :method and :path as the method's target, :authority as TokenHost, a
// CONNECT's :authority as its target, and cookies split over several
// fields joined into one with "; " (RFC 9113 8.2.3). An extended CONNECT
// (RFC 8441) reads as the GET of its :path; ExtendedConnect and Protocol
// tell it apart. Scheme gives :scheme.
//
// A *HeaderError refuses the block. When its Stream is true the block
// was decoded to its end all the same, so the connection's HPACK state
// is intact and the next block may follow; when false the connection
// must end with Code.
func (d *HeaderDecoder) Decode(block []byte, t *hdr.Table) error {
	return d.decode(block, t, false)
}

// DecodeTrailers decodes a block of trailers (a HEADERS frame after a
// request's body) into t, which it resets (so not the request's own
// table while the request is in use): regular fields only, under the
// rules and limits of Decode.
func (d *HeaderDecoder) DecodeTrailers(block []byte, t *hdr.Table) error {
	return d.decode(block, t, true)
}

// Discard decodes a header block and drops its fields, keeping the
// connection's HPACK state in step: for the block of a stream the server
// refuses or has reset. Only a connection error (COMPRESSION_ERROR) is
// reported.
func (d *HeaderDecoder) Discard(block []byte) error {
	d.dec.SetEmitEnabled(false)
	err := d.write(block)
	d.dec.SetEmitEnabled(true)
	if err != nil {
		return err
	}
	return nil
}

// ExtendedConnect reports whether the last block decoded was an extended
// CONNECT (RFC 8441).
func (d *HeaderDecoder) ExtendedConnect() bool { return d.seen&pseudoProtocol != 0 }

// Protocol returns the :protocol of the last block decoded ("websocket"),
// or "" for none.
func (d *HeaderDecoder) Protocol() string { return d.protocol }

// Scheme returns the :scheme of the last block decoded, or "" for none
// (a CONNECT has none).
func (d *HeaderDecoder) Scheme() string { return d.scheme }

// write runs a whole block through HPACK, mapping its failures to
// connection errors.
func (d *HeaderDecoder) write(block []byte) *HeaderError {
	_, err := d.dec.Write(block)
	if cerr := d.dec.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		return nil
	}
	reason := err.Error()
	if errors.Is(err, hpack.ErrStringLength) {
		reason = "hpack: string longer than the header list size"
	}
	return &HeaderError{Code: http2.ErrCodeCompression, Reason: reason}
}

func (d *HeaderDecoder) decode(block []byte, t *hdr.Table, trailers bool) error {
	t.Reset()
	d.t, d.trailers = t, trailers
	d.list, d.err, d.regular, d.seen, d.cookies = 0, nil, false, 0, 0
	d.method, d.scheme, d.auth, d.path, d.protocol = "", "", "", "", ""
	d.cookie = d.cookie[:0]
	d.dec.SetEmitEnabled(true) // the last block's refusal turned it off
	werr := d.write(block)
	if werr != nil {
		d.t = nil
		return werr
	}
	if d.err == nil && !d.regular && !trailers {
		d.endPseudo()
	}
	if d.err == nil && d.cookies > 0 {
		d.fail(t.AddHeader(hdr.TokenCookie, d.cookie))
	}
	d.t = nil
	if d.err != nil {
		return d.err
	}
	return nil
}

// fail records the block's first stream error (an error of hdr's
// builder, or the decoder's own) and stops delivering fields: the rest
// of the block is decoded only to keep the HPACK state.
func (d *HeaderDecoder) fail(err error) {
	if err == nil || d.err != nil {
		return
	}
	var he *HeaderError
	var se *httpsem.Error
	switch {
	case errors.As(err, &he):
	case err == hdr.ErrValue:
		he = errValue
	case err == hdr.ErrName || err == hdr.ErrEmptyName:
		he = errName
	case errors.As(err, &se):
		he = &HeaderError{Code: http2.ErrCodeProtocol, Stream: true, Status: se.Status, Reason: se.Reason}
	default:
		he = malformed(err.Error())
	}
	d.err = he
	d.dec.SetEmitEnabled(false)
}

// emit takes one decoded field.
func (d *HeaderDecoder) emit(f hpack.HeaderField) {
	if d.err != nil {
		return
	}
	d.list += uint64(len(f.Name)) + uint64(len(f.Value)) + fieldOverhead
	if d.list > d.maxList {
		d.fail(errListTooLarge)
		return
	}
	if !validValue(f.Value) {
		d.fail(errValue)
		return
	}
	if f.IsPseudo() {
		d.pseudo(f.Name, f.Value)
		return
	}
	if !d.regular {
		d.regular = true
		if !d.trailers && !d.endPseudo() {
			return
		}
	}
	for i := 0; i < len(f.Name); i++ {
		if c := f.Name[i]; 'A' <= c && c <= 'Z' {
			d.fail(errUppercase)
			return
		}
	}
	switch f.Name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		d.fail(errConnSpecific)
		return
	case "te":
		if f.Value != "trailers" {
			d.fail(errTE)
			return
		}
	case "cookie":
		if d.cookies > 0 {
			d.cookie = append(d.cookie, "; "...)
		}
		d.cookie = append(d.cookie, f.Value...)
		d.cookies++
		return
	case "host":
		if d.seen&pseudoAuthority != 0 {
			if f.Value != d.auth {
				d.fail(errHost)
			}
			return // :authority already filled TokenHost
		}
		if d.t.FragmentCount(hdr.TokenHost) > 0 {
			// as HTTP/1.1's (RFC 9112 section 3.2): the request's
			// authority would be ambiguous
			d.fail(errHosts)
			return
		}
	}
	d.fail(d.t.AddHeaderByName([]byte(f.Name), []byte(f.Value)))
}

// pseudo takes a pseudo-header.
func (d *HeaderDecoder) pseudo(name, value string) {
	if d.trailers {
		d.fail(errPseudoTrailer)
		return
	}
	if d.regular {
		d.fail(errPseudoAfter)
		return
	}
	var bit uint8
	var dst *string
	switch name {
	case ":method":
		bit, dst = pseudoMethod, &d.method
	case ":scheme":
		bit, dst = pseudoScheme, &d.scheme
	case ":authority":
		bit, dst = pseudoAuthority, &d.auth
	case ":path":
		bit, dst = pseudoPath, &d.path
	case ":protocol":
		bit, dst = pseudoProtocol, &d.protocol
	case ":status":
		d.fail(errPseudoResponse)
		return
	default:
		d.fail(errPseudoUnknown)
		return
	}
	if d.seen&bit != 0 {
		d.fail(errPseudoRepeated)
		return
	}
	d.seen |= bit
	*dst = value
}

// endPseudo checks the pseudo-headers once they are all in (RFC 9113
// 8.3.1, RFC 8441 4) and stores them in the table; false when the
// request is refused.
func (d *HeaderDecoder) endPseudo() bool {
	t := d.t
	if d.seen&pseudoMethod == 0 {
		d.fail(errNoMethod)
		return false
	}
	method, target := d.method, d.path
	switch {
	case d.method != "CONNECT":
		if d.seen&pseudoProtocol != 0 {
			d.fail(errProtocol)
			return false
		}
		if d.seen&pseudoScheme == 0 {
			d.fail(errNoScheme)
			return false
		}
		if d.path == "" {
			d.fail(errNoPath)
			return false
		}
		if d.path[0] != '/' && (d.path != "*" || d.method != "OPTIONS") {
			d.fail(errPath)
			return false
		}
	case d.seen&pseudoProtocol != 0:
		if !d.extConn {
			d.fail(errProtocol)
			return false
		}
		switch {
		case d.seen&pseudoScheme == 0:
			d.fail(errNoScheme)
			return false
		case d.path == "":
			d.fail(errNoPath)
			return false
		case d.seen&pseudoAuthority == 0:
			d.fail(errNoAuthority)
			return false
		case d.path[0] != '/':
			d.fail(errPath)
			return false
		}
		method = "GET"
	default:
		if d.seen&(pseudoScheme|pseudoPath) != 0 {
			d.fail(errConnectFields)
			return false
		}
		if d.seen&pseudoAuthority == 0 {
			d.fail(errNoAuthority)
			return false
		}
		target = d.auth
	}
	if err := t.SetMethod([]byte(method)); err != nil {
		d.fail(err)
		return false
	}
	if err := t.SetPath([]byte(target)); err != nil {
		d.fail(err)
		return false
	}
	if d.seen&pseudoAuthority != 0 {
		if strings.IndexByte(d.auth, '@') >= 0 {
			d.fail(errUserinfo)
			return false
		}
		if err := t.AddHeader(hdr.TokenHost, []byte(d.auth)); err != nil {
			d.fail(err)
			return false
		}
	}
	return true
}

// validValue applies RFC 9113 8.2.1 to a field value: no NUL, CR or LF,
// no space or tab at either end. (The table refuses the other controls.)
func validValue(v string) bool {
	if v == "" {
		return true
	}
	if c := v[0]; c == ' ' || c == '\t' {
		return false
	}
	if c := v[len(v)-1]; c == ' ' || c == '\t' {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case 0, '\r', '\n':
			return false
		}
	}
	return true
}

// HeadEncoder encodes a connection's response heads with HPACK. It holds
// the connection's HPACK encoding state: one per connection, heads
// encoded in the order their HEADERS frames are sent. Once its dynamic
// table has settled, encoding a head the connection has sent before
// allocates nothing. It is not safe for concurrent use.
type HeadEncoder struct {
	enc   *hpack.Encoder
	out   appendWriter
	lower map[string]string // lowercased names, by the name given
}

// appendWriter is the hpack encoder's output: it appends to b.
type appendWriter struct{ b []byte }

// Write appends p to the encoded block.
func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// maxLowerNames bounds the lowercased names a HeadEncoder keeps; a name
// beyond it is lowercased again each time.
const maxLowerNames = 64

// NewHeadEncoder returns the encoder of one connection, with HPACK's
// initial dynamic table of 4096 bytes.
func NewHeadEncoder() *HeadEncoder {
	e := &HeadEncoder{lower: make(map[string]string)}
	e.enc = hpack.NewEncoder(&e.out)
	return e
}

// SetPeerTableSize takes the peer's SETTINGS_HEADER_TABLE_SIZE: the
// encoder's dynamic table shrinks to it if it is smaller, the next head
// starting with the size update HPACK requires.
func (e *HeadEncoder) SetPeerTableSize(n uint32) { e.enc.SetMaxDynamicTableSizeLimit(n) }

// statusStrings are the status codes 100 to 599 as :status values.
var statusStrings [500]string

func init() {
	for i := range statusStrings {
		statusStrings[i] = strconv.Itoa(100 + i)
	}
}

// AppendStatus begins a response head: it appends the encoding of
// :status to dst and returns the extended slice. Fields follow by
// AppendField.
func (e *HeadEncoder) AppendStatus(dst []byte, status int) []byte {
	s := ""
	if status >= 100 && status < 600 {
		s = statusStrings[status-100]
	} else {
		s = strconv.Itoa(status)
	}
	return e.write(dst, ":status", s)
}

// AppendField appends the encoding of one response field to dst and
// returns the extended slice. The name is sent in lowercase, as HTTP/2
// requires, whatever case it is given in. Connection-specific fields
// (connection, keep-alive, proxy-connection, transfer-encoding, upgrade)
// are dropped: HTTP/2 forbids them, and code written for HTTP/1 may add
// them.
func (e *HeadEncoder) AppendField(dst []byte, name, value string) []byte {
	name = e.lowerName(name)
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return dst
	}
	return e.write(dst, name, value)
}

func (e *HeadEncoder) write(dst []byte, name, value string) []byte {
	e.out.b = dst
	_ = e.enc.WriteField(hpack.HeaderField{Name: name, Value: value}) // appendWriter never fails
	dst = e.out.b
	e.out.b = nil
	return dst
}

// lowerName returns name in lowercase, from the cache when it has it.
func (e *HeadEncoder) lowerName(name string) string {
	upper := false
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return name
	}
	if l, ok := e.lower[name]; ok {
		return l
	}
	b := make([]byte, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	l := string(b)
	if len(e.lower) < maxLowerNames {
		e.lower[name] = l
	}
	return l
}
