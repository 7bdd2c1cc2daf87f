package testsite_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/testsite"
)

func TestServed(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{{Name: "http", Callback: lws.CallbackHTTPDummy}},
		Mounts:    []lws.Mount{{Mountpoint: "/", FS: testsite.FS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(vh.Port())
	looptest.Run(t, cx)
	client := &http.Client{}
	defer client.CloseIdleConnections()
	for path, ctype := range map[string]string{"/error.css": "text/css", "/lws-common.js": "text/javascript"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want, _ := testsite.FS.ReadFile(strings.TrimPrefix(path, "/"))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype || string(body) != string(want) {
			t.Errorf("%s: %d %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
	// A status page links the stylesheet.
	resp, err := client.Get(base + "/missing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), `href="/error.css"`) {
		t.Errorf("status page: %d %q", resp.StatusCode, body)
	}
}

// grayOutCheck runs lws-common.js in Node against a minimal document and
// checks lws_gray_out, both called from <head> (before the body exists)
// and afterwards, and the WebSocket URL helper.
const grayOutCheck = `
const vm = require("vm");
const src = require("fs").readFileSync(process.argv[2], "utf8");
const body = { children: [], appendChild(c) { this.children.push(c); } };
const listeners = {};
const document = {
	body: null,
	createElement() { return { style: {}, id: "" }; },
	addEventListener(ev, fn) { listeners[ev] = fn; },
};
const ctx = { document, location: { protocol: "https:", host: "example.com:7681" } };
vm.createContext(ctx);
vm.runInContext(src, ctx);
function check(cond, what) { if (!cond) { console.log("FAIL " + what); process.exit(1); } }
ctx.lws_gray_out(true, { zindex: "499" });
check(body.children.length === 0, "dimmed before the body exists");
document.body = body;
listeners.DOMContentLoaded();
const veil = body.children[0];
check(veil && veil.style.display === "block", "dimmed once the body exists");
check(veil.style.zIndex === "499" && veil.style.opacity === "0.7" && veil.style.position === "fixed", "veil style");
ctx.lws_gray_out(false);
check(veil.style.display === "none", "undimmed");
ctx.lws_gray_out(true, { opacity: 40 });
check(veil.style.display === "block" && veil.style.opacity === "0.4" && body.children.length === 1, "dimmed again, same veil");
check(ctx.get_appropriate_ws_url("/x") === "wss://example.com:7681/x", "ws url");
console.log("OK");
`

func TestGrayOut(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		msg := "node is not installed (Debian package nodejs): run ./scripts/test.sh, which installs it"
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	js, _ := testsite.FS.ReadFile("lws-common.js")
	script, lib := filepath.Join(dir, "check.js"), filepath.Join(dir, "lws-common.js")
	if err := os.WriteFile(lib, js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(grayOutCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, script, lib).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "OK" {
		t.Fatalf("lws-common.js: %v\n%s", err, out)
	}
}
