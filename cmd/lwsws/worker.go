package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/golws/lws"
)

// serveWorker is the serving child of the supervisor: it reads the
// configuration, takes over the listen sockets its parent made, serves,
// and on SIGHUP deprecates (stops accepting, drains, exits).
func serveWorker(dir string, allPlugins bool) int {
	srv, err := loadDir(dir, allPlugins)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	for _, w := range srv.warnings {
		lws.Warnf("lwsws: %s", w)
	}
	inherited := inheritedListeners()
	for i := range srv.vhosts {
		k := listenKey(&srv.vhosts[i])
		if fd, ok := inherited[k]; ok {
			srv.vhosts[i].ListenFD = fd
			delete(inherited, k) // vhosts sharing the port share this one
		}
	}
	for _, fd := range inherited {
		syscall.Close(fd) // a socket the new configuration does not use
	}
	cx, err := srv.start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	defer cx.Destroy()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var deprecate atomic.Bool
	var deprecated bool
	// A vhost of its own, without a port, to act on the loop when a
	// signal arrives (the lws way: CancelService, then act in
	// EVENT_WAIT_CANCELLED). It serves nothing: status pages do not list it.
	if _, err := cx.CreateVhost(lws.VhostInfo{Name: "lwsws-control", Port: lws.PortNoListen, Unlisted: true,
		Protocols: []lws.Protocol{{Name: "lwsws-control", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackEventWaitCancelled && deprecate.Load() && !deprecated {
				deprecated = true
				lws.Noticef("lwsws: process %d: draining its connections", os.Getpid())
				c.Context().Deprecate(stop)
			}
			return nil
		}}}}); err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				deprecate.Store(true)
				cx.CancelService()
				continue
			}
			stop()
		}
	}()
	if os.Getenv(envDetach) != "" {
		detachStderr()
	}
	sayReady()
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	return 0
}
