//go:build unix

package poll

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// waker is the wake-up channel of a poller: an eventfd on Linux, a pipe
// elsewhere. The poller watches rfd (level-triggered) for readability and
// Wake writes to wfd.
//
// pending coalesces wake-ups: only the Wake that moves it from 0 to 1
// writes, and Wait stores 0 only after draining rfd, so a Wake that comes
// after the drain always writes again and is never lost, while any number
// of Wakes before it cost one write and one early return.
type waker struct {
	rfd, wfd int // equal for an eventfd
	pending  atomic.Uint32

	// mu is held shared by Wake around its write and exclusively by close,
	// so a Wake racing with Close never writes to a closed (and possibly
	// reused) descriptor number.
	mu     sync.RWMutex
	closed atomic.Bool

	msg  [8]byte // what Wake writes: the first wlen bytes
	wlen int
	rbuf [8]byte // drain buffer; used only by the goroutine calling Wait
}

// newPipeWaker returns a waker built on a non-blocking, close-on-exec pipe.
func newPipeWaker() (*waker, error) {
	var p [2]int
	// Hold ForkLock so no child started by os/exec inherits the pipe
	// before it is marked close-on-exec.
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("poll: wake pipe: %w", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, fmt.Errorf("poll: wake pipe: set non-blocking fd %d: %w", fd, err)
		}
	}
	w := &waker{rfd: p[0], wfd: p[1], wlen: 1}
	w.msg[0] = 1
	return w, nil
}

// wake makes the read side readable unless a wake-up is already pending.
func (w *waker) wake() error {
	if w.closed.Load() {
		return errClosed("wake")
	}
	if !w.pending.CompareAndSwap(0, 1) {
		return nil // a write is already pending; this Wake coalesces with it
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed.Load() {
		return errClosed("wake")
	}
	for {
		_, err := unix.Write(w.wfd, w.msg[:w.wlen])
		switch err {
		case nil:
			return nil
		case unix.EAGAIN:
			// Full pipe or saturated eventfd counter: rfd is readable
			// already, which is all a wake-up needs.
			return nil
		case unix.EINTR:
			continue
		}
		w.pending.Store(0)
		return fmt.Errorf("poll: wake write fd %d: %w", w.wfd, err)
	}
}

// drain empties the read side after Wait found it readable, then re-arms
// Wake. It never blocks: rfd is non-blocking.
func (w *waker) drain() {
	for {
		n, err := unix.Read(w.rfd, w.rbuf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break // EAGAIN: empty
		}
	}
	w.pending.Store(0)
}

// close releases the waker's descriptors, waiting for any Wake that is in
// the middle of its write.
func (w *waker) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		return nil
	}
	w.closed.Store(true)
	err := unix.Close(w.rfd)
	if w.wfd != w.rfd {
		if err2 := unix.Close(w.wfd); err == nil {
			err = err2
		}
	}
	if err != nil {
		return fmt.Errorf("poll: close wake fd: %w", err)
	}
	return nil
}
