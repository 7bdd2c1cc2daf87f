package pmdeflate

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"testing"
)

// fuzzLimit bounds what a fuzzed message may inflate to.
const fuzzLimit = 1 << 22

// FuzzInflate feeds arbitrary bytes as one compressed message, split at
// random, pulled through random dst sizes: no panic, staging stays
// bounded, and the result agrees with compress/flate's inflating the same
// payload. The seed corpus is in testdata/fuzz/FuzzInflate and below.
func FuzzInflate(f *testing.F) {
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint64(1))
	f.Add([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}, uint64(2))
	f.Add([]byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}, uint64(3))
	f.Add(zeroBomb(4), uint64(4))
	f.Add(distanceTooFar(), uint64(5))
	f.Add(emptyBlocks(20), uint64(6))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		r := rand.New(rand.NewPCG(seed, seed>>32))
		s := NewSession(Params{}, true, Options{RxBufSize: 7 + r.IntN(14)})
		defer s.Release()
		var got []byte
		rest := data
		maxPiece := 1 + r.IntN(len(data)+1)
		final := false
		feed := func() error {
			piece := rest[:min(1+r.IntN(maxPiece), len(rest))]
			rest = rest[len(piece):]
			final = len(rest) == 0
			return s.Feed(piece, final)
		}
		err := feed()
		dst := make([]byte, 1+r.IntN(4096))
		for err == nil {
			var n int
			var end bool
			n, end, err = s.Decode(dst[:1+r.IntN(len(dst))])
			got = append(got, dst[:n]...)
			if s.inf != nil && cap(s.inf.src.buf) > 2*(runAhead+maxPiece+len(trailer)) {
				t.Fatalf("staging grew to %d bytes", cap(s.inf.src.buf))
			}
			if err != nil || end || len(got) > fuzzLimit {
				break
			}
			if n == 0 {
				if final {
					t.Fatal("Decode asks for input after the final piece")
				}
				err = feed()
			}
		}
		if len(got) > fuzzLimit {
			return
		}
		std, stdErr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(append(bytes.Clone(data), trailer...))), fuzzLimit+1))
		if len(data) == 0 {
			// No payload is an empty message, as zlib has it.
			std, stdErr = nil, nil
		}
		if len(std) > fuzzLimit {
			return
		}
		switch {
		case err == nil && stdErr == nil:
			if !bytes.Equal(got, std) {
				t.Fatalf("inflated %d bytes, compress/flate %d", len(got), len(std))
			}
		case err == nil && stdErr != nil:
			t.Fatalf("inflated %d bytes where compress/flate fails: %v", len(got), stdErr)
		case err != nil && stdErr == nil:
			t.Fatalf("failed where compress/flate inflates %d bytes: %v", len(std), err)
		}
		// A Session goes on to the next message after any message.
		if len(data) > 4096 {
			return
		}
		s2 := NewSession(Params{ClientNoContextTakeover: true}, true, Options{})
		defer s2.Release()
		if _, err := decodeErr(s2, data, maxPiece, len(dst)); err == nil || s2.inf == nil {
			if got := decodeAll(t, s2, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 3, 2); string(got) != "Hello" {
				t.Fatalf("the next message decodes to %q", got)
			}
		}
	})
}

// FuzzNegotiate negotiates between a server and a client configured by
// arbitrary option strings, and answers arbitrary offers: no panic; what
// the server answers the client's offer, the client confirms, both agree
// on the parameters, and messages go through both ways.
func FuzzNegotiate(f *testing.F) {
	f.Add("", "", "")
	f.Add("server_max_window_bits=10; client_max_window_bits=9", "client_no_context_takeover", "server_max_window_bits=8")
	f.Add("shared_compressor", "server_max_window_bits=12; client_max_window_bits=8", "client_max_window_bits")
	f.Add("server_no_context_takeover; compression_level=9", "client_max_window_bits=15", `server_max_window_bits="9"; x`)
	f.Add("compression_level=0", "shared_compressor", "server_no_context_takeover; server_no_context_takeover")
	f.Fuzz(func(t *testing.T, serverOpts, clientOpts, offer string) {
		so, err1 := ParseOptions(serverOpts)
		co, err2 := ParseOptions(clientOpts)
		if p, answer, err := so.Accept(offer); err == nil {
			checkParams(t, p)
			if _, err := parseParams(answer, nil); err != nil {
				t.Fatalf("answer %q does not parse: %v", answer, err)
			}
		}
		if p, err := co.Confirm(offer); err == nil {
			checkParams(t, p)
		}
		if err1 != nil || err2 != nil {
			return
		}
		sp, answer, err := so.Accept(co.Offer())
		if err != nil {
			t.Fatalf("the server declines the offer %q: %v", co.Offer(), err)
		}
		cp, err := co.Confirm(answer)
		if err != nil {
			t.Fatalf("the client fails the answer %q to %q: %v", answer, co.Offer(), err)
		}
		if sp != cp {
			t.Fatalf("offer %q, answer %q: the server has %+v, the client %+v", co.Offer(), answer, sp, cp)
		}
		server, client := NewSession(sp, true, so), NewSession(cp, false, co)
		defer server.Release()
		defer client.Release()
		for i := range 3 {
			msg := jsonMessage(700, uint64(i&1))
			for _, dir := range [][2]*Session{{server, client}, {client, server}} {
				out, compressed, err := dir[0].Encode(nil, msg, true, true)
				if err != nil {
					t.Fatal(err)
				}
				if !compressed {
					if !bytes.Equal(out, msg) {
						t.Fatal("an uncompressed message changed")
					}
					continue
				}
				if got := decodeAll(t, dir[1], out, 100, 1000); !bytes.Equal(got, msg) {
					t.Fatalf("message %d arrives as %d bytes", i, len(got))
				}
			}
		}
	})
}

// checkParams fails unless p's window sizes are 8..15.
func checkParams(t *testing.T, p Params) {
	t.Helper()
	if p.ServerMaxWindowBits < 8 || p.ServerMaxWindowBits > 15 || p.ClientMaxWindowBits < 8 || p.ClientMaxWindowBits > 15 {
		t.Fatalf("window bits out of range: %+v", p)
	}
}
