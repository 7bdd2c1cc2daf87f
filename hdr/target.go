package hdr

import "github.com/golws/lws/internal/ascii"

// Target decodes a request target into a Table byte by byte, as lws's
// lws_parse_urldecode does, so that a target gives the same table
// whatever wire brought it: a path is %-decoded and normalised ("//"
// collapsed, "/./" dropped, "/../" resolved, never above the root) under
// the method's token, and its query string is split into one TokenURIArgs
// fragment per argument ('&' or ';' between them, '+' as a space). OPTIONS
// may have "*" and CONNECT has an authority (host:port), stored as they
// come. The zero value is ready once Reset has given it a table; it keeps
// no reference to the bytes it is given.
type Target struct {
	t      *Table
	form   uint8
	raw    int // raw bytes of the target
	ues    uint8
	hex    byte
	ups    uint8
	inArgs bool
	postEq bool // a literal '=' was seen in this URI argument
}

// Target forms, known from the first byte.
const (
	formNone      uint8 = iota // no byte yet
	formOrigin                 // a path and query
	formAsterisk               // OPTIONS "*"
	formAuthority              // CONNECT host:port
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

// Reset starts the target of t's request, after t.SetMethod: its bytes
// follow by Byte, then End. ErrMethod before a method is known,
// ErrTargetTooLong when the table is full.
func (d *Target) Reset(t *Table) error {
	*d = Target{t: t}
	if !isMethod(t.method) {
		return ErrMethod
	}
	if !t.StartValue(t.method) {
		return ErrTargetTooLong
	}
	return nil
}

// Byte takes one raw byte of the target. A space, or a byte the target's
// form does not allow, is refused: a wire parser ends the target at the
// space before it calls End.
func (d *Target) Byte(c byte) error {
	t := d.t
	if d.form == formAsterisk {
		return ErrTarget
	}
	if d.raw++; d.raw > len(t.data) {
		return ErrTargetTooLong
	}
	switch d.form {
	case formNone:
		switch {
		case t.method == TokenConnect:
			d.form = formAuthority
		case t.method == TokenOptionsURI && c == '*':
			d.form = formAsterisk
			if !t.put(c) {
				return ErrTargetTooLong
			}
			return nil
		default:
			d.form = formOrigin
		}
	}
	if d.form == formAuthority {
		// an authority is not %-decoded or normalised
		if c <= ' ' || c == 0x7f {
			return ErrTarget
		}
		if !t.put(c) {
			return ErrTargetTooLong
		}
		return nil
	}
	if c == ' ' {
		return ErrTarget
	}
	return d.targetByte(c)
}

// End ends the target: ErrEmptyTarget for none, ErrEscape for a
// %-escape cut short, ErrTarget for a CONNECT target that is not
// host:port.
func (d *Target) End() error {
	t := d.t
	switch d.form {
	case formNone:
		return ErrEmptyTarget
	case formAuthority:
		if !validAuthority(t.data[t.open+fragHdr : t.pos]) {
			return ErrTarget
		}
	case formOrigin:
		if d.ues != uesIdle {
			return ErrEscape
		}
		if !d.inArgs && d.ups == upsSlashDot2 {
			d.backUp()
		}
	}
	t.closeFrag(t.open)
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
func (d *Target) targetByte(c byte) error {
	switch d.ues {
	case uesPercent:
		h := ascii.Unhex(c)
		if h < 0 {
			return ErrEscape
		}
		d.hex = byte(h)
		d.ues = uesHex1
		return nil
	case uesHex1:
		h := ascii.Unhex(c)
		if h < 0 {
			return ErrEscape
		}
		d.ues = uesIdle
		return d.uriByte(d.hex<<4|byte(h), true)
	}
	if c == '%' {
		d.ues = uesPercent
		return nil
	}
	return d.uriByte(c, false)
}

// uriByte takes a decoded byte of the target; enc says it came from a
// %-escape, which takes away any special meaning of '?', '&', ';', '='
// and '+' (but not of '/' and '.', so that "%2e%2e" is "..").
func (d *Target) uriByte(c byte, enc bool) error {
	if c < 0x20 || c == 0x7f {
		return ErrTargetCtl
	}
	if d.inArgs {
		return d.argByte(c, enc)
	}
	t := d.t
	path := t.pos - t.open - fragHdr
	if path == 0 && c != '/' {
		return ErrNotAbsolute
	}
	switch d.ups {
	case upsIdle:
		if c == '/' {
			d.ups = upsSlash
		}
	case upsSlash:
		switch c {
		case '/': // "//" is "/"
			return nil
		case '.':
			d.ups = upsSlashDot
			return nil
		}
		d.ups = upsIdle
	case upsSlashDot:
		switch c {
		case '.':
			d.ups = upsSlashDot2
			return nil
		case '/': // "/./" is "/"
			d.ups = upsSlash
			return nil
		}
		// "/.x": the dot was a name's
		d.ups = upsIdle
		if !t.put('.') {
			return ErrTargetTooLong
		}
	case upsSlashDot2:
		if c == '/' || c == '?' {
			// "/../", or "/.." ending the path at a '?' (escaped or
			// not, as lws has it): back up a level. As in lws, this
			// '?' is dropped, not taken as the start of the query, if
			// nothing but the root is left: "//..?a" is "/a".
			d.backUp()
			d.ups = upsSlash
			if t.pos-t.open-fragHdr <= 1 {
				return nil
			}
			break
		}
		// "/..x": the dots were a name's
		d.ups = upsIdle
		if !t.room(2) {
			return ErrTargetTooLong
		}
		t.put('.')
		t.put('.')
	}
	if c == '?' && !enc {
		t.closeFrag(t.open)
		if !t.StartValue(TokenURIArgs) {
			return ErrTargetTooLong
		}
		d.inArgs = true
		d.postEq = false
		d.ups = upsIdle
		return nil
	}
	if !t.put(c) {
		return ErrTargetTooLong
	}
	return nil
}

// backUp removes the last segment of the path after a "/..", leaving the
// root alone: it drops the trailing '/', then bytes up to and including
// the '/' before them, as lws does.
func (d *Target) backUp() {
	t := d.t
	start := t.open + fragHdr
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
func (d *Target) argByte(c byte, enc bool) error {
	t := d.t
	if !enc {
		switch c {
		case '&', ';':
			t.closeFrag(t.open)
			if !t.StartValue(TokenURIArgs) {
				return ErrTargetTooLong
			}
			d.postEq = false
			return nil
		case '=':
			d.postEq = true
		case '+':
			c = ' '
		}
	} else if c == '=' && !d.postEq {
		// an escaped '=' in an argument's name cannot be told from the
		// real one: lws makes it '_'
		c = '_'
	}
	if !t.put(c) {
		return ErrTargetTooLong
	}
	return nil
}
