// Command nethttp-files is the HTTP peer of the comparison: net/http's
// FileServer serving the directory -root on -addr, with keep-alive and
// every other setting at net/http's default.
//
//	nethttp-files -addr 127.0.0.1:8080 -root ./www
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on, host:port")
	root := flag.String("root", ".", "directory to serve")
	flag.Parse()
	if fi, err := os.Stat(*root); err != nil || !fi.IsDir() {
		fmt.Fprintf(os.Stderr, "nethttp-files: -root %s is not a directory\n", *root)
		os.Exit(1)
	}
	srv := &http.Server{Addr: *addr, Handler: http.FileServer(http.Dir(*root))}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "nethttp-files:", err)
		os.Exit(1)
	}
}
