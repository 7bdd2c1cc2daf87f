package ws

import "unicode/utf8"

// States of the UTF-8 automaton. Each multi-byte start byte leads to a
// state naming what the next byte may be (Unicode Table 3-7, "Well-Formed
// UTF-8 Byte Sequences"), so that overlong forms, surrogates and code
// points above U+10FFFF fail on the first byte that rules them out.
const (
	utf8Accept  uint8 = iota // on a character boundary
	utf8Need1                // one more byte in 80..BF
	utf8Need2                // two more, the next in 80..BF
	utf8Need3                // three more, the next in 80..BF
	utf8AfterE0              // next in A0..BF (no overlong 3-byte forms), then one more
	utf8AfterED              // next in 80..9F (no surrogates), then one more
	utf8AfterF0              // next in 90..BF (no overlong 4-byte forms), then two more
	utf8AfterF4              // next in 80..8F (nothing above U+10FFFF), then two more
	utf8Reject               // invalid; stays so
	utf8States
)

var utf8Trans = buildUTF8Trans()

func buildUTF8Trans() (t [utf8States][256]uint8) {
	for s := range t {
		for c := range t[s] {
			t[s][c] = utf8Step(uint8(s), byte(c))
		}
	}
	return t
}

func utf8Step(s uint8, c byte) uint8 {
	in := func(lo, hi byte) bool { return c >= lo && c <= hi }
	switch s {
	case utf8Accept:
		switch {
		case c < 0x80:
			return utf8Accept
		case in(0xC2, 0xDF):
			return utf8Need1
		case c == 0xE0:
			return utf8AfterE0
		case in(0xE1, 0xEC), in(0xEE, 0xEF):
			return utf8Need2
		case c == 0xED:
			return utf8AfterED
		case c == 0xF0:
			return utf8AfterF0
		case in(0xF1, 0xF3):
			return utf8Need3
		case c == 0xF4:
			return utf8AfterF4
		}
	case utf8Need1:
		if in(0x80, 0xBF) {
			return utf8Accept
		}
	case utf8Need2:
		if in(0x80, 0xBF) {
			return utf8Need1
		}
	case utf8Need3:
		if in(0x80, 0xBF) {
			return utf8Need2
		}
	case utf8AfterE0:
		if in(0xA0, 0xBF) {
			return utf8Need1
		}
	case utf8AfterED:
		if in(0x80, 0x9F) {
			return utf8Need1
		}
	case utf8AfterF0:
		if in(0x90, 0xBF) {
			return utf8Need2
		}
	case utf8AfterF4:
		if in(0x80, 0x8F) {
			return utf8Need2
		}
	}
	return utf8Reject
}

// UTF8 validates UTF-8 incrementally, across any split of the text into
// pieces (frames, or reads within a frame). It accepts exactly RFC 3629
// UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. The
// Write call that brings the first byte that can never be part of valid
// text, however the text continues, returns false: a surrogate fails on
// its second byte (ED A0), U+110000 on its second byte (F4 90), and a
// sequence cut short by an ASCII byte on that byte, even when the lead
// byte came in an earlier write. This is what the Autobahn testsuite's
// "fail fast" cases (6.4.x) expect.
//
// Its zero value is ready, at the start of a text. It does not allocate.
type UTF8 struct {
	state uint8
}

// Write feeds the next bytes of the text. It returns false as soon as the
// text so far can no longer be valid UTF-8, and keeps returning false
// until Reset.
func (v *UTF8) Write(p []byte) bool {
	s := v.state
	if s == utf8Reject {
		return false
	}
	i := 0
	// Finish a character left incomplete by the previous write.
	for ; s != utf8Accept && i < len(p); i++ {
		if s = utf8Trans[s][p[i]]; s == utf8Reject {
			v.state = s
			return false
		}
	}
	if i == len(p) {
		v.state = s
		return true
	}
	// Split off the last character if it may be incomplete: it starts at
	// the last byte that is not a continuation byte, if that is among the
	// last three. Everything before that byte must be valid on its own,
	// since no later byte can complete a character there; the standard
	// library checks that part quickly, and the automaton takes the rest.
	k := len(p)
	for j := len(p) - 1; j >= i && j >= len(p)-3; j-- {
		if p[j]&0xC0 != 0x80 {
			k = j
			break
		}
	}
	if !utf8.Valid(p[i:k]) {
		v.state = utf8Reject
		return false
	}
	for _, c := range p[k:] {
		if s = utf8Trans[s][c]; s == utf8Reject {
			v.state = s
			return false
		}
	}
	v.state = s
	return true
}

// Complete reports whether the bytes written so far are valid and end on
// a character boundary. The connection layer checks it at the end of a
// text message.
func (v *UTF8) Complete() bool { return v.state == utf8Accept }

// Failed reports whether the bytes written so far are invalid.
func (v *UTF8) Failed() bool { return v.state == utf8Reject }

// Reset makes v ready for a new text.
func (v *UTF8) Reset() { v.state = utf8Accept }

// ValidUTF8 reports whether p is entirely valid UTF-8 by the rules of
// UTF8.
func ValidUTF8(p []byte) bool {
	var v UTF8
	return v.Write(p) && v.Complete()
}
