package poll

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// epollFlags is the fixed, edge-triggered registration of every watched fd.
const epollFlags = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// epoller is the edge-triggered epoll backend.
type epoller struct {
	epfd int // -1 once closed
	w    *waker
	buf  []unix.EpollEvent // epoll_wait results, reused across calls
}

// newEpoll creates an epoll instance and registers a waker from mk on it,
// level-triggered.
func newEpoll(mk func() (*waker, error)) (*epoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("poll: epoll_create1: %w", err)
	}
	w, err := mk()
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(w.rfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, w.rfd, &ev); err != nil {
		w.close()
		unix.Close(epfd)
		return nil, fmt.Errorf("poll: epoll_ctl add wake fd %d: %w", w.rfd, err)
	}
	return &epoller{epfd: epfd, w: w}, nil
}

// Add implements Poller. ev is ignored: the fd is watched for In, Out and
// Hup, edge-triggered.
func (p *epoller) Add(fd int, ev uint32) error {
	if p.epfd < 0 {
		return errClosed(fmt.Sprintf("epoll_ctl add fd %d", fd))
	}
	e := unix.EpollEvent{Events: epollFlags, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &e); err != nil {
		return fmt.Errorf("poll: epoll_ctl add fd %d: %w", fd, err)
	}
	return nil
}

// Modify implements Poller. It does nothing: an edge-triggered fd is
// always watched for everything.
func (p *epoller) Modify(fd int, ev uint32) error {
	return nil
}

// Delete implements Poller.
func (p *epoller) Delete(fd int) error {
	if p.epfd < 0 {
		return errClosed(fmt.Sprintf("epoll_ctl del fd %d", fd))
	}
	var e unix.EpollEvent // ignored, but must be non-nil before Linux 2.6.9
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, &e); err != nil {
		return fmt.Errorf("poll: epoll_ctl del fd %d: %w", fd, err)
	}
	return nil
}

// Wait implements Poller. It asks the kernel for at most len(evs) events so
// that every event it receives can be handed on: with EPOLLET, an event
// epoll_wait returned is not reported again, while those left in the ready
// list come with the next Wait.
func (p *epoller) Wait(evs []Event, timeoutMs int) (int, error) {
	n, _, err := p.wait(evs, timeoutMs)
	return n, err
}

// wait is Wait that also reports whether epoll_wait was interrupted by a
// signal (EINTR, returned as 0 events and no error).
func (p *epoller) wait(evs []Event, timeoutMs int) (int, bool, error) {
	if p.epfd < 0 {
		return 0, false, errClosed("epoll_wait")
	}
	if len(evs) == 0 {
		return 0, false, errEmptyEvents
	}
	if cap(p.buf) < len(evs) {
		p.buf = make([]unix.EpollEvent, len(evs))
	}
	buf := p.buf[:len(evs)]
	n, err := unix.EpollWait(p.epfd, buf, clampTimeout(timeoutMs))
	if err != nil {
		if err == unix.EINTR {
			return 0, true, nil
		}
		return 0, false, fmt.Errorf("poll: epoll_wait: %w", err)
	}
	k := 0
	for i := range n {
		e := &buf[i]
		if int(e.Fd) == p.w.rfd {
			p.w.drain()
			continue
		}
		evs[k] = Event{FD: e.Fd, Events: fromEpoll(e.Events)}
		k++
	}
	return k, false, nil
}

// fromEpoll translates epoll result bits into Event bits.
func fromEpoll(e uint32) uint32 {
	var ev uint32
	if e&unix.EPOLLIN != 0 {
		ev |= In
	}
	if e&unix.EPOLLOUT != 0 {
		ev |= Out
	}
	if e&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		ev |= Hup | In
	}
	if e&unix.EPOLLERR != 0 {
		ev |= Err | In | Out
	}
	return ev
}

// EdgeTriggered implements Poller; epoll is edge-triggered.
func (p *epoller) EdgeTriggered() bool { return true }

// Wake implements Poller.
func (p *epoller) Wake() error { return p.w.wake() }

// Name implements Poller.
func (p *epoller) Name() string { return "epoll" }

// Close implements Poller. Closing twice is harmless.
func (p *epoller) Close() error {
	if p.epfd < 0 {
		return nil
	}
	err := p.w.close()
	if err2 := unix.Close(p.epfd); err2 != nil && err == nil {
		err = fmt.Errorf("poll: close epoll fd %d: %w", p.epfd, err2)
	}
	p.epfd = -1
	return err
}
