package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

// lwsws with a configuration directory runs as lws's lwsws does: a parent
// process that stays up, and a child that serves. The parent binds every
// listen socket and hands them to the child (so it may drop privileges
// and still have ports below 1024). SIGHUP makes the parent read the
// configuration again and start a new child on the same sockets; once the
// new child is ready, the old one is told to deprecate: it stops
// accepting, serves its open connections until they close, then exits.
// No connection is refused or dropped along the way. SIGTERM and SIGINT
// stop every child, then the parent.

// Environment of a child.
const (
	envWorker    = "LWSWS_WORKER"    // set in a child
	envListeners = "LWSWS_LISTENERS" // key=fd;key=fd...
	envReady     = "LWSWS_READY_FD"  // the descriptor to say "ready" on
	// envDetach tells a child of a daemon to point its standard error,
	// which -D reads until the daemon serves, at /dev/null before it
	// says it is ready.
	envDetach = "LWSWS_DETACH"
)

// listenKey names a vhost's listen socket: vhosts with the same key share
// one.
func listenKey(vi *lws.VhostInfo) string {
	if vi.UnixSocket {
		return "unix|" + vi.Iface
	}
	return "tcp|" + vi.Iface + "|" + strconv.Itoa(vi.Port)
}

// supervisor is the parent process.
type supervisor struct {
	dir       string
	args      []string       // the command line, passed on to children
	listeners map[string]int // raw descriptors: never handed to os.File, whose Fd would make them blocking
	worker    *child
	exited    chan *child // children that ended
	live      int         // children started and not ended
}

// child is one serving process.
type child struct {
	proc  *os.Process
	state *os.ProcessState
	ready bool // it said it serves
}

func supervise(dir string, allPlugins bool, args []string) int {
	s := &supervisor{dir: dir, args: args, listeners: map[string]int{}, exited: make(chan *child, 8)}
	srv, err := loadDir(dir, allPlugins)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	if err := s.bind(srv); err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		return 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
	w, err := s.spawn()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lwsws:", err)
		s.waitAll()
		return 1
	}
	s.worker = w
	// Start-up went well: -D may return.
	daemonStarted()
	for {
		select {
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				lws.Noticef("lwsws: %v: stopping", sig)
				s.signalAll(syscall.SIGTERM)
				s.waitAll()
				return 0
			}
			s.reload(allPlugins)
		case c := <-s.exited:
			s.live--
			switch {
			case c == s.worker:
				fmt.Fprintf(os.Stderr, "lwsws: the serving process %d ended: %v\n", c.proc.Pid, c.state)
				s.signalAll(syscall.SIGTERM)
				s.waitAll()
				return 1
			case c.ready:
				lws.Noticef("lwsws: the previous serving process %d has drained and exited", c.proc.Pid)
			default:
				lws.Noticef("lwsws: serving process %d, which did not start, ended: %v", c.proc.Pid, c.state)
			}
		}
	}
}

// waitAll waits until every child has ended.
func (s *supervisor) waitAll() {
	for s.live > 0 {
		<-s.exited
		s.live--
	}
}

// children remembers every child started, for signalAll.
var children atomic.Pointer[[]*child]

func (s *supervisor) signalAll(sig os.Signal) {
	if p := children.Load(); p != nil {
		for _, c := range *p {
			_ = c.proc.Signal(sig) // an ended one just refuses
		}
	}
}

// reload reads the configuration again and replaces the serving child;
// on any error the running child stays.
func (s *supervisor) reload(allPlugins bool) {
	lws.Noticef("lwsws: SIGHUP: reading %s again", s.dir)
	srv, err := loadDir(s.dir, allPlugins)
	if err == nil {
		err = s.bind(srv)
	}
	if err != nil {
		lws.Errf("lwsws: reload refused, the running configuration stays: %v", err)
		return
	}
	old := s.worker
	w, err := s.spawn()
	if err != nil {
		lws.Errf("lwsws: reload failed, the running configuration stays: %v", err)
		return
	}
	s.worker = w
	_ = old.proc.Signal(syscall.SIGHUP)
	// Sockets the new configuration no longer has: close them.
	keep := map[string]bool{}
	for i := range srv.vhosts {
		keep[listenKey(&srv.vhosts[i])] = true
	}
	for k, fd := range s.listeners {
		if !keep[k] {
			syscall.Close(fd)
			delete(s.listeners, k)
		}
	}
	lws.Noticef("lwsws: reloaded: process %d serves, %d drains", w.proc.Pid, old.proc.Pid)
}

// bind opens the listen sockets the configuration needs and has not got.
func (s *supervisor) bind(srv *server) error {
	for i := range srv.vhosts {
		vi := &srv.vhosts[i]
		if vi.Port == lws.PortNoListen {
			continue
		}
		k := listenKey(vi)
		if _, ok := s.listeners[k]; ok {
			continue
		}
		fd, err := listenFD(vi)
		if err != nil {
			return fmt.Errorf("vhost %q: %w", vi.Name, err)
		}
		s.listeners[k] = fd
	}
	return nil
}

// listenFD opens a vhost's listen socket as lws would, and returns a
// duplicate of its descriptor (non-blocking, close-on-exec).
func listenFD(vi *lws.VhostInfo) (int, error) {
	if vi.UnixSocket {
		if st, err := os.Lstat(vi.Iface); err == nil && st.Mode()&os.ModeSocket != 0 {
			os.Remove(vi.Iface)
		}
		ln, err := net.Listen("unix", vi.Iface)
		if err != nil {
			return -1, err
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		defer ln.Close()
		if err := os.Chmod(vi.Iface, 0o600); err != nil {
			return -1, err
		}
		return dupListener(ln.(syscall.Conn))
	}
	host := vi.Iface
	if host != "" && net.ParseIP(host) == nil {
		ifi, err := net.InterfaceByName(host)
		if err != nil {
			return -1, fmt.Errorf("interface %q: %w", host, err)
		}
		addrs, _ := ifi.Addrs()
		host = ""
		for _, a := range addrs {
			if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil {
				host = ip.IP.String()
				break
			}
		}
		if host == "" {
			return -1, fmt.Errorf("interface %q has no IPv4 address", vi.Iface)
		}
	}
	network := "tcp"
	if vi.Options&lws.OptionDisableIPv6 != 0 {
		network = "tcp4"
	}
	lc := net.ListenConfig{}
	if vi.BindIface {
		// lws's bind_iface: serve that interface only (needs root or
		// CAP_NET_RAW, which the parent has)
		lc.Control = func(_, _ string, rc syscall.RawConn) error {
			var berr error
			if err := rc.Control(func(fd uintptr) { berr = unix.BindToDevice(int(fd), vi.Iface) }); err != nil {
				return err
			}
			return berr
		}
	}
	ln, err := lc.Listen(context.Background(), network, net.JoinHostPort(host, strconv.Itoa(vi.Port)))
	if err != nil {
		return -1, err
	}
	defer ln.Close()
	return dupListener(ln.(syscall.Conn))
}

// dupListener duplicates a listener's descriptor without going through
// os.File (whose Fd puts the shared socket in blocking mode, which would
// make a serving process block in accept).
func dupListener(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) {
		fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return fd, derr
}

// spawn starts a serving child on the listen sockets and waits until it
// says it is ready.
func (s *supervisor) spawn() (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	pr := os.NewFile(uintptr(p[0]), "ready")
	defer pr.Close()
	files := []uintptr{0, 1, 2}
	var keys []string
	for k, fd := range s.listeners {
		keys = append(keys, k+"="+strconv.Itoa(len(files)))
		files = append(files, uintptr(fd))
	}
	ready := len(files)
	files = append(files, uintptr(p[1]))
	env := append(os.Environ(), envWorker+"=1", envListeners+"="+strings.Join(keys, ";"), envReady+"="+strconv.Itoa(ready))
	if daemonized {
		env = append(env, envDetach+"=1")
	}
	// A child is told to stop if the parent dies without stopping it.
	pid, err := syscall.ForkExec(self, append([]string{self}, s.args...), &syscall.ProcAttr{Env: env, Files: files,
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}})
	syscall.Close(p[1])
	if err != nil {
		return nil, err
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil, err
	}
	c := &child{proc: proc}
	s.live++
	list := []*child{c}
	if old := children.Load(); old != nil {
		list = append(list, *old...)
	}
	children.Store(&list)
	go func() {
		c.state, _ = proc.Wait()
		s.exited <- c
	}()
	line := make(chan error, 1)
	go func() {
		l, err := bufio.NewReader(pr).ReadString('\n')
		if err == nil && l != "ready\n" {
			err = fmt.Errorf("the serving process said %q", l)
		}
		line <- err
	}()
	select {
	case err := <-line:
		if err != nil {
			_ = proc.Kill()
			return nil, errors.New("the serving process did not start")
		}
	case <-time.After(30 * time.Second):
		_ = proc.Kill()
		return nil, errors.New("the serving process did not get ready in 30 s")
	}
	c.ready = true
	return c, nil
}

// inheritedListeners reads a child's listen sockets from its environment.
func inheritedListeners() map[string]int {
	m := map[string]int{}
	for _, kv := range strings.Split(os.Getenv(envListeners), ";") {
		k, v, ok := strings.Cut(kv, "=")
		if fd, err := strconv.Atoi(v); ok && err == nil {
			m[k] = fd
		}
	}
	return m
}

// sayReady tells the parent the child serves.
func sayReady() {
	fd, err := strconv.Atoi(os.Getenv(envReady))
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	_, _ = f.WriteString("ready\n")
	f.Close()
}
