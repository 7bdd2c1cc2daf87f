package looptest

import (
	"testing"

	"golang.org/x/sys/unix"
)

// RaiseNofile lifts the soft descriptor limit (and the hard one, for root)
// to at least n for the rest of the test, which is skipped when the
// process may not raise it; the old limits come back when the test ends.
func RaiseNofile(t testing.TB, n uint64) {
	t.Helper()
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur >= n {
		return
	}
	saved := rl
	rl.Cur = max(rl.Cur, n)
	rl.Max = max(rl.Max, n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Skipf("cannot raise RLIMIT_NOFILE to %d: %v", n, err)
	}
	t.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &saved) })
}
