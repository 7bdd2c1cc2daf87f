// Command ws-client-echo is golws's minimal WebSocket client: it connects to
// ws://HOST:PORT/PATH and sends back every message it receives, with the
// same fragmentation and opcodes, until the server closes. It exits 0 after
// a clean close (1000, 1001 or no code, both ways) and 1 on a connection or
// protocol error, or a connection that dropped without a close handshake,
// which makes it usable as the client agent of a conformance test server.
//
//	go run ./examples/ws-client-echo -s 127.0.0.1 -p 9001 -u /runCase?case=1
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/golws/lws"
	"github.com/golws/lws/ws"
)

// echoClient queues what it receives, one fragment at a time, and writes
// it back from CLIENT_WRITEABLE.
type echoClient struct {
	queue  []fragment
	err    string
	closed bool
	stop   context.CancelFunc
}

type fragment struct {
	data         []byte
	first, final bool
	binary       bool
}

// maxQueued is how many fragments may wait before reception is paused.
const maxQueued = 64

func (e *echoClient) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackClientConnectionError:
		e.err = string(in)
		e.stop()
	case lws.CallbackClientEstablished:
		lws.Userf("connected to %v", c.PeerAddr())
	case lws.CallbackClientReceive:
		e.queue = append(e.queue, fragment{append([]byte(nil), in...), c.IsFirstFragment(), c.IsFinalFragment(), c.FrameIsBinary()})
		if len(e.queue) >= maxQueued {
			if err := c.RxFlowControl(false); err != nil {
				return err
			}
		}
		c.CallbackOnWritable()
	case lws.CallbackClientWriteable:
		if len(e.queue) == 0 {
			return nil
		}
		f := e.queue[0]
		initial := lws.WriteText
		if f.binary {
			initial = lws.WriteBinary
		}
		if _, err := c.Write(f.data, lws.WriteWSFlags(initial, f.first, f.final)); err != nil {
			return err
		}
		e.queue = e.queue[1:]
		if len(e.queue) < maxQueued/2 {
			if err := c.RxFlowControl(true); err != nil {
				return err
			}
		}
		if len(e.queue) > 0 {
			c.CallbackOnWritable()
		}
	case lws.CallbackClientClosed:
		e.closed = true
		switch sent, received := c.WSCloseStatus(); {
		case sent == 0 && received == 0:
			e.err = "the connection dropped without a close handshake"
		case !cleanClose(sent) || !cleanClose(received):
			e.err = fmt.Sprintf("closed with %d sent and %d received", sent, received)
		}
		e.stop()
	}
	return nil
}

// cleanClose reports whether a close code ends a connection without a
// protocol error.
func cleanClose(code ws.CloseCode) bool {
	switch code {
	case 0, ws.CloseNormal, ws.CloseGoingAway, ws.CloseNoStatus:
		return true
	}
	return false
}

func main() {
	host := flag.String("s", "127.0.0.1", "server address")
	port := flag.Int("p", 7681, "server port")
	path := flag.String("u", "/", "request path")
	protocol := flag.String("P", "", "subprotocols to offer, comma-separated")
	logLevel := flag.Int("d", int(lws.DefaultLogLevel), "log level bit mask (lws's -d)")
	flag.Parse()
	lws.SetLogLevel(lws.LogLevel(*logLevel), nil)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	e := &echoClient{stop: stop}
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: 32 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cx.Destroy()
	vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen,
		Protocols: []lws.Protocol{{Name: "ws-client-echo", Callback: e.callback}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: *host, Port: *port, Path: *path,
		Protocol: *protocol}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if e.err != "" {
		fmt.Fprintln(os.Stderr, "ws-client-echo:", e.err)
		os.Exit(1)
	}
}
