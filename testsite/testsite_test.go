package testsite_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/plugins/dumbincrement"
	"github.com/golws/lws/plugins/mirror"
	"github.com/golws/lws/plugins/postdemo"
	"github.com/golws/lws/plugins/status"
	"github.com/golws/lws/testsite"
	"github.com/golws/lws/zipfs"
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

// lookNode finds node, skipping the test when it is missing unless
// LWS_REQUIRE_PEERS asks for every peer.
func lookNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		msg := "node is not installed (Debian package nodejs): run ./scripts/test.sh, which installs it"
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

func TestGrayOut(t *testing.T) {
	node := lookNode(t)
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

// site is a running test site: the vhost lwsws serves by default.
type site struct {
	base, ws string
	client   *http.Client
}

// startSite serves Site at "/", Book at "/ziptest" and protocol-post-demo
// at "/formtest", with the WebSocket protocols of the test page, on one
// vhost.
func startSite(t *testing.T) *site {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir()) // where protocol-post-demo keeps uploads
	book, err := testsite.Book()
	if err != nil {
		t.Fatal(err)
	}
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{
			{Name: "http", Callback: lws.CallbackHTTPDummy},
			dumbincrement.Protocol(), mirror.Protocol(), status.Protocol(), postdemo.Protocol(),
		},
		Mounts: []lws.Mount{
			{Mountpoint: "/", FS: testsite.Site(), Default: "test.html"},
			{Mountpoint: "/ziptest", FS: book, Default: "book.html"},
			{Mountpoint: "/formtest", Origin: "callback://" + postdemo.Name},
		},
	})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	hostPort := "127.0.0.1:" + strconv.Itoa(vh.Port())
	looptest.Run(t, cx)
	// Accept-Encoding is the test's to choose: no transparent gzip.
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &site{
		base:   "http://" + hostPort,
		ws:     "ws://" + hostPort,
		client: &http.Client{Transport: tr, Timeout: 20 * time.Second},
	}
}

// get fetches path, asking for gzip if gz, and returns the response with
// its body read.
func (s *site) get(t *testing.T, path string, gz bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	return s.do(t, req)
}

func (s *site) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp, body
}

func TestSitePages(t *testing.T) {
	s := startSite(t)
	for _, c := range []struct{ path, file, ctype string }{
		{"/", "test.html", "text/html"},
		{"/test.html", "test.html", "text/html"},
		{"/test.js", "test.js", "text/javascript"},
		{"/test.css", "test.css", "text/css"},
		{"/lws-common.js", "lws-common.js", "text/javascript"},
		{"/error.css", "error.css", "text/css"},
		{"/favicon.ico", "favicon.ico", "image/x-icon"},
	} {
		want, err := fs.ReadFile(testsite.Site(), c.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, gz := range []bool{false, true} {
			resp, body := s.get(t, c.path, gz)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != c.ctype ||
				resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) {
				t.Errorf("%s (gzip %v): %d %q %q, %d bytes, want %d bytes of %s", c.path, gz, resp.StatusCode,
					resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), len(body), len(want), c.file)
			}
		}
	}
	// The book is not part of the site root.
	if resp, _ := s.get(t, "/book/book.html", false); resp.StatusCode != 404 {
		t.Errorf("/book/book.html: %d, want 404", resp.StatusCode)
	}
}

// TestSiteDates checks the validators of the embedded files, which have
// no modification time of their own: they are dated from the process
// start, not from year 1, and a browser's copy revalidates with 304.
func TestSiteDates(t *testing.T) {
	before := time.Now()
	s := startSite(t)
	for _, path := range []string{"/", "/test.js", "/favicon.ico"} {
		resp, _ := s.get(t, path, false)
		lastMod, etag := resp.Header.Get("Last-Modified"), resp.Header.Get("ETag")
		mod, err := http.ParseTime(lastMod)
		if resp.StatusCode != 200 || err != nil || etag == "" {
			t.Fatalf("%s: %d, Last-Modified %q (%v), ETag %q", path, resp.StatusCode, lastMod, err, etag)
		}
		if mod.After(before) || before.Sub(mod) > 24*time.Hour {
			t.Errorf("%s: Last-Modified %q, want the process start", path, lastMod)
		}
		for _, h := range [][2]string{{"If-None-Match", etag}, {"If-Modified-Since", lastMod}} {
			req, _ := http.NewRequest("GET", s.base+path, nil)
			req.Header.Set(h[0], h[1])
			resp, body := s.do(t, req)
			if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("ETag") != etag {
				t.Errorf("%s with %s: %d, %d bytes, ETag %q", path, h[0], resp.StatusCode, len(body), resp.Header.Get("ETag"))
			}
		}
		// A copy from before the process started is sent anew.
		req, _ := http.NewRequest("GET", s.base+path, nil)
		req.Header.Set("If-Modified-Since", mod.Add(-time.Hour).UTC().Format(http.TimeFormat))
		if resp, body := s.do(t, req); resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s with an older If-Modified-Since: %d, %d bytes", path, resp.StatusCode, len(body))
		}
	}
}

// TestFavicon checks the site's icon: an ICO file holding a 32x32 PNG,
// served at /favicon.ico as an image and named by the test page.
func TestFavicon(t *testing.T) {
	s := startSite(t)
	resp, body := s.get(t, "/favicon.ico", false)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Fatalf("/favicon.ico: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// ICONDIR (reserved 0, type 1, one image), then its ICONDIRENTRY:
	// 32x32, its length and offset, then the PNG it points at.
	if len(body) < 22 || !bytes.Equal(body[:6], []byte{0, 0, 1, 0, 1, 0}) || body[6] != 32 || body[7] != 32 {
		t.Fatalf("/favicon.ico is not a 32x32 icon: % x", body[:min(len(body), 22)])
	}
	size := int(binary.LittleEndian.Uint32(body[14:18]))
	off := int(binary.LittleEndian.Uint32(body[18:22]))
	if off < 22 || off+size != len(body) {
		t.Fatalf("/favicon.ico: image of %d bytes at %d in %d", size, off, len(body))
	}
	img, err := png.Decode(bytes.NewReader(body[off:]))
	if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
		t.Fatalf("/favicon.ico's image: %v", err)
	}
	page, err := fs.ReadFile(testsite.Site(), "test.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<link rel="icon" href="favicon.ico"`) {
		t.Error("test.html does not name favicon.ico")
	}
}

func TestZipBook(t *testing.T) {
	s := startSite(t)
	ents, err := os.ReadDir("book")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 5 {
		t.Fatalf("book/ holds %d files", len(ents))
	}
	for _, e := range ents {
		name := e.Name()
		want, err := os.ReadFile(filepath.Join("book", name))
		if err != nil {
			t.Fatal(err)
		}
		ctype, ok := lws.Mimetype(name, nil)
		if !ok {
			t.Fatalf("%s: no content type", name)
		}
		path := "/ziptest/" + name

		resp, body := s.get(t, path, false)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype ||
			resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) {
			t.Errorf("%s plain: %d %q %q, %d bytes, want %d", path, resp.StatusCode,
				resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), len(body), len(want))
		}

		resp, body = s.get(t, path, true)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype {
			t.Errorf("%s gzip: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		enc := resp.Header.Get("Content-Encoding")
		if name == testsite.BookStored {
			// Stored, not deflated: sent as it is.
			if enc != "" || !bytes.Equal(body, want) {
				t.Errorf("%s gzip: encoding %q, %d bytes, want it plain", path, enc, len(body))
			}
			continue
		}
		if enc != "gzip" {
			t.Errorf("%s gzip: encoding %q, want gzip", path, enc)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, want) {
			t.Errorf("%s: inflates to %d bytes (%v), want the %d of the file", path, len(plain), err, len(want))
		}
		if strings.HasSuffix(name, ".html") && len(body) >= len(want)*3/4 {
			t.Errorf("%s: %d bytes gzipped for %d plain: the text should compress", path, len(body), len(want))
		}
	}
	// The mount's default page.
	want, _ := os.ReadFile("book/book.html")
	if resp, body := s.get(t, "/ziptest/", false); resp.StatusCode != 200 || !bytes.Equal(body, want) {
		t.Errorf("/ziptest/: %d, %d bytes, want book.html", resp.StatusCode, len(body))
	}
}

func TestForms(t *testing.T) {
	s := startSite(t)
	page, err := fs.ReadFile(testsite.Site(), "test.html")
	if err != nil {
		t.Fatal(err)
	}
	// What the page's forms send, as protocol-post-demo reads it.
	for _, want := range []string{
		`action="formtest" method="post" enctype="application/x-www-form-urlencoded"`,
		`action="formtest" method="post" enctype="multipart/form-data"`,
		`type="text" name="text"`, `type="file" name="upload"`, `type="submit" name="send" value="SEND"`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("test.html has no %s", want)
		}
	}

	form := url.Values{"text": {"a <b> & c"}, "send": {"SEND"}}
	req, _ := http.NewRequest("POST", s.base+"/formtest", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := s.do(t, req)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Form results") ||
		!strings.Contains(string(body), "a &lt;b&gt; &amp; c") || !strings.Contains(string(body), "SEND") {
		t.Errorf("urlencoded: %d %q", resp.StatusCode, body)
	}

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("text", "with a file")
	fw, _ := mw.CreateFormFile("upload", "notes.txt")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), 1234))
	_ = mw.WriteField("send", "SEND")
	_ = mw.Close()
	req, _ = http.NewRequest("POST", s.base+"/formtest", &mp)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body = s.do(t, req)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "with a file") ||
		!strings.Contains(string(body), "notes.txt") || !strings.Contains(string(body), "1234") {
		t.Errorf("multipart: %d %q", resp.StatusCode, body)
	}
}

func TestWebSockets(t *testing.T) {
	s := startSite(t)
	dial := func(path, protocol string) *websocket.Conn {
		t.Helper()
		d := websocket.Dialer{Subprotocols: []string{protocol}, HandshakeTimeout: 10 * time.Second}
		c, resp, err := d.Dial(s.ws+path, http.Header{"User-Agent": {"testsite-test"}})
		if err != nil {
			t.Fatalf("%s %s: %v", protocol, path, err)
		}
		if resp.Header.Get("Sec-WebSocket-Protocol") != protocol {
			t.Fatalf("%s: server chose %q", protocol, resp.Header.Get("Sec-WebSocket-Protocol"))
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		return c
	}
	read := func(c *websocket.Conn) string {
		t.Helper()
		mt, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if mt != websocket.TextMessage {
			t.Fatalf("message type %d", mt)
		}
		return string(msg)
	}

	// The page's three protocols, under the names test.js asks for.
	js, err := fs.ReadFile(testsite.Site(), "test.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{dumbincrement.Name, mirror.Name, status.Name} {
		if !strings.Contains(string(js), `"`+name+`"`) {
			t.Errorf("test.js does not ask for %q", name)
		}
	}

	di := dial("/", dumbincrement.Name)
	if got := read(di); got != "0" {
		t.Errorf("dumb-increment: first message %q, want 0", got)
	}

	// Two browsers on the mirror "x" see each other's strokes.
	m1, m2 := dial("/?mirror=x", mirror.Name), dial("/?mirror=x", mirror.Name)
	ops := "d #1060c0 10 20 30 40;d #1060c0 30 40 35 41;c #ff0000 100 100 1;"
	if err := m1.WriteMessage(websocket.TextMessage, []byte(ops)); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*websocket.Conn{m1, m2} {
		if got := read(c); got != ops {
			t.Errorf("mirror client %d: %q, want %q", i, got, ops)
		}
	}

	st := dial("/", status.Name)
	var msg struct {
		Version, Hostname, WSI string
		Conns                  []struct{ Peer, Time, UA string }
	}
	// Statuses may queue up as the connections come; wait for ours.
	for {
		if err := json.Unmarshal([]byte(read(st)), &msg); err != nil {
			t.Fatal(err)
		}
		if len(msg.Conns) > 0 {
			break
		}
	}
	c := msg.Conns[0]
	if msg.Version == "" || msg.WSI != "1" || c.Peer != "127.0.0.1" || c.UA != "testsite-test" {
		t.Errorf("status: %+v", msg)
	}
	if n, err := strconv.ParseInt(c.Time, 10, 64); err != nil || time.Since(time.Unix(n, 0)).Abs() > time.Minute {
		t.Errorf("status: connected at %q", c.Time)
	}
}

// TestPageChecks does what the page's checks and close-testing buttons
// do, with a real client, and expects what the page reports as success.
func TestPageChecks(t *testing.T) {
	s := startSite(t)
	dial := func(protocol string) *websocket.Conn {
		t.Helper()
		d := websocket.Dialer{Subprotocols: []string{protocol}, HandshakeTimeout: 10 * time.Second}
		c, _, err := d.Dial(s.ws+"/", nil)
		if err != nil {
			t.Fatalf("%s: %v", protocol, err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		return c
	}
	// closed reads until the close and returns its code and reason.
	closed := func(c *websocket.Conn) (int, string) {
		t.Helper()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("no close frame: %v", err)
				}
				return ce.Code, ce.Text
			}
		}
	}
	send := func(c *websocket.Conn, p string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}

	// Send junk: 9000 bytes, then a reset; the counter restarts.
	di := dial(dumbincrement.Name)
	last := -1
	for last < 2 {
		_, p, err := di.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		last, _ = strconv.Atoi(string(p))
	}
	send(di, strings.Repeat("a", 9000))
	send(di, "reset\n")
	for {
		_, p, err := di.ReadMessage()
		if err != nil {
			t.Fatalf("after the junk: %v", err)
		}
		n, _ := strconv.Atoi(string(p))
		if n == 0 {
			break
		}
		if n != last+1 {
			t.Fatalf("counter went from %d to %d", last, n)
		}
		last = n
	}

	// Send large messages: three on lws-status, then a close that the
	// server answers in kind.
	st := dial(status.Name)
	for _, n := range []int{2000, 18000, 25000} {
		send(st, `{"RequestType":"LargeMessage","blob":"`+strings.Repeat("QUJD", n/4)+`"}`)
	}
	if err := st.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "large messages sent"), time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if code, reason := closed(st); code != 1000 || reason != "large messages sent" {
		t.Errorf("large messages: closed with %d %q", code, reason)
	}

	// Close testing: the browser's code and reason come back; closeme has
	// the server close with 1001 "seeya".
	ot := dial(dumbincrement.Name)
	if err := ot.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(3000, "Bye!"), time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if code, reason := closed(ot); code != 3000 || reason != "Bye!" {
		t.Errorf("close from the client: answered %d %q", code, reason)
	}
	ot = dial(dumbincrement.Name)
	send(ot, "closeme\n")
	if code, reason := closed(ot); code != 1001 || reason != "seeya" {
		t.Errorf("closeme: %d %q", code, reason)
	}
}

// TestPageIDs checks the page against its script and the promises made
// to browser tests: the element ids, and nothing loaded from elsewhere.
func TestPageIDs(t *testing.T) {
	page, err := fs.ReadFile(testsite.Site(), "test.html")
	if err != nil {
		t.Fatal(err)
	}
	js, err := fs.ReadFile(testsite.Site(), "test.js")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		if ids[m[1]] {
			t.Errorf("test.html: id %q used twice", m[1])
		}
		ids[m[1]] = true
	}
	for _, id := range []string{
		"number", "reset", "closeme", "wsdi_statustd",
		"mirror_canvas", "mirror_name", "mirror_join", "color", "wslm_statustd",
		"status_table", "ws_status_td",
		"form_urlencoded", "form_multipart", "book_link", "server_status_link",
		"junk", "junk_result", "large", "large_result",
		"ot_statustd", "ot_close_code", "ot_close_reason", "ot_code", "ot_reason",
		"ot_open_btn", "ot_close_btn", "ot_req_close_btn", "ot_result",
	} {
		if !ids[id] {
			t.Errorf("test.html has no element %q", id)
		}
	}
	for _, m := range regexp.MustCompile(`\bel\("([^"]+)"\)`).FindAllStringSubmatch(string(js), -1) {
		if !ids[m[1]] {
			t.Errorf("test.js uses element %q, which test.html lacks", m[1])
		}
	}
	if !strings.Contains(string(page), `<canvas id="mirror_canvas" width="512" height="256">`) {
		t.Error("the mirror canvas is not 512x256")
	}
	for _, want := range []string{`href="/ziptest/book.html"`, `href="/server-status"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("test.html has no link %s", want)
		}
	}
	for _, name := range []string{"test.html", "test.css", "test.js"} {
		b, _ := fs.ReadFile(testsite.Site(), name)
		if m := regexp.MustCompile(`(?i)(src|href|url)\s*[=(]\s*["']?(https?:|//)`).Find(b); m != nil {
			t.Errorf("%s loads something from elsewhere: %s", name, m)
		}
	}
}

func TestBook(t *testing.T) {
	z, err := testsite.Book()
	if err != nil {
		t.Fatal(err)
	}
	if z2, err := testsite.Book(); err != nil || z2 != z {
		t.Errorf("a second Book: %p %v, want the same FS", z2, err)
	}
	ents, err := os.ReadDir("book")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		files = append(files, e.Name())
	}
	members, err := z.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range members {
		names = append(names, m.Name())
	}
	if !slices.Equal(names, files) {
		t.Fatalf("members %v, want %v", names, files)
	}
	if !slices.Contains(names, testsite.BookStored) || !slices.Contains(names, "book.html") {
		t.Fatalf("members %v", names)
	}
	words := 0
	ref := regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	for _, name := range names {
		want, _ := os.ReadFile(filepath.Join("book", name))
		got, err := fs.ReadFile(z, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes (%v), want %d", name, len(got), err, len(want))
		}
		g, err := z.OpenGzip(name)
		if name == testsite.BookStored {
			if !errors.Is(err, zipfs.ErrNotCompressed) {
				t.Errorf("%s: OpenGzip %v, want ErrNotCompressed", name, err)
			}
		} else if err != nil {
			t.Errorf("%s: OpenGzip: %v", name, err)
		} else {
			g.Close()
		}
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		words += len(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(want), " ")))
		// The pages link and show only each other.
		for _, m := range ref.FindAllStringSubmatch(string(want), -1) {
			if _, err := z.Stat(m[1]); err != nil {
				t.Errorf("%s refers to %q: %v", name, m[1], err)
			}
		}
	}
	if words < 2000 {
		t.Errorf("the book has %d words", words)
	}
}

// TestScriptsParse checks that the site's scripts are valid JavaScript.
func TestScriptsParse(t *testing.T) {
	node := lookNode(t)
	dir := t.TempDir()
	for _, name := range []string{"test.js", "lws-common.js"} {
		b, err := fs.ReadFile(testsite.Site(), name)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", p).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}
