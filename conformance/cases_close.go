package conformance

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// wrongCodeFails is the rule of group 7: a wrong close code fails the
// case, not only its close behaviour.
func wrongCodeFails(v *Verdict) {
	if v.CloseBehavior == WrongCode {
		v.Behavior, v.Result = Failed, v.CloseResult
	}
}

// closeCases are group 7: close handling, the client starting the closing
// handshake.
func closeCases() []Case {
	// closing is a case that sends then waits for the connection to end,
	// the client not closing by itself.
	closing := func(id, desc, expect string, ec CloseExpectation, events []Event, send func(p *Peer)) Case {
		return Case{
			ID: id, Description: desc, Expectation: expect,
			Run: func(_ context.Context, p *Peer) {
				p.SuppressClose()
				p.OnConnectionLost(wrongCodeFails)
				p.Expect(OK, events...)
				p.ExpectClose(ec)
				send(p)
				p.KillAfter(time.Second)
			},
		}
	}
	const normal = "Clean close with normal code."
	protocolError := CloseExpectation{ClosedByMe: true, Codes: []int{1002}}
	cs := []Case{
		{
			ID:          "7.1.1",
			Description: "Send a message followed by a close frame.",
			Expectation: "The echo of the message, then a clean close with normal code.",
			Run: func(_ context.Context, p *Peer) {
				p.OnConnectionLost(wrongCodeFails)
				p.Expect(OK, Text("Hello World!"))
				p.ExpectClose(normalClose)
				p.SendFrame(fr(OpText, "Hello World!"))
				p.KillAfter(time.Second)
			},
		},
		closing("7.1.2", "Send two close frames.", "Clean close with normal code; the second close frame is ignored.",
			normalClose, nil, func(p *Peer) {
				p.SendClose(1000, "")
				p.SendFrame(fr(OpClose, ""))
			}),
		closing("7.1.3", "Send a ping after the close frame.", "Clean close with normal code; no pong.",
			normalClose, nil, func(p *Peer) {
				p.SendClose(1000, "")
				p.SendFrame(fr(OpPing, ""))
			}),
		closing("7.1.4", "Send a text message after the close frame.", "Clean close with normal code; the message is ignored.",
			normalClose, nil, func(p *Peer) {
				p.SendClose(1000, "")
				p.SendFrame(fr(OpText, "Hello World!"))
			}),
		closing("7.1.5", "Send the first fragment of a message, the close frame, then the last fragment.", normal,
			normalClose, nil, func(p *Peer) {
				p.SendFrame(more(OpText, "fragment1"))
				p.SendClose(1000, "")
				p.SendFrame(fr(OpContinuation, "fragment2"))
			}),
		{
			ID:          "7.1.6",
			Description: "Send a 256 KiB text message, a small text message, a close frame and a ping, back to back.",
			Expectation: "Implementation defined: a server may close before it has echoed the messages.",
			Run: func(_ context.Context, p *Peer) {
				p.SuppressClose()
				p.OnConnectionLost(func(v *Verdict) {
					switch v.Behavior {
					case OK:
						v.Result = "Text message was processed before close."
					case NonStrict:
						v.Result = "Close was processed before text message could be returned."
					}
					v.Behavior, v.CloseBehavior = Informational, Informational
				})
				p.Expect(OK, Text("Hello World!"))
				p.Expect(NonStrict)
				p.ExpectClose(normalClose)
				p.SendFrame(fr(OpText, "BAsd7&jh23").fill(256 << 10))
				p.SendFrame(fr(OpText, "Hello World!"))
				p.SendClose(1000, "")
				p.SendFrame(fr(OpPing, ""))
				p.KillAfter(time.Second)
			},
		},
		closing("7.3.1", "Send a close frame with payload length 0 (no close code, no close reason).", normal,
			normalClose, nil, func(p *Peer) { p.SendCloseFrame(NoCode, nil) }),
		closing("7.3.2", "Send a close frame with payload length 1.", "Clean close with protocol error code, or TCP dropped.",
			protocolError, nil, func(p *Peer) { p.SendCloseFrame(NoCode, []byte("a")) }),
		closing("7.3.3", "Send a close frame with payload length 2 (a close code).", normal,
			normalClose, nil, func(p *Peer) { p.SendClose(1000, "") }),
		closing("7.3.4", "Send a close frame with a close code and a close reason.", normal,
			normalClose, nil, func(p *Peer) { p.SendClose(1000, "Hello World!") }),
		closing("7.3.5", "Send a close frame with a close code and a close reason of the largest length (123).", normal,
			normalClose, nil, func(p *Peer) { p.SendClose(1000, string(bytes.Repeat([]byte("*"), 123))) }),
		closing("7.3.6", "Send a close frame with a close code and a close reason too long (124): 126 octets of payload.",
			"Clean close with protocol error code, or TCP dropped.",
			protocolError, nil, func(p *Peer) { p.SendCloseFrame(1000, bytes.Repeat([]byte("*"), 124)) }),
		closing("7.5.1", fmt.Sprintf("Send a close frame whose reason is invalid UTF-8: %x", invalidUTF8),
			"Clean close with protocol error or invalid payload code, or TCP dropped.",
			CloseExpectation{ClosedByMe: true, Codes: []int{1002, 1007}}, nil,
			func(p *Peer) { p.SendCloseFrame(1000, []byte(invalidUTF8)) }),
	}
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, closing(fmt.Sprintf("7.7.%d", i+1), fmt.Sprintf("Send a close frame with the valid close code %d.", code),
			"Clean close with normal or echoed code.",
			CloseExpectation{ClosedByMe: true, Codes: []int{1000, code}, RequireClean: true}, nil,
			func(p *Peer) { p.SendCloseFrame(code, nil) }))
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, closing(fmt.Sprintf("7.9.%d", i+1), fmt.Sprintf("Send a close frame with the invalid close code %d.", code),
			"Clean close with protocol error code, or TCP dropped.",
			protocolError, nil, func(p *Peer) { p.SendCloseFrame(code, nil) }))
	}
	for i, code := range []int{5000, 65535} {
		cs = append(cs, Case{
			ID:          fmt.Sprintf("7.13.%d", i+1),
			Description: fmt.Sprintf("Send a close frame with the close code %d.", code),
			Expectation: "Undefined by the specification (informational).",
			Run: func(_ context.Context, p *Peer) {
				p.SuppressClose()
				p.OnConnectionLost(func(v *Verdict) {
					v.Behavior, v.CloseBehavior = Informational, Informational
					v.Result = "Actual events are undefined by the spec."
				})
				p.Expect(OK)
				p.ExpectClose(CloseExpectation{ClosedByMe: true, Codes: []int{1000, code, 1002}})
				p.SendCloseFrame(code, nil)
				p.KillAfter(time.Second)
			},
		})
	}
	return cs
}
