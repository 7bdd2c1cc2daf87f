package lws_test

import (
	"os"
	"testing"

	"github.com/golws/lws"
)

func TestMain(m *testing.M) {
	// Keep test output to what matters; tests that look at log lines set
	// their own emitter.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn, nil)
	os.Exit(m.Run())
}
