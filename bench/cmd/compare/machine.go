package main

import (
	"bufio"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// machineInfo describes where the comparison ran and with what.
type machineInfo struct {
	CPUModel   string            `json:"cpu_model"`
	CPUs       int               `json:"cpus"`
	MemoryMiB  int64             `json:"memory_mib"`
	Kernel     string            `json:"kernel"`
	OS         string            `json:"os"`
	Go         string            `json:"go"`
	ClkTck     float64           `json:"clk_tck"`
	NofileHard uint64            `json:"rlimit_nofile_hard"`
	PortRange  string            `json:"ip_local_port_range"`
	Versions   map[string]string `json:"versions"`
}

func collectMachine(h *harness, servers []serverDef) machineInfo {
	m := machineInfo{
		CPUModel:   cpuModel(),
		CPUs:       countCPUs(),
		MemoryMiB:  memTotalKiB() / 1024,
		Kernel:     readTrim("/proc/sys/kernel/osrelease"),
		OS:         osName(),
		Go:         runtime.Version(),
		ClkTck:     h.clkTck,
		NofileHard: h.nofile,
		PortRange:  strings.Join(strings.Fields(readTrim("/proc/sys/net/ipv4/ip_local_port_range")), "-"),
		Versions:   map[string]string{},
	}
	m.Versions["golws"] = golwsRevision()
	if rev := os.Getenv("GOLWS_BASE_REV"); rev != "" {
		m.Versions["golws-base"] = rev
	}
	// Module versions as linked into the binaries that were run.
	bins := []string{h.s.LoadTool}
	for _, d := range servers {
		if !filepath.IsAbs(d.bin) {
			bins = append(bins, d.path(h.s.Bin))
		}
	}
	for _, b := range bins {
		bi, err := buildinfo.ReadFile(b)
		if err != nil {
			continue
		}
		m.Versions["go (binaries)"] = bi.GoVersion
		for _, dep := range bi.Deps {
			switch dep.Path {
			case "github.com/lesismal/nbio", "github.com/gorilla/websocket", "github.com/coder/websocket":
				m.Versions[dep.Path] = dep.Version
			}
		}
	}
	for _, d := range servers {
		if d.debPackage != "" {
			m.Versions[d.debPackage] = debVersion(d.debPackage)
		}
	}
	if slices.Contains(h.s.Scenarios, "h2") {
		m.Versions["nghttp2-client (h2load)"] = debVersion("nghttp2-client")
	}
	if out, err := exec.Command("gnuplot", "--version").Output(); err == nil {
		m.Versions["gnuplot"] = strings.TrimPrefix(strings.TrimSpace(string(out)), "gnuplot ")
	}
	return m
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// countCPUs counts the machine's processors (not this process's affinity).
func countCPUs() int {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.NumCPU()
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, _, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "processor" {
			n++
		}
	}
	if n == 0 {
		return runtime.NumCPU()
	}
	return n
}

func memTotalKiB() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "unknown"
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times.
func clockTicks() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && n > 0 {
			return n
		}
	}
	return 100
}

// golwsRevision names the commit of the golws checkout the harness lives
// in, marked when the work tree has changes.
func golwsRevision() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown (no git checkout)"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += " (modified)"
	}
	return rev
}

func debVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil || len(out) == 0 {
		return "not installed"
	}
	return strings.TrimSpace(string(out))
}

func lookPath(name string) (string, error) { return exec.LookPath(name) }
