package pmdeflate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// zlibInflate is zlib (through Python's zlib module) inflating messages
// as a receiver that negotiated bits window bits does, at most 16 output bytes per
// call, so that zlib checks every back reference against its window of
// 2^bits bytes ("invalid distance too far back"). It is the independent
// check that Encode honours a negotiated window below 15 bits, which
// compress/flate, always using 32 KiB, cannot make.
const zlibInflate = `
import sys, zlib, struct
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
while data:
    bits, takeover, count = data[0], data[1], data[2]
    data = data[3:]
    d = None
    for _ in range(count):
        n = struct.unpack('>I', data[:4])[0]
        msg, data = data[4:4+n], data[4+n:]
        if d is None or not takeover:
            d = zlib.decompressobj(-bits)
        buf = msg + b'\x00\x00\xff\xff'
        res = bytearray()
        while True:
            chunk = d.decompress(buf, 16)
            buf = d.unconsumed_tail
            if not chunk and not buf:
                break
            res += chunk
        out.write(struct.pack('>I', len(res)))
        out.write(res)
`

// TestEncodeWindowBitsZlib has zlib, with the negotiated window, inflate
// what Encode compressed at every window size, with and without context
// takeover and with a send history as big as the window.
func TestEncodeWindowBitsZlib(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal("python3 (with zlib) is needed: apt-get install python3")
		}
		t.Skip("python3 is not installed")
	}
	var msgs [][]byte
	for i, size := range []int{3000, 1000, 6000, 10, 2000} {
		msgs = append(msgs, jsonMessage(size, uint64(i)))
	}
	var in []byte
	var sent [][]byte
	var names []string
	for _, takeover := range []bool{true, false} {
		for bits := 8; bits <= 15; bits++ {
			for _, level := range []int{0, 9} {
				name := fmt.Sprintf("takeover=%v/bits=%d/level=%d", takeover, bits, level)
				s := NewSession(Params{ClientNoContextTakeover: !takeover, ClientMaxWindowBits: bits}, false,
					Options{CompressionLevel: level, TxDictSize: 32768})
				in = append(in, byte(bits), 0, byte(len(msgs)))
				if takeover {
					in[len(in)-2] = 1
				}
				for i, msg := range msgs {
					out, compressed, err := s.Encode(nil, msg, true, i == 2)
					if err == nil && i != 2 {
						out, _, err = s.Encode(out, nil, false, true)
					}
					if err != nil || !compressed {
						t.Fatalf("%s: Encode: %v, compressed %v", name, err, compressed)
					}
					in = binary.BigEndian.AppendUint32(in, uint32(len(out)))
					in = append(in, out...)
					sent = append(sent, msg)
					names = append(names, name)
				}
				s.Release()
			}
		}
	}
	cmd := exec.Command("python3", "-c", zlibInflate)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("zlib refuses a stream after %d messages: %v\n%s", countMessages(got), err, stderr.Bytes())
	}
	for i, msg := range sent {
		if len(got) < 4 {
			t.Fatalf("zlib inflated %d of %d messages", i, len(sent))
		}
		n := binary.BigEndian.Uint32(got)
		if !bytes.Equal(got[4:4+n], msg) {
			t.Fatalf("%s: zlib inflates message %d to something else", names[i], i%len(msgs))
		}
		got = got[4+n:]
	}
}

// countMessages counts the length-prefixed messages in b.
func countMessages(b []byte) int {
	n := 0
	for len(b) >= 4 {
		b = b[min(len(b), 4+int(binary.BigEndian.Uint32(b))):]
		n++
	}
	return n
}

// zlibDeflate is zlib (through Python's zlib module) compressing messages
// with context takeover, a stream for each window size its input gives, a
// sync flush each, their 00 00 ff ff removed. zlib refuses a raw deflate
// window of 8 bits; peers built on it (lws, browsers) compress with 9
// when 8 was negotiated, and so does this.
const zlibDeflate = `
import sys, zlib, struct
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
while data:
    bits, count = data[0], data[1]
    data = data[2:]
    c = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
    for _ in range(count):
        n = struct.unpack('>I', data[:4])[0]
        msg, data = data[4:4+n], data[4+n:]
        z = c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH)
        assert z.endswith(b'\x00\x00\xff\xff')
        z = z[:-4]
        out.write(struct.pack('>I', len(z)))
        out.write(z)
`

// TestDecodeZlibWindowBits decodes what zlib compressed with context
// takeover at every window size, 9 bits standing in for 8. zlib keeps its
// references within its window less 262 bytes (MAX_DIST), 250 bytes for 9
// bits, so the 256 bytes of history a receiver of 8 bits keeps serve such
// peers too.
func TestDecodeZlibWindowBits(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal("python3 (with zlib) is needed: apt-get install python3")
		}
		t.Skip("python3 is not installed")
	}
	var msgs [][]byte
	for i := range 40 {
		msgs = append(msgs, jsonMessage(100+i*37%700, uint64(i%7)))
	}
	var in []byte
	for bits := 8; bits <= 15; bits++ {
		in = append(in, byte(bits), byte(len(msgs)))
		for _, msg := range msgs {
			in = binary.BigEndian.AppendUint32(in, uint32(len(msg)))
			in = append(in, msg...)
		}
	}
	cmd := exec.Command("python3", "-c", zlibDeflate)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zlib: %v\n%s", err, stderr.Bytes())
	}
	for bits := 8; bits <= 15; bits++ {
		s := NewSession(Params{ClientMaxWindowBits: bits}, true, Options{})
		for i, msg := range msgs {
			if len(out) < 4 {
				t.Fatalf("zlib compressed %d messages of %d", i, len(msgs))
			}
			n := binary.BigEndian.Uint32(out)
			payload := out[4 : 4+n]
			out = out[4+n:]
			got, err := decodeErr(s, payload, 50, 333)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("bits %d, message %d: %v, %d bytes of %d", bits, i, err, len(got), len(msg))
			}
		}
		s.Release()
	}
}
