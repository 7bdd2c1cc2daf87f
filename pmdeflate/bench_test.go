package pmdeflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"runtime"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// The comparison of the two deflate libraries that could serve here, in
// one run: compress/flate ("stdlib") and klauspost/compress/flate
// ("klauspost"), used as a Session uses them: one pooled Writer reset per
// message (no context takeover), one pooled Reader reset per message.
// Each reports ns/op, allocations, the compression ratio
// (compressed/original) and the heap a Writer or a Reader holds, which is
// what a message in flight borrows.

type flateLib struct {
	name      string
	newWriter func(w io.Writer, level int) (interface {
		io.Writer
		Flush() error
		Reset(io.Writer)
	}, error)
	newReader func(r io.Reader) io.ReadCloser
}

var flateLibs = []flateLib{
	{"stdlib", func(w io.Writer, level int) (interface {
		io.Writer
		Flush() error
		Reset(io.Writer)
	}, error) {
		return flate.NewWriter(w, level)
	}, flate.NewReader},
	{"klauspost", func(w io.Writer, level int) (interface {
		io.Writer
		Flush() error
		Reset(io.Writer)
	}, error) {
		return kflate.NewWriter(w, level)
	}, kflate.NewReader},
}

// heapOf is the heap that make's result keeps alive, in bytes.
func heapOf(make func() any) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep := make()
	runtime.GC() // twice: pooled objects survive one collection
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return after.HeapAlloc - before.HeapAlloc
}

// BenchmarkLibraries compares the libraries on JSON-like messages of 1 KiB
// and 64 KiB at level 1 (lws's default).
func BenchmarkLibraries(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		msg := jsonMessage(size, 1)
		for _, lib := range flateLibs {
			var out bytes.Buffer
			w, err := lib.newWriter(&out, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("encode/%dKiB/%s", size>>10, lib.name), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				state := heapOf(func() any { w, _ := lib.newWriter(io.Discard, 1); w.Write(msg); return w })
				for b.Loop() {
					out.Reset()
					w.Reset(&out)
					w.Write(msg)
					w.Flush()
				}
				b.ReportMetric(float64(out.Len()-4)/float64(size), "ratio")
				b.ReportMetric(float64(state), "state-B")
			})
			w.Reset(&out)
			out.Reset()
			w.Write(msg)
			w.Flush()
			payload := append(bytes.Clone(out.Bytes()), 1, 0, 0, 0xff, 0xff)
			b.Run(fmt.Sprintf("decode/%dKiB/%s", size>>10, lib.name), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				src := bytes.NewReader(payload)
				r := lib.newReader(src)
				dst := make([]byte, 4096)
				state := heapOf(func() any {
					r := lib.newReader(bytes.NewReader(payload))
					io.Copy(io.Discard, r)
					return r
				})
				for b.Loop() {
					src.Reset(payload)
					r.(flate.Resetter).Reset(src, nil)
					for {
						_, err := r.Read(dst)
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(state), "state-B")
			})
		}
	}
}

// BenchmarkEncode is a Session compressing 1 KiB JSON-like messages, with
// and without context takeover; ratio is compressed/original.
func BenchmarkEncode(b *testing.B) {
	for _, takeover := range []bool{false, true} {
		b.Run(fmt.Sprintf("takeover=%v", takeover), func(b *testing.B) {
			s := NewSession(Params{ServerNoContextTakeover: !takeover}, true, Options{})
			defer s.Release()
			msgs := [][]byte{jsonMessage(1024, 1), jsonMessage(1024, 2)}
			out := make([]byte, 0, 2048)
			b.SetBytes(1024)
			b.ReportAllocs()
			total := 0
			i := 0
			for b.Loop() {
				out, _, _ = s.Encode(out[:0], msgs[i&1], true, true)
				total += len(out)
				i++
			}
			b.ReportMetric(float64(total)/float64(1024*i), "ratio")
		})
	}
}

// BenchmarkEncodeDictSize is the cost of context takeover's dictionary
// (tx_dict_size) on distinct 1 KiB JSON-like messages of a common
// vocabulary.
func BenchmarkEncodeDictSize(b *testing.B) {
	var msgs [512][]byte
	for i := range msgs {
		msgs[i] = jsonMessage(1024, uint64(i))
	}
	for _, dict := range []int{0, 1024, 2048, 4096, 8192, 32768} {
		b.Run(fmt.Sprintf("tx_dict_size=%d", dict), func(b *testing.B) {
			// 0: no context takeover, for comparison.
			s := NewSession(Params{ServerNoContextTakeover: dict == 0}, true, Options{TxDictSize: dict})
			defer s.Release()
			out := make([]byte, 0, 2048)
			b.SetBytes(1024)
			b.ReportAllocs()
			total, i := 0, 0
			for b.Loop() {
				out, _, _ = s.Encode(out[:0], msgs[i%len(msgs)], true, true)
				total += len(out)
				i++
			}
			b.ReportMetric(float64(total)/float64(1024*i), "ratio")
		})
	}
}

// BenchmarkDecode is a Session decompressing 1 KiB JSON-like messages,
// with and without context takeover.
func BenchmarkDecode(b *testing.B) {
	for _, takeover := range []bool{false, true} {
		b.Run(fmt.Sprintf("takeover=%v", takeover), func(b *testing.B) {
			p := Params{ServerNoContextTakeover: !takeover}
			tx := NewSession(p, true, Options{})
			rx := NewSession(p, false, Options{})
			defer rx.Release()
			const n = 64
			var payloads [n][]byte
			for i := range payloads {
				out, _, _ := tx.Encode(nil, jsonMessage(1024, uint64(i%2)), true, true)
				payloads[i] = out
			}
			tx.Release()
			dst := make([]byte, 1024)
			b.SetBytes(1024)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if takeover && i%n == 0 {
					rx.Release()
					rx = NewSession(p, false, Options{})
				}
				rx.Feed(payloads[i%n], true)
				for {
					_, end, err := rx.Decode(dst)
					if err != nil {
						b.Fatal(err)
					}
					if end {
						break
					}
				}
				i++
			}
		})
	}
}

// BenchmarkState reports the memory a Session holds: per connection
// between messages (idle-B, with and without context takeover, both
// directions used), and what a message in flight borrows from the pools:
// the compressor (per level and window) and the inflater.
func BenchmarkState(b *testing.B) {
	msg := jsonMessage(1024, 1)
	for _, takeover := range []bool{true, false} {
		b.Run(fmt.Sprintf("idle/takeover=%v", takeover), func(b *testing.B) {
			p := Params{ServerNoContextTakeover: !takeover, ClientNoContextTakeover: !takeover}
			var idle uint64
			for b.Loop() {
				idle = heapOf(func() any {
					s := NewSession(p, true, Options{})
					out, _, _ := s.Encode(nil, msg, true, true)
					decodeAll(b, s, out, 1024, 1024)
					return s
				})
			}
			b.ReportMetric(float64(idle), "idle-B")
		})
	}
	for _, c := range []struct {
		name        string
		level, bits int
	}{{"level=1", 1, 15}, {"level=9", 9, 15}, {"bits=10", 1, 10}, {"huffman", -2, 15}} {
		b.Run("compressor/"+c.name, func(b *testing.B) {
			var n uint64
			for b.Loop() {
				n = heapOf(func() any {
					d := getDeflater(compressorKey(c.level, c.bits))
					d.w.Write(msg)
					d.w.Flush()
					return d
				})
			}
			b.ReportMetric(float64(n), "state-B")
		})
	}
	b.Run("inflater", func(b *testing.B) {
		var n uint64
		for b.Loop() {
			n = heapOf(func() any {
				s := NewSession(Params{}, true, Options{})
				s.Feed([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, true)
				inf := s.inf
				s.Decode(make([]byte, 16))
				return inf
			})
		}
		b.ReportMetric(float64(n), "state-B")
	})
}

// BenchmarkDecodeLarge is a Session decompressing a 4 MiB JSON-like
// message (stored blocks, so its payload is as long) fed in 4 KiB pieces,
// as a connection feeds what it reads.
func BenchmarkDecodeLarge(b *testing.B) {
	msg := jsonMessage(4<<20, 1)
	var payload []byte
	{
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.NoCompression)
		w.Write(msg)
		w.Flush()
		payload = buf.Bytes()[:buf.Len()-4]
	}
	s := NewSession(Params{ClientNoContextTakeover: true}, true, Options{RxBufSize: 12})
	defer s.Release()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	dst := make([]byte, 4096)
	for b.Loop() {
		rest, total := payload, 0
		for end := false; !end; {
			n, e, err := s.Decode(dst)
			if err != nil {
				b.Fatal(err)
			}
			total += n
			end = e
			if n == 0 && !end {
				piece := rest[:min(4096, len(rest))]
				rest = rest[len(piece):]
				if err := s.Feed(piece, len(rest) == 0); err != nil {
					b.Fatal(err)
				}
			}
		}
		if total != len(msg) {
			b.Fatalf("got %d bytes", total)
		}
	}
}
