package lws_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/attacktable"
)

// httpSite writes a small site into a temporary directory.
func httpSite(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html":     "<html>index</html>\n",
		"a.txt":          "hello, file\n",
		"error.css":      "h1 { color: red }\n",
		"sub/index.html": "<html>sub</html>\n",
		"x.weird":        "unknown type\n",
		"404.html":       "<html>custom 404</html>\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// httpProtocol is a first protocol that serves no HTTP of its own.
func httpProtocol() lws.Protocol {
	return lws.Protocol{Name: "http", Callback: lws.CallbackHTTPDummy}
}

// httpVhost creates a listening HTTP vhost on an ephemeral loopback port.
func httpVhost(t testing.TB, cx *lws.Context, info lws.VhostInfo) *lws.Vhost {
	t.Helper()
	if info.Port == 0 {
		info.Port = lws.PortAny
	}
	if info.Iface == "" {
		info.Iface = "127.0.0.1"
	}
	if len(info.Protocols) == 0 {
		info.Protocols = []lws.Protocol{httpProtocol()}
	}
	vh, err := cx.CreateVhost(info)
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

func fileMountSite(t testing.TB, extra ...lws.Mount) (*lws.Vhost, string) {
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		mounts := append([]lws.Mount{{Mountpoint: "/", Origin: "file://" + dir, CacheMaxAge: 60, CacheReusable: true}}, extra...)
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: mounts})
	})
	return vh, dir
}

func get(t testing.TB, client *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func noRedirects() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestHTTPFileMount(t *testing.T) {
	vh, _ := fileMountSite(t)
	base := "http://" + addr(vh)
	client := noRedirects()
	cases := []struct {
		path, status, ctype, body string
	}{
		{"/", "200", "text/html", "<html>index</html>\n"},
		{"/index.html", "200", "text/html", "<html>index</html>\n"},
		{"/a.txt", "200", "text/plain", "hello, file\n"},
		{"/sub/", "200", "text/html", "<html>sub</html>\n"},
		{"/nope", "404", "text/html; charset=utf-8", ""},
		{"/x.weird", "415", "text/html; charset=utf-8", ""},
	}
	for _, tc := range cases {
		resp, body := get(t, client, base+tc.path)
		if strconv.Itoa(resp.StatusCode) != tc.status || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d %q, want %s %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.ctype)
		}
		if tc.body != "" && body != tc.body {
			t.Errorf("%s: body %q, want %q", tc.path, body, tc.body)
		}
		if resp.StatusCode >= 400 && !strings.Contains(body, `href="/error.css"`) {
			t.Errorf("%s: the status page does not link /error.css: %q", tc.path, body)
		}
		if resp.StatusCode == 200 && resp.Header.Get("Cache-Control") != "private, max-age=60" {
			t.Errorf("%s: cache-control %q", tc.path, resp.Header.Get("Cache-Control"))
		}
	}
	// A folder without its slash is sent to the folder.
	resp, _ := get(t, client, base+"/sub?x=1")
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/sub/?x=1" {
		t.Errorf("/sub: %d location %q, want 301 to /sub/?x=1", resp.StatusCode, resp.Header.Get("Location"))
	}
	// HEAD: the head of GET, no body.
	hresp, err := client.Head(base + "/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != 200 || hresp.ContentLength != int64(len("hello, file\n")) {
		t.Errorf("HEAD: %d length %d", hresp.StatusCode, hresp.ContentLength)
	}
	// Files are not for posting.
	presp, err := client.Post(base+"/a.txt", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	presp.Body.Close()
	if presp.StatusCode != 405 || presp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST to a file: %d allow %q", presp.StatusCode, presp.Header.Get("Allow"))
	}
}

func TestHTTPConditionalAndRange(t *testing.T) {
	vh, _ := fileMountSite(t)
	url := "http://" + addr(vh) + "/a.txt"
	client := noRedirects()
	resp, _ := get(t, client, url)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lastMod == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("no validators: %v", resp.Header)
	}
	for _, h := range [][]string{{"If-None-Match", etag}, {"If-None-Match", `"x", W/` + etag}, {"If-Modified-Since", lastMod}} {
		resp, body := get(t, client, url, h...)
		if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != etag {
			t.Errorf("%v: %d %q", h, resp.StatusCode, body)
		}
	}
	resp, _ = get(t, client, url, "If-None-Match", `"other"`)
	if resp.StatusCode != 200 {
		t.Errorf("a different tag: %d", resp.StatusCode)
	}
	ranges := []struct {
		hdr, status, body, cr string
	}{
		{"bytes=0-4", "206", "hello", "bytes 0-4/12"},
		{"bytes=7-", "206", "file\n", "bytes 7-11/12"},
		{"bytes=-5", "206", "file\n", "bytes 7-11/12"},
		{"bytes=50-", "416", "", "bytes */12"},
		{"bytes=0-1,3-4", "200", "hello, file\n", ""},
	}
	for _, r := range ranges {
		resp, body := get(t, client, url, "Range", r.hdr)
		if strconv.Itoa(resp.StatusCode) != r.status || resp.Header.Get("Content-Range") != r.cr {
			t.Errorf("%s: %d %q", r.hdr, resp.StatusCode, resp.Header.Get("Content-Range"))
		}
		if r.status != "416" && body != r.body {
			t.Errorf("%s: body %q, want %q", r.hdr, body, r.body)
		}
	}
	resp, body := get(t, client, url, "Range", "bytes=0-4", "If-Range", `"stale"`)
	if resp.StatusCode != 200 || body != "hello, file\n" {
		t.Errorf("If-Range with a stale tag: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, client, url, "Range", "bytes=0-4", "If-Range", etag)
	if resp.StatusCode != 206 || body != "hello" {
		t.Errorf("If-Range with the tag: %d %q", resp.StatusCode, body)
	}
}

// curlHead runs curl and returns the response head and body it printed.
func curl(t *testing.T, args ...string) string {
	t.Helper()
	path := lookPeer(t, "curl", "curl")
	out, err := execOutput(path, append([]string{"-sS", "-i", "--max-time", "10"}, args...)...)
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	return strings.ReplaceAll(out, "\r\n", "\n")
}

func TestHTTPWithCurl(t *testing.T) {
	vh, _ := fileMountSite(t)
	url := "http://" + addr(vh) + "/a.txt"
	out := curl(t, "-r", "0-4", url)
	if !strings.HasPrefix(out, "HTTP/1.1 206 Partial Content\n") || !strings.Contains(out, "content-range: bytes 0-4/12\n") || !strings.HasSuffix(out, "\n\nhello") {
		t.Errorf("range:\n%s", out)
	}
	out = curl(t, "-I", url)
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") || !strings.Contains(out, "content-length: 12\n") || !strings.HasSuffix(out, "\n\n") {
		t.Errorf("HEAD:\n%s", out)
	}
	etag := ""
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "etag: "); ok {
			etag = v
		}
	}
	out = curl(t, "-H", "If-None-Match: "+etag, url)
	if !strings.HasPrefix(out, "HTTP/1.1 304 Not Modified\n") {
		t.Errorf("conditional:\n%s", out)
	}
	out = curl(t, "-z", time.Now().Add(time.Hour).UTC().Format(httpsem.TimeFormat), url)
	if !strings.HasPrefix(out, "HTTP/1.1 304 Not Modified\n") {
		t.Errorf("If-Modified-Since:\n%s", out)
	}
	// curl fetching two URLs reuses one connection.
	out = curl(t, "-v", url, "http://"+addr(vh)+"/")
	if !strings.Contains(out, "hello, file") || !strings.Contains(out, "<html>index</html>") {
		t.Errorf("two URLs:\n%s", out)
	}
}

// exchange sends req on a new connection and reads until the server
// closes it.
func exchange(t testing.TB, address string, req string) string {
	t.Helper()
	nc, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v (got %q)", req, err, out)
	}
	return string(out)
}

func TestHTTPPipeliningByteExact(t *testing.T) {
	vh, _ := fileMountSite(t)
	req := "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
	closing := "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	one := exchange(t, addr(vh), closing)
	if !strings.HasPrefix(one, "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("answer: %q", one)
	}
	keep := strings.Replace(one, "connection: close\r\n", "", 1)
	// Eight requests in one write, then eight in single bytes.
	all := exchange(t, addr(vh), strings.Repeat(req, 7)+closing)
	if want := strings.Repeat(keep, 7) + one; all != want {
		t.Fatalf("pipelined answers differ from separate ones:\n%q\nwant\n%q", all, want)
	}
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		for _, b := range []byte(strings.Repeat(req, 7) + closing) {
			if _, err := nc.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.Repeat(keep, 7)+one {
		t.Fatalf("byte-by-byte pipelining differs:\n%q", got)
	}
}

func TestHTTPKeepAlive(t *testing.T) {
	vh, _ := fileMountSite(t)
	client := noRedirects()
	reused := 0
	for range 3 {
		req, _ := http.NewRequest("GET", "http://"+addr(vh)+"/a.txt", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) {
				if i.Reused {
					reused++
				}
			},
		}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if reused != 2 {
		t.Errorf("connections reused %d times, want 2", reused)
	}
	// HTTP/1.0 keeps the connection only when asked.
	out := exchange(t, addr(vh), "GET /a.txt HTTP/1.0\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.0 200 OK\r\n") || !strings.Contains(out, "connection: close\r\n") {
		t.Errorf("HTTP/1.0: %q", out)
	}
	out = exchange(t, addr(vh), "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /a.txt HTTP/1.0\r\n\r\n")
	if strings.Count(out, "HTTP/1.0 200 OK") != 2 || !strings.Contains(out, "connection: keep-alive\r\n") {
		t.Errorf("HTTP/1.0 keep-alive: %q", out)
	}
}

func TestHTTPAttackTable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test.html"), []byte("test page"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir, Default: "test.html"}}})
	})
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	for _, tc := range attacktable.Cases {
		if tc.Status == 403 {
			// a refused request closes its connection
			out := exchange(t, addr(vh), "GET "+tc.Target+" HTTP/1.1\r\nHost: x\r\n\r\n")
			if !strings.HasPrefix(out, "HTTP/1.1 403 ") {
				t.Errorf("%q: %q, want 403", tc.Target, out)
			}
			continue
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", tc.Target)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.Target, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.Status {
			t.Errorf("%q: %d, want %d", tc.Target, resp.StatusCode, tc.Status)
		}
		if tc.Status == 200 && string(body) != "test page" {
			t.Errorf("%q: body %q", tc.Target, body)
		}
	}
	for _, target := range []string{"/link.txt", "/out/secret.txt", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"} {
		out := exchange(t, addr(vh), "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if strings.Contains(out, "secret") || strings.Contains(out, "root:") || !strings.HasPrefix(out, "HTTP/1.1 404 ") {
			t.Errorf("%s escaped the mount or was not 404: %q", target, out)
		}
	}
}

func TestHTTPMalformed(t *testing.T) {
	vh, _ := fileMountSite(t)
	cases := []struct {
		name, req, status string
	}{
		{"garbage", "\x01\x02\x03 nonsense\r\n\r\n", ""},
		{"no version", "GET /\r\n\r\n", "400"},
		{"bad escape", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "403"},
		{"relative", "GET nope HTTP/1.1\r\nHost: x\r\n\r\n", "403"},
		{"no host", "GET / HTTP/1.1\r\n\r\n", "400"},
		{"oversize header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8000) + "\r\n\r\n", "431"},
		{"oversize uri", "GET /" + strings.Repeat("a", 8000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"},
		{"te and cl", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"},
		{"unknown coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "501"},
		{"bad length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", "400"},
		{"two lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400"},
		{"http2 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", "505"},
		{"valid then illegal", "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n\x01illegal payload\r\n\r\n", "200"},
	}
	for _, tc := range cases {
		out := exchange(t, addr(vh), tc.req)
		if tc.status == "" {
			// The first bytes are neither HTTP/1 nor HTTP/2's preface:
			// the connection closes without an answer, as for an
			// HTTP/2 client's bad preface.
			if out != "" {
				t.Errorf("%s: %q, want the connection closed without an answer", tc.name, out)
			}
			continue
		}
		if !strings.HasPrefix(out, "HTTP/1.1 "+tc.status+" ") {
			t.Errorf("%s: %q, want %s", tc.name, out, tc.status)
		}
		if tc.name == "valid then illegal" && !strings.Contains(out, "hello, file\n"+"HTTP/1.1 403 ") {
			t.Errorf("%s: the illegal second request was not refused after the first answer: %q", tc.name, out)
		}
	}
	// Random bytes, small and large: the server answers or closes, and
	// stays up.
	for _, n := range []int{80, 640 << 10} {
		junk := make([]byte, n)
		rand.Read(junk)
		exchange(t, addr(vh), string(junk))
	}
	if out := exchange(t, addr(vh), "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(out, "HTTP/1.1 200 ") {
		t.Fatalf("the server is not serving after the garbage: %q", out)
	}
}

// lookPeer returns the path of an external peer program the test command
// installs (pkg is its Debian package). Without it the test fails when
// LWS_REQUIRE_PEERS is set and is skipped otherwise.
func lookPeer(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed (Debian package %s): run ./scripts/test.sh, which installs it", name, pkg)
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func execOutput(path string, args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// execOutputStdin runs a program with stdin as its input and returns
// what it printed on stdout and stderr.
func execOutputStdin(path, stdin string, args ...string) (string, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
