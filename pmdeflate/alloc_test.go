package pmdeflate

import (
	"testing"
)

// TestEncodeDecodeAllocatesNothing: with the pools warm, compressing and
// decompressing a message, whole or in pieces, allocates nothing, with and
// without context takeover.
func TestEncodeDecodeAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, takeover := range []bool{true, false} {
		p := Params{ServerNoContextTakeover: !takeover, ClientNoContextTakeover: !takeover}
		tx := NewSession(p, true, Options{})
		rx := NewSession(p, false, Options{})
		msg := jsonMessage(1024, 1)
		out := make([]byte, 0, 4096)
		dst := make([]byte, 4096)
		var err error
		pieces := 1
		round := func() {
			// Alternately in one piece and in pieces.
			pieces = 5 - pieces
			out = out[:0]
			for i := range pieces {
				part := msg[i*len(msg)/pieces : (i+1)*len(msg)/pieces]
				out, _, err = tx.Encode(out, part, i == 0, i == pieces-1)
				if err != nil {
					t.Fatal(err)
				}
			}
			if err = rx.Feed(out, true); err != nil {
				t.Fatal(err)
			}
			total := 0
			for {
				n, end, err := rx.Decode(dst)
				if err != nil || (n == 0 && !end) {
					t.Fatalf("Decode: %d, %v, %v", n, end, err)
				}
				total += n
				if end {
					break
				}
			}
			if total != len(msg) {
				t.Fatalf("decoded %d bytes of %d", total, len(msg))
			}
		}
		for range 3 {
			round()
		}
		if a := testing.AllocsPerRun(100, round); a != 0 {
			t.Errorf("takeover=%v: %.1f allocations a message", takeover, a)
		}
		tx.Release()
		rx.Release()
	}
}
