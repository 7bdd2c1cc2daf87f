package conformance

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// normalClose: the client closes once the expected events are in, the
// server answers 1000 (or no code) and closes TCP.
var normalClose = CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true}

// serverFails: the server must fail the connection, with one of codes
// (or no close frame at all).
func serverFails(codes ...int) CloseExpectation { return CloseExpectation{Codes: codes} }

// fr is a final frame with a string payload.
func fr(op byte, payload string) Frame {
	return Frame{Opcode: op, Fin: true, Payload: []byte(payload)}
}

// more is a non-final frame with a string payload.
func more(op byte, payload string) Frame {
	return Frame{Opcode: op, Payload: []byte(payload)}
}

func (f Frame) sync() Frame        { f.Sync = true; return f }
func (f Frame) chop(n int) Frame   { f.Chop = n; return f }
func (f Frame) rsv(r byte) Frame   { f.RSV = r; return f }
func (f Frame) fill(n int) Frame   { f.Length = n; return f }
func (f Frame) bin(b []byte) Frame { f.Payload = b; return f }

// framingCases are group 1: text and binary messages of sizes around the
// length encoding boundaries.
func framingCases() []Case {
	var cs []Case
	for _, g := range []struct {
		sub  string
		op   byte
		fill byte
		name string
	}{{"1.1", OpText, '*', "text"}, {"1.2", OpBinary, 0xfe, "binary"}} {
		sizes := []int{0, 125, 126, 127, 128, 65535, 65536, 65536}
		for i, n := range sizes {
			chop := 0
			desc := fmt.Sprintf("Send a %s message with a payload of %d octets.", g.name, n)
			if i == 7 {
				chop = 997
				desc = fmt.Sprintf("Send a %s message with a payload of %d octets, written in chops of 997 octets.", g.name, n)
			}
			kill := time.Second
			if n > 128 {
				kill = 10 * time.Second
			}
			cs = append(cs, Case{
				ID:          fmt.Sprintf("%s.%d", g.sub, i+1),
				Description: desc,
				Expectation: "The message is echoed with the payload as sent. Clean close with normal code.",
				Run: func(_ context.Context, p *Peer) {
					payload := bytes.Repeat([]byte{g.fill}, n)
					p.Expect(OK, Message(payload, g.op == OpBinary))
					p.ExpectClose(normalClose)
					p.SendFrame(Frame{Opcode: g.op, Fin: true, Payload: payload, Chop: chop})
					p.KillAfter(kill)
				},
			})
		}
	}
	return cs
}

// pingCases are group 2: pings and unsolicited pongs.
func pingCases() []Case {
	pongCase := func(id, desc string, payload []byte, chop int, wait time.Duration) Case {
		return Case{
			ID: id, Description: desc,
			Expectation: "A pong with the ping's payload answers the ping. Clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK, Pong(payload))
				p.ExpectClose(normalClose)
				p.SendFrame(Frame{Opcode: OpPing, Fin: true, Payload: payload, Chop: chop})
				p.CloseAfter(wait)
			},
		}
	}
	fe := func(n int) []byte { return bytes.Repeat([]byte{0xfe}, n) }
	return []Case{
		pongCase("2.1", "Send a ping without payload.", nil, 0, time.Second),
		pongCase("2.2", "Send a ping with a small text payload.", []byte("Hello, world!"), 0, time.Second),
		pongCase("2.3", "Send a ping with a small binary (non UTF-8) payload.",
			[]byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}, 0, time.Second),
		pongCase("2.4", "Send a ping with a binary payload of 125 octets.", fe(125), 0, time.Second),
		{
			ID:          "2.5",
			Description: "Send a ping with a binary payload of 126 octets.",
			Expectation: "The connection is failed immediately (1002): control frames carry at most 125 octets.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK)
				p.ExpectClose(serverFails(1002))
				p.SendFrame(Frame{Opcode: OpPing, Fin: true, Payload: fe(126)})
				p.KillAfter(time.Second)
			},
		},
		pongCase("2.6", "Send a ping with a binary payload of 125 octets, written octet by octet.", fe(125), 1, 2*time.Second),
		{
			ID:          "2.7",
			Description: "Send an unsolicited pong without payload, then close.",
			Expectation: "Nothing is received. Clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK)
				p.ExpectClose(normalClose)
				p.SendFrame(fr(OpPong, ""))
				p.SendClose(1000, "")
				p.CloseAfter(time.Second)
			},
		},
		{
			ID:          "2.8",
			Description: "Send an unsolicited pong with payload, then close.",
			Expectation: "Nothing is received. Clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK)
				p.ExpectClose(normalClose)
				p.SendFrame(fr(OpPong, "unsolicited pong payload"))
				p.SendClose(1000, "")
				p.CloseAfter(time.Second)
			},
		},
		{
			ID:          "2.9",
			Description: "Send an unsolicited pong with payload, then a ping with payload.",
			Expectation: "Nothing answers the pong; a pong with the ping's payload answers the ping. Clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK, Pong([]byte("ping payload")))
				p.ExpectClose(normalClose)
				p.SendFrame(fr(OpPong, "unsolicited pong payload"))
				p.SendFrame(fr(OpPing, "ping payload"))
				p.CloseAfter(time.Second)
			},
		},
	}
}

// failCase is a case where the server must fail the connection after
// frames, echoing only what okEvents lists (or, non-strictly, nothing).
func failCase(id, desc, expect string, frames []Frame, okEvents ...Event) Case {
	return Case{
		ID: id, Description: desc, Expectation: expect,
		Run: func(_ context.Context, p *Peer) {
			p.Expect(OK, okEvents...)
			if len(okEvents) > 0 {
				p.Expect(NonStrict)
			}
			p.ExpectClose(serverFails(1002))
			for _, f := range frames {
				p.SendFrame(f)
			}
			p.KillAfter(time.Second)
		},
	}
}

// rsvCases are group 3: reserved bits set without an extension.
func rsvCases() []Case {
	const hello = "Hello, world!"
	const failNow = "The connection is failed immediately (1002): RSV bits must be 0 when no extension defining them was negotiated."
	const failAfterEcho = "The first message is echoed, then the connection is failed immediately (1002): RSV bits must be 0 when no extension defining them was negotiated. No pong is received."
	bin := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	return []Case{
		failCase("3.1", "Send a small text message with RSV = 1.", failNow,
			[]Frame{fr(OpText, hello).rsv(1)}),
		failCase("3.2", "Send a small text message, then the same with RSV = 2, then a ping.", failAfterEcho,
			[]Frame{fr(OpText, hello), fr(OpText, hello).rsv(2), fr(OpPing, "")}, Text(hello)),
		failCase("3.3", "Send a small text message, then the same with RSV = 3, then a ping, each frame written on its own.", failAfterEcho,
			[]Frame{fr(OpText, hello).sync(), fr(OpText, hello).rsv(3).sync(), fr(OpPing, "").sync()}, Text(hello)),
		failCase("3.4", "Send a small text message, then the same with RSV = 4, then a ping, written octet by octet.", failAfterEcho,
			[]Frame{fr(OpText, hello).chop(1), fr(OpText, hello).rsv(4).chop(1), fr(OpPing, "").chop(1)}, Text(hello)),
		failCase("3.5", "Send a small binary message with RSV = 5.", failNow,
			[]Frame{fr(OpBinary, "").bin(bin).rsv(5)}),
		failCase("3.6", "Send a small binary message with RSV = 6 (Autobahn calls it a ping; its frame is binary).", failNow,
			[]Frame{fr(OpBinary, hello).rsv(6)}),
		failCase("3.7", "Send a close frame with RSV = 7.", failNow,
			[]Frame{fr(OpClose, "").rsv(7)}),
	}
}

// opcodeCases are group 4: reserved opcodes.
func opcodeCases() []Case {
	const hello = "Hello, world!"
	var cs []Case
	for _, g := range []struct {
		sub  string
		base byte
		kind string
	}{{"4.1", 3, "non-control"}, {"4.2", 11, "control"}} {
		failNow := fmt.Sprintf("The connection is failed immediately (1002): reserved %s opcode.", g.kind)
		failAfterEcho := fmt.Sprintf("The first message is echoed, then the connection is failed immediately (1002): reserved %s opcode. No pong is received.", g.kind)
		op := func(i int) byte { return g.base + byte(i) }
		cs = append(cs,
			failCase(g.sub+".1", fmt.Sprintf("Send a frame with reserved %s opcode %d.", g.kind, op(0)), failNow,
				[]Frame{fr(op(0), "")}),
			failCase(g.sub+".2", fmt.Sprintf("Send a frame with reserved %s opcode %d and a payload.", g.kind, op(1)), failNow,
				[]Frame{fr(op(1), "reserved opcode payload")}),
			failCase(g.sub+".3", fmt.Sprintf("Send a small text message, then a frame with reserved %s opcode %d, then a ping.", g.kind, op(2)), failAfterEcho,
				[]Frame{fr(OpText, hello), fr(op(2), ""), fr(OpPing, "")}, Text(hello)),
			failCase(g.sub+".4", fmt.Sprintf("Send a small text message, then a frame with reserved %s opcode %d and a payload, then a ping.", g.kind, op(3)), failAfterEcho,
				[]Frame{fr(OpText, hello), fr(op(3), hello), fr(OpPing, "")}, Text(hello)),
			failCase(g.sub+".5", fmt.Sprintf("Send a small text message, then a frame with reserved %s opcode %d and a payload, then a ping, written octet by octet.", g.kind, op(4)), failAfterEcho,
				[]Frame{fr(OpText, hello).chop(1), fr(op(4), hello).chop(1), fr(OpPing, "").chop(1)}, Text(hello)),
		)
	}
	return cs
}

// fragmentationCases are group 5: fragmented messages, legal and not.
func fragmentationCases() []Case {
	const (
		failCtrl = "The connection is failed immediately (1002): control frames must not be fragmented."
		failCont = "The connection is failed immediately (1002): there is no message to continue."
	)
	echo := func(id, desc string, frames []Frame, events ...Event) Case {
		return Case{
			ID: id, Description: desc,
			Expectation: "The events listed are received in order; the message is echoed. Clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.Expect(OK, events...)
				p.ExpectClose(normalClose)
				for _, f := range frames {
					p.SendFrame(f)
				}
				p.CloseAfter(time.Second)
			},
		}
	}
	both := Text("fragment1fragment2")
	pong := Pong([]byte("ping payload"))
	each := func(fs []Frame, how func(Frame) Frame) []Frame {
		out := make([]Frame, len(fs))
		for i, f := range fs {
			out[i] = how(f)
		}
		return out
	}
	same := func(f Frame) Frame { return f }
	sync := func(f Frame) Frame { return f.sync() }
	octets := func(f Frame) Frame { return f.chop(1) }
	two := []Frame{more(OpText, "fragment1"), fr(OpContinuation, "fragment2")}
	withPing := []Frame{more(OpText, "fragment1"), fr(OpPing, "ping payload"), fr(OpContinuation, "fragment2")}
	contFin := []Frame{fr(OpContinuation, "non-continuation payload"), fr(OpText, "Hello, world!")}
	contMore := []Frame{more(OpContinuation, "non-continuation payload"), fr(OpText, "Hello, world!")}
	cs := []Case{
		failCase("5.1", "Send a ping fragmented into 2 fragments.", failCtrl,
			[]Frame{more(OpPing, "fragment1"), fr(OpContinuation, "fragment2")}),
		failCase("5.2", "Send a pong fragmented into 2 fragments.", failCtrl,
			[]Frame{more(OpPong, "fragment1"), fr(OpContinuation, "fragment2")}),
		echo("5.3", "Send a text message fragmented into 2 fragments.", two, both),
		echo("5.4", "Send a text message fragmented into 2 fragments, each frame written on its own.", each(two, sync), both),
		echo("5.5", "Send a text message fragmented into 2 fragments, written octet by octet.", each(two, octets), both),
		echo("5.6", "Send a text message fragmented into 2 fragments with a ping in between.", withPing, pong, both),
		echo("5.7", "Send a text message fragmented into 2 fragments with a ping in between, each frame written on its own.", each(withPing, sync), pong, both),
		echo("5.8", "Send a text message fragmented into 2 fragments with a ping in between, written octet by octet.", each(withPing, octets), pong, both),
	}
	for i, how := range []func(Frame) Frame{same, sync, octets} {
		way := []string{"in one write", "each frame written on its own", "written octet by octet"}[i]
		cs = append(cs, failCase(fmt.Sprintf("5.%d", 9+i),
			"Send a continuation frame with FIN set where there is nothing to continue, then a text message, "+way+".",
			failCont, each(contFin, how)))
	}
	for i, how := range []func(Frame) Frame{same, sync, octets} {
		way := []string{"in one write", "each frame written on its own", "written octet by octet"}[i]
		cs = append(cs, failCase(fmt.Sprintf("5.%d", 12+i),
			"Send a continuation frame with FIN clear where there is nothing to continue, then a text message, "+way+".",
			failCont, each(contMore, how)))
	}
	cs = append(cs,
		failCase("5.15", "Send a text message in 2 fragments, then a continuation frame with FIN clear where there is nothing to continue, then a text message.",
			"The first message is echoed, then the connection is failed immediately (1002): there is no message to continue.",
			[]Frame{more(OpText, "fragment1"), fr(OpContinuation, "fragment2"), more(OpContinuation, "fragment3"), fr(OpText, "fragment4")},
			Text("fragment1fragment2")),
		failCase("5.16", "Twice: a continuation frame with FIN clear where there is nothing to continue, then a text message in 2 fragments.", failCont,
			[]Frame{
				more(OpContinuation, "fragment1"), more(OpText, "fragment2"), fr(OpContinuation, "fragment3"),
				more(OpContinuation, "fragment1"), more(OpText, "fragment2"), fr(OpContinuation, "fragment3"),
			}),
		failCase("5.17", "Twice: a continuation frame with FIN set where there is nothing to continue, then a text message in 2 fragments.", failCont,
			[]Frame{
				fr(OpContinuation, "fragment1"), more(OpText, "fragment2"), fr(OpContinuation, "fragment3"),
				fr(OpContinuation, "fragment1"), more(OpText, "fragment2"), fr(OpContinuation, "fragment3"),
			}),
		failCase("5.18", "Send a text message in 2 fragments whose frames both have the text opcode.",
			"The connection is failed immediately (1002): every frame after the first of a message must be a continuation.",
			[]Frame{more(OpText, "fragment1"), fr(OpText, "fragment2")}),
		interleavedPings("5.19", false),
		interleavedPings("5.20", true),
	)
	return cs
}

// interleavedPings is 5.19 (and, with every frame written on its own,
// 5.20): a text message in 5 fragments sent over a second, with pings
// among them.
func interleavedPings(id string, sync bool) Case {
	desc := "Send 2 fragments of a text message and a ping; a second later 2 more fragments, another ping and the last fragment. Everything is legal."
	if sync {
		desc = "As 5.19, each frame written on its own."
	}
	return Case{
		ID: id, Description: desc,
		Expectation: "Each ping is answered at once, before the message is complete; the whole message is echoed. Clean close with normal code.",
		Run: func(_ context.Context, p *Peer) {
			f := func(x Frame) Frame { x.Sync = sync; return x }
			p.Expect(OK, Pong([]byte("pongme 1!")), Pong([]byte("pongme 2!")), Text("fragment1fragment2fragment3fragment4fragment5"))
			p.ExpectClose(normalClose)
			p.SendFrame(f(more(OpText, "fragment1")))
			p.SendFrame(f(more(OpContinuation, "fragment2")))
			p.SendFrame(f(fr(OpPing, "pongme 1!")))
			p.ContinueLater(time.Second, func() {
				p.SendFrame(f(more(OpContinuation, "fragment3")))
				p.SendFrame(f(more(OpContinuation, "fragment4")))
				p.SendFrame(f(fr(OpPing, "pongme 2!")))
				p.SendFrame(f(fr(OpContinuation, "fragment5")))
				p.CloseAfter(time.Second)
			})
		},
	}
}
