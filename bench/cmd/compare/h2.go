package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The HTTP/2 scenario: h2load fetches one file over TLS, HTTP/2 chosen by
// ALPN, on 1, 10 and 100 connections (-h2-c) with -h2-m streams in flight
// on each, for -h2-d after -warmup. Both files are the ones the HTTP
// scenarios serve.
var h2Files = []string{httpFile, largeFile}

// h2Result is what the harness reads from h2load's text output; it is the
// run's "load" record in results.json.
type h2Result struct {
	// Protocol is the ALPN protocol h2load reports ("Application
	// protocol:"); empty when none was negotiated.
	Protocol string `json:"protocol"`
	TLS      string `json:"tls_protocol,omitempty"`
	// Seconds is the measured interval: from h2load's "Main benchmark
	// duration is started" line to its "... is over" line, as seen by the
	// harness (the -D asked for, when the lines are missing).
	Seconds float64 `json:"seconds"`
	// RequestsPerSecond is h2load's "finished in ..., N req/s" figure,
	// over the measured interval.
	RequestsPerSecond float64 `json:"requests_per_second"`
	// The "requests:" line.
	Total     int64 `json:"total"`
	Started   int64 `json:"started"`
	Done      int64 `json:"done"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Errored   int64 `json:"errored"`
	Timeout   int64 `json:"timeout"`
	// The "status codes:" line.
	Status2xx int64 `json:"status_2xx"`
	Status3xx int64 `json:"status_3xx"`
	Status4xx int64 `json:"status_4xx"`
	Status5xx int64 `json:"status_5xx"`
	// TrafficBytes is the "traffic:" line's total, in bytes.
	TrafficBytes int64 `json:"traffic_bytes"`
	// CPUSeconds and CPUPercent are h2load's own CPU time over the
	// measured interval, from /proc (100 = its core).
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent"`
	// NoProtocol holds h2load's lines saying that ALPN chose nothing.
	NoProtocol []string `json:"no_protocol,omitempty"`
}

// parseH2load reads h2load's output; ok is false when the summary
// ("requests:" line) is missing.
func parseH2load(lines []string) (res h2Result, ok bool) {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		key, rest, _ := strings.Cut(l, ":")
		rest = strings.TrimSpace(rest)
		switch {
		case key == "Application protocol":
			res.Protocol = rest
		case key == "TLS Protocol":
			res.TLS = rest
		case strings.HasPrefix(l, "No protocol negotiated") || strings.HasPrefix(l, "Server does not support NPN/ALPN"):
			res.NoProtocol = append(res.NoProtocol, l)
		case strings.HasPrefix(l, "finished in "):
			// finished in 3.00s, 258775.00 req/s, 354.88MB/s
			f := strings.Split(l, ", ")
			if len(f) >= 2 {
				res.RequestsPerSecond, _ = strconv.ParseFloat(strings.TrimSuffix(f[1], " req/s"), 64)
			}
		case key == "requests":
			// 100 total, 100 started, 100 done, 100 succeeded, 0 failed, 0 errored, 0 timeout
			c := countsOf(rest)
			res.Total, res.Started, res.Done = c["total"], c["started"], c["done"]
			res.Succeeded, res.Failed, res.Errored, res.Timeout = c["succeeded"], c["failed"], c["errored"], c["timeout"]
			ok = true
		case key == "status codes":
			c := countsOf(rest)
			res.Status2xx, res.Status3xx, res.Status4xx, res.Status5xx = c["2xx"], c["3xx"], c["4xx"], c["5xx"]
		case key == "traffic":
			// 709.76MB (744237360) total, ...
			if i, j := strings.IndexByte(rest, '('), strings.IndexByte(rest, ')'); i >= 0 && j > i {
				res.TrafficBytes, _ = strconv.ParseInt(rest[i+1:j], 10, 64)
			}
		}
	}
	return res, ok
}

// countsOf reads "100 total, 5 failed" as {"total": 100, "failed": 5}.
func countsOf(s string) map[string]int64 {
	out := map[string]int64{}
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out[f[1]] = n
		}
	}
	return out
}

// h2loadDuration writes a duration as h2load reads it (whole
// milliseconds with a unit; it takes no fractions).
func h2loadDuration(d time.Duration) string {
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
}

// fileSize is the size of one of the www directory's files, 0 if unknown.
func (h *harness) fileSize(file string) int {
	fi, err := os.Stat(filepath.Join(h.www, strings.TrimPrefix(file, "/")))
	if err != nil {
		return 0
	}
	return int(fi.Size())
}

func (h *harness) h2Scenario(ctx context.Context) error {
	tool, toolErr := lookPath(h.s.H2Load)
	for _, file := range h2Files {
		for _, n := range h.s.H2Conns {
			progress("h2: GET %s, %d connections, %d streams each", file, n, h.s.H2Streams)
			for i := range h.servers {
				d := &h.servers[i]
				if !d.h2 {
					continue
				}
				var r *run
				if toolErr != nil {
					r = &run{Scenario: "h2", Server: d.name, Conns: n, Size: h.fileSize(file), Inflight: h.s.H2Streams,
						Error: fmt.Sprintf("%s not found (Debian package nghttp2-client)", h.s.H2Load)}
				} else {
					r = h.measure(ctx, func() *run { return h.h2Run(ctx, d, tool, file, n) })
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				h.add(r)
			}
		}
	}
	return nil
}

// h2Run makes one h2load run against a fresh server.
func (h *harness) h2Run(ctx context.Context, d *serverDef, tool, file string, conns int) *run {
	r := &run{Scenario: "h2", Server: d.name, Conns: conns, Size: h.fileSize(file), Inflight: h.s.H2Streams}
	name := tag("h2", strings.TrimSuffix(strings.TrimPrefix(file, "/"), filepath.Ext(file)), conns, d.name)
	srv, port, err := h.startServer(ctx, d, r, name)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer srv.stop(3 * time.Second)
	if r.BaselineRSSKiB, err = readRSS(srv.pid()); err != nil {
		r.Error = err.Error()
		checkAlive(r, srv)
		return r
	}
	measured, warmup := time.Duration(h.s.H2Duration), time.Duration(h.s.Warmup)
	argv := []string{tool, "-t", "1", "-c", strconv.Itoa(conns), "-m", strconv.Itoa(h.s.H2Streams),
		"-D", h2loadDuration(measured), "--warm-up-time", h2loadDuration(warmup),
		"https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + file}
	logPath := filepath.Join(h.logDir, name+".load.log")
	r.LoadCommand = argv
	r.Logs = append(r.Logs, logPath)

	samp := startSampler(srv.pid(), time.Duration(h.s.CPUEvery), h.rssCap())
	start := time.Now()
	p, err := startProc(procSpec{name: "h2load", argv: argv, cpu: h.s.LoadCPU, logPath: logPath, capture: true})
	if err != nil {
		samp.finish()
		r.Error = err.Error()
		return r
	}
	defer p.stop(3 * time.Second)
	others0, cpu0 := othersTicks(srv.pid(), p.pid()), readCPUStat(h.pinnedCPUs()...)

	// The measured interval, and both processes' CPU ticks at its ends,
	// read the moment h2load says it starts and ends (when the harness
	// reads those lines too late, h2load gone, the CPU figures stay
	// unknown).
	type mark struct {
		at             time.Time
		server, loader int64
		ok             bool
	}
	markNow := func() mark {
		s, err1 := readStat(srv.pid())
		l, err2 := readStat(p.pid())
		return mark{at: time.Now(), server: s.ticks, loader: l.ticks, ok: err1 == nil && err2 == nil}
	}
	var began, ended mark
	// h2load's timing-based mode can hang when its connections come up
	// only after the measured interval (seen on a machine overloaded by
	// others), so the bound is not generous.
	limit := 2*(measured+warmup) + 20*time.Second
	var out []string
	runErr := func() error {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		for lines := p.lines; lines != nil; {
			select {
			case line, ok := <-lines:
				if !ok {
					lines = nil
					break
				}
				out = append(out, line)
				switch {
				case strings.HasPrefix(line, "Main benchmark duration is started") && began.at.IsZero():
					began = markNow()
				case strings.HasPrefix(line, "Main benchmark duration is over"):
					ended = markNow()
					others := roundTo(100*float64(othersTicks(srv.pid(), p.pid())-others0)/h.clkTck/time.Since(start).Seconds(), 1)
					steal := roundTo(stealPercent(cpu0, readCPUStat(h.pinnedCPUs()...)), 1)
					r.OtherCPUPercent, r.StealPercent = &others, &steal
				}
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
				return fmt.Errorf("h2load did not finish within %v", limit)
			case <-samp.over:
				r.Capped = true
				return fmt.Errorf("server RSS passed the %d MiB cap after %.1f s; run stopped",
					h.s.RSSCapMiB, time.Since(start).Seconds())
			}
		}
		select {
		case <-p.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("h2load did not exit within %v", limit)
		}
	}()
	stats := samp.finish()
	r.Samples = h.samples(stats, start)
	for _, st := range stats {
		r.PeakRSSKiB = max(r.PeakRSSKiB, st.rssKiB)
		r.FinalRSSKiB = st.rssKiB
	}
	appendLog(logPath, out)
	if runErr != nil {
		r.Error = runErr.Error()
		checkAlive(r, srv)
		return r
	}

	res, ok := parseH2load(out)
	if began.ok && ended.ok && ended.at.After(began.at) {
		res.Seconds = ended.at.Sub(began.at).Seconds()
		res.CPUSeconds = float64(ended.loader-began.loader) / h.clkTck
		res.CPUPercent = roundTo(100*res.CPUSeconds/res.Seconds, 1)
		cpu := float64(ended.server-began.server) / h.clkTck
		pct := 100 * cpu / res.Seconds
		r.ServerCPUSeconds, r.ServerCPUPercent = &cpu, &pct
	} else {
		res.Seconds = measured.Seconds()
	}
	if raw, err := json.Marshal(res); err == nil {
		r.Load = raw
	}
	code := p.cmd.ProcessState.ExitCode()
	switch {
	case !ok:
		r.Error = p.failure()
	case res.Protocol != "h2":
		r.NoH2 = true
		what := "no protocol negotiated"
		if res.Protocol != "" {
			what = "ALPN chose " + res.Protocol
		}
		r.Error = "no h2: " + what
		if res.Protocol != "" {
			r.Error += fmt.Sprintf(" (h2load made %d requests over it, %.0f/s)", res.Succeeded, res.RequestsPerSecond)
		}
	default:
		r.res = &loadResult{Mode: "h2load", Connections: conns, Seconds: res.Seconds, Requests: float64(res.Succeeded),
			Rate: res.RequestsPerSecond, ReceivedBytes: float64(res.TrafficBytes),
			Errors: int(res.Failed + res.Errored + res.Timeout), CPUSeconds: res.CPUSeconds, CPUPercent: res.CPUPercent}
		switch {
		case res.Failed+res.Errored+res.Timeout > 0:
			r.Error = fmt.Sprintf("%d of %d requests failed (%d errored, %d timed out)", res.Failed, res.Total, res.Errored, res.Timeout)
		case res.Succeeded == 0:
			r.Error = "no request succeeded"
		case res.Status3xx+res.Status4xx+res.Status5xx > 0:
			// Only these: the 2xx count can fall short of the succeeded
			// one, as h2load counts a status when the head arrives,
			// possibly during warm-up, and a success when the body ends.
			r.Error = fmt.Sprintf("answers not 2xx: %d 3xx, %d 4xx, %d 5xx", res.Status3xx, res.Status4xx, res.Status5xx)
		case code != 0:
			r.Error = p.failure()
		}
	}
	checkAlive(r, srv)
	return r
}

// appendLog adds a captured output to the end of its log file.
func appendLog(path string, lines []string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, "# stdout")
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

// makeCert writes a self-signed ECDSA P-256 certificate for 127.0.0.1 and
// localhost, valid for a week, and its key into dir; it returns their
// paths. h2load does not verify it.
func makeCert(dir string) (certFile, keyFile string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	return abs(certFile), abs(keyFile), nil
}

// sizeName is a file size as the h2 table heads it.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// h2Table reports the HTTP/2 scenario: requests per second per server and
// case, golws's ratios as extra rows, then CPU and memory.
func (h *harness) h2Table(b *strings.Builder) {
	ds := h.inScenario("h2")
	if len(ds) == 0 {
		return
	}
	ref := reference(ds)
	type h2Case struct {
		file        string
		size, conns int
	}
	var cases []h2Case
	head := []string{"server"}
	align := "l"
	for _, f := range h2Files {
		for _, n := range h.s.H2Conns {
			c := h2Case{f, h.fileSize(f), n}
			cases = append(cases, c)
			head = append(head, fmt.Sprintf("%s × %d", sizeName(c.size), n))
			align += "r"
		}
	}
	find := func(server string, c h2Case) *run { return h.findW("h2", server, c.size, c.conns, h.s.H2Streams) }
	label := func(c h2Case) string { return fmt.Sprintf("%s × %d", sizeName(c.size), c.conns) }

	fmt.Fprintf(b, "\n## HTTP/2 over TLS: GET %s, %d streams per connection\n\n", strings.Join(h2Files, " and "), h.s.H2Streams)
	fmt.Fprintf(b, "Requests per second from h2load (`-t 1 -m %d`, %v measured after %v warm-up), by file size × connections; HTTP/2 chosen by ALPN, a self-signed ECDSA P-256 certificate. "+
		"\"no h2\" means the server did not choose h2 in ALPN. Ratio rows: golws ÷ server, above 1 means golws did better.\n\n",
		h.s.H2Streams, time.Duration(h.s.H2Duration), time.Duration(h.s.Warmup))
	t := &mdTable{head: append(slices.Clone(head), "notes"), align: align + "l"}
	for _, d := range ds {
		row := []string{d.name}
		var notes noteList
		for _, c := range cases {
			r := find(d.name, c)
			notes.add(label(c), note(r))
			if s, ok := status(r); ok {
				row = append(row, s)
				continue
			}
			row = append(row, num(r.res.Rate))
		}
		t.add(append(row, notes.String())...)
	}
	if ref != nil {
		for _, d := range ds {
			if d == ref {
				continue
			}
			row := []string{ref.name + " ÷ " + d.name}
			for _, c := range cases {
				rr, r := find(ref.name, c), find(d.name, c)
				cell := "–"
				if rr != nil && rr.res != nil && rr.Error == "" && r != nil && r.res != nil && r.res.Rate > 0 {
					cell = ratio(rr.res.Rate / r.res.Rate)
				}
				row = append(row, cell)
			}
			t.add(append(row, "")...)
		}
	}
	b.WriteString(t.String())

	b.WriteString("\nServer CPU % / h2load CPU % over the measured interval / server peak RSS MiB, same cases.\n\n")
	t = &mdTable{head: head, align: align}
	for _, d := range ds {
		row := []string{d.name}
		for _, c := range cases {
			r := find(d.name, c)
			if r == nil || r.res == nil || r.ServerCPUPercent == nil {
				cell := "–"
				if r != nil && r.PeakRSSKiB > 0 {
					cell = "– / – / " + mib(r.PeakRSSKiB)
				}
				row = append(row, cell)
				continue
			}
			row = append(row, fmt.Sprintf("%s / %.0f / %s", pct(r.ServerCPUPercent), r.res.CPUPercent, mib(r.PeakRSSKiB)))
		}
		t.add(row...)
	}
	b.WriteString(t.String())
}
