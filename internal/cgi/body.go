package cgi

// MaxSniff bounds how much of a body [SniffChunked] looks at: a size line
// with its chunk extensions longer than this is not taken for one.
const MaxSniff = 1024

// SniffChunked tells, from the first bytes of the body of a script that
// declared "Transfer-Encoding: chunked", whether the body really is
// chunk-coded. Some scripts declare it and write plain bytes, trusting the
// server to frame them (lws and Go's net/http/cgi do, whatever the script
// says); others chunk what they write. A chunk-coded body starts with a
// chunk-size line (RFC 9112 section 7.1): 1 to 15 hex digits, optional
// chunk extensions after ';' (or whitespace), and CRLF. Anything else is
// plain output.
//
// decided is false while b is still a proper prefix of such a line, up to
// MaxSniff bytes: the caller waits for more output, or takes the body as
// plain if the output ends there. A plain body whose first line is a hex
// number ended by CRLF is mistaken for chunked; the decoding that follows
// then fails, and the server ends the response as incomplete.
func SniffChunked(b []byte) (chunked, decided bool) {
	digits := 0
	ext := false
	for i, c := range b {
		if i >= MaxSniff {
			return false, true
		}
		switch {
		case c == '\r':
			if digits == 0 {
				return false, true
			}
			if i+1 == len(b) {
				return false, false
			}
			return b[i+1] == '\n', true
		case ext:
			if (c < 0x20 && c != '\t') || c == 0x7f {
				return false, true
			}
		case isHex(c):
			if digits++; digits > 15 {
				return false, true
			}
		case digits > 0 && (c == ';' || c == ' ' || c == '\t'):
			ext = true
		default:
			return false, true
		}
	}
	return false, len(b) >= MaxSniff
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
