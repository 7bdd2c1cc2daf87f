package poll

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// defaultBackend is the backend New("") returns on Linux.
const defaultBackend = "epoll"

// backends lists the backends available on Linux.
var backends = []backend{
	{"epoll", func() (Poller, error) {
		p, err := newEpoll(newEventfdWaker)
		if err != nil {
			return nil, err
		}
		return p, nil
	}},
	{"poll", func() (Poller, error) {
		p, err := newPoll(newEventfdWaker)
		if err != nil {
			return nil, err
		}
		return p, nil
	}},
}

// pollRDHUP is requested on every poll(2) entry so a peer's half-close is
// reported as Hup.
const pollRDHUP = unix.POLLRDHUP

// newEventfdWaker returns a waker built on a non-blocking, close-on-exec
// eventfd.
func newEventfdWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("poll: eventfd: %w", err)
	}
	w := &waker{rfd: fd, wfd: fd, wlen: 8}
	binary.NativeEndian.PutUint64(w.msg[:], 1)
	return w, nil
}

// sysPoll runs poll(2) through ppoll, converting the timeout into ts (owned
// by the caller) so that no Timespec is allocated per call.
func sysPoll(fds []unix.PollFd, timeoutMs int, ts *unix.Timespec) (int, error) {
	if timeoutMs < 0 {
		return unix.Ppoll(fds, nil, nil)
	}
	*ts = unix.NsecToTimespec(int64(timeoutMs) * 1e6)
	return unix.Ppoll(fds, ts, nil)
}
