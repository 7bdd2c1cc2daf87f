// Command nethttp-files is the HTTP peer of the comparison: net/http's
// FileServer serving the directory -root on -addr, with keep-alive and
// every other setting at net/http's default. With -cert and -key it
// serves TLS (ListenAndServeTLS), and with it HTTP/2 to clients that ask
// for "h2" in ALPN, net/http's default.
//
//	nethttp-files -addr 127.0.0.1:8080 -root ./www [-cert FILE -key FILE]
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/golws/lws/bench/internal/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	root := flag.String("root", ".", "directory to serve")
	cert := flag.String("cert", "", "serve TLS (and HTTP/2) with this PEM certificate")
	key := flag.String("key", "", "the PEM private key of -cert")
	flag.Parse()
	if (*cert == "") != (*key == "") {
		fmt.Fprintln(os.Stderr, "nethttp-files: -cert and -key go together")
		os.Exit(2)
	}
	if fi, err := os.Stat(*root); err != nil || !fi.IsDir() {
		fmt.Fprintf(os.Stderr, "nethttp-files: -root %s is not a directory\n", *root)
		os.Exit(1)
	}
	serve.RunTLS("nethttp-files", *addr, *cert, *key, http.FileServer(http.Dir(*root)))
}
