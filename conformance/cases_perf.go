package conformance

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// maxPerfWait caps how long a performance case waits for its echo
// (Autobahn's waits go up to 1000 s).
const maxPerfWait = 20 * time.Second

// perfWait is Autobahn's wait for a case, capped.
func perfWait(secs int) time.Duration {
	return min(time.Duration(secs)*time.Second, maxPerfWait)
}

var (
	textPattern   = []byte("BAsd7&jh23")
	binaryPattern = []byte{0x00, 0xfe, 0x23, 0xfa, 0xf0}
)

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d octets", n)
}

func kindName(binary bool) string {
	if binary {
		return "binary"
	}
	return "text"
}

// checkEcho makes the case's outcome depend on the first message echoed:
// OK when it is the payload sent, with the same type. Then it closes.
func checkEcho(p *Peer, want []byte, binary bool) {
	p.OnMessage(func(msg []byte, isBinary bool) {
		switch {
		case isBinary != binary:
			p.SetOutcome(Failed, fmt.Sprintf("Expected %s message with payload, but got %s.", kindName(binary), kindName(isBinary)))
		case len(msg) != len(want):
			p.SetOutcome(Failed, fmt.Sprintf("Expected %s message with payload of length %d, but got %d.", kindName(binary), len(want), len(msg)))
		case !bytes.Equal(msg, want):
			i := 0
			for msg[i] == want[i] {
				i++
			}
			p.SetOutcome(Failed, fmt.Sprintf("The echoed payload differs from the one sent at octet %d.", i))
		default:
			p.SetOutcome(OK, fmt.Sprintf("Received %s message of length %d.", kindName(binary), len(msg)))
		}
		p.SendClose(1000, "")
	})
}

// bigMessage is a case sending one large message and waiting for its
// echo: in one frame, in fragments of fragment octets, or in one frame
// written in chops of chop octets.
func bigMessage(id string, binary bool, pattern []byte, size, fragment, chop, waitSecs int) Case {
	desc := fmt.Sprintf("Send a %s message with a payload of %s", kindName(binary), sizeName(size))
	switch {
	case fragment > 0:
		desc += fmt.Sprintf(", in fragments of %s", sizeName(fragment))
	case chop > 0:
		desc += fmt.Sprintf(", written in chops of %d octets", chop)
	}
	wait := perfWait(waitSecs)
	return Case{
		ID: id, Description: desc + ".",
		Expectation: fmt.Sprintf("The message is echoed with the payload as sent, within %v.", wait),
		Limit:       wait + 10*time.Second,
		Run: func(_ context.Context, p *Peer) {
			payload := repeat(pattern, size)
			p.SetOutcome(Failed, fmt.Sprintf("Did not receive message within %v.", wait))
			p.ExpectClose(normalClose)
			checkEcho(p, payload, binary)
			op := OpText
			if binary {
				op = OpBinary
			}
			if fragment > 0 {
				p.SendMessage(payload, binary, fragment)
			} else {
				p.SendFrame(Frame{Opcode: op, Fin: true, Payload: payload, Chop: chop})
			}
			p.CloseAfter(wait)
		},
	}
}

// roundTrips is 9.7.x and 9.8.x: count messages of size octets, each sent
// when the echo of the one before has arrived.
func roundTrips(id string, binary bool, size, count, waitSecs int) Case {
	wait := perfWait(waitSecs)
	return Case{
		ID:          id,
		Description: fmt.Sprintf("Send %d %s messages of payload size %d one after the other, to measure round trip time.", count, kindName(binary), size),
		Expectation: fmt.Sprintf("Every message is echoed with the payload as sent, all within %v.", wait),
		Limit:       wait + 10*time.Second,
		Run: func(_ context.Context, p *Peer) {
			op, fill := OpText, byte('*')
			if binary {
				op, fill = OpBinary, 0xfe
			}
			payload := bytes.Repeat([]byte{fill}, size)
			p.SetOutcome(Failed, fmt.Sprintf("Case did not finish within %v.", wait))
			p.ExpectClose(normalClose)
			p.CloseAfter(wait)
			sent := 0
			sendOne := func() {
				p.SendFrame(Frame{Opcode: op, Fin: true, Payload: payload})
				sent++
			}
			p.OnMessage(func(msg []byte, isBinary bool) {
				switch {
				case isBinary != binary || len(msg) != size:
					p.SetOutcome(Failed, fmt.Sprintf("Echoed message %d: type or length differs from what was sent (binary %v, %d octets).", sent, isBinary, len(msg)))
					p.SendClose(1000, "")
				case !bytes.Equal(msg, payload):
					p.SetOutcome(Failed, fmt.Sprintf("Echoed message %d: the payload differs from what was sent.", sent))
					p.SendClose(1000, "")
				case sent < count:
					sendOne()
				default:
					p.SetOutcome(OK, fmt.Sprintf("Received all %d echoed messages in time.", count))
					p.SendClose(1000, "")
				}
			})
			sendOne()
		},
	}
}

// performanceCases are group 9: limits and performance.
func performanceCases() []Case {
	var cs []Case
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for i, n := range sizes {
		cs = append(cs, bigMessage(fmt.Sprintf("9.1.%d", i+1), false, textPattern, n, 0, 0, []int{10, 10, 100, 100, 100, 100}[i]))
	}
	for i, n := range sizes {
		cs = append(cs, bigMessage(fmt.Sprintf("9.2.%d", i+1), true, binaryPattern, n, 0, 0, []int{10, 10, 10, 10, 100, 100}[i]))
	}
	fragments := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for i, f := range fragments {
		cs = append(cs, bigMessage(fmt.Sprintf("9.3.%d", i+1), false, []byte("*"), 4<<20, f, 0, 100))
	}
	for i, f := range fragments {
		pattern := []byte("*")
		if i == 0 {
			pattern = []byte{0xfe}
		}
		cs = append(cs, bigMessage(fmt.Sprintf("9.4.%d", i+1), true, pattern, 4<<20, f, 0, 100))
	}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for i, c := range chops {
		cs = append(cs, bigMessage(fmt.Sprintf("9.5.%d", i+1), false, textPattern, 1<<20, 0, c, 1000))
	}
	for i, c := range chops {
		cs = append(cs, bigMessage(fmt.Sprintf("9.6.%d", i+1), true, binaryPattern, 1<<20, 0, c, 1000))
	}
	for _, binary := range []bool{false, true} {
		sub := "9.7"
		if binary {
			sub = "9.8"
		}
		for i, t := range []struct{ size, wait int }{{0, 60}, {16, 60}, {64, 60}, {256, 120}, {1024, 240}, {4096, 480}} {
			cs = append(cs, roundTrips(fmt.Sprintf("%s.%d", sub, i+1), binary, t.size, 1000, t.wait))
		}
	}
	return cs
}

// autoFragmentationCases are group 10.
func autoFragmentationCases() []Case {
	return []Case{{
		ID:          "10.1.1",
		Description: "Send a text message with a payload of 65536 octets, cut by the client's auto-fragmentation into frames of 1300 octets.",
		Expectation: "The message is echoed with the payload as sent, and the client sent the frames expected. Clean close with normal code.",
		Run: func(_ context.Context, p *Peer) {
			const size, frag = 65536, 1300
			payload := bytes.Repeat([]byte("*"), size)
			p.SetAutoFragment(frag)
			p.Expect(OK, Message(payload, false))
			p.ExpectClose(normalClose)
			p.OnConnectionLost(func(v *Verdict) {
				wantCont, wantText := size/frag, 1
				if gotCont, gotText := p.SentFrames(OpContinuation), p.SentFrames(OpText); gotCont != wantCont || gotText != wantText {
					v.Behavior = Failed
					v.Result = fmt.Sprintf("Frames transmitted (%d continuation, %d text) differ from those expected (%d, %d).", gotCont, gotText, wantCont, wantText)
				}
			})
			p.SendMessage(payload, false, 0)
			p.KillAfter(10 * time.Second)
		},
	}}
}
