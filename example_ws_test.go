package lws_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/golws/lws"
	"github.com/gorilla/websocket"
)

// shoutSession is one WebSocket connection's state: the message being
// gathered, and the replies not yet sent.
type shoutSession struct {
	in      lws.MessageBuffer
	replies [][]byte
}

// shout answers every message with its text in capitals. The
// replies wait in the session until SERVER_WRITEABLE, one per callback;
// while eight are waiting, reception is off.
var shout = lws.Protocol{
	Name:       "shout",
	NewSession: func() any { return &shoutSession{in: lws.MessageBuffer{Limit: 4096}} },
	Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished:
			lws.Userf("shout: %v connected", c.PeerAddr())
		case lws.CallbackReceive: // a piece of a message
			s := c.User().(*shoutSession)
			msg, _, complete, err := s.in.Receive(c, in)
			if err != nil || !complete {
				return err // over Limit: closes with 1009
			}
			s.replies = append(s.replies, bytes.ToUpper(msg))
			if len(s.replies) == 8 {
				_ = c.RxFlowControl(false)
			}
			c.CallbackOnWritable()
		case lws.CallbackServerWriteable:
			s := c.User().(*shoutSession)
			if len(s.replies) == 0 {
				return nil
			}
			if _, err := c.Write(s.replies[0], lws.WriteText); err != nil {
				return err
			}
			s.replies = s.replies[1:]
			if len(s.replies) > 0 {
				c.CallbackOnWritable() // one write per callback: ask again
			}
			return c.RxFlowControl(true)
		case lws.CallbackClosed:
			lws.Userf("shout: %v left", c.PeerAddr())
		}
		// The first protocol of a vhost also gets its HTTP requests: a
		// protocol that serves none answers them 404.
		return lws.CallbackHTTPDummy(c, reason, in)
	},
}

// serveShout serves shout over WebSocket on port until ctx is done; a
// vhost's default role is HTTP with WebSocket upgrades.
func serveShout(ctx context.Context, port int, listening func(port int)) error {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		return err
	}
	defer cx.Destroy()
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: port, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{shout},
	})
	if err != nil {
		return err
	}
	listening(vh.Port())
	return cx.Run(ctx)
}

// A WebSocket server in code, and a client (gorilla/websocket) that asks
// for its subprotocol.
func Example_webSocketServer() {
	ctx, stop := context.WithCancel(context.Background())
	ports := make(chan int, 1)
	served := make(chan error, 1)
	go func() { served <- serveShout(ctx, lws.PortAny, func(p int) { ports <- p }) }()

	var port int
	select {
	case port = <-ports:
	case err := <-served:
		fmt.Println("serve:", err)
		stop()
		return
	}
	d := websocket.Dialer{Subprotocols: []string{"shout"}}
	conn, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("subprotocol:", conn.Subprotocol())
	for _, m := range []string{"hello", "lws"} {
		_ = conn.WriteMessage(websocket.TextMessage, []byte(m))
	}
	for range 2 {
		_, got, err := conn.ReadMessage()
		fmt.Println(string(got), err)
	}
	conn.Close()

	stop()
	fmt.Println("served:", <-served)
	// Output:
	// subprotocol: shout
	// HELLO <nil>
	// LWS <nil>
	// served: <nil>
}
