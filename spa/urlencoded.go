package spa

import (
	"fmt"

	"github.com/golws/lws/internal/ascii"
)

// States of the application/x-www-form-urlencoded parser.
const (
	uName      = iota // in a name
	uNamePct1         // after '%' in a name
	uNamePct2         // after "%X" in a name
	uValue            // in a value
	uValuePct1        // after '%' in a value
	uValuePct2        // after "%X" in a value
)

// errBadEscape is the error for a '%' not followed by two hex digits.
func errBadEscape(c byte) error {
	return fmt.Errorf("%w: bad %%-escape (byte %q)", ErrMalformed, c)
}

// nameByte adds c to the name being parsed.
func (p *Parser) nameByte(c byte) error {
	if len(p.name) >= p.cfg.MaxNameLen {
		return fmt.Errorf("%w: field name beyond MaxNameLen (%d bytes)", ErrTooLarge, p.cfg.MaxNameLen)
	}
	p.name = append(p.name, c)
	return nil
}

// endField ends a field: "name" with no '=' is present with an empty
// value, as in lws.
func (p *Parser) endField() {
	if p.ust == uName {
		p.beginValue(p.name)
	}
	p.endValue()
	p.name = p.name[:0]
	p.ust = uName
}

// writeURL parses a piece of an urlencoded body, a byte at a time: names
// and values are short, and the state machine is what makes every split
// equivalent.
func (p *Parser) writeURL(b []byte) (int, error) {
	for i, c := range b {
		var err error
		switch p.ust {
		case uName:
			switch c {
			case '=':
				p.beginValue(p.name)
				p.name = p.name[:0]
				p.ust = uValue
			case '&':
				p.endField()
			case '%':
				p.ust = uNamePct1
			case '+':
				err = p.nameByte(' ')
			default:
				err = p.nameByte(c)
			}
		case uNamePct1, uValuePct1:
			h := ascii.Unhex(c)
			if h < 0 {
				err = errBadEscape(c)
				break
			}
			p.pct = byte(h << 4)
			p.ust++
		case uNamePct2:
			h := ascii.Unhex(c)
			if h < 0 {
				err = errBadEscape(c)
				break
			}
			p.ust = uName
			err = p.nameByte(p.pct | byte(h))
		case uValue:
			switch c {
			case '&':
				p.endField()
			case '%':
				p.ust = uValuePct1
			case '+':
				err = p.valueByte(' ')
			default:
				err = p.valueByte(c)
			}
		case uValuePct2:
			h := ascii.Unhex(c)
			if h < 0 {
				err = errBadEscape(c)
				break
			}
			p.ust = uValue
			err = p.valueByte(p.pct | byte(h))
		}
		if err != nil {
			return i, err
		}
	}
	return len(b), nil
}

// finalizeURL ends the last field.
func (p *Parser) finalizeURL() error {
	switch p.ust {
	case uName:
		if len(p.name) > 0 {
			p.endField()
		}
	case uValue:
		p.endField()
	default:
		return fmt.Errorf("%w: body ends inside a %%-escape", ErrMalformed)
	}
	return nil
}
