package h1

import (
	"errors"
	"strings"
	"testing"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
)

// viaBuilder fills a table with what the request line "method target
// HTTP/1.1" and one header line "name: value" hold, through the builder a
// decoder of another wire would use, and reports the status of a refusal.
func viaBuilder(maxData int, method, target, name, value string) (*hdr.Table, int) {
	t := hdr.NewTable(maxData)
	status := func(err error) int {
		var e *httpsem.Error
		if !errors.As(err, &e) {
			panic(err)
		}
		return e.Status
	}
	if err := t.SetMethod([]byte(method)); err != nil {
		return t, status(err)
	}
	if err := t.SetPath([]byte(target)); err != nil {
		return t, status(err)
	}
	if err := t.AddHeader(hdr.TokenHTTPVersion, []byte("HTTP/1.1")); err != nil {
		return t, status(err)
	}
	t.SetVersion(11)
	if err := t.AddHeaderByName([]byte("host"), []byte("h")); err != nil {
		return t, status(err)
	}
	if err := t.AddHeaderByName([]byte(name), []byte(value)); err != nil {
		return t, status(err)
	}
	return t, 0
}

// builderMatchesParser checks that the builder stores a request exactly
// as the parser does, and refuses it with the same status.
func builderMatchesParser(t *testing.T, maxData int, method, target, name, value string) {
	t.Helper()
	req := method + " " + target + " HTTP/1.1\r\nHost: h\r\n" + name + ": " + value + "\r\n\r\n"
	parsed := parseChunks(t, []byte(req), maxData, 0)
	built, status := viaBuilder(maxData, method, target, name, value)
	if status != parsed.status {
		t.Fatalf("%q: builder status %d, parser %d %q", req, status, parsed.status, parsed.reason)
	}
	if status != 0 {
		return
	}
	if a, b := dump(built), dump(parsed.table); a != b {
		t.Fatalf("%q:\nbuilder %s\n parser %s", req, a, b)
	}
}

func TestBuilderMatchesParser(t *testing.T) {
	for _, c := range []struct{ method, target, name, value string }{
		{"GET", "/", "X-Trace", "7"},
		{"GET", "/a/./b//c/../d%20e?x=1&y=%3D+z;flag;%3Dk=v", "Accept", " text/html\t "},
		{"POST", "/%2e%2e/%2E./a/..?q", "Cookie", "a=1"},
		{"OPTIONS", "*", "Sec-WebSocket-Origin", "o"},
		{"CONNECT", "example.com:443", "x-empty", ""},
		{"CONNECT", "example.com", "a", "b"},
		{"GET", "a", "a", "b"},
		{"GET", "/%zz", "a", "b"},
		{"GET", "/%0d", "a", "b"},
		{"GET", "/", "a", "b\x01"},
		{"get", "/", "a", "b"},
		{"GET", "/" + strings.Repeat("p", 80), "a", "b"},
		{"GET", "/", "x-long", strings.Repeat("v", 80)},
		{"GET", "/", "accept-language", strings.Repeat("v", 80)},
	} {
		builderMatchesParser(t, 0, c.method, c.target, c.name, c.value)
		builderMatchesParser(t, 64, c.method, c.target, c.name, c.value)
	}
}

// FuzzBuilderMatchesParser: for any request line target and header the
// HTTP/1 framing can carry, the builder and the parser agree.
func FuzzBuilderMatchesParser(f *testing.F) {
	f.Add("GET", "/a/../b?c=d&e=%3D+f", "X-A", "v")
	f.Add("OPTIONS", "*", "Accept", "a, b")
	f.Add("CONNECT", "[::1]:80", "cookie", "c=d")
	f.Add("PUT", "/%2e%2e%2f..?x", "Host2", " v ")
	f.Fuzz(func(t *testing.T, method, target, name, value string) {
		// what the request line and a header line can carry as such
		if method == "" || target == "" || name == "" ||
			strings.ContainsAny(method+target, " \r\n\x00") ||
			strings.ContainsAny(name, " \t:\r\n\x00") || !isTokenString(name) ||
			strings.EqualFold(name, "host") ||
			strings.ContainsAny(value, "\r\n\x00") ||
			len(value)-len(strings.TrimLeft(value, " \t")) > 32 {
			// (whitespace before a value is wire bytes the parser reads
			// and drops, counted against its budget as a builder's
			// caller counts what it reads)
			return
		}
		for _, maxData := range []int{0, 64} {
			builderMatchesParser(t, maxData, method, target, name, value)
		}
	})
}

func isTokenString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}
