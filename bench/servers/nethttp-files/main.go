// Command nethttp-files is the HTTP peer of the comparison: net/http's
// FileServer serving the directory -root on -addr, with keep-alive and
// every other setting at net/http's default.
//
//	nethttp-files -addr 127.0.0.1:8080 -root ./www
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
	flag.Parse()
	if fi, err := os.Stat(*root); err != nil || !fi.IsDir() {
		fmt.Fprintf(os.Stderr, "nethttp-files: -root %s is not a directory\n", *root)
		os.Exit(1)
	}
	serve.Run("nethttp-files", *addr, http.FileServer(http.Dir(*root)))
}
