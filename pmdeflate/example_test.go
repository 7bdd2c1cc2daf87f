package pmdeflate_test

import (
	"fmt"

	"github.com/golws/lws/pmdeflate"
)

// A server and a client negotiate permessage-deflate, then the client
// sends a message the server decodes piece by piece.
func Example() {
	server, err := pmdeflate.ParseOptions("server_max_window_bits=12; compression_level=6")
	if err != nil {
		panic(err)
	}
	var client pmdeflate.Options

	// The client offers, the server answers, the client checks the answer.
	sp, answer, err := server.Accept(client.Offer())
	if err != nil {
		panic(err)
	}
	cp, err := client.Confirm(answer)
	if err != nil {
		panic(err)
	}
	fmt.Printf("offer %q\nanswer %q\n", client.Offer(), answer)

	tx := pmdeflate.NewSession(cp, false, client)
	rx := pmdeflate.NewSession(sp, true, server)
	defer tx.Release()
	defer rx.Release()

	msg := []byte(`{"greeting":"hello","again":"hello","and again":"hello"}`)
	payload, compressed, err := tx.Encode(nil, msg, true, true)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bytes sent as %d, compressed %v\n", len(msg), len(payload), compressed)

	// The receiver feeds the payload (here in one piece, the last) and
	// pulls the message out.
	if err := rx.Feed(payload, true); err != nil {
		panic(err)
	}
	var got []byte
	buf := make([]byte, 16)
	for {
		n, end, err := rx.Decode(buf)
		if err != nil {
			panic(err)
		}
		got = append(got, buf[:n]...)
		if end {
			break
		}
	}
	fmt.Printf("%s\n", got)
	// Output:
	// offer "client_max_window_bits"
	// answer "server_max_window_bits=12"
	// 56 bytes sent as 36, compressed true
	// {"greeting":"hello","again":"hello","and again":"hello"}
}
