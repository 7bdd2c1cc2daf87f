// Package looptest runs a golws context's service loop for the tests of
// golws's other packages (plugins, conformance, tools): the loop runs on
// its own goroutine until the test ends, and then must stop within ten
// seconds. The root package's own tests have a richer harness.
package looptest

import (
	"context"
	"testing"
	"time"

	"github.com/golws/lws"
)

// stopTimeout bounds how long a stopping loop may take before the test
// fails.
const stopTimeout = 10 * time.Second

// Run services cx on a new goroutine until t ends; then the loop is
// stopped and cx destroyed. A Run error or a loop that does not stop
// fails the test. Create vhosts and read what is needed from them (a port)
// before calling Run: afterwards cx belongs to the loop's goroutine.
func Run(t testing.TB, cx *lws.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := cx.Run(ctx)
		cx.Destroy()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(stopTimeout):
			t.Error("the loop did not stop")
		}
	})
}
