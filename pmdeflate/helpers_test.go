package pmdeflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// jsonMessage is a JSON-like message of about n bytes, varied by seed.
func jsonMessage(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	names := []string{"id", "user", "price", "quantity", "status", "timestamp", "symbol", "side"}
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for b.Len() < n {
		fmt.Fprintf(&b, `{"%s":%d,"%s":"%s-%d","%s":%d.%02d},`,
			names[r.IntN(len(names))], r.IntN(100000),
			names[r.IntN(len(names))], names[r.IntN(len(names))], r.IntN(1000),
			names[r.IntN(len(names))], r.IntN(1000), r.IntN(100))
	}
	out := b.Bytes()[:n]
	return out
}

// stdWriter compresses messages as an independent sender would, with
// compress/flate: a sync flush per message, its 00 00 ff ff removed.
type stdWriter struct {
	buf bytes.Buffer
	w   *flate.Writer
}

func newStdWriter(t testing.TB, level int) *stdWriter {
	s := &stdWriter{}
	var err error
	if s.w, err = flate.NewWriter(&s.buf, level); err != nil {
		t.Fatal(err)
	}
	return s
}

// message compresses one message; takeover false starts afresh.
func (s *stdWriter) message(t testing.TB, msg []byte, takeover bool) []byte {
	if !takeover {
		s.w.Reset(&s.buf)
	}
	s.buf.Reset()
	if _, err := s.w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := s.w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(s.buf.Bytes())
	if !bytes.HasSuffix(out, syncMarker) {
		t.Fatalf("compress/flate's flush ends % x", out[max(0, len(out)-8):])
	}
	return out[:len(out)-4]
}

// stdReader decompresses messages as an independent receiver would, with
// compress/flate, keeping the stream across messages (context takeover).
type stdReader struct {
	buf bytes.Buffer
	r   io.ReadCloser
}

func newStdReader() *stdReader {
	s := &stdReader{}
	s.r = flate.NewReader(&s.buf)
	return s
}

// message decompresses one message of n bytes, continuing the stream.
func (s *stdReader) message(t testing.TB, payload []byte, n int) []byte {
	t.Helper()
	s.buf.Write(payload)
	s.buf.Write(syncMarker)
	out := make([]byte, n)
	if _, err := io.ReadFull(s.r, out); err != nil {
		t.Fatalf("compress/flate cannot inflate the message: %v", err)
	}
	return out
}

// decodeAll feeds payload to s in pieces of feedSize and pulls with dst
// of dstSize, returning the message.
func decodeAll(t testing.TB, s *Session, payload []byte, feedSize, dstSize int) []byte {
	t.Helper()
	got, err := decodeErr(s, payload, feedSize, dstSize)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// decodeErr is decodeAll returning Decode's or Feed's error.
func decodeErr(s *Session, payload []byte, feedSize, dstSize int) ([]byte, error) {
	var got []byte
	dst := make([]byte, dstSize)
	rest := payload
	final := false
	feed := func() error {
		piece := rest[:min(feedSize, len(rest))]
		rest = rest[len(piece):]
		final = len(rest) == 0
		return s.Feed(piece, final)
	}
	if err := feed(); err != nil {
		return got, err
	}
	for {
		n, end, err := s.Decode(dst)
		got = append(got, dst[:n]...)
		if err != nil {
			return got, err
		}
		if end {
			return got, nil
		}
		if n == 0 {
			if final {
				return got, fmt.Errorf("Decode asks for input after the final piece")
			}
			if err := feed(); err != nil {
				return got, err
			}
		}
	}
}

// stdInflate decompresses one message on its own with compress/flate.
func stdInflate(t testing.TB, payload []byte) []byte {
	t.Helper()
	r := flate.NewReader(bytes.NewReader(append(bytes.Clone(payload), trailer...)))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("compress/flate cannot inflate the message: %v", err)
	}
	return out
}
