package h1_test

import (
	"fmt"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
)

func ExampleParser() {
	t := hdr.NewTable(0)
	var p h1.Parser
	p.Reset(t)

	// bytes arrive in pieces; what follows the head is not consumed
	for _, piece := range []string{
		"GET /a/../chat?room=go+lang HT",
		"TP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nX-Trace: 7\r\n\r\n\x81\x80",
	} {
		n, done, err := p.Parse([]byte(piece))
		if err != nil {
			fmt.Println(err)
			return
		}
		if done {
			fmt.Printf("done, %d bytes left\n", len(piece)-n)
		}
	}
	room, _ := t.URLArg("room")
	trace, _ := t.Custom("x-trace")
	fmt.Printf("%s%s %s\n", t.Method(), t.Fragment(t.Method(), 0), t.Copy(nil, hdr.TokenHTTPVersion))
	fmt.Printf("host %s, upgrade %s, room %q, x-trace %s\n",
		t.Copy(nil, hdr.TokenHost), t.Copy(nil, hdr.TokenUpgrade), room, trace)
	// Output:
	// done, 2 bytes left
	// get /chat HTTP/1.1
	// host example.com, upgrade websocket, room "go lang", x-trace 7
}
