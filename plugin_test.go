package lws_test

import (
	"slices"
	"testing"

	"github.com/golws/lws"
	_ "github.com/golws/lws/plugins/fraggle"
	_ "github.com/golws/lws/plugins/status"
)

func TestPluginsRegisterByName(t *testing.T) {
	names := lws.RegisteredProtocols()
	for _, want := range []string{"lws-echo", "dumb-increment-protocol", "lws-mirror-protocol", "lws-status", "fraggle-protocol"} {
		if !slices.Contains(names, want) {
			t.Errorf("%q is not registered (have %q)", want, names)
		}
		p, ok := lws.LookupProtocol(want)
		if !ok || p.Name != want || p.Callback == nil {
			t.Errorf("LookupProtocol(%q) = %q, %v", want, p.Name, ok)
		}
	}
	if _, ok := lws.LookupProtocol("no-such-protocol"); ok {
		t.Error("an unknown protocol was found")
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	lws.RegisterProtocol("lws-echo", func() lws.Protocol { return lws.Protocol{} })
}
