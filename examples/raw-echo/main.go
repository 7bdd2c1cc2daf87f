// Command raw-echo is golws's minimal RAW socket server: it listens on
// 127.0.0.1 and echoes every byte back to whoever sent it.
//
//	go run ./examples/raw-echo -p 7681
//	printf 'hello\n' | nc -q1 127.0.0.1 7681
//
// It shows lws's model in a few lines: data is only written from the
// RAW_WRITEABLE callback, and while a connection's echo buffer is full,
// reception is switched off with RxFlowControl, so a client that does not
// read its echoes is slowed down by TCP instead of growing the server's
// memory.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/golws/lws"
)

// echoBufferSize bounds what one connection may have waiting to be echoed.
const echoBufferSize = 64 << 10

// session is the per-connection state: bytes received and not yet echoed.
type session struct {
	pending []byte
}

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackRawAdopt:
		lws.Userf("connection from %v", c.PeerAddr())

	case lws.CallbackRawRX:
		s := c.User().(*session)
		s.pending = append(s.pending, in...)
		// Stop reading while another full read might not fit.
		if cap(s.pending)-len(s.pending) < 4096 {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		c.CallbackOnWritable()

	case lws.CallbackRawWriteable:
		s := c.User().(*session)
		if len(s.pending) == 0 {
			return nil // an extra WRITEABLE: nothing to send
		}
		if _, err := c.Write(s.pending, lws.WriteRaw); err != nil {
			return err
		}
		s.pending = s.pending[:0]
		return c.RxFlowControl(true)

	case lws.CallbackRawClose:
		lws.Userf("connection from %v closed", c.PeerAddr())
	}
	return nil
}

func main() {
	port := flag.Int("p", 7681, "port to listen on")
	iface := flag.String("i", "127.0.0.1", "interface or address to listen on")
	eventLib := flag.String("e", "", "event loop backend: epoll or poll (default: the platform's)")
	logLevel := flag.Int("d", int(lws.DefaultLogLevel|lws.LogUser), "log level bit mask (lws's -d)")
	flag.Parse()

	lws.SetLogLevel(lws.LogLevel(*logLevel), nil)

	cx, err := lws.NewContext(lws.ContextInfo{EventLib: *eventLib})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cx.Destroy()

	_, err = cx.CreateVhost(lws.VhostInfo{
		Port:             *port,
		Iface:            *iface,
		ListenAcceptRole: lws.RoleRawSkt,
		Protocols: []lws.Protocol{{
			Name:       "raw-echo",
			Callback:   callback,
			NewSession: func() any { return &session{pending: make([]byte, 0, echoBufferSize)} },
		}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lws.Userf("raw-echo: echoing on %s:%d", *iface, *port)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
