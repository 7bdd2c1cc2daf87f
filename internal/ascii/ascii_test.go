package ascii

import (
	"strings"
	"testing"
)

func TestLower(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := byte(c)
		if 'A' <= c && c <= 'Z' {
			want = byte(c) + 32
		}
		if got := Lower(byte(c)); got != want {
			t.Errorf("Lower(%#x) = %#x, want %#x", c, got, want)
		}
	}
}

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		b, s string
		want bool
	}{
		{"", "", true},
		{"chunked", "chunked", true},
		{"CHUNKED", "chunked", true},
		{"Chunked", "cHUNKED", true},
		{"chunked", "chunke", false},
		{"chunkes", "chunked", false},
		{"@", "`", false},               // 0x40 and 0x60 differ by the case bit but are not letters
		{"[", "{", false},               // likewise 0x5b and 0x7b
		{"\xc9", "\xe9", false},         // Latin-1 É/é: not ASCII, no folding
		{"\xc3\x89", "\xc3\xa9", false}, // UTF-8 É/é
		{"K", "\u212a", false},          // Kelvin sign folds to K in Unicode only
		{"a\tb", "A\tB", true},
	} {
		if got := EqualFold([]byte(tc.b), tc.s); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.b, tc.s, got, tc.want)
		}
		if got := EqualFold([]byte(tc.s), tc.b); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.s, tc.b, got, tc.want)
		}
	}
}

func TestEqualFoldLower(t *testing.T) {
	for _, tc := range []struct {
		b, s string
		want bool
	}{
		{"", "", true},
		{"Content-Length", "content-length", true},
		{"CONTENT-LENGTH", "content-length", true},
		{"content-length", "content-lengt", false},
		{"content-lengtx", "content-length", false},
		{"`", "@", false},
		{"\xc9", "\xe9", false},
	} {
		if got := EqualFoldLower([]byte(tc.b), tc.s); got != tc.want {
			t.Errorf("EqualFoldLower(%q, %q) = %v, want %v", tc.b, tc.s, got, tc.want)
		}
	}
}

func TestTrimOWS(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{" ", ""},
		{" \t \t", ""},
		{"gzip", "gzip"},
		{" gzip", "gzip"},
		{"gzip\t", "gzip"},
		{"\t gzip ;q=1 \t", "gzip ;q=1"},
		{"\r\ngzip\n", "\r\ngzip\n"}, // only SP and HTAB are OWS
		{"\vx\f", "\vx\f"},
	} {
		if got := string(TrimOWS([]byte(tc.in))); got != tc.want {
			t.Errorf("TrimOWS(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUnhex(t *testing.T) {
	const digits = "0123456789abcdef"
	for c := 0; c < 256; c++ {
		want := strings.IndexByte(digits, byte(c))
		if want < 0 && 'A' <= c && c <= 'F' {
			want = c - 'A' + 10
		}
		if got := Unhex(byte(c)); got != want {
			t.Errorf("Unhex(%q) = %d, want %d", byte(c), got, want)
		}
	}
}

func TestIsTchar(t *testing.T) {
	const tchar = "!#$%&'*+-.^_`|~0123456789" +
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for c := 0; c < 256; c++ {
		want := strings.IndexByte(tchar, byte(c)) >= 0
		if got := IsTchar(byte(c)); got != want {
			t.Errorf("IsTchar(%q) = %v, want %v", byte(c), got, want)
		}
	}
}

func TestIsToken(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"chat", true},
		{"x-Custom_1.2~", true},
		{"a b", false},
		{"a:b", false},
		{"a/b", false},
		{"\"a\"", false},
		{"caf\xc3\xa9", false},
		{"a\x7f", false},
	} {
		if got := IsToken([]byte(tc.in)); got != tc.want {
			t.Errorf("IsToken(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestAllocatesNothing(t *testing.T) {
	b := []byte("  Content-Length\t")
	n := testing.AllocsPerRun(100, func() {
		v := TrimOWS(b)
		_ = EqualFold(v, "content-length") && EqualFoldLower(v, "content-length") &&
			IsToken(v) && Unhex(v[0]) < 0 && IsTchar(Lower(v[1]))
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}
