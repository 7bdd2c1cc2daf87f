package main

import (
	"path/filepath"
	"strconv"
)

// serverDef is one server of the comparison and what it takes part in.
type serverDef struct {
	name string
	// bin is the executable: a file name in the -bin directory, or an
	// absolute path for a system program.
	bin string
	// args returns the command-line arguments that make the server listen
	// on 127.0.0.1:port and, for file servers, serve the directory www.
	args func(port int, www string) []string
	// reference marks golws's own entry: the ratio columns of a scenario
	// divide by (or into) the reference server's figure.
	reference bool
	// protocol is the WebSocket subprotocol the load tool offers.
	protocol string
	// text makes the echo load send text messages.
	text bool
	// Scenarios the server takes part in.
	echo, idle, slow, http bool
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

// addrArgs is the argument list of the servers in bench/servers.
func addrArgs(port int, _ string) []string {
	return []string{"-addr", "127.0.0.1:" + strconv.Itoa(port)}
}

// largeFile is the 1 MiB file of the large-file HTTP scenario.
const largeFile = "/large.bin"

// rootArgs is the argument list of the file servers in bench/servers.
func rootArgs(port int, www string) []string {
	return append(addrArgs(port, www), "-root", www)
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
		args: func(port int, _ string) []string {
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
}

// path returns the server's executable given the build directory.
func (s *serverDef) path(binDir string) string {
	if filepath.IsAbs(s.bin) {
		return s.bin
	}
	return filepath.Join(binDir, s.bin)
}
