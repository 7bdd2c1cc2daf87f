// Package serve runs the comparison's net/http-based servers (gorilla,
// coder and the file server) the same way: listen on an address, serve
// until SIGINT or SIGTERM, exit 1 with the program's name on a failure.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// Run serves h on addr until the process is told to stop; name prefixes
// the error printed if serving fails.
func Run(name, addr string, h http.Handler) {
	RunTLS(name, addr, "", "", h)
}

// RunTLS is Run over TLS when certFile is not empty: net/http's
// ListenAndServeTLS with the PEM certificate and key files, which offers
// "h2" and "http/1.1" in ALPN and serves HTTP/2 to clients that choose it.
func RunTLS(name, addr, certFile, keyFile string, h http.Handler) {
	srv := &http.Server{Addr: addr, Handler: h}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	var err error
	if certFile != "" {
		err = srv.ListenAndServeTLS(certFile, keyFile)
	} else {
		err = srv.ListenAndServe()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
