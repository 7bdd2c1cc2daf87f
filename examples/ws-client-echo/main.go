// Command ws-client-echo is golws's minimal WebSocket client: it connects to
// ws://HOST:PORT/PATH and sends back every message it receives, with the
// same fragmentation and opcodes, until the server closes. It exits 0 after
// a clean close (1000, 1001 or no code, both ways) and 1 on a connection or
// protocol error, or a connection that dropped without a close handshake,
// which makes it usable as the client agent of a conformance test server.
//
// Every message received is printed on standard output, one line each: a
// text message as its text, a binary one as its length. Log lines (the
// connection, its end; more with -d) go to standard error.
//
//	go run ./examples/ws-client-echo -s 127.0.0.1 -p 9001 -u /runCase?case=1
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/ws"
)

// echoClient watches the connection's end; the echoing itself is the
// lws-echo protocol's, which works for clients too.
type echoClient struct {
	echo lws.Callback
	err  string
	stop context.CancelFunc
	out  *bufio.Writer // standard output
	size int           // bytes of the binary message being received
}

// show prints a received piece on standard output: text as it comes, a
// binary message as its length once it ends; a line per message.
func (e *echoClient) show(c *lws.Conn, in []byte) {
	if c.FrameIsBinary() {
		e.size += len(in)
	} else {
		_, _ = e.out.Write(in)
	}
	if !c.IsFinalFragment() {
		return
	}
	if c.FrameIsBinary() {
		fmt.Fprintf(e.out, "(binary message of %d bytes)", e.size)
		e.size = 0
	}
	_ = e.out.WriteByte('\n')
	_ = e.out.Flush()
}

func (e *echoClient) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackClientConnectionError:
		e.err = string(in)
		e.stop()
	case lws.CallbackClientEstablished:
		lws.Userf("connected to %v", c.PeerAddr())
	case lws.CallbackClientReceive:
		e.show(c, in)
	case lws.CallbackClientClosed:
		switch sent, received := c.WSCloseStatus(); {
		case sent == 0 && received == 0:
			e.err = "the connection dropped without a close handshake"
		case !cleanClose(sent) || !cleanClose(received):
			e.err = fmt.Sprintf("closed with %d sent and %d received", sent, received)
		}
		e.stop()
	}
	return e.echo(c, reason, in)
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
	logLevel := flag.Int("d", int(lws.DefaultLogLevel|lws.LogUser), "log level bit mask (lws's -d)")
	flag.Parse()
	lws.SetLogLevel(lws.LogLevel(*logLevel), nil)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	proto := echo.Protocol()
	e := &echoClient{echo: proto.Callback, stop: stop, out: bufio.NewWriter(os.Stdout)}
	proto.Callback = e.callback
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: 32 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cx.Destroy()
	vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen,
		Protocols: []lws.Protocol{proto}})
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
