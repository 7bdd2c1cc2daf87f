package h2

import (
	"errors"
	"testing"

	"github.com/golws/lws/hdr"
)

// staticGet is a block of static-table references only (GET, http, /), so
// that it decodes whatever the dynamic table holds.
var staticGet = []byte{0x82, 0x86, 0x84}

// FuzzHeaderDecoder feeds arbitrary blocks to one decoder: none may panic;
// each either errors with a *HeaderError or leaves a table whose reads
// agree with each other; after a stream error the decoder goes on.
func FuzzHeaderDecoder(f *testing.F) {
	f.Add([]byte{0x82, 0x86, 0x84, 0x41, 0x0f, 'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'})
	f.Add(staticGet)
	f.Fuzz(func(t *testing.T, b []byte) {
		const maxList = 4096
		d := NewHeaderDecoder(4096, maxList)
		d.SetExtendedConnect(len(b) > 0 && b[0]&1 == 1)
		tab := hdr.NewTable(0)
		// the block twice: the second sees the dynamic table the first
		// filled
		for range 2 {
			err := d.Decode(b, tab)
			if cap(d.cookie) > 2*maxList {
				t.Fatalf("cookie buffer of %d bytes", cap(d.cookie))
			}
			if err != nil {
				var he *HeaderError
				if !errors.As(err, &he) {
					t.Fatalf("error %T %v", err, err)
				}
				if !he.Stream {
					return // the connection ends
				}
				if err := d.Decode(staticGet, tab); err != nil {
					t.Fatalf("after a stream error: %v", err)
				}
				continue
			}
			checkTable(t, tab)
		}
		if err := d.Discard(b); err != nil {
			var he *HeaderError
			if !errors.As(err, &he) || he.Stream {
				t.Fatalf("Discard: %v", err)
			}
		}
	})
}

// checkTable checks that a decoded request's table reads consistently.
func checkTable(t *testing.T, tab *hdr.Table) {
	t.Helper()
	m := tab.Method()
	if m > hdr.TokenConnect {
		t.Fatalf("method token %v", m)
	}
	if tab.FragmentCount(m) != 1 || tab.Fragment(m, 0) == nil {
		t.Fatalf("target: %d fragments", tab.FragmentCount(m))
	}
	if tab.Used() > tab.MaxData() {
		t.Fatalf("used %d of %d", tab.Used(), tab.MaxData())
	}
	if tab.FragmentCount(hdr.TokenHost) > 1 || tab.FragmentCount(hdr.TokenCookie) > 1 {
		t.Fatalf("host %d cookie %d fragments", tab.FragmentCount(hdr.TokenHost), tab.FragmentCount(hdr.TokenCookie))
	}
	for tok := range hdr.TokenCount {
		n := 0
		for i := range tab.FragmentCount(tok) {
			n += len(tab.Fragment(tok, i)) + 1
		}
		if tab.FragmentCount(tok) > 0 {
			n--
		}
		if c := tab.Copy(nil, tok); len(c) != tab.TotalLength(tok) || len(c) != n {
			t.Fatalf("%v: copy %d, total %d, fragments %d", tok, len(c), tab.TotalLength(tok), n)
		}
	}
	tab.VisitCustom(func(name, value []byte) bool {
		for _, c := range name {
			if 'A' <= c && c <= 'Z' || c == ':' {
				t.Fatalf("custom name %q", name)
			}
		}
		if _, ok := tab.Custom(string(name)); !ok {
			t.Fatalf("custom %q not found", name)
		}
		return true
	})
}
