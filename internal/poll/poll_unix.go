//go:build unix

package poll

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// poller is the level-triggered poll(2) backend.
type poller struct {
	// fds is the poll set; fds[0] is the waker's read side, so Wait always
	// handles the wake-up before it can run out of room in evs.
	fds []unix.PollFd
	// index maps a watched fd to its position in fds.
	index  map[int]int
	w      *waker
	ts     unix.Timespec // timeout buffer for sysPoll
	closed bool
}

// newPoll creates a poll(2) backend with a waker from mk.
func newPoll(mk func() (*waker, error)) (*poller, error) {
	w, err := mk()
	if err != nil {
		return nil, err
	}
	p := &poller{
		fds:   make([]unix.PollFd, 1, 16),
		index: make(map[int]int),
		w:     w,
	}
	p.fds[0].Fd = int32(w.rfd)
	setEvents(&p.fds[0].Events, unix.POLLIN)
	return p, nil
}

// pollInterest translates Event interest bits into poll(2) request bits.
// POLLRDHUP (where it exists) goes with In: a caller that stopped reading
// must not be woken on every poll by a peer's half-close it cannot act on
// yet. POLLHUP, POLLERR and POLLNVAL are reported whatever is requested.
func pollInterest(ev uint32) uint16 {
	var e uint16
	if ev&In != 0 {
		e |= unix.POLLIN | pollRDHUP
	}
	if ev&Out != 0 {
		e |= unix.POLLOUT
	}
	return e
}

// setEvents stores poll(2) request bits into a PollFd.Events field, which
// is int16 on most systems and uint16 on some (AIX).
func setEvents[T int16 | uint16](dst *T, e uint16) {
	*dst = T(e)
}

// fromPoll translates poll(2) result bits, passed as uint16 whatever the
// system's type of PollFd.Revents, into Event bits.
func fromPoll(re uint16) uint32 {
	var ev uint32
	if re&unix.POLLIN != 0 {
		ev |= In
	}
	if re&unix.POLLOUT != 0 {
		ev |= Out
	}
	if re&(unix.POLLHUP|pollRDHUP) != 0 {
		ev |= Hup | In
	}
	if re&(unix.POLLERR|unix.POLLNVAL) != 0 {
		ev |= Err | In | Out
	}
	return ev
}

// Add implements Poller.
func (p *poller) Add(fd int, ev uint32) error {
	if p.closed {
		return errClosed(fmt.Sprintf("add fd %d", fd))
	}
	if fd < 0 || int(int32(fd)) != fd {
		return fmt.Errorf("poll: add fd %d: %w", fd, unix.EBADF)
	}
	if _, ok := p.index[fd]; ok {
		return fmt.Errorf("poll: add fd %d: %w", fd, unix.EEXIST)
	}
	pfd := unix.PollFd{Fd: int32(fd)}
	setEvents(&pfd.Events, pollInterest(ev))
	p.index[fd] = len(p.fds)
	p.fds = append(p.fds, pfd)
	return nil
}

// Modify implements Poller.
func (p *poller) Modify(fd int, ev uint32) error {
	if p.closed {
		return errClosed(fmt.Sprintf("modify fd %d", fd))
	}
	i, ok := p.index[fd]
	if !ok {
		return fmt.Errorf("poll: modify fd %d: %w", fd, unix.ENOENT)
	}
	setEvents(&p.fds[i].Events, pollInterest(ev))
	return nil
}

// Delete implements Poller. The last entry of the poll set takes the place
// of the deleted one.
func (p *poller) Delete(fd int) error {
	if p.closed {
		return errClosed(fmt.Sprintf("delete fd %d", fd))
	}
	i, ok := p.index[fd]
	if !ok {
		return fmt.Errorf("poll: delete fd %d: %w", fd, unix.ENOENT)
	}
	last := len(p.fds) - 1
	if i != last {
		p.fds[i] = p.fds[last]
		p.index[int(p.fds[i].Fd)] = i
	}
	p.fds[last] = unix.PollFd{}
	p.fds = p.fds[:last]
	delete(p.index, fd)
	return nil
}

// Wait implements Poller. When more fds are ready than evs can hold, the
// rest are reported by the next Wait: readiness is level-triggered.
func (p *poller) Wait(evs []Event, timeoutMs int) (int, error) {
	n, _, err := p.wait(evs, timeoutMs)
	return n, err
}

// wait is Wait that also reports whether poll(2) was interrupted by a
// signal (EINTR, returned as 0 events and no error).
func (p *poller) wait(evs []Event, timeoutMs int) (int, bool, error) {
	if p.closed {
		return 0, false, errClosed("poll")
	}
	if len(evs) == 0 {
		return 0, false, errEmptyEvents
	}
	n, err := sysPoll(p.fds, clampTimeout(timeoutMs), &p.ts)
	if err != nil {
		if err == unix.EINTR {
			return 0, true, nil
		}
		return 0, false, fmt.Errorf("poll: poll: %w", err)
	}
	k := 0
	for i := 0; n > 0 && i < len(p.fds); i++ {
		re := p.fds[i].Revents
		if re == 0 {
			continue
		}
		n--
		if i == 0 {
			p.w.drain()
			continue
		}
		evs[k] = Event{FD: p.fds[i].Fd, Events: fromPoll(uint16(re))}
		k++
		if k == len(evs) {
			break
		}
	}
	return k, false, nil
}

// EdgeTriggered implements Poller; poll(2) is level-triggered.
func (p *poller) EdgeTriggered() bool { return false }

// Wake implements Poller.
func (p *poller) Wake() error { return p.w.wake() }

// Name implements Poller.
func (p *poller) Name() string { return "poll" }

// Close implements Poller. Closing twice is harmless.
func (p *poller) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.fds = nil
	p.index = nil
	return p.w.close()
}
