package h1

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
)

// TestResponseHeadReadByNetHTTP: a head built here is read back by Go's
// own HTTP client parser exactly as meant.
func TestResponseHeadReadByNetHTTP(t *testing.T) {
	b := AppendStatusLine(nil, false, 404)
	var err error
	if b, err = AppendHeaderToken(b, hdr.TokenContentType, "text/html; charset=utf-8"); err != nil {
		t.Fatal(err)
	}
	if b, err = AppendHeader(b, "x-golws:", "a value, with: colons"); err != nil {
		t.Fatal(err)
	}
	b = AppendContentLength(b, 5)
	b = AppendHeadEnd(b)
	b = append(b, "hello"...)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	if resp.StatusCode != 404 || resp.Status != "404 Not Found" || resp.ProtoMinor != 1 ||
		resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("X-Golws") != "a value, with: colons" || resp.ContentLength != 5 {
		t.Fatalf("read back as %+v", resp)
	}
	if got := string(AppendStatusLine(nil, true, 1000)); got != "HTTP/1.0 500 Internal Server Error\r\n" {
		t.Fatalf("out-of-range status gave %q", got)
	}
}

// TestResponseHeaderRefusals: what would split or corrupt a response is an
// error and leaves the buffer as it was.
func TestResponseHeaderRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        error
	}{
		{"x-a", "ok\r\nSet-Cookie: evil=1", httpsem.ErrHeaderValue},
		{"x-a", "line\nbreak", httpsem.ErrHeaderValue},
		{"x-a", "nul\x00", httpsem.ErrHeaderValue},
		{"", "v", httpsem.ErrHeaderName},
		{":", "v", httpsem.ErrHeaderName},
		{"x a", "v", httpsem.ErrHeaderName},
		{"x:a", "v", httpsem.ErrHeaderName},
		{"x\r\ny", "v", httpsem.ErrHeaderName},
	} {
		start := []byte("HTTP/1.1 200 OK\r\n")
		b, err := AppendHeader(start, tc.name, tc.value)
		if !errors.Is(err, tc.want) || string(b) != string(start) {
			t.Errorf("%q: %q gave %q, %v", tc.name, tc.value, b, err)
		}
	}
	for _, tok := range []hdr.Token{hdr.TokenGetURI, hdr.TokenHTTPVersion, hdr.TokenURIArgs, hdr.TokenCount} {
		if _, err := AppendHeaderToken(nil, tok, "x"); !errors.Is(err, httpsem.ErrHeaderName) {
			t.Errorf("token %v accepted as a response header", tok)
		}
	}
}

func TestResponseHeadAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendStatusLine(buf[:0], false, 200)
		b, _ = AppendHeaderToken(b, hdr.TokenContentType, "text/plain")
		b = AppendContentLength(b, 12345)
		_ = AppendHeadEnd(b)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations building a head", allocs)
	}
}

func FuzzAppendHeader(f *testing.F) {
	f.Add("x-a", "value")
	f.Add("x-a", "a\r\nb: c")
	f.Fuzz(func(t *testing.T, name, value string) {
		b, err := AppendHeader(nil, name, value)
		if err != nil {
			if len(b) != 0 {
				t.Fatalf("refused but wrote %q", b)
			}
			return
		}
		line := string(b)
		if !strings.HasSuffix(line, "\r\n") || strings.ContainsAny(line[:len(line)-2], "\r\n\x00") {
			t.Fatalf("%q: not one header line", line)
		}
	})
}
