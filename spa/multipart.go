package spa

import (
	"bytes"
	"fmt"
	"mime"

	"github.com/golws/lws/internal/ascii"
)

// States of the multipart/form-data parser.
const (
	mPreamble = iota // before the first boundary: ignored
	mContent         // in a part's content
	mAfter           // right after a boundary delimiter
	mDash            // after "--boundary-"
	mPad             // in spaces or tabs after a boundary
	mPadLF           // after the CR ending a boundary line
	mHeader          // in a part's header lines
	mHeaderLF        // after the CR ending a header line
	mBlankLF         // after the CR of the empty line ending the headers
	mEpilogue        // after the close delimiter: ignored
)

// mpState is the multipart parser's state: fixed-size apart from the
// current part's name, filename and content type, which the header bound
// limits.
type mpState struct {
	st      int
	delim   []byte // "\r\n--" + boundary
	held    int    // bytes of delim matched at the end of what was fed
	virtual bool   // the first two of them are the CRLF assumed, not fed
	parts   int    // parts begun so far
	hdrLen  int
	hdr     [MaxHeaderBytes]byte
	scratch [4 + MaxBoundaryLen]byte // held bytes that proved to be content

	// the current part
	name, filename, ctype string
	file                  bool // it has a filename
	open                  bool // FileOpen was delivered, FileClose not yet
}

// init sets up the parser for boundary b.
func (m *mpState) init(b string) {
	m.delim = append([]byte("\r\n--"), b...)
	m.st = mPreamble
	m.assumeCRLF()
}

// assumeCRLF makes the parser go on as if a CRLF had been fed, which is
// then either the start of a delimiter or nothing. A body may begin with
// its first boundary, with no CRLF before it. And a part's header block
// ends in CRLF, which may also be the CRLF of a delimiter when the part
// has no content: RFC 2046's body-part is MIME-part-headers [CRLF
// *OCTET], so "Name: v CRLF CRLF --boundary" is a part with no content.
func (m *mpState) assumeCRLF() {
	m.held = 2
	m.virtual = true
}

// malformed returns ErrMalformed with a detail.
func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
}

// event calls Config.File, if any.
func (p *Parser) event(st FileState, data []byte) error {
	if p.cfg.File == nil {
		return nil
	}
	m := &p.mp
	return p.cfg.File(FileEvent{State: st, Name: m.name, Filename: m.filename, ContentType: m.ctype, Data: data})
}

// closeFile delivers FileClose for an open file.
func (p *Parser) closeFile() error {
	if !p.mp.open {
		return nil
	}
	p.mp.open = false
	return p.event(FileClose, nil)
}

// writeMultipart parses a piece of a multipart body.
func (p *Parser) writeMultipart(b []byte) (int, error) {
	m := &p.mp
	total := len(b)
	for len(b) > 0 {
		if m.st == mPreamble || m.st == mContent {
			var err error
			if b, err = p.scan(b); err != nil {
				return total - len(b), err
			}
			continue
		}
		if m.st == mEpilogue {
			break
		}
		c := b[0]
		b = b[1:]
		var err error
		switch m.st {
		case mAfter:
			switch c {
			case '-':
				m.st = mDash
			case ' ', '\t':
				m.st = mPad
			case '\r':
				m.st = mPadLF
			default:
				err = malformed("byte %q after a boundary", c)
			}
		case mDash:
			if c != '-' {
				err = malformed("byte %q after a boundary", c)
			}
			m.st = mEpilogue
		case mPad:
			switch c {
			case ' ', '\t':
			case '\r':
				m.st = mPadLF
			default:
				err = malformed("byte %q after a boundary", c)
			}
		case mPadLF:
			if c != '\n' {
				err = malformed("boundary line not ended by CRLF")
				break
			}
			if m.parts >= p.cfg.MaxParts {
				err = fmt.Errorf("%w: more than MaxParts (%d) parts", ErrTooLarge, p.cfg.MaxParts)
				break
			}
			m.parts++
			m.hdrLen = 0
			m.st = mHeader
		case mHeader:
			if c == '\r' && (m.hdrLen == 0 || m.hdr[m.hdrLen-1] == '\n') {
				m.st = mBlankLF
				break
			}
			if c == '\n' {
				err = malformed("header line ended by a bare LF")
				break
			}
			err = m.hdrByte(c)
			if c == '\r' {
				m.st = mHeaderLF
			}
		case mHeaderLF:
			if c != '\n' {
				err = malformed("header line with a bare CR")
				break
			}
			err = m.hdrByte(c)
			m.st = mHeader
		case mBlankLF:
			if c != '\n' {
				err = malformed("header line with a bare CR")
				break
			}
			err = p.beginPart()
			m.st = mContent
			m.assumeCRLF()
		}
		if err != nil {
			return total - len(b) - 1, err
		}
	}
	return total, nil
}

// hdrByte adds c to the part's header lines.
func (m *mpState) hdrByte(c byte) error {
	if m.hdrLen == len(m.hdr) {
		return malformed("part header lines beyond %d bytes", MaxHeaderBytes)
	}
	m.hdr[m.hdrLen] = c
	m.hdrLen++
	return nil
}

// scan consumes content (or preamble) up to and including the next
// delimiter, returning what follows it. Bytes that may begin a delimiter
// at the end of b are held back until the next Write tells.
func (p *Parser) scan(b []byte) ([]byte, error) {
	m := &p.mp
	d := m.delim
	if m.held > 0 {
		n := 0
		for m.held < len(d) && n < len(b) && b[n] == d[m.held] {
			m.held++
			n++
		}
		if m.held == len(d) {
			m.held, m.virtual = 0, false
			return b[n:], p.delimiter(nil)
		}
		if n == len(b) {
			return nil, nil
		}
		// Not a delimiter. The only CR in d is its first byte, so no
		// later part of what was held can begin one: all of it is
		// content (but an assumed CRLF), and b[n] is looked at afresh.
		from, k := 0, m.held
		if m.virtual {
			from = 2
		}
		m.held, m.virtual = 0, false
		c := copy(m.scratch[:], d[from:k])
		return b[n:], p.content(m.scratch[:c])
	}
	if i := bytes.Index(b, d); i >= 0 {
		return b[i+len(d):], p.delimiter(b[:i])
	}
	j := len(b)
	tail := max(0, len(b)-len(d)+1)
	if k := bytes.LastIndexByte(b[tail:], '\r'); k >= 0 {
		k += tail
		if bytes.Equal(b[k:], d[:len(b)-k]) {
			j = k
		}
	}
	m.held = len(b) - j
	return nil, p.content(b[:j])
}

// content handles a piece of content of the current part.
func (p *Parser) content(d []byte) error {
	m := &p.mp
	switch {
	case m.st != mContent || len(d) == 0:
		return nil
	case m.file:
		if !m.open {
			return nil
		}
		return p.event(FileContent, d)
	default:
		return p.value(d)
	}
}

// delimiter ends the current part, whose last content piece is last.
func (p *Parser) delimiter(last []byte) error {
	m := &p.mp
	st := m.st
	m.st = mAfter
	if st != mContent {
		return nil
	}
	if m.file {
		if !m.open {
			return nil
		}
		if err := p.event(FileFinalContent, last); err != nil {
			return err
		}
		return p.closeFile()
	}
	err := p.value(last)
	p.endValue()
	return err
}

// beginPart parses the header lines of a part and begins its content.
func (p *Parser) beginPart() error {
	m := &p.mp
	m.name, m.filename, m.ctype, m.file = "", "", "", false
	p.endValue()
	disp, ctype, err := parseHeaders(m.hdr[:m.hdrLen])
	if err != nil {
		return err
	}
	m.ctype = ctype
	if disp != "" {
		_, params, err := mime.ParseMediaType(disp)
		if err != nil {
			return malformed("Content-Disposition %q", disp)
		}
		m.name, m.filename = params["name"], params["filename"]
	}
	if len(m.name) > p.cfg.MaxNameLen {
		return fmt.Errorf("%w: field name beyond MaxNameLen (%d bytes)", ErrTooLarge, p.cfg.MaxNameLen)
	}
	if m.filename != "" {
		m.file = true
		if p.cfg.File != nil {
			m.open = true
			return p.event(FileOpen, nil)
		}
		return nil
	}
	p.beginValue([]byte(m.name))
	return nil
}

// parseHeaders returns the Content-Disposition and Content-Type values in
// h, the header lines of a part, each ended by CRLF. Other headers are
// ignored; lines beginning with a space or tab continue the previous one.
func parseHeaders(h []byte) (disp, ctype string, err error) {
	var key, val []byte
	seenDisp, seenType := false, false
	flush := func() error {
		if key == nil {
			return nil
		}
		v := string(ascii.TrimOWS(val))
		switch {
		case ascii.EqualFoldLower(key, "content-disposition"):
			if seenDisp {
				return malformed("a part with two Content-Disposition headers")
			}
			seenDisp, disp = true, v
		case ascii.EqualFoldLower(key, "content-type"):
			if seenType {
				return malformed("a part with two Content-Type headers")
			}
			seenType, ctype = true, v
		}
		return nil
	}
	for len(h) > 0 {
		i := bytes.Index(h, []byte("\r\n"))
		line := h[:i]
		h = h[i+2:]
		if line[0] == ' ' || line[0] == '\t' {
			if key == nil {
				return "", "", malformed("part headers begin with a continuation line")
			}
			val = append(append(val, ' '), ascii.TrimOWS(line)...)
			continue
		}
		if err := flush(); err != nil {
			return "", "", err
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !ascii.IsToken(line[:colon]) {
			return "", "", malformed("part header line %q", line)
		}
		key, val = line[:colon], append([]byte(nil), line[colon+1:]...)
	}
	if err := flush(); err != nil {
		return "", "", err
	}
	return disp, ctype, nil
}

// finalizeMultipart checks the body reached its close delimiter.
func (p *Parser) finalizeMultipart() error {
	if p.mp.st != mEpilogue {
		return fmt.Errorf("%w: multipart body without its closing boundary", ErrTruncated)
	}
	return nil
}
