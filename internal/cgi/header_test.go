package cgi

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// parseResult is everything a parse yields, for comparisons.
type parseResult struct {
	N             int
	Done          bool
	Err           string
	Status        int
	Reason        string
	Location      string
	ContentLength int64
	Chunked       bool
	Headers       [][2]string
	Head          string
}

func resultOf(h *HeaderParser, n int, done bool, err error) parseResult {
	r := parseResult{N: n, Done: done}
	if err != nil {
		var he *HeaderError
		if !errors.As(err, &he) {
			r.Err = "not a *HeaderError: " + err.Error()
		} else {
			r.Err = he.Reason
		}
		r.N = 0
		return r
	}
	if !done {
		return r
	}
	r.Status, r.Reason, r.Location = h.Status, h.Reason, h.Location
	r.ContentLength, r.Chunked = h.ContentLength, h.Chunked
	r.Headers = append([][2]string(nil), h.Headers()...)
	r.Head = string(h.AppendResponseHead(nil, false, false))
	return r
}

// parseOneShot parses in with a single Parse call.
func parseOneShot(maxHead int, in []byte) parseResult {
	h := HeaderParser{MaxHead: maxHead}
	n, done, err := h.Parse(in)
	return resultOf(&h, n, done, err)
}

// parseSplit feeds in to Parse in pieces of size step (the last may be
// shorter), stopping at done or error.
func parseSplit(maxHead int, in []byte, step int) parseResult {
	h := HeaderParser{MaxHead: maxHead}
	total := 0
	var done bool
	var err error
	for off := 0; off < len(in) && !done && err == nil; off += step {
		end := min(off+step, len(in))
		var n int
		n, done, err = h.Parse(in[off:end])
		if err == nil && n != end-off && !done {
			return parseResult{Err: "partial consumption without done"}
		}
		total += n
	}
	if len(in) == 0 {
		var n int
		n, done, err = h.Parse(nil)
		total += n
	}
	return resultOf(&h, total, done, err)
}

func TestHeaderParser(t *testing.T) {
	hs := func(kv ...string) [][2]string {
		var out [][2]string
		for i := 0; i < len(kv); i += 2 {
			out = append(out, [2]string{kv[i], kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name    string
		in      string
		max     int
		done    bool
		err     string // substring of the HeaderError reason
		status  int
		reason  string
		loc     string
		cl      int64
		chunked bool
		headers [][2]string
		body    string
	}{
		{name: "plain CRLF", in: "Content-Type: text/plain\r\n\r\nhello", done: true,
			status: 200, cl: -1, headers: hs("Content-Type", "text/plain"), body: "hello"},
		{name: "plain LF", in: "Content-Type: text/plain\n\nhello", done: true,
			status: 200, cl: -1, headers: hs("Content-Type", "text/plain"), body: "hello"},
		{name: "mixed endings", in: "A: 1\nB: 2\r\n\nbody\r\n\r\n", done: true,
			status: 200, cl: -1, headers: hs("A", "1", "B", "2"), body: "body\r\n\r\n"},
		{name: "status with reason", in: "Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n", done: true,
			status: 404, reason: "Not Found", cl: -1, headers: hs("Content-Type", "text/html")},
		{name: "status bare", in: "status:503\n\n", done: true, status: 503, cl: -1},
		{name: "status tab reason", in: "Status: 299\tWeird  Thing \n\n", done: true,
			status: 299, reason: "Weird  Thing", cl: -1},
		{name: "location 302", in: "Location: http://example.org/x\r\n\r\n", done: true,
			status: 302, loc: "http://example.org/x", cl: -1},
		{name: "location with status", in: "Location: /y\nStatus: 301 Moved\n\n", done: true,
			status: 301, reason: "Moved", loc: "/y", cl: -1},
		{name: "content-length", in: "Content-Length: 42\r\nX-A: b\r\n\r\n", done: true,
			status: 200, cl: 42, headers: hs("X-A", "b")},
		{name: "content-length zero", in: "content-length:0\n\n", done: true, status: 200, cl: 0},
		{name: "content-length repeated same", in: "Content-Length: 5\nContent-Length: 5\n\n", done: true, status: 200, cl: 5},
		{name: "chunked", in: "Transfer-Encoding: Chunked\nContent-Type: a/b\n\n5\r\nhello", done: true,
			status: 200, cl: -1, chunked: true, headers: hs("Content-Type", "a/b"), body: "5\r\nhello"},
		{name: "hop by hop dropped", in: "Connection: close\nKeep-Alive: 5\nUpgrade: websocket\nTE: trailers\nProxy-Connection: x\nX: y\n\n", done: true,
			status: 200, cl: -1, headers: hs("X", "y")},
		{name: "more hop by hop dropped", in: "Trailer: X-Sum\nproxy-authenticate: Basic\nProxy-Foo: 1\nProxy: kept\nX: y\n\n", done: true,
			status: 200, cl: -1, headers: hs("Proxy", "kept", "X", "y")},
		{name: "connection names hop by hop", in: "X-Before: 1\nConnection: x-before, , X-After ,keep-alive\nX-After: 2\nX-Keep: 3\n\n", done: true,
			status: 200, cl: -1, headers: hs("X-Keep", "3")},
		{name: "empty value and ows", in: "X-Empty:\nX-Pad:   v  w \t\n\n", done: true,
			status: 200, cl: -1, headers: hs("X-Empty", "", "X-Pad", "v  w")},
		{name: "tchar name", in: "X!#$%&'*+-.^_`|~9: v\n\n", done: true,
			status: 200, cl: -1, headers: hs("X!#$%&'*+-.^_`|~9", "v")},
		{name: "obs-text value kept", in: "X: caf\xc3\xa9\n\n", done: true,
			status: 200, cl: -1, headers: hs("X", "caf\xc3\xa9")},
		{name: "incomplete", in: "Content-Type: text/plain\r\n", done: false},
		{name: "incomplete partial line", in: "Content-Type: text/pl", done: false},
		{name: "empty input", in: "", done: false},

		{name: "no headers", in: "\r\nbody", err: "no header fields"},
		{name: "no headers LF", in: "\n", err: "no header fields"},
		{name: "no colon", in: "Content-Type text/plain\n\n", err: "colon"},
		{name: "empty name", in: ": v\n\n", err: "empty header name"},
		{name: "space in name", in: "Content Type: a\n\n", err: "header name"},
		{name: "space before colon", in: "Content-Type : a\n\n", err: "header name"},
		{name: "obs-fold", in: "A: b\n  c\n\n", err: "colon"},
		{name: "obs-fold colon", in: "A: b\n c: d\n\n", err: "header name"},
		{name: "http status line", in: "HTTP/1.1 200 OK\n\n", err: "colon"},
		{name: "cr in value", in: "X-A: a\rSet-Cookie: evil=1\r\n\r\n", err: "control character"},
		{name: "cr in name", in: "X\r-A: a\n\n", err: "header name"},
		{name: "nul in value", in: "X-A: a\x00b\n\n", err: "control character"},
		{name: "del in value", in: "X-A: a\x7fb\n\n", err: "control character"},
		{name: "non-ascii name", in: "X\xc3\xa9: a\n\n", err: "header name"},
		{name: "status letters", in: "Status: abc\n\n", err: "invalid Status"},
		{name: "status four digits", in: "Status: 2000\n\n", err: "invalid Status"},
		{name: "status short", in: "Status: 20\n\n", err: "invalid Status"},
		{name: "status 1xx", in: "Status: 101 Switching\n\n", err: "out of range"},
		{name: "status 600", in: "Status: 600\n\n", err: "out of range"},
		{name: "status repeated", in: "Status: 200\nStatus: 404\n\n", err: "repeated Status"},
		{name: "location repeated", in: "Location: /a\nLocation: /b\n\n", err: "repeated Location"},
		{name: "location empty", in: "Location:\n\n", err: "empty Location"},
		{name: "content-length sign", in: "Content-Length: +5\n\n", err: "Content-Length"},
		{name: "content-length negative", in: "Content-Length: -1\n\n", err: "Content-Length"},
		{name: "content-length hex", in: "Content-Length: 0x10\n\n", err: "Content-Length"},
		{name: "content-length empty", in: "Content-Length:\n\n", err: "Content-Length"},
		{name: "content-length list", in: "Content-Length: 5, 5\n\n", err: "Content-Length"},
		{name: "content-length huge", in: "Content-Length: 99999999999999999999\n\n", err: "Content-Length"},
		{name: "content-length conflict", in: "Content-Length: 5\nContent-Length: 6\n\n", err: "conflicting"},
		{name: "te gzip", in: "Transfer-Encoding: gzip\n\n", err: "Transfer-Encoding"},
		{name: "te repeated", in: "Transfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n", err: "Transfer-Encoding"},
		{name: "te and cl", in: "Transfer-Encoding: chunked\nContent-Length: 3\n\n", err: "both"},
		{name: "oversize", in: "X: " + strings.Repeat("a", 100) + "\n\n", max: 64, err: "too long"},
		{name: "oversize partial", in: "X: " + strings.Repeat("a", 100), max: 64, err: "too long"},
		{name: "oversize default", in: "X: " + strings.Repeat("a", 5000) + "\n\n", err: "too long"},
		{name: "exact limit", in: "X: abc\n\n", max: 8, done: true, status: 200, cl: -1, headers: hs("X", "abc")},
		{name: "one over limit", in: "X: abc\n\n", max: 7, err: "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			h := HeaderParser{MaxHead: tc.max}
			n, done, err := h.Parse(in)
			if tc.err != "" {
				var he *HeaderError
				if !errors.As(err, &he) || !strings.Contains(he.Reason, tc.err) {
					t.Fatalf("err = %v, want reason containing %q", err, tc.err)
				}
				if _, _, err2 := h.Parse([]byte("X: y\n\n")); err2 != err {
					t.Errorf("error not sticky: %v", err2)
				}
			} else {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if done != tc.done {
					t.Fatalf("done = %v, want %v", done, tc.done)
				}
				if !done {
					if n != len(in) {
						t.Errorf("n = %d, want all %d consumed", n, len(in))
					}
				} else {
					if got := string(in[n:]); got != tc.body {
						t.Errorf("body = %q, want %q", got, tc.body)
					}
					if h.Status != tc.status || h.Reason != tc.reason || h.Location != tc.loc ||
						h.ContentLength != tc.cl || h.Chunked != tc.chunked {
						t.Errorf("got status %d %q loc %q cl %d chunked %v, want %d %q %q %d %v",
							h.Status, h.Reason, h.Location, h.ContentLength, h.Chunked,
							tc.status, tc.reason, tc.loc, tc.cl, tc.chunked)
					}
					if !reflect.DeepEqual(h.Headers(), tc.headers) {
						t.Errorf("headers = %q, want %q", h.Headers(), tc.headers)
					}
					if n2, done2, err2 := h.Parse([]byte("more")); n2 != 0 || !done2 || err2 != nil {
						t.Errorf("Parse after done = %d %v %v", n2, done2, err2)
					}
				}
			}
			one := parseOneShot(tc.max, in)
			for _, step := range []int{1, 2, 3, 7} {
				if got := parseSplit(tc.max, in, step); !reflect.DeepEqual(got, one) {
					t.Errorf("step %d: %+v\none-shot: %+v", step, got, one)
				}
			}
		})
	}
}

func TestHeaderParserReset(t *testing.T) {
	h := HeaderParser{MaxHead: 100}
	if _, done, err := h.Parse([]byte("Status: 404\nLocation: /x\nContent-Length: 3\nX: y\n\n")); !done || err != nil {
		t.Fatal(done, err)
	}
	h.Reset()
	if h.MaxHead != 100 || h.Status != 200 || h.ContentLength != -1 || h.Location != "" || len(h.Headers()) != 0 {
		t.Fatalf("after Reset: %+v", h)
	}
	if _, done, err := h.Parse([]byte("Location: /z\n\n")); !done || err != nil || h.Status != 302 {
		t.Fatal(done, err, h.Status)
	}
	// Reset also clears a sticky error.
	h.Reset()
	if _, _, err := h.Parse([]byte("bad\n")); err == nil {
		t.Fatal("want error")
	}
	h.Reset()
	if _, done, err := h.Parse([]byte("A: b\n\n")); !done || err != nil {
		t.Fatal(done, err)
	}
}

func TestAppendResponseHead(t *testing.T) {
	parse := func(s string) *HeaderParser {
		t.Helper()
		h := &HeaderParser{}
		if _, done, err := h.Parse([]byte(s)); !done || err != nil {
			t.Fatalf("%q: %v %v", s, done, err)
		}
		return h
	}
	tests := []struct {
		in      string
		http10  bool
		chunked bool
		want    string
	}{
		{"Content-Type: text/plain\n\n", false, false,
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"},
		{"Content-Type: text/plain\nContent-Length: 12\n\n", true, false,
			"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 12\r\n"},
		{"Content-Type: text/plain\n\n", false, true,
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ntransfer-encoding: chunked\r\n"},
		{"Content-Length: 12\n\n", false, true,
			"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n"},
		{"Location: /there\n\n", false, false,
			"HTTP/1.1 302 Found\r\nLocation: /there\r\n"},
		{"Status: 404 Gone Fishing\nX-A: 1\nX-B: 2\n\n", false, false,
			"HTTP/1.1 404 Gone Fishing\r\nX-A: 1\r\nX-B: 2\r\n"},
		{"Status: 404\n\n", false, false, "HTTP/1.1 404 Not Found\r\n"},
		{"Status: 404 Nicht gefunden \xc3\xa4\n\n", false, false, "HTTP/1.1 404 Not Found\r\n"},
		{"Status: 299\n\n", false, false, "HTTP/1.1 299 Status\r\n"},
		{"Status: 503 Busy\nLocation: /later\n\n", false, false,
			"HTTP/1.1 503 Busy\r\nLocation: /later\r\n"},
	}
	for _, tc := range tests {
		h := parse(tc.in)
		got := string(h.AppendResponseHead([]byte("prefix|"), tc.http10, tc.chunked))
		if got != "prefix|"+tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, "prefix|"+tc.want)
		}
	}
}

// checkHead verifies that a rendered head is a sequence of CRLF-terminated
// lines with no stray CR, LF or NUL: no response splitting.
func checkHead(t *testing.T, head []byte) {
	t.Helper()
	if !bytes.HasSuffix(head, []byte("\r\n")) {
		t.Fatalf("head does not end in CRLF: %q", head)
	}
	for i, line := range bytes.Split(head[:len(head)-2], []byte("\r\n")) {
		if len(line) == 0 {
			t.Fatalf("empty line %d in head %q", i, head)
		}
		if bytes.ContainsAny(line, "\r\n\x00") {
			t.Fatalf("line %d %q has CR, LF or NUL", i, line)
		}
		if i > 0 && bytes.IndexByte(line, ':') <= 0 {
			t.Fatalf("line %d %q is not a header", i, line)
		}
	}
}

func FuzzHeaderParser(f *testing.F) {
	for _, s := range []string{
		"Content-Type: text/plain\r\n\r\nbody",
		"Status: 404 Not Found\nLocation: /x\n\n",
		"Location: http://a/\r\nContent-Length: 10\r\n\r\n0123456789",
		"Transfer-Encoding: chunked\n\n0\r\n\r\n",
		"X-A: a\rInjected: 1\r\n\r\n",
		"\r\n",
		"Status: 20",
		"Content-Length: 5\nContent-Length: 5\n\n",
	} {
		f.Add([]byte(s), uint16(0), uint8(1))
	}
	f.Add([]byte("X: "+strings.Repeat("a", 60)+"\n\n"), uint16(32), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, maxHead uint16, step uint8) {
		limit := int(maxHead % 2048)
		one := parseOneShot(limit, in)
		if got := parseSplit(limit, in, 1); !reflect.DeepEqual(got, one) {
			t.Fatalf("byte by byte: %+v\none-shot: %+v", got, one)
		}
		if step > 1 {
			if got := parseSplit(limit, in, int(step)); !reflect.DeepEqual(got, one) {
				t.Fatalf("step %d: %+v\none-shot: %+v", step, got, one)
			}
		}
		if !one.Done {
			return
		}
		if one.N > len(in) || (limit > 0 && one.N > limit) || (limit == 0 && one.N > DefaultMaxHead) {
			t.Fatalf("n = %d out of range", one.N)
		}
		if one.Status < 200 || one.Status > 599 {
			t.Fatalf("status %d", one.Status)
		}
		h := HeaderParser{MaxHead: limit}
		h.Parse(in)
		checkHead(t, h.AppendResponseHead(nil, false, false))
		checkHead(t, h.AppendResponseHead(nil, true, true))
	})
}
