package postdemo

import (
	"os"
	"testing"

	"github.com/golws/lws"
)

func TestMain(m *testing.M) {
	// Keep test output to errors and warnings.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn, nil)
	os.Exit(m.Run())
}
