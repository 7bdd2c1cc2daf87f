// Command ws-server-echo is golws's minimal WebSocket echo server, the
// target of the conformance tests: on ws://127.0.0.1:PORT/ it sends back
// every message it receives with the same fragmentation and opcodes, whatever
// subprotocol the client asks for (or none): the echo protocol carries the
// per-vhost option "any", so the answer names the client's first
// subprotocol, and no subprotocol when it offered none. A plain HTTP
// request (a page, a form) is answered 404 at once by the echo protocol,
// the vhost's first, which ends with the HTTP dummy.
//
//	go run ./examples/ws-server-echo -p 7681
//	go run ./examples/ws-server-echo -s        # wss, self-signed certificate made at start
//	go run ./examples/ws-server-echo -C cert.pem -K key.pem
//
// Each connection queues what it received, fragment by fragment, and
// writes one fragment per SERVER_WRITEABLE; while the queue holds 64 KiB
// (the echo's QueueLimit), reception is off, so a client that does not
// read its echoes is slowed by TCP rather than growing the server's
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
	"github.com/golws/lws/internal/exampletls"
	"github.com/golws/lws/plugins/echo"
)

func main() {
	port := flag.Int("p", 7681, "port to listen on")
	iface := flag.String("i", "127.0.0.1", "interface or address to listen on")
	eventLib := flag.String("e", "", "event loop backend: epoll or poll (default: the platform's)")
	logLevel := flag.Int("d", int(lws.DefaultLogLevel|lws.LogUser), "log level bit mask (lws's -d)")
	tlsFlags := exampletls.Register()
	flag.Parse()
	lws.SetLogLevel(lws.LogLevel(*logLevel), nil)

	cx, err := lws.NewContext(lws.ContextInfo{EventLib: *eventLib, ServiceBufferSize: 32 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cx.Destroy()
	info := lws.VhostInfo{
		Port:      *port,
		Iface:     *iface,
		Protocols: []lws.Protocol{echo.Protocol()},
		// "any": a client offering subprotocols gets its first one back
		// (echo's own name when it offers that); with none, none.
		ProtocolOptions: map[string]map[string]string{echo.Name: {"any": ""}},
	}
	_, scheme, err := tlsFlags.Apply(&info)
	if err == nil {
		_, err = cx.CreateVhost(info)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lws.Userf("ws-server-echo: %s://%s:%d/", scheme, *iface, *port)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
