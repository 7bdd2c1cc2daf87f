package pmdeflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"testing"
)

// TestDecodeRFCExamples decodes the examples of RFC 7692 section 7.2.3.
func TestDecodeRFCExamples(t *testing.T) {
	hello := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"compressed", hello},
		{"stored block", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}},
		{"BFINAL set", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}},
		{"two blocks", []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}},
	} {
		for feed := 1; feed <= len(tc.payload); feed++ {
			s := NewSession(Params{}, true, Options{})
			got := decodeAll(t, s, tc.payload, feed, 1)
			if string(got) != "Hello" {
				t.Errorf("%s, fed %d at a time: got %q", tc.name, feed, got)
			}
			s.Release()
		}
	}
	// Section 7.2.3.2: the second "Hello" refers to the first.
	s := NewSession(Params{}, false, Options{})
	for i, p := range [][]byte{hello, {0xf2, 0x00, 0x11, 0x00, 0x00}} {
		if got := decodeAll(t, s, p, 2, 3); string(got) != "Hello" {
			t.Errorf("message %d with context takeover: got %q", i, got)
		}
	}
	// Section 7.2.3.6: an empty message compresses to 00.
	if got := decodeAll(t, s, []byte{0x00}, 1, 8); len(got) != 0 {
		t.Errorf("empty message: got %q", got)
	}
	// No payload at all is an empty message too, as zlib (lws's
	// inflater) takes 00 00 ff ff alone; the history goes on.
	for _, pieces := range [][][]byte{{nil}, {{}, {}, nil}} {
		for i, p := range pieces {
			if err := s.Feed(p, i == len(pieces)-1); err != nil {
				t.Fatal(err)
			}
			n, end, err := s.Decode(make([]byte, 8))
			if err != nil || n != 0 || end != (i == len(pieces)-1) {
				t.Fatalf("empty payload: %d, %v, %v", n, end, err)
			}
		}
	}
	if got := decodeAll(t, s, []byte{0xf2, 0x00, 0x11, 0x00, 0x00}, 5, 8); string(got) != "Hello" {
		t.Errorf("after empty messages, the Hello that refers back gives %q", got)
	}
}

// TestEncodeRFCExample compresses "Hello" as RFC 7692 section 7.2.3.1 does
// and the second "Hello" against the first as section 7.2.3.2 does. Sent
// in two pieces, so that Encode commits to compressing it; in one piece
// it is sent as it is, since compressing does not make it shorter.
func TestEncodeRFCExample(t *testing.T) {
	s := NewSession(Params{}, true, Options{})
	defer s.Release()
	r := newStdReader()
	for range 2 {
		out, compressed, err := s.Encode(nil, []byte("Hel"), true, false)
		if err != nil || !compressed {
			t.Fatalf("Encode: %v, compressed %v", err, compressed)
		}
		out, _, err = s.Encode(out, []byte("lo"), false, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.message(t, out, 5); string(got) != "Hello" {
			t.Fatalf("got %q", got)
		}
	}
	// Every message is compressed by default, as lws does, even when
	// that does not pay.
	out, compressed, err := s.Encode(nil, []byte("Hello"), true, true)
	if err != nil || !compressed {
		t.Fatalf("Hello in one piece: %q, compressed %v, %v; want it compressed", out, compressed, err)
	}
	if got := r.message(t, out, 5); string(got) != "Hello" {
		t.Fatalf("got %q", got)
	}
	// With compress_min_size, a message compression does not shorten
	// goes as it is.
	s.o.CompressMinSize = 1
	out, compressed, err = s.Encode(nil, []byte("Hello"), true, true)
	if err != nil || compressed || string(out) != "Hello" {
		t.Errorf("Hello in one piece, compress_min_size 1: %q, compressed %v, %v; want it as it is", out, compressed, err)
	}
	s.o.CompressMinSize = 0
	// A message sent again costs a few bytes with context takeover.
	msg := jsonMessage(300, 1)
	for i := range 2 {
		out, compressed, err := s.Encode(nil, msg, true, true)
		if err != nil || !compressed {
			t.Fatalf("Encode: %v, compressed %v", err, compressed)
		}
		if i == 1 && len(out) > 20 {
			t.Errorf("the second copy of a message took %d bytes: no context takeover", len(out))
		}
		if got := r.message(t, out, len(msg)); !bytes.Equal(got, msg) {
			t.Fatalf("got %q", got)
		}
	}
}

// TestDecodeStdlibMessages decodes what compress/flate compressed, with and
// without context takeover, fed and pulled in pieces of many sizes.
func TestDecodeStdlibMessages(t *testing.T) {
	for _, takeover := range []bool{true, false} {
		for _, size := range []int{0, 1, 100, 1024, 70000, 300000} {
			for _, level := range []int{flate.BestSpeed, flate.BestCompression, flate.HuffmanOnly, flate.NoCompression} {
				name := fmt.Sprintf("takeover=%v/size=%d/level=%d", takeover, size, level)
				t.Run(name, func(t *testing.T) {
					w := newStdWriter(t, level)
					s := NewSession(Params{ClientNoContextTakeover: !takeover}, true, Options{RxBufSize: 16})
					defer s.Release()
					for i := range 4 {
						msg := jsonMessage(size, uint64(i%2))
						payload := w.message(t, msg, takeover)
						feed := []int{1, 7, 1000, 1 << 20}[i]
						dst := []int{1, 13, 4096, 1 << 16}[i]
						if size > 1024 && feed < 100 {
							feed = 4096
						}
						if got := decodeAll(t, s, payload, feed, dst); !bytes.Equal(got, msg) {
							t.Fatalf("message %d: got %d bytes, want %d", i, len(got), len(msg))
						}
					}
				})
			}
		}
	}
}

// TestEncodeStdlibInflates has compress/flate inflate what Encode
// produced, whole and in pieces, with and without context takeover, at
// every window size.
func TestEncodeStdlibInflates(t *testing.T) {
	for _, takeover := range []bool{true, false} {
		for bits := 8; bits <= 15; bits++ {
			for _, level := range []int{0, 5, 9, -1, -2} {
				t.Run(fmt.Sprintf("takeover=%v/bits=%d/level=%d", takeover, bits, level), func(t *testing.T) {
					p := Params{ServerNoContextTakeover: !takeover, ServerMaxWindowBits: bits}
					s := NewSession(p, true, Options{CompressionLevel: level})
					defer s.Release()
					r := newStdReader()
					for i, size := range []int{1000, 1000, 5, 70000, 0, 3000} {
						msg := jsonMessage(size, uint64(i%2))
						var out []byte
						compressed := false
						piece := []int{1 << 20, 100, 1, 4000, 1, 7}[i]
						for off := 0; off == 0 || off < len(msg); off += piece {
							end := min(off+piece, len(msg))
							var err error
							var c bool
							out, c, err = s.Encode(out, msg[off:end], off == 0, end == len(msg))
							if err != nil {
								t.Fatal(err)
							}
							if off == 0 {
								compressed = c
							}
						}
						if !compressed {
							if !bytes.Equal(out, msg) {
								t.Fatalf("message %d sent uncompressed but changed", i)
							}
							continue
						}
						if !takeover {
							r = newStdReader()
						}
						if got := r.message(t, out, len(msg)); !bytes.Equal(got, msg) {
							t.Fatalf("message %d: compress/flate got something else", i)
						}
						if !takeover {
							if got := stdInflate(t, out); !bytes.Equal(got, msg) {
								t.Fatalf("message %d does not stand alone", i)
							}
						}
					}
				})
			}
		}
	}
}

// TestDecodeEndComesWithLastBytes: the end of a message is reported with
// its last bytes, even when they fill dst exactly.
func TestDecodeEndComesWithLastBytes(t *testing.T) {
	w := newStdWriter(t, 1)
	for _, size := range []int{1, 2, 1023, 1024, 1025, 2048, 4096, 100000} {
		for _, dstSize := range []int{1, 2, 512, 1024} {
			msg := jsonMessage(size, 5)
			payload := w.message(t, msg, false)
			s := NewSession(Params{ClientNoContextTakeover: true}, true, Options{})
			if err := s.Feed(payload, true); err != nil {
				t.Fatal(err)
			}
			dst := make([]byte, dstSize)
			var got []byte
			for {
				n, end, err := s.Decode(dst)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					t.Fatalf("size %d, dst %d: a call gave nothing (end %v) after %d bytes", size, dstSize, end, len(got))
				}
				got = append(got, dst[:n]...)
				if end {
					break
				}
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("size %d, dst %d: got %d bytes", size, dstSize, len(got))
			}
			s.Release()
		}
	}
}

// TestHistoryRing checks the history ring against the tail of everything
// written, across wraps.
func TestHistoryRing(t *testing.T) {
	for _, size := range []int{1, 7, 256, 1024} {
		h := history{size: size}
		var all []byte
		scratch := make([]byte, size)
		for i, n := range []int{0, 1, 3, size - 1, size, size + 1, 2*size + 3, 5, 1, size / 2} {
			p := jsonMessage(n, uint64(i))
			h.write(p)
			all = append(all, p...)
			want := all[max(0, len(all)-size):]
			if got := h.bytes(scratch); !bytes.Equal(got, want) {
				t.Fatalf("size %d after %d writes: got %q, want %q", size, i+1, got, want)
			}
		}
	}
}

// TestSetOptionWhileSending: options changed while a message is being sent
// apply from the next message, which compress/flate still inflates.
func TestSetOptionWhileSending(t *testing.T) {
	for _, opt := range [][2]string{{"tx_dict_size", "32768"}, {"tx_dict_size", "1"}, {"compression_level", "9"}, {"compression_level", "0"}} {
		s := NewSession(Params{}, true, Options{})
		r := newStdReader()
		msg := jsonMessage(5000, 1)
		out, _, err := s.Encode(nil, msg[:2000], true, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetOption(opt[0], opt[1]); err != nil {
			t.Fatal(err)
		}
		out, _, err = s.Encode(out, msg[2000:], false, true)
		if err != nil {
			t.Fatalf("%s=%s: the message being sent fails: %v", opt[0], opt[1], err)
		}
		if got := r.message(t, out, len(msg)); !bytes.Equal(got, msg) {
			t.Fatalf("%s=%s: the message being sent changed", opt[0], opt[1])
		}
		for i := range 2 {
			out, compressed, err := s.Encode(nil, msg, true, true)
			if err != nil {
				t.Fatal(err)
			}
			if !compressed {
				continue
			}
			if got := r.message(t, out, len(msg)); !bytes.Equal(got, msg) {
				t.Fatalf("%s=%s: message %d after the change arrives changed", opt[0], opt[1], i)
			}
		}
		s.Release()
	}
}
