// Command compare runs golws and its peers under the same load and reports
// how they compare: WebSocket echo throughput and latency, memory per idle
// connection, memory under a slow consumer, static-file HTTP, and static
// files over HTTP/2 with TLS (loaded by h2load).
//
// Each server runs alone, pinned to one CPU (taskset -c 0), while the load
// generator cmd/lws-bench runs pinned to another (taskset -c 1); the
// server's CPU time and resident set are read from /proc while it is
// loaded. Results go to the -out directory: results.json (every load
// report and /proc sample), table.md (also printed) and gnuplot PNG plots.
//
// bench/run.sh builds everything and runs it; directly:
//
//	compare -bin out/bin -out out [-quick] [-only echo,idle] [-servers golws,nbio]
//
// See bench/README.md for what each scenario measures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dur is a time.Duration that reads as "5s" in JSON.
type dur time.Duration

func (d dur) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// settings is what a run was asked to do; it is recorded in results.json.
type settings struct {
	Out          string   `json:"out"`
	Bin          string   `json:"bin"`
	LoadTool     string   `json:"load_tool"`
	Servers      []string `json:"servers"`
	Scenarios    []string `json:"scenarios"`
	Quick        bool     `json:"quick"`
	EchoDuration dur      `json:"echo_duration"`
	Warmup       dur      `json:"warmup"`
	EchoSweep    []int    `json:"echo_sweep_connections"`
	IdleCounts   []int    `json:"idle_counts"`
	Settle       dur      `json:"idle_settle"`
	SlowDuration dur      `json:"slow_duration"`
	SlowSize     int      `json:"slow_size"`
	SlowReadRate int      `json:"slow_read_rate"`
	SlowEvery    dur      `json:"slow_sample_every"`
	HTTPConns    int      `json:"http_connections"`
	HTTPDuration dur      `json:"http_duration"`
	H2Load       string   `json:"h2load"`
	H2Conns      []int    `json:"h2_connections"`
	H2Streams    int      `json:"h2_streams_per_connection"`
	H2Duration   dur      `json:"h2_duration"`
	ServerCPU    int      `json:"server_cpu"`
	LoadCPU      int      `json:"load_cpu"`
	CPUEvery     dur      `json:"cpu_sample_every"`
	RSSCapMiB    int      `json:"rss_cap_mib"`
	Repeat       int      `json:"repeat"`
	QuietBudget  dur      `json:"quiet_budget"`
}

// The echo scenarios' fixed cases; the sweep adds its connection counts
// at echoSweepSize, one message in flight. "Full rate" keeps a window of
// messages in flight on every connection, as a producer that does not
// wait for each echo would; "ping-pong" waits for each echo before
// sending the next message.
var echoCases = []struct {
	title                 string
	size, conns, inflight int
}{
	{"Echo at full rate (16 messages in flight per connection), 1 KiB messages, 100 connections", 1024, 100, fullRateWindow},
	{"Echo at full rate (16 messages in flight per connection), 16 B messages, 1000 connections", 16, 1000, fullRateWindow},
	{"Echo ping-pong (1 message in flight per connection), 1 KiB messages, 100 connections", 1024, 100, 1},
	{"Echo ping-pong (1 message in flight per connection), 16 B messages, 1000 connections", 16, 1000, 1},
}

const echoSweepSize = 1024

// fullRateWindow is how many messages each connection keeps in flight at
// full rate; the sweep runs at full rate too, for its own plot.
const fullRateWindow = 16

// fdMargin is how many descriptors beyond one per connection the idle
// scenario requires of the server and of the load tool.
const fdMargin = 100

var scenarioNames = []string{"echo", "idle", "slow", "http", "http-large", "h2"}

func main() {
	var (
		s                      settings
		only, serverList       string
		sweep, idleCounts      string
		echoD, warmup, settle  time.Duration
		slowD, slowEvery, cpuE time.Duration
		httpD, quietBudget     time.Duration
		h2Conns                string
		h2D                    time.Duration
	)
	flag.StringVar(&s.Out, "out", "out", "directory for results.json, table.md, plots and logs")
	flag.StringVar(&s.Bin, "bin", "out/bin", "directory holding the built servers and lws-bench")
	flag.StringVar(&s.LoadTool, "loadtool", "", "load generator (default: lws-bench in -bin)")
	flag.StringVar(&serverList, "servers", "", "comma-separated servers to run (default: all)")
	flag.StringVar(&only, "only", "", "comma-separated scenarios to run: echo, idle, slow, http, http-large, h2 (default: all)")
	flag.BoolVar(&s.Quick, "quick", false, "a short smoke run: short durations, fewer connection counts")
	flag.DurationVar(&echoD, "d", 5*time.Second, "measured duration of each echo and HTTP run")
	flag.DurationVar(&warmup, "warmup", time.Second, "load before measuring, each echo and HTTP run")
	flag.StringVar(&sweep, "sweep", "1,10,100,1000", "connection counts of the echo sweep")
	flag.StringVar(&idleCounts, "idle", "1000,5000,10000,19000,50000", "idle connection counts")
	withBase := flag.Bool("base", false, "also run golws-base, golws-files-base and golws-h2-base: golws built from an earlier commit into -bin (run.sh -base REV builds it)")
	check := flag.Bool("check", false, "exit with status 2 if a golws run failed or its load reported errors (for CI's smoke run); an h2 run counts only once golws has chosen h2 in ALPN")
	flag.DurationVar(&settle, "settle", 2*time.Second, "idle: wait after all connections are up before reading RSS")
	flag.DurationVar(&slowD, "slow-d", 10*time.Second, "duration of the slow-consumer run")
	flag.IntVar(&s.SlowSize, "slow-size", 16<<10, "slow consumer: message size")
	flag.IntVar(&s.SlowReadRate, "slow-rate", 64<<10, "slow consumer: bytes read per second")
	flag.DurationVar(&slowEvery, "slow-every", 250*time.Millisecond, "slow consumer: RSS sampling interval")
	flag.IntVar(&s.HTTPConns, "http-c", 50, "HTTP keep-alive connections")
	flag.DurationVar(&httpD, "http-d", 0, "measured duration of each HTTP run (default: -d)")
	flag.StringVar(&s.H2Load, "h2load", "h2load", "h2: the h2load program (Debian package nghttp2-client)")
	flag.StringVar(&h2Conns, "h2-c", "1,10,100", "h2: connection counts")
	flag.IntVar(&s.H2Streams, "h2-m", 10, "h2: streams in flight per connection (h2load -m)")
	flag.DurationVar(&h2D, "h2-d", 4*time.Second, "h2: measured duration of each run, after -warmup")
	flag.IntVar(&s.ServerCPU, "server-cpu", 0, "CPU the servers are pinned to (-1: no pinning)")
	flag.IntVar(&s.LoadCPU, "load-cpu", 1, "CPU the load tool is pinned to (-1: no pinning)")
	flag.DurationVar(&quietBudget, "quiet-budget", time.Minute, "most time spent in all waiting for a quiet machine before runs")
	flag.IntVar(&s.Repeat, "repeat", 1, "make each echo and HTTP run this many times and keep the median")
	flag.IntVar(&s.RSSCapMiB, "rss-cap", 4096, "stop a run when the server's RSS passes this many MiB (0: no cap)")
	flag.DurationVar(&cpuE, "cpu-every", 100*time.Millisecond, "server CPU sampling interval during echo and HTTP runs")
	flag.Parse()

	set := func(name string) bool {
		found := false
		flag.Visit(func(f *flag.Flag) { found = found || f.Name == name })
		return found
	}
	if s.Quick {
		// Keep whatever was given explicitly.
		if !set("d") {
			echoD = time.Second
		}
		if !set("warmup") {
			warmup = 300 * time.Millisecond
		}
		if !set("sweep") {
			sweep = "1,100"
		}
		if !set("idle") {
			idleCounts = "1000,2000"
		}
		if !set("settle") {
			settle = 500 * time.Millisecond
		}
		if !set("slow-d") {
			slowD = 3 * time.Second
		}
		if !set("h2-c") {
			h2Conns = "10"
		}
		if !set("h2-d") {
			h2D = time.Second
		}
	}
	if httpD == 0 {
		httpD = echoD
	}
	s.EchoDuration, s.Warmup, s.Settle = dur(echoD), dur(warmup), dur(settle)
	s.SlowDuration, s.SlowEvery, s.HTTPDuration, s.CPUEvery = dur(slowD), dur(slowEvery), dur(httpD), dur(cpuE)
	s.QuietBudget, s.H2Duration = dur(quietBudget), dur(h2D)

	var err error
	if s.EchoSweep, err = parseInts(sweep); err != nil {
		fatalf("-sweep: %v", err)
	}
	if s.IdleCounts, err = parseInts(idleCounts); err != nil {
		fatalf("-idle: %v", err)
	}
	if s.H2Conns, err = parseInts(h2Conns); err != nil {
		fatalf("-h2-c: %v", err)
	}
	if s.H2Streams < 1 {
		fatalf("-h2-m: want at least 1")
	}
	s.Scenarios = scenarioNames
	if only != "" {
		s.Scenarios = nil
		for _, n := range strings.Split(only, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(scenarioNames, n) {
				fatalf("-only: unknown scenario %q (want %s)", n, strings.Join(scenarioNames, ", "))
			}
			s.Scenarios = append(s.Scenarios, n)
		}
	}
	known := append(slices.Clone(allServers), baseServers...)
	var servers []serverDef
	if serverList == "" {
		servers = slices.Clone(allServers)
	} else {
		for _, n := range strings.Split(serverList, ",") {
			n = strings.TrimSpace(n)
			i := slices.IndexFunc(known, func(d serverDef) bool { return d.name == n })
			if i < 0 {
				fatalf("-servers: unknown server %q", n)
			}
			servers = append(servers, known[i])
		}
	}
	if *withBase {
		for _, d := range baseServers {
			if !slices.ContainsFunc(servers, func(x serverDef) bool { return x.name == d.name }) {
				servers = append(servers, d)
			}
		}
	}
	for _, d := range servers {
		s.Servers = append(s.Servers, d.name)
	}
	if s.LoadTool == "" {
		s.LoadTool = filepath.Join(s.Bin, "lws-bench")
	}
	if _, err := os.Stat(s.LoadTool); err != nil {
		fatalf("load tool: %v (build it: go build -o %s ./cmd/lws-bench in the golws module)", err, s.LoadTool)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := newHarness(s, servers)
	if err != nil {
		fatalf("%v", err)
	}
	runErr := h.runAll(ctx)
	if err := h.write(); err != nil {
		fatalf("writing results: %v", err)
	}
	if runErr != nil {
		fatalf("%v (partial results written to %s)", runErr, s.Out)
	}
	if *check {
		for _, r := range h.runs {
			// Until golws chooses h2 in ALPN its h2 runs fail by design:
			// one counts only once h2load reports h2 negotiated (the
			// harness keeps h2load's figures, res, only then).
			if r.Scenario == "h2" && r.res == nil {
				continue
			}
			if strings.HasPrefix(r.Server, "golws") && r.Error != "" {
				fmt.Fprintf(os.Stderr, "compare: golws %s run (%d connections, %d B): %s\n", r.Scenario, r.Conns, r.Size, r.Error)
				os.Exit(2)
			}
		}
	}
}

func parseInts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "compare: "+format+"\n", args...)
	os.Exit(1)
}

// progress reports what is running on stderr, so stdout stays the table.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
