package h2

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/net/http2"
)

// maxOutput bounds what a connection may queue on its own account
// between two drains: the preface, acknowledgements and resets up to
// MaxPendingControl, window updates, a GOAWAY.
const maxOutput = 64 << 10

// FuzzConnFeed feeds arbitrary bytes after a valid preface, in pieces
// cut where the input says, and checks the connection neither panics nor
// grows without bound.
func FuzzConnFeed(f *testing.F) {
	for _, seed := range seeds() {
		f.Add(seed, uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		c := NewConn(Config{})
		c.Feed([]byte(Preface))
		step := int(cut)%64 + 1
		for len(in) > 0 {
			k := min(step, len(in))
			p := in[:k]
			for len(p) > 0 {
				n, ev := c.Feed(p)
				if n < 0 || n > len(p) {
					t.Fatalf("consumed %d of %d", n, len(p))
				}
				if ev.Kind == EventData {
					c.Consumed(ev.Stream, len(ev.Data))
				}
				if n == 0 && ev.Kind == EventNone {
					t.Fatal("no progress")
				}
				p = p[n:]
			}
			in = in[k:]
			if len(c.Output()) > maxOutput {
				t.Fatalf("output grew to %d bytes", len(c.Output()))
			}
			if c.Streams() > int(c.cfg.MaxConcurrentStreams) {
				t.Fatalf("%d streams", c.Streams())
			}
			if len(c.hb.buf) > int(c.cfg.MaxHeaderListSize) || cap(c.pend) > frameHeaderLen+int(c.cfg.MaxFrameSize) {
				t.Fatal("buffers beyond their limits")
			}
			if step&1 == 0 {
				c.Sent(len(c.Output()))
			}
		}
	})
}

// seeds are client frame sequences (after the preface) for the fuzz
// corpus.
func seeds() [][]byte {
	var out [][]byte
	add := func(w func(cl *client)) {
		cl := newClient()
		w(cl)
		out = append(out, cl.take())
	}
	add(func(cl *client) { cl.fr.WriteSettings(); cl.headers(1, "\x82\x86\x84", true) })
	add(func(cl *client) {
		cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
		cl.headers(1, "h", false).data(1, "body", true)
		cl.fr.WriteWindowUpdate(1, 100)
	})
	add(func(cl *client) {
		cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: []byte("a")})
		cl.fr.WriteContinuation(3, true, []byte("b"))
		cl.fr.WriteRSTStream(3, http2.ErrCodeCancel)
		cl.fr.WritePing(false, [8]byte{})
	})
	add(func(cl *client) {
		cl.headers(1, "h", false)
		cl.fr.WriteDataPadded(1, false, []byte("x"), make([]byte, 9))
		cl.fr.WritePriority(1, http2.PriorityParam{StreamDep: 1})
		cl.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	})
	return out
}

// TestFuzzCorpus keeps the seed corpus in testdata/fuzz current; run with
// H2_WRITE_CORPUS=1 to rewrite it.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzConnFeed")
	if os.Getenv("H2_WRITE_CORPUS") == "" {
		if ents, err := os.ReadDir(dir); err != nil || len(ents) < len(seeds()) {
			t.Fatalf("corpus %s: %d entries, %v", dir, len(ents), err)
		}
		return
	}
	os.MkdirAll(dir, 0o755)
	for i, s := range seeds() {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\nuint8(" + strconv.Itoa(i*13) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "seed"+strconv.Itoa(i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
