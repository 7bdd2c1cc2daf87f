package cgi

import "github.com/golws/lws/h1"

// MaxSniff bounds how much of a body [SniffChunked] looks at: a size line
// with its chunk extensions longer than this is not taken for one.
const MaxSniff = 1024

// SniffChunked tells, from the first bytes of the body of a script that
// declared "Transfer-Encoding: chunked", whether the body really is
// chunk-coded. Some scripts declare it and write plain bytes, trusting the
// server to frame them (lws and Go's net/http/cgi do, whatever the script
// says); others chunk what they write. A chunk-coded body starts with a
// chunk-size line as h1.ChunkedDecoder reads it (RFC 9112 section 7.1):
// 1 to 15 hex digits, optional chunk extensions (whitespace only before
// their ';'), and CRLF. Anything else is plain output.
//
// decided is false while b is still a proper prefix of such a line, up to
// MaxSniff bytes: the caller waits for more output, or takes the body as
// plain if the output ends there. A plain body whose first line is a hex
// number ended by CRLF is mistaken for chunked; the decoding that follows
// then fails, and the server ends the response as incomplete.
func SniffChunked(b []byte) (chunked, decided bool) {
	var d h1.ChunkedDecoder
	for i := range b {
		if i >= MaxSniff {
			return false, true
		}
		if _, _, err := d.Next(b[i : i+1]); err != nil {
			return false, true
		}
		if b[i] == '\n' {
			return true, true // the decoder took a whole size line
		}
	}
	return false, len(b) >= MaxSniff
}
