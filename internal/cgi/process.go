//go:build unix

package cgi

import (
	"errors"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Process is a running CGI script started by [Start]. The descriptors are
// the parent's ends of the script's pipes; they are non-blocking and
// close-on-exec, and are meant to be adopted by the service loop. A
// descriptor that has been closed is -1.
//
// A Process is not safe for concurrent use.
type Process struct {
	// Pid is the script's process id. The script leads its own process
	// group, whose id is also Pid.
	Pid int
	// Stdin is the write end of the script's standard input.
	Stdin int
	// Stdout is the read end of the script's standard output.
	Stdout int
	// Stderr is the read end of the script's standard error.
	Stderr int

	reaped bool
	status syscall.WaitStatus
}

// Start runs the executable at path with the given arguments (those after
// argv[0], which is path itself) and environment, in dir, or in the
// directory holding path when dir is "". A relative path is taken relative
// to the current directory, not to dir.
//
// The script's standard input, output and error are pipes whose other
// ends are returned in the [Process]. Descriptors Go opens are
// close-on-exec, so the script inherits only those three. The
// script is made leader of a new process group so that [Process.Kill]
// reaches whatever it spawned.
//
// Start does not block on the script and may be called while other
// goroutines run, fork or exec: the pipes are created close-on-exec
// atomically and syscall.ForkExec serialises with the rest of the
// runtime. On error no descriptor is left open and no process is left
// behind.
func Start(path string, args []string, env []string, dir string) (*Process, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = filepath.Dir(abs)
	}
	argv := make([]string, 0, 1+len(args))
	argv = append(argv, abs)
	argv = append(argv, args...)

	// fds[0..1] stdin (child reads 0), fds[2..3] stdout (child writes 3),
	// fds[4..5] stderr (child writes 5).
	fds := [6]int{-1, -1, -1, -1, -1, -1}
	closeAll := func() {
		for i, fd := range fds {
			if fd >= 0 {
				unix.Close(fd)
				fds[i] = -1
			}
		}
	}
	for i := 0; i < 3; i++ {
		var p [2]int
		if err := pipeCloexec(&p); err != nil {
			closeAll()
			return nil, err
		}
		fds[2*i], fds[2*i+1] = p[0], p[1]
	}
	parent := [3]int{fds[1], fds[2], fds[4]}
	for _, fd := range parent {
		if err := unix.SetNonblock(fd, true); err != nil {
			closeAll()
			return nil, err
		}
	}

	pid, err := syscall.ForkExec(abs, argv, &syscall.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []uintptr{uintptr(fds[0]), uintptr(fds[3]), uintptr(fds[5])},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	for _, i := range [3]int{0, 3, 5} {
		unix.Close(fds[i])
	}
	return &Process{Pid: pid, Stdin: parent[0], Stdout: parent[1], Stderr: parent[2]}, nil
}

// Kill sends SIGKILL to the script's process group, so that children the
// script started die with it. A group that is already gone is not an
// error.
//
// Kill may be called after [Process.Reap] has reported the exit, to get
// rid of background children that still hold the pipes open. The group id
// cannot be reused while any member is alive; once all are gone a late
// Kill could only reach an unrelated group that took the same number, so
// call it soon after the script's end, not at some arbitrary later time.
func (p *Process) Kill() {
	if p.Pid <= 0 {
		return
	}
	// ForkExec returns only once the child has exec'd, after it made
	// itself a group leader, so the group exists from Start on. ESRCH
	// (group gone) is all the error there could be, and is fine.
	unix.Kill(-p.Pid, unix.SIGKILL)
}

// Reap collects the script's exit status without blocking (wait4 with
// WNOHANG). It reports exited=false while the script still runs. Once the
// exit has been collected, later calls report it again without waiting.
func (p *Process) Reap() (exited bool, status syscall.WaitStatus, err error) {
	if p.reaped {
		return true, p.status, nil
	}
	if p.Pid <= 0 {
		return false, 0, errors.New("cgi: reap of a process that was not started")
	}
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(p.Pid, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return false, 0, err
		}
		if wpid != p.Pid {
			return false, 0, nil
		}
		p.reaped, p.status = true, ws
		return true, ws, nil
	}
}

// CloseStdin closes the script's standard input, if still open, telling
// it the request body is complete.
func (p *Process) CloseStdin() {
	closeFD(&p.Stdin)
}

// CloseFDs closes whichever of Stdin, Stdout and Stderr are still open and
// sets them to -1. A descriptor the loop has adopted and closed itself
// must be set to -1 first so it is not closed twice.
func (p *Process) CloseFDs() {
	closeFD(&p.Stdin)
	closeFD(&p.Stdout)
	closeFD(&p.Stderr)
}

// closeFD closes *fd when it is open and marks it closed.
func closeFD(fd *int) {
	if *fd >= 0 {
		unix.Close(*fd)
		*fd = -1
	}
}
