// Command lws-bench is golws's load generator. It runs on golws's own
// client loop (one service thread, no goroutine per connection) and
// measures WebSocket and HTTP servers, whatever they are written with:
//
//	lws-bench echo -url ws://127.0.0.1:7681/ -c 100 -size 1024 -d 10s
//	lws-bench idle -url ws://127.0.0.1:7681/ -c 10000 -sources 8
//	lws-bench http -url http://127.0.0.1:8080/index.html -c 50 -d 10s
//	lws-bench slow -url ws://127.0.0.1:7681/ -size 16384 -read-rate 65536 -d 15s
//
// echo keeps -inflight messages outstanding on each of -c connections and
// reports messages per second and round-trip latency quantiles. idle opens
// -c connections that then send nothing, spread over -sources loopback
// addresses (127.0.0.1, 127.0.0.2, ...) because each source address has
// its own ephemeral ports; it reports once all are up and holds them until
// its standard input closes or it is told to stop (with -warm N each first
// echoes N messages: a connection that has been used). http sends keep-alive
// GET requests, one outstanding per connection. slow sends messages as fast
// as the server takes them while reading its echoes at only -read-rate
// bytes per second: a slow consumer, to watch what the server buffers.
//
// Every mode prints a text report, or with -json one JSON object (idle
// prints one when its connections are established and one when it
// stops). The load tool's own CPU time is part of the report, so a run
// shows whether it, rather than the server, was the bottleneck.
//
// With -pmd the WebSocket modes offer permessage-deflate (RFC 7692), with
// -pmd-options in lws's names; the report counts the connections that
// negotiated it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/pmdeflate"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage: lws-bench MODE [flags]

modes:
  echo   WebSocket echo load: messages per second and latency
  idle   hold many idle WebSocket connections open
  http   HTTP/1.1 keep-alive GET load: requests per second and latency
  slow   a WebSocket peer that sends at full rate and reads slowly

Run "lws-bench MODE -h" for a mode's flags.
`)
}

func main() {
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") {
		usage()
		os.Exit(2)
	}
	cfg, err := parseFlags(os.Args[1], os.Args[2:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "lws-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.mode == "idle" && cfg.hold == 0 {
		// Hold until standard input closes: the caller's way to say "done".
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	res, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lws-bench:", err)
		os.Exit(1)
	}
	if res.Errors > 0 {
		os.Exit(3)
	}
}

// config is what the flags say.
type config struct {
	mode       string
	target     *url.URL
	host       string
	port       int
	path       string
	conns      int
	size       int
	inflight   int
	text       bool
	protocol   string
	duration   time.Duration
	warmup     time.Duration
	hold       time.Duration
	sources    int
	connecting int
	readRate   int
	pmd        bool   // offer permessage-deflate
	pmdOptions string // its options, lws's names
	warm       int    // idle: messages each connection echoes before it counts as up
	jsonOut    bool
	logLevel   int
	cpuProfile string
}

func parseFlags(mode string, args []string) (*config, error) {
	cfg := &config{mode: mode}
	fs := flag.NewFlagSet("lws-bench "+mode, flag.ContinueOnError)
	rawURL := fs.String("url", "", "server URL: ws://host:port/path (echo, idle, slow) or http://host:port/path (http)")
	fs.IntVar(&cfg.conns, "c", 0, "connections (default: echo 100, idle 1000, http 50, slow 1)")
	fs.IntVar(&cfg.sources, "sources", 1, "spread connections over this many source addresses 127.0.0.1, 127.0.0.2, ... (loopback IPv4 targets)")
	fs.IntVar(&cfg.connecting, "connecting", 256, "most connections being set up at once")
	fs.StringVar(&cfg.protocol, "protocol", "", "WebSocket subprotocol to offer")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the result as one JSON object")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file")
	fs.IntVar(&cfg.logLevel, "log", int(lws.LogErr|lws.LogWarn), "golws log level bit mask (lws's -d)")
	if mode != "http" {
		fs.BoolVar(&cfg.pmd, "pmd", false, "offer permessage-deflate (RFC 7692)")
		fs.StringVar(&cfg.pmdOptions, "pmd-options", "", `permessage-deflate's options, lws's names ("client_no_context_takeover; shared_compressor")`)
	}
	switch mode {
	case "echo", "http", "slow":
		fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration")
		fs.DurationVar(&cfg.warmup, "warmup", time.Second, "load before measuring starts")
	case "idle":
		fs.DurationVar(&cfg.hold, "hold", 0, "how long to hold the connections; 0: until standard input closes or SIGTERM")
		fs.IntVar(&cfg.warm, "warm", 0, "1 KiB JSON text messages each connection echoes, one at a time, before it counts as up and goes idle")
	default:
		return nil, fmt.Errorf("unknown mode %q: echo, idle, http or slow", mode)
	}
	switch mode {
	case "echo":
		fs.IntVar(&cfg.size, "size", 1024, "message size in bytes")
		fs.IntVar(&cfg.inflight, "inflight", 1, "messages outstanding per connection")
		fs.BoolVar(&cfg.text, "text", false, "send text messages instead of binary")
	case "slow":
		fs.IntVar(&cfg.size, "size", 16<<10, "message size in bytes")
		fs.IntVar(&cfg.readRate, "read-rate", 64<<10, "bytes per second read from each connection")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.conns == 0 {
		cfg.conns = map[string]int{"echo": 100, "idle": 1000, "http": 50, "slow": 1}[mode]
	}
	if cfg.conns < 1 || cfg.sources < 1 || cfg.sources > 254 || cfg.connecting < 1 {
		return nil, errors.New("-c and -connecting must be at least 1, -sources 1 to 254")
	}
	if (mode == "echo" || mode == "slow") && cfg.size < 1 {
		return nil, errors.New("-size must be at least 1")
	}
	if mode == "echo" && cfg.inflight < 1 {
		return nil, errors.New("-inflight must be at least 1")
	}
	if cfg.warm < 0 {
		return nil, errors.New("-warm must be at least 0")
	}
	if _, err := pmdeflate.ParseOptions(cfg.pmdOptions); err != nil {
		return nil, fmt.Errorf("-pmd-options: %w", err)
	}
	if mode == "slow" && cfg.readRate < 1 {
		return nil, errors.New("-read-rate must be at least 1")
	}
	if *rawURL == "" {
		return nil, errors.New("-url is required")
	}
	u, err := url.Parse(*rawURL)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	want := "ws"
	if mode == "http" {
		want = "http"
	}
	if u.Scheme != want {
		return nil, fmt.Errorf("-url: mode %s needs a %s:// URL (TLS is not supported by lws-bench yet)", mode, want)
	}
	cfg.target = u
	cfg.host = u.Hostname()
	cfg.port = 80
	if p := u.Port(); p != "" {
		if cfg.port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("-url: bad port %q", p)
		}
	}
	cfg.path = u.RequestURI()
	if cfg.sources > 1 {
		ip := net.ParseIP(cfg.host)
		if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
			return nil, errors.New("-sources above 1 needs a loopback IPv4 target such as 127.0.0.1")
		}
	}
	return cfg, nil
}

// Latency is a set of round-trip quantiles in microseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Result is what a run reports; fields that do not apply to a mode are
// left out of the JSON.
type Result struct {
	Mode          string   `json:"mode"`
	Event         string   `json:"event,omitempty"`
	URL           string   `json:"url"`
	Connections   int      `json:"connections"`
	Compressed    int      `json:"compressed,omitempty"` // connections with permessage-deflate
	Failed        int      `json:"failed,omitempty"`
	Size          int      `json:"size,omitempty"`
	Inflight      int      `json:"inflight,omitempty"`
	Seconds       float64  `json:"seconds"`
	Messages      uint64   `json:"messages,omitempty"`
	Requests      uint64   `json:"requests,omitempty"`
	Rate          float64  `json:"rate,omitempty"`
	SentBytes     uint64   `json:"sent_bytes,omitempty"`
	ReceivedBytes uint64   `json:"received_bytes,omitempty"`
	Errors        int      `json:"errors"`
	FirstError    string   `json:"first_error,omitempty"`
	Latency       *Latency `json:"latency_us,omitempty"`
	CPUSeconds    float64  `json:"cpu_seconds"`
	CPUPercent    float64  `json:"cpu_percent"`
}

func (r *Result) print(w io.Writer, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	head := r.Mode
	if r.Event != "" {
		head += " " + r.Event
	}
	fmt.Fprintf(w, "%s %s: %d connections", head, r.URL, r.Connections)
	if r.Compressed > 0 {
		fmt.Fprintf(w, " (%d with permessage-deflate)", r.Compressed)
	}
	if r.Failed > 0 {
		fmt.Fprintf(w, " (%d failed)", r.Failed)
	}
	fmt.Fprintf(w, " in %.2fs\n", r.Seconds)
	switch {
	case r.Messages > 0 || r.Mode == "echo":
		fmt.Fprintf(w, "  %d messages of %d bytes, %.0f msg/s\n", r.Messages, r.Size, r.Rate)
	case r.Requests > 0 || r.Mode == "http":
		fmt.Fprintf(w, "  %d requests, %.0f req/s, %.1f MB/s received\n", r.Requests, r.Rate, float64(r.ReceivedBytes)/r.Seconds/1e6)
	case r.Mode == "slow":
		fmt.Fprintf(w, "  sent %d bytes, received %d bytes\n", r.SentBytes, r.ReceivedBytes)
	}
	if r.Latency != nil {
		fmt.Fprintf(w, "  latency p50 %.0fµs p99 %.0fµs p99.9 %.0fµs max %.0fµs\n",
			r.Latency.P50, r.Latency.P99, r.Latency.P999, r.Latency.Max)
	}
	fmt.Fprintf(w, "  errors %d", r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(w, " (first: %s)", r.FirstError)
	}
	fmt.Fprintf(w, "\n  load tool CPU %.2fs (%.0f%% of one core)\n", r.CPUSeconds, r.CPUPercent)
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func latencyOf(h *histogram) *Latency {
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	return &Latency{P50: us(h.quantile(0.5)), P99: us(h.quantile(0.99)),
		P999: us(h.quantile(0.999)), Max: us(h.max)}
}

// run performs the configured load; w gets the report.
func run(ctx context.Context, cfg *config, w io.Writer) (*Result, error) {
	lws.SetLogLevel(lws.LogLevel(cfg.logLevel), nil)
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	b := newBench(cfg, w)
	return b.run(ctx)
}
