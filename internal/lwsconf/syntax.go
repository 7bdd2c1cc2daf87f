package lwsconf

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// This file is the syntax layer: lws's JSON dialect (JSON plus '#'
// comments) read into a tree of nodes that remember where they start.
// Meaning is given to the tree in keys.go.

// maxDepth bounds how deeply objects and arrays may nest. lws's parser
// allows 12 levels; real configurations need 5 or 6, and the bound keeps
// hostile input from exhausting the stack.
const maxDepth = 100

// nodeKind is what a node holds.
type nodeKind int

const (
	nString nodeKind = iota
	nNumber
	nBool
	nNull
	nObject
	nArray
)

// node is one JSON value and where it starts.
type node struct {
	kind    nodeKind
	pos     Pos
	text    string    // nString: the unescaped text; nNumber: the literal; nBool: "true" or "false"
	members []*member // nObject, in file order (duplicates kept)
	elems   []*node   // nArray
}

// member is one "key": value pair of an object.
type member struct {
	key string
	pos Pos // where the key starts
	val *node
}

// tokKind is a lexical token's kind.
type tokKind int

const (
	tEOF tokKind = iota
	tPunct
	tString
	tNumber
	tWord    // a run of letters, digits, '_', '-', '.': true, false, null or a mistake
	tIllegal // any other byte
)

// token is one lexical token.
type token struct {
	kind tokKind
	pos  Pos
	text string // tPunct: the character; tString: unescaped; tNumber, tWord, tIllegal: as written
}

// syntax parses one file into a tree.
type syntax struct {
	file string
	data []byte
	off  int
	line int
	col  int // of data[off], counting bytes from 1
	tok  token
}

// parseTree parses data as one configuration file. It returns nil and no
// error for a file holding nothing but white space and comments, which
// lws accepts.
func parseTree(file string, data []byte) (*node, error) {
	s := &syntax{file: file, data: data, line: 1, col: 1}
	if len(data) >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf {
		s.off, s.col = 3, 4 // a UTF-8 byte order mark, as some editors write
	}
	if err := s.next(); err != nil {
		return nil, err
	}
	if s.tok.kind == tEOF {
		return nil, nil
	}
	if !s.is('{') {
		return nil, s.errf(s.tok.pos, "expected '{': a configuration file is one JSON object")
	}
	n, err := s.value(0)
	if err != nil {
		return nil, err
	}
	if s.tok.kind != tEOF {
		return nil, s.errf(s.tok.pos, "expected end of file after the top-level object")
	}
	return n, nil
}

func (s *syntax) errf(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (s *syntax) pos() Pos { return Pos{File: s.file, Line: s.line, Col: s.col} }

// advance moves past n bytes that hold no newline.
func (s *syntax) advance(n int) {
	s.off += n
	s.col += n
}

// is reports whether the current token is the punctuation c.
func (s *syntax) is(c byte) bool {
	return s.tok.kind == tPunct && s.tok.text[0] == c
}

// skipSpace skips white space and '#' comments.
func (s *syntax) skipSpace() {
	for s.off < len(s.data) {
		switch c := s.data[s.off]; c {
		case '\n':
			s.off++
			s.line++
			s.col = 1
		case ' ', '\t', '\r':
			s.advance(1)
		case '#':
			for s.off < len(s.data) && s.data[s.off] != '\n' {
				s.advance(1)
			}
		default:
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '+'
}

// next reads the next token into s.tok.
func (s *syntax) next() error {
	s.skipSpace()
	p := s.pos()
	if s.off >= len(s.data) {
		s.tok = token{kind: tEOF, pos: p}
		return nil
	}
	c := s.data[s.off]
	switch {
	case c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',':
		s.tok = token{kind: tPunct, pos: p, text: string(c)}
		s.advance(1)
		return nil
	case c == '"':
		return s.str(p)
	case c == '-' || c >= '0' && c <= '9':
		return s.number(p)
	case isWordByte(c):
		start := s.off
		for s.off < len(s.data) && isWordByte(s.data[s.off]) {
			s.advance(1)
		}
		s.tok = token{kind: tWord, pos: p, text: string(s.data[start:s.off])}
		return nil
	default:
		_, n := utf8.DecodeRune(s.data[s.off:])
		s.tok = token{kind: tIllegal, pos: p, text: string(s.data[s.off : s.off+n])}
		s.advance(n)
		return nil
	}
}

// number reads a JSON number, keeping its literal text.
func (s *syntax) number(p Pos) error {
	start := s.off
	digits := func() int {
		n := 0
		for s.off < len(s.data) && s.data[s.off] >= '0' && s.data[s.off] <= '9' {
			s.advance(1)
			n++
		}
		return n
	}
	bad := func() error {
		for s.off < len(s.data) && isWordByte(s.data[s.off]) {
			s.advance(1)
		}
		return s.errf(p, "malformed number %s", strconv.Quote(string(s.data[start:s.off])))
	}
	if s.data[s.off] == '-' {
		s.advance(1)
	}
	lead := s.off
	if digits() == 0 {
		return bad()
	}
	if s.data[lead] == '0' && s.off-lead > 1 {
		return bad() // JSON has no leading zeros
	}
	if s.off < len(s.data) && s.data[s.off] == '.' {
		s.advance(1)
		if digits() == 0 {
			return bad()
		}
	}
	if s.off < len(s.data) && (s.data[s.off] == 'e' || s.data[s.off] == 'E') {
		s.advance(1)
		if s.off < len(s.data) && (s.data[s.off] == '+' || s.data[s.off] == '-') {
			s.advance(1)
		}
		if digits() == 0 {
			return bad()
		}
	}
	if s.off < len(s.data) && isWordByte(s.data[s.off]) {
		return bad()
	}
	s.tok = token{kind: tNumber, pos: p, text: string(s.data[start:s.off])}
	return nil
}

// str reads a string token; p is where its opening quote is.
func (s *syntax) str(p Pos) error {
	s.advance(1)
	var b []byte
	for {
		if s.off >= len(s.data) || s.data[s.off] == '\n' {
			return s.errf(p, "unterminated string")
		}
		c := s.data[s.off]
		switch c {
		case '"':
			s.advance(1)
			s.tok = token{kind: tString, pos: p, text: string(b)}
			return nil
		case '\\':
			ep := s.pos()
			if s.off+1 >= len(s.data) {
				return s.errf(p, "unterminated string")
			}
			e := s.data[s.off+1]
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, n, ok := s.unicodeEscape(s.off)
				if !ok {
					return s.errf(ep, "bad \\u escape in string: want \\u and four hex digits")
				}
				b = utf8.AppendRune(b, r)
				s.advance(n)
				continue
			default:
				if e < 0x20 || e >= 0x7f {
					return s.errf(ep, "bad escape in string: '\\' must be followed by one of \" \\ / b f n r t u")
				}
				return s.errf(ep, "bad escape \\%c in string: '\\' must be followed by one of \" \\ / b f n r t u", e)
			}
			s.advance(2)
		default:
			b = append(b, c)
			s.advance(1)
		}
	}
}

// hex4 decodes four hex digits at data[i:].
func (s *syntax) hex4(i int) (rune, bool) {
	if i+4 > len(s.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// unicodeEscape decodes the \uXXXX escape at data[i:] (and the low half
// of a surrogate pair following it), returning the rune and the bytes
// used. A lone surrogate becomes U+FFFD, as encoding/json does.
func (s *syntax) unicodeEscape(i int) (rune, int, bool) {
	r, ok := s.hex4(i + 2)
	if !ok {
		return 0, 0, false
	}
	if r >= 0xd800 && r < 0xdc00 && i+12 <= len(s.data) && s.data[i+6] == '\\' && s.data[i+7] == 'u' {
		if lo, ok := s.hex4(i + 8); ok && lo >= 0xdc00 && lo < 0xe000 {
			return 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00), 12, true
		}
	}
	if r >= 0xd800 && r < 0xe000 {
		r = utf8.RuneError
	}
	return r, 6, true
}

// describe names a token for "expected a value" errors.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tWord:
		return fmt.Sprintf("the bare word %s (values are quoted: \"%s\")", t.text, t.text)
	case tIllegal:
		return strconv.Quote(t.text)
	default:
		return "'" + t.text + "'"
	}
}

// value parses the value starting at the current token, leaving the token
// after it current.
func (s *syntax) value(depth int) (*node, error) {
	t := s.tok
	switch t.kind {
	case tString:
		return &node{kind: nString, pos: t.pos, text: t.text}, s.next()
	case tNumber:
		return &node{kind: nNumber, pos: t.pos, text: t.text}, s.next()
	case tWord:
		switch t.text {
		case "true", "false":
			return &node{kind: nBool, pos: t.pos, text: t.text}, s.next()
		case "null":
			return &node{kind: nNull, pos: t.pos, text: t.text}, s.next()
		}
	case tPunct:
		switch t.text[0] {
		case '{':
			if depth >= maxDepth {
				return nil, s.errf(t.pos, "objects and arrays nest too deeply (more than %d levels)", maxDepth)
			}
			return s.object(depth + 1)
		case '[':
			if depth >= maxDepth {
				return nil, s.errf(t.pos, "objects and arrays nest too deeply (more than %d levels)", maxDepth)
			}
			return s.array(depth + 1)
		}
	}
	return nil, s.errf(t.pos, "expected a value, found %s", describe(t))
}

// object parses an object; the current token is its '{'.
func (s *syntax) object(depth int) (*node, error) {
	n := &node{kind: nObject, pos: s.tok.pos}
	if err := s.next(); err != nil {
		return nil, err
	}
	if s.is('}') {
		return n, s.next()
	}
	for {
		if s.tok.kind != tString {
			if len(n.members) == 0 {
				return nil, s.errf(s.tok.pos, "expected a string key or '}' in an object")
			}
			return nil, s.errf(s.tok.pos, "expected a string key after ','")
		}
		m := &member{key: s.tok.text, pos: s.tok.pos}
		if err := s.next(); err != nil {
			return nil, err
		}
		if !s.is(':') {
			return nil, s.errf(s.tok.pos, "expected ':' after the key %s", strconv.Quote(m.key))
		}
		if err := s.next(); err != nil {
			return nil, err
		}
		v, err := s.value(depth)
		if err != nil {
			return nil, err
		}
		m.val = v
		n.members = append(n.members, m)
		switch {
		case s.is(','):
			if err := s.next(); err != nil {
				return nil, err
			}
		case s.is('}'):
			return n, s.next()
		default:
			return nil, s.errf(s.tok.pos, "expected ',' or '}' after an object member")
		}
	}
}

// array parses an array; the current token is its '['.
func (s *syntax) array(depth int) (*node, error) {
	n := &node{kind: nArray, pos: s.tok.pos}
	if err := s.next(); err != nil {
		return nil, err
	}
	if s.is(']') {
		return n, s.next()
	}
	for {
		v, err := s.value(depth)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		switch {
		case s.is(','):
			if err := s.next(); err != nil {
				return nil, err
			}
		case s.is(']'):
			return n, s.next()
		default:
			return nil, s.errf(s.tok.pos, "expected ',' or ']' after an array element")
		}
	}
}
