package ws

import (
	"strings"
	"testing"
)

func benchmarkParse(b *testing.B, size int) {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	frame := frameBytes(Header{Fin: true, Opcode: OpBinary, Masked: true, Mask: testKey}, payload)
	var p Parser
	p.Reset(ParserConfig{Server: true})
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		// Unmasking in place flips the payload each round; the parser
		// does not care what it holds.
		buf := frame
		for len(buf) > 0 {
			n, _, _, err := p.Next(buf)
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[n:]
		}
	}
}

func BenchmarkParseMasked16(b *testing.B)  { benchmarkParse(b, 16) }
func BenchmarkParseMasked1K(b *testing.B)  { benchmarkParse(b, 1<<10) }
func BenchmarkParseMasked64K(b *testing.B) { benchmarkParse(b, 64<<10) }

func benchmarkMask(b *testing.B, size int) {
	buf := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		Mask(testKey, 1, buf)
	}
}

func BenchmarkMask1K(b *testing.B)  { benchmarkMask(b, 1<<10) }
func BenchmarkMask64K(b *testing.B) { benchmarkMask(b, 64<<10) }

func benchmarkUTF8(b *testing.B, text []byte) {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var v UTF8
	for b.Loop() {
		v.Reset()
		if !v.Write(text) || !v.Complete() {
			b.Fatal("invalid")
		}
	}
}

// kib repeats s and cuts the result to at most 1 KiB on a character
// boundary.
func kib(s string) []byte {
	t := strings.Repeat(s, 1024/len(s)+1)[:1024]
	for !ValidUTF8([]byte(t)) {
		t = t[:len(t)-1]
	}
	return []byte(t)
}

func BenchmarkUTF8ASCII1K(b *testing.B) {
	benchmarkUTF8(b, kib("The quick brown fox jumps over the lazy dog. "))
}

func BenchmarkUTF8Mixed1K(b *testing.B) {
	benchmarkUTF8(b, kib("Grüße, κόσμε! Привет, 世界. ☃ 𝄞 plain words here; "))
}
