package rawtest

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
)

func TestMain(m *testing.M) {
	// Errors and warnings go to standard error; the protocol's notices,
	// where it logs what it reads from its FIFO, go to the tests that
	// watch them.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn|lws.LogNotice, logs.emit)
	os.Exit(m.Run())
}

// logs hands the protocol's log lines to the tests watching them.
var logs logSink

type logSink struct {
	mu       sync.Mutex
	watchers map[chan string]bool
}

func (s *logSink) emit(level lws.LogLevel, line string) {
	if level&(lws.LogErr|lws.LogWarn) != 0 {
		lws.EmitStderr(level, line)
	}
	if !strings.HasPrefix(line, Name+": ") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- line:
		default: // a watcher that does not keep up misses lines
		}
	}
}

// watchLog returns the protocol's log lines from now until the test ends.
func watchLog(t *testing.T) <-chan string {
	ch := make(chan string, 1024)
	logs.mu.Lock()
	if logs.watchers == nil {
		logs.watchers = map[chan string]bool{}
	}
	logs.watchers[ch] = true
	logs.mu.Unlock()
	t.Cleanup(func() {
		logs.mu.Lock()
		delete(logs.watchers, ch)
		logs.mu.Unlock()
	})
	return ch
}

// awaitLog waits for the line want, skipping others.
func awaitLog(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	timeout := time.After(ioTimeout)
	var seen []string
	for {
		select {
		case line := <-ch:
			if line == want {
				return
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("no log line %q; saw %q", want, seen)
		}
	}
}
