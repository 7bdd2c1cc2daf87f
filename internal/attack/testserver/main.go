// Command testserver is the server that package attack's tests attack: a
// golws context with the classic test site and the lws-echo protocol on a
// plain HTTP port, and the same over TLS (a self-signed certificate made
// at start) on a second port, both on 127.0.0.1 and on ports the kernel
// chooses. Once both listen it prints one line on standard output,
//
//	listening http=PORT https=PORT
//
// and it serves until SIGTERM or SIGINT. Its flags set the limits under
// test; zero leaves golws's default (lws's).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/selfsigned"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/testsite"
)

func main() {
	var (
		info     lws.ContextInfo
		ahIdle   int
		logLevel int
	)
	flag.StringVar(&info.EventLib, "e", "", "event loop backend: epoll or poll")
	flag.IntVar(&info.ServiceBufferSize, "service-buffer", 0, "ContextInfo.ServiceBufferSize")
	flag.IntVar(&info.ReadBufferSize, "read-buffer", 0, "ContextInfo.ReadBufferSize")
	flag.IntVar(&info.MaxHTTPHeaderPool, "ah-pool", 0, "ContextInfo.MaxHTTPHeaderPool")
	flag.IntVar(&info.MaxHTTPHeaderData, "ah-data", 0, "ContextInfo.MaxHTTPHeaderData")
	flag.IntVar(&info.TimeoutSecs, "timeout", 0, "ContextInfo.TimeoutSecs")
	flag.IntVar(&info.IPLimitAH, "ip-limit-ah", 0, "ContextInfo.IPLimitAH")
	flag.IntVar(&info.IPLimitWSI, "ip-limit-wsi", 0, "ContextInfo.IPLimitWSI")
	flag.IntVar(&info.TLSHandshakeWorkers, "tls-workers", 0, "ContextInfo.TLSHandshakeWorkers")
	flag.IntVar(&ahIdle, "ah-idle", 0, "VhostInfo.AHIdleTimeoutSecs of both vhosts")
	flag.IntVar(&sockBuf, "sockbuf", 0, "SO_RCVBUF and SO_SNDBUF of accepted sockets (0: the kernel's autotuning)")
	flag.IntVar(&logLevel, "d", int(lws.LogErr|lws.LogWarn), "log level bit mask (lws's -d)")
	flag.Parse()
	lws.SetLogLevel(lws.LogLevel(logLevel), nil)
	if err := serve(info, ahIdle); err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
}

// sockBuf, if positive, is the size of the kernel's receive and send
// buffers of every accepted socket. Attacks that fill them (floods that do
// not read) set it, so that what the kernel holds per connection stays
// small and the same on any machine; it is not the server's memory.
var sockBuf int

// echoProtocol is lws-echo, which also sets the accepted sockets' buffers
// to sockBuf: as the vhost's first protocol it sees every new connection
// in FILTER_NETWORK_CONNECTION.
func echoProtocol() lws.Protocol {
	p := echo.Protocol()
	cb := p.Callback
	p.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackFilterNetworkConnection && sockBuf > 0 {
			for _, opt := range []int{unix.SO_RCVBUF, unix.SO_SNDBUF} {
				if err := unix.SetsockoptInt(c.FD(), unix.SOL_SOCKET, opt, sockBuf); err != nil {
					return err
				}
			}
		}
		return cb(c, reason, in)
	}
	return p
}

func serve(info lws.ContextInfo, ahIdle int) error {
	cx, err := lws.NewContext(info)
	if err != nil {
		return err
	}
	defer cx.Destroy()
	book, err := testsite.Book()
	if err != nil {
		return err
	}
	certPEM, keyPEM, err := selfsigned.Generate(24*time.Hour, "localhost", "127.0.0.1")
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	site := func(name string) lws.VhostInfo {
		return lws.VhostInfo{
			Name:              name,
			Port:              lws.PortAny,
			Iface:             "127.0.0.1",
			AHIdleTimeoutSecs: ahIdle,
			Protocols:         []lws.Protocol{echoProtocol()},
			// Upgrades asking for no subprotocol, or another, get echo.
			ProtocolOptions: map[string]map[string]string{echo.Name: {"any": ""}},
			Mounts: []lws.Mount{
				{Mountpoint: "/", FS: testsite.Site(), Default: "test.html"},
				{Mountpoint: "/ziptest", FS: book, Default: "book.html"},
			},
		}
	}
	plain, err := cx.CreateVhost(site("localhost"))
	if err != nil {
		return err
	}
	secure := site("localhost-tls")
	secure.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsVh, err := cx.CreateVhost(secure)
	if err != nil {
		return err
	}
	fmt.Printf("listening http=%d https=%d\n", plain.Port(), tlsVh.Port())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cx.Run(ctx)
}
