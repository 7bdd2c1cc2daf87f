package ws

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

var (
	serverCfg = ParserConfig{Server: true}
	clientCfg = ParserConfig{}
)

func hexBytes(s ...byte) []byte { return s }

// rfcExamples are the examples of RFC 6455 section 5.7, byte for byte.
func rfcExamples() []struct {
	name   string
	cfg    ParserConfig
	input  []byte
	frames []gotFrame
} {
	hello := []byte("Hello")
	p256 := bytes.Repeat([]byte{0xAB}, 256)
	p64k := make([]byte, 65536)
	for i := range p64k {
		p64k[i] = byte(i * 7)
	}
	return []struct {
		name   string
		cfg    ParserConfig
		input  []byte
		frames []gotFrame
	}{
		{
			name:  "single-frame unmasked text",
			cfg:   clientCfg,
			input: hexBytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
			frames: []gotFrame{{
				Header:  Header{Fin: true, Opcode: OpText, Length: 5},
				Payload: hello, Complete: true, MessageStart: true, MessageEnd: true, MessageOpcode: OpText,
			}},
		},
		{
			name:  "single-frame masked text",
			cfg:   serverCfg,
			input: hexBytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
			frames: []gotFrame{{
				Header:  Header{Fin: true, Opcode: OpText, Masked: true, Mask: testKey, Length: 5},
				Payload: hello, Complete: true, MessageStart: true, MessageEnd: true, MessageOpcode: OpText,
			}},
		},
		{
			name:  "fragmented unmasked text",
			cfg:   clientCfg,
			input: hexBytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
			frames: []gotFrame{
				{
					Header:  Header{Opcode: OpText, Length: 3},
					Payload: []byte("Hel"), Complete: true, MessageStart: true, MessageOpcode: OpText,
				},
				{
					Header:  Header{Fin: true, Opcode: OpContinuation, Length: 2},
					Payload: []byte("lo"), Complete: true, MessageEnd: true, MessageOpcode: OpText,
				},
			},
		},
		{
			name:  "unmasked ping",
			cfg:   clientCfg,
			input: hexBytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f),
			frames: []gotFrame{{
				Header:  Header{Fin: true, Opcode: OpPing, Length: 5},
				Payload: hello, Complete: true, MessageStart: true, MessageEnd: true, MessageOpcode: OpPing,
			}},
		},
		{
			name:  "masked pong",
			cfg:   serverCfg,
			input: hexBytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
			frames: []gotFrame{{
				Header:  Header{Fin: true, Opcode: OpPong, Masked: true, Mask: testKey, Length: 5},
				Payload: hello, Complete: true, MessageStart: true, MessageEnd: true, MessageOpcode: OpPong,
			}},
		},
		{
			name:  "256 bytes binary",
			cfg:   clientCfg,
			input: cat(hexBytes(0x82, 0x7E, 0x01, 0x00), p256),
			frames: []gotFrame{{
				Header:  Header{Fin: true, Opcode: OpBinary, Length: 256},
				Payload: p256, Complete: true, MessageStart: true, MessageEnd: true, MessageOpcode: OpBinary,
			}},
		},
		{
			name:  "64 KiB binary",
			cfg:   clientCfg,
			input: cat(hexBytes(0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00), p64k),
			frames: []gotFrame{{
				Header:  Header{Fin: true, Opcode: OpBinary, Length: 65536},
				Payload: p64k, Complete: true, MessageStart: true, MessageEnd: true, MessageOpcode: OpBinary,
			}},
		},
	}
}

func TestRFCExamples(t *testing.T) {
	for _, tc := range rfcExamples() {
		t.Run(tc.name, func(t *testing.T) {
			want := parseResult{Frames: tc.frames}
			whole := feed(t, tc.cfg, tc.input, wholeCuts())
			if !whole.equal(want, true) {
				t.Fatalf("whole:\n%v\nwant:\n%v", whole, want)
			}
			if bw := feed(t, tc.cfg, tc.input, byteCuts(len(tc.input))); !bw.equal(want, true) {
				t.Fatalf("byte by byte:\n%v\nwant:\n%v", bw, want)
			}
			if ref := refParse(tc.cfg, tc.input); !ref.equal(want, false) {
				t.Fatalf("reference:\n%v\nwant:\n%v", ref, want)
			}
			// The encoder gives the same bytes back.
			var enc []byte
			for _, f := range tc.frames {
				enc = append(enc, frameBytes(f.Header, f.Payload)...)
			}
			if !bytes.Equal(enc, tc.input) {
				t.Fatalf("re-encoded % x\nwant        % x", enc[:min(len(enc), 16)], tc.input[:min(len(tc.input), 16)])
			}
		})
	}
}

// TestRFCExampleReports checks the reports themselves for the fragmented
// example fed as one piece: one report per frame.
func TestRFCExampleReports(t *testing.T) {
	in := hexBytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f)
	var p Parser
	p.Reset(clientCfg)
	n, f, ok, err := p.Next(in)
	if err != nil || !ok || n != 5 || string(f.Payload) != "Hel" || !f.FrameStart || !f.FrameEnd ||
		!f.MessageStart || f.MessageEnd || f.MessageOpcode != OpText || f.Remaining != 0 {
		t.Fatalf("first report: n=%d ok=%v err=%v %+v", n, ok, err, f)
	}
	n, f, ok, err = p.Next(in[5:])
	if err != nil || !ok || n != 4 || string(f.Payload) != "lo" || !f.FrameStart || !f.FrameEnd ||
		f.MessageStart || !f.MessageEnd || f.MessageOpcode != OpText {
		t.Fatalf("second report: n=%d ok=%v err=%v %+v", n, ok, err, f)
	}
}

// TestHeaderThenPayload checks that a header is reported as soon as it is
// complete, before its payload, and that the payload then streams.
func TestHeaderThenPayload(t *testing.T) {
	in := cf(true, OpBinary, "0123456789")
	var p Parser
	p.Reset(serverCfg)
	n, f, ok, err := p.Next(in[:6])
	if err != nil || !ok || n != 6 || !f.FrameStart || f.FrameEnd || len(f.Payload) != 0 || f.Remaining != 10 {
		t.Fatalf("header report: n=%d ok=%v err=%v %+v", n, ok, err, f)
	}
	n, f, ok, err = p.Next(in[6:9])
	if err != nil || !ok || n != 3 || f.FrameStart || f.FrameEnd || string(f.Payload) != "012" || f.Remaining != 7 {
		t.Fatalf("middle report: n=%d ok=%v err=%v %+v", n, ok, err, f)
	}
	rest := append(in[9:], cf(true, OpPing, "")...)
	n, f, ok, err = p.Next(rest)
	if err != nil || !ok || n != 7 || !f.FrameEnd || string(f.Payload) != "3456789" || !f.MessageEnd {
		t.Fatalf("last report: n=%d ok=%v err=%v %+v", n, ok, err, f)
	}
	n, f, ok, err = p.Next(rest[n:])
	if err != nil || !ok || n != 6 || !f.FrameStart || !f.FrameEnd || f.Header.Opcode != OpPing || len(f.Payload) != 0 {
		t.Fatalf("empty ping: n=%d ok=%v err=%v %+v", n, ok, err, f)
	}
}

func TestValidation(t *testing.T) {
	type tc struct {
		name  string
		cfg   ParserConfig
		input []byte
		code  CloseCode // 0: no error
		at    int       // offset of the byte the error must be found on
	}
	var cases []tc
	for op := Opcode(3); op <= 15; op++ {
		if op >= 8 && op <= 10 {
			continue
		}
		cases = append(cases,
			tc{"reserved " + op.String(), serverCfg, cf(true, op, "x"), CloseProtocolError, 0},
			tc{"reserved " + op.String() + " after text", serverCfg, cat(cf(true, OpText, "ok"), cf(true, op, "")), CloseProtocolError, 8})
	}
	for rsv := byte(1); rsv <= 7; rsv++ {
		text := frameBytes(Header{Fin: true, RSV: rsv, Opcode: OpText, Masked: true, Mask: testKey}, []byte("hi"))
		ping := frameBytes(Header{Fin: true, RSV: rsv, Opcode: OpPing, Masked: true, Mask: testKey}, nil)
		cases = append(cases,
			tc{"rsv on text", serverCfg, text, CloseProtocolError, 0},
			tc{"rsv on ping", ParserConfig{Server: true, AllowedRSV: 7}, ping, CloseProtocolError, 0})
		allowed := tc{"negotiated rsv", ParserConfig{Server: true, AllowedRSV: rsv}, text, 0, 0}
		cases = append(cases, allowed)
	}
	deflate := ParserConfig{Server: true, AllowedRSV: RSV1}
	rsv1Start := frameBytes(Header{RSV: RSV1, Opcode: OpText, Masked: true, Mask: testKey}, []byte("a"))
	rsv1Cont := frameBytes(Header{Fin: true, RSV: RSV1, Opcode: OpContinuation, Masked: true, Mask: testKey}, []byte("b"))
	rsv2Text := frameBytes(Header{Fin: true, RSV: RSV2, Opcode: OpText, Masked: true, Mask: testKey}, []byte("b"))
	cases = append(cases,
		tc{"rsv1 on first frame with deflate", deflate, cat(rsv1Start, cf(true, OpContinuation, "b")), 0, 0},
		tc{"rsv1 on continuation", deflate, cat(rsv1Start, rsv1Cont), CloseProtocolError, 7},
		tc{"rsv2 with deflate", deflate, rsv2Text, CloseProtocolError, 0},
		tc{"rsv1 on close with deflate", deflate,
			frameBytes(Header{Fin: true, RSV: RSV1, Opcode: OpClose, Masked: true, Mask: testKey}, nil), CloseProtocolError, 0},

		tc{"fragmented ping", serverCfg, cat(cf(false, OpPing, "a"), cf(true, OpContinuation, "b")), CloseProtocolError, 0},
		tc{"fragmented pong", serverCfg, cf(false, OpPong, "a"), CloseProtocolError, 0},
		tc{"fragmented close", serverCfg, cf(false, OpClose, ""), CloseProtocolError, 0},
		tc{"ping of 125", serverCfg, cf(true, OpPing, string(bytes.Repeat([]byte{'p'}, 125))), 0, 0},
		tc{"ping of 126", serverCfg, cf(true, OpPing, string(bytes.Repeat([]byte{'p'}, 126))), CloseProtocolError, 1},
		tc{"close of 126", clientCfg, sf(true, OpClose, string(bytes.Repeat([]byte{'c'}, 126))), CloseProtocolError, 1},
		tc{"pong with 64-bit length", clientCfg, hexBytes(0x8A, 127, 0, 0, 0, 0, 0, 0, 0, 5), CloseProtocolError, 1},

		tc{"continuation first (fin)", serverCfg, cat(cf(true, OpContinuation, "x"), cf(true, OpText, "y")), CloseProtocolError, 0},
		tc{"continuation first (no fin)", serverCfg, cf(false, OpContinuation, "x"), CloseProtocolError, 0},
		tc{"continuation after finished message", serverCfg,
			cat(cf(false, OpText, "a"), cf(true, OpContinuation, "b"), cf(true, OpContinuation, "c")), CloseProtocolError, 14},
		tc{"text inside fragmented text", serverCfg, cat(cf(false, OpText, "a"), cf(true, OpText, "b")), CloseProtocolError, 7},
		tc{"binary inside fragmented text", serverCfg, cat(cf(false, OpText, "a"), cf(true, OpBinary, "b")), CloseProtocolError, 7},
		tc{"control between fragments", serverCfg,
			cat(cf(false, OpText, "a"), cf(true, OpPing, "p"), cf(false, OpContinuation, "b"), cf(true, OpPong, ""),
				cf(true, OpContinuation, "c"), cf(true, OpBinary, "d")), 0, 0},

		tc{"unmasked from client", serverCfg, sf(true, OpText, "hi"), CloseProtocolError, 1},
		tc{"masked from server", clientCfg, cf(true, OpText, "hi"), CloseProtocolError, 1},
		tc{"unmasked close from client", serverCfg, sf(true, OpClose, ""), CloseProtocolError, 1},

		tc{"64-bit length top bit", clientCfg, hexBytes(0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0), CloseProtocolError, 9},
		tc{"64-bit length maximum without limits", ParserConfig{MaxFrame: -1, MaxMessage: -1},
			hexBytes(0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 'x'), 0, 0},
		tc{"64-bit length maximum by default", clientCfg,
			hexBytes(0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 'x'), CloseMessageTooBig, 9},
		tc{"masked 64-bit length maximum by default", serverCfg,
			hexBytes(0x82, 0x80|127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 'x'), CloseMessageTooBig, 9},
		tc{"frame at DefaultMaxFrame", clientCfg, hexBytes(0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 0, 'x'), 0, 0},
		tc{"frame over DefaultMaxFrame", clientCfg, hexBytes(0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 1, 'x'), CloseMessageTooBig, 9},
		tc{"frame over DefaultMaxFrame, message limit only", ParserConfig{MaxFrame: -1},
			hexBytes(0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 1, 'x'), CloseMessageTooBig, 9},

		tc{"frame at MaxFrame", ParserConfig{Server: true, MaxFrame: 100}, cf(true, OpBinary, string(make([]byte, 100))), 0, 0},
		tc{"frame over MaxFrame", ParserConfig{Server: true, MaxFrame: 100}, cf(true, OpBinary, string(make([]byte, 101))), CloseMessageTooBig, 1},
		tc{"16-bit frame over MaxFrame", ParserConfig{Server: true, MaxFrame: 200}, cf(true, OpBinary, string(make([]byte, 201))), CloseMessageTooBig, 3},
		tc{"64-bit frame over MaxFrame", ParserConfig{MaxFrame: 1 << 20},
			hexBytes(0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 1), CloseMessageTooBig, 9},
		tc{"message at MaxMessage", ParserConfig{Server: true, MaxMessage: 100},
			cat(cf(false, OpText, string(make([]byte, 60))), cf(true, OpPing, string(make([]byte, 100))), cf(true, OpContinuation, string(make([]byte, 40)))), 0, 0},
		tc{"message over MaxMessage", ParserConfig{Server: true, MaxMessage: 100},
			cat(cf(false, OpText, string(make([]byte, 60))), cf(true, OpContinuation, string(make([]byte, 41)))), CloseMessageTooBig, 67},
		tc{"single frame over MaxMessage", ParserConfig{Server: true, MaxMessage: 100}, cf(true, OpText, string(make([]byte, 101))), CloseMessageTooBig, 1},
		tc{"MaxMessage counts per message", ParserConfig{Server: true, MaxMessage: 100},
			cat(cf(true, OpText, string(make([]byte, 100))), cf(true, OpBinary, string(make([]byte, 100)))), 0, 0},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := refParse(c.cfg, c.input)
			whole := feed(t, c.cfg, c.input, wholeCuts())
			bw := feed(t, c.cfg, c.input, byteCuts(len(c.input)))
			for _, r := range []struct {
				how string
				r   parseResult
			}{{"whole", whole}, {"byte by byte", bw}, {"reference", ref}} {
				switch {
				case c.code == 0 && r.r.Err != nil:
					t.Fatalf("%s: unexpected error %v", r.how, r.r.Err)
				case c.code != 0 && r.r.Err == nil:
					t.Fatalf("%s: no error, want close %d\n%v", r.how, c.code, r.r)
				case c.code != 0 && r.r.Err.Code != c.code:
					t.Fatalf("%s: close %d (%s), want %d", r.how, r.r.Err.Code, r.r.Err.Reason, c.code)
				}
			}
			if c.code != 0 && (bw.ErrAt != c.at || ref.ErrAt != c.at) {
				t.Fatalf("error found at byte %d (reference %d), want %d", bw.ErrAt, ref.ErrAt, c.at)
			}
			if !whole.equal(bw, true) || !whole.equal(ref, false) {
				t.Fatalf("whole:\n%v\nbyte by byte:\n%v\nreference:\n%v", whole, bw, ref)
			}
			if whole.Err != nil && (whole.Err.Reason == "" || whole.Err.Reason != lower(whole.Err.Reason)) {
				t.Fatalf("reason %q is not short lower-case text", whole.Err.Reason)
			}
		})
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestReservedOpcodeReason(t *testing.T) {
	var p Parser
	p.Reset(serverCfg)
	_, _, _, err := p.Next(cf(true, 3, ""))
	pe, ok := err.(*ProtocolError)
	if !ok || pe.Code != CloseProtocolError || pe.Reason != "reserved opcode 3" {
		t.Fatalf("got %v", err)
	}
	if got := err.Error(); got != "websocket: reserved opcode 3 (close 1002)" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestParserNotReset(t *testing.T) {
	var p Parser
	if _, _, ok, err := p.Next([]byte{0x81, 0}); ok || err == nil {
		t.Fatalf("zero Parser accepted input")
	}
	p.Reset(clientCfg)
	if _, _, ok, err := p.Next([]byte{0x81, 0}); !ok || err != nil {
		t.Fatalf("after Reset: ok=%v err=%v", ok, err)
	}
}

func TestResetClearsState(t *testing.T) {
	var p Parser
	p.Reset(serverCfg)
	p.Next(cat(cf(false, OpText, "abc"), []byte{0x80})) // a message and half a header
	p.Reset(serverCfg)
	if r := feedParser(t, &p, cf(true, OpBinary, "x")); r.Err != nil || len(r.Frames) != 1 {
		t.Fatalf("after Reset: %v", r)
	}
	p.Next([]byte{0x83}) // dead
	p.Reset(clientCfg)
	if _, _, ok, err := p.Next(sf(true, OpText, "")); !ok || err != nil {
		t.Fatalf("dead parser not revived by Reset: %v", err)
	}
}

// feedParser hands b whole to an existing parser.
func feedParser(t *testing.T, p *Parser, b []byte) parseResult {
	var r parseResult
	for len(b) > 0 {
		n, f, ok, err := p.Next(b)
		if err != nil {
			r.Err = err.(*ProtocolError)
			return r
		}
		if ok && f.FrameStart {
			r.Frames = append(r.Frames, gotFrame{Header: f.Header})
		}
		b = b[n:]
	}
	return r
}

// randomStream builds a plausible stream of frames, mostly valid, for
// comparing ways of feeding it.
func randomStream(rng *rand.Rand, server bool) []byte {
	var out []byte
	inMsg := false
	for range rng.IntN(8) + 1 {
		h := Header{Masked: server}
		if server {
			for i := range h.Mask {
				h.Mask[i] = byte(rng.Uint32())
			}
		}
		var n int
		switch rng.IntN(5) {
		case 0:
			h.Opcode = Opcode(8 + rng.IntN(3))
			h.Fin = true
			n = rng.IntN(126)
		default:
			if inMsg {
				h.Opcode = OpContinuation
			} else {
				h.Opcode = Opcode(1 + rng.IntN(2))
			}
			h.Fin = rng.IntN(3) == 0
			inMsg = !h.Fin
			switch rng.IntN(4) {
			case 0:
				n = 0
			case 1:
				n = rng.IntN(300)
			case 2:
				n = 125 + rng.IntN(4)
			default:
				n = 65530 + rng.IntN(10)
			}
		}
		if rng.IntN(40) == 0 {
			h.Opcode = Opcode(rng.IntN(16)) // sometimes invalid
		}
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		out = append(out, frameBytes(h, payload)...)
	}
	return out
}

func TestSplitsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		server := i%2 == 0
		cfg := ParserConfig{Server: server}
		if i%3 == 0 {
			cfg.MaxFrame, cfg.MaxMessage = 70000, 140000
		}
		in := randomStream(rng, server)
		if i%5 == 0 {
			in = in[:rng.IntN(len(in)+1)] // cut short
		}
		whole := feed(t, cfg, in, wholeCuts())
		if ref := refParse(cfg, in); !whole.equal(ref, false) || whole.ErrAt != ref.ErrAt {
			t.Fatalf("stream %d: whole:\n%v\nreference:\n%v", i, whole, ref)
		}
		if len(in) < 3000 {
			if bw := feed(t, cfg, in, byteCuts(len(in))); !whole.equal(bw, true) || whole.ErrAt != bw.ErrAt {
				t.Fatalf("stream %d: byte by byte differs", i)
			}
		}
		var cuts []int
		for c := 0; c < len(in); c += 1 + rng.IntN(200) {
			cuts = append(cuts, c)
		}
		if r := feed(t, cfg, in, cuts); !whole.equal(r, true) || whole.ErrAt != r.ErrAt {
			t.Fatalf("stream %d: random pieces differ", i)
		}
	}
}

// TestEverySplit feeds each RFC example and a mixed stream split in two
// at every position, and in three around every header byte.
func TestEverySplit(t *testing.T) {
	mixed := cat(cf(false, OpText, "frag"), cf(true, OpPing, "ping"),
		cf(true, OpContinuation, string(bytes.Repeat([]byte{'m'}, 300))), cf(true, OpClose, "\x03\xe8bye"))
	inputs := []struct {
		cfg ParserConfig
		in  []byte
	}{{serverCfg, mixed}}
	for _, tc := range rfcExamples() {
		if len(tc.input) < 1000 {
			inputs = append(inputs, struct {
				cfg ParserConfig
				in  []byte
			}{tc.cfg, tc.input})
		}
	}
	for _, in := range inputs {
		whole := feed(t, in.cfg, in.in, wholeCuts())
		for i := 0; i <= len(in.in); i++ {
			if r := feed(t, in.cfg, in.in, []int{i}); !whole.equal(r, true) {
				t.Fatalf("split at %d:\n%v\nwhole:\n%v", i, r, whole)
			}
			for j := i; j <= min(i+14, len(in.in)); j++ {
				if r := feed(t, in.cfg, in.in, []int{i, j}); !whole.equal(r, true) {
					t.Fatalf("split at %d and %d differs", i, j)
				}
			}
		}
	}
}

func TestRoundTripRandomHeaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lengths := []int64{0, 1, 125, 126, 127, 65535, 65536, 1 << 32, math.MaxInt64}
	for i := range 5000 {
		server := rng.IntN(2) == 0
		h := Header{Masked: server}
		if server {
			k := rng.Uint32()
			h.Mask = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
		}
		if rng.IntN(3) == 0 {
			h.Opcode = Opcode(8 + rng.IntN(3))
			h.Fin = true
			h.Length = int64(rng.IntN(126))
		} else {
			h.Opcode = Opcode(1 + rng.IntN(2))
			h.Fin = rng.IntN(2) == 0
			h.RSV = byte(rng.IntN(8))
			if rng.IntN(2) == 0 {
				h.Length = lengths[rng.IntN(len(lengths))]
			} else {
				h.Length = rng.Int64N(math.MaxInt64)
			}
		}
		enc := AppendHeader([]byte{0xEE}, h)[1:]
		if len(enc) != HeaderSize(h) {
			t.Fatalf("%+v: %d bytes, HeaderSize %d", h, len(enc), HeaderSize(h))
		}
		wantSize := 2
		switch {
		case h.Length >= 65536:
			wantSize = 10
		case h.Length >= 126:
			wantSize = 4
		}
		if h.Masked {
			wantSize += 4
		}
		if len(enc) != wantSize {
			t.Fatalf("%+v: encoded in %d bytes, want %d (minimal)", h, len(enc), wantSize)
		}
		var p Parser
		p.Reset(ParserConfig{Server: server, AllowedRSV: 7, MaxFrame: -1, MaxMessage: -1})
		// Give the header and a little payload, in two pieces.
		extra := min(h.Length, 3)
		in := append(enc, make([]byte, extra)...)
		cut := rng.IntN(len(in) + 1)
		n, f, ok, err := p.Next(in[:cut])
		if cut < len(enc) {
			if err != nil || ok || n != cut {
				t.Fatalf("%+v: partial header gave n=%d ok=%v err=%v", h, n, ok, err)
			}
			n, f, ok, err = p.Next(in[cut:])
			n += cut
		}
		if err != nil || !ok || !f.FrameStart || f.Header != h {
			t.Fatalf("round trip %d: %+v\ngot %+v ok=%v err=%v", i, h, f.Header, ok, err)
		}
		if got := int64(len(f.Payload)); f.Remaining != h.Length-got || got > extra || n != len(enc)+int(got) {
			t.Fatalf("%+v: %d payload bytes, %d remaining, n=%d", h, got, f.Remaining, n)
		}
	}
}

func TestAppendHeaderExact(t *testing.T) {
	cases := []struct {
		h    Header
		want []byte
	}{
		{Header{Fin: true, Opcode: OpText, Length: 5}, hexBytes(0x81, 0x05)},
		{Header{Fin: true, Opcode: OpText, Masked: true, Mask: testKey, Length: 5}, hexBytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d)},
		{Header{Opcode: OpText, Length: 3}, hexBytes(0x01, 0x03)},
		{Header{Fin: true, Length: 2}, hexBytes(0x80, 0x02)},
		{Header{Fin: true, Opcode: OpPing, Length: 5}, hexBytes(0x89, 0x05)},
		{Header{Fin: true, Opcode: OpBinary, Length: 256}, hexBytes(0x82, 0x7E, 0x01, 0x00)},
		{Header{Fin: true, Opcode: OpBinary, Length: 65536}, hexBytes(0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0)},
		{Header{Fin: true, RSV: RSV1, Opcode: OpText, Length: 125}, hexBytes(0xC1, 125)},
		{Header{RSV: 7, Opcode: OpBinary, Length: 65535}, hexBytes(0x72, 126, 0xFF, 0xFF)},
	}
	for _, c := range cases {
		if got := AppendHeader(nil, c.h); !bytes.Equal(got, c.want) {
			t.Errorf("%+v: % x, want % x", c.h, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("negative length did not panic")
		}
	}()
	AppendHeader(nil, Header{Length: -1})
}

func TestNextAllocs(t *testing.T) {
	frames := cat(cf(false, OpText, "hello "), cf(true, OpPing, "p"), cf(true, OpContinuation, "world"),
		frameBytes(Header{Fin: true, Opcode: OpBinary, Masked: true, Mask: testKey}, make([]byte, 70000)))
	var p Parser
	p.Reset(serverCfg)
	allocs := testing.AllocsPerRun(20, func() {
		b := frames
		for len(b) > 0 {
			n, _, _, err := p.Next(b[:min(len(b), 1000)])
			if err != nil {
				panic(err)
			}
			b = b[n:]
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per stream", allocs)
	}
}

func TestHeaderNeeded(t *testing.T) {
	var p Parser
	p.Reset(ParserConfig{Server: true})
	frame := AppendHeader(nil, Header{Fin: true, Opcode: OpText, Masked: true, Length: 300})
	frame = append(frame, make([]byte, 300)...)
	if got, exact := p.HeaderNeeded(); got != 2 || exact {
		t.Fatalf("at start: %d %v, want 2 inexact", got, exact)
	}
	n, _, _, err := p.Next(frame[:1])
	if got, exact := p.HeaderNeeded(); err != nil || n != 1 || got != 1 || exact {
		t.Fatalf("after one byte: n %d err %v needed %d %v", n, err, got, exact)
	}
	if _, _, _, err := p.Next(frame[1:2]); err != nil {
		t.Fatal(err)
	}
	// 2 bytes of extended length and 4 of mask remain.
	if got, exact := p.HeaderNeeded(); got != 6 || !exact {
		t.Fatalf("after the second byte: %d %v, want 6 exact", got, exact)
	}
	_, f, ok, err := p.Next(frame[2 : 8+10])
	if got, _ := p.HeaderNeeded(); err != nil || !ok || len(f.Payload) != 10 || got != 0 {
		t.Fatalf("report %+v ok %v err %v needed %d", f, ok, err, got)
	}
}
