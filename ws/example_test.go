package ws_test

import (
	"errors"
	"fmt"

	"github.com/golws/lws/ws"
)

// A server reading what a client sent: the RFC 6455 example "Hello" as
// two fragments with a Ping between them, then a Close, arriving in
// arbitrary pieces. Text is validated as it streams.
func ExampleParser() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	frame := func(fin bool, op ws.Opcode, payload string) []byte {
		b := ws.AppendHeader(nil, ws.Header{Fin: fin, Opcode: op, Masked: true, Mask: key, Length: int64(len(payload))})
		p := []byte(payload)
		ws.Mask(key, 0, p)
		return append(b, p...)
	}
	var stream []byte
	stream = append(stream, frame(false, ws.OpText, "Hel")...)
	stream = append(stream, frame(true, ws.OpPing, "are you there?")...)
	stream = append(stream, frame(true, ws.OpContinuation, "lo")...)
	stream = append(stream, frame(true, ws.OpClose, string(ws.AppendClosePayload(nil, ws.CloseNormal, "bye")))...)

	var p ws.Parser
	p.Reset(ws.ParserConfig{Server: true, MaxMessage: 1 << 20})
	var text ws.UTF8
	var msg []byte     // the data message being received
	var control []byte // the control frame being received
	for len(stream) > 0 {
		piece := stream[:min(len(stream), 7)] // what one read returned
		stream = stream[len(piece):]
		for len(piece) > 0 {
			n, f, ok, err := p.Next(piece)
			piece = piece[n:]
			if err != nil {
				var pe *ws.ProtocolError
				errors.As(err, &pe)
				fmt.Println("close with", pe.Code)
				return
			}
			if !ok {
				continue
			}
			switch f.MessageOpcode {
			case ws.OpText:
				if f.FrameStart && f.MessageStart {
					text.Reset()
					msg = msg[:0]
				}
				if !text.Write(f.Payload) {
					fmt.Println("close with", ws.CloseInvalidPayload)
					return
				}
				msg = append(msg, f.Payload...)
				if f.MessageEnd {
					if !text.Complete() {
						fmt.Println("close with", ws.CloseInvalidPayload)
						return
					}
					fmt.Printf("text %q\n", msg)
				}
			case ws.OpPing, ws.OpClose:
				// Control payloads are at most 125 bytes and may
				// arrive between the fragments of a data message.
				if f.FrameStart {
					control = control[:0]
				}
				control = append(control, f.Payload...)
				if !f.FrameEnd {
					continue
				}
				if f.Header.Opcode == ws.OpPing {
					fmt.Printf("ping %q\n", control)
					continue
				}
				code, reason, err := ws.ParseClosePayload(control)
				fmt.Printf("close %d %q %v\n", code, reason, err)
			}
		}
	}
	// Output:
	// ping "are you there?"
	// text "Hello"
	// close 1000 "bye" <nil>
}

func ExampleAcceptKey() {
	fmt.Println(ws.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
	// Output: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}
