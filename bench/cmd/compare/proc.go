package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process started in its own process group, optionally
// pinned to one CPU with taskset, whose output goes to a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has exited
	waitErr error         // Wait's result, valid once done is closed

	lines chan string // stdout lines, when captured; closed at EOF
	stdin io.WriteCloser
}

// procSpec says how to start a proc.
type procSpec struct {
	name    string
	argv    []string
	cpu     int      // CPU to pin to, or -1 for none
	env     []string // added to the inherited environment
	logPath string   // stdout (unless captured) and stderr go here
	capture bool     // deliver stdout line by line on proc.lines
	stdin   bool     // give the process a pipe as stdin (proc.stdin)
}

// startProc starts the process described by s. The process group is
// killed when the caller's stop runs; the kernel also kills the direct
// child should this program die first (Pdeathsig).
func startProc(s procSpec) (*proc, error) {
	argv := s.argv
	if s.cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(s.cpu)}, argv...)
	}
	log, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own copy
	fmt.Fprintf(log, "# %s\n", strings.Join(append(slices.Clone(s.env), argv...), " "))

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if len(s.env) > 0 {
		cmd.Env = append(os.Environ(), s.env...)
	}
	cmd.Stderr = log
	cmd.Stdout = log
	p := &proc{name: s.name, cmd: cmd, logPath: s.logPath, done: make(chan struct{})}

	var outR, outW, inR, inW *os.File
	closeAll := func() {
		for _, f := range []*os.File{outR, outW, inR, inW} {
			if f != nil {
				f.Close()
			}
		}
	}
	if s.capture {
		if outR, outW, err = os.Pipe(); err != nil {
			return nil, err
		}
		cmd.Stdout = outW
	}
	if s.stdin {
		if inR, inW, err = os.Pipe(); err != nil {
			closeAll()
			return nil, err
		}
		cmd.Stdin = inR
	}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("starting %s: %w", s.name, err)
	}
	if outW != nil {
		outW.Close()
		p.lines = make(chan string, 16)
		go func() {
			defer close(p.lines)
			defer outR.Close()
			sc := bufio.NewScanner(outR)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			for sc.Scan() {
				p.lines <- sc.Text()
			}
		}()
	}
	if inR != nil {
		inR.Close()
		p.stdin = inW
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid is the process's id (taskset execs the program, so it is the
// program's own).
func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process group: SIGTERM, then SIGKILL if the leader is still
// there after grace; whatever else is left in the group is killed too.
func (p *proc) stop(grace time.Duration) {
	if p.stdin != nil {
		p.stdin.Close()
	}
	pgid := p.pid()
	if !p.exited() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // stragglers in the group, if any
}

// failure describes how the process ended, with the end of its log.
func (p *proc) failure() string {
	state := "still running"
	if p.exited() {
		state = "exited"
		if p.waitErr != nil {
			state = p.waitErr.Error()
		}
	}
	if tail := logTail(p.logPath, 3); tail != "" {
		return fmt.Sprintf("%s %s: %s", p.name, state, tail)
	}
	return fmt.Sprintf("%s %s", p.name, state)
}

// logTail returns the last n non-empty lines of a log, without the command
// line header, joined by " | ".
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var keep []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		keep = append(keep, string(l))
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, " | ")
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitPort polls until a TCP connection to the port succeeds, the process
// exits, the limit passes, or ctx ends.
func waitPort(ctx context.Context, port int, p *proc, limit time.Duration) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept on %s within %v (%v)", p.name, addr, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return errors.New(p.failure())
		case <-tick.C:
		}
	}
}

// procStat is what /proc says about a process at one moment.
type procStat struct {
	at     time.Time
	ticks  int64 // utime+stime in clock ticks
	rssKiB int64 // VmRSS
}

// readStat reads a process's CPU time and resident set size.
func readStat(pid int) (procStat, error) {
	st := procStat{at: time.Now()}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'. fields[0] is the state (field 3 of proc(5)), so utime
	// (14) and stime (15) are fields[11] and fields[12].
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return st, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return st, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return st, err
	}
	st.ticks = ut + stime
	st.rssKiB, err = readRSS(pid)
	return st, err
}

// readRSS returns VmRSS from /proc/PID/status, in KiB.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// sampler reads a process's /proc figures at a fixed interval.
type sampler struct {
	pid   int
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	stats []procStat
	// over is closed when the RSS first exceeds the cap given to
	// startSampler (never, for a cap of 0).
	over chan struct{}
}

func startSampler(pid int, every time.Duration, capKiB int64) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{}), over: make(chan struct{})}
	var closed bool
	take := func() {
		if st, err := readStat(pid); err == nil {
			s.mu.Lock()
			s.stats = append(s.stats, st)
			s.mu.Unlock()
			if capKiB > 0 && st.rssKiB > capKiB && !closed {
				closed = true
				close(s.over)
			}
		}
	}
	take()
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				take()
				return
			case <-t.C:
				take()
			}
		}
	}()
	return s
}

// finish stops sampling and returns every sample taken.
func (s *sampler) finish() []procStat {
	close(s.stop)
	<-s.done
	return s.stats
}

// ticksAt interpolates a process's cumulative CPU ticks at time t from
// samples ordered by time.
func ticksAt(stats []procStat, t time.Time) float64 {
	if len(stats) == 0 {
		return 0
	}
	if !t.After(stats[0].at) {
		return float64(stats[0].ticks)
	}
	for i := 1; i < len(stats); i++ {
		a, b := stats[i-1], stats[i]
		if t.After(b.at) {
			continue
		}
		span := b.at.Sub(a.at).Seconds()
		if span <= 0 {
			return float64(b.ticks)
		}
		frac := t.Sub(a.at).Seconds() / span
		return float64(a.ticks) + frac*float64(b.ticks-a.ticks)
	}
	return float64(stats[len(stats)-1].ticks)
}

// cpuBetween returns the CPU seconds a process used between t0 and t1.
func cpuBetween(stats []procStat, t0, t1 time.Time, clkTck float64) float64 {
	return (ticksAt(stats, t1) - ticksAt(stats, t0)) / clkTck
}

// pfKthread is PF_KTHREAD in a process's flags (proc(5) field 9).
const pfKthread = 0x00200000

// othersTicks sums the CPU time, in clock ticks, of every user-space
// process except this one and those in exclude, with the time of their
// reaped children (so short-lived processes count once their parent
// collects them). Kernel threads are left out: softirq work for the
// harness's own loopback traffic runs in them.
func othersTicks(exclude ...int) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	var total int64
next:
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		for _, x := range exclude {
			if pid == x {
				continue next
			}
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 15 {
			continue
		}
		if flags, err := strconv.ParseUint(f[6], 10, 64); err != nil || flags&pfKthread != 0 {
			continue
		}
		for _, k := range f[11:15] { // utime, stime, cutime, cstime
			n, _ := strconv.ParseInt(k, 10, 64)
			total += n
		}
	}
	return total
}

// cpuStat is the time, in clock ticks, a set of CPUs spent in total and
// stolen by the hypervisor, from /proc/stat.
type cpuStat struct{ total, steal int64 }

// readCPUStat sums /proc/stat's lines for the given CPUs (all CPUs when
// none is given).
func readCPUStat(cpus ...int) cpuStat {
	var st cpuStat
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return st
	}
	want := map[string]bool{}
	for _, c := range cpus {
		want["cpu"+strconv.Itoa(c)] = true
	}
	if len(want) == 0 {
		want["cpu"] = true
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !want[f[0]] {
			continue
		}
		// user nice system idle iowait irq softirq steal (guest time is
		// already part of user).
		for i, v := range f[1:9] {
			n, _ := strconv.ParseInt(v, 10, 64)
			st.total += n
			if i == 7 {
				st.steal += n
			}
		}
	}
	return st
}

// stealPercent is the share of the CPUs' time stolen between two readings.
func stealPercent(a, b cpuStat) float64 {
	if b.total <= a.total {
		return 0
	}
	return 100 * float64(b.steal-a.steal) / float64(b.total-a.total)
}
