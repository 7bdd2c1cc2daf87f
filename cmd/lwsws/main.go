// Command lwsws is golws's generic server, configured by lws's lwsws JSON
// files and extended by protocol plugins.
//
//	lwsws                 # the classic test site on http://127.0.0.1:7681
//	lwsws -c /etc/lwsws   # DIR/conf and every file of DIR/conf.d
//
// The configuration is lws's: a "global" section and "vhosts", each with
// its mounts and "ws-protocols" (the plugins enabled on it, with their
// per-vhost options; none listed enables them all). Keys golws does not
// support are reported with their file and line; a malformed file stops
// start-up with its file, line and what was expected. See
// docs/lwsws.md for every key.
//
// Flags, as lws's: -c DIR (--configdir), -d MASK (--debug, lws's log
// level bits), -n (--no-default-plugins: only the protocols a vhost lists
// are enabled), -D (--daemonize: run detached, holding the lock file
// --lock, /tmp/.lwsws-lock by default), -h (--help); and -p PORT for the
// built-in site's port.
// With -c, lwsws is two processes, as lws's lwsws is: a parent that binds
// the listen sockets and stays up, and a child that serves on them.
// SIGHUP (systemctl reload) reads the configuration again: a new child
// starts on the same sockets, and the old one stops accepting, serves its
// open connections until they close, then exits; no connection is lost.
// SIGTERM and SIGINT stop the server: listeners close at once, open
// connections are closed with their close reasons.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/golws/lws"

	// The plugins lwsws offers, registered by name.
	_ "github.com/golws/lws/plugins/dumbincrement"
	_ "github.com/golws/lws/plugins/echo"
	_ "github.com/golws/lws/plugins/fraggle"
	_ "github.com/golws/lws/plugins/mirror"
	_ "github.com/golws/lws/plugins/postdemo"
	_ "github.com/golws/lws/plugins/rawtest"
	_ "github.com/golws/lws/plugins/serverstatus"
	_ "github.com/golws/lws/plugins/status"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("lwsws", flag.ContinueOnError)
	var (
		dir       string
		debug     int
		noPlugins bool
		port      int
		daemon    bool
		lock      string
		cert, key string
	)
	fs.StringVar(&dir, "c", "", "configuration directory (DIR/conf, DIR/conf.d/*); none serves the built-in test site")
	fs.StringVar(&dir, "configdir", "", "same as -c")
	fs.IntVar(&debug, "d", int(lws.DefaultLogLevel|lws.LogUser), "log level bit mask (lws's -d)")
	fs.IntVar(&debug, "debug", int(lws.DefaultLogLevel|lws.LogUser), "same as -d")
	fs.BoolVar(&noPlugins, "n", false, "no default plugins: enable only the protocols a vhost lists")
	fs.BoolVar(&noPlugins, "no-default-plugins", false, "same as -n")
	fs.BoolVar(&daemon, "D", false, "run detached (lws's daemonize), holding the lock file")
	fs.BoolVar(&daemon, "daemonize", false, "same as -D")
	fs.StringVar(&lock, "lock", "/tmp/.lwsws-lock", "the lock file of -D, holding the daemon's pid")
	fs.StringVar(&cert, "C", "", "serve the built-in site over TLS with this PEM certificate (with -K)")
	fs.StringVar(&key, "K", "", "the PEM private key of -C")
	fs.IntVar(&port, "p", 7681, "port of the built-in test site (without -c); 0 lets the kernel choose")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: lwsws [-c DIR] [-d MASK] [-n]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	lws.SetLogLevel(lws.LogLevel(debug), nil)

	if os.Getenv(envWorker) != "" {
		return serveWorker(dir, !noPlugins)
	}
	if daemon && os.Getenv(envDaemon) == "" {
		if err := daemonize(args, lock); err != nil {
			fmt.Fprintln(os.Stderr, "lwsws:", err)
			return 1
		}
		return 0
	}
	if l := os.Getenv(envDaemon); l != "" {
		if err := holdLock(l); err != nil {
			fmt.Fprintln(os.Stderr, "lwsws:", err)
			return 1
		}
		os.Unsetenv(envDaemon)
		daemonized = true
	}
	if dir != "" {
		return supervise(dir, !noPlugins, args)
	}
	srv, err := load(dir, !noPlugins, port)
	if err == nil && cert != "" {
		srv.vhosts[0].SSLCertFilepath, srv.vhosts[0].SSLPrivateKeyFilepath = cert, key
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	for _, w := range srv.warnings {
		lws.Warnf("lwsws: %s", w)
	}
	cx, err := srv.start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	defer cx.Destroy()
	daemonStarted()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	lws.Noticef("lwsws: stopping")
	return 0
}
