package lws_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"golang.org/x/sys/unix"
)

func TestHTTPZipMount(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "book.zip")
	page := bytes.Repeat([]byte("<p>Candide was a young man of most gentle manners.</p>\n"), 2000)
	zf, err := os.Create(zpath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "candide.html", Method: zip.Deflate, Modified: time.Unix(1700000000, 0)})
	w.Write(page)
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "stored.txt", Method: zip.Store})
	w.Write([]byte("stored as is\n"))
	zw.Close()
	zf.Close()

	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/ziptest", Origin: "file://" + zpath}}})
	})
	url := "http://" + addr(vh) + "/ziptest/candide.html"
	// A client that takes gzip gets the member's deflate data as it is in
	// the archive, inside a gzip frame.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, gz := get(t, client, url, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("gzip: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := zip.OpenReader(zpath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	rawData, _ := io.ReadAll(raw)
	if len(gz) != 10+len(rawData)+8 || !bytes.Equal([]byte(gz)[10:10+len(rawData)], rawData) {
		t.Fatalf("the gzip body is not the archive's deflate data (%d bytes, raw %d)", len(gz), len(rawData))
	}
	gr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(gr)
	if err != nil || !bytes.Equal(plain, page) {
		t.Fatalf("the gzip body does not inflate to the page: %v", err)
	}
	// A client that does not is sent the page inflated.
	resp, body := get(t, client, url)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || body != string(page) {
		t.Fatalf("inflated: %d %v, %d bytes", resp.StatusCode, resp.Header, len(body))
	}
	resp, body = get(t, client, "http://"+addr(vh)+"/ziptest/stored.txt", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || body != "stored as is\n" {
		t.Fatalf("stored member: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}

func TestHTTPVhostsByHost(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dirA, "index.html"), []byte("site A"), 0o644)
	os.WriteFile(filepath.Join(dirB, "index.html"), []byte("site B"), 0o644)
	var a, b, strict *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		a = httpVhost(t, cx, lws.VhostInfo{Name: "a.example", Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dirA}},
			Headers: []lws.HTTPHeader{{Name: "x-site", Value: "A"}}})
		b = httpVhost(t, cx, lws.VhostInfo{Name: "b.example", Port: a.Port(), Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dirB}},
			Headers: []lws.HTTPHeader{{Name: "x-site", Value: "B"}}})
		strict = httpVhost(t, cx, lws.VhostInfo{Name: "strict.example", StrictHostCheck: true,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dirA}}})
	})
	if b.Port() != a.Port() {
		t.Fatalf("the second vhost listens on %d, not the shared %d", b.Port(), a.Port())
	}
	cases := []struct{ host, want string }{
		{"a.example", "site A"},
		{"b.example:" + strconv.Itoa(a.Port()), "site B"},
		{"B.EXAMPLE", "site B"},
		{"cats.b.example", "site B"},
		{"nobody.test", "site A"},
	}
	for _, tc := range cases {
		out := exchange(t, addr(a), "GET / HTTP/1.1\r\nHost: "+tc.host+"\r\nConnection: close\r\n\r\n")
		if !strings.HasSuffix(out, tc.want) || !strings.Contains(out, "x-site: "+tc.want[5:]+"\r\n") {
			t.Errorf("Host %s: %q, want %s", tc.host, out, tc.want)
		}
	}
	if out := exchange(t, addr(strict), "GET / HTTP/1.1\r\nHost: other\r\n\r\n"); !strings.HasPrefix(out, "HTTP/1.1 400 ") {
		t.Errorf("strict host check let a wrong host in: %q", out)
	}
	if out := exchange(t, addr(strict), "GET / HTTP/1.1\r\nHost: strict.example\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(out, "site A") {
		t.Errorf("strict host check refused its own name: %q", out)
	}
	// Destroying the vhost that opened the port leaves it to the other.
	r.do(func() { a.Destroy() })
	if out := exchange(t, addr(b), "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(out, "site B") {
		t.Errorf("after destroying vhost a: %q", out)
	}
	// A vhost created while running joins the port.
	r.do(func() {
		var err error
		a, err = r.cx.CreateVhost(lws.VhostInfo{Name: "a.example", Port: b.Port(), Iface: "127.0.0.1",
			Protocols: []lws.Protocol{httpProtocol()}, Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dirA}}})
		if err != nil {
			t.Error(err)
		}
	})
	if out := exchange(t, addr(b), "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(out, "site A") {
		t.Errorf("a vhost created while running: %q", out)
	}
}

func TestHTTPRedirectsAndErrorDocument(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			ErrorDocument404: "/404.html",
			Mounts: []lws.Mount{
				{Mountpoint: "/", Origin: "file://" + dir},
				{Mountpoint: "/old", Origin: ">https://example.com/new", AppendPath: true},
				{Mountpoint: "/go", Origin: ">http://example.org/"},
			},
		})
	})
	client := noRedirects()
	base := "http://" + addr(vh)
	for _, tc := range []struct{ path, status, loc string }{
		{"/old/a/b", "301", "https://example.com/new/a/b"},
		{"/go/x", "301", "http://example.org/"},
		{"/missing", "302", "/404.html"},
	} {
		resp, _ := get(t, client, base+tc.path)
		if strconv.Itoa(resp.StatusCode) != tc.status || resp.Header.Get("Location") != tc.loc {
			t.Errorf("%s: %d %q, want %s %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.loc)
		}
	}
	resp, body := get(t, client, base+"/404.html")
	if resp.StatusCode != 200 || body != "<html>custom 404</html>\n" {
		t.Errorf("the error document: %d %q", resp.StatusCode, body)
	}
}

// formProtocol is a callback-mount protocol that records its reasons and
// answers each request with what it received: "<in>|<body length>|<sha256>".
type formSession struct {
	in   string
	body []byte
	id   int
}

func TestHTTPCallbackMount(t *testing.T) {
	rec := newRecorder()
	sessions := 0
	form := lws.Protocol{
		Name:       "form",
		NewSession: func() any { sessions++; return &formSession{id: sessions} },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*formSession)
			switch reason {
			case lws.CallbackHTTPBindProtocol, lws.CallbackHTTPDropProtocol, lws.CallbackHTTPBodyCompletion:
				rec.add(reason.String())
			case lws.CallbackHTTP:
				rec.add(fmt.Sprintf("HTTP %s session %d", in, s.id))
				s.in = string(in)
				if c.Hdr(hdr.TokenContentLength) == "" && c.Hdr(hdr.TokenTransferEncoding) == "" {
					c.CallbackOnWritable()
				}
			case lws.CallbackHTTPBody:
				s.body = append(s.body, in...)
			}
			switch reason {
			case lws.CallbackHTTPBodyCompletion:
				c.CallbackOnWritable()
			case lws.CallbackHTTPWriteable:
				sum := sha256.Sum256(s.body)
				answer := fmt.Sprintf("%s|%d|%s", s.in, len(s.body), hex.EncodeToString(sum[:]))
				// length unknown: HTTP/1.1 sends it chunked
				b, err := c.AddHTTPCommonHeaders(nil, 200, "text/plain", -1)
				if err != nil {
					return err
				}
				if _, err := c.AddHTTPHeaderByName(b, "x-bad", "split\r\nset-cookie: x"); err == nil {
					return fmt.Errorf("a header value with CRLF was accepted")
				}
				b, _ = c.FinalizeHTTPHeader(b)
				b = append(b, answer...)
				// one write: head, then the body as one chunk
				if _, err := c.Write(b[:len(b)-len(answer)], lws.WriteHTTPHeaders); err != nil {
					return err
				}
				if !c.SendPipeChoked() {
					if _, err := c.Write([]byte(answer), lws.WriteHTTPFinal); err != nil {
						return err
					}
				}
				return c.HTTPTransactionCompleted()
			}
			return nil
		},
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			Protocols: []lws.Protocol{httpProtocol(), form},
			Mounts: []lws.Mount{
				{Mountpoint: "/", Origin: "file://" + httpSite(t)},
				{Mountpoint: "/form", Origin: "callback://form"},
			},
		})
	})
	body := bytes.Repeat([]byte("0123456789abcdef"), 10000)
	sum := sha256.Sum256(body)
	want := "/x|160000|" + hex.EncodeToString(sum[:])
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		fmt.Fprintf(nc, "POST /form/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		// the same body chunked, in uneven chunks
		fmt.Fprintf(nc, "POST /form/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 7777)
			fmt.Fprintf(nc, "%x;ext=1\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		fmt.Fprintf(nc, "0\r\nx-trailer: y\r\n\r\n")
		fmt.Fprintf(nc, "GET /form HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	}()
	br := bufio.NewReader(nc)
	for i, w := range []string{want, want, "|0|" + hex.EncodeToString(sha256.New().Sum(nil))} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil || string(got) != w || len(resp.TransferEncoding) != 1 {
			t.Fatalf("answer %d: %q %v %v, want %q", i, got, err, resp.TransferEncoding, w)
		}
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(resp.Body); string(got) != "hello, file\n" {
		t.Fatalf("the file after the callback mount: %q", got)
	}
	waitFor(t, "the drop", func() bool { return len(rec.list()) >= 10 })
	wantEvents := []string{
		"HTTP_BIND_PROTOCOL", "HTTP /x session 1", "HTTP_BODY_COMPLETION",
		"HTTP_DROP_PROTOCOL", "HTTP_BIND_PROTOCOL", "HTTP /x session 2", "HTTP_BODY_COMPLETION",
		"HTTP_DROP_PROTOCOL", "HTTP_BIND_PROTOCOL", "HTTP  session 3", "HTTP_DROP_PROTOCOL",
	}
	if got := rec.list(); strings.Join(got, ",") != strings.Join(wantEvents, ",") {
		t.Errorf("reasons:\n%q\nwant\n%q", got, wantEvents)
	}
}

// cgiScript writes an executable shell script.
func cgiScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHTTPCGI(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	env := cgiScript(t, dir, "env.sh", `printf 'Content-Type: text/plain\r\nX-Script: yes\r\n\r\n'
echo "method=$REQUEST_METHOD script=$SCRIPT_NAME path=$PATH_INFO query=$QUERY_STRING extra=$EXTRA agent=$HTTP_USER_AGENT"
echo "to the log" >&2
`)
	post := cgiScript(t, dir, "post.sh", `printf 'Status: 201 Made\r\nContent-Type: text/plain\r\n\r\n'
echo "length=$CONTENT_LENGTH"
sha256sum | cut -d' ' -f1
`)
	slow := cgiScript(t, dir, "slow.sh", `echo $$ > `+pidFile+`
printf 'Content-Type: text/plain\r\n\r\n'
i=0
while true; do echo "line $i"; i=$((i+1)); sleep 0.01; done
`)
	bad := cgiScript(t, dir, "bad.sh", "echo no head at all\n")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{
			{Mountpoint: "/env", Origin: "cgi://" + env, CGIEnv: []lws.HTTPHeader{{Name: "EXTRA", Value: "from-mount"}}},
			{Mountpoint: "/post", Origin: "cgi://" + post},
			{Mountpoint: "/slow", Origin: "cgi://" + slow},
			{Mountpoint: "/bad", Origin: "cgi://" + bad},
		}})
	})
	client := noRedirects()
	base := "http://" + addr(vh)
	resp, body := get(t, client, base+"/env/more/path?a=1&b=2", "User-Agent", "tester")
	want := "method=GET script=/env path=/more/path query=a=1&b=2 extra=from-mount agent=tester\n"
	if resp.StatusCode != 200 || body != want || resp.Header.Get("X-Script") != "yes" || len(resp.TransferEncoding) != 1 {
		t.Errorf("env: %d %v %q, want %q", resp.StatusCode, resp.Header, body, want)
	}
	payload := bytes.Repeat([]byte("post body "), 50000)
	sum := sha256.Sum256(payload)
	presp, err := client.Post(base+"/post", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(presp.Body)
	presp.Body.Close()
	if presp.StatusCode != 201 || string(got) != fmt.Sprintf("length=%d\n%s\n", len(payload), hex.EncodeToString(sum[:])) {
		t.Errorf("post: %d %q", presp.StatusCode, got)
	}
	resp, _ = get(t, client, base+"/bad")
	if resp.StatusCode != 502 {
		t.Errorf("a script without a head: %d, want 502", resp.StatusCode)
	}
	// A client that goes away mid-response leaves no process behind.
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(nc, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	buf := make([]byte, 4096)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := nc.Read(buf); err != nil || !strings.Contains(string(buf[:n]), "200 OK") {
		t.Fatalf("slow: %q %v", buf[:n], err)
	}
	var pid int
	waitFor(t, "the script's pid", func() bool {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	nc.Close()
	waitFor(t, "the script to be killed and reaped", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return os.IsNotExist(err)
	})
}

// TestHTTPConcurrentCGI runs several programs at once on one loop.
func TestHTTPConcurrentCGI(t *testing.T) {
	dir := t.TempDir()
	echo := cgiScript(t, dir, "echo.sh", "printf 'Content-Type: text/plain\\r\\n\\r\\n'\ncat\n")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/echo", Origin: "cgi://" + echo}}})
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			payload := bytes.Repeat([]byte{byte('a' + i)}, 300000)
			resp, err := http.Post("http://"+addr(vh)+"/echo", "text/plain", bytes.NewReader(payload))
			if err != nil {
				t.Error(err)
				return
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, payload) {
				t.Errorf("echo %d: %d bytes back", i, len(got))
			}
		})
	}
	wg.Wait()
	http.DefaultClient.CloseIdleConnections()
}

func TestHTTPPeerLimits(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{IPLimitWSI: 2, IPLimitAH: 1}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
	})
	tables := func(wantInUse, wantWaiting int) func() bool {
		return func() bool {
			var inUse, waiting int
			r.do(func() { inUse, waiting = lws.HeaderTables(r.cx) })
			return inUse == wantInUse && waiting == wantWaiting
		}
	}
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		return nc
	}
	// The header table limit is soft: the second connection's request
	// waits until the first one's head is complete.
	first, second := dial(), dial()
	defer first.Close()
	defer second.Close()
	io.WriteString(first, "GET /a.txt HTTP/1.1\r\nHost: x\r\n")
	waitFor(t, "the first connection to hold a table", tables(1, 0))
	io.WriteString(second, "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	waitFor(t, "the second connection to wait for its peer", tables(1, 1))
	// The wsi limit is hard: a third connection is closed at once.
	third := dial()
	defer third.Close()
	if n, err := third.Read(make([]byte, 1)); err == nil {
		t.Fatalf("a third connection from one address was served (%d bytes)", n)
	}
	io.WriteString(first, "Connection: close\r\n\r\n")
	a, err := io.ReadAll(first)
	if err != nil || !strings.HasSuffix(string(a), "hello, file\n") {
		t.Fatalf("first: %q %v", a, err)
	}
	b, err := io.ReadAll(second)
	if err != nil || !strings.HasSuffix(string(b), "<html>index</html>\n") {
		t.Fatalf("second: %q %v", b, err)
	}
	// Both closed: a new connection is welcome again.
	waitFor(t, "a fourth connection to be served", func() bool {
		nc := dial()
		defer nc.Close()
		io.WriteString(nc, "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		out, _ := io.ReadAll(nc)
		return strings.HasSuffix(string(out), "hello, file\n")
	})
}

func TestHTTPTimeouts(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{TimeoutSecs: 1}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{KeepaliveTimeout: 1, AHIdleTimeoutSecs: 1,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
	})
	for _, tc := range []struct{ name, req, want string }{
		{"idle keep-alive", "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "hello, file\n"},
		{"slow head", "GET /a.txt HTTP/1.1\r\nHost: x\r\n", ""},
		{"slow body", "POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 405 "},
		{"silent", "", ""},
	} {
		start := time.Now()
		out := exchange(t, addr(vh), tc.req)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: %q", tc.name, out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: closed after %v", tc.name, d)
		}
	}
}

// TestHTTPAdoptSocket serves HTTP on a socket accepted elsewhere, with the
// bytes already read from it handed over.
func TestHTTPAdoptSocket(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Port: lws.PortNoListen, Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(nc, "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	first := make([]byte, 10)
	if _, err := io.ReadFull(sc, first); err != nil {
		t.Fatal(err)
	}
	f, err := sc.(*net.TCPConn).File()
	sc.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := dupFD(f)
	if err != nil {
		t.Fatal(err)
	}
	r.do(func() {
		if _, err := vh.AdoptSocketReadbuf(fd, first); err != nil {
			t.Error(err)
		}
	})
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(nc)
	if err != nil || !strings.HasPrefix(string(out), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(out), "hello, file\n") {
		t.Fatalf("adopted: %q %v", out, err)
	}
}

// TestHTTPFilterAndHeaderReasons covers FILTER_HTTP_CONNECTION,
// ADD_HEADERS, CHECK_ACCESS_RIGHTS and HTTP_PMO.
func TestHTTPFilterAndHeaderReasons(t *testing.T) {
	dir := httpSite(t)
	first := lws.Protocol{Name: "http", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackFilterHTTPConnection && string(in) == "/deny.txt" {
			return &lws.StatusError{Status: 403, Reason: "denied"}
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	hdrs := lws.Protocol{Name: "hdrs", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackAddHeaders {
			return c.AddHTTPHeader("x-added", "by ADD_HEADERS")
		}
		return nil
	}}
	guarded := lws.Protocol{Name: "guarded", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackCheckAccessRights:
			if c.Hdr(hdr.TokenAuthorization) != "let me in" {
				return fmt.Errorf("no")
			}
		case lws.CallbackHTTP:
			v, _ := c.PMO("greeting")
			return c.ReturnHTTPStatus(200, v+" "+strconv.FormatUint(uint64(c.Mount().AuthMask), 10))
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			Protocols: []lws.Protocol{first, hdrs, guarded},
			Mounts: []lws.Mount{
				{Mountpoint: "/", Origin: "file://" + dir, Protocol: "hdrs"},
				{Mountpoint: "/guarded", Origin: "callback://guarded", AuthMask: 5, PMO: map[string]string{"greeting": "hi"}},
			},
		})
	})
	client := noRedirects()
	base := "http://" + addr(vh)
	if resp, _ := get(t, client, base+"/a.txt"); resp.Header.Get("X-Added") != "by ADD_HEADERS" {
		t.Errorf("ADD_HEADERS: %v", resp.Header)
	}
	if resp, _ := get(t, client, base+"/deny.txt"); resp.StatusCode != 403 {
		t.Errorf("FILTER_HTTP_CONNECTION: %d", resp.StatusCode)
	}
	if resp, _ := get(t, client, base+"/guarded/x"); resp.StatusCode != 401 {
		t.Errorf("CHECK_ACCESS_RIGHTS refused: %d", resp.StatusCode)
	}
	resp, body := get(t, client, base+"/guarded/x", "Authorization", "let me in")
	if resp.StatusCode != 200 || !strings.Contains(body, "hi 5") {
		t.Errorf("CHECK_ACCESS_RIGHTS allowed: %d %q", resp.StatusCode, body)
	}
}

// syncBuffer is a bytes.Buffer safe to read while the loop writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHTTPAccessLog(t *testing.T) {
	var log syncBuffer
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{AccessLog: &log, Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + httpSite(t)}}})
	})
	exchange(t, addr(vh), "GET /a.txt?x=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: test \"agent\"\r\nReferer: http://r/\r\n\r\n"+
		"HEAD /nope HTTP/1.0\r\n\r\n")
	waitFor(t, "two log lines", func() bool { return strings.Count(log.String(), "\n") == 2 })
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	want := []string{
		`"GET /a.txt?x=1 HTTP/1.1" 200 12 "http://r/" "test \"agent\""`,
		`"HEAD /nope HTTP/1.0" 404 - "-" "-"`,
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], "127.0.0.1 - - [") || !strings.HasSuffix(lines[i], "] "+w) {
			t.Errorf("line %d: %q, want ...%s", i, lines[i], w)
		}
	}
}

func TestHTTPUnixSocketVhost(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "lws.sock")
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		httpVhost(t, cx, lws.VhostInfo{Name: "uds", UnixSocket: true, Iface: sock,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + httpSite(t)}}})
	})
	st, err := os.Stat(sock)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket file: %v %v", st, err)
	}
	nc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "GET /a.txt HTTP/1.1\r\nHost: uds\r\nConnection: close\r\n\r\n")
	out, _ := io.ReadAll(nc)
	if !strings.HasPrefix(string(out), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(out), "hello, file\n") {
		t.Fatalf("over the unix socket: %q", out)
	}
	r.do(func() { r.cx.VhostByName("uds").Destroy() })
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket file outlived its vhost: %v", err)
	}
}

// TestDeprecateAndListenFD: a second context takes over the first one's
// listening socket (ListenFD) while the first deprecates: new connections
// go to the second, the first keeps serving its open ones and says when
// the last has closed.
func TestDeprecateAndListenFD(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dirA, "index.html"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dirB, "index.html"), []byte("new"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lf, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	fdA, _ := unix.Dup(int(lf.Fd()))
	fdB, _ := unix.Dup(int(lf.Fd()))
	lf.Close()
	var a, b *lws.Vhost
	ra := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		a = httpVhost(t, cx, lws.VhostInfo{ListenFD: fdA, Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dirA}}})
	})
	open := func() net.Conn {
		nc, err := net.Dial("tcp", addr(a))
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		return nc
	}
	fetch := func(nc net.Conn) string {
		io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	kept := open()
	defer kept.Close()
	if got := fetch(kept); got != "old" {
		t.Fatalf("before: %q", got)
	}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		b = httpVhost(t, cx, lws.VhostInfo{ListenFD: fdB, Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dirB}}})
	})
	if b.Port() != a.Port() {
		t.Fatalf("the inherited socket has port %d, not %d", b.Port(), a.Port())
	}
	drained := make(chan struct{})
	ra.do(func() { ra.cx.Deprecate(func() { close(drained) }) })
	fresh := open()
	if got := fetch(fresh); got != "new" {
		t.Errorf("a new connection after the handover: %q", got)
	}
	fresh.Close()
	if got := fetch(kept); got != "old" {
		t.Errorf("the open connection after deprecation: %q", got)
	}
	select {
	case <-drained:
		t.Fatal("drained while a connection is open")
	default:
	}
	kept.Close()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatal("Deprecate's done never came")
	}
}

// TestHTTPCGIProtocolAndLength: a CGI program learns the request's
// protocol version (SERVER_PROTOCOL) and its body's declared length
// (CONTENT_LENGTH, absent for a chunked body or none) from the wire that
// carried the request.
func TestHTTPCGIProtocolAndLength(t *testing.T) {
	dir := t.TempDir()
	env := cgiScript(t, dir, "proto.sh", `cat >/dev/null
printf 'Content-Type: text/plain\r\n\r\n'
echo "proto=$SERVER_PROTOCOL length=${CONTENT_LENGTH-none}"
`)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/p", Origin: "cgi://" + env}}})
	})
	for _, tc := range []struct{ req, want string }{
		{"GET /p HTTP/1.0\r\n\r\n", "proto=HTTP/1.0 length=none\n"},
		{"POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", "proto=HTTP/1.0 length=3\n"},
		{"POST /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nabcde", "proto=HTTP/1.1 length=5\n"},
		{"POST /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", "proto=HTTP/1.1 length=none\n"},
	} {
		out := exchange(t, addr(vh), tc.req)
		if !strings.Contains(out, " 200 OK\r\n") || !strings.Contains(out, tc.want) {
			t.Errorf("%q: %q, want the body %q", tc.req, out, tc.want)
		}
	}
}
