package lws_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// devtools is a Chrome DevTools Protocol client: commands answered by
// id, events kept in order for the test to look through.
type devtools struct {
	ws *websocket.Conn

	mu      sync.Mutex
	id      int
	waiting map[int]chan devtoolsMsg
	events  []devtoolsMsg
	changed chan struct{} // closed and replaced at each event
	err     error
}

type devtoolsMsg struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
	SessionID string `json:"sessionId"`
}

func (d *devtools) read() {
	for {
		var m devtoolsMsg
		if err := d.ws.ReadJSON(&m); err != nil {
			d.mu.Lock()
			d.err = err
			for _, ch := range d.waiting {
				close(ch)
			}
			d.waiting = nil
			close(d.changed)
			d.mu.Unlock()
			return
		}
		d.mu.Lock()
		if m.ID != 0 {
			if ch := d.waiting[m.ID]; ch != nil {
				ch <- m
				delete(d.waiting, m.ID)
			}
		} else {
			d.events = append(d.events, m)
			close(d.changed)
			d.changed = make(chan struct{})
		}
		d.mu.Unlock()
	}
}

// call sends a command (to the browser, or to a page's session) and
// returns its result.
func (d *devtools) call(t *testing.T, session, method string, params any) json.RawMessage {
	t.Helper()
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		t.Fatalf("%s: the DevTools connection failed: %v", method, d.err)
	}
	d.id++
	id := d.id
	ch := make(chan devtoolsMsg, 1)
	d.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	err := d.ws.WriteJSON(msg)
	d.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the DevTools connection closed", method)
		}
		if m.Error != nil {
			t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no answer", method)
	}
	return nil
}

// await waits for an event of the method in the page's session for
// which match holds and returns its parameters.
func (d *devtools) await(t *testing.T, session, method string, match func(params json.RawMessage) bool) json.RawMessage {
	t.Helper()
	deadline := time.After(30 * time.Second)
	seen := 0
	for {
		d.mu.Lock()
		events, changed, err := d.events[seen:], d.changed, d.err
		seen = len(d.events)
		d.mu.Unlock()
		for _, e := range events {
			if e.SessionID == session && e.Method == method && match(e.Params) {
				return e.Params
			}
		}
		if err != nil {
			t.Fatalf("waiting for %s: %v", method, err)
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s event", method)
		}
	}
}

// eventsOf lists the session's events whose method starts with prefix,
// with their parameters.
func (d *devtools) eventsOf(session, prefix string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var list []string
	for _, e := range d.events {
		if e.SessionID == session && strings.HasPrefix(e.Method, prefix) {
			list = append(list, e.Method+" "+string(e.Params))
		}
	}
	return list
}

// eval evaluates a JavaScript expression in the page, awaiting a
// promise, and returns its value as JSON text.
func (d *devtools) eval(t *testing.T, session, expr string) string {
	t.Helper()
	r := d.call(t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	json.Unmarshal(r, &res)
	if res.ExceptionDetails != nil {
		t.Fatalf("%s: %s", expr, res.ExceptionDetails)
	}
	return string(res.Result.Value)
}

// headlessChromium starts headless Chromium, trusting any certificate,
// and connects to its DevTools socket.
func headlessChromium(t *testing.T) *devtools {
	t.Helper()
	bin := lookPeer(t, "chromium", "chromium")
	// Chromium's helper processes may write to the profile after the
	// browser is gone: it is removed once the process group is.
	profile, err := os.MkdirTemp("", "golws-chromium")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-dev-shm-usage", "--ignore-certificate-errors", "--remote-debugging-port=0",
		"--user-data-dir="+profile, "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	re := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
	sc := bufio.NewScanner(stderr)
	url := ""
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if url == "" {
		t.Fatal("chromium did not open its DevTools socket")
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &devtools{ws: ws, waiting: map[int]chan devtoolsMsg{}, changed: make(chan struct{})}
	done := make(chan struct{})
	go func() { d.read(); close(done) }()
	t.Cleanup(func() { ws.Close(); <-done })
	return d
}

// h2BrowserPage opens a WebSocket of dumb-increment-protocol to its own
// origin and fetches /a.txt.
const h2BrowserPage = `<!doctype html>
<html><body><p id="state">loading</p><script>
window.wsState = "connecting";
window.wsCount = 0;
window.wsLast = -1;
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/", "dumb-increment-protocol");
ws.onopen = () => { window.wsState = "open"; };
ws.onmessage = (e) => { window.wsCount++; window.wsLast = parseInt(e.data); };
ws.onerror = () => { window.wsState = "error"; };
ws.onclose = (e) => { window.wsState = "closed " + e.code; };
window.fetched = fetch("/a.txt").then((r) => r.text());
</script></body></html>
`

// TestH2Chromium loads a page of the site in headless Chromium over
// https: the page and a resource it fetches come over h2, and the page's
// WebSocket (dumb-increment-protocol) opens and counts up. Whether
// Chromium carried the WebSocket over HTTP/2 (RFC 8441: a CONNECT
// answered 200) or over HTTP/1.1 (101) is logged; Chromium takes HTTP/2
// when the server announces SETTINGS_ENABLE_CONNECT_PROTOCOL. golws must
// see it the same way: its WebSocket is a stream of the h2 connection
// exactly when the browser's went over HTTP/2.
func TestH2Chromium(t *testing.T) {
	browser := headlessChromium(t)
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		if err := os.WriteFile(filepath.Join(s.dir, "ws.html"), []byte(h2BrowserPage), 0o644); err != nil {
			t.Fatal(err)
		}
		var tgt struct{ TargetID string }
		json.Unmarshal(browser.call(t, "", "Target.createTarget", map[string]any{"url": "about:blank"}), &tgt)
		t.Cleanup(func() { browser.call(t, "", "Target.closeTarget", map[string]any{"targetId": tgt.TargetID}) })
		var att struct{ SessionID string }
		json.Unmarshal(browser.call(t, "", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}), &att)
		session := att.SessionID
		browser.call(t, session, "Network.enable", map[string]any{})
		// A new connection for this server, not one of the last.
		browser.call(t, session, "Network.setCacheDisabled", map[string]any{"cacheDisabled": true})

		page := "https://" + s.tls + "/ws.html"
		browser.call(t, session, "Page.navigate", map[string]any{"url": page})
		type response struct {
			Response struct {
				URL      string `json:"url"`
				Status   int    `json:"status"`
				Protocol string `json:"protocol"`
			} `json:"response"`
		}
		responseOf := func(url string) response {
			var r response
			browser.await(t, session, "Network.responseReceived", func(p json.RawMessage) bool {
				json.Unmarshal(p, &r)
				return r.Response.URL == url
			})
			return r
		}
		if r := responseOf(page); r.Response.Status != 200 || r.Response.Protocol != "h2" {
			t.Errorf("the page: %d over %q, want 200 over h2", r.Response.Status, r.Response.Protocol)
		}
		if r := responseOf("https://" + s.tls + "/a.txt"); r.Response.Status != 200 || r.Response.Protocol != "h2" {
			t.Errorf("the fetch: %d over %q, want 200 over h2", r.Response.Status, r.Response.Protocol)
		}
		if got := browser.eval(t, session, "window.fetched"); got != `"hello, file\n"` {
			t.Errorf("the fetch's body: %s", got)
		}

		t.Run("websocket", func(t *testing.T) {
			overH2 := h2BrowserWebSocket(t, browser, session)
			if s.webSockets != nil {
				// The server saw it the same way.
				all, onStream := s.webSockets()
				if all != 1 || (onStream == 1) != overH2 {
					t.Errorf("the server opened %d WebSockets, %d on an HTTP/2 stream; the browser's went over HTTP/2: %v", all, onStream, overH2)
				}
			}
		})
	})
}

// h2BrowserWebSocket checks the page's WebSocket: it opens and counts
// up. It reports whether the WebSocket went over HTTP/2, and logs it.
func h2BrowserWebSocket(t *testing.T, browser *devtools, session string) (overH2 bool) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		state := browser.eval(t, session, "[window.wsState, window.wsCount, window.wsLast]")
		var v []any
		json.Unmarshal([]byte(state), &v)
		if len(v) == 3 && v[0] == "open" && v[1].(float64) >= 5 && v[2].(float64) >= 4 {
			break
		}
		if time.Now().After(deadline) || (len(v) == 3 && v[0] != "open" && v[0] != "connecting") {
			t.Fatalf("the WebSocket: [state, messages, last number] = %s; the browser's WebSocket events:\n%s",
				state, strings.Join(browser.eventsOf(session, "Network.webSocket"), "\n"))
		}
		time.Sleep(50 * time.Millisecond) // the counter ticks every 50 ms
	}
	// Its handshake as the browser saw it: 101 over HTTP/1.1, 200
	// over HTTP/2 (RFC 8441).
	var hs struct {
		Response struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
		} `json:"response"`
	}
	json.Unmarshal(browser.await(t, session, "Network.webSocketHandshakeResponseReceived", func(json.RawMessage) bool { return true }), &hs)
	switch hs.Response.Status {
	case 101:
		t.Logf("Chromium's WebSocket went over HTTP/1.1 (101 Switching Protocols)")
	case 200:
		t.Logf("Chromium's WebSocket went over HTTP/2 (RFC 8441: CONNECT answered 200)")
		return true
	default:
		t.Errorf("the WebSocket's handshake was answered %d: %v", hs.Response.Status, hs.Response.Headers)
	}
	return false
}
