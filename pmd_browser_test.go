package lws_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// pmdBrowserPage defines pmdRun: it opens a WebSocket of lws-echo to its
// own origin, sends a 1 MiB compressible and a 1 MiB random message, each
// as text and as binary, checks every echo, and resolves to what the
// browser's WebSocket negotiated and how each echo compared.
const pmdBrowserPage = `<!doctype html>
<html><body><p>permessage-deflate</p><script>
const size = 1 << 20;
const line = '{"id": 12345, "name": "The quick brown fox", "tags": ["jumps", "over", "the lazy dog"], "ok": true}\n';
const compressibleText = line.repeat(Math.ceil(size / line.length)).slice(0, size);
const compressibleBinary = new TextEncoder().encode(compressibleText);
const randomBinary = new Uint8Array(size);
for (let i = 0; i < size; i += 65536) crypto.getRandomValues(randomBinary.subarray(i, i + 65536));
// Random code points from U+0020 to U+07FF.
let randomText = "";
{
  const parts = [];
  for (let i = 0; i + 1 < size; i += 2) {
    parts.push(String.fromCharCode(0x20 + (randomBinary[i] | randomBinary[i + 1] << 8) % (0x800 - 0x20)));
  }
  randomText = parts.join("").slice(0, size / 2);
}
const messages = [
  { name: "compressible text", data: compressibleText },
  { name: "compressible binary", data: compressibleBinary },
  { name: "random text", data: randomText },
  { name: "random binary", data: randomBinary },
];
const same = (a, b) => {
  if (typeof a === "string" || typeof b === "string") return a === b;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};
window.pmdRun = () => new Promise((resolve) => {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/", "lws-echo");
  ws.binaryType = "arraybuffer";
  const out = { extensions: null, results: [] };
  let step = 0;
  ws.onopen = () => { out.extensions = ws.extensions; ws.send(messages[0].data); };
  ws.onmessage = (e) => {
    const m = messages[step];
    out.results.push(m.name + (same(e.data, m.data) ? " intact" : " differs"));
    if (++step < messages.length) { ws.send(messages[step].data); return; }
    ws.close(1000);
  };
  ws.onerror = () => { out.error = "error"; };
  ws.onclose = (e) => { out.close = e.code; resolve(out); };
});
</script></body></html>
`

// TestPMDChromium loads a page from a golws server that accepts
// permessage-deflate in headless Chromium, over http:// (the WebSocket an
// HTTP/1.1 upgrade) and over https:// (h2 by ALPN, where Chromium carries
// the WebSocket on an HTTP/2 stream, RFC 8441, when the server allows
// it). The page's WebSocket must name permessage-deflate in
// ws.extensions, the handshake answer Chromium saw must carry it, the
// four 1 MiB messages must echo intact, and golws must have seen the
// extension active on its side of the WebSocket.
func TestPMDChromium(t *testing.T) {
	browser := headlessChromium(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pmd.html"), []byte(pmdBrowserPage), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, key, _ := tlsCert(t, "localhost", "127.0.0.1")
	var mu sync.Mutex
	var seen []string // per WebSocket: whether on an HTTP/2 stream, whether the extension was active
	proto := echo.Protocol()
	inner := proto.Callback
	proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackEstablished {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("h2 %v pmd %v", c.Network() != c, c.ExtensionActive("permessage-deflate")))
			mu.Unlock()
		}
		return inner(c, reason, in)
	}
	exts := []lws.Extension{pmdExtension(t, "")}
	mounts := []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}
	protocols := []lws.Protocol{httpProtocol(), proto}
	var plain, secure *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		plain = httpVhost(t, cx, lws.VhostInfo{Name: "plain", Protocols: protocols, Mounts: mounts, Extensions: exts})
		secure = httpVhost(t, cx, lws.VhostInfo{Name: "localhost", SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Protocols: protocols, Mounts: mounts, Extensions: exts})
	})
	for _, site := range []struct{ name, url string }{
		{"http", "http://" + addr(plain) + "/pmd.html"},
		{"https", "https://" + addr(secure) + "/pmd.html"},
	} {
		t.Run(site.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			session := browserPage(t, browser, site.url)
			var res struct {
				Extensions string   `json:"extensions"`
				Results    []string `json:"results"`
				Error      string   `json:"error"`
				Close      int      `json:"close"`
			}
			got := browser.eval(t, session, "window.pmdRun()")
			if err := json.Unmarshal([]byte(got), &res); err != nil {
				t.Fatalf("pmdRun: %s", got)
			}
			want := []string{"compressible text intact", "compressible binary intact", "random text intact", "random binary intact"}
			if !strings.HasPrefix(res.Extensions, "permessage-deflate") || strings.Join(res.Results, ", ") != strings.Join(want, ", ") || res.Error != "" || res.Close != 1000 {
				t.Errorf("the page's WebSocket: %s", got)
			}
			// The handshake answer as Chromium saw it: 101 over HTTP/1.1,
			// 200 over HTTP/2.
			var hs struct {
				Response struct {
					Status  int               `json:"status"`
					Headers map[string]string `json:"headers"`
				} `json:"response"`
			}
			json.Unmarshal(browser.await(t, session, "Network.webSocketHandshakeResponseReceived", func(json.RawMessage) bool { return true }), &hs)
			answer := ""
			for k, v := range hs.Response.Headers {
				if strings.EqualFold(k, "Sec-WebSocket-Extensions") {
					answer = v
				}
			}
			over := map[int]string{101: "HTTP/1.1 (101)", 200: "HTTP/2 (RFC 8441, 200)"}[hs.Response.Status]
			t.Logf("Chromium's WebSocket went over %s; the server's Sec-WebSocket-Extensions: %q", over, answer)
			if !strings.HasPrefix(answer, "permessage-deflate") || answer != res.Extensions {
				t.Errorf("the handshake answer Chromium saw (%d) carries Sec-WebSocket-Extensions %q; ws.extensions is %q", hs.Response.Status, answer, res.Extensions)
			}
			mu.Lock()
			defer mu.Unlock()
			wantSeen := fmt.Sprintf("h2 %v pmd true", hs.Response.Status == 200)
			if len(seen) != 1 || seen[0] != wantSeen {
				t.Errorf("golws's WebSockets: %q, want [%q]", seen, wantSeen)
			}
		})
	}
}

// browserPage opens url in a new tab of the browser, with the network
// domain on and the cache off, and returns the tab's DevTools session
// once the page has loaded. The tab is closed when the test ends.
func browserPage(t *testing.T, browser *devtools, url string) string {
	t.Helper()
	var tgt struct{ TargetID string }
	json.Unmarshal(browser.call(t, "", "Target.createTarget", map[string]any{"url": "about:blank"}), &tgt)
	t.Cleanup(func() { browser.call(t, "", "Target.closeTarget", map[string]any{"targetId": tgt.TargetID}) })
	var att struct{ SessionID string }
	json.Unmarshal(browser.call(t, "", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}), &att)
	session := att.SessionID
	browser.call(t, session, "Network.enable", map[string]any{})
	browser.call(t, session, "Network.setCacheDisabled", map[string]any{"cacheDisabled": true})
	browser.call(t, session, "Page.enable", map[string]any{})
	browser.call(t, session, "Page.navigate", map[string]any{"url": url})
	browser.await(t, session, "Page.loadEventFired", func(json.RawMessage) bool { return true })
	return session
}
