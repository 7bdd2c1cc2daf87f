package lws_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/golws/lws"
)

// rawEchoSession is one connection's state: what arrived and is not yet
// echoed. NewSession makes one per connection; c.User() returns it.
type rawEchoSession struct{ queue []byte }

// rawEcho echoes every byte back. It writes only when called back
// WRITEABLE, and stops reading while its queue is full, so that TCP slows
// a sender that does not read its echoes.
var rawEcho = lws.Protocol{
	Name:       "raw-echo",
	NewSession: func() any { return &rawEchoSession{} },
	Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackRawRX: // in is only valid during the callback
			s := c.User().(*rawEchoSession)
			s.queue = append(s.queue, in...)
			if len(s.queue) > 64<<10 {
				_ = c.RxFlowControl(false) // stop reading: TCP slows the sender
			}
			c.CallbackOnWritable() // ask; write when called back
		case lws.CallbackRawWriteable:
			s := c.User().(*rawEchoSession)
			if len(s.queue) == 0 {
				return nil // extra WRITEABLEs happen: decide, don't assume
			}
			if _, err := c.Write(s.queue, lws.WriteRaw); err != nil {
				return err // an error closes the connection
			}
			s.queue = s.queue[:0]
			return c.RxFlowControl(true)
		}
		// Other reasons, PROTOCOL_INIT among them, come with no connection
		// data: c.User() is nil there.
		return nil
	},
}

// serveRawEcho serves rawEcho on port (lws.PortAny: one the kernel
// chooses) until ctx is done. Once the vhost listens, it tells listening
// its port.
func serveRawEcho(ctx context.Context, port int, listening func(port int)) error {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		return err
	}
	defer cx.Destroy() // closes every connection, then PROTOCOL_DESTROY
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: port, Iface: "127.0.0.1",
		ListenAcceptRole: lws.RoleRawSkt, // every accepted connection is RAW
		Protocols:        []lws.Protocol{rawEcho},
	})
	if err != nil {
		return err // the port is taken, or a PROTOCOL_INIT failed
	}
	listening(vh.Port())
	return cx.Run(ctx) // the loop: every callback runs on this goroutine
}

// The model in one example: a RAW echo server, and a client of it.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	ports := make(chan int, 1)
	served := make(chan error, 1)
	go func() { served <- serveRawEcho(ctx, lws.PortAny, func(p int) { ports <- p }) }()

	var port int
	select {
	case port = <-ports:
	case err := <-served:
		fmt.Println("serve:", err)
		stop()
		return
	}
	nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		panic(err)
	}
	_, _ = nc.Write([]byte("hello, lws"))
	got := make([]byte, 10)
	_, _ = io.ReadFull(nc, got)
	fmt.Println(string(got))
	nc.Close()

	stop()
	fmt.Println("served:", <-served)
	// Output:
	// hello, lws
	// served: <nil>
}
