package ws

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// utf8Cases are the sequences of the Autobahn testsuite's case 6
// (from Markus Kuhn's UTF-8 decoder capability and stress test), with
// whether each is valid.
var utf8Cases = []struct {
	valid bool
	s     string
}{
	{true, "hello\x24world"},
	{true, "hello\xC2\xA2world"},
	{true, "hello\xE2\x82\xACworld"},
	{true, "hello\xF0\xA4\xAD\xA2world"},
	{true, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"},
	// First and last sequences of each length.
	{true, "\x00"}, {true, "\xc2\x80"}, {true, "\xe0\xa0\x80"}, {true, "\xf0\x90\x80\x80"},
	{false, "\xf8\x88\x80\x80\x80"}, {false, "\xfc\x84\x80\x80\x80\x80"},
	{true, "\x7f"}, {true, "\xdf\xbf"}, {true, "\xef\xbf\xbf"}, {true, "\xf4\x8f\xbf\xbf"},
	{false, "\xf7\xbf\xbf\xbf"}, {false, "\xfb\xbf\xbf\xbf\xbf"}, {false, "\xfd\xbf\xbf\xbf\xbf\xbf"},
	// Other boundaries.
	{true, "\xed\x9f\xbf"}, {true, "\xee\x80\x80"}, {true, "\xef\xbf\xbd"}, {false, "\xf4\x90\x80\x80"},
	// Unexpected continuation bytes.
	{false, "\x80"}, {false, "\xbf"}, {false, "\x80\xbf"}, {false, "\x80\xbf\x80"}, {false, "\x80\xbf\x80\xbf\x80\xbf"},
	// Lonely start bytes followed by a space.
	{false, "\xc0 \xc1 \xc2 "}, {false, "\xe0 \xe5 \xef "}, {false, "\xf0 \xf4 "}, {false, "\xf8 "}, {false, "\xfc "},
	// Last continuation byte missing.
	{false, "\xc0"}, {false, "\xe0\x80"}, {false, "\xf0\x80\x80"}, {false, "\xdf"}, {false, "\xef\xbf"},
	{false, "\xf7\xbf\xbf"}, {false, "\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf"},
	// Impossible bytes.
	{false, "\xfe"}, {false, "\xff"}, {false, "\xfe\xfe\xff\xff"},
	// Overlong forms.
	{false, "\xc0\xaf"}, {false, "\xe0\x80\xaf"}, {false, "\xf0\x80\x80\xaf"}, {false, "\xf8\x80\x80\x80\xaf"},
	{false, "\xc1\xbf"}, {false, "\xe0\x9f\xbf"}, {false, "\xf0\x8f\xbf\xbf"},
	{false, "\xc0\x80"}, {false, "\xe0\x80\x80"}, {false, "\xf0\x80\x80\x80"},
	// Surrogates, single and paired.
	{false, "\xed\xa0\x80"}, {false, "\xed\xad\xbf"}, {false, "\xed\xae\x80"}, {false, "\xed\xaf\xbf"},
	{false, "\xed\xb0\x80"}, {false, "\xed\xbe\x80"}, {false, "\xed\xbf\xbf"},
	{false, "\xed\xa0\x80\xed\xb0\x80"}, {false, "\xed\xaf\xbf\xed\xbf\xbf"},
	// Noncharacters and specials are valid.
	{true, "\xef\xbf\xbe"}, {true, "\xef\xbf\xbf"}, {true, "\xf0\x9f\xbf\xbe"}, {true, "\xf4\x8f\xbf\xbf"},
	{true, "\xef\xbf\xb9"}, {true, "\xef\xbf\xbc"},
	{true, ""},
}

// writeSplit feeds s to a fresh validator in pieces cut at the given
// offsets and returns Write's overall result and Complete.
func writeSplit(s []byte, cuts ...int) (ok, complete bool) {
	var v UTF8
	ok = true
	prev := 0
	for _, c := range append(cuts, len(s)) {
		if c < prev {
			continue
		}
		if !v.Write(s[prev:c]) {
			ok = false
		}
		prev = c
	}
	return ok, v.Complete()
}

func checkUTF8(t *testing.T, s []byte) {
	t.Helper()
	want := utf8.Valid(s)
	if ok, c := writeSplit(s); (ok && c) != want || (c && !ok) {
		t.Fatalf("% x: whole ok=%v complete=%v, utf8.Valid=%v", s, ok, c, want)
	}
	for i := 0; i <= len(s); i++ {
		if ok, c := writeSplit(s, i); (ok && c) != want {
			t.Fatalf("% x split at %d: ok=%v complete=%v, utf8.Valid=%v", s, i, ok, c, want)
		}
	}
	wantFail := failIndex(s)
	var v UTF8
	for i := range s {
		if !v.Write(s[i : i+1]) {
			if i != wantFail {
				t.Fatalf("% x: failed at byte %d, first impossible byte is %d", s, i, wantFail)
			}
			if !v.Failed() || v.Write([]byte("a")) || v.Complete() {
				t.Fatalf("% x: failure is not sticky", s)
			}
			return
		}
	}
	if wantFail >= 0 {
		t.Fatalf("% x: never failed, first impossible byte is %d", s, wantFail)
	}
}

// completable reports whether p is the start of some valid UTF-8 text. A
// truncated sequence can only be completed by continuation bytes, and
// only its second byte has a narrower range than 80..BF, so trying every
// continuation byte first, then 0x80s, covers every completion.
func completable(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	for add := 1; add <= 3; add++ {
		for c := 0x80; c <= 0xBF; c++ {
			q := append(p[:len(p):len(p)], byte(c))
			for range add - 1 {
				q = append(q, 0x80)
			}
			if utf8.Valid(q) {
				return true
			}
		}
	}
	return false
}

// failIndex is the offset of the first byte after which s can no longer
// be valid, or -1.
func failIndex(s []byte) int {
	for k := 1; k <= len(s); k++ {
		if !completable(s[:k]) {
			return k - 1
		}
	}
	return -1
}

func TestUTF8Cases(t *testing.T) {
	for _, c := range utf8Cases {
		if utf8.ValidString(c.s) != c.valid {
			t.Fatalf("table error for % x", c.s)
		}
		if ValidUTF8([]byte(c.s)) != c.valid {
			t.Errorf("ValidUTF8(% x) = %v", c.s, !c.valid)
		}
		checkUTF8(t, []byte(c.s))
	}
}

// TestUTF8FailFast checks the positions of the Autobahn fail-fast cases.
func TestUTF8FailFast(t *testing.T) {
	// Case 6.4.1/6.4.2: U+110000 after 11 valid bytes; the 13th byte (0x90)
	// is the one that makes the text invalid.
	payload := []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64")
	var v UTF8
	if !v.Write(payload[:12]) || v.Complete() {
		t.Fatal("the first 12 bytes must be accepted and incomplete")
	}
	if v.Write(payload[12:13]) {
		t.Fatal("byte 12 (0x90) must fail")
	}
	// The validator tests of the testsuite: 0xF5 fails at once; a
	// surrogate fails on its second byte, across a split.
	v.Reset()
	if v.Write([]byte{0xF5}) {
		t.Fatal("0xF5 accepted")
	}
	v.Reset()
	if !v.Write([]byte("edited\xED")) || v.Write([]byte{0xA0}) {
		t.Fatal("ED A0 not failed on A0")
	}
	v.Reset()
	if !v.Write([]byte("µ@ßöäüàá")) || !v.Complete() {
		t.Fatal("valid text rejected")
	}
}

func TestUTF8AllCodePoints(t *testing.T) {
	var buf [4]byte
	for r := rune(0); r <= 0x10FFFF; r++ {
		var s []byte
		if r >= 0xD800 && r <= 0xDFFF {
			// utf8.EncodeRune refuses surrogates; encode the bytes by hand.
			s = []byte{0xE0 | byte(r>>12), 0x80 | byte(r>>6)&0x3F, 0x80 | byte(r)&0x3F}
		} else {
			s = buf[:utf8.EncodeRune(buf[:], r)]
		}
		var v UTF8
		ok := v.Write(s) && v.Complete()
		if ok != (r < 0xD800 || r > 0xDFFF) {
			t.Fatalf("U+%04X (% x): valid=%v", r, s, ok)
		}
	}
	// Every two-byte sequence.
	for i := range 1 << 16 {
		s := []byte{byte(i >> 8), byte(i)}
		var v UTF8
		if ok := v.Write(s) && v.Complete(); ok != utf8.Valid(s) {
			t.Fatalf("% x: valid=%v", s, ok)
		}
	}
}

// randomText mixes ASCII, well-formed multi-byte characters and
// troublesome bytes.
func randomText(rng *rand.Rand, n int) []byte {
	var out []byte
	special := []string{"\xed\xa0\x80", "\xf4\x90", "\xc0", "\xe0\x80", "\xff", "\x80", "\xf0\x9f", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}
	for len(out) < n {
		switch rng.IntN(6) {
		case 0, 1:
			out = append(out, byte('a'+rng.IntN(26)))
		case 2:
			out = utf8.AppendRune(out, rune(rng.IntN(0x800)))
		case 3:
			out = utf8.AppendRune(out, rune(rng.IntN(0x110000)))
		case 4:
			if rng.IntN(8) == 0 {
				out = append(out, special[rng.IntN(len(special))]...)
			} else {
				out = utf8.AppendRune(out, rune(0x10000+rng.IntN(0x100000)))
			}
		default:
			if rng.IntN(10) == 0 {
				out = append(out, byte(rng.Uint32()))
			} else {
				out = append(out, strings.Repeat("x", rng.IntN(20))...)
			}
		}
	}
	return out
}

func TestUTF8Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 3000 {
		checkUTF8(t, randomText(rng, rng.IntN(40)))
	}
	// Longer texts, split at random places.
	for range 300 {
		s := randomText(rng, 2000)
		want := utf8.Valid(s)
		cuts := []int{}
		for c := 0; c < len(s); c += rng.IntN(50) {
			cuts = append(cuts, c)
		}
		if ok, c := writeSplit(s, cuts...); (ok && c) != want {
			t.Fatalf("%d-byte text: ok=%v complete=%v, utf8.Valid=%v", len(s), ok, c, want)
		}
	}
}

func TestUTF8ZeroValueAndReset(t *testing.T) {
	var v UTF8
	if !v.Complete() || v.Failed() {
		t.Fatal("zero value not at a boundary")
	}
	v.Write([]byte{0xE2, 0x82})
	if v.Complete() || v.Failed() {
		t.Fatal("incomplete character misreported")
	}
	v.Reset()
	if !v.Complete() {
		t.Fatal("Reset did not clear a partial character")
	}
	v.Write([]byte{0xFF})
	v.Reset()
	if !v.Write([]byte("ok")) || !v.Complete() {
		t.Fatal("Reset did not clear a failure")
	}
}

func TestUTF8Allocs(t *testing.T) {
	s := []byte(strings.Repeat("héllo wörld ☃ 𝄞 ", 50))
	var v UTF8
	if a := testing.AllocsPerRun(100, func() { v.Reset(); v.Write(s) }); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}
