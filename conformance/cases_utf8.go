package conformance

import (
	"context"
	"fmt"
	"time"
)

// kosme is "κόσμε", valid UTF-8 with two- and three-octet code points.
const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

// invalidUTF8 fails on its 12th octet (0xa0 after 0xed: a surrogate).
const invalidUTF8 = kosme + "\xed\xa0\x80" + "edited"

// failsUTF8: the server must fail the connection with 1007; had the
// client to close instead, the server did not notice the invalid UTF-8.
var failsUTF8 = CloseExpectation{Codes: []int{1007}, WrongEndpointIsFatal: true}

// utf8Seq is one payload of the UTF-8 decoder tests.
type utf8Seq struct {
	valid   bool
	payload string
}

// utf8Group is a sub-group of cases 6.5 to 6.23.
type utf8Group struct {
	name string
	seqs []utf8Seq
}

func valid(ps ...string) []utf8Seq   { return seqs(true, ps) }
func invalid(ps ...string) []utf8Seq { return seqs(false, ps) }
func seqs(ok bool, ps []string) []utf8Seq {
	out := make([]utf8Seq, len(ps))
	for i, p := range ps {
		out[i] = utf8Seq{ok, p}
	}
	return out
}

// utf8Groups are the sequences of Markus Kuhn's UTF-8 decoder test as
// Autobahn uses them, in its order: cases 6.5.x to 6.23.x.
func utf8Groups() []utf8Group {
	var prefixes []utf8Seq
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, utf8Seq{validUTF8([]byte(kosme[:i])), kosme[:i]})
	}
	var contAll []byte
	for b := 0x80; b < 0xbf; b++ {
		contAll = append(contAll, byte(b))
	}
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for b := r[0]; b < r[1]; b++ {
			s = append(s, byte(b), 0x20)
		}
		lonely = append(lonely, string(s))
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	concat := ""
	for _, m := range missing {
		concat += m
	}
	nonChars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, z2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if z1 == 0xf4 && z2 != 0x8f {
				continue // above U+10FFFF
			}
			for _, z3 := range []byte{0xbe, 0xbf} {
				zz := string([]byte{z1, z2, 0xbf, z3})
				if zz == "\xf0\x8f\xbf\xbe" || zz == "\xf0\x8f\xbf\xbf" {
					continue // overlong
				}
				nonChars = append(nonChars, zz)
			}
		}
	}
	return []utf8Group{
		{"Some valid UTF-8 sequences", valid("hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kosme)},
		{"All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes},
		{"First possible sequence of a certain length", valid("\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")},
		{"First possible sequence length 5/6 (invalid codepoints)", invalid("\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")},
		{"Last possible sequence of a certain length", valid("\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")},
		{"Last possible sequence length 4/5/6 (invalid codepoints)", invalid("\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")},
		{"Other boundary conditions", append(valid("\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"), invalid("\xf4\x90\x80\x80")...)},
		{"Unexpected continuation bytes", invalid("\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf",
			"\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", string(contAll))},
		{"Lonely start characters", invalid(lonely...)},
		{"Sequences with last continuation byte missing", invalid(missing...)},
		{"Concatenation of incomplete sequences", invalid(concat)},
		{"Impossible bytes", invalid("\xfe", "\xff", "\xfe\xfe\xff\xff")},
		{"Examples of an overlong ASCII character", invalid("\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")},
		{"Maximum overlong sequences", invalid("\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")},
		{"Overlong representation of the NUL character", invalid("\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")},
		{"Single UTF-16 surrogates", invalid("\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf")},
		{"Paired UTF-16 surrogates", invalid("\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf")},
		{"Non-character code points (valid UTF-8)", valid(nonChars...)},
		{"Unicode specials (i.e. replacement char)", valid("\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")},
	}
}

// utf8Cases are group 6: UTF-8 handling.
func utf8Cases() []Case {
	echoText := func(id, desc string, send func(p *Peer), want string) Case {
		return Case{
			ID: id, Description: desc,
			Expectation: "The message is echoed. Clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK, Text(want))
				p.ExpectClose(normalClose)
				send(p)
				p.CloseAfter(time.Second)
			},
		}
	}
	frames := func(fs ...Frame) func(p *Peer) {
		return func(p *Peer) {
			for _, f := range fs {
				p.SendFrame(f)
			}
		}
	}
	message := func(payload string, fragment int) func(p *Peer) {
		return func(p *Peer) { p.SendMessage([]byte(payload), false, fragment) }
	}
	const hello = "Hello-µ@ßöäüàá-UTF-8!!"
	cs := []Case{
		echoText("6.1.1", "Send a text message of length 0.", frames(fr(OpText, "")), ""),
		echoText("6.1.2", "Send a text message in 3 fragments, each of length 0.",
			frames(more(OpText, ""), more(OpContinuation, ""), fr(OpContinuation, "")), ""),
		echoText("6.1.3", "Send a text message in 3 fragments, the first and last of length 0, the middle one not.",
			frames(more(OpText, ""), more(OpContinuation, "middle frame payload"), fr(OpContinuation, "")), "middle frame payload"),
		echoText("6.2.1", "Send a valid UTF-8 text message in one fragment: "+hello, message(hello, 0), hello),
		echoText("6.2.2", "Send a valid UTF-8 text message in two fragments, cut on a code point boundary.",
			frames(more(OpText, "Hello-µ@ßöä"), fr(OpContinuation, "üàá-UTF-8!!")), hello),
		echoText("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet, so that frames end inside code points: "+hello,
			message(hello, 1), hello),
		echoText("6.2.4", fmt.Sprintf("Send a valid UTF-8 text message in fragments of 1 octet, so that frames end inside code points: %x", kosme),
			message(kosme, 1), kosme),
	}
	for i, fragment := range []int{0, 1} {
		desc := fmt.Sprintf("Send an invalid UTF-8 text message unfragmented: %x", invalidUTF8)
		if fragment == 1 {
			desc = fmt.Sprintf("Send an invalid UTF-8 text message in fragments of 1 octet: %x", invalidUTF8)
		}
		cs = append(cs, Case{
			ID: fmt.Sprintf("6.3.%d", i+1), Description: desc,
			Expectation: "The connection is failed immediately (1007): the payload is not valid UTF-8.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK)
				p.ExpectClose(failsUTF8)
				p.SendMessage([]byte(invalidUTF8), false, fragment)
				p.KillAfter(time.Second)
			},
		})
	}
	cs = append(cs, failFastCases()...)
	for gi, g := range utf8Groups() {
		for si, s := range g.seqs {
			id := fmt.Sprintf("6.%d.%d", gi+5, si+1)
			c := Case{ID: id}
			if s.valid {
				c.Description = fmt.Sprintf("%s: send a text message whose payload is valid UTF-8 in one fragment: 0x%x", g.name, s.payload)
				c.Expectation = "The message is echoed."
			} else {
				c.Description = fmt.Sprintf("%s: send a text message whose payload is not valid UTF-8 in one fragment: 0x%x", g.name, s.payload)
				c.Expectation = "The connection is failed immediately (1007): the payload is not valid UTF-8."
			}
			c.Run = func(_ context.Context, p *Peer) {
				if s.valid {
					p.Expect(OK, Text(s.payload))
					p.ExpectClose(normalClose)
				} else {
					p.Expect(OK)
					p.ExpectClose(failsUTF8)
				}
				p.SendMessage([]byte(s.payload), false, 0)
				p.KillAfter(500 * time.Millisecond)
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// failFastCases are 6.4.x: a text message whose payload turns invalid in
// its second part, sent in three parts a second apart. A server that
// fails the connection on the second part is OK; one that waits for the
// end of the message is NON-STRICT.
func failFastCases() []Case {
	const (
		part1   = kosme
		part2   = "\xf4\x90\x80\x80" // 0x110000: above Unicode; invalid on its 2nd octet
		part3   = "edited"
		payload = part1 + part2 + part3
	)
	const expect = "The first part is accepted (the client times out waiting). The second part is rejected at once (fail fast, 1007); failing at the end of the message is non-strict."
	// frames sends the three parts as three frames of a fragmented message.
	frames := func(parts [3]string) func(p *Peer) [3]func() {
		return func(p *Peer) [3]func() {
			return [3]func(){
				func() { p.SendFrame(more(OpText, parts[0])) },
				func() { p.SendFrame(more(OpContinuation, parts[1])) },
				func() { p.SendFrame(fr(OpContinuation, parts[2])) },
			}
		}
	}
	// chops sends the three parts as pieces of one frame, then an empty
	// final continuation frame (the frame's FIN is clear, as Autobahn's
	// streaming API sends it).
	chops := func(cut1, cut2 int) func(p *Peer) [3]func() {
		return func(p *Peer) [3]func() {
			wire := p.frameBytes(Frame{Opcode: OpText, Payload: []byte(payload)})
			hl := len(wire) - len(payload)
			return [3]func(){
				func() { p.SendRaw(wire[:hl+cut1]) },
				func() { p.SendRaw(wire[hl+cut1 : hl+cut2]) },
				func() { p.SendRaw(wire[hl+cut2:]); p.SendFrame(fr(OpContinuation, "")) },
			}
		}
	}
	mk := func(id, desc string, parts func(p *Peer) [3]func()) Case {
		return Case{
			ID: id, Description: desc, Expectation: expect, Limit: 10 * time.Second,
			Run: func(_ context.Context, p *Peer) {
				send := parts(p)
				p.Expect(OK, Timeout("A"))
				p.Expect(NonStrict, Timeout("A"), Timeout("B"))
				p.ExpectClose(failsUTF8)
				send[0]()
				p.ContinueLater(time.Second, func() {
					if !p.Open() {
						return
					}
					p.Record(Timeout("A"))
					send[1]()
					p.ContinueLater(time.Second, func() {
						if !p.Open() {
							return
						}
						p.Record(Timeout("B"))
						send[2]()
						p.KillAfter(time.Second)
					})
				})
			},
		}
	}
	return []Case{
		mk("6.4.1", fmt.Sprintf("Send an invalid UTF-8 text message in 3 frames a second apart: %x (valid), %x (makes it invalid: U+110000), %x.", part1, part2, part3),
			frames([3]string{part1, part2, part3})),
		mk("6.4.2", fmt.Sprintf("As 6.4.1, the second frame holding only the octet that makes the payload invalid: %x, %x, %x.", payload[:12], payload[12:13], payload[13:]),
			frames([3]string{payload[:12], payload[12:13], payload[13:]})),
		mk("6.4.3", "As 6.4.1, the three parts being pieces of one frame written a second apart.", chops(len(part1), len(part1)+len(part2))),
		mk("6.4.4", "As 6.4.2, the three parts being pieces of one frame written a second apart.", chops(12, 13)),
	}
}
