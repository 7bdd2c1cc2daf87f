package ws

import (
	"testing"
	"unicode/utf8"
)

// fuzzConfigs are the parser settings every fuzz input runs under: both
// roles, plain and with an extension bit and size limits.
var fuzzConfigs = []ParserConfig{
	{Server: true},
	{Server: false},
	{Server: true, AllowedRSV: RSV1, MaxFrame: 300, MaxMessage: 1000},
	{Server: false, AllowedRSV: RSV1 | RSV3, MaxFrame: 70000, MaxMessage: 100},
}

// FuzzParser feeds arbitrary bytes whole, split in two at a point, and in
// small pieces, under each configuration. Every way must give the same
// frames and error as the others and as the plain reference reading, and
// each report must keep the invariants feed checks (payload within the
// bytes consumed, per-frame payload summing to Header.Length, ...).
func FuzzParser(f *testing.F) {
	f.Add([]byte("\x81\x05Hello"), uint(3))
	f.Add([]byte("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"), uint(6))
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		at := int(split % uint(len(data)+1))
		piece := 1 + int(split>>8)%17
		var pieces []int
		for c := piece; c < len(data); c += piece {
			pieces = append(pieces, c)
		}
		for _, cfg := range fuzzConfigs {
			whole := feed(t, cfg, data, nil)
			if r := feed(t, cfg, data, []int{at}); !whole.equal(r, true) || r.ErrAt != whole.ErrAt {
				t.Fatalf("%+v: split at %d:\n%v\nwhole:\n%v", cfg, at, r, whole)
			}
			if r := feed(t, cfg, data, pieces); !whole.equal(r, true) || r.ErrAt != whole.ErrAt {
				t.Fatalf("%+v: pieces of %d:\n%v\nwhole:\n%v", cfg, piece, r, whole)
			}
			if ref := refParse(cfg, data); !whole.equal(ref, false) || ref.ErrAt != whole.ErrAt {
				t.Fatalf("%+v: reference:\n%v\nparser:\n%v", cfg, ref, whole)
			}
			for _, fr := range whole.Frames {
				if fr.Complete && int64(len(fr.Payload)) != fr.Header.Length {
					t.Fatalf("complete frame with %d payload bytes, header says %d", len(fr.Payload), fr.Header.Length)
				}
			}
		}
	})
}

// FuzzUTF8 checks the validator against utf8.Valid for any text and any
// split, and that it fails exactly on the first byte that rules the text
// out.
func FuzzUTF8(f *testing.F) {
	f.Add([]byte("hello"), uint(2))
	f.Add([]byte("\xed\xa0\x80"), uint(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		want := utf8.Valid(data)
		at := int(split % uint(len(data)+1))
		if ok, c := writeSplit(data); (ok && c) != want {
			t.Fatalf("whole: ok=%v complete=%v, utf8.Valid=%v", ok, c, want)
		}
		var v UTF8
		first := v.Write(data[:at])
		second := v.Write(data[at:])
		if (first && second && v.Complete()) != want {
			t.Fatalf("split at %d: %v %v complete=%v, utf8.Valid=%v", at, first, second, v.Complete(), want)
		}
		if len(data) > 300 {
			return // the position oracle is quadratic
		}
		fail := failIndex(data)
		if first != (fail < 0 || fail >= at) {
			t.Fatalf("first piece [:%d] ok=%v, first impossible byte %d", at, first, fail)
		}
		v.Reset()
		for i := range data {
			if !v.Write(data[i : i+1]) {
				if i != fail {
					t.Fatalf("failed at %d, first impossible byte %d", i, fail)
				}
				return
			}
		}
		if fail >= 0 {
			t.Fatalf("never failed, first impossible byte %d", fail)
		}
	})
}
