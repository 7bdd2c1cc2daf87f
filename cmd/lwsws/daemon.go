package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Daemonizing (lws's lws_daemonize), done the Go way: a Go process
// cannot fork and go on, so -D starts lwsws again, detached (its own
// session, no terminal, standard streams on /dev/null), and returns. The
// detached lwsws holds an exclusive lock on the lock file, with its pid
// written in it, for as long as it runs: a second -D with the same lock
// file refuses to start.

const envDaemon = "LWSWS_DAEMON"

// daemonized is set in the detached process once it holds its lock.
var daemonized bool

// daemonize starts the detached lwsws with args (less -D) and returns
// once it holds its lock.
func daemonize(args []string, lock string) error {
	if pid, held := lockHolder(lock); held {
		return fmt.Errorf("already running as pid %d (lock file %s)", pid, lock)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var rest []string
	for _, a := range args {
		if a != "-D" && a != "--daemonize" && a != "-daemonize" {
			rest = append(rest, a)
		}
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(self, rest...)
	cmd.Env = append(os.Environ(), envDaemon+"="+lock)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	w.Close()
	// The daemon closes its standard error (this pipe) once it holds the
	// lock, or writes why it could not start.
	var msg strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		msg.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if s := strings.TrimSpace(msg.String()); s != "" {
		return errors.New(s)
	}
	_ = cmd.Process.Release()
	return nil
}

// holdLock takes the daemon's lock and writes its pid; the descriptor
// stays open, so the lock lasts as long as the process. It then points
// standard error at /dev/null, which tells daemonize that start-up is
// done.
func holdLock(lock string) error {
	fd, err := syscall.Open(lock, syscall.O_RDWR|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("lock file %s is held: already running", lock)
	}
	_ = syscall.Ftruncate(fd, 0)
	_, _ = syscall.Write(fd, []byte(strconv.Itoa(os.Getpid())+"\n"))
	return nil
}

// detachStderr ends the daemon's reports to the starting process.
func detachStderr() {
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		_ = syscall.Dup2(int(null.Fd()), 2)
		null.Close()
	}
}

// lockHolder reports whether the lock file is held, and by which pid.
func lockHolder(lock string) (int, bool) {
	fd, err := syscall.Open(lock, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer syscall.Close(fd)
	if err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		return 0, false
	}
	b, _ := os.ReadFile(lock)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, true
}
