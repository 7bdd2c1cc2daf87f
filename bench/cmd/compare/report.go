package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// results is the layout of results.json.
type results struct {
	Started  time.Time   `json:"started"`
	Finished time.Time   `json:"finished"`
	Stopped  string      `json:"stopped_early,omitempty"`
	Machine  machineInfo `json:"machine"`
	Settings settings    `json:"settings"`
	Runs     []*run      `json:"runs"`
	Plots    []string    `json:"plots,omitempty"`
	PlotErr  string      `json:"plot_error,omitempty"`
}

// write saves results.json, the plots and table.md, and prints the table.
func (h *harness) write() error {
	if h.finished.IsZero() {
		h.finished = time.Now()
	}
	res := results{Started: h.started, Finished: h.finished, Stopped: h.stopped,
		Machine: h.machine, Settings: h.s, Runs: h.runs}
	plots, plotErr := h.plot()
	res.Plots = plots
	if plotErr != nil {
		res.PlotErr = plotErr.Error()
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(h.s.Out, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	table := h.table(plots, plotErr)
	if err := os.WriteFile(filepath.Join(h.s.Out, "table.md"), []byte(table), 0o644); err != nil {
		return err
	}
	fmt.Print(table)
	return nil
}

// find returns the run of a server in a scenario with the given figures,
// one message in flight.
func (h *harness) find(scenario, server string, size, conns int) *run {
	return h.findW(scenario, server, size, conns, 1)
}

// findW is find for a window of inflight messages per connection.
func (h *harness) findW(scenario, server string, size, conns, inflight int) *run {
	for _, r := range h.runs {
		if r.Scenario == scenario && r.Server == server && r.Size == size && r.Conns == conns &&
			max(r.Inflight, 1) == inflight {
			return r
		}
	}
	return nil
}

// inScenario lists the servers that ran in a scenario, in table order.
func (h *harness) inScenario(scenario string) []*serverDef {
	var out []*serverDef
	for i := range h.servers {
		d := &h.servers[i]
		for _, r := range h.runs {
			if r.Scenario == scenario && r.Server == d.name {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// reference returns the reference server of a scenario's server list.
func reference(ds []*serverDef) *serverDef {
	for _, d := range ds {
		if d.reference {
			return d
		}
	}
	return nil
}

// mdTable renders a markdown table; align holds one of "l" or "r" per column.
type mdTable struct {
	head  []string
	align string
	rows  [][]string
}

func (t *mdTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *mdTable) String() string {
	w := make([]int, len(t.head))
	for i, c := range t.head {
		w[i] = max(len([]rune(c)), 3)
	}
	for _, r := range t.rows {
		for i, c := range r {
			w[i] = max(w[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", w[i]-len([]rune(c)))
			if t.align[i] == 'r' {
				b.WriteString(" " + pad + c + " |")
			} else {
				b.WriteString(" " + c + pad + " |")
			}
		}
		b.WriteString("\n")
	}
	line(t.head)
	b.WriteString("|")
	for i := range t.head {
		if t.align[i] == 'r' {
			b.WriteString(" " + strings.Repeat("-", w[i]-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w[i]) + " |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

// status is a run's cell when it has no figure: why not, in a word; note
// gives the reason in full.
func status(r *run) (string, bool) {
	switch {
	case r == nil:
		return "–", true
	case r.NoH2:
		return "no h2", true
	case strings.HasPrefix(r.Skipped, "n/a"):
		return "n/a", true
	case r.Skipped != "":
		return "skipped", true
	case r.res == nil && r.PerConnKiB == nil && r.Error != "":
		return "error", true
	}
	return "", false
}

// note is a run's notes cell: why it was skipped, or its error, shortened.
func note(r *run) string {
	if r == nil {
		return ""
	}
	msg := r.Skipped
	if msg == "" {
		msg = r.Error
	}
	if r.res != nil && (r.Scenario == "echo" || r.Scenario == "http" || r.Scenario == "http-large" || r.Scenario == "h2") && r.res.CPUPercent >= loadBound {
		tool := "lws-bench"
		if r.Scenario == "h2" {
			tool = "h2load"
		}
		sat := tool + " saturated: the server may do better"
		if msg != "" {
			sat += "; " + msg
		}
		msg = sat
	}
	var busy []string
	if r.StealPercent != nil && *r.StealPercent >= quietSteal {
		busy = append(busy, fmt.Sprintf("steal %.0f %%", *r.StealPercent))
	}
	if r.OtherCPUPercent != nil && *r.OtherCPUPercent >= quietLimit {
		busy = append(busy, fmt.Sprintf("other processes %.0f %% CPU", *r.OtherCPUPercent))
	}
	if len(busy) > 0 {
		if msg != "" {
			busy = append(busy, msg)
		}
		msg = "busy: " + strings.Join(busy, "; ")
	}
	msg = strings.ReplaceAll(msg, "|", "/")
	msg = strings.ReplaceAll(msg, "\n", " ")
	if r := []rune(msg); len(r) > 110 {
		msg = string(r[:107]) + "..."
	}
	return msg
}

// noteList gathers a row's notes by connection count (or case), naming
// each message once.
type noteList struct {
	msgs   []string
	counts map[string][]string
}

func (l *noteList) add(n any, msg string) {
	if msg == "" {
		return
	}
	if l.counts == nil {
		l.counts = map[string][]string{}
	}
	if _, ok := l.counts[msg]; !ok {
		l.msgs = append(l.msgs, msg)
	}
	l.counts[msg] = append(l.counts[msg], fmt.Sprint(n))
}

func (l *noteList) String() string {
	var parts []string
	for _, m := range l.msgs {
		parts = append(parts, strings.Join(l.counts[m], ", ")+": "+m)
	}
	return strings.Join(parts, "; ")
}

// loadBound is the load tool's CPU % from which a run is marked as limited
// by the load tool rather than by the server.
const loadBound = 95.0

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f", *p)
}

func ratio(v float64) string {
	switch {
	case v <= 0:
		return "–"
	case v >= 100:
		return fmt.Sprintf("%.0f×", v)
	case v >= 10:
		return fmt.Sprintf("%.1f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

func (h *harness) table(plots []string, plotErr error) string {
	var b strings.Builder
	m := h.machine
	fmt.Fprintf(&b, "# golws comparison\n\n")
	fmt.Fprintf(&b, "Run %s, %s", h.started.UTC().Format("2006-01-02 15:04 MST"), h.finished.Sub(h.started).Round(time.Second))
	if h.s.Quick {
		b.WriteString(" (quick smoke run: short durations, not for comparison)")
	}
	b.WriteString(".\n")
	if h.stopped != "" {
		fmt.Fprintf(&b, "Stopped early: %s; the tables hold the runs done before.\n", h.stopped)
	}
	fmt.Fprintf(&b, "\n- Machine: %s, %d CPUs, %d MiB, Linux %s (%s), CLK_TCK %.0f, RLIMIT_NOFILE hard %d, ports %s.\n",
		m.CPUModel, m.CPUs, m.MemoryMiB, m.Kernel, m.OS, m.ClkTck, m.NofileHard, m.PortRange)
	var vs []string
	for k, v := range m.Versions {
		vs = append(vs, k+" "+v)
	}
	sort.Strings(vs)
	fmt.Fprintf(&b, "- Versions: %s; harness built with %s.\n", strings.Join(vs, ", "), m.Go)
	pin := func(c int) string {
		if c < 0 {
			return "not pinned"
		}
		return fmt.Sprintf("pinned to CPU %d", c)
	}
	repeat := "each made once"
	if h.s.Repeat > 1 {
		repeat = fmt.Sprintf("each made %d times, the median kept", h.s.Repeat)
	}
	fmt.Fprintf(&b, "- Setup: every server alone, %s; lws-bench %s; loopback only. Echo runs: %v measured after %v warm-up, 16 messages in flight per connection at full rate and 1 in ping-pong (the sweep runs both), a fresh server per run, %s. Server CPU is utime+stime from /proc over lws-bench's measured interval.\n",
		pin(h.s.ServerCPU), pin(h.s.LoadCPU), time.Duration(h.s.EchoDuration), time.Duration(h.s.Warmup), repeat)
	b.WriteString("- Ratios compare with golws, and above 1 always means golws does better: throughput ratios are golws ÷ server, memory ratios are server ÷ golws.\n")
	fmt.Fprintf(&b, "- Before each run the harness waits (up to 30 s, %v in all) for a quiet machine: other processes under %.0f %% of a core and hypervisor steal under %.0f %% of the pinned CPUs. "+
		"An echo or HTTP run with over %.0f %% steal is made again and the calmer run kept; runs with steal or other load are marked \"busy\" in their notes.\n",
		time.Duration(h.s.QuietBudget), quietLimit, quietSteal, stealRetry)

	if h.wants("echo") {
		h.echoTables(&b)
	}
	if h.wants("idle") {
		h.idleTable(&b)
	}
	if h.wants("slow") {
		h.slowTable(&b)
	}
	if h.wants("http") {
		h.httpTable(&b, "http", httpFile)
	}
	if h.wants("http-large") {
		h.httpTable(&b, "http-large", largeFile)
	}
	if h.wants("h2") {
		h.h2Table(&b)
	}
	if len(plots) > 0 {
		b.WriteString("\n## Plots\n\n")
		for _, p := range plots {
			fmt.Fprintf(&b, "![%s](%s)\n", strings.TrimSuffix(p, ".png"), p)
		}
	}
	if plotErr != nil {
		fmt.Fprintf(&b, "\nPlots not made: %v\n", plotErr)
	}
	h.notes(&b)
	return b.String()
}

func (h *harness) echoTables(b *strings.Builder) {
	ds := h.inScenario("echo")
	if len(ds) == 0 {
		return
	}
	ref := reference(ds)
	for _, c := range echoCases {
		fmt.Fprintf(b, "\n## %s\n\n", c.title)
		t := &mdTable{head: []string{"server", "msg/s", "golws ÷ server", "p50 µs", "p99 µs", "p99.9 µs",
			"server CPU %", "lws-bench CPU %", "notes"}, align: "lrrrrrrrl"}
		var refRate float64
		if ref != nil {
			if r := h.findW("echo", ref.name, c.size, c.conns, c.inflight); r != nil && r.res != nil {
				refRate = r.res.Rate
			}
		}
		for _, d := range ds {
			r := h.findW("echo", d.name, c.size, c.conns, c.inflight)
			if s, ok := status(r); ok {
				t.add(d.name, s, "", "", "", "", "", "", note(r))
				continue
			}
			rt := "–"
			if refRate > 0 && r.res.Rate > 0 {
				rt = ratio(refRate / r.res.Rate)
			}
			t.add(d.name, num(r.res.Rate), rt, num(r.res.Latency.P50), num(r.res.Latency.P99),
				num(r.res.Latency.P999), pct(r.ServerCPUPercent), fmt.Sprintf("%.0f", r.res.CPUPercent), note(r))
		}
		b.WriteString(t.String())
	}

	fmt.Fprintf(b, "\n## Echo throughput against connections (%d B messages)\n\n", echoSweepSize)
	b.WriteString("msg/s, with golws ÷ server in parentheses; the server CPU % of every point is in results.json.\n\n")
	head := []string{"server"}
	align := "l"
	for _, n := range h.s.EchoSweep {
		head = append(head, fmt.Sprintf("%d conns", n))
		align += "r"
	}
	t := &mdTable{head: append(head, "notes"), align: align + "l"}
	for _, d := range ds {
		row := []string{d.name}
		var notes noteList
		for _, n := range h.s.EchoSweep {
			r := h.find("echo", d.name, echoSweepSize, n)
			if s, ok := status(r); ok {
				row = append(row, s)
				notes.add(n, note(r))
				continue
			}
			cell := num(r.res.Rate)
			if ref != nil && d != ref {
				if rr := h.find("echo", ref.name, echoSweepSize, n); rr != nil && rr.res != nil && r.res.Rate > 0 {
					cell += " (" + ratio(rr.res.Rate/r.res.Rate) + ")"
				}
			}
			notes.add(n, note(r))
			row = append(row, cell)
		}
		t.add(append(row, notes.String())...)
	}
	b.WriteString(t.String())
}

func (h *harness) idleTable(b *strings.Builder) {
	ds := h.inScenario("idle")
	if len(ds) == 0 {
		return
	}
	ref := reference(ds)
	b.WriteString("\n## Idle WebSocket connections: server RSS per connection\n\n")
	fmt.Fprintf(b, "KiB per connection = (VmRSS with N connections up and %v settled − VmRSS after one warm-up connection) ÷ N, with server ÷ golws in parentheses. A fresh server for each N.\n\n",
		time.Duration(h.s.Settle))
	head := []string{"server"}
	align := "l"
	for _, n := range h.s.IdleCounts {
		head = append(head, fmt.Sprintf("%d conns", n))
		align += "r"
	}
	head = append(head, "RSS MiB (at N)", "notes")
	t := &mdTable{head: head, align: align + "rl"}
	for _, d := range ds {
		row := []string{d.name}
		var notes noteList
		loaded := "–"
		for _, n := range h.s.IdleCounts {
			r := h.find("idle", d.name, 0, n)
			if s, ok := status(r); ok {
				row = append(row, s)
				notes.add(n, note(r))
				continue
			}
			if r.PerConnKiB == nil {
				row = append(row, "–")
				continue
			}
			cell := fmt.Sprintf("%.2f", *r.PerConnKiB)
			if ref != nil && d != ref {
				if rr := h.find("idle", ref.name, 0, n); rr != nil && rr.PerConnKiB != nil && *rr.PerConnKiB > 0 {
					cell += " (" + ratio(*r.PerConnKiB / *rr.PerConnKiB) + ")"
				}
			}
			notes.add(n, note(r))
			row = append(row, cell)
			loaded = fmt.Sprintf("%s (%d)", mib(r.LoadedRSSKiB), n)
		}
		row = append(row, loaded, notes.String())
		t.add(row...)
	}
	b.WriteString(t.String())
}

func (h *harness) slowTable(b *strings.Builder) {
	ds := h.inScenario("slow")
	if len(ds) == 0 {
		return
	}
	ref := reference(ds)
	fmt.Fprintf(b, "\n## Slow consumer: %d KiB messages sent flat out, read at %d KiB/s, %v\n\n",
		h.s.SlowSize>>10, h.s.SlowReadRate>>10, time.Duration(h.s.SlowDuration))
	b.WriteString("One connection; the server's VmRSS sampled every ")
	fmt.Fprintf(b, "%v. A server that bounds what it queues for a slow reader stays flat; sent and received are lws-bench's counts. "+
		"Growth is peak − before; its ratio is left out where neither grew by 1 MiB (page-level noise).\n\n", time.Duration(h.s.SlowEvery))
	t := &mdTable{head: []string{"server", "sent MiB", "received MiB", "RSS before MiB", "peak RSS MiB",
		"RSS at end MiB", "growth MiB", "server ÷ golws (growth)", "server CPU %", "notes"}, align: "lrrrrrrrrl"}
	var refGrowth int64 = -1
	if ref != nil {
		if r := h.find("slow", ref.name, h.s.SlowSize, 1); r != nil && r.res != nil && !r.Capped {
			refGrowth = r.PeakRSSKiB - r.BaselineRSSKiB
		}
	}
	for _, d := range ds {
		r := h.find("slow", d.name, h.s.SlowSize, 1)
		if s, ok := status(r); ok && (r == nil || r.PeakRSSKiB == 0) {
			t.add(d.name, s, "", "", "", "", "", "", "", note(r))
			continue
		}
		sent, rcvd := "–", "–"
		if r.res != nil {
			sent, rcvd = mib(int64(r.res.SentBytes)/1024), mib(int64(r.res.ReceivedBytes)/1024)
		}
		peak := mib(r.PeakRSSKiB)
		growth := r.PeakRSSKiB - r.BaselineRSSKiB
		grown := mib(growth)
		rt := "–"
		if refGrowth > 0 && growth > 0 && max(growth, refGrowth) >= 1024 {
			rt = ratio(float64(growth) / float64(refGrowth))
		}
		if r.Capped {
			peak, grown = "> "+peak, "> "+grown
			if rt != "–" {
				rt = "> " + rt
			}
		}
		t.add(d.name, sent, rcvd, mib(r.BaselineRSSKiB), peak, mib(r.FinalRSSKiB), grown, rt, pct(r.ServerCPUPercent), note(r))
	}
	b.WriteString(t.String())
}

func (h *harness) httpTable(b *strings.Builder, scenario, file string) {
	ds := h.inScenario(scenario)
	if len(ds) == 0 {
		return
	}
	ref := reference(ds)
	size := "?"
	if fi, err := os.Stat(filepath.Join(h.www, strings.TrimPrefix(file, "/"))); err == nil {
		size = fmt.Sprint(fi.Size())
	}
	fmt.Fprintf(b, "\n## HTTP: GET %s (%s B), %d keep-alive connections\n\n", file, size, h.s.HTTPConns)
	if ref == nil {
		b.WriteString("golws-files was not run, so this table has no ratio column.\n\n")
	}
	head := []string{"server", "req/s"}
	align := "lr"
	if ref != nil {
		head = append(head, "golws ÷ server")
		align += "r"
	}
	t := &mdTable{head: append(head, "p50 µs", "p99 µs", "p99.9 µs", "server CPU %", "lws-bench CPU %", "notes"),
		align: align + "rrrrrl"}
	var refRate float64
	if ref != nil {
		if r := h.find(scenario, ref.name, 0, h.s.HTTPConns); r != nil && r.res != nil {
			refRate = r.res.Rate
		}
	}
	for _, d := range ds {
		r := h.find(scenario, d.name, 0, h.s.HTTPConns)
		row := []string{d.name}
		if s, ok := status(r); ok {
			row = append(row, s)
			if ref != nil {
				row = append(row, "")
			}
			t.add(append(row, "", "", "", "", "", note(r))...)
			continue
		}
		row = append(row, num(r.res.Rate))
		if ref != nil {
			rt := "–"
			if refRate > 0 && r.res.Rate > 0 {
				rt = ratio(refRate / r.res.Rate)
			}
			row = append(row, rt)
		}
		t.add(append(row, num(r.res.Latency.P50), num(r.res.Latency.P99), num(r.res.Latency.P999),
			pct(r.ServerCPUPercent), fmt.Sprintf("%.0f", r.res.CPUPercent), note(r))...)
	}
	b.WriteString(t.String())
}

// notes explains the peers' known differences.
func (h *harness) notes(b *strings.Builder) {
	lws := false
	for _, d := range h.servers {
		lws = lws || d.name == "lws-test-server"
	}
	b.WriteString("\n## Notes\n\n")
	fmt.Fprintf(b, "- Loopback traffic on a small machine: absolute figures are this machine's; the ratios are the point. "+
		"A server CPU near 100 %% means the server was the bottleneck; lws-bench CPU near 100 %% means the load tool was (marked \"lws-bench saturated\" from %.0f %%).\n", loadBound)
	b.WriteString("- Go servers see one CPU through their affinity, so GOMAXPROCS is 1 for each of them, as the C server has one thread.\n")
	if lws {
		b.WriteString("- lws-test-server is libwebsockets' own test server (Debian's build), answering with its `lws-mirror-protocol`, which is not an echo: " +
			"every connection of a mirror instance (one instance per `?mirror=` name, at most a few) receives every message, so it is an echo only for a lone connection " +
			"and its echo runs with more connections are marked n/a. It answers every message as text (binary too), so its echo load is sent as text; " +
			"it returns a message longer than about 4 KiB as several messages, one per 4 KiB read. Its idle connections all join one mirror instance, " +
			"and nothing is sent while idle. It runs with -i lo (loopback only) and -d 3 (errors and warnings only).\n")
	}
	if h.wants("h2") {
		b.WriteString("- HTTP/2: each server runs on one core (golws-h2 and nethttp-h2 with GOMAXPROCS=1, h2o with num-threads 1), serving the same www directory over TLS with the harness's self-signed certificate; " +
			"h2o's config has no access log and no OCSP stapling, and its TLS private-key operations (handshakes only) run in a helper process h2o forks, whose CPU is not in the server CPU %. " +
			"h2load runs one thread (-t 1) on the load CPU; its figures are over its main duration, after warm-up.\n")
	}
	fmt.Fprintf(b, "- Raw figures, every lws-bench report and every /proc sample are in results.json; each run's server and load-tool output is in logs/.\n")
}
