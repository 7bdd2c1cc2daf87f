//go:build unix && !linux

package poll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// extraBackends is empty: the pipe waker is already the default here.
var extraBackends []testBackend

// newPipe returns a non-blocking, close-on-exec pipe.
func newPipe(tb testing.TB) (r, w int) {
	tb.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		tb.Fatalf("pipe: %v", err)
	}
	nonblock(tb, p[0], p[1])
	return p[0], p[1]
}

// countFDs reports that descriptors cannot be counted here.
func countFDs(testing.TB) (int, bool) { return 0, false }

// wakerOf returns the waker of a poller.
func wakerOf(p Poller) *waker {
	if p, ok := p.(*poller); ok {
		return p.w
	}
	return nil
}
