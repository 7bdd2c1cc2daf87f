package ws

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func naiveMask(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
	return (pos + len(b)) % 4
}

func TestMaskMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		var key [4]byte
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		if trial == 0 {
			key = testKey
		}
		for pos := 0; pos < 8; pos++ {
			for n := 0; n <= 64; n++ {
				// Mask a window inside a larger buffer so that writes
				// outside it would show.
				buf := make([]byte, n+16)
				for i := range buf {
					buf[i] = byte(rng.Uint32())
				}
				want := append([]byte(nil), buf...)
				wantPos := naiveMask(key, pos, want[8:8+n])
				gotPos := Mask(key, pos, buf[8:8+n])
				if gotPos != wantPos || !bytes.Equal(buf, want) {
					t.Fatalf("key % x pos %d len %d: got pos %d\n% x\nwant pos %d\n% x", key, pos, n, gotPos, buf, wantPos, want)
				}
			}
		}
	}
}

func TestMaskInPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	want := append([]byte(nil), data...)
	naiveMask(testKey, 0, want)
	got := append([]byte(nil), data...)
	pos := 0
	for b := got; len(b) > 0; {
		n := min(len(b), rng.IntN(70))
		pos = Mask(testKey, pos, b[:n])
		b = b[n:]
	}
	if !bytes.Equal(got, want) {
		t.Fatal("masking in pieces differs from masking at once")
	}
	// Masking twice gives the data back.
	Mask(testKey, 0, got)
	if !bytes.Equal(got, data) {
		t.Fatal("unmasking did not restore the data")
	}
}

func TestMaskRFCExample(t *testing.T) {
	b := hexBytes(0x7f, 0x9f, 0x4d, 0x51, 0x58)
	if pos := Mask(testKey, 0, b); pos != 1 || string(b) != "Hello" {
		t.Fatalf("got %q, pos %d", b, pos)
	}
	// A negative offset counts modulo 4 like any other.
	b = hexBytes('a'^testKey[3], 'b'^testKey[0])
	if pos := Mask(testKey, -1, b); pos != 1 || string(b) != "ab" {
		t.Fatalf("negative offset: % x, pos %d", b, pos)
	}
}

func TestMaskAllocs(t *testing.T) {
	b := make([]byte, 1000)
	if a := testing.AllocsPerRun(100, func() { Mask(testKey, 1, b) }); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}
