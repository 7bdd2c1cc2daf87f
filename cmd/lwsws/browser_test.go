package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// cdp is a minimal Chrome DevTools Protocol client over the browser's
// WebSocket: commands with ids, answers matched by id, events dropped.
type cdp struct {
	ws *websocket.Conn
	id int
}

func (c *cdp) call(session, method string, params any) (json.RawMessage, error) {
	c.id++
	msg := map[string]any{"id": c.id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	if err := c.ws.WriteJSON(msg); err != nil {
		return nil, err
	}
	for {
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		if err := c.ws.ReadJSON(&resp); err != nil {
			return nil, err
		}
		if resp.ID != c.id {
			continue
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, resp.Error.Message)
		}
		return resp.Result, nil
	}
}

// page is one browser tab.
type page struct {
	c       *cdp
	session string
}

func (c *cdp) open(t *testing.T, url string) *page {
	t.Helper()
	r, err := c.call("", "Target.createTarget", map[string]any{"url": url})
	if err != nil {
		t.Fatal(err)
	}
	var tgt struct{ TargetID string }
	json.Unmarshal(r, &tgt)
	r, err = c.call("", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true})
	if err != nil {
		t.Fatal(err)
	}
	var att struct{ SessionID string }
	json.Unmarshal(r, &att)
	return &page{c: c, session: att.SessionID}
}

// eval evaluates a JavaScript expression in the page and returns its
// value as JSON text.
func (p *page) eval(t *testing.T, expr string) string {
	t.Helper()
	v, err := p.tryEval(expr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tryEval is eval that reports an error (while the page navigates, its
// context may be gone for a moment).
func (p *page) tryEval(expr string) (string, error) {
	r, err := p.c.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		return "", err
	}
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	}
	json.Unmarshal(r, &res)
	return string(res.Result.Value), nil
}

// await polls expr until it evaluates to want (JSON text).
func (p *page) await(t *testing.T, what, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := p.tryEval(expr)
		if err == nil && got == want {
			return
		}
		if err != nil {
			got = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s is %s, want %s", what, expr, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *page) mouse(t *testing.T, typ string, x, y float64) {
	t.Helper()
	if _, err := p.c.call(p.session, "Input.dispatchMouseEvent", map[string]any{
		"type": typ, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1}); err != nil {
		t.Fatal(err)
	}
}

// chromium starts headless Chromium and connects to its DevTools socket.
func chromium(t *testing.T) *cdp {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		msg := "chromium is not installed (Debian package chromium): run ./scripts/test.sh, which installs it"
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Chromium's helper processes may still write to its profile after
	// the browser exits: the profile is removed here, after the whole
	// process group is gone, rather than by t.TempDir.
	profile, err := os.MkdirTemp("", "golws-chromium")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-dev-shm-usage", "--window-size=1280,1600", "--remote-debugging-port=0", "--user-data-dir="+profile, "about:blank")
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
	var url string
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
	t.Cleanup(func() { ws.Close() })
	return &cdp{ws: ws}
}

// TestBrowser loads the built-in site in headless Chromium: the counter
// runs, a drawing in one mirror page shows in another, the form is
// answered, and the page dims when lwsws stops. A screenshot of the dimmed
// page is kept in $LWS_ARTIFACT_DIR (or the system's temporary directory).
func TestBrowser(t *testing.T) {
	browser := chromium(t)
	cmd, lines := startLwsws(t, "-p", "0", "-d", "7")
	port := awaitLine(t, lines, `listening on port (\d+)`)[1]
	base := "http://127.0.0.1:" + port

	p1 := browser.open(t, base+"/?mirror=browsertest")
	p1.await(t, "dumb-increment", `document.getElementById("wsdi_statustd").textContent`, `"open"`)
	p1.await(t, "the veil lifted", `getComputedStyle(document.getElementById("lws_gray_out")).display`, `"none"`)
	p1.await(t, "a first number", `!isNaN(parseInt(document.getElementById("number").textContent))`, `true`)
	first := p1.eval(t, `parseInt(document.getElementById("number").textContent)`)
	p1.await(t, "the counter", `parseInt(document.getElementById("number").textContent) > `+first, `true`)

	p2 := browser.open(t, base+"/?mirror=browsertest")
	p2.await(t, "the second mirror page", `document.getElementById("wslm_statustd").textContent`, `"open"`)
	p1.await(t, "the first mirror page", `document.getElementById("wslm_statustd").textContent`, `"open"`)
	// Draw in the front tab: a background tab's timers are throttled.
	if _, err := browser.call(p1.session, "Page.bringToFront", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	var box struct{ X, Y float64 }
	json.Unmarshal([]byte(p1.eval(t, `(() => { const c = document.getElementById("mirror_canvas"); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return {X: r.left, Y: r.top}; })()`)), &box)
	p1.mouse(t, "mousePressed", box.X+20, box.Y+20)
	for i := 1; i <= 10; i++ {
		p1.mouse(t, "mouseMoved", box.X+20+float64(i*10), box.Y+20+float64(i*5))
	}
	p1.mouse(t, "mouseReleased", box.X+120, box.Y+70)
	p2.await(t, "the drawing in the other page", `parseInt(document.getElementById("mirror_canvas").dataset.ops || "0") > 0`, `true`)

	p3 := browser.open(t, base+"/")
	if _, err := browser.call(p3.session, "Page.bringToFront", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	p3.await(t, "the form page", `document.readyState === "complete" && !!document.getElementById("form_urlencoded_send")`, `true`)
	// Type, then press SEND; the click runs after this evaluation returns,
	// since the navigation it starts ends the page's context.
	p3.eval(t, `document.getElementById("form_urlencoded_text").value = "typed in a browser"; setTimeout(() => document.getElementById("form_urlencoded_send").click(), 0); true`)
	p3.await(t, "the form results", `!!document.body && document.body.innerText.includes("typed in a browser") && document.body.innerText.includes("Form results")`, `true`)

	// Stop the server: the page dims.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p1.await(t, "the page dims", `getComputedStyle(document.getElementById("lws_gray_out")).display`, `"block"`)
	saveScreenshot(t, browser, p1.session, "lwsws-dimmed.png", "the dimmed page", false)
}

// saveScreenshot keeps a PNG of the page in $LWS_ARTIFACT_DIR (or a
// golws-artifacts folder in the temporary directory); full takes the
// whole page, not only the window.
func saveScreenshot(t *testing.T, browser *cdp, session, name, what string, full bool) {
	t.Helper()
	r, err := browser.call(session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": full})
	if err != nil {
		t.Fatal(err)
	}
	var shot struct{ Data string }
	json.Unmarshal(r, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) == 0 {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("LWS_ARTIFACT_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "golws-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s: %s (%d bytes)", what, path, len(png))
}
