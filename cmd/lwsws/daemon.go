package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemonizing (lws's lws_daemonize), done the Go way: a Go process
// cannot fork and go on, so -D starts lwsws again, detached (its own
// session, no terminal, standard streams on /dev/null), and returns. The
// detached lwsws holds an exclusive lock on the lock file, with its pid
// written in it, for as long as it runs: a second -D with the same lock
// file refuses to start.
//
// As lws's parent waits for its child's signal, -D waits until the
// daemon serves, or has failed. The daemon's standard error is a pipe to
// -D until then, and it says it serves on a second pipe, its descriptor
// statusFD: -D then exits with status 0 and prints nothing, the daemon's
// notices and warnings included. If the daemon ends without saying so,
// -D prints what it wrote and fails.

const envDaemon = "LWSWS_DAEMON"

// statusFD is the daemon's descriptor for saying it serves.
const statusFD = 3

// daemonized is set in the detached process once it holds its lock.
var daemonized bool

// daemonize starts the detached lwsws with args (less -D) and returns
// once it serves, or with an error once it has failed, after copying
// what it wrote to standard error.
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
	logR, logW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer logR.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		logW.Close()
		return err
	}
	defer statusR.Close()
	cmd := exec.Command(self, rest...)
	cmd.Env = append(os.Environ(), envDaemon+"="+lock)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, logW
	cmd.ExtraFiles = []*os.File{statusW} // statusFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	logW.Close()
	statusW.Close()
	if err != nil {
		return err
	}
	// The log is read as it comes, so that a talkative start cannot fill
	// the pipe and stop the daemon.
	var log bytes.Buffer
	logDone := make(chan struct{})
	go func() {
		_, _ = io.Copy(&log, logR)
		close(logDone)
	}()
	status, _ := io.ReadAll(statusR)
	if string(status) == "ok\n" {
		_ = cmd.Process.Release()
		return nil
	}
	werr := cmd.Wait()
	select {
	case <-logDone:
	case <-time.After(5 * time.Second): // a child of the daemon still holds the pipe
		logR.Close()
		<-logDone
	}
	_, _ = os.Stderr.Write(log.Bytes())
	if werr == nil {
		werr = errors.New("it exited")
	}
	return fmt.Errorf("the daemon did not start: %w", werr)
}

// daemonStarted, in the daemon, ends its reports to -D: its standard
// error goes to /dev/null, and it says it serves.
func daemonStarted() {
	if !daemonized {
		return
	}
	detachStderr()
	f := os.NewFile(statusFD, "lwsws-status")
	_, _ = f.WriteString("ok\n")
	f.Close()
}

// holdLock takes the daemon's lock and writes its pid; the descriptor
// stays open, so the lock lasts as long as the process. statusFD is kept
// from the processes the daemon starts.
func holdLock(lock string) error {
	syscall.CloseOnExec(statusFD)
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

// detachStderr points standard error at /dev/null.
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
