package pmdeflate

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// bitWriter writes a deflate bit stream (RFC 1951 section 3.1.1).
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits writes the n low bits of v, least significant first.
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code of n bits, most significant first.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := range n {
		r |= (c >> i & 1) << (n - 1 - i)
	}
	w.bits(r, n)
}

// align pads to a byte boundary.
func (w *bitWriter) align() {
	if w.nacc > 0 {
		w.bits(0, 8-w.nacc)
	}
}

// zeroBomb is the compressed payload of a message of bombSize(n) zero bytes
// in about n bytes: one dynamic Huffman block whose length 258 (symbol
// 285) and only distance 1 have 1-bit codes, so every byte of its body is
// four copies of 258 zeros; then the header of the sync flush's empty
// stored block, whose 00 00 ff ff the sender removes.
func zeroBomb(n int) []byte {
	var w bitWriter
	w.bits(0, 1)  // BFINAL
	w.bits(2, 2)  // BTYPE: dynamic Huffman
	w.bits(29, 5) // HLIT: 286 literal/length codes
	w.bits(0, 5)  // HDIST: 1 distance code
	w.bits(15, 4) // HCLEN: 19 code length codes
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	clen := map[int]uint64{18: 1, 1: 2, 2: 2} // codes: 18 "0", 1 "10", 2 "11"
	for _, sym := range order {
		w.bits(clen[sym], 3)
	}
	zeros := func(n uint64) { w.code(0, 1); w.bits(n-11, 7) } // symbol 18
	// Literal/length lengths: 0:2, 1..255:0, 256:2, 257..284:0, 285:1.
	w.code(3, 2)
	zeros(138)
	zeros(117)
	w.code(3, 2)
	zeros(28)
	w.code(2, 2)
	// Distance lengths: 0:1.
	w.code(2, 2)
	// Codes: 285 "0", literal 0 "10", end of block "11"; distance 0 "0".
	w.code(2, 2) // one literal zero
	w.bits(0, 4) // two copies of 258 zeros, to a byte boundary
	if w.nacc != 0 {
		panic("zeroBomb: the body is not byte aligned")
	}
	w.out = append(w.out, make([]byte, n)...) // 4n copies of 258 zeros
	w.code(3, 2)                              // end of block
	w.bits(0, 3)                              // the empty stored block's header
	w.align()
	return w.out
}

// bombSize is the size of zeroBomb(n) inflated.
func bombSize(n int) int { return 1 + 2*258 + 1032*n }

// TestDecodeBombBoundedMemory pulls a message of about 1 GiB of zeros,
// compressed to about 1 MiB, through a 4 KiB dst, fed in 64 KiB pieces:
// the heap does not grow with the output.
func TestDecodeBombBoundedMemory(t *testing.T) {
	n := 1 << 20
	if raceEnabled || testing.Short() {
		n >>= 4
	}
	payload := zeroBomb(n)
	if got := stdInflate(t, zeroBomb(10)); len(got) != bombSize(10) || bytes.Count(got, []byte{0}) != len(got) {
		t.Fatalf("compress/flate inflates the small bomb to %d bytes, want %d zeros", len(got), bombSize(10))
	}
	want := int64(bombSize(n))
	s := NewSession(Params{}, true, Options{RxBufSize: 12})
	defer s.Release()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	dst := make([]byte, 4096)
	rest := payload
	var total int64
	feed := func() {
		piece := rest[:min(64<<10, len(rest))]
		rest = rest[len(piece):]
		if err := s.Feed(piece, len(rest) == 0); err != nil {
			t.Fatal(err)
		}
	}
	feed()
	for calls := 0; ; calls++ {
		n, end, err := s.Decode(dst)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && dst[0] != 0 {
			t.Fatal("the bomb inflates to something other than zeros")
		}
		total += int64(n)
		if end {
			break
		}
		if n == 0 {
			feed()
		}
		if calls%(1<<14) == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if total != want {
		t.Fatalf("inflated %d bytes, want %d", total, want)
	}
	if grew := int64(peak) - int64(base); grew > 4<<20 {
		t.Errorf("the heap grew by %d bytes while inflating %d bytes", grew, total)
	}
	t.Logf("%d compressed bytes inflated to %d; heap growth at most %d bytes", len(payload), total, int64(peak)-int64(base))
}

// emptyBlocks is n empty stored blocks (a sync flush each).
func emptyBlocks(n int) []byte {
	return bytes.Repeat([]byte{0x00, 0x00, 0x00, 0xff, 0xff}, n)
}

// TestDecodeRefusesEmptyBlockFlood: compressed input that yields nothing
// for longer than a real stream can is refused, not buffered.
func TestDecodeRefusesEmptyBlockFlood(t *testing.T) {
	s := NewSession(Params{}, true, Options{})
	defer s.Release()
	payload := append(emptyBlocks(1<<20/5), zeroBomb(10)...)
	got, err := decodeErr(s, payload, 4096, 1024)
	if err == nil || !strings.Contains(err.Error(), "empty deflate blocks") {
		t.Fatalf("got %d bytes, error %v; want the flood refused", len(got), err)
	}
	// A few empty blocks, such as a sender's sync flush per fragment,
	// are fine; so is a whole message of them, which is bounded by its
	// own length.
	trimmed := func(b []byte) []byte { return b[:len(b)-len(syncMarker)] }
	for _, payload := range [][]byte{
		bytes.Join([][]byte{emptyBlocks(100), zeroBomb(100), syncMarker, trimmed(emptyBlocks(100))}, nil),
		trimmed(emptyBlocks(1 << 20 / 5)),
	} {
		s := NewSession(Params{}, true, Options{})
		want := stdInflate(t, payload)
		if got := decodeAll(t, s, payload, 1<<20, 4096); !bytes.Equal(got, want) {
			t.Errorf("got %d bytes, want %d", len(got), len(want))
		}
		s.Release()
	}
}

// TestDecodeCorrupt: corrupt and truncated input are errors.
func TestDecodeCorrupt(t *testing.T) {
	for name, payload := range map[string][]byte{
		"reserved block type": {0x07, 0x00},
		"bad stored length":   {0x00, 0x05, 0x00, 0x00, 0x00, 'H'},
		"distance too far":    distanceTooFar(),
		"undefined length":    {0xff, 0xff, 0xff},
	} {
		s := NewSession(Params{}, true, Options{})
		if got, err := decodeErr(s, payload, 3, 16); err == nil {
			t.Errorf("%s: decoded %q without error", name, got)
		}
		s.Release()
	}
}

// distanceTooFar is a fixed Huffman block of a literal then a copy from 5
// bytes back.
func distanceTooFar() []byte {
	var w bitWriter
	w.bits(0, 1)
	w.bits(1, 2)
	w.code(0x30+'a', 8) // literal 'a'
	w.code(1, 7)        // length 3
	w.code(4, 5)        // distance 5..6
	w.bits(0, 1)
	w.code(0, 7) // end of block
	w.align()
	return w.out
}

// TestFeedMisuse: Feed out of turn is an error, so staging stays bounded.
func TestFeedMisuse(t *testing.T) {
	s := NewSession(Params{}, true, Options{})
	defer s.Release()
	if err := s.Feed(make([]byte, runAhead), false); err != nil {
		t.Fatal(err)
	}
	if err := s.Feed([]byte{0}, false); err == nil {
		t.Error("a Feed while input waits was accepted")
	}
	s2 := NewSession(Params{}, true, Options{})
	defer s2.Release()
	if err := s2.Feed([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, true); err != nil {
		t.Fatal(err)
	}
	if err := s2.Feed([]byte{0}, true); err == nil {
		t.Error("a Feed after the final piece was accepted")
	}
	if _, _, err := s2.Decode(nil); err == nil {
		t.Error("Decode into an empty dst was accepted")
	}
}

// TestDecodeSplitEverywhere feeds short messages split at every byte.
func TestDecodeSplitEverywhere(t *testing.T) {
	w := newStdWriter(t, 6)
	for _, size := range []int{0, 1, 5, 40, 200} {
		msg := jsonMessage(size, 3)
		payload := w.message(t, msg, false)
		for k := 0; k <= len(payload); k++ {
			s := NewSession(Params{}, false, Options{})
			if err := s.Feed(payload[:k], false); err != nil {
				t.Fatal(err)
			}
			var got []byte
			dst := make([]byte, 1)
			fed := false
			for {
				n, end, err := s.Decode(dst)
				if err != nil {
					t.Fatalf("size %d split at %d: %v", size, k, err)
				}
				got = append(got, dst[:n]...)
				if end {
					break
				}
				if n == 0 {
					if fed {
						t.Fatalf("size %d split at %d: Decode asks for more after the end", size, k)
					}
					fed = true
					if err := s.Feed(payload[k:], true); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("size %d split at %d: got %q", size, k, got)
			}
			s.Release()
		}
	}
}
