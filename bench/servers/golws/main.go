// Command golws is the golws entry of the comparison: a WebSocket echo
// server built from the library's echo protocol (plugins/echo) on one vhost,
// with every context and vhost setting left at the library's default. It
// listens on -addr and answers every message on any path with the same
// message and opcode. With -root it is also a file server: the directory
// is mounted at "/" (a file:// mount, as lwsws configures one), and
// requests that are not WebSocket upgrades are served from it. With -cert
// and -key the vhost serves TLS with that certificate (the vhost's
// SSLCertFilepath and SSLPrivateKeyFilepath), offering in ALPN whatever the
// library offers by default. With -pmd it accepts permessage-deflate
// (lws.PermessageDeflate), with -pmd-options in lws's names.
//
//	golws -addr 127.0.0.1:7681 [-root DIR] [-cert FILE -key FILE] [-pmd [-pmd-options OPTS]] [-cpuprofile FILE]
//
// It stops cleanly on SIGINT or SIGTERM; with -cpuprofile it writes its
// CPU profile then (go tool pprof -top golws FILE).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/pmdeflate"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7681", "address to listen on, host:port")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file when stopped")
	root := flag.String("root", "", "serve the files of this directory at /")
	cert := flag.String("cert", "", "serve TLS with this PEM certificate (chain first)")
	key := flag.String("key", "", "the PEM private key of -cert (default: in the -cert file)")
	pmd := flag.Bool("pmd", false, "accept permessage-deflate (RFC 7692)")
	pmdOptions := flag.String("pmd-options", "", `permessage-deflate's options, lws's names ("shared_compressor")`)
	flag.Parse()
	var exts []lws.Extension
	if *pmd {
		o, err := pmdeflate.ParseOptions(*pmdOptions)
		if err != nil {
			fmt.Fprintln(os.Stderr, "golws: -pmd-options:", err)
			os.Exit(2)
		}
		exts = []lws.Extension{lws.PermessageDeflate(o)}
	}
	if *key != "" && *cert == "" {
		fmt.Fprintln(os.Stderr, "golws: -key needs -cert")
		os.Exit(2)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "golws:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "golws:", err)
			os.Exit(1)
		}
	}
	err := run(*addr, *root, *cert, *key, exts)
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "golws:", err)
		os.Exit(1)
	}
}

func run(addr, root, cert, key string, exts []lws.Extension) error {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("bad port %q: %w", portText, err)
	}
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		return err
	}
	defer cx.Destroy()
	info := lws.VhostInfo{
		Port:      port,
		Iface:     host,
		Protocols: []lws.Protocol{echo.Protocol()},
		// Empty unless -cert is given: the vhost then serves TLS.
		SSLCertFilepath:       cert,
		SSLPrivateKeyFilepath: key,
		Extensions:            exts,
	}
	if root != "" {
		abs, err := filepath.Abs(root)
		if err != nil {
			return err
		}
		info.Mounts = []lws.Mount{{Mountpoint: "/", Origin: "file://" + abs, ExtraMimetypes: map[string]string{"*": ""}}}
	}
	if _, err := cx.CreateVhost(info); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cx.Run(ctx)
}
