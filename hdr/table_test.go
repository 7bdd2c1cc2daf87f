package hdr

import (
	"errors"
	"strings"
	"testing"

	"github.com/golws/lws/httpsem"
)

func TestNewTable(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 4096}, {-5, 4096}, {100, 100}, {1 << 20, MaxDataLimit}} {
		if got := NewTable(c.in).MaxData(); got != c.want {
			t.Errorf("NewTable(%d).MaxData() = %d, want %d", c.in, got, c.want)
		}
	}
	tb := NewTable(0)
	if tb.Method() != TokenCount || tb.Version() != 0 || tb.Used() != 0 || tb.Room() != 4096 {
		t.Error("a new table is not empty")
	}
}

// build fills t through the builder as a decoder of whole fields would.
func build(t *Table, method, path string, fields ...string) error {
	t.Reset()
	if err := t.SetMethod([]byte(method)); err != nil {
		return err
	}
	if err := t.SetPath([]byte(path)); err != nil {
		return err
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if err := t.AddHeaderByName([]byte(fields[i]), []byte(fields[i+1])); err != nil {
			return err
		}
	}
	return nil
}

func TestBuilder(t *testing.T) {
	tb := NewTable(0)
	err := build(tb, "GET", "/a/./b//c/../d%20e?x=1&y=%3D+z;flag;%3Dk=v",
		"Host", "example.com",
		"accept", "  text/html  ",
		"Accept", "*/*",
		"Cookie", "a=1",
		"cookie", "b=2",
		"Sec-WebSocket-Origin", "https://o",
		"X-Trace", "7",
		"x-empty", "")
	if err != nil {
		t.Fatal(err)
	}
	tb.SetVersion(11)
	if tb.Method() != TokenGetURI || tb.Version() != 11 {
		t.Fatalf("method %v version %d", tb.Method(), tb.Version())
	}
	for _, c := range []struct {
		tok  Token
		want string
	}{
		{TokenGetURI, "/a/b/d e"},
		{TokenURIArgs, "x=1&y== z&flag&_k=v"},
		{TokenHost, "example.com"},
		{TokenAccept, "text/html,*/*"},
		{TokenCookie, "a=1;b=2"},
		{TokenOrigin, "https://o"},
	} {
		if got := string(tb.Copy(nil, c.tok)); got != c.want || tb.TotalLength(c.tok) != len(c.want) {
			t.Errorf("%v: %q (total length %d), want %q", c.tok, got, tb.TotalLength(c.tok), c.want)
		}
	}
	if v, ok := tb.URLArg("y"); !ok || string(v) != "= z" {
		t.Errorf("URLArg(y) = %q, %v", v, ok)
	}
	if v, ok := tb.URLArg("flag"); !ok || len(v) != 0 {
		t.Errorf("URLArg(flag) = %q, %v", v, ok)
	}
	if v, ok := tb.Custom("X-TRACE"); !ok || string(v) != "7" {
		t.Errorf("Custom(X-TRACE) = %q, %v", v, ok)
	}
	var names []string
	tb.VisitCustom(func(name, value []byte) bool {
		names = append(names, string(name)+"="+string(value))
		return true
	})
	if got := strings.Join(names, " "); got != "x-trace=7 x-empty=" {
		t.Errorf("custom headers: %s", got)
	}
}

func TestBuilderForms(t *testing.T) {
	tb := NewTable(0)
	if err := build(tb, "OPTIONS", "*"); err != nil || string(tb.Copy(nil, TokenOptionsURI)) != "*" {
		t.Errorf("OPTIONS *: %v %q", err, tb.Copy(nil, TokenOptionsURI))
	}
	if err := build(tb, "CONNECT", "[::1]:443"); err != nil || string(tb.Copy(nil, TokenConnect)) != "[::1]:443" {
		t.Errorf("CONNECT: %v %q", err, tb.Copy(nil, TokenConnect))
	}
	if err := build(tb, "GET", "/..%2f..%2fetc/passwd"); err != nil || string(tb.Copy(nil, TokenGetURI)) != "/etc/passwd" {
		t.Errorf("dot-dot: %v %q", err, tb.Copy(nil, TokenGetURI))
	}
}

func TestBuilderRefusals(t *testing.T) {
	long := "/" + strings.Repeat("a", 100)
	for _, c := range []struct {
		name   string
		err    error
		method string
		path   string
		fields []string
	}{
		{"unknown method", ErrMethod, "get", "/", nil},
		{"empty target", ErrEmptyTarget, "GET", "", nil},
		{"relative target", ErrNotAbsolute, "GET", "a/b", nil},
		{"bad escape", ErrEscape, "GET", "/%zz", nil},
		{"cut escape", ErrEscape, "GET", "/%4", nil},
		{"raw control", ErrTargetCtl, "GET", "/a\x01", nil},
		{"escaped control", ErrTargetCtl, "GET", "/a%0d%0a", nil},
		{"space", ErrTarget, "GET", "/a b", nil},
		{"asterisk and more", ErrTarget, "OPTIONS", "*x", nil},
		{"authority without port", ErrTarget, "CONNECT", "host", nil},
		{"target longer than the table", ErrTargetTooLong, "GET", long, nil},
		{"empty name", ErrEmptyName, "GET", "/", []string{"", "v"}},
		{"name with a colon", ErrName, "GET", "/", []string{"a:b", "v"}},
		{"name with a space", ErrName, "GET", "/", []string{"a b", "v"}},
		{"value with LF", ErrValue, "GET", "/", []string{"x-a", "1\nx-b: 2"}},
		{"value with NUL", ErrValue, "GET", "/", []string{"host", "a\x00"}},
		{"too large", ErrTooLarge, "GET", "/", []string{"x-a", strings.Repeat("v", 80)}},
		{"too large known", ErrTooLarge, "GET", "/", []string{"accept", strings.Repeat("v", 80)}},
	} {
		tb := NewTable(64)
		if err := build(tb, c.method, c.path, c.fields...); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	tb := NewTable(0)
	if err := tb.SetPath([]byte("/")); !errors.Is(err, ErrMethod) {
		t.Errorf("a path before the method: %v", err)
	}
	for _, tok := range []Token{TokenGetURI, TokenConnect, TokenURIArgs, TokenCount} {
		if err := tb.AddHeader(tok, []byte("v")); !errors.Is(err, ErrName) {
			t.Errorf("AddHeader(%v): %v", tok, err)
		}
	}
	// a refused header stores nothing
	tb = NewTable(64)
	_ = build(tb, "GET", "/")
	used := tb.Used()
	if err := tb.AddHeaderByName([]byte("x-long"), []byte(strings.Repeat("v", 60))); !errors.Is(err, ErrTooLarge) || tb.Used() != used {
		t.Errorf("%v, used %d then %d", err, used, tb.Used())
	}
}

func TestBuilderAllocatesNothing(t *testing.T) {
	tb := NewTable(0)
	method, path := []byte("POST"), []byte("/form/../submit?a=1&b=%41+c")
	host, ua, custom := []byte("example.com"), []byte("test agent"), []byte("X-Request-Id")
	allocs := testing.AllocsPerRun(100, func() {
		tb.Reset()
		if tb.SetMethod(method) != nil || tb.SetPath(path) != nil ||
			tb.AddHeader(TokenHost, host) != nil ||
			tb.AddHeaderByName([]byte("User-Agent"), ua) != nil ||
			tb.AddHeaderByName(custom, host) != nil {
			panic("refused")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request", allocs)
	}
}

func TestTokenNames(t *testing.T) {
	for i := range NumHeaderNames {
		name, tok := HeaderName(i)
		if got, ok := TokenForHeader([]byte(strings.ToUpper(name))); !ok || got != tok {
			t.Errorf("TokenForHeader(%q) = %v, %v", name, got, ok)
		}
	}
	for _, m := range []string{"GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "HEAD", "CONNECT"} {
		tok, ok := MethodToken([]byte(m))
		if !ok || !isMethod(tok) || !strings.HasPrefix(strings.ToUpper(tok.String()), m) {
			t.Errorf("MethodToken(%q) = %v, %v", m, tok, ok)
		}
		if !MethodPrefix([]byte(m[:2])) || len(m) > MaxMethodLen {
			t.Errorf("%q", m)
		}
	}
	if _, ok := MethodToken([]byte("get")); ok || MethodPrefix([]byte("GX")) {
		t.Error("methods are case-sensitive and known")
	}
}

// FuzzBuilder: whatever a decoder hands the builder, the table neither
// panics nor overruns its area, what it stores reads back consistently,
// and a refused field leaves no trace.
func FuzzBuilder(f *testing.F) {
	f.Add("GET", "/a/../b?c=d&e", "x-a", "v", 64)
	f.Add("CONNECT", "h:1", "Cookie", "a=1", 0)
	f.Add("OPTIONS", "*", "host", " h ", 20)
	f.Fuzz(func(t *testing.T, method, path, name, value string, maxData int) {
		tb := NewTable(maxData % 200)
		if tb.SetMethod([]byte(method)) != nil {
			return
		}
		if err := tb.SetPath([]byte(path)); err != nil {
			var e *httpsem.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 {
				t.Fatalf("SetPath: %v", err)
			}
			return
		}
		target := tb.Fragment(tb.Method(), 0)
		if tb.Method() != TokenConnect && string(target) != "*" && (len(target) == 0 || target[0] != '/') {
			t.Fatalf("target %q", target)
		}
		for range 3 {
			used := tb.Used()
			if err := tb.AddHeaderByName([]byte(name), []byte(value)); err != nil && tb.Used() != used {
				t.Fatalf("%v, and %d bytes used", err, tb.Used()-used)
			}
			if tb.Used() > tb.MaxData() {
				t.Fatalf("used %d of %d", tb.Used(), tb.MaxData())
			}
		}
		for tok := range TokenCount {
			if got := tb.Copy(nil, tok); len(got) != tb.TotalLength(tok) {
				t.Fatalf("%v: Copy gives %d bytes, TotalLength %d", tok, len(got), tb.TotalLength(tok))
			}
		}
	})
}
