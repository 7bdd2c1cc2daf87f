package h1

import (
	"math/bits"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
)

// The errors Parse returns beside the table's (hdr.ErrTooLarge, the
// target's, the header name and value refusals).
var (
	errNUL       = &httpsem.Error{Status: 400, Reason: "NUL byte in request head"}
	errBareCR    = &httpsem.Error{Status: 400, Reason: "CR not followed by LF"}
	errNoVersion = &httpsem.Error{Status: 400, Reason: "request line without HTTP version"}
	errVersion   = &httpsem.Error{Status: 400, Reason: "malformed HTTP version"}
	// ErrNotHTTP is the parser's error for a request line whose third
	// part is not an HTTP version at all: the client does not speak
	// HTTP/1 (an HTTP/2 client with a bad preface, say). It is a 400.
	ErrNotHTTP       = &httpsem.Error{Status: 400, Reason: "not an HTTP/1 request line"}
	errVersionNotSup = &httpsem.Error{Status: 505, Reason: "HTTP version not supported"}
	errFold          = &httpsem.Error{Status: 400, Reason: "obsolete line folding"}
	errNameSpace     = &httpsem.Error{Status: 400, Reason: "whitespace between header name and colon"}
	errNoColon       = &httpsem.Error{Status: 400, Reason: "header line without colon"}
	errNoHost        = &httpsem.Error{Status: 400, Reason: "missing Host header"}
	errManyHosts     = &httpsem.Error{Status: 400, Reason: "more than one Host header"}

	errMethod    = hdr.ErrMethod
	errEmptyName = hdr.ErrEmptyName
	errName      = hdr.ErrName
	errValue     = hdr.ErrValue
	errTooLarge  = hdr.ErrTooLarge
)

// Parser states.
const (
	stStart     uint8 = iota // before the request line: skipping empty lines
	stStartLF                // an empty line's CR was seen
	stMethod                 // in the method
	stTarget                 // in the request target
	stVersion                // in the HTTP version
	stVersionLF              // CR after the version seen
	stLineStart              // at the start of a header line or the final empty line
	stEndLF                  // the final empty line's CR was seen
	stName                   // in a header name
	stValueOWS               // whitespace before a header value
	stValue                  // in a header value
	stValueLF                // CR after a header value seen
	stDone                   // the head is complete
	stDead                   // an error was returned
)

// Parser reads the head of one HTTP/1 request into a header table
// (hdr.Table). Its zero value is ready once Reset has given it a table. It
// keeps no reference to the bytes it is given.
//
// Limits: MaxData (the Table's area) caps everything. Header names of
// custom headers count too, and so do 4 bytes of index for every fragment
// and 6 for every custom header. Bytes that are consumed but not stored
// (empty lines before the request line, whitespace before header values)
// may not exceed MaxData either, and neither may the raw request target.
type Parser struct {
	t     *hdr.Table
	state uint8
	err   error

	waste int // consumed bytes not stored outside the target

	// request line
	method [hdr.MaxMethodLen]byte
	mlen   int
	target hdr.Target
	vers   [8]byte
	vlen   int

	headersOnly bool // no request line, no Host rule (ResetHeaders)

	// header line
	custom bool   // the name is not (or no longer) a known header name
	cand   uint64 // known header names the name so far is a prefix of
	nlen   int    // bytes of the name so far
}

// Reset makes the parser start a new request into t, which it resets.
func (p *Parser) Reset(t *hdr.Table) {
	*p = Parser{t: t}
	t.Reset()
}

// ResetHeaders makes the parser read only header lines and the empty line
// ending them into t, with no request line and no Host rule: the head of
// a response after its status line (see ParseStatusLine).
func (p *Parser) ResetHeaders(t *hdr.Table) {
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
			for j < len(b) && hdr.PlainValueByte(b[j]) {
				j++
			}
			if j > i {
				if k := p.t.Append(b[i:j]); k < j-i {
					// what fits is stored: refuse the first byte that
					// does not, as byte by byte would
					p.state, p.err = stDead, errTooLarge
					return i + k + 1, false, errTooLarge
				}
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

	case stTarget:
		switch c {
		case ' ':
			if err := p.target.End(); err != nil {
				return err
			}
			p.state = stVersion
			return nil
		case '\r', '\n':
			return errNoVersion
		}
		return p.target.Byte(c)

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
				return ErrNotHTTP
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
			t.EndValue()
			return nil
		case '\n':
			p.state = stLineStart
			t.EndValue()
			return nil
		}
		p.state = stValue
		return p.valueByte(c)

	case stValue:
		switch c {
		case '\r':
			p.state = stValueLF
			t.EndValue()
			return nil
		case '\n':
			p.state = stLineStart
			t.EndValue()
			return nil
		}
		return p.valueByte(c)
	}
	return nil
}

// wasted accounts for a byte consumed without being stored.
func (p *Parser) wasted() error {
	if p.waste++; p.waste > p.t.MaxData() {
		return errTooLarge
	}
	return nil
}

// methodByte takes a byte of the method, or the SP ending it.
func (p *Parser) methodByte(c byte) error {
	if c == ' ' {
		if err := p.t.SetMethod(p.method[:p.mlen]); err != nil {
			return err
		}
		p.state = stTarget
		return p.target.Reset(p.t)
	}
	if p.mlen == len(p.method) {
		return errMethod
	}
	p.method[p.mlen] = c
	p.mlen++
	if !hdr.MethodPrefix(p.method[:p.mlen]) {
		return errMethod
	}
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
	if err := t.AddHeader(hdr.TokenHTTPVersion, p.vers[:]); err != nil {
		return err
	}
	if p.vers[7] == '0' {
		t.SetVersion(10)
	} else {
		t.SetVersion(11)
	}
	return nil
}

// maxHeaderName is the length of the longest header name with a token.
const maxHeaderName = len("sec-websocket-extensions")

// allHeaderNames is the candidate mask before any byte of a name is seen.
const allHeaderNames = uint64(1)<<hdr.NumHeaderNames - 1

// nameMasks[i][c] has bit k set if hdr.HeaderName(k) has byte c at index
// i, and nameLenMasks[n] if it is n bytes long.
var nameMasks, nameLenMasks = func() (m [maxHeaderName][0x80]uint64, l [maxHeaderName + 1]uint64) {
	for k := range hdr.NumHeaderNames {
		name, _ := hdr.HeaderName(k)
		for i := range len(name) {
			m[i][name[i]] |= 1 << k
		}
		l[len(name)] |= 1 << k
	}
	return m, l
}()

// nameByte takes a lowercased byte of a header name. While the name is a
// prefix of known names nothing is stored; once it can no longer be one,
// a custom header record is started with the prefix so far.
func (p *Parser) nameByte(c byte) error {
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
	if !p.t.AppendByte(c) {
		return errTooLarge
	}
	p.nlen++
	return nil
}

// startCustom switches the header name to a custom one, storing what was
// matched of it so far.
func (p *Parser) startCustom() error {
	name, _ := hdr.HeaderName(bits.TrailingZeros64(p.cand))
	if !p.t.StartCustom(name[:p.nlen]) {
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
			_, tok := hdr.HeaderName(bits.TrailingZeros64(m))
			if !t.StartValue(tok) {
				return errTooLarge
			}
			return nil
		}
		if err := p.startCustom(); err != nil {
			return err
		}
	}
	t.EndName()
	return nil
}

// valueByte stores a byte of a header value.
func (p *Parser) valueByte(c byte) error {
	if !hdr.PlainValueByte(c) {
		return errValue
	}
	if !p.t.AppendByte(c) {
		return errTooLarge
	}
	return nil
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
	switch n := t.FragmentCount(hdr.TokenHost); {
	case n > 1:
		return errManyHosts
	case n == 0 && t.Version() == 11:
		return errNoHost
	}
	p.state = stDone
	return nil
}
