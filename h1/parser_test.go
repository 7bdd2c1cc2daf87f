package h1

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
)

// result is what parsing one input produced.
type result struct {
	n      int // bytes consumed in all
	done   bool
	status int // of the error, 0 if none
	reason string
	table  *hdr.Table
}

// parseChunks parses in into a fresh table of maxData bytes, handing it to
// the parser chunk bytes at a time (all at once if chunk is 0), until the
// head is done, an error is returned or the input runs out.
func parseChunks(tb testing.TB, in []byte, maxData, chunk int) result {
	tb.Helper()
	r := result{table: hdr.NewTable(maxData)}
	var p Parser
	p.Reset(r.table)
	for off := 0; off < len(in); {
		end := len(in)
		if chunk > 0 && off+chunk < end {
			end = off + chunk
		}
		n, done, err := p.Parse(in[off:end])
		r.n += n
		if err != nil {
			var e *httpsem.Error
			if !errors.As(err, &e) {
				tb.Fatalf("error %v is not an *Error", err)
			}
			r.status, r.reason = e.Status, e.Reason
			if n2, done2, err2 := p.Parse(in[off:end]); n2 != 0 || done2 || err2 != err {
				tb.Fatalf("a dead parser returned %d, %v, %v", n2, done2, err2)
			}
			return r
		}
		if done {
			r.done = true
			if n2, done2, err2 := p.Parse(in); n2 != 0 || !done2 || err2 != nil {
				tb.Fatalf("a done parser returned %d, %v, %v", n2, done2, err2)
			}
			return r
		}
		if n != end-off {
			tb.Fatalf("Parse used %d of %d bytes without finishing", n, end-off)
		}
		off = end
	}
	return r
}

// dump renders everything a table holds, for comparisons.
func dump(t *hdr.Table) string {
	var b strings.Builder
	b.WriteString("method=")
	if t.Method() < hdr.TokenCount {
		b.WriteString(strings.TrimSpace(t.Method().String()))
	}
	b.WriteString(" v=" + strconv.Itoa(t.Version()))
	for tok := range hdr.TokenCount {
		for i := range t.FragmentCount(tok) {
			b.WriteString(" " + tok.String() + "[" + string(t.Fragment(tok, i)) + "]")
		}
	}
	t.VisitCustom(func(name, value []byte) bool {
		b.WriteString(" ~" + string(name) + ":[" + string(value) + "]")
		return true
	})
	b.WriteString(" used=" + strconv.Itoa(t.Used()))
	return b.String()
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkSplits parses in whole and in pieces of several sizes and fails
// unless every way gives the same result; it returns the whole one.
func checkSplits(t *testing.T, in []byte, maxData int) result {
	t.Helper()
	whole := parseChunks(t, in, maxData, 0)
	wd := dump(whole.table)
	for _, chunk := range []int{1, 2, 3, 7, 64} {
		r := parseChunks(t, in, maxData, chunk)
		if r.n != whole.n || r.done != whole.done || r.status != whole.status || r.reason != whole.reason {
			t.Errorf("%q in %d-byte chunks: n %d done %v status %d %q; whole: n %d done %v status %d %q",
				in, chunk, r.n, r.done, r.status, r.reason, whole.n, whole.done, whole.status, whole.reason)
		}
		if d := dump(r.table); d != wd {
			t.Errorf("%q in %d-byte chunks:\n got %s\nwhole %s", in, chunk, d, wd)
		}
	}
	return whole
}

// uses is the per-record overhead in the data area.
func uses(frags, customs int) int { return frags*hdr.FragmentOverhead + customs*hdr.CustomOverhead }

func TestRequests(t *testing.T) {
	tests := []struct {
		name string
		req  string
		want string // dump of the table
	}{
		{
			name: "minimal 1.0",
			req:  "GET / HTTP/1.0\r\n\r\n",
			want: "method=get v=10 get [/] http/1.1 [HTTP/1.0]",
		},
		{
			name: "bare LF",
			req:  "GET /x HTTP/1.1\nHost: a\n\n",
			want: "method=get v=11 get [/x] host:[a] http/1.1 [HTTP/1.1]",
		},
		{
			// RFC 9112 2.2 and lws: a bare LF ends any line of the head,
			// mixed with CRLF as it comes.
			name: "bare LF mixed with CRLF",
			req:  "GET /x HTTP/1.1\nHost: a\r\nX-A: b\n\r\n",
			want: "method=get v=11 get [/x] host:[a] http/1.1 [HTTP/1.1] ~x-a:[b]",
		},
		{
			name: "leading empty lines",
			req:  "\r\n\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n",
			want: "method=get v=11 get [/x] host:[a] http/1.1 [HTTP/1.1]",
		},
		{
			name: "browser GET",
			req: "GET /index.html?q=go+lang&lang=en HTTP/1.1\r\n" +
				"Host: example.com\r\n" +
				"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
				"Accept: text/html,application/xhtml+xml\r\n" +
				"Accept-Language: en-GB,en;q=0.5\r\n" +
				"Accept-Encoding: gzip, deflate, br\r\n" +
				"Connection: keep-alive\r\n" +
				"Cookie: a=1; b=2\r\n" +
				"DNT: 1\r\n" +
				"Upgrade-Insecure-Requests: 1\r\n" +
				"Cache-Control: max-age=0\r\n\r\n",
			want: "method=get v=11 get [/index.html] host:[example.com] connection:[keep-alive] " +
				"http/1.1 [HTTP/1.1] accept:[text/html,application/xhtml+xml] accept-encoding:[gzip, deflate, br] " +
				"accept-language:[en-GB,en;q=0.5] cache-control:[max-age=0] cookie:[a=1; b=2] " +
				"user-agent:[Mozilla/5.0 (X11; Linux x86_64)] uri-args[q=go lang] uri-args[lang=en] " +
				"~dnt:[1] ~upgrade-insecure-requests:[1]",
		},
		{
			name: "websocket upgrade",
			req: "GET /chat HTTP/1.1\r\n" +
				"Host: server.example.com\r\n" +
				"Upgrade: websocket\r\n" +
				"Connection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
				"Origin: http://example.com\r\n" +
				"Sec-WebSocket-Protocol: chat, superchat\r\n" +
				"Sec-WebSocket-Version: 13\r\n\r\n",
			want: "method=get v=11 get [/chat] host:[server.example.com] connection:[Upgrade] upgrade:[websocket] " +
				"origin:[http://example.com] sec-websocket-protocol:[chat, superchat] sec-websocket-key:[dGhlIHNhbXBsZSBub25jZQ==] " +
				"sec-websocket-version:[13] http/1.1 [HTTP/1.1]",
		},
		{
			name: "methods",
			req:  "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\n",
			want: "method=post v=11 post [/form] host:[h] http/1.1 [HTTP/1.1] content-length:[3] content-type:[text/plain]",
		},
		{name: "PUT", req: "PUT /a HTTP/1.0\r\n\r\n", want: "method=put v=10 put[/a] http/1.1 [HTTP/1.0]"},
		{name: "PATCH", req: "PATCH /a HTTP/1.0\r\n\r\n", want: "method=patch v=10 patch[/a] http/1.1 [HTTP/1.0]"},
		{name: "DELETE", req: "DELETE /a HTTP/1.0\r\n\r\n", want: "method=delete v=10 delete[/a] http/1.1 [HTTP/1.0]"},
		{name: "HEAD", req: "HEAD /a HTTP/1.0\r\n\r\n", want: "method=head v=10 head [/a] http/1.1 [HTTP/1.0]"},
		{name: "OPTIONS path", req: "OPTIONS /a HTTP/1.0\r\n\r\n", want: "method=options v=10 options [/a] http/1.1 [HTTP/1.0]"},
		{name: "OPTIONS *", req: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", want: "method=options v=11 options [*] host:[h] http/1.1 [HTTP/1.1]"},
		{
			name: "CONNECT",
			req:  "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
			want: "method=connect v=11 connect [example.com:443] host:[example.com:443] http/1.1 [HTTP/1.1]",
		},
		{
			name: "CONNECT IPv6",
			req:  "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
			want: "method=connect v=11 connect [[::1]:8080] host:[[::1]:8080] http/1.1 [HTTP/1.1]",
		},
		{
			name: "later minor version",
			req:  "GET / HTTP/1.7\r\nHost: h\r\n\r\n",
			want: "method=get v=11 get [/] host:[h] http/1.1 [HTTP/1.7]",
		},
		{
			name: "OWS and case",
			req:  "GET / HTTP/1.1\r\nhOsT:\t  h \t\r\nX-Thing:v a l  \r\nEmpty:\r\nSpaces:   \r\n\r\n",
			want: "method=get v=11 get [/] host:[h] http/1.1 [HTTP/1.1] ~x-thing:[v a l] ~empty:[] ~spaces:[]",
		},
		{
			name: "repeated headers",
			req: "GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nCookie: c=1\r\nAccept: b\r\nCookie: d=2\r\n" +
				"X-A: 1\r\nX-A: 2\r\n\r\n",
			want: "method=get v=11 get [/] host:[h] http/1.1 [HTTP/1.1] accept:[a] accept:[b] cookie:[c=1] cookie:[d=2] ~x-a:[1] ~x-a:[2]",
		},
		{
			name: "Sec-WebSocket-Origin is Origin",
			req:  "GET / HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Origin: o1\r\nOrigin: o2\r\n\r\n",
			want: "method=get v=11 get [/] host:[h] origin:[o1] origin:[o2] http/1.1 [HTTP/1.1]",
		},
		{
			name: "names that are prefixes of known ones, or extend them",
			req:  "GET / HTTP/1.1\r\nHost: h\r\nHos: 1\r\nHosts: 2\r\nSec-WebSocket: 3\r\nAccept-Encodingx: 4\r\nT: 5\r\nTE: 6\r\n\r\n",
			want: "method=get v=11 get [/] host:[h] http/1.1 [HTTP/1.1] te:[6] ~hos:[1] ~hosts:[2] ~sec-websocket:[3] ~accept-encodingx:[4] ~t:[5]",
		},
		{
			name: "tchars in names, obs-text in values",
			req:  "GET / HTTP/1.1\r\nHost: h\r\nX!#$%&'*+-.^_`|~9: caf\xc3\xa9\r\n\r\n",
			want: "method=get v=11 get [/] host:[h] http/1.1 [HTTP/1.1] ~x!#$%&'*+-.^_`|~9:[caf\xc3\xa9]",
		},
		{
			name: "query splitting",
			req:  "GET /p?a=1&b=&c&d=x=y;e=%26%3D%3B+%2B&&f=%20 HTTP/1.0\r\n\r\n",
			want: "method=get v=10 get [/p] http/1.1 [HTTP/1.0] uri-args[a=1] uri-args[b=] uri-args[c] uri-args[d=x=y] uri-args[e=&=; +] uri-args[] uri-args[f= ]",
		},
		{
			name: "empty query",
			req:  "GET /p? HTTP/1.0\r\n\r\n",
			want: "method=get v=10 get [/p] http/1.1 [HTTP/1.0] uri-args[]",
		},
		{
			name: "path is only %-decoded",
			req:  "GET /a+b/%41%2b%3f%26;x=1&y HTTP/1.0\r\n\r\n",
			want: "method=get v=10 get [/a+b/A+?&;x=1&y] http/1.1 [HTTP/1.0]",
		},
		{
			name: "utf-8 in the path",
			req:  "GET /%E2%82%AC/\xe2\x82\xac HTTP/1.0\r\n\r\n",
			want: "method=get v=10 get [/\xe2\x82\xac/\xe2\x82\xac] http/1.1 [HTTP/1.0]",
		},
		{
			name: "dot segments",
			req:  "GET /a/b/c/./../../g HTTP/1.0\r\n\r\n",
			want: "method=get v=10 get [/a/g] http/1.1 [HTTP/1.0]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := checkSplits(t, []byte(tc.req), 0)
			if r.status != 0 || !r.done || r.n != len(tc.req) {
				t.Fatalf("status %d %q done %v n %d of %d", r.status, r.reason, r.done, r.n, len(tc.req))
			}
			got := dump(r.table)
			got = got[:strings.LastIndex(got, " used=")]
			if got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct {
		name   string
		req    string
		status int
	}{
		{"unknown method", "BREW /pot HTTP/1.1\r\n", 403},
		{"lowercase method", "get / HTTP/1.1\r\n", 403},
		{"method prefix", "GE / HTTP/1.1\r\n", 403},
		{"method too long", "CONNECTX / HTTP/1.1\r\n", 403},
		{"method then CRLF", "GET\r\n", 403},
		{"leading space", " GET / HTTP/1.1\r\n", 403},
		{"bare CR before request", "\rGET / HTTP/1.1\r\n", 400},
		{"empty target", "GET  / HTTP/1.1\r\n", 400},
		{"no target", "GET \r\n", 400},
		{"no version", "GET /\r\n\r\n", 400},
		{"no version, SP", "GET / \r\n\r\n", 400},
		{"lowercase version", "GET / http/1.1\r\n", 400},
		{"short version", "GET / HTTP/1\r\n", 400},
		{"long version", "GET / HTTP/1.10\r\n", 400},
		{"two spaces before version", "GET /  HTTP/1.1\r\n", 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505},
		{"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505},
		{"CR without LF after version", "GET / HTTP/1.1\rHost: h\r\n\r\n", 400},
		{"relative target", "GET a/b HTTP/1.1\r\n", 403},
		{"absolute-form", "GET http://h/ HTTP/1.1\r\n", 403},
		{"query only", "GET ?a=b HTTP/1.1\r\n", 403},
		{"asterisk for GET", "GET * HTTP/1.1\r\n", 403},
		{"asterisk plus", "OPTIONS *x HTTP/1.1\r\n", 400},
		{"CONNECT path", "CONNECT /a HTTP/1.1\r\n", 400},
		{"CONNECT no port", "CONNECT example.com HTTP/1.1\r\n", 400},
		{"CONNECT bad port", "CONNECT example.com:44x HTTP/1.1\r\n", 400},
		{"CONNECT no host", "CONNECT :443 HTTP/1.1\r\n", 400},
		{"CONNECT bad host", "CONNECT a/b:443 HTTP/1.1\r\n", 400},
		{"bad escape", "GET /%zz HTTP/1.1\r\n", 403},
		{"bad second hex digit", "GET /%4g HTTP/1.1\r\n", 403},
		{"truncated escape", "GET /%4 HTTP/1.1\r\n", 403},
		{"truncated escape in query", "GET /?a=% HTTP/1.1\r\n", 403},
		{"escaped NUL", "GET /a%00b HTTP/1.1\r\n", 403},
		{"escaped CR", "GET /a%0d%0aX: y HTTP/1.1\r\n", 403},
		{"escaped DEL in query", "GET /?a=%7f HTTP/1.1\r\n", 403},
		{"raw tab in target", "GET /a\tb HTTP/1.1\r\n", 403},
		{"raw NUL", "GET /a\x00 HTTP/1.1\r\n", 400},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", 400},
		{"CR in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
		{"CTL in value", "GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n", 400},
		{"DEL in value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400},
		{"CTL in custom value fast path", "GET / HTTP/1.1\r\nX-Long: " + long + "\x1b" + long + "\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
		{"obs-fold tab", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400},
		{"whitespace line after request line", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
		{"tab before colon", "GET / HTTP/1.1\r\nX-A\t: h\r\n\r\n", 400},
		{"invalid name char", "GET / HTTP/1.1\r\nX(a): h\r\n\r\n", 400},
		{"invalid first name char", "GET / HTTP/1.1\r\n@x: h\r\n\r\n", 400},
		{"non-ASCII name", "GET / HTTP/1.1\r\nX\xc3\xa9: h\r\n\r\n", 400},
		{"empty name", "GET / HTTP/1.1\r\n: h\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400},
		{"bare CR at the end", "GET / HTTP/1.0\r\n\rX", 400},
		{"CR CR LF after a value", "GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", 400},
		{"bare CR ending a value", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},
		{"bare CR in the target", "GET /a\rb HTTP/1.1\r\n", 400},
		{"bare LF in the target", "GET /a\nb HTTP/1.1\r\n", 400},
		{"bare CR ending an empty value", "GET / HTTP/1.1\r\nX:\rHost: h\r\n\r\n", 400},
		{"missing Host in 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"too many empty lines", strings.Repeat("\r\n", 3000) + "GET / HTTP/1.0\r\n\r\n", 431},
		{"too much whitespace", "GET / HTTP/1.0\r\nX:" + strings.Repeat(" ", 5000) + "y\r\n\r\n", 431},
		{"long header", "GET / HTTP/1.0\r\nX: " + strings.Repeat("y", 5000) + "\r\n\r\n", 431},
		{"long custom name", "GET / HTTP/1.0\r\nX" + strings.Repeat("y", 5000) + ": z\r\n\r\n", 431},
		{"long target", "GET /" + strings.Repeat("y", 5000) + " HTTP/1.0\r\n\r\n", 414},
		{"long swallowed target", "GET /" + strings.Repeat("/", 5000) + " HTTP/1.0\r\n\r\n", 414},
		{"long query", "GET /?" + strings.Repeat("&", 5000) + " HTTP/1.0\r\n\r\n", 414},
		{"long CONNECT target", "CONNECT " + strings.Repeat("a", 5000) + ":1 HTTP/1.0\r\n\r\n", 414},
		{"many headers", "GET / HTTP/1.0\r\n" + strings.Repeat("Accept: x\r\n", 1000) + "\r\n", 431},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := checkSplits(t, []byte(tc.req), 0)
			if r.status != tc.status {
				t.Fatalf("status %d %q (done %v), want %d", r.status, r.reason, r.done, tc.status)
			}
			if r.reason == "" {
				t.Error("no reason")
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	r := parseChunks(t, []byte("GET / HTTP/3.0\r\n"), 0, 0)
	if r.status != 505 {
		t.Fatal(r.status)
	}
	var p Parser
	p.Reset(hdr.NewTable(0))
	_, _, err := p.Parse([]byte("GET / HTTP/3.0\r\n"))
	if got := err.Error(); got != "http: 505 HTTP version not supported" {
		t.Errorf("Error() = %q", got)
	}
}

// TestErrorOffset: n counts up to and including the refused byte.
func TestErrorOffset(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost : h\r\n\r\n"
	r := checkSplits(t, []byte(req), 0)
	if want := strings.Index(req, " :") + 1; r.n != want {
		t.Errorf("n = %d, want %d", r.n, want)
	}
	// in the fast path of a value, the byte that does not fit is refused
	req = "GET / HTTP/1.0\r\nX: " + strings.Repeat("v", 100) + "\r\n\r\n"
	r = checkSplits(t, []byte(req), 60)
	if r.status != 431 {
		t.Fatalf("status %d", r.status)
	}
	if want := len("GET / HTTP/1.0\r\nX: ") + 60 - (hdr.FragmentOverhead + 1 + hdr.FragmentOverhead + 8 + hdr.CustomOverhead + 1) + 1; r.n != want {
		t.Errorf("n = %d, want %d", r.n, want)
	}
}

func TestJoined(t *testing.T) {
	req := "GET /?a=1&b=2 HTTP/1.1\r\nHost: h\r\nAccept: x\r\nAccept: y\r\nCookie: c=1\r\nCookie: d=2\r\nUpgrade:\r\n\r\n"
	r := checkSplits(t, []byte(req), 0)
	tb := r.table
	for _, c := range []struct {
		tok  hdr.Token
		want string
	}{
		{hdr.TokenAccept, "x,y"},
		{hdr.TokenCookie, "c=1;d=2"},
		{hdr.TokenURIArgs, "a=1&b=2"},
		{hdr.TokenHost, "h"},
		{hdr.TokenUpgrade, ""},
		{hdr.TokenReferer, ""},
	} {
		got := tb.Copy([]byte("pre:"), c.tok)
		if string(got) != "pre:"+c.want {
			t.Errorf("Copy(%v) = %q, want %q", c.tok, got, c.want)
		}
		if n := tb.TotalLength(c.tok); n != len(c.want) {
			t.Errorf("TotalLength(%v) = %d, want %d", c.tok, n, len(c.want))
		}
	}
	if !tb.Has(hdr.TokenUpgrade) || tb.FragmentCount(hdr.TokenUpgrade) != 1 {
		t.Error("an empty header is present, with one empty fragment")
	}
	if tb.Has(hdr.TokenReferer) || tb.FragmentCount(hdr.TokenReferer) != 0 || tb.Fragment(hdr.TokenReferer, 0) != nil {
		t.Error("Referer is absent")
	}
	if tb.Fragment(hdr.TokenAccept, 2) != nil || tb.Fragment(hdr.TokenAccept, -1) != nil {
		t.Error("out-of-range fragment")
	}
	if tb.Has(hdr.TokenCount) || tb.TotalLength(hdr.TokenCount+3) != 0 || tb.FragmentCount(255) != 0 ||
		tb.Fragment(hdr.TokenCount, 0) != nil || len(tb.Copy(nil, hdr.TokenCount)) != 0 {
		t.Error("invalid tokens have no value")
	}
	// appending to a fragment must not overwrite the table
	f := tb.Fragment(hdr.TokenAccept, 0)
	_ = append(f, 'Z')
	if got := string(tb.Copy(nil, hdr.TokenAccept)); got != "x,y" {
		t.Errorf("append to a fragment changed the table: %q", got)
	}
}

func TestCustom(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost: h\r\nX-Custom: one\r\nx-other:two\r\nX-CUSTOM: three\r\nX-Empty:\r\n\r\n"
	r := checkSplits(t, []byte(req), 0)
	tb := r.table
	for _, c := range []struct {
		name, want string
		ok         bool
	}{
		{"x-custom", "one", true},
		{"X-Custom", "one", true},
		{"X-OTHER", "two", true},
		{"x-empty", "", true},
		{"x-missing", "", false},
		{"host", "", false}, // known headers are not custom
		{"x-custo", "", false},
	} {
		v, ok := tb.Custom(c.name)
		if ok != c.ok || string(v) != c.want {
			t.Errorf("Custom(%q) = %q, %v; want %q, %v", c.name, v, ok, c.want, c.ok)
		}
	}
	var got []string
	tb.VisitCustom(func(name, value []byte) bool {
		got = append(got, string(name)+"="+string(value))
		return true
	})
	if want := []string{"x-custom=one", "x-other=two", "x-custom=three", "x-empty="}; !equalStrings(got, want) {
		t.Errorf("VisitCustom: %q, want %q", got, want)
	}
	got = got[:0]
	tb.VisitCustom(func(name, value []byte) bool {
		got = append(got, string(name))
		return len(got) < 2
	})
	if len(got) != 2 {
		t.Errorf("VisitCustom did not stop: %q", got)
	}
}

func TestURLArg(t *testing.T) {
	req := "GET /p?a=1&flag&b=x%3Dy&a=2&c=&d%3De=f&ab=3&g=h+i HTTP/1.0\r\n\r\n"
	r := checkSplits(t, []byte(req), 0)
	tb := r.table
	for _, c := range []struct {
		name, want string
		ok         bool
	}{
		{"a", "1", true},
		{"flag", "", true},
		{"b", "x=y", true},
		{"c", "", true},
		{"d_e", "f", true},
		{"ab", "3", true},
		{"g", "h i", true},
		{"A", "", false},
		{"fla", "", false},
		{"z", "", false},
		{"", "", false},
	} {
		v, ok := tb.URLArg(c.name)
		if ok != c.ok || string(v) != c.want {
			t.Errorf("URLArg(%q) = %q, %v; want %q, %v", c.name, v, ok, c.want, c.ok)
		}
	}
}

// TestLimits: a request that needs exactly MaxData bytes parses; one byte
// less refuses it, with 431 for headers and 414 for the target.
func TestLimits(t *testing.T) {
	tests := []struct {
		name   string
		req    string
		status int
	}{
		{"header value", "GET /x HTTP/1.0\r\nAccept: abcdef\r\n\r\n", 431},
		{"custom name", "GET /x HTTP/1.0\r\nX-Long-Name-Here: v\r\n\r\n", 431},
		{"custom empty value", "GET /x HTTP/1.0\r\nX-Long-Name-Here:\r\n\r\n", 431},
		{"known empty value", "GET /x HTTP/1.0\r\nHost: h\r\nUpgrade:\r\n\r\n", 431},
		{"version", "GET /x HTTP/1.0\r\n\r\n", 431},
		{"target", "GET /abcdef", 414},
		{"query", "GET /a?b=c&d=e", 414},
		{"CONNECT", "CONNECT host:443", 414},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			full := parseChunks(t, []byte(tc.req), 0, 0)
			if full.status != 0 {
				t.Fatalf("status %d %q", full.status, full.reason)
			}
			need := full.table.Used()
			at := checkSplits(t, []byte(tc.req), need)
			if at.status != 0 || at.done != full.done || at.table.Used() != need || at.table.MaxData() != need {
				t.Errorf("at MaxData %d: status %d %q, used %d", need, at.status, at.reason, at.table.Used())
			}
			under := checkSplits(t, []byte(tc.req), need-1)
			if under.status != tc.status {
				t.Errorf("at MaxData %d: status %d %q, want %d", need-1, under.status, under.reason, tc.status)
			}
			if under.table.Used() > need-1 {
				t.Errorf("used %d of %d", under.table.Used(), need-1)
			}
		})
	}
	// the accounting: a fragment costs 4 bytes, a custom header 6, the
	// custom header's name counts, known names do not
	r := parseChunks(t, []byte("GET /x HTTP/1.0\r\nHost: h\r\nX-Ab: v\r\n\r\n"), 0, 0)
	if want := uses(3, 1) + len("/x") + len("HTTP/1.0") + len("h") + len("x-ab") + len("v"); r.table.Used() != want {
		t.Errorf("used %d, want %d", r.table.Used(), want)
	}
}

// TestTinyTables: a tiny table refuses without panicking (the table's
// own sizes are tested in package hdr).
func TestTinyTables(t *testing.T) {
	for n := 1; n < 30; n++ {
		checkSplits(t, []byte("GET /abc?d=e HTTP/1.1\r\nHost: h\r\nX-Y: z\r\n\r\n"), n)
	}
}

func TestReset(t *testing.T) {
	tb := hdr.NewTable(0)
	var p Parser
	req1 := []byte("POST /one?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n")
	req2 := []byte("GET /two HTTP/1.0\r\n\r\n")
	p.Reset(tb)
	if _, done, err := p.Parse(req1); !done || err != nil {
		t.Fatal(done, err)
	}
	p.Reset(tb)
	if _, done, err := p.Parse(req2); !done || err != nil {
		t.Fatal(done, err)
	}
	if got := dump(tb); got != "method=get v=10 get [/two] http/1.1 [HTTP/1.0] used=20" {
		t.Errorf("after reuse: %s", got)
	}
	if _, ok := tb.Custom("x-a"); ok || tb.Has(hdr.TokenURIArgs) || tb.Has(hdr.TokenHost) {
		t.Error("the first request's headers survived Reset")
	}
	// the parser is usable again after an error
	p.Reset(tb)
	if _, _, err := p.Parse([]byte("BAD / HTTP/1.1\r\n")); err == nil {
		t.Fatal("no error")
	}
	p.Reset(tb)
	if _, done, err := p.Parse(req1); !done || err != nil {
		t.Fatal(done, err)
	}
}

func TestPipelined(t *testing.T) {
	reqs := "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
	tb := hdr.NewTable(0)
	var p Parser
	b := []byte(reqs)
	for i := 1; i <= 3; i++ {
		p.Reset(tb)
		n, done, err := p.Parse(b)
		if !done || err != nil {
			t.Fatal(i, done, err)
		}
		if got := string(tb.Fragment(hdr.TokenGetURI, 0)); got != "/"+strconv.Itoa(i) {
			t.Errorf("request %d: %q", i, got)
		}
		b = b[n:]
	}
	if len(b) != 0 {
		t.Errorf("%d bytes left", len(b))
	}
}

func TestAllocs(t *testing.T) {
	tb := hdr.NewTable(0)
	var p Parser
	req := []byte(browserGET)
	dst := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		p.Reset(tb)
		for i := range req { // byte by byte, the worst case
			if _, _, err := p.Parse(req[i : i+1]); err != nil {
				panic(err)
			}
		}
		_ = tb.Copy(dst[:0], hdr.TokenAccept)
		_ = tb.TotalLength(hdr.TokenCookie)
		_, _ = tb.Custom("DNT")
		_, _ = tb.URLArg("lang")
		_ = tb.Fragment(hdr.TokenURIArgs, 1)
		tb.VisitCustom(func(name, value []byte) bool { return true })
		_, _ = hdr.TokenForHeader([]byte("Sec-WebSocket-Key"))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		p.Reset(tb)
		_, _, _ = p.Parse([]byte("GET /%zz HTTP/1.1\r\n"))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per refused request", allocs)
	}
}

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for tok := range hdr.TokenCount {
		s := tok.String()
		if s == "" || strings.ToLower(s) != s || seen[s] {
			t.Errorf("token %d: name %q", tok, s)
		}
		seen[s] = true
	}
	if s := hdr.TokenCount.String(); s != "Token(41)" {
		t.Errorf("TokenCount.String() = %q", s)
	}
	for _, c := range []struct {
		name string
		tok  hdr.Token
		ok   bool
	}{
		{"Host", hdr.TokenHost, true},
		{"HOST", hdr.TokenHost, true},
		{"sec-websocket-key", hdr.TokenWSKey, true},
		{"Sec-WebSocket-Origin", hdr.TokenOrigin, true},
		{"X-Real-IP", hdr.TokenXRealIP, true},
		{"te", hdr.TokenTE, true},
		{"get", 0, false},
		{"uri-args", 0, false},
		{"host:", 0, false},
		{"", 0, false},
		{"hos", 0, false},
	} {
		tok, ok := hdr.TokenForHeader([]byte(c.name))
		if ok != c.ok || tok != c.tok {
			t.Errorf("TokenForHeader(%q) = %v, %v", c.name, tok, ok)
		}
	}
	// every header token is reachable by its name, and the parser files
	// it there
	for i := range hdr.NumHeaderNames {
		var h struct {
			name string
			tok  hdr.Token
		}
		h.name, h.tok = hdr.HeaderName(i)
		if tok, ok := hdr.TokenForHeader([]byte(h.name)); !ok || tok != h.tok {
			t.Errorf("TokenForHeader(%q) = %v, %v", h.name, tok, ok)
		}
		if h.tok != hdr.TokenOrigin && h.tok.String() != h.name+":" {
			t.Errorf("%v is named %q", h.tok, h.name)
		}
		r := parseChunks(t, []byte("GET / HTTP/1.0\r\n"+strings.ToUpper(h.name)+": v\r\n\r\n"), 0, 1)
		if !r.done || !r.table.Has(h.tok) {
			t.Errorf("%s: not filed under %v", h.name, h.tok)
		}
	}
	if hdr.NumHeaderNames > 64 {
		t.Error("too many header names for the candidate mask")
	}
}

func TestParseBeforeReset(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	var p Parser
	_, _, _ = p.Parse([]byte("GET"))
}

func TestEmptyInput(t *testing.T) {
	var p Parser
	p.Reset(hdr.NewTable(0))
	if n, done, err := p.Parse(nil); n != 0 || done || err != nil {
		t.Error(n, done, err)
	}
}
