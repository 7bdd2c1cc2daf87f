package lws_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
	greeterplugin "github.com/golws/lws/examples/greeter"
	"github.com/golws/lws/plugins/dumbincrement"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/plugins/fraggle"
	"github.com/golws/lws/plugins/mirror"
	"github.com/golws/lws/plugins/rawtest"
	"github.com/golws/lws/plugins/status"
)

// promptly is how long a plain HTTP request to a WebSocket server may
// take to be refused; an unanswered one waits TimeoutSecs (20 s) instead.
const promptly = 3 * time.Second

// expect404 makes a GET and a POST to base with net/http, at once, and
// fails unless both are answered 404 within promptly.
func expect404(t *testing.T, base string) {
	t.Helper()
	cl := &http.Client{Timeout: promptly}
	defer cl.CloseIdleConnections()
	var wg sync.WaitGroup
	for _, method := range []string{"GET", "POST"} {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("a=1&b=2")
		}
		req, err := http.NewRequest(method, base+"/index.html", body)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			start := time.Now()
			resp, err := cl.Do(req)
			el := time.Since(start).Round(time.Millisecond)
			if err != nil {
				t.Errorf("%s %s: no answer after %v: %v", method, base, el, err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("%s %s: status %d after %v, want 404", method, base, resp.StatusCode, el)
			}
		})
	}
	wg.Wait()
}

// TestPluginsAnswerPlainHTTP: a protocol that is a vhost's first gets the
// requests for pages that no mount serves. Every plugin that serves none
// answers them 404 at once, as lws's examples do with the HTTP dummy,
// instead of leaving the client waiting until the request times out.
func TestPluginsAnswerPlainHTTP(t *testing.T) {
	protos := []lws.Protocol{
		echo.Protocol(), dumbincrement.Protocol(), mirror.Protocol(), status.Protocol(),
		fraggle.Protocol(), greeterplugin.Protocol(), rawtest.Protocol(),
	}
	vhosts := map[string]*lws.Vhost{}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		for _, p := range protos {
			vh, err := cx.CreateVhost(lws.VhostInfo{Name: p.Name, Port: lws.PortAny, Iface: "127.0.0.1", Protocols: []lws.Protocol{p}})
			if err != nil {
				t.Fatal(err)
			}
			vhosts[p.Name] = vh
		}
	})
	for _, p := range protos {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			expect404(t, "http://"+addr(vhosts[p.Name]))
		})
	}
}

// TestExampleWSServerEchoAnswersPlainHTTP: ws-server-echo answers a page
// request 404 at once.
func TestExampleWSServerEchoAnswersPlainHTTP(t *testing.T) {
	port := startExample(t, "ws-server-echo", "-p", "0", "-d", "7")
	expect404(t, "http://127.0.0.1:"+port)
}
