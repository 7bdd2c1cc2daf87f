package lws_test

import (
	"os"
	"testing"

	"github.com/golws/lws"
)

// testLogLevel keeps test output to errors and warnings.
const testLogLevel = lws.LogErr | lws.LogWarn

func TestMain(m *testing.M) {
	// Keep test output to what matters; tests that look at log lines set
	// their own emitter.
	lws.SetLogLevel(testLogLevel, nil)
	os.Exit(m.Run())
}
