package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// run is one server under one load: what the load tool reported and what
// /proc said about the server meanwhile.
type run struct {
	Scenario string `json:"scenario"`
	Server   string `json:"server"`
	Conns    int    `json:"connections,omitempty"`
	Size     int    `json:"size,omitempty"`
	Inflight int    `json:"inflight,omitempty"`
	// Load is the load tool's JSON report, as printed.
	Load json.RawMessage `json:"load,omitempty"`
	// Events are the idle scenario's JSON lines (warm-up and measured).
	Events           []json.RawMessage `json:"events,omitempty"`
	LoadCommand      []string          `json:"load_command,omitempty"`
	ServerCommand    []string          `json:"server_command,omitempty"`
	ServerCPUSeconds *float64          `json:"server_cpu_seconds,omitempty"`
	ServerCPUPercent *float64          `json:"server_cpu_percent,omitempty"`
	BaselineRSSKiB   int64             `json:"baseline_rss_kib,omitempty"`
	LoadedRSSKiB     int64             `json:"loaded_rss_kib,omitempty"`
	PerConnKiB       *float64          `json:"rss_per_connection_kib,omitempty"`
	PeakRSSKiB       int64             `json:"peak_rss_kib,omitempty"`
	FinalRSSKiB      int64             `json:"final_rss_kib,omitempty"`
	// Samples are the server's /proc figures during the run; t is seconds
	// since the load tool started.
	Samples []sample `json:"samples,omitempty"`
	Error   string   `json:"error,omitempty"`
	Skipped string   `json:"skipped,omitempty"`
	// Capped is set when the run was stopped at the RSS cap.
	Capped bool `json:"rss_capped,omitempty"`
	// NoH2 marks an h2 run whose server did not choose h2 in ALPN.
	NoH2 bool `json:"no_h2,omitempty"`
	// OtherCPUPercent is the CPU other user-space processes used while
	// the load ran (100 = one core), and QuietWait how long the harness
	// waited beforehand for them to calm down.
	OtherCPUPercent *float64 `json:"other_cpu_percent,omitempty"`
	QuietWait       float64  `json:"quiet_wait_seconds,omitempty"`
	// StealPercent is the share of the pinned CPUs' time the hypervisor
	// gave to other guests while the load ran: a machine shared with
	// others slows every figure down. A run over stealRetry is made once
	// more and the calmer of the two kept; RetriedSteal is the other's.
	StealPercent *float64 `json:"steal_percent,omitempty"`
	RetriedSteal *float64 `json:"retried_steal_percent,omitempty"`
	// OtherRepeats are the runs of the same case not kept, with -repeat:
	// the kept one has the median rate.
	OtherRepeats []*run   `json:"other_repeats,omitempty"`
	Logs         []string `json:"logs,omitempty"`

	res *loadResult // Load, parsed
}

// sample is one reading of the server's /proc figures.
type sample struct {
	T          float64 `json:"t"`
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSKiB     int64   `json:"rss_kib"`
}

// loadResult is the part of lws-bench's JSON report the tables use.
type loadResult struct {
	Mode          string  `json:"mode"`
	Event         string  `json:"event"`
	Connections   int     `json:"connections"`
	Failed        int     `json:"failed"`
	Seconds       float64 `json:"seconds"`
	Messages      float64 `json:"messages"`
	Requests      float64 `json:"requests"`
	Rate          float64 `json:"rate"`
	SentBytes     float64 `json:"sent_bytes"`
	ReceivedBytes float64 `json:"received_bytes"`
	Errors        int     `json:"errors"`
	FirstError    string  `json:"first_error"`
	Latency       struct {
		P50  float64 `json:"p50"`
		P99  float64 `json:"p99"`
		P999 float64 `json:"p999"`
		Max  float64 `json:"max"`
	} `json:"latency_us"`
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent"`
}

// harness holds a comparison run's settings and results.
type harness struct {
	s       settings
	servers []serverDef
	machine machineInfo
	clkTck  float64
	nofile  uint64 // hard RLIMIT_NOFILE, which children inherit as their soft limit
	www     string
	// certFile and keyFile are the HTTP/2 servers' self-signed
	// certificate and its key, made when the h2 scenario runs.
	certFile, keyFile string
	logDir            string
	runs              []*run
	started           time.Time
	finished          time.Time
	stopped           string // why the run ended early, if it did

	quietSpent time.Duration // waiting for a quiet machine, so far
}

func newHarness(s settings, servers []serverDef) (*harness, error) {
	h := &harness{s: s, servers: servers, started: time.Now()}
	h.logDir = filepath.Join(s.Out, "logs")
	h.www = filepath.Join(s.Out, "www")
	for _, d := range []string{s.Out, h.logDir, h.www} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(h.www)
	if err != nil {
		return nil, err
	}
	h.www = abs
	if err := makeHTTPFile(filepath.Join(h.www, strings.TrimPrefix(httpFile, "/"))); err != nil {
		return nil, err
	}
	if err := makeLargeFile(filepath.Join(h.www, strings.TrimPrefix(largeFile, "/"))); err != nil {
		return nil, err
	}
	if slices.Contains(s.Scenarios, "h2") {
		if h.certFile, h.keyFile, err = makeCert(filepath.Join(s.Out, "tls")); err != nil {
			return nil, fmt.Errorf("making the TLS certificate: %w", err)
		}
	}
	// Children get the hard limit as their soft limit: set it explicitly,
	// which also stops Go from restoring the original soft limit in them.
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return nil, err
	}
	rl.Cur = rl.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return nil, fmt.Errorf("raising RLIMIT_NOFILE: %w", err)
	}
	h.nofile = rl.Max
	h.clkTck = clockTicks()
	ncpu := countCPUs()
	for _, c := range []int{s.ServerCPU, s.LoadCPU} {
		if c >= ncpu {
			return nil, fmt.Errorf("CPU %d does not exist (%d CPUs): choose -server-cpu and -load-cpu", c, ncpu)
		}
	}
	if s.ServerCPU >= 0 || s.LoadCPU >= 0 {
		if _, err := lookPath("taskset"); err != nil {
			return nil, errors.New("taskset not found (Debian package util-linux)")
		}
	}
	h.machine = collectMachine(h, servers)
	return h, nil
}

// makeHTTPFile puts the HTTP scenario's file where the Go file servers
// serve it: libwebsockets' own copy when installed, so that every server
// sends the same bytes, else 1406 bytes of its own.
func makeHTTPFile(dst string) error {
	src := filepath.Join("/usr/share/libwebsockets-test-server", filepath.Base(dst))
	b, err := os.ReadFile(src)
	if err != nil {
		b = make([]byte, 1406)
		if _, err := io.ReadFull(rand.Reader, b); err != nil {
			return err
		}
	}
	return os.WriteFile(dst, b, 0o644)
}

// makeLargeFile writes the 1 MiB file of the large-file scenario.
func makeLargeFile(dst string) error {
	b := make([]byte, 1<<20)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// runAll runs the chosen scenarios in order; it stops early only when ctx
// ends (interrupt), leaving the runs done so far for the report.
func (h *harness) runAll(ctx context.Context) error {
	defer func() { h.finished = time.Now() }()
	for _, sc := range scenarioNames {
		if !h.wants(sc) {
			continue
		}
		var err error
		switch sc {
		case "echo":
			err = h.echoScenario(ctx)
		case "idle":
			err = h.idleScenario(ctx)
		case "slow":
			err = h.slowScenario(ctx)
		case "http":
			err = h.httpScenario(ctx, "http", httpFile)
		case "http-large":
			err = h.httpScenario(ctx, "http-large", largeFile)
		case "h2":
			err = h.h2Scenario(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				err = errors.New("interrupted")
			}
			h.stopped = err.Error()
			return err
		}
	}
	return nil
}

func (h *harness) wants(scenario string) bool {
	for _, s := range h.s.Scenarios {
		if s == scenario {
			return true
		}
	}
	return false
}

// add records a run and reports it on stderr.
func (h *harness) add(r *run) {
	h.runs = append(h.runs, r)
	what := "ok"
	switch {
	case r.Skipped != "":
		what = r.Skipped
	case r.Error != "":
		what = "error: " + r.Error
	case r.res != nil && r.Scenario == "echo":
		what = fmt.Sprintf("%.0f msg/s, p50 %.0f µs", r.res.Rate, r.res.Latency.P50)
	case r.res != nil && (r.Scenario == "http" || r.Scenario == "http-large" || r.Scenario == "h2"):
		what = fmt.Sprintf("%.0f req/s", r.res.Rate)
		if r.Error != "" {
			what += "; error: " + r.Error
		}
	case r.PerConnKiB != nil:
		what = fmt.Sprintf("%.2f KiB per connection", *r.PerConnKiB)
	case r.Scenario == "slow":
		what = fmt.Sprintf("peak RSS %.1f MiB", float64(r.PeakRSSKiB)/1024)
	}
	progress("  %-16s %s", r.Server, what)
}

// tag names a run's log files.
func tag(parts ...any) string {
	var s []string
	for _, p := range parts {
		s = append(s, fmt.Sprint(p))
	}
	return strings.Join(s, "-")
}

// startServer starts a server on a free port and waits until it accepts.
func (h *harness) startServer(ctx context.Context, d *serverDef, r *run, name string) (*proc, int, error) {
	path := d.path(h.s.Bin)
	if _, err := os.Stat(path); err != nil {
		if d.debPackage != "" {
			return nil, 0, fmt.Errorf("not installed: %s (Debian package %s)", path, d.debPackage)
		}
		return nil, 0, fmt.Errorf("not built: %s", path)
	}
	r.QuietWait = roundTo(h.waitQuiet(ctx).Seconds(), 1)
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	files := serverFiles{www: h.www, cert: h.certFile, key: h.keyFile}
	if d.config != nil {
		files.conf = filepath.Join(h.logDir, name+".server.conf")
		if err := os.WriteFile(files.conf, []byte(d.config(port, files)), 0o644); err != nil {
			return nil, 0, err
		}
	}
	argv := append([]string{path}, d.args(port, files)...)
	logPath := filepath.Join(h.logDir, name+".server.log")
	r.ServerCommand = append(slices.Clone(d.env), argv...)
	r.Logs = append(r.Logs, logPath)
	if files.conf != "" {
		r.Logs = append(r.Logs, files.conf)
	}
	p, err := startProc(procSpec{name: d.name, argv: argv, env: d.env, cpu: h.s.ServerCPU, logPath: logPath})
	if err != nil {
		return nil, 0, err
	}
	if err := waitPort(ctx, port, p, 10*time.Second); err != nil {
		p.stop(3 * time.Second)
		return nil, 0, err
	}
	return p, port, nil
}

// quietLimit is the CPU share (100 = one core) other processes may use
// before the harness waits, or flags a run; quietSteal is the share of the
// pinned CPUs' time stolen by the hypervisor that it tolerates while
// waiting; stealRetry the steal during a run that makes it run again.
const (
	quietLimit = 10.0
	quietSteal = 3.0
	stealRetry = 10.0
)

// pinnedCPUs are the CPUs the runs use, for steal accounting (none: all).
func (h *harness) pinnedCPUs() []int {
	var cpus []int
	for _, c := range []int{h.s.ServerCPU, h.s.LoadCPU} {
		if c >= 0 && !slices.Contains(cpus, c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// waitQuiet waits, up to 30 s, until over one second other processes use
// less than quietLimit of a core and the hypervisor steals less than
// quietSteal of the pinned CPUs, so that a run does not start while a
// build takes a CPU or the host is crowded; it returns how long it waited.
// All the waits of a comparison together stop at -quiet-budget, so that a
// host that stays crowded does not stretch the run without end.
func (h *harness) waitQuiet(ctx context.Context) time.Duration {
	const window = time.Second
	start := time.Now()
	defer func() { h.quietSpent += time.Since(start) }()
	limit := min(30*time.Second, time.Duration(h.s.QuietBudget)-h.quietSpent)
	told := false
	for time.Since(start) < limit {
		t0, c0, s0 := time.Now(), othersTicks(), readCPUStat(h.pinnedCPUs()...)
		select {
		case <-ctx.Done():
			return time.Since(start)
		case <-time.After(window):
		}
		used := float64(othersTicks()-c0) / h.clkTck / time.Since(t0).Seconds() * 100
		steal := stealPercent(s0, readCPUStat(h.pinnedCPUs()...))
		if used < quietLimit && steal < quietSteal {
			break
		}
		if !told {
			progress("  waiting for a quieter machine (other processes %.0f %% of a core, steal %.0f %%)", used, steal)
			told = true
		}
	}
	return max(time.Since(start)-window, 0)
}

// loadRun is the load tool's outcome.
type loadRun struct {
	raw   json.RawMessage
	res   *loadResult
	at    time.Time // when the report arrived: the end of the measured interval
	start time.Time // when the tool was started
}

// runLoad runs the load tool to completion and returns its JSON report.
// Exit status 3 means the tool counted errors; its report still stands.
// A server whose RSS passes the cap (samp.over) stops the run.
func (h *harness) runLoad(ctx context.Context, r *run, name string, args []string, limit time.Duration, samp *sampler) (*loadRun, error) {
	serverPID := samp.pid
	argv := append([]string{h.s.LoadTool}, args...)
	logPath := filepath.Join(h.logDir, name+".load.log")
	r.LoadCommand = argv
	r.Logs = append(r.Logs, logPath)
	lr := &loadRun{start: time.Now()}
	p, err := startProc(procSpec{name: "lws-bench", argv: argv, cpu: h.s.LoadCPU, logPath: logPath, capture: true})
	if err != nil {
		return nil, err
	}
	defer p.stop(3 * time.Second)
	others0, cpu0 := othersTicks(serverPID, p.pid()), readCPUStat(h.pinnedCPUs()...)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for lines := p.lines; lines != nil; {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil
				break
			}
			if res, ok := parseReport(line); ok {
				lr.raw, lr.res, lr.at = json.RawMessage(line), res, time.Now()
				others := 100 * float64(othersTicks(serverPID, p.pid())-others0) / h.clkTck / lr.at.Sub(lr.start).Seconds()
				others = roundTo(others, 1)
				steal := roundTo(stealPercent(cpu0, readCPUStat(h.pinnedCPUs()...)), 1)
				r.OtherCPUPercent, r.StealPercent = &others, &steal
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, fmt.Errorf("lws-bench did not finish within %v", limit)
		case <-samp.over:
			r.Capped = true
			return lr, fmt.Errorf("server RSS passed the %d MiB cap after %.1f s; run stopped",
				h.s.RSSCapMiB, time.Since(lr.start).Seconds())
		}
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, fmt.Errorf("lws-bench did not exit within %v", limit)
	}
	code := p.cmd.ProcessState.ExitCode()
	if lr.raw == nil || (code != 0 && code != 3) {
		return lr, errors.New(p.failure())
	}
	return lr, nil
}

// parseReport recognises a line of lws-bench's JSON output.
func parseReport(line string) (*loadResult, bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "{") {
		return nil, false
	}
	var res loadResult
	if err := json.Unmarshal([]byte(line), &res); err != nil || res.Mode == "" {
		return nil, false
	}
	return &res, true
}

// serverCPU fills the run's server CPU figures for the load tool's
// measured interval: the report's seconds, ending when it arrived.
func (h *harness) serverCPU(r *run, stats []procStat, lr *loadRun) {
	if lr == nil || lr.res == nil || lr.res.Seconds <= 0 || len(stats) < 2 {
		return
	}
	t1 := lr.at
	t0 := t1.Add(-time.Duration(lr.res.Seconds * float64(time.Second)))
	cpu := cpuBetween(stats, t0, t1, h.clkTck)
	pct := 100 * cpu / lr.res.Seconds
	r.ServerCPUSeconds, r.ServerCPUPercent = &cpu, &pct
}

// samples converts /proc readings to the run's record, relative to start.
func (h *harness) samples(stats []procStat, start time.Time) []sample {
	out := make([]sample, 0, len(stats))
	for _, st := range stats {
		out = append(out, sample{
			T:          roundTo(st.at.Sub(start).Seconds(), 3),
			CPUSeconds: roundTo(float64(st.ticks)/h.clkTck, 3),
			RSSKiB:     st.rssKiB,
		})
	}
	return out
}

func roundTo(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// rssCap is the server RSS, in KiB, past which a run is stopped.
func (h *harness) rssCap() int64 { return int64(h.s.RSSCapMiB) << 10 }

func wsURL(port int) string { return "ws://127.0.0.1:" + strconv.Itoa(port) + "/" }

// protocolArgs adds the subprotocol a server needs.
func protocolArgs(d *serverDef, args []string) []string {
	if d.protocol != "" {
		args = append(args, "-protocol", d.protocol)
	}
	return args
}

// checkAlive records a server that died under load, ahead of whatever
// else went wrong (usually the load tool's view of the same event).
func checkAlive(r *run, srv *proc) {
	if !srv.exited() {
		return
	}
	msg := "server died: " + srv.failure()
	if r.Error != "" {
		msg += "; " + r.Error
	}
	r.Error = msg
}

// loadError records the load tool's failure, or the errors it counted.
func loadError(r *run, lr *loadRun, err error) {
	switch {
	case err != nil:
		r.Error = err.Error()
	case lr.res.Errors > 0:
		r.Error = fmt.Sprintf("%d errors", lr.res.Errors)
		if lr.res.FirstError != "" {
			r.Error += ", first: " + lr.res.FirstError
		}
	}
}

// measure makes a run -repeat times (each through retryStolen) and keeps
// the one with the median rate; the others go in its OtherRepeats. A
// repeat that failed is named in the kept run's error.
func (h *harness) measure(ctx context.Context, attempt func() *run) *run {
	var runs []*run
	for i := 0; i < max(h.s.Repeat, 1); i++ {
		r := h.retryStolen(ctx, attempt)
		if r.Skipped != "" || ctx.Err() != nil {
			return r
		}
		runs = append(runs, r)
	}
	rate := func(r *run) float64 {
		if r.res == nil || r.Error != "" {
			return -1
		}
		return r.res.Rate
	}
	slices.SortStableFunc(runs, func(a, b *run) int { return cmp.Compare(rate(a), rate(b)) })
	keep := runs[len(runs)/2]
	failed, first := 0, ""
	for _, r := range runs {
		if r == keep {
			continue
		}
		keep.OtherRepeats = append(keep.OtherRepeats, r)
		if r.Error != "" {
			failed++
			if first == "" {
				first = r.Error
			}
		}
	}
	if failed > 0 && keep.Error == "" {
		keep.Error = fmt.Sprintf("%d of %d repeats failed, first: %s", failed, len(runs), first)
	}
	return keep
}

// retryStolen makes a run, and once more if the hypervisor stole more than
// stealRetry of the CPUs' time during it; it keeps the run with less steal.
func (h *harness) retryStolen(ctx context.Context, attempt func() *run) *run {
	r := attempt()
	if r.StealPercent == nil || *r.StealPercent < stealRetry || ctx.Err() != nil {
		return r
	}
	progress("  %s: %.0f %% of the CPUs' time stolen by the hypervisor; running it again", r.Server, *r.StealPercent)
	again := attempt()
	if again.StealPercent == nil || ctx.Err() != nil {
		return r
	}
	keep, other := r, again
	if *again.StealPercent < *r.StealPercent {
		keep, other = again, r
	}
	keep.RetriedSteal = other.StealPercent
	return keep
}

// ---- echo ----

func (h *harness) echoScenario(ctx context.Context) error {
	type echoCase struct{ size, conns, inflight int }
	var cases []echoCase
	for _, c := range echoCases {
		cases = append(cases, echoCase{c.size, c.conns, c.inflight})
	}
	for _, w := range []int{1, fullRateWindow} {
		for _, n := range h.s.EchoSweep {
			c := echoCase{echoSweepSize, n, w}
			dup := false
			for _, have := range cases {
				dup = dup || have == c
			}
			if !dup {
				cases = append(cases, c)
			}
		}
	}
	for _, c := range cases {
		progress("echo: %d B messages, %d connections, %d in flight", c.size, c.conns, c.inflight)
		for i := range h.servers {
			d := &h.servers[i]
			if !d.echo {
				continue
			}
			r := h.measure(ctx, func() *run { return h.echoRun(ctx, d, c.size, c.conns, c.inflight) })
			if err := ctx.Err(); err != nil {
				return err
			}
			h.add(r)
		}
	}
	return nil
}

func (h *harness) echoRun(ctx context.Context, d *serverDef, size, conns, inflight int) *run {
	r := &run{Scenario: "echo", Server: d.name, Conns: conns, Size: size, Inflight: inflight}
	if d.echoMaxConns > 0 && conns > d.echoMaxConns {
		r.Skipped = d.echoLimit
		return r
	}
	name := tag("echo", size, conns, d.name)
	if inflight > 1 {
		name = tag(fmt.Sprintf("echo-w%d", inflight), size, conns, d.name)
	}
	srv, port, err := h.startServer(ctx, d, r, name)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer srv.stop(3 * time.Second)
	args := []string{"echo", "-url", wsURL(port), "-c", strconv.Itoa(conns), "-size", strconv.Itoa(size),
		"-d", time.Duration(h.s.EchoDuration).String(), "-warmup", time.Duration(h.s.Warmup).String(),
		"-inflight", strconv.Itoa(inflight), "-json"}
	if d.text {
		args = append(args, "-text")
	}
	args = protocolArgs(d, args)
	h.timedLoad(ctx, r, srv, name, args, time.Duration(h.s.EchoDuration+h.s.Warmup))
	return r
}

// timedLoad runs a load of the given length against srv, sampling the
// server meanwhile, and fills r with the load's report, the samples, the
// server's CPU and whatever went wrong.
func (h *harness) timedLoad(ctx context.Context, r *run, srv *proc, name string, args []string, length time.Duration) {
	samp := startSampler(srv.pid(), time.Duration(h.s.CPUEvery), h.rssCap())
	lr, err := h.runLoad(ctx, r, name, args, length+90*time.Second, samp)
	stats := samp.finish()
	if lr != nil {
		r.Load, r.res = lr.raw, lr.res
		r.Samples = h.samples(stats, lr.start)
		h.serverCPU(r, stats, lr)
	}
	loadError(r, lr, err)
	checkAlive(r, srv)
}

// ---- idle ----

func (h *harness) idleScenario(ctx context.Context) error {
	for _, n := range h.s.IdleCounts {
		progress("idle: %d connections", n)
		for i := range h.servers {
			d := &h.servers[i]
			if !d.idle {
				continue
			}
			r := h.idleRun(ctx, d, n)
			if err := ctx.Err(); err != nil {
				return err
			}
			h.add(r)
		}
	}
	return nil
}

func (h *harness) idleRun(ctx context.Context, d *serverDef, n int) *run {
	r := &run{Scenario: "idle", Server: d.name, Conns: n}
	if need := uint64(n + fdMargin); h.nofile < need {
		r.Skipped = fmt.Sprintf("skipped: RLIMIT_NOFILE hard limit %d < needed %d", h.nofile, need)
		return r
	}
	name := tag("idle", n, d.name)
	srv, port, err := h.startServer(ctx, d, r, name)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer srv.stop(3 * time.Second)
	pid := srv.pid()

	// One connection first, so that what any first connection allocates
	// (pools, buffers, lazily built tables) is in the baseline.
	if _, err := h.holdIdle(ctx, r, d, port, 1, name+"-warmup", nil); err != nil {
		r.Error = "warm-up connection: " + err.Error()
		checkAlive(r, srv)
		return r
	}
	base, err := readRSS(pid)
	if err != nil {
		r.Error = err.Error()
		checkAlive(r, srv)
		return r
	}
	r.BaselineRSSKiB = base

	var stats []procStat
	established, err := h.holdIdle(ctx, r, d, port, n, name, func(start time.Time) error {
		// Let the server settle (finish handshakes, free their buffers,
		// run its collector) while watching its RSS; the last reading
		// counts.
		samp := startSampler(pid, 250*time.Millisecond, 0)
		select {
		case <-time.After(time.Duration(h.s.Settle)):
		case <-ctx.Done():
		}
		stats = samp.finish()
		r.Samples = h.samples(stats, start)
		if len(stats) == 0 {
			return errors.New("no RSS reading: " + srv.failure())
		}
		return ctx.Err()
	})
	if err != nil {
		r.Error = err.Error()
		checkAlive(r, srv)
		return r
	}
	r.LoadedRSSKiB = stats[len(stats)-1].rssKiB
	if established.Failed > 0 {
		r.Error = fmt.Sprintf("%d of %d connections failed", established.Failed, n)
		if established.FirstError != "" {
			r.Error += ": " + established.FirstError
		}
	}
	if established.Connections > 0 {
		per := float64(r.LoadedRSSKiB-r.BaselineRSSKiB) / float64(established.Connections)
		r.PerConnKiB = &per
	}
	checkAlive(r, srv)
	return r
}

// holdIdle opens conns idle connections with the load tool, runs held
// (if any) once all are established, then closes them and waits for the
// tool to report and exit. It returns the "established" report.
func (h *harness) holdIdle(ctx context.Context, r *run, d *serverDef, port, conns int, name string, held func(start time.Time) error) (*loadResult, error) {
	args := []string{"idle", "-url", wsURL(port), "-c", strconv.Itoa(conns), "-sources", "8", "-json"}
	args = protocolArgs(d, args)
	argv := append([]string{h.s.LoadTool}, args...)
	logPath := filepath.Join(h.logDir, name+".load.log")
	if held != nil {
		r.LoadCommand = argv
	}
	r.Logs = append(r.Logs, logPath)
	start := time.Now()
	p, err := startProc(procSpec{name: "lws-bench", argv: argv, cpu: h.s.LoadCPU, logPath: logPath, capture: true, stdin: true})
	if err != nil {
		return nil, err
	}
	defer p.stop(3 * time.Second)

	// next waits for the load tool's next JSON report.
	next := func(limit time.Duration) (*loadResult, error) {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		for {
			select {
			case line, ok := <-p.lines:
				if !ok {
					select {
					case <-p.done:
					case <-timer.C:
					}
					return nil, errors.New(p.failure())
				}
				if res, ok := parseReport(line); ok {
					r.Events = append(r.Events, json.RawMessage(line))
					return res, nil
				}
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-timer.C:
				return nil, fmt.Errorf("no report from lws-bench within %v", limit)
			}
		}
	}
	est, err := next(3*time.Minute + time.Duration(conns)*time.Millisecond)
	if err != nil {
		return nil, err
	}
	if est.Event != "established" || est.Connections == 0 {
		msg := fmt.Sprintf("no connection established (%d failed)", est.Failed)
		if est.FirstError != "" {
			msg += ": " + est.FirstError
		}
		return est, errors.New(msg)
	}
	if held != nil {
		if err := held(start); err != nil {
			return est, err
		}
	}
	p.stdin.Close() // the load tool's signal to close everything
	if _, err := next(time.Minute); err != nil {
		return est, fmt.Errorf("closing: %w", err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		return est, errors.New("lws-bench did not exit after closing its connections")
	case <-ctx.Done():
		return est, ctx.Err()
	}
	return est, nil
}

// ---- slow consumer ----

func (h *harness) slowScenario(ctx context.Context) error {
	progress("slow consumer: %d B messages, reading %d B/s, %v", h.s.SlowSize, h.s.SlowReadRate, time.Duration(h.s.SlowDuration))
	for i := range h.servers {
		d := &h.servers[i]
		if !d.slow {
			continue
		}
		r := h.slowRun(ctx, d)
		if err := ctx.Err(); err != nil {
			return err
		}
		h.add(r)
	}
	return nil
}

func (h *harness) slowRun(ctx context.Context, d *serverDef) *run {
	r := &run{Scenario: "slow", Server: d.name, Conns: 1, Size: h.s.SlowSize}
	name := tag("slow", d.name)
	srv, port, err := h.startServer(ctx, d, r, name)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer srv.stop(3 * time.Second)
	if r.BaselineRSSKiB, err = readRSS(srv.pid()); err != nil {
		r.Error = err.Error()
		return r
	}
	args := []string{"slow", "-url", wsURL(port), "-size", strconv.Itoa(h.s.SlowSize),
		"-read-rate", strconv.Itoa(h.s.SlowReadRate), "-d", time.Duration(h.s.SlowDuration).String(),
		"-warmup", "0s", "-json"}
	args = protocolArgs(d, args)
	samp := startSampler(srv.pid(), time.Duration(h.s.SlowEvery), h.rssCap())
	lr, err := h.runLoad(ctx, r, name, args, time.Duration(h.s.SlowDuration)+90*time.Second, samp)
	stats := samp.finish()
	if lr != nil {
		r.Load, r.res = lr.raw, lr.res
		r.Samples = h.samples(stats, lr.start)
		h.serverCPU(r, stats, lr)
		for _, st := range stats {
			if lr.at.IsZero() || !st.at.After(lr.at) {
				r.PeakRSSKiB = max(r.PeakRSSKiB, st.rssKiB)
				r.FinalRSSKiB = st.rssKiB
			}
		}
	}
	loadError(r, lr, err)
	checkAlive(r, srv)
	return r
}

// ---- HTTP ----

func (h *harness) httpScenario(ctx context.Context, scenario, path string) error {
	progress("%s: GET %s, %d keep-alive connections", scenario, path, h.s.HTTPConns)
	for i := range h.servers {
		d := &h.servers[i]
		if !d.http || (scenario == "http-large" && !d.httpLarge) {
			continue
		}
		r := h.measure(ctx, func() *run { return h.httpRun(ctx, d, scenario, path) })
		if err := ctx.Err(); err != nil {
			return err
		}
		h.add(r)
	}
	return nil
}

func (h *harness) httpRun(ctx context.Context, d *serverDef, scenario, path string) *run {
	r := &run{Scenario: scenario, Server: d.name, Conns: h.s.HTTPConns}
	name := tag(scenario, d.name)
	srv, port, err := h.startServer(ctx, d, r, name)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer srv.stop(3 * time.Second)
	if scenario == "http" {
		path = d.httpPath
	}
	args := []string{"http", "-url", "http://127.0.0.1:" + strconv.Itoa(port) + path,
		"-c", strconv.Itoa(h.s.HTTPConns), "-d", time.Duration(h.s.HTTPDuration).String(),
		"-warmup", time.Duration(h.s.Warmup).String(), "-json"}
	h.timedLoad(ctx, r, srv, name, args, time.Duration(h.s.HTTPDuration+h.s.Warmup))
	return r
}
