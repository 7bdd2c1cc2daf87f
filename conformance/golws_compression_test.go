package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/pmdeflate"
)

// pmdConfigs are the permessage-deflate settings golws is run with:
// lws's defaults, and the shared compressor (no context takeover either
// way, nothing kept between messages). The shared compressor runs group
// 13 alone unless -conformance.full or -conformance.cases says otherwise:
// its parameters are what it changes.
var pmdConfigs = []struct {
	name    string
	opts    pmdeflate.Options
	quick13 bool
}{
	{"defaults", pmdeflate.Options{}, false},
	{"shared_compressor", pmdeflate.Options{SharedCompressor: true}, true},
}

// configFilter is compressionOnly, narrowed to group 13 for a
// configuration that asks for it when the flags choose no cases.
func configFilter(t *testing.T, only13 bool) func(id string) bool {
	f := compressionOnly(t)
	if !only13 || *casesFlag != "" || *fullFlag {
		return f
	}
	return func(id string) bool { return strings.HasPrefix(id, "13.") && f(id) }
}

// checkCompression fails the test for every FAILED case, and for a case
// of group 12 that is not OK: golws must agree permessage-deflate on
// Autobahn's default offer. A case of 13 may be UNIMPLEMENTED (golws
// declined the parameters), which the log shows.
func checkCompression(t *testing.T, who string, rs []Result) {
	t.Helper()
	if len(rs) == 0 {
		t.Fatal("no case was run")
	}
	for _, r := range rs {
		if r.Behavior == Failed || strings.HasPrefix(r.Case, "12.") && r.Behavior != OK {
			t.Errorf("case %s %s against %s: %s", r.Case, r.Behavior, who, r.Detail)
		}
	}
}

// TestCompressionConformance runs groups 12 and 13 against golws's echo
// server with permessage-deflate.
func TestCompressionConformance(t *testing.T) {
	t.Parallel()
	for _, c := range pmdConfigs {
		t.Run(c.name, func(t *testing.T) {
			url := startEchoWith(t, []lws.Extension{lws.PermessageDeflate(c.opts)})
			start := time.Now()
			rs := RunClient(t.Context(), url, configFilter(t, c.quick13))
			t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
			checkCompression(t, "golws's server ("+c.name+")", rs)
		})
	}
}

// TestClientCompressionConformance runs groups 12 and 13 against golws's
// echoing client with permessage-deflate.
func TestClientCompressionConformance(t *testing.T) {
	t.Parallel()
	for _, c := range pmdConfigs {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			rs := RunServer(t.Context(), golwsConnectWith([]lws.Extension{lws.PermessageDeflate(c.opts)}), configFilter(t, c.quick13))
			t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
			checkCompression(t, "golws's client ("+c.name+")", rs)
		})
	}
}
