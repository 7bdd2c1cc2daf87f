// Command http-server is golws's minimal HTTP server (lws's
// minimal-http-server): it serves the files of one directory at
// http://127.0.0.1:PORT/.
//
//	go run ./examples/http-server -p 7681 -r ./testsite/book   # then open http://127.0.0.1:7681/book.html
//	go run ./examples/http-server -s            # https, self-signed certificate made at start
//	go run ./examples/http-server -C cert.pem -K key.pem
//
// It is written the lws way, with no HTTP code of its own: the vhost has a
// single mount of "/" on the directory, whose index.html answers for "/"
// and for each subdirectory, and its only protocol is lws's dummy HTTP
// callback. The mount does the rest: content types by file suffix,
// ETag and Last-Modified with 304 answers, byte ranges, HEAD. Files of an
// unknown type are refused with 415 and missing ones get a 404 page; error
// pages link /error.css, so a site styles them by providing that file.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/exampletls"
)

func main() {
	port := flag.Int("p", 7681, "port to listen on")
	iface := flag.String("i", "127.0.0.1", "interface or address to listen on")
	root := flag.String("r", ".", "directory served at /")
	eventLib := flag.String("e", "", "event loop backend: epoll or poll (default: the platform's)")
	logLevel := flag.Int("d", int(lws.DefaultLogLevel|lws.LogUser), "log level bit mask (lws's -d)")
	tlsFlags := exampletls.Register()
	flag.Parse()
	lws.SetLogLevel(lws.LogLevel(*logLevel), nil)

	dir, err := filepath.Abs(*root)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(dir); err == nil && !fi.IsDir() {
			err = fmt.Errorf("%s is not a directory", dir)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "http-server:", err)
		os.Exit(1)
	}

	cx, err := lws.NewContext(lws.ContextInfo{EventLib: *eventLib})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cx.Destroy()
	info := lws.VhostInfo{
		Port:      *port,
		Iface:     *iface,
		Protocols: []lws.Protocol{{Name: "http", Callback: lws.CallbackHTTPDummy}},
		Mounts: []lws.Mount{{
			Mountpoint: "/",
			Origin:     "file://" + dir,
			Default:    "index.html",
		}},
	}
	scheme, _, err := tlsFlags.Apply(&info)
	if err == nil {
		_, err = cx.CreateVhost(info)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lws.Userf("http-server: %s://%s:%d/ serving %s", scheme, *iface, *port, dir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
