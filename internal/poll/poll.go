package poll

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
)

// Event bits, used both as interest (In, Out) and as results.
const (
	// In reports that the fd is readable, or that a listener has a
	// connection waiting to be accepted.
	In uint32 = 1 << iota
	// Out reports that the fd is writable, or that a non-blocking connect
	// has finished (successfully or not: check SO_ERROR).
	Out
	// Hup reports that the peer closed its side (EPOLLRDHUP, EPOLLHUP,
	// POLLHUP or POLLRDHUP): a read returns EOF once the remaining data has
	// been consumed. It is always reported together with In.
	Hup
	// Err reports an error condition on the fd (EPOLLERR, POLLERR or
	// POLLNVAL). It is always reported together with In and Out, so the
	// next read or write returns the error.
	Err
)

// Event is one readiness report.
type Event struct {
	// FD is the file descriptor the report is about.
	FD int32
	// Events is a combination of In, Out, Hup and Err.
	Events uint32
}

// Poller is a readiness backend. All methods except Wake belong to a single
// goroutine (the service loop) and must not be called concurrently.
type Poller interface {
	// Add starts watching fd with interest ev (In|Out subset).
	// Edge-triggered pollers always watch In|Out|Hup and ignore ev.
	Add(fd int, ev uint32) error
	// Modify changes the interest set of fd. Edge-triggered pollers ignore
	// it and return nil without a syscall.
	Modify(fd int, ev uint32) error
	// Delete stops watching fd (call before closing it).
	Delete(fd int) error
	// Wait blocks until at least one event, a Wake, or timeout (ms; <0 =
	// forever, 0 = do not block). It fills evs (never more than len(evs))
	// and returns the count. EINTR returns 0, nil. Wake-ups are consumed
	// internally and never appear in evs. evs must not be empty.
	Wait(evs []Event, timeoutMs int) (int, error)
	// EdgeTriggered reports whether readiness is reported once per change
	// (epoll EPOLLET) rather than while it lasts (poll).
	EdgeTriggered() bool
	// Wake makes a concurrent or the next Wait return promptly. It is the
	// only method safe to call from any goroutine, concurrently with
	// everything else; calls coalesce (many Wakes before a Wait cause at
	// most one early return).
	Wake() error
	// Name is "epoll" or "poll".
	Name() string
	// Close releases the poller's own fds. It does not close watched fds.
	Close() error
}

// backend is one entry of the per-platform backend table.
type backend struct {
	name string
	open func() (Poller, error)
}

// New returns the named backend: "epoll" (Linux only), "poll", or "" for
// the platform default (epoll on Linux, poll elsewhere). Unknown names give
// an error listing the valid ones.
func New(name string) (Poller, error) {
	if name == "" {
		name = defaultBackend
	}
	for _, b := range backends {
		if b.name == name {
			return b.open()
		}
	}
	if len(backends) == 0 {
		return nil, fmt.Errorf("poll: no backend is available on %s", runtime.GOOS)
	}
	valid := make([]string, 0, len(backends))
	for _, b := range backends {
		valid = append(valid, fmt.Sprintf("%q", b.name))
	}
	return nil, fmt.Errorf("poll: unknown backend %q on %s (valid: %s, or \"\" for the default, %q)",
		name, runtime.GOOS, strings.Join(valid, ", "), defaultBackend)
}

// errEmptyEvents is returned by Wait when evs has no room for any event.
var errEmptyEvents = errors.New("poll: Wait called with an empty event slice")

// errClosed reports use of a closed poller; it matches os.ErrClosed with
// errors.Is.
func errClosed(op string) error {
	return fmt.Errorf("poll: %s: %w", op, os.ErrClosed)
}

// clampTimeout maps every negative timeout to -1 (forever) and keeps
// positive ones within the range of the kernel's int argument.
func clampTimeout(ms int) int {
	switch {
	case ms < 0:
		return -1
	case ms > math.MaxInt32:
		return math.MaxInt32
	}
	return ms
}
