//go:build unix && !linux

package poll

import "golang.org/x/sys/unix"

// defaultBackend is the backend New("") returns outside Linux.
const defaultBackend = "poll"

// backends lists the backends available on this platform.
var backends = []backend{
	{"poll", func() (Poller, error) {
		p, err := newPoll(newPipeWaker)
		if err != nil {
			return nil, err
		}
		return p, nil
	}},
}

// pollRDHUP is zero where poll(2) has no POLLRDHUP: a peer's half-close is
// then seen as In followed by a read of EOF.
const pollRDHUP = 0

// sysPoll runs poll(2); ts is unused here.
func sysPoll(fds []unix.PollFd, timeoutMs int, _ *unix.Timespec) (int, error) {
	return unix.Poll(fds, timeoutMs)
}
