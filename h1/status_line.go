package h1

import "github.com/golws/lws/httpsem"

// ParseStatusLine parses a response's status line without its line end,
// "HTTP/1.1 200 OK": the minor version (0 or more, of HTTP/1) and the
// status code.
func ParseStatusLine(line []byte) (minor, status int, ok bool) {
	const proto = "HTTP/1."
	if len(line) < len(proto)+5 || string(line[:len(proto)]) != proto {
		return 0, 0, false
	}
	v := line[len(proto)]
	if v < '0' || v > '9' || line[len(proto)+1] != ' ' {
		return 0, 0, false
	}
	code := line[len(proto)+2:]
	if len(code) < 3 || (len(code) > 3 && code[3] != ' ') {
		return 0, 0, false
	}
	n, ok := httpsem.ParseContentLength(code[:3])
	if !ok || n < 100 {
		return 0, 0, false
	}
	return int(v - '0'), int(n), true
}
