package lws_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/golws/lws"
)

// A RAW echo server: what arrives is queued, the connection asks for
// WRITEABLE, and the queue is written from the WRITEABLE callback. While
// the queue is full, reception is off and TCP slows the sender.
func Example() {
	type session struct{ queue []byte }
	echo := lws.Protocol{
		Name:       "echo",
		NewSession: func() any { return &session{queue: make([]byte, 0, 8192)} },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*session)
			switch reason {
			case lws.CallbackRawRX:
				s.queue = append(s.queue, in...)
				if cap(s.queue)-len(s.queue) < 4096 {
					_ = c.RxFlowControl(false)
				}
				c.CallbackOnWritable()
			case lws.CallbackRawWriteable:
				if len(s.queue) == 0 {
					return nil // an extra WRITEABLE: nothing to do
				}
				if _, err := c.Write(s.queue, lws.WriteRaw); err != nil {
					return err // closes the connection
				}
				s.queue = s.queue[:0]
				return c.RxFlowControl(true)
			}
			return nil
		},
	}

	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		panic(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: lws.PortAny, Iface: "127.0.0.1",
		ListenAcceptRole: lws.RoleRawSkt,
		Protocols:        []lws.Protocol{echo},
	})
	if err != nil {
		panic(err)
	}

	port := vh.Port() // read before the loop's goroutine starts owning vh

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = cx.Run(ctx)
		cx.Destroy()
		close(done)
	}()

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
	<-done
	// Output: hello, lws
}
