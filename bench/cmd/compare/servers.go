package main

import (
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// serverDef is one server of the comparison and what it takes part in.
type serverDef struct {
	name string
	// bin is the executable: a file name in the -bin directory, or an
	// absolute path for a system program.
	bin string
	// args returns the command-line arguments that make the server listen
	// on 127.0.0.1:port and, for file servers, serve the directory f.www
	// (over TLS with f.cert and f.key, for the HTTP/2 servers).
	args func(port int, f serverFiles) []string
	// config, if set, is the content of a configuration file the harness
	// writes to f.conf before starting the server.
	config func(port int, f serverFiles) string
	// env is added to the server's environment.
	env []string
	// reference marks golws's own entry: the ratio columns of a scenario
	// divide by (or into) the reference server's figure.
	reference bool
	// protocol is the WebSocket subprotocol the load tool offers.
	protocol string
	// text makes the echo load send text messages.
	text bool
	// Scenarios the server takes part in.
	echo, idle, slow, http, h2 bool
	// httpPath is the file fetched in the HTTP scenario.
	httpPath string
	// httpLarge: the server serves the harness's www directory, so it
	// takes part in the large-file HTTP scenario too.
	httpLarge bool
	// echoMaxConns, when non-zero, is the most echo connections the
	// server can answer as an echo server; runs above it are recorded as
	// not applicable, with echoLimit as the reason.
	echoMaxConns int
	echoLimit    string
	// debPackage names the Debian package a system server comes from, for
	// the version record.
	debPackage string
}

// lwsTestServer is where Debian's libwebsockets-test-server package puts
// libwebsockets' test server.
const lwsTestServer = "/usr/bin/libwebsockets-test-server"

// httpFile is the static file the HTTP scenario fetches: the ~1.4 KiB icon
// that libwebsockets' test server ships, copied into the directory the Go
// file servers serve so that every server sends the same bytes.
const httpFile = "/favicon.ico"

// serverFiles are the files a server's command line may name.
type serverFiles struct {
	www       string // the directory the file servers serve
	cert, key string // PEM certificate and key of the TLS servers
	conf      string // where the harness writes the server's config, if it has one
}

// addrArgs is the argument list of the servers in bench/servers.
func addrArgs(port int, _ serverFiles) []string {
	return []string{"-addr", "127.0.0.1:" + strconv.Itoa(port)}
}

// largeFile is the 1 MiB file of the large-file HTTP scenario.
const largeFile = "/large.bin"

// rootArgs is the argument list of the file servers in bench/servers.
func rootArgs(port int, f serverFiles) []string {
	return append(addrArgs(port, f), "-root", f.www)
}

// tlsArgs is the argument list of the file servers in bench/servers over
// TLS, for the HTTP/2 scenario.
func tlsArgs(port int, f serverFiles) []string {
	return append(rootArgs(port, f), "-cert", f.cert, "-key", f.key)
}

// h2oPath is where Debian's h2o package puts the server.
const h2oPath = "/usr/bin/h2o"

// h2oConfig is h2o's configuration for the HTTP/2 scenario: one worker
// thread, TLS on 127.0.0.1:port with the harness's certificate, the www
// directory at "/", no access log (none is configured), no OCSP stapling
// (the certificate is self-signed, and fetching would start a helper).
// Run as root, h2o would switch to "nobody", who may not read the
// directory; it stays the user that started it.
func h2oConfig(port int, f serverFiles) string {
	var b strings.Builder
	b.WriteString("num-threads: 1\n")
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		fmt.Fprintf(&b, "user: %s\n", u.Username)
	}
	fmt.Fprintf(&b, "listen:\n  host: 127.0.0.1\n  port: %d\n  ssl:\n    certificate-file: %q\n    key-file: %q\n    ocsp-update-interval: 0\n",
		port, f.cert, f.key)
	fmt.Fprintf(&b, "hosts:\n  default:\n    paths:\n      \"/\":\n        file.dir: %q\n", f.www)
	return b.String()
}

// allServers lists the comparison's servers in table order.
var allServers = []serverDef{
	{name: "golws", bin: "golws", args: addrArgs, reference: true,
		echo: true, idle: true, slow: true},
	{name: "nbio", bin: "nbio", args: addrArgs,
		echo: true, idle: true, slow: true},
	{name: "gorilla", bin: "gorilla", args: addrArgs,
		echo: true, idle: true, slow: true},
	{name: "coder", bin: "coder", args: addrArgs,
		echo: true, idle: true, slow: true},
	{name: "lws-test-server", bin: lwsTestServer,
		// -i lo: listen on loopback only (otherwise it takes every
		// interface). -d 3: errors and warnings only; at its default
		// level it logs a notice for every connection that joins the
		// mirror.
		args: func(port int, _ serverFiles) []string {
			return []string{"-p", strconv.Itoa(port), "-i", "lo", "-d", "3"}
		},
		protocol: "lws-mirror-protocol",
		// The mirror answers every message as text, so only text makes
		// an echo of the same opcode.
		text: true,
		echo: true, idle: true, slow: true, http: true, httpPath: httpFile,
		echoMaxConns: 1,
		echoLimit:    "n/a: the lws mirror sends each message to every connection of its instance",
		debPackage:   "libwebsockets-test-server",
	},
	// golws serving the www directory with one file mount, the way
	// lwsws does.
	{name: "golws-files", bin: "golws", args: rootArgs, reference: true,
		http: true, httpLarge: true, httpPath: httpFile},
	{name: "nethttp-files", bin: "nethttp-files", args: rootArgs,
		http: true, httpLarge: true, httpPath: httpFile},
	// The HTTP/2 scenario's servers: the same www directory over TLS,
	// HTTP/2 chosen by ALPN, one core each. golws offers in ALPN what the
	// library offers by default.
	{name: "golws-h2", bin: "golws", args: tlsArgs, reference: true, h2: true,
		env: []string{"GOMAXPROCS=1"}},
	{name: "nethttp-h2", bin: "nethttp-files", args: tlsArgs, h2: true,
		env: []string{"GOMAXPROCS=1"}},
	{name: "h2o", bin: h2oPath, h2: true, debPackage: "h2o",
		args:   func(_ int, f serverFiles) []string { return []string{"-c", f.conf} },
		config: h2oConfig},
}

// baseServers are golws built from an earlier commit (run.sh's -base
// option builds them as golws-base in the -bin directory): with them in a
// run, the ratio columns compare a change with what it changed, both
// measured on the same machine in the same run. They take part only when
// named in -servers or when -base is given.
var baseServers = []serverDef{
	{name: "golws-base", bin: "golws-base", args: addrArgs,
		echo: true, idle: true, slow: true},
	{name: "golws-files-base", bin: "golws-base", args: rootArgs,
		http: true, httpLarge: true, httpPath: httpFile},
	// A commit from before the golws server took -cert fails to start
	// here, which the table shows as an error.
	{name: "golws-h2-base", bin: "golws-base", args: tlsArgs, h2: true,
		env: []string{"GOMAXPROCS=1"}},
}

// path returns the server's executable given the build directory.
func (s *serverDef) path(binDir string) string {
	if filepath.IsAbs(s.bin) {
		return s.bin
	}
	return filepath.Join(binDir, s.bin)
}
