package conformance

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestDeflateAnswerChecks(t *testing.T) {
	nine := withServer(false, 9)
	for _, tc := range []struct {
		answer string
		offers []deflateOffer
		ok     bool
	}{
		{"permessage-deflate", []deflateOffer{defaultOffer}, true},
		{"permessage-deflate; client_max_window_bits=10; client_no_context_takeover", []deflateOffer{defaultOffer}, true},
		{"permessage-deflate; client_max_window_bits", []deflateOffer{defaultOffer}, false},       // needs a value
		{"permessage-deflate; client_max_window_bits=15", []deflateOffer{{}}, false},              // not offered
		{"permessage-deflate; server_no_context_takeover", []deflateOffer{{}}, true},              // a server may always
		{"permessage-deflate; server_max_window_bits=12", []deflateOffer{defaultOffer}, true},     // a server may always
		{"permessage-deflate", []deflateOffer{nine}, false},                                       // the window asked for is missing
		{"permessage-deflate; server_max_window_bits=10", []deflateOffer{nine}, false},            // larger than offered
		{"permessage-deflate; server_max_window_bits=8", []deflateOffer{nine}, true},              // smaller is fine
		{`permessage-deflate; server_max_window_bits="9"`, []deflateOffer{nine}, true},            // quoted
		{"permessage-deflate; server_max_window_bits=16", []deflateOffer{defaultOffer}, false},    // out of range
		{"permessage-deflate; server_max_window_bits=09", []deflateOffer{defaultOffer}, false},    // not the decimal
		{"permessage-deflate", []deflateOffer{withServer(true, 0)}, false},                        // no context takeover ignored
		{"permessage-deflate; server_no_context_takeover=1", []deflateOffer{defaultOffer}, false}, // takes no value
		{"permessage-deflate; client_no_context_takeover; client_no_context_takeover", []deflateOffer{defaultOffer}, false},
		{"permessage-deflate; mystery", []deflateOffer{defaultOffer}, false},
		{"permessage-deflate, permessage-deflate", []deflateOffer{defaultOffer, defaultOffer}, false},
		{"x-webkit-deflate-frame", []deflateOffer{defaultOffer}, false},
		{"permessage-deflate;", []deflateOffer{defaultOffer}, false},
		{"permessage-deflate", []deflateOffer{withServer(true, 9), defaultOffer}, true}, // answers the second
		{"permessage-deflate", nil, false},
	} {
		a, err := checkDeflateAnswer([]string{tc.answer}, tc.offers)
		if (err == nil) != tc.ok || (err == nil) != (a != nil) {
			t.Errorf("answer %q to %v: agreed %v, error %v; want ok %v", tc.answer, tc.offers, a, err, tc.ok)
		}
	}
	if a, err := checkDeflateAnswer(nil, []deflateOffer{defaultOffer}); a != nil || err != nil {
		t.Errorf("no answer: agreed %v, error %v; want a decline", a, err)
	}
}

func TestDeflateOfferParsing(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   []deflateOffer
		ok     bool
	}{
		{"permessage-deflate; client_max_window_bits", []deflateOffer{{clientMaxWindow: true}}, true},
		{"foo, permessage-deflate; client_max_window_bits=10, permessage-deflate",
			[]deflateOffer{{clientMaxWindow: true, clientMaxWindowBits: 10}, {}}, true},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
			[]deflateOffer{{serverNoContextTakeover: true, serverMaxWindowBits: 9}}, true},
		{"permessage-deflate; server_max_window_bits", nil, false},
		{"permessage-deflate; client_max_window_bits=7", nil, false},
		{"permessage-deflate; client_max_window_bits; client_max_window_bits", nil, false},
		{"permessage-deflate; x", nil, false},
	} {
		got, err := clientOffers([]string{tc.header})
		if (err == nil) != tc.ok || tc.ok && !equalOffers(got, tc.want) {
			t.Errorf("offers %q: got %v, error %v; want %v (ok %v)", tc.header, got, err, tc.want, tc.ok)
		}
	}
	// What the fuzzing client sends, the fuzzing server reads back.
	for _, o := range []deflateOffer{defaultOffer, withServer(true, 9), withServer(false, 15)} {
		if got, err := clientOffers([]string{o.String()}); err != nil || !equalOffers(got, []deflateOffer{o}) {
			t.Errorf("offer %q read back as %v, %v", o, got, err)
		}
	}
}

func equalOffers(a, b []deflateOffer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// randomBytes returns n octets from a seeded generator.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func flateCompress(t *testing.T, level int, p []byte) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func TestLongestReference(t *testing.T) {
	x := randomBytes(1, 5000)
	twice := append(append([]byte{}, x...), x...)
	for level := flate.HuffmanOnly; level <= flate.BestCompression; level++ {
		want := 5000
		if level == flate.HuffmanOnly || level == flate.NoCompression {
			want = 0
		}
		got, err := longestReference(flateCompress(t, level, twice))
		if err != nil || got != want {
			t.Errorf("level %d: longest reference %d, %v; want %d", level, got, err, want)
		}
	}
	// Any stream compress/flate makes decodes, text and random alike.
	for i := range 40 {
		corp := []*corpus{jsonCorpus(), proseCorpus(), pdfCorpus()}[i%3]
		start := i * 997 % (len(corp.data) - 70000)
		p := corp.data[start : start+1+i*1700]
		got, err := longestReference(flateCompress(t, i%10, p))
		if err != nil || got > 32768 {
			t.Errorf("stream %d: longest reference %d, %v", i, got, err)
		}
	}
	if _, err := longestReference([]byte{0x07}); err == nil { // a block of type 3
		t.Error("a reserved block type was not reported")
	}
}

func TestInflaterChecksWindowAndContext(t *testing.T) {
	x := randomBytes(2, 1000)
	d := newDeflater(false, 0)
	m1, m2 := d.deflate(x), d.deflate(x) // m2 refers to m1, 1000 octets back
	if len(m2) > 100 {
		t.Fatalf("the second message did not refer to the first (%d octets)", len(m2))
	}
	for _, tc := range []struct {
		name      string
		noContext bool
		bits      int
		ok        bool
	}{
		{"context takeover, 15 bits", false, 15, true},
		{"context takeover, 9 bits", false, 9, false},
		{"no context takeover", true, 15, false},
	} {
		f := newInflater(tc.noContext, tc.bits)
		out1, err1 := f.inflate(m1)
		out2, err2 := f.inflate(m2)
		if err1 != nil || !bytes.Equal(out1, x) {
			t.Errorf("%s: first message: %v", tc.name, err1)
		}
		if (err2 == nil) != tc.ok || tc.ok && !bytes.Equal(out2, x) {
			t.Errorf("%s: second message: error %v, want ok %v", tc.name, err2, tc.ok)
		}
	}
	// Within one message too.
	y := randomBytes(3, 600)
	in := newDeflater(true, 0).deflate(append(append([]byte{}, y...), y...))
	if _, err := newInflater(true, 9).inflate(in); err == nil {
		t.Error("a reference 600 octets back passed a window of 512")
	}
	// The peer's own compression keeps to a small window and to no
	// context takeover.
	for _, noContext := range []bool{false, true} {
		d, f := newDeflater(noContext, 9), newInflater(noContext, 9)
		for i := range 3 {
			out, err := f.inflate(d.deflate(x))
			if err != nil || !bytes.Equal(out, x) {
				t.Errorf("no context takeover %v, message %d: %v", noContext, i, err)
			}
		}
	}
	if out, err := newInflater(false, 0).inflate(newDeflater(false, 0).deflate(nil)); err != nil || len(out) != 0 {
		t.Errorf("an empty message: %q, %v", out, err)
	}
}

// echoMode says how a compression echoer misbehaves.
type echoMode int

const (
	// verbatim echoes every frame as it came, RSV bits included: a valid
	// compressed echo when both directions compress alike.
	verbatim echoMode = iota
	// clearRSV1 echoes the compressed octets as if uncompressed.
	clearRSV1
	// rsv1Everywhere sets RSV1 on continuation frames too.
	rsv1Everywhere
)

// readWSFrame reads one frame and unmasks its payload.
func readWSFrame(br *bufio.Reader) (b0 byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		_, err = io.ReadFull(br, ext[:])
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		_, err = io.ReadFull(br, ext[:])
		n = binary.BigEndian.Uint64(ext[:])
	}
	var key [4]byte
	if err == nil && h[1]&0x80 != 0 {
		_, err = io.ReadFull(br, key[:])
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		return 0, nil, err
	}
	mask(payload, key, 0)
	return h[0], payload, nil
}

// echoFrames echoes what it reads until a close, which it answers; a
// server then closes TCP, a client waits for the server to.
func echoFrames(c net.Conn, br *bufio.Reader, client bool, mode echoMode) {
	for {
		b0, payload, err := readWSFrame(br)
		if err != nil {
			return
		}
		fin, rsv, op := b0&0x80 != 0, (b0>>4)&7, b0&0x0f
		switch {
		case op == OpClose:
			_, _ = c.Write(appendFrameAs(nil, OpClose, true, 0, payload, client))
			if client {
				_, _ = io.Copy(io.Discard, br)
			}
			return
		case op == OpPing:
			rsv, op = 0, OpPong
		case mode == clearRSV1:
			rsv &^= 4
		case mode == rsv1Everywhere:
			rsv |= 4
		}
		if _, err := c.Write(appendFrameAs(nil, op, fin, rsv, payload, client)); err != nil {
			return
		}
	}
}

// startDeflateEchoer runs a server on a loopback port that answers every
// permessage-deflate offer with answer, compresses nothing itself and
// echoes as mode says. It returns its URL.
func startDeflateEchoer(t *testing.T, answer string, mode echoMode) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				stop := context.AfterFunc(t.Context(), func() { c.Close() })
				defer stop()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + guid))
				resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
					"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
				if req.Header.Get("Sec-WebSocket-Extensions") != "" {
					resp += "Sec-WebSocket-Extensions: " + answer + "\r\n"
				}
				if _, err := io.WriteString(c, resp+"\r\n"); err != nil {
					return
				}
				echoFrames(c, br, false, mode)
			})
		}
	})
	return "ws://" + ln.Addr().String() + "/"
}

// deflateEchoClient returns a connect function for RunServer running a
// client that offers offer, compresses nothing itself and echoes as mode
// says.
func deflateEchoClient(offer string, mode echoMode) func(ctx context.Context, rawURL string) error {
	return func(ctx context.Context, rawURL string) error {
		u, err := url.Parse(rawURL)
		if err != nil {
			return err
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		defer c.Close()
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
		req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Extensions: " + offer + "\r\n\r\n"
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		br := bufio.NewReader(c)
		if _, err := http.ReadResponse(br, nil); err != nil {
			return err
		}
		echoFrames(c, br, true, mode)
		return nil
	}
}

// TestCompressionCanFail runs compression cases against servers and
// clients that get permessage-deflate wrong, and checks the verdicts.
func TestCompressionCanFail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer string // the server's answer; empty: the client's offer
		mode   echoMode
		want   map[string]Behavior
	}{
		// Echoing the compressed octets as they came is a valid echo when
		// both directions compress with the same parameters.
		{"echoes the compressed frames", "permessage-deflate", verbatim, map[string]Behavior{"12.1.1": OK, "12.2.11": OK}},
		{"clears RSV1", "permessage-deflate", clearRSV1, failed("12.1.1", "12.5.4")},
		{"sets RSV1 on continuations", "permessage-deflate", rsv1Everywhere, failed("12.1.11")},
		// The client's messages refer back past 512 octets, which the
		// echo carries to a client told the server's window is 9 bits.
		{"ignores the window asked for", "permessage-deflate; server_max_window_bits=9", verbatim, failed("13.3.4")},
		// The echoes refer to earlier messages.
		{"ignores no context takeover", "permessage-deflate; server_no_context_takeover", verbatim, failed("13.2.4")},
		{"answers a larger window", "permessage-deflate; server_max_window_bits=10", verbatim, failed("13.3.1")},
		{"answers a window without a value", "permessage-deflate; client_max_window_bits", verbatim, failed("12.1.1")},
	} {
		t.Run("server_"+strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			rs := RunClient(t.Context(), startDeflateEchoer(t, tc.answer, tc.mode), func(id string) bool { _, ok := tc.want[id]; return ok })
			checkVerdicts(t, rs, tc.want, "a server that "+tc.name)
		})
	}
	for _, tc := range []struct {
		name  string
		offer string
		mode  echoMode
		want  map[string]Behavior
	}{
		{"echoes the compressed frames", "permessage-deflate; client_max_window_bits", verbatim, map[string]Behavior{"12.3.1": OK, "13.1.11": OK}},
		{"clears RSV1", "permessage-deflate; client_max_window_bits", clearRSV1, failed("12.4.1")},
		{"sets RSV1 on continuations", "permessage-deflate", rsv1Everywhere, failed("12.2.11")},
		// The server's messages refer back past 512 octets, which the
		// echo carries to a server that asked the client for 9 bits.
		{"ignores the window asked for", "permessage-deflate; client_max_window_bits", verbatim, failed("13.3.4")},
		{"ignores no context takeover", "permessage-deflate", verbatim, failed("13.2.4")},
		{"makes a malformed offer", "permessage-deflate; server_max_window_bits", verbatim, failed("12.1.1")},
		// Without client_max_window_bits in the offer, the server cannot
		// ask for a smaller window and declines.
		{"offers no window", "permessage-deflate", verbatim, map[string]Behavior{"13.3.1": Unimplemented}},
	} {
		t.Run("client_"+strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			rs := RunServer(t.Context(), deflateEchoClient(tc.offer, tc.mode), func(id string) bool { _, ok := tc.want[id]; return ok })
			checkVerdicts(t, rs, tc.want, "a client that "+tc.name)
		})
	}
}

func checkVerdicts(t *testing.T, rs []Result, want map[string]Behavior, who string) {
	t.Helper()
	t.Logf("\n%s", report(rs))
	if len(rs) != len(want) {
		t.Fatalf("%d results for %d cases", len(rs), len(want))
	}
	for _, r := range rs {
		if r.Behavior != want[r.Case] {
			t.Errorf("case %s judged %s, want %s, against %s: %s", r.Case, r.Behavior, want[r.Case], who, r.Detail)
		}
	}
}

func TestCorpora(t *testing.T) {
	for _, tc := range []struct {
		c    *corpus
		size int // Autobahn's file of the same kind, in octets
	}{{jsonCorpus(), 194056}, {bitmapCorpus(), 263222}, {proseCorpus(), 222218}, {htmlCorpus(), 263647}, {pdfCorpus(), 1042328}} {
		if n := len(tc.c.data); n < tc.size || n > tc.size+tc.size/20 {
			t.Errorf("%s: %d octets, want about %d", tc.c.desc, n, tc.size)
		}
		at := len(tc.c.data) - 10
		if !tc.c.binary {
			at = len(tc.c.runes) - 10
		}
		p := tc.c.slice(&at, 131072)
		if tc.c.binary && len(p) != 131072 || !tc.c.binary && utf8.RuneCount(p) != 131072 {
			t.Errorf("%s: a slice of 131072 has %d octets", tc.c.desc, len(p))
		}
		if !tc.c.binary && !utf8.Valid(p) {
			t.Errorf("%s: a slice is not UTF-8", tc.c.desc)
		}
		if at != 131072-10 {
			t.Errorf("%s: the slice did not wrap around (next at %d)", tc.c.desc, at)
		}
	}
	if !bytes.Equal(jsonCorpus().data, makeJSON(194056)) {
		t.Error("the JSON corpus is not the same from one making to the next")
	}
}
