// Package ascii holds the byte-level helpers that golws's HTTP code
// shares: optional-whitespace trimming, ASCII case folding, hex digits
// and RFC 9110 token characters. The HTTP/1 parser (h1), the server's
// header handling, the CGI response-header parser (internal/cgi) and the
// form parser (spa) all use this one copy. Nothing here allocates, and
// every function is small enough to be inlined into the parsers' hot
// loops.
package ascii

// Lower folds an ASCII upper-case letter to lower case and returns any
// other byte unchanged.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// EqualFold reports whether b equals s, ignoring the case of ASCII letters
// only (a non-ASCII byte matches only itself).
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if Lower(b[i]) != Lower(s[i]) {
			return false
		}
	}
	return true
}

// EqualFoldLower is EqualFold for an s known to hold no upper-case
// letter, as the lookup tables of header names do; it folds only b.
func EqualFoldLower(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if Lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// TrimOWS returns b without its leading and trailing optional whitespace
// (spaces and horizontal tabs, RFC 9110 section 5.6.3).
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// Unhex returns the value of the hex digit c (either case), or -1 when c
// is not one.
func Unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// IsTchar reports whether c is an RFC 9110 tchar, a byte that may appear
// in a token such as a header name.
func IsTchar(c byte) bool {
	return c < 0x80 && tchars[c>>6]&(1<<(c&63)) != 0
}

// IsToken reports whether b is a non-empty RFC 9110 token.
func IsToken(b []byte) bool {
	for _, c := range b {
		if !IsTchar(c) {
			return false
		}
	}
	return len(b) > 0
}

// tchars is a bitmap of the tchar bytes, bit c&63 of word c>>6.
var tchars = func() (m [2]uint64) {
	for c := 0; c < 0x80; c++ {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			ok = true
		}
		if ok {
			m[c>>6] |= 1 << (c & 63)
		}
	}
	return m
}()
