package spa

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
)

// patternReader yields n bytes of a cycle full of near-delimiters.
type patternReader struct {
	cycle []byte
	off   int
	n     int
}

func (r *patternReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(b) && r.n > 0 {
		c := copy(b[k:min(len(b), k+r.n)], r.cycle[r.off:])
		k += c
		r.n -= c
		r.off = (r.off + c) % len(r.cycle)
	}
	return k, nil
}

const boundary = "StreamBoundary0123456789"

func streamCycle() []byte {
	var c []byte
	for i := 0; len(c) < 4000; i++ {
		c = append(c, byte(i*7), byte(i>>3))
		switch i % 97 {
		case 5:
			c = append(c, "\r\n--"+boundary[:i%len(boundary)]...)
		case 9:
			c = append(c, "\r\r\n-\r\n--\r"...)
		}
	}
	return c
}

// TestStreamLargeFile feeds a 10 MiB file part in 1 KiB writes: the
// callback sees every byte, in order, and the parser allocates next to
// nothing meanwhile.
func TestStreamLargeFile(t *testing.T) {
	const size = 10 << 20
	cycle := streamCycle()
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n--" + boundary +
		"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nB\r\n--" + boundary + "--\r\n"
	body := io.MultiReader(strings.NewReader(head), &patternReader{cycle: cycle, n: size}, strings.NewReader(tail))

	var got, off int
	var final, closed bool
	p, err := New("multipart/form-data; boundary="+boundary, Config{
		Params: []string{"a", "b"},
		File: func(ev FileEvent) error {
			switch ev.State {
			case FileContent, FileFinalContent:
				for _, c := range ev.Data {
					if c != cycle[off] {
						t.Fatalf("byte %d: %#x, want %#x", got, c, cycle[off])
					}
					got++
					off++
					if off == len(cycle) {
						off = 0
					}
				}
				final = ev.State == FileFinalContent
			case FileClose:
				closed = true
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if _, err := p.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
		}
		if rerr != nil {
			break
		}
	}
	if err := p.Finalize(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got != size || !final || !closed {
		t.Fatalf("callback saw %d bytes, final %v closed %v", got, final, closed)
	}
	if a, _ := p.Get("a"); a != "A" {
		t.Errorf("a = %q", a)
	}
	if b, _ := p.Get("b"); b != "B" {
		t.Errorf("b = %q", b)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Errorf("parsing 10 MiB allocated %d bytes", d)
	}
	checkBounds(t, p)
}

// TestAllocs checks that feeding file content allocates nothing,
// including when a write ends in what may be a delimiter.
func TestAllocs(t *testing.T) {
	p, err := New("multipart/form-data; boundary="+boundary, Config{File: func(FileEvent) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n"
	if _, err := p.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("0123456789abcdef"), 64)
	held := append(bytes.Repeat([]byte("x\r\n"), 300), "\r\n--"+boundary[:9]...)
	near := []byte(boundary[9:12] + "not it\r\n-\r\n--" + boundary[:len(boundary)-1] + "!")
	for _, chunks := range [][][]byte{{plain}, {held, near}} {
		if a := testing.AllocsPerRun(200, func() {
			for _, c := range chunks {
				if _, err := p.Write(c); err != nil {
					t.Fatal(err)
				}
			}
		}); a != 0 {
			t.Errorf("%d allocations per write", int(a))
		}
	}
}
