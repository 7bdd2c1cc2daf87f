package h1

import (
	"strings"
	"testing"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
)

// FuzzParse checks that no input makes the parser panic or overrun its
// table, and that feeding an input in two pieces, split anywhere, gives
// what feeding it whole gives.
func FuzzParse(f *testing.F) {
	f.Add([]byte(browserGET), uint16(10))
	f.Add([]byte(wsUpgrade), uint16(0))
	f.Add([]byte("GET /%2e%2e/a/./b//c/..?x=1&y=%3D+ HTTP/1.0\r\n\r\nbody"), uint16(7))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), uint16(20))
	f.Add([]byte("\r\nCONNECT [::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n"), uint16(3))
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		for _, maxData := range []int{0, 64} {
			whole := parseChunks(t, in, maxData, 0)
			if whole.table.Used() > whole.table.MaxData() {
				t.Fatalf("used %d of %d", whole.table.Used(), whole.table.MaxData())
			}
			if whole.n > len(in) {
				t.Fatalf("consumed %d of %d bytes", whole.n, len(in))
			}
			if whole.status != 0 && (whole.status < 400 || whole.status > 599 || whole.reason == "") {
				t.Fatalf("error %d %q", whole.status, whole.reason)
			}
			if whole.done {
				checkDone(t, whole.table)
			}
			k := int(split)
			if len(in) > 0 {
				k %= len(in) + 1
			} else {
				k = 0
			}
			r := parseSplit(t, in, maxData, k)
			if r.n != whole.n || r.done != whole.done || r.status != whole.status || r.reason != whole.reason {
				t.Fatalf("split at %d: n %d done %v status %d %q; whole: n %d done %v status %d %q",
					k, r.n, r.done, r.status, r.reason, whole.n, whole.done, whole.status, whole.reason)
			}
			if a, b := dump(r.table), dump(whole.table); a != b {
				t.Fatalf("split at %d:\n got %s\nwhole %s", k, a, b)
			}
		}
	})
}

// parseSplit feeds in[:k] and then in[k:].
func parseSplit(tb testing.TB, in []byte, maxData, k int) result {
	r := result{table: hdr.NewTable(maxData)}
	var p Parser
	p.Reset(r.table)
	for _, part := range [][]byte{in[:k], in[k:]} {
		n, done, err := p.Parse(part)
		r.n += n
		if err != nil {
			e := err.(*httpsem.Error)
			r.status, r.reason = e.Status, e.Reason
			return r
		}
		if done {
			r.done = true
			return r
		}
	}
	return r
}

// checkDone checks what every complete request must satisfy.
func checkDone(t *testing.T, tb *hdr.Table) {
	m := tb.Method()
	if m > hdr.TokenConnect || tb.FragmentCount(m) != 1 {
		t.Fatalf("method %v with %d fragments", m, tb.FragmentCount(m))
	}
	target := tb.Fragment(m, 0)
	switch {
	case m == hdr.TokenConnect:
	case m == hdr.TokenOptionsURI && string(target) == "*":
	default:
		if len(target) == 0 || target[0] != '/' {
			t.Fatalf("target %q", target)
		}
		// the normalised path never climbs: no ".." segment. (A "."
		// can survive before a '?', as "/.?" gives "/." in lws.)
		if strings.Contains(string(target)+"/", "/../") || strings.Contains(string(target), "//") {
			t.Fatalf("path %q is not normalised", target)
		}
	}
	if v := tb.Version(); v != 10 && v != 11 {
		t.Fatalf("version %d", v)
	}
	for tok := range hdr.TokenCount {
		got := tb.Copy(nil, tok)
		if len(got) != tb.TotalLength(tok) {
			t.Fatalf("%v: Copy gives %d bytes, TotalLength %d", tok, len(got), tb.TotalLength(tok))
		}
	}
}
