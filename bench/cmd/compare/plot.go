package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// series is one server's line in a plot.
type series struct {
	name   string
	color  string
	points [][2]float64
}

// serverColors keeps each server's colour the same in every plot.
var serverColors = map[string]string{
	"golws":           "#d62728",
	"golws-base":      "#e377c2",
	"nbio":            "#1f77b4",
	"gorilla":         "#2ca02c",
	"coder":           "#9467bd",
	"lws-test-server": "#ff7f0e",
	"nethttp-files":   "#7f7f7f",
}

// pointTypes are gnuplot's filled square, circle, triangles, diamond and
// pentagon.
var pointTypes = []int{5, 7, 9, 11, 13, 15}

func newSeries(name string) series {
	c, ok := serverColors[name]
	if !ok {
		c = "#17becf"
	}
	return series{name: name, color: c}
}

// plotSpec is one PNG made by gnuplot.
type plotSpec struct {
	file, title, xlabel, ylabel string
	logX, logY                  bool
	xFrom0                      bool
	series                      []series
}

// plot makes the PNGs for the scenarios that ran; it returns the files
// made.
func (h *harness) plot() ([]string, error) {
	var specs []plotSpec
	if sp := h.echoPlot(); len(sp.series) > 0 {
		specs = append(specs, sp)
	}
	if sp := h.echoFullRatePlot(); len(sp.series) > 0 {
		specs = append(specs, sp)
	}
	if sp := h.rssPlot(); len(sp.series) > 0 {
		specs = append(specs, sp)
	}
	if sp := h.slowPlot(); len(sp.series) > 0 {
		specs = append(specs, sp)
	}
	if len(specs) == 0 {
		return nil, nil
	}
	gnuplot, err := exec.LookPath("gnuplot")
	if err != nil {
		return nil, errors.New("gnuplot not found (Debian package gnuplot-nox)")
	}
	terminal := "png size 960,600"
	if out, err := exec.Command(gnuplot, "-e", "set terminal").CombinedOutput(); err == nil && strings.Contains(string(out), "pngcairo") {
		terminal = "pngcairo size 960,600 font 'sans,11'"
	}
	var made []string
	var errs []error
	for _, sp := range specs {
		script := filepath.Join(h.s.Out, strings.TrimSuffix(sp.file, ".png")+".gp")
		if err := os.WriteFile(script, []byte(sp.script(terminal)), 0o644); err != nil {
			errs = append(errs, err)
			continue
		}
		cmd := exec.Command(gnuplot, filepath.Base(script))
		cmd.Dir = h.s.Out
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v: %s", sp.file, err, strings.TrimSpace(string(out))))
			continue
		}
		made = append(made, sp.file)
	}
	return made, errors.Join(errs...)
}

// script is the gnuplot program for the plot, data inline.
func (sp plotSpec) script(terminal string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "set terminal %s\nset output '%s'\n", terminal, sp.file)
	fmt.Fprintf(&b, "set title %q\nset xlabel %q\nset ylabel %q\n", sp.title, sp.xlabel, sp.ylabel)
	b.WriteString("set grid\nset key outside right top\nset pointsize 1.5\n")
	if sp.logX {
		b.WriteString("set logscale x 10\n")
	}
	if sp.logY {
		b.WriteString("set logscale y 10\n")
	} else {
		b.WriteString("set yrange [0:*]\n")
	}
	if sp.xFrom0 {
		b.WriteString("set xrange [0:*]\n")
	}
	for i, s := range sp.series {
		fmt.Fprintf(&b, "$d%d << EOD\n", i)
		for _, p := range s.points {
			fmt.Fprintf(&b, "%g %g\n", p[0], p[1])
		}
		b.WriteString("EOD\n")
	}
	b.WriteString("plot ")
	for i, s := range sp.series {
		if i > 0 {
			b.WriteString(", \\\n     ")
		}
		fmt.Fprintf(&b, "$d%d using 1:2 with linespoints lw 2 pt %d lc rgb %q title %q", i, pointTypes[i%len(pointTypes)], s.color, s.name)
	}
	b.WriteString("\n")
	return b.String()
}

func (h *harness) echoPlot() plotSpec {
	return h.sweepPlot("echo-vs-conns.png",
		fmt.Sprintf("WebSocket echo, %d B messages, one in flight per connection", echoSweepSize), 1)
}

// echoFullRatePlot is echoPlot at full rate: fullRateWindow messages in
// flight per connection.
func (h *harness) echoFullRatePlot() plotSpec {
	return h.sweepPlot("echo-full-rate-vs-conns.png",
		fmt.Sprintf("WebSocket echo at full rate, %d B messages, %d in flight per connection",
			echoSweepSize, fullRateWindow), fullRateWindow)
}

// sweepPlot plots the echo sweep's throughput against connections for
// runs with inflight messages per connection.
func (h *harness) sweepPlot(file, title string, inflight int) plotSpec {
	sp := plotSpec{file: file, logX: true, title: title,
		xlabel: "connections", ylabel: "messages per second"}
	for _, d := range h.inScenario("echo") {
		s := newSeries(d.name)
		for _, n := range h.s.EchoSweep {
			if r := h.findW("echo", d.name, echoSweepSize, n, inflight); r != nil && r.res != nil && r.res.Rate > 0 {
				s.points = append(s.points, [2]float64{float64(n), r.res.Rate})
			}
		}
		if len(s.points) > 0 {
			sp.series = append(sp.series, s)
		}
	}
	return sp
}

func (h *harness) rssPlot() plotSpec {
	sp := plotSpec{file: "rss-vs-conns.png", xFrom0: true,
		title:  "Server RSS with idle WebSocket connections",
		xlabel: "idle connections", ylabel: "VmRSS (MiB)"}
	for _, d := range h.inScenario("idle") {
		s := newSeries(d.name)
		for _, n := range h.s.IdleCounts {
			if r := h.find("idle", d.name, 0, n); r != nil && r.PerConnKiB != nil {
				s.points = append(s.points, [2]float64{float64(n), float64(r.LoadedRSSKiB) / 1024})
			}
		}
		if len(s.points) > 0 {
			sp.series = append(sp.series, s)
		}
	}
	return sp
}

func (h *harness) slowPlot() plotSpec {
	sp := plotSpec{file: "slow-consumer.png", logY: true,
		title: fmt.Sprintf("Slow consumer: %d KiB messages sent flat out, read at %d KiB/s",
			h.s.SlowSize>>10, h.s.SlowReadRate>>10),
		xlabel: "seconds since the load started", ylabel: "server VmRSS (MiB, log scale)"}
	for _, d := range h.inScenario("slow") {
		r := h.find("slow", d.name, h.s.SlowSize, 1)
		if r == nil || len(r.Samples) == 0 {
			continue
		}
		s := newSeries(d.name)
		for _, smp := range r.Samples {
			s.points = append(s.points, [2]float64{smp.T, float64(smp.RSSKiB) / 1024})
		}
		sp.series = append(sp.series, s)
	}
	return sp
}
