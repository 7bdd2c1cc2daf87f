//go:build linux

package cgi

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// writeScript writes an executable shell script into a fresh directory
// and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// pump writes in to the script's stdin, closing it once all is written,
// and reads stdout and stderr until both reach EOF, all by polling the
// non-blocking descriptors the way the service loop does.
func pump(p *Process, in []byte, timeout time.Duration) (stdout, stderr []byte, err error) {
	deadline := time.Now().Add(timeout)
	if len(in) == 0 {
		p.CloseStdin()
	}
	buf := make([]byte, 4096)
	for p.Stdout >= 0 || p.Stderr >= 0 {
		left := time.Until(deadline)
		if left <= 0 {
			return stdout, stderr, errors.New("timed out")
		}
		var pfds []unix.PollFd
		if p.Stdin >= 0 {
			pfds = append(pfds, unix.PollFd{Fd: int32(p.Stdin), Events: unix.POLLOUT})
		}
		if p.Stdout >= 0 {
			pfds = append(pfds, unix.PollFd{Fd: int32(p.Stdout), Events: unix.POLLIN})
		}
		if p.Stderr >= 0 {
			pfds = append(pfds, unix.PollFd{Fd: int32(p.Stderr), Events: unix.POLLIN})
		}
		if _, err := unix.Poll(pfds, int(left/time.Millisecond)+1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return stdout, stderr, err
		}
		for _, pfd := range pfds {
			if pfd.Revents == 0 {
				continue
			}
			switch int(pfd.Fd) {
			case p.Stdin:
				n, err := unix.Write(p.Stdin, in)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					return stdout, stderr, fmt.Errorf("write stdin: %w", err)
				}
				in = in[n:]
				if len(in) == 0 {
					p.CloseStdin()
				}
			case p.Stdout:
				n, err := unix.Read(p.Stdout, buf)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					return stdout, stderr, fmt.Errorf("read stdout: %w", err)
				}
				if n == 0 {
					closeFD(&p.Stdout)
				}
				stdout = append(stdout, buf[:n]...)
			case p.Stderr:
				n, err := unix.Read(p.Stderr, buf)
				if err == unix.EAGAIN {
					continue
				}
				if err != nil {
					return stdout, stderr, fmt.Errorf("read stderr: %w", err)
				}
				if n == 0 {
					closeFD(&p.Stderr)
				}
				stderr = append(stderr, buf[:n]...)
			}
		}
	}
	return stdout, stderr, nil
}

// waitExit reaps p, waiting for it to exit for at most timeout: by
// polling a pidfd where the kernel has them, else by retrying Reap at
// poll-timed intervals.
func waitExit(p *Process, timeout time.Duration) (syscall.WaitStatus, error) {
	deadline := time.Now().Add(timeout)
	pidfd, err := unix.PidfdOpen(p.Pid, 0)
	if err != nil {
		pidfd = -1
	} else {
		defer unix.Close(pidfd)
	}
	for {
		exited, ws, err := p.Reap()
		if err != nil || exited {
			return ws, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return 0, errors.New("process did not exit in time")
		}
		if pidfd >= 0 {
			pfd := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
			unix.Poll(pfd, int(left/time.Millisecond)+1)
		} else {
			unix.Poll(nil, 5)
		}
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

func TestStartEcho(t *testing.T) {
	path := writeScript(t, `printf 'Content-Type: text/plain\r\n\r\n'
cat
echo "FOO=$FOO"
echo "cwd=$(pwd -P)"
echo "args=$#:$1:$2"
echo "to stderr" >&2
exit 0
`)
	env := []string{"FOO=bar baz", "PATH=" + defaultPath}
	p, err := Start(path, []string{"one", "two"}, env, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseFDs()
	for _, fd := range []int{p.Stdin, p.Stdout, p.Stderr} {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_NONBLOCK == 0 {
			t.Errorf("fd %d not non-blocking (flags %#x, %v)", fd, fl, err)
		}
		fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || fdfl&unix.FD_CLOEXEC == 0 {
			t.Errorf("fd %d not close-on-exec (%#x, %v)", fd, fdfl, err)
		}
	}

	// A body bigger than a pipe buffer exercises EAGAIN on stdin.
	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16*3)
	body = append(body, "END\n"...)
	out, errOut, err := pump(p, body, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	var h HeaderParser
	n, done, err := h.Parse(out)
	if err != nil || !done {
		t.Fatalf("head: done %v err %v in %q", done, err, out[:min(len(out), 100)])
	}
	if got := h.Headers(); len(got) != 1 || got[0] != [2]string{"Content-Type", "text/plain"} {
		t.Errorf("headers %q", got)
	}
	rest := out[n:]
	if !bytes.HasPrefix(rest, body) {
		t.Fatalf("body not echoed (got %d bytes, sent %d)", len(rest), len(body))
	}
	realDir, _ := filepath.EvalSymlinks(filepath.Dir(path))
	want := "FOO=bar baz\ncwd=" + realDir + "\nargs=2:one:two\n"
	if got := string(rest[len(body):]); got != want {
		t.Errorf("trailer %q, want %q", got, want)
	}
	if string(errOut) != "to stderr\n" {
		t.Errorf("stderr %q", errOut)
	}

	ws, err := waitExit(p, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("status %v", ws)
	}
	exited, ws2, err := p.Reap()
	if !exited || ws2 != ws || err != nil {
		t.Errorf("second Reap: %v %v %v", exited, ws2, err)
	}
}

func TestStartDirAndExitCode(t *testing.T) {
	dir := t.TempDir()
	path := writeScript(t, "pwd -P\nexit 3\n")
	// A relative path is resolved against the current directory, not dir.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(rel, nil, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseFDs()
	out, _, err := pump(p, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	if got := strings.TrimSpace(string(out)); got != realDir {
		t.Errorf("cwd %q, want %q", got, realDir)
	}
	ws, err := waitExit(p, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 3 {
		t.Errorf("status %v", ws)
	}
}

func TestKill(t *testing.T) {
	// sleep runs as a child of sh, in the script's process group and
	// holding its stdout: stdout only reaches EOF once the whole group is
	// gone.
	path := writeScript(t, "echo started\nsleep 30\necho not reached\n")
	p, err := Start(path, nil, []string{"PATH=" + defaultPath}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseFDs()
	p.CloseStdin()

	// Wait for the script to run.
	pfd := []unix.PollFd{{Fd: int32(p.Stdout), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, 5000); n != 1 || err != nil {
		t.Fatalf("script did not start: %d %v", n, err)
	}
	if exited, _, err := p.Reap(); exited || err != nil {
		t.Fatalf("Reap while running: %v %v", exited, err)
	}

	start := time.Now()
	p.Kill()
	out, _, err := pump(p, nil, 5*time.Second)
	if err != nil {
		t.Fatalf("stdout did not reach EOF after Kill: %v", err)
	}
	if string(out) != "started\n" {
		t.Errorf("stdout %q", out)
	}
	ws, err := waitExit(p, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("status %v, want killed by SIGKILL", ws)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("kill took %v", d)
	}
	// Killing a reaped, vanished group is harmless.
	p.Kill()
	if exited, ws2, err := p.Reap(); !exited || ws2 != ws || err != nil {
		t.Errorf("Reap after Kill: %v %v %v", exited, ws2, err)
	}
}

func TestNoFDLeak(t *testing.T) {
	path := writeScript(t, "exit 0\n")
	missing := filepath.Join(t.TempDir(), "missing")
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	run := func() {
		p, err := Start(path, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		p.CloseFDs()
		if p.Stdin != -1 || p.Stdout != -1 || p.Stderr != -1 {
			t.Fatalf("CloseFDs left %d %d %d", p.Stdin, p.Stdout, p.Stderr)
		}
		p.CloseFDs() // twice is harmless
		if _, err := waitExit(p, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	run() // warm up anything the runtime opens lazily

	before := openFDs(t)
	run()
	if _, err := Start(missing, nil, nil, ""); err == nil {
		t.Error("Start of a missing file succeeded")
	}
	if _, err := Start(plain, nil, nil, ""); !errors.Is(err, syscall.EACCES) {
		t.Errorf("Start of a non-executable file: %v", err)
	}
	if _, err := Start(path, nil, nil, filepath.Join(missing, "dir")); err == nil {
		t.Error("Start in a missing directory succeeded")
	}
	if after := openFDs(t); after != before {
		t.Errorf("open descriptors: %d before, %d after", before, after)
	}
}

func TestStartConcurrent(t *testing.T) {
	path := writeScript(t, "printf 'X: %s\\n\\n' \"$N\"\ncat\n")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				p, err := Start(path, nil, []string{fmt.Sprintf("N=%d", i)}, "")
				if err != nil {
					return err
				}
				defer p.CloseFDs()
				body := []byte(strings.Repeat("x", 1000*i))
				out, _, err := pump(p, body, 10*time.Second)
				if err != nil {
					return err
				}
				want := fmt.Sprintf("X: %d\n\n", i) + string(body)
				if string(out) != want {
					return fmt.Errorf("%d: got %d bytes %.40q", i, len(out), out)
				}
				ws, err := waitExit(p, 5*time.Second)
				if err != nil {
					return err
				}
				if ws.ExitStatus() != 0 {
					return fmt.Errorf("%d: status %v", i, ws)
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestReapNotStarted(t *testing.T) {
	var p Process
	if _, _, err := p.Reap(); err == nil {
		t.Error("Reap of a zero Process succeeded")
	}
	p.Kill() // no-op
}
