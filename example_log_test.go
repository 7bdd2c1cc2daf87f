package lws_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/golws/lws"
)

// Route lws logging to log/slog, with the user level enabled.
func ExampleSetLogLevel() {
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // drop the time for stable output
			}
			return a
		},
	})
	lws.SetLogLevel(lws.DefaultLogLevel|lws.LogUser, lws.SlogEmitter(slog.New(h)))
	defer lws.SetLogLevel(lws.DefaultLogLevel, lws.EmitStderr)

	lws.Noticef("listening on port %d\n", 7681)
	lws.Warnf("peer %s closed early", "10.0.0.2")
	lws.Userf("hello from %s", "the application")
	lws.Infof("not shown: INFO is not in the mask")
	fmt.Println("info visible:", lws.LogVisible(lws.LogInfo))

	// Output:
	// level=INFO msg="listening on port 7681" lws=NOTICE
	// level=WARN msg="peer 10.0.0.2 closed early" lws=WARN
	// level=INFO msg="hello from the application" lws=USER
	// info visible: false
}
