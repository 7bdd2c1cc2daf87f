package h1

import (
	"bytes"
	"errors"
	"net/http/httputil"
	"strings"
	"testing"

	"github.com/golws/lws/httpsem"
)

var errTruncated = errors.New("body ended before its last chunk")

// decodeAll feeds body to a fresh decoder in pieces of at most step bytes
// and returns the data and the error.
func decodeAll(body []byte, step int) (data []byte, err error) {
	var d ChunkedDecoder
	for off := 0; off < len(body) && !d.Done(); {
		piece := body[off:min(off+step, len(body))]
		for len(piece) > 0 && !d.Done() {
			n, p, err := d.Next(piece)
			if err != nil {
				return data, err
			}
			data = append(data, p...)
			piece = piece[n:]
			off += n
		}
	}
	if !d.Done() {
		return data, errTruncated
	}
	return data, nil
}

// TestChunkedAgainstGoEncoder: bodies encoded by Go's own chunked writer
// decode to the original, whatever the split.
func TestChunkedAgainstGoEncoder(t *testing.T) {
	for _, size := range []int{0, 1, 5, 100, 4096, 70000} {
		want := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		var enc bytes.Buffer
		w := httputil.NewChunkedWriter(&enc)
		for off := 0; off < size; off += 1000 {
			_, _ = w.Write(want[off:min(off+1000, size)])
		}
		_ = w.Close()
		enc.WriteString("\r\n") // no trailer: the final CRLF
		for _, step := range []int{1, 2, 3, 7, 64, 1 << 20} {
			got, err := decodeAll(enc.Bytes(), step)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("size %d step %d: %d bytes, %v", size, step, len(got), err)
			}
		}
	}
}

func TestChunkedCases(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		status           int // 0: accepted
	}{
		{"simple", "5\r\nhello\r\n0\r\n\r\n", "hello", 0},
		{"extensions", "5;name=val\r\nhello\r\n3 ; x\r\nabc\r\n0;last\r\n\r\n", "helloabc", 0},
		{"uppercase-hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0},
		{"trailers", "2\r\nhi\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n", "hi", 0},
		{"bare-lf", "2\nhi\n0\n\n", "", 400},
		{"bare-lf-after-size", "2\nhi\r\n0\r\n\r\n", "", 400},
		{"bare-lf-after-data", "2\r\nhi\n0\r\n\r\n", "hi", 400},
		{"bare-lf-after-last-size", "2\r\nhi\r\n0\n\r\n", "hi", 400},
		{"bare-lf-after-extension", "2;a=b\nhi\r\n0\r\n\r\n", "", 400},
		{"bare-lf-ending-body", "2\r\nhi\r\n0\r\n\n", "hi", 400},
		{"bare-lf-after-trailer", "2\r\nhi\r\n0\r\nX: 1\n\r\n", "hi", 400},
		{"bare-cr-after-size", "2\rhi\r\n0\r\n\r\n", "", 400},
		{"bare-cr-after-data", "2\r\nhi\rX0\r\n\r\n", "hi", 400},
		{"bare-cr-in-extension", "2;a\rb\r\nhi\r\n0\r\n\r\n", "", 400},
		{"bare-cr-in-trailer", "2\r\nhi\r\n0\r\nX: a\rb\r\n\r\n", "hi", 400},
		{"space-after-size", "2 \r\nhi\r\n0\r\n\r\n", "", 400},
		{"tab-after-size", "2\t\r\nhi\r\n0\r\n\r\n", "", 400},
		{"space-after-last-size", "2\r\nhi\r\n0 \r\n\r\n", "hi", 400},
		{"space-then-digit", "2 2\r\nhi\r\n0\r\n\r\n", "", 400},
		{"bws-before-extension", "2 \t;\t a = b ; c=\"q\\\"d\" ;e\r\nhi\r\n0\r\n\r\n", "hi", 0},
		{"quoted-extension", "2;a=\"x;y\\\\ z\"\r\nhi\r\n0\r\n\r\n", "hi", 0},
		{"space-after-extension", "2;a \r\nhi\r\n0\r\n\r\n", "", 400},
		{"space-after-extension-value", "2;a=b \r\nhi\r\n0\r\n\r\n", "", 400},
		{"empty-extension-name", "2;\r\nhi\r\n0\r\n\r\n", "", 400},
		{"empty-extension-value", "2;a=\r\nhi\r\n0\r\n\r\n", "", 400},
		{"extension-name-not-token", "2;a/b\r\nhi\r\n0\r\n\r\n", "", 400},
		{"extension-value-not-token", "2;a=b/c\r\nhi\r\n0\r\n\r\n", "", 400},
		{"unterminated-quote", "2;a=\"b\r\nhi\r\n0\r\n\r\n", "", 400},
		{"text-after-quote", "2;a=\"b\"c\r\nhi\r\n0\r\n\r\n", "", 400},
		{"control-in-extension", "2;a=\"\x01\"\r\nhi\r\n0\r\n\r\n", "", 400},
		{"trailer-without-colon", "2\r\nhi\r\n0\r\nX-A\r\n\r\n", "hi", 400},
		{"trailer-folded", "2\r\nhi\r\n0\r\nX: a\r\n b\r\n\r\n", "hi", 400},
		{"trailer-control", "2\r\nhi\r\n0\r\nX: \x00\r\n\r\n", "hi", 400},
		{"trailer-empty-value", "2\r\nhi\r\n0\r\nX:\r\n\r\n", "hi", 0},
		{"no-digits", "\r\nhi\r\n", "", 400},
		{"bad-digit", "2x\r\nhi\r\n0\r\n\r\n", "", 400},
		{"negative", "-1\r\n", "", 400},
		{"huge", "1000000000000000\r\n", "", 413},
		{"no-crlf-after-data", "2\r\nhiX\r\n0\r\n\r\n", "hi", 400},
		{"long-extension", "1;" + strings.Repeat("x", 5000) + "\r\n", "", 400},
		{"long-trailer", "0\r\nX: " + strings.Repeat("y", 5000) + "\r\n\r\n", "", 431},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for step := 1; step <= len(tc.body); step++ {
				got, err := decodeAll([]byte(tc.body), step)
				var he *httpsem.Error
				switch {
				case tc.status == 0 && err != nil:
					t.Fatalf("step %d: %v", step, err)
				case tc.status == 0 && string(got) != tc.want:
					t.Fatalf("step %d: got %q, want %q", step, got, tc.want)
				case tc.status != 0 && (!errors.As(err, &he) || he.Status != tc.status):
					t.Fatalf("step %d: error %v, want status %d", step, err, tc.status)
				}
			}
		})
	}
}

// TestChunkedLeavesPipelinedBytes: the decoder stops at the end of the
// body, leaving the next request's bytes unused.
func TestChunkedLeavesPipelinedBytes(t *testing.T) {
	in := []byte("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n")
	var d ChunkedDecoder
	var data []byte
	used := 0
	for !d.Done() {
		n, p, err := d.Next(in[used:])
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, p...)
		used += n
	}
	if string(data) != "abc" || string(in[used:]) != "GET / HTTP/1.1\r\n" {
		t.Fatalf("data %q, left %q", data, in[used:])
	}
	d.Reset()
	if d.Done() {
		t.Fatal("Reset left the decoder done")
	}
}

func FuzzChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("2;a=b\r\nhi\r\n0\r\nX: y\r\n\r\n"))
	f.Add([]byte("2 ; a = \"b\\\"\" ;c\r\nhi\r\n0\r\n\r\n"))
	f.Add([]byte("2\nhi\n0\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		whole, err1 := decodeAll(body, len(body)+1)
		bytewise, err2 := decodeAll(body, 1)
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(whole, bytewise) {
			t.Fatalf("whole: %q %v; byte by byte: %q %v", whole, err1, bytewise, err2)
		}
		if len(whole) > len(body) {
			t.Fatalf("%d data bytes from a %d-byte body", len(whole), len(body))
		}
	})
}
