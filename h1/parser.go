package h1

import (
	"math/bits"
	"strconv"

	"github.com/golws/lws/internal/ascii"
)

// Error is a request the parser refuses. Status is the HTTP status to
// answer with before closing the connection; Reason says briefly what was
// wrong, fit to show in the answer. The parser returns shared values:
// treat them as read-only.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string {
	return "h1: " + strconv.Itoa(e.Status) + " " + e.Reason
}

// The errors Parse returns. lws answers what it calls URI sanitation
// failures, and unknown methods, with 403.
var (
	errNUL           = &Error{400, "NUL byte in request head"}
	errBareCR        = &Error{400, "CR not followed by LF"}
	errMethod        = &Error{403, "unknown method"}
	errEmptyTarget   = &Error{400, "missing request target"}
	errTarget        = &Error{400, "malformed request target"}
	errNotAbsolute   = &Error{403, "request target is not an absolute path"}
	errEscape        = &Error{403, "bad %-escape in request target"}
	errTargetCtl     = &Error{403, "control byte in request target"}
	errTargetLong    = &Error{414, "request target too long"}
	errNoVersion     = &Error{400, "request line without HTTP version"}
	errVersion       = &Error{400, "malformed HTTP version"}
	errVersionNotSup = &Error{505, "HTTP version not supported"}
	errFold          = &Error{400, "obsolete line folding"}
	errEmptyName     = &Error{400, "empty header name"}
	errName          = &Error{400, "invalid character in header name"}
	errNameSpace     = &Error{400, "whitespace between header name and colon"}
	errNoColon       = &Error{400, "header line without colon"}
	errValue         = &Error{400, "invalid character in header value"}
	errNoHost        = &Error{400, "missing Host header"}
	errManyHosts     = &Error{400, "more than one Host header"}
	errTooLarge      = &Error{431, "request header fields too large"}
)

// methods are the request methods the parser knows, spelled as they must
// appear (methods are case-sensitive).
var methods = [...]struct {
	name string
	tok  Token
}{
	{"GET", TokenGetURI},
	{"POST", TokenPostURI},
	{"OPTIONS", TokenOptionsURI},
	{"PUT", TokenPutURI},
	{"PATCH", TokenPatchURI},
	{"DELETE", TokenDeleteURI},
	{"HEAD", TokenHeadURI},
	{"CONNECT", TokenConnect},
}

const maxMethodLen = 7

// Parser states.
const (
	stStart       uint8 = iota // before the request line: skipping empty lines
	stStartLF                  // an empty line's CR was seen
	stMethod                   // in the method
	stTargetFirst              // at the first byte of the target
	stPath                     // origin-form target: path and query
	stAsterisk                 // OPTIONS "*" seen, SP expected
	stAuthority                // CONNECT authority-form target
	stVersion                  // in the HTTP version
	stVersionLF                // CR after the version seen
	stLineStart                // at the start of a header line or the final empty line
	stEndLF                    // the final empty line's CR was seen
	stName                     // in a header name
	stValueOWS                 // whitespace before a header value
	stValue                    // in a header value
	stValueLF                  // CR after a header value seen
	stDone                     // the head is complete
	stDead                     // an error was returned
)

// Target decoding states: %-escapes.
const (
	uesIdle    uint8 = iota
	uesPercent       // '%' seen
	uesHex1          // '%' and one hex digit seen
)

// Target normalisation states, as lws's URIPS_*.
const (
	upsIdle      uint8 = iota
	upsSlash           // the last byte stored was '/'
	upsSlashDot        // "/." seen, the dot held back
	upsSlashDot2       // "/.." seen, both dots held back
)

// Parser reads the head of one HTTP/1 request into a Table. Its zero value
// is ready once Reset has given it a table. It keeps no reference to the
// bytes it is given.
//
// Limits: MaxData (the Table's area) caps everything. Header names of
// custom headers count too, and so do 4 bytes of index for every fragment
// and 6 for every custom header. Bytes that are consumed but not stored
// (empty lines before the request line, whitespace before header values)
// may not exceed MaxData either, and neither may the raw request target.
type Parser struct {
	t     *Table
	state uint8
	err   error

	waste int // consumed bytes not stored outside the target

	// request line
	method [maxMethodLen]byte
	mlen   int
	raw    int // bytes of the raw target
	rec    int // offset of the record being filled
	ues    uint8
	hex    byte
	ups    uint8
	inArgs bool
	postEq bool // a literal '=' was seen in this URI argument
	vers   [8]byte
	vlen   int

	headersOnly bool // no request line, no Host rule (ResetHeaders)

	// header line
	custom bool   // the name is not (or no longer) a known header name
	cand   uint64 // known header names the name so far is a prefix of
	nlen   int    // bytes of the name so far
	keep   int    // end of the value without trailing whitespace
}

// Reset makes the parser start a new request into t, which it resets.
func (p *Parser) Reset(t *Table) {
	*p = Parser{t: t}
	t.Reset()
}

// ResetHeaders makes the parser read only header lines and the empty line
// ending them into t, with no request line and no Host rule: the head of
// a response after its status line (see ParseStatusLine).
func (p *Parser) ResetHeaders(t *Table) {
	p.Reset(t)
	p.state = stLineStart
	p.headersOnly = true
}

// Parse consumes request-head bytes from b into the table. It returns how
// many bytes it used and done=true when the blank line ending the head was
// consumed (the rest of b, if any, is body or the next protocol's bytes
// and was not consumed). Once done, Parse consumes nothing more until
// Reset. On an error, n counts the byte that was refused, and the parser
// is dead until Reset: later calls return the same error.
func (p *Parser) Parse(b []byte) (n int, done bool, err error) {
	if p.t == nil {
		panic("h1: Parser.Parse before Reset")
	}
	switch p.state {
	case stDone:
		return 0, true, nil
	case stDead:
		return 0, false, p.err
	}
	for i := 0; i < len(b); i++ {
		if p.state == stValue {
			// Fast path: copy a run of ordinary value bytes at once.
			j := i
			for j < len(b) && plainValueByte(b[j]) {
				j++
			}
			if j > i {
				if room := len(p.t.data) - p.t.pos; j-i > room {
					// store what fits and refuse the first byte that
					// does not, as byte by byte would
					p.valueRun(b[i : i+room])
					p.state, p.err = stDead, errTooLarge
					return i + room + 1, false, errTooLarge
				}
				p.valueRun(b[i:j])
				i = j
				if i == len(b) {
					break
				}
			}
		}
		if err := p.step(b[i]); err != nil {
			p.state, p.err = stDead, err
			return i + 1, false, err
		}
		if p.state == stDone {
			return i + 1, true, nil
		}
	}
	return len(b), false, nil
}

// plainValueByte reports whether c may appear in a header value and is
// not one the value state treats specially.
func plainValueByte(c byte) bool {
	return c >= 0x20 && c != 0x7f || c == '\t'
}

// valueRun stores bytes of a header value that plainValueByte accepted and
// that fit in the data area.
func (p *Parser) valueRun(b []byte) {
	t := p.t
	copy(t.data[t.pos:], b)
	t.pos += len(b)
	for k := len(b) - 1; k >= 0; k-- {
		if b[k] != ' ' && b[k] != '\t' {
			p.keep = t.pos - (len(b) - 1 - k)
			return
		}
	}
}

// step consumes one byte.
func (p *Parser) step(c byte) error {
	if c == 0 {
		return errNUL
	}
	t := p.t
	switch p.state {
	case stStart:
		switch c {
		case '\r':
			p.state = stStartLF
			return p.wasted()
		case '\n':
			return p.wasted()
		}
		p.state = stMethod
		return p.methodByte(c)

	case stStartLF:
		if c != '\n' {
			return errBareCR
		}
		p.state = stStart
		return p.wasted()

	case stMethod:
		return p.methodByte(c)

	case stTargetFirst:
		switch c {
		case ' ':
			return errEmptyTarget
		case '\r', '\n':
			return errNoVersion
		}
		p.raw = 1
		switch {
		case t.method == TokenConnect:
			p.state = stAuthority
			return p.authorityByte(c)
		case t.method == TokenOptionsURI && c == '*':
			p.state = stAsterisk
			if !t.put(c) {
				return errTargetLong
			}
			return nil
		}
		p.state = stPath
		return p.targetByte(c)

	case stPath:
		switch c {
		case ' ':
			return p.endPath()
		case '\r', '\n':
			return errNoVersion
		}
		if p.raw++; p.raw > len(t.data) {
			return errTargetLong
		}
		return p.targetByte(c)

	case stAsterisk:
		switch c {
		case ' ':
			t.closeFrag(p.rec)
			p.state = stVersion
			return nil
		case '\r', '\n':
			return errNoVersion
		}
		return errTarget

	case stAuthority:
		switch c {
		case ' ':
			if !validAuthority(t.data[p.rec+fragHdr : t.pos]) {
				return errTarget
			}
			t.closeFrag(p.rec)
			p.state = stVersion
			return nil
		case '\r', '\n':
			return errNoVersion
		}
		if p.raw++; p.raw > len(t.data) {
			return errTargetLong
		}
		return p.authorityByte(c)

	case stVersion:
		switch c {
		case '\r':
			p.state = stVersionLF
			return p.endVersion()
		case '\n':
			p.state = stLineStart
			return p.endVersion()
		}
		const proto = "HTTP/"
		switch i := p.vlen; {
		case i < len(proto):
			if c != proto[i] {
				return errVersion
			}
		case i == 5 || i == 7:
			if c < '0' || c > '9' {
				return errVersion
			}
		case i == 6:
			if c != '.' {
				return errVersion
			}
		default:
			return errVersion
		}
		p.vers[p.vlen] = c
		p.vlen++
		return nil

	case stVersionLF, stValueLF:
		if c != '\n' {
			return errBareCR
		}
		p.state = stLineStart
		return nil

	case stLineStart:
		switch {
		case c == '\r':
			p.state = stEndLF
			return nil
		case c == '\n':
			return p.finish()
		case c == ' ' || c == '\t':
			return errFold
		case c == ':':
			return errEmptyName
		case !ascii.IsTchar(c):
			return errName
		}
		p.state = stName
		p.custom = false
		p.cand = allHeaderNames
		p.nlen = 0
		return p.nameByte(ascii.Lower(c))

	case stEndLF:
		if c != '\n' {
			return errBareCR
		}
		return p.finish()

	case stName:
		switch {
		case c == ':':
			p.state = stValueOWS
			return p.endName()
		case c == ' ' || c == '\t':
			return errNameSpace
		case c == '\r' || c == '\n':
			return errNoColon
		case !ascii.IsTchar(c):
			return errName
		}
		return p.nameByte(ascii.Lower(c))

	case stValueOWS:
		switch c {
		case ' ', '\t':
			return p.wasted()
		case '\r':
			p.state = stValueLF
			p.endValue()
			return nil
		case '\n':
			p.state = stLineStart
			p.endValue()
			return nil
		}
		p.state = stValue
		return p.valueByte(c)

	case stValue:
		switch c {
		case '\r':
			p.state = stValueLF
			p.endValue()
			return nil
		case '\n':
			p.state = stLineStart
			p.endValue()
			return nil
		}
		return p.valueByte(c)
	}
	return nil
}

// wasted accounts for a byte consumed without being stored.
func (p *Parser) wasted() error {
	if p.waste++; p.waste > len(p.t.data) {
		return errTooLarge
	}
	return nil
}

// methodByte takes a byte of the method, or the SP ending it.
func (p *Parser) methodByte(c byte) error {
	t := p.t
	if c == ' ' {
		for _, m := range methods {
			if m.name == string(p.method[:p.mlen]) {
				t.method = m.tok
				if p.rec = t.newFrag(m.tok); p.rec < 0 {
					return errTargetLong
				}
				p.state = stTargetFirst
				return nil
			}
		}
		return errMethod
	}
	if p.mlen == maxMethodLen {
		return errMethod
	}
	p.method[p.mlen] = c
	p.mlen++
	for _, m := range methods {
		if len(m.name) >= p.mlen && m.name[:p.mlen] == string(p.method[:p.mlen]) {
			return nil
		}
	}
	return errMethod
}

// authorityByte stores a byte of a CONNECT target as it comes: an
// authority is not %-decoded or normalised.
func (p *Parser) authorityByte(c byte) error {
	if c <= ' ' || c == 0x7f {
		return errTarget
	}
	if !p.t.put(c) {
		return errTargetLong
	}
	return nil
}

// validAuthority checks a CONNECT target: host ":" port, the port made of
// digits (RFC 9112 3.2.3).
func validAuthority(a []byte) bool {
	colon := -1
	for i, c := range a {
		if c == ':' {
			colon = i
		}
	}
	if colon <= 0 || colon == len(a)-1 {
		return false
	}
	for _, c := range a[colon+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	for _, c := range a[:colon] {
		if !isAuthorityChar(c) {
			return false
		}
	}
	return true
}

// isAuthorityChar reports whether c may appear in the host part of an
// authority: unreserved, sub-delims, '%' of an escape, and the brackets
// and colons of an IP literal (RFC 3986 3.2.2).
func isAuthorityChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', '%', '[', ']', ':':
		return true
	}
	return false
}

// targetByte takes a raw byte of an origin-form target, decoding
// %-escapes (lws_parse_urldecode).
func (p *Parser) targetByte(c byte) error {
	switch p.ues {
	case uesPercent:
		h := ascii.Unhex(c)
		if h < 0 {
			return errEscape
		}
		p.hex = byte(h)
		p.ues = uesHex1
		return nil
	case uesHex1:
		h := ascii.Unhex(c)
		if h < 0 {
			return errEscape
		}
		p.ues = uesIdle
		return p.uriByte(p.hex<<4|byte(h), true)
	}
	if c == '%' {
		p.ues = uesPercent
		return nil
	}
	return p.uriByte(c, false)
}

// uriByte takes a decoded byte of the target; enc says it came from a
// %-escape, which takes away any special meaning of '?', '&', ';', '='
// and '+' (but not of '/' and '.', so that "%2e%2e" is "..").
func (p *Parser) uriByte(c byte, enc bool) error {
	if c < 0x20 || c == 0x7f {
		return errTargetCtl
	}
	if p.inArgs {
		return p.argByte(c, enc)
	}
	t := p.t
	path := t.pos - p.rec - fragHdr
	if path == 0 && c != '/' {
		return errNotAbsolute
	}
	switch p.ups {
	case upsIdle:
		if c == '/' {
			p.ups = upsSlash
		}
	case upsSlash:
		switch c {
		case '/': // "//" is "/"
			return nil
		case '.':
			p.ups = upsSlashDot
			return nil
		}
		p.ups = upsIdle
	case upsSlashDot:
		switch c {
		case '.':
			p.ups = upsSlashDot2
			return nil
		case '/': // "/./" is "/"
			p.ups = upsSlash
			return nil
		}
		// "/.x": the dot was a name's
		p.ups = upsIdle
		if !t.put('.') {
			return errTargetLong
		}
	case upsSlashDot2:
		if c == '/' || c == '?' {
			// "/../", or "/.." ending the path at a '?' (escaped or
			// not, as lws has it): back up a level. As in lws, this
			// '?' is dropped, not taken as the start of the query, if
			// nothing but the root is left: "//..?a" is "/a".
			p.backUp()
			p.ups = upsSlash
			if t.pos-p.rec-fragHdr <= 1 {
				return nil
			}
			break
		}
		// "/..x": the dots were a name's
		p.ups = upsIdle
		if !t.room(2) {
			return errTargetLong
		}
		t.put('.')
		t.put('.')
	}
	if c == '?' && !enc {
		t.closeFrag(p.rec)
		if p.rec = t.newFrag(TokenURIArgs); p.rec < 0 {
			return errTargetLong
		}
		p.inArgs = true
		p.postEq = false
		p.ups = upsIdle
		return nil
	}
	if !t.put(c) {
		return errTargetLong
	}
	return nil
}

// backUp removes the last segment of the path after a "/..", leaving the
// root alone: it drops the trailing '/', then bytes up to and including
// the '/' before them, as lws does.
func (p *Parser) backUp() {
	t := p.t
	start := p.rec + fragHdr
	n := t.pos - start
	if n <= 2 {
		return
	}
	n--
	for {
		n--
		if n <= 1 || t.data[start+n] == '/' {
			break
		}
	}
	t.pos = start + n
}

// argByte takes a decoded byte of the query string, which lws splits into
// one fragment per argument at each literal '&' or ';'.
func (p *Parser) argByte(c byte, enc bool) error {
	t := p.t
	if !enc {
		switch c {
		case '&', ';':
			t.closeFrag(p.rec)
			if p.rec = t.newFrag(TokenURIArgs); p.rec < 0 {
				return errTargetLong
			}
			p.postEq = false
			return nil
		case '=':
			p.postEq = true
		case '+':
			c = ' '
		}
	} else if c == '=' && !p.postEq {
		// an escaped '=' in an argument's name cannot be told from the
		// real one: lws makes it '_'
		c = '_'
	}
	if !t.put(c) {
		return errTargetLong
	}
	return nil
}

// endPath ends an origin-form target at the SP before the version.
func (p *Parser) endPath() error {
	if p.ues != uesIdle {
		return errEscape
	}
	if !p.inArgs && p.ups == upsSlashDot2 {
		p.backUp()
	}
	p.t.closeFrag(p.rec)
	p.state = stVersion
	return nil
}

// endVersion checks and stores the HTTP version at the end of the request
// line. HTTP/1.x is accepted for any x, as RFC 9110 2.5 asks; another
// major version is refused with 505.
func (p *Parser) endVersion() error {
	if p.vlen == 0 {
		return errNoVersion
	}
	if p.vlen != len(p.vers) {
		return errVersion
	}
	if p.vers[5] != '1' {
		return errVersionNotSup
	}
	t := p.t
	off := t.newFrag(TokenHTTPVersion)
	if off < 0 || !t.room(len(p.vers)) {
		return errTooLarge
	}
	t.pos += copy(t.data[t.pos:], p.vers[:])
	t.closeFrag(off)
	if p.vers[7] == '0' {
		t.version = 10
	} else {
		t.version = 11
	}
	return nil
}

// maxHeaderName is the length of the longest name in headerNames.
const maxHeaderName = len("sec-websocket-extensions")

// nameMasks[i][c] has bit k set if headerNames[k] has byte c at index i,
// and nameLenMasks[n] if it is n bytes long.
var nameMasks, nameLenMasks = func() (m [maxHeaderName][0x80]uint64, l [maxHeaderName + 1]uint64) {
	for k, h := range headerNames {
		for i := range len(h.name) {
			m[i][h.name[i]] |= 1 << k
		}
		l[len(h.name)] |= 1 << k
	}
	return m, l
}()

// nameByte takes a lowercased byte of a header name. While the name is a
// prefix of known names nothing is stored; once it can no longer be one,
// a custom header record is started with the prefix so far.
func (p *Parser) nameByte(c byte) error {
	t := p.t
	if !p.custom {
		var next uint64
		if p.nlen < maxHeaderName && c < 0x80 {
			next = p.cand & nameMasks[p.nlen][c]
		}
		if next != 0 {
			p.cand = next
			p.nlen++
			return nil
		}
		if err := p.startCustom(); err != nil {
			return err
		}
	}
	if !t.put(c) {
		return errTooLarge
	}
	p.nlen++
	return nil
}

// startCustom switches the header name to a custom one, storing what was
// matched of it so far.
func (p *Parser) startCustom() error {
	prefix := headerNames[bits.TrailingZeros64(p.cand)].name[:p.nlen]
	if p.rec = p.t.newCustom(prefix); p.rec < 0 {
		return errTooLarge
	}
	p.custom = true
	return nil
}

// endName ends a header name at its colon and prepares for the value.
func (p *Parser) endName() error {
	t := p.t
	if !p.custom {
		// a name still matching is at most maxHeaderName long
		if m := p.cand & nameLenMasks[p.nlen]; m != 0 {
			tok := headerNames[bits.TrailingZeros64(m)].tok
			if p.rec = t.newFrag(tok); p.rec < 0 {
				return errTooLarge
			}
			p.keep = t.pos
			return nil
		}
		if err := p.startCustom(); err != nil {
			return err
		}
	}
	t.linkCustom(p.rec)
	p.keep = t.pos
	return nil
}

// valueByte stores a byte of a header value.
func (p *Parser) valueByte(c byte) error {
	if !plainValueByte(c) {
		return errValue
	}
	t := p.t
	if !t.put(c) {
		return errTooLarge
	}
	if c != ' ' && c != '\t' {
		p.keep = t.pos
	}
	return nil
}

// endValue ends a header value at its line end, dropping trailing
// whitespace.
func (p *Parser) endValue() {
	t := p.t
	t.pos = p.keep
	if p.custom {
		t.closeCustom(p.rec)
	} else {
		t.closeFrag(p.rec)
	}
}

// finish completes the head at its empty line. RFC 9112 3.2 requires a
// server to refuse an HTTP/1.1 request without a Host header, and any
// request with more than one.
func (p *Parser) finish() error {
	t := p.t
	if p.headersOnly {
		p.state = stDone
		return nil
	}
	switch n := t.count[TokenHost]; {
	case n > 1:
		return errManyHosts
	case n == 0 && t.version == 11:
		return errNoHost
	}
	p.state = stDone
	return nil
}
