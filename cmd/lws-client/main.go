// Command lws-client is golws's command-line client, in the line of lws's
// test apps (libwebsockets-test-client, -ping, -echo and -fraggle's client
// side) rolled into one tool with lws's flag names:
//
//	lws-client [flags] URL
//
// URL is ws://, wss://, raw://HOST:PORT, http:// or https://.
//
// # Interactive use (the default)
//
// For ws and wss, every line read from standard input is sent as a text
// message (without its line end) and every message received is printed on
// standard output, followed by a newline. For raw, standard input is sent
// as it is read and what arrives is printed unchanged, like netcat. The end
// of standard input closes cleanly. A WebSocket client first waits for the
// answers to what it sent and for what the server sends unasked: once it
// has received as many messages as it sent and then none for half a
// second (at most 5 seconds after the last answer, for a server that never
// stops), or when none arrived for 5 seconds while answers are missing, it
// sends a Close with 1000 (and exits 0 once the server answered it), so
// input from a pipe is echoed in full, and with no input at all a server
// that speaks first (lws-status, dumb-increment) is still heard. For raw the sending side of the socket is shut down and the
// program exits when the peer closes (after at most 5 seconds). With -n N
// a WebSocket client instead stays until it has received N messages, then
// closes.
//
//	lws-client ws://127.0.0.1:7681/
//	printf 'hello\nworld\n' | lws-client -P lws-echo ws://127.0.0.1:7681/
//	lws-client -k -P dumb-increment-protocol wss://localhost:7681/
//	lws-client raw://127.0.0.1:7681
//
// For http and https, one request is made (-m METHOD, GET by default, or
// POST when -b FILE gives a request body); the response body is printed on
// standard output and, with -v, the status line and headers on standard
// error. The exit status is 0 for a 2xx or 3xx answer (redirects are not
// followed) and 1 otherwise.
//
//	lws-client -v http://127.0.0.1:7681/index.html
//	lws-client -b form.txt -m PUT https://example.com/upload
//
// # Test modes
//
// -mode selects one of lws's test clients instead (WebSocket URLs only).
// Each offers the subprotocol of its lws counterpart (for echo, golws's
// echo protocol) unless -P is given (-P "" offers none). A server that
// serves none of the subprotocols offered refuses the upgrade (lws drops
// the connection, golws answers 400): the run fails at once and says which
// subprotocols were offered.
//
//   - dumb: dumb-increment-protocol. Prints each number received, one per
//     line, and checks that each is one more than the one before; -n N
//     stops after N numbers. Exits 1 if a number is out of sequence.
//
//   - mirror: lws-mirror-protocol. Sends -n random circles ("c #RRGGBB X Y
//     R;" with X < 512, Y < 256, R from 1 to 32, as libwebsockets-test-client
//     draws them), one per WRITEABLE, at most -r per second (-r 0: as fast
//     as the connection takes them), and counts the messages the mirror
//     sends back. It succeeds once all of its own circles came back, in
//     order.
//
//   - fraggle: fraggle-protocol. Sums the bytes of each randomly
//     fragmented message and checks the sum against the 4-byte big-endian
//     checksum message that follows, printing "EOM received N correctly
//     from M fragments"; -n N stops after N messages. Exits 1 on a
//     mismatch.
//
//   - ping: libwebsockets-test-ping. Sends a PING frame of -s bytes (64 by
//     default, 8 to 125) every -i seconds (1 by default; fractions and Go
//     durations such as 50ms are accepted), its first 8 bytes the
//     big-endian index of the ping; prints "N bytes from HOST: req=I
//     time=X ms" for each PONG, and after -n pings (or SIGINT) a summary:
//     "N packets transmitted, M received, L% loss, rtt min/avg/max =
//     a/b/c ms". Offers lws-mirror-protocol, as lws's tool does. Exits 1
//     if no PONG came back.
//
//   - echo: lws-echo, golws's echo protocol (plugins/echo: served by lwsws
//     and ws-server-echo; libwebsockets-test-server has no echo protocol).
//     Sends -n binary messages (1024 by default) of -s bytes (12288 by
//     default, lws's 3 x 4096) filled from the deterministic generator of
//     libwebsockets-test-client's echo mode, and checks that each comes
//     back byte for byte. Prints a summary; exits 1 on a mismatch.
//
// For example, against lwsws's built-in site (or, but for echo,
// libwebsockets-test-server):
//
//	lws-client -mode dumb -n 5 ws://127.0.0.1:7681/
//	lws-client -mode mirror -n 100 -r 20 ws://127.0.0.1:7681/?mirror=x
//	lws-client -mode ping -i 0.2 -n 10 ws://127.0.0.1:7681/
//	lws-client -mode echo -n 20 -s 3000 ws://127.0.0.1:7681/
//
// # Common flags
//
// -P the subprotocols to offer (comma-separated), -o the Origin header,
// -k lax TLS (a self-signed certificate or one for another name is
// accepted: LCCSCF_ALLOW_SELFSIGNED and LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK),
// -A a PEM file of the CAs that verify the server (instead of the system's),
// -t a deadline for the whole run (exit 1 when it passes; in ping mode it
// is the length of the run, as ping -w, and ends with the summary), -d
// lws's log level mask, -v more detail on standard error (for WebSocket,
// the subprotocol and extensions the server agreed to: "lws-client:
// protocol lws-echo, extensions: none"). Flags come before the URL.
//
// A connection that cannot be made is reported on standard error with the
// text of CLIENT_CONNECTION_ERROR and exit status 1. SIGINT or SIGTERM
// ends the run cleanly (the ping summary is printed); a second one stops at
// once.
//
// # How it is built
//
// One golws context with one client-only vhost (PortNoListen) and one
// ClientConnect. The vhost's protocols are lws-client and one per
// subprotocol offered, all with the same callback, so that the connection
// ends bound to the one the server chose, as an lws client does. Standard input is read on its own goroutine, which hands
// what it read to the loop the lws way: it publishes it under a lock in a
// bounded queue (and blocks while the queue is full, so a fast producer is
// held back rather than buffered), calls Context.CancelService, and the
// loop picks it up in EVENT_WAIT_CANCELLED and asks for WRITEABLE on the
// connection, where it writes one piece per callback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// config is what the command line asks for.
type config struct {
	rawURL   string
	scheme   string // ws, wss, raw, http or https
	host     string // without brackets
	port     int
	path     string // path and query
	tls      bool
	mode     string
	protocol string
	protoSet bool // -P was given, possibly empty
	origin   string
	lax      bool
	caFile   string
	logMask  int
	count    int
	countSet bool
	timeout  time.Duration
	interval time.Duration
	size     int
	sizeSet  bool
	rate     float64
	method   string
	body     string
	verbose  bool
	// noExtensions offers no WebSocket extension (-no-extensions).
	noExtensions bool
}

// seconds is a flag holding a duration written as seconds ("0.05") or as
// a Go duration ("50ms").
type seconds struct{ d *time.Duration }

func (s seconds) String() string {
	if s.d == nil {
		return "0"
	}
	return strconv.FormatFloat(s.d.Seconds(), 'f', -1, 64)
}

func (s seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 {
			return errors.New("negative")
		}
		*s.d = time.Duration(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want seconds (0.5) or a duration (500ms)")
	}
	if d < 0 {
		return errors.New("negative")
	}
	*s.d = d
	return nil
}

// usageError is a command line that cannot be run; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// Modes.
const (
	modeInteractive = "interactive"
	modeDumb        = "dumb"
	modeMirror      = "mirror"
	modeFraggle     = "fraggle"
	modePing        = "ping"
	modeEcho        = "echo"
)

// Defaults of the modes, lws's where lws has one.
const (
	pingDefaultSize = 64
	pingMinSize     = 8
	pingMaxSize     = 125
	echoDefaultSize = 3 * 4096
	echoMaxSize     = 16 << 20
	echoDefaultN    = 1024
	mirrorDefaultN  = 1000
)

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{interval: time.Second}
	fs := flag.NewFlagSet("lws-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.mode, "mode", modeInteractive, "interactive, or a test mode: dumb, mirror, fraggle, ping, echo")
	fs.StringVar(&cfg.protocol, "P", "", "WebSocket subprotocols to offer, comma-separated (default: the mode's; -P \"\" offers none)")
	fs.StringVar(&cfg.origin, "o", "", "Origin header of the WebSocket upgrade")
	fs.BoolVar(&cfg.lax, "k", false, "lax TLS: accept a self-signed certificate or one for another host name")
	fs.StringVar(&cfg.caFile, "A", "", "PEM file of the CAs that verify the server (default: the system's)")
	fs.IntVar(&cfg.logMask, "d", int(lws.DefaultLogLevel), "log level bit mask (lws's -d)")
	fs.IntVar(&cfg.count, "n", 0, "count: messages to receive (interactive ws), numbers (dumb), circles (mirror), messages (fraggle, echo), pings (ping); 0: the mode's default")
	fs.Var(seconds{&cfg.timeout}, "t", "give up after this long, in seconds or as a duration, exit status 1 (0: never)")
	fs.Var(seconds{&cfg.interval}, "i", "ping: interval between pings, in seconds or as a duration")
	fs.IntVar(&cfg.size, "s", 0, "ping: payload bytes (default 64); echo: message bytes (default 12288)")
	fs.Float64Var(&cfg.rate, "r", 0, "mirror: circles per second (0: one per WRITEABLE, as fast as the connection takes them)")
	fs.StringVar(&cfg.method, "m", "", "http: request method (default GET, or POST with -b)")
	fs.StringVar(&cfg.body, "b", "", "http: file whose content is the request body")
	fs.BoolVar(&cfg.noExtensions, "no-extensions", false, "offer no WebSocket extension (lws's test client's -n); by default permessage-deflate is offered")
	fs.BoolVar(&cfg.verbose, "v", false, "verbose: connection details on stderr (the HTTP response head; the WebSocket subprotocol and extensions agreed)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lws-client [flags] ws://HOST[:PORT]/PATH | wss://... | raw://HOST:PORT | http://... | https://...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "P":
			cfg.protoSet = true
		case "n":
			cfg.countSet = true
		case "s":
			cfg.sizeSet = true
		}
	})
	if fs.NArg() != 1 {
		fs.Usage()
		return nil, usagef("one URL is needed")
	}
	cfg.rawURL = fs.Arg(0)
	if err := cfg.parseURL(); err != nil {
		return nil, err
	}
	return cfg, cfg.check()
}

// parseURL fills the connection's target from the URL.
func (cfg *config) parseURL() error {
	u, err := url.Parse(cfg.rawURL)
	if err != nil {
		return usagef("bad URL: %v", err)
	}
	cfg.scheme = strings.ToLower(u.Scheme)
	defPort := 0
	switch cfg.scheme {
	case "ws", "http":
		defPort = 80
	case "wss", "https":
		defPort, cfg.tls = 443, true
	case "raw":
	default:
		return usagef("URL scheme %q: want ws, wss, raw, http or https", u.Scheme)
	}
	cfg.host = u.Hostname()
	if cfg.host == "" {
		return usagef("URL %q has no host", cfg.rawURL)
	}
	cfg.port = defPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return usagef("bad port %q", p)
		}
		cfg.port = n
	}
	if cfg.port == 0 {
		return usagef("raw:// needs a port: raw://HOST:PORT")
	}
	cfg.path = u.RequestURI()
	if u.Opaque != "" || cfg.path == "" {
		cfg.path = "/"
	}
	return nil
}

// check validates the flags against the URL and fills in the mode's
// defaults.
func (cfg *config) check() error {
	ws := cfg.scheme == "ws" || cfg.scheme == "wss"
	httpURL := cfg.scheme == "http" || cfg.scheme == "https"
	if cfg.mode == "" {
		cfg.mode = modeInteractive
	}
	switch cfg.mode {
	case modeInteractive:
	case modeDumb, modeMirror, modeFraggle, modePing, modeEcho:
		if !ws {
			return usagef("-mode %s needs a ws:// or wss:// URL", cfg.mode)
		}
	default:
		return usagef("-mode %q: want interactive, dumb, mirror, fraggle, ping or echo", cfg.mode)
	}
	if cfg.count < 0 {
		return usagef("-n must not be negative")
	}
	if cfg.rate < 0 {
		return usagef("-r must not be negative")
	}
	if (cfg.method != "" || cfg.body != "") && !httpURL {
		return usagef("-m and -b are for http:// and https:// URLs")
	}
	if httpURL {
		if cfg.method == "" {
			cfg.method = "GET"
			if cfg.body != "" {
				cfg.method = "POST"
			}
		}
		cfg.method = strings.ToUpper(cfg.method)
	}
	if !cfg.protoSet {
		switch cfg.mode {
		case modeDumb:
			cfg.protocol = "dumb-increment-protocol"
		case modeMirror, modePing:
			cfg.protocol = "lws-mirror-protocol"
		case modeFraggle:
			cfg.protocol = "fraggle-protocol"
		case modeEcho:
			cfg.protocol = echo.Name
		}
	}
	switch cfg.mode {
	case modePing:
		if !cfg.sizeSet {
			cfg.size = pingDefaultSize
		}
		if cfg.size < pingMinSize || cfg.size > pingMaxSize {
			return usagef("-s: a PING payload is %d to %d bytes (its first 8 are the index)", pingMinSize, pingMaxSize)
		}
		if cfg.interval <= 0 {
			return usagef("-i must be more than 0")
		}
	case modeEcho:
		if !cfg.sizeSet {
			cfg.size = echoDefaultSize
		}
		if cfg.size < 1 || cfg.size > echoMaxSize {
			return usagef("-s: an echo message is 1 to %d bytes", echoMaxSize)
		}
		if cfg.count == 0 {
			cfg.count = echoDefaultN
		}
	case modeMirror:
		if cfg.count == 0 {
			cfg.count = mirrorDefaultN
		}
	}
	return nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "lws-client:", err)
		os.Exit(2)
	}
	os.Exit(run(cfg, os.Stdin, os.Stdout, os.Stderr))
}

// run connects, services the loop until the outcome is known and returns
// the exit status.
func run(cfg *config, stdin io.Reader, stdout, stderr io.Writer) int {
	lws.SetLogLevel(lws.LogLevel(cfg.logMask), nil)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	a := &app{cfg: cfg, stdout: stdout, stderr: stderr, stop: stop, exit: -1}
	protos, err := a.protocols()
	if err != nil {
		fmt.Fprintln(stderr, "lws-client:", err)
		return 1
	}
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		fmt.Fprintln(stderr, "lws-client:", err)
		return 1
	}
	defer cx.Destroy()
	a.cx = cx
	a.waker = &waker{cx: cx}
	defer a.waker.kill() // before Destroy: no CancelService after it
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Name:                "lws-client",
		Port:                lws.PortNoListen,
		Protocols:           protos,
		Extensions:          a.extensions(),
		ClientSSLCAFilepath: cfg.caFile,
	})
	if err != nil {
		fmt.Fprintln(stderr, "lws-client:", err)
		return 1
	}
	info := lws.ClientConnectInfo{
		Vhost:    vh,
		Address:  cfg.host,
		Port:     cfg.port,
		Path:     cfg.path,
		Origin:   cfg.origin,
		Protocol: cfg.protocol,
	}
	switch cfg.scheme {
	case "raw":
		info.Method = "RAW"
	case "http", "https":
		info.Method = cfg.method
	}
	if cfg.tls {
		info.SSLConnection = lws.ClientUseSSL
		if cfg.lax {
			info.SSLConnection |= lws.ClientAllowSelfsigned | lws.ClientSkipServerCertHostnameCheck
		}
	}
	if a.conn, err = cx.ClientConnect(info); err != nil {
		fmt.Fprintln(stderr, "lws-client:", err)
		return 1
	}
	if cfg.mode == modeInteractive && cfg.scheme != "http" && cfg.scheme != "https" {
		a.in = newInbox(a.waker)
		go a.in.read(stdin, cfg.scheme == "raw")
		defer a.in.shutdown()
	}
	if cfg.timeout > 0 {
		cx.Schedule(&a.deadline, cfg.timeout, func(*lws.Sul) {
			if pm, ok := a.mode.(*pingMode); ok && a.established && !a.ended && !a.closing {
				pm.stopSending(a.conn, 0) // the summary, then a clean close
				return
			}
			a.fail("timed out after %v", cfg.timeout)
			a.stop()
		})
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			a.signals.Add(1)
			a.waker.wake()
		}
	}()

	if err := cx.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "lws-client:", err)
		return 1
	}
	if a.exit < 0 {
		return 1
	}
	return a.exit
}
