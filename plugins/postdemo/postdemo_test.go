package postdemo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
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
	"github.com/golws/lws/internal/looptest"
)

// ioTimeout bounds every exchange of a test: it turns a hang into a
// failure and is never what a test waits for.
const ioTimeout = 10 * time.Second

// server is a context serving the protocol at /formtest on 127.0.0.1.
type server struct {
	addr string
	url  string
	tmp  string // TMPDIR of the test: where the uploads go
	// uploads receives, for each transaction that stored a file, the
	// temporary file as it was when the body was complete.
	uploads chan upload
}

type upload struct {
	path    string
	content []byte
	err     error
}

// startServer runs a context whose vhost serves a 404 protocol first and
// the post demo on the /formtest mount. The test's TMPDIR becomes a fresh
// directory, so that the temporary files the protocol makes can be
// watched.
func startServer(t *testing.T, backend string) *server {
	t.Helper()
	s := &server{tmp: t.TempDir(), uploads: make(chan upload, 16)}
	t.Setenv("TMPDIR", s.tmp)
	p := Protocol()
	inner := p.Callback
	p.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		err := inner(c, reason, in)
		if reason == lws.CallbackHTTPBodyCompletion {
			if ss, ok := c.User().(*session); ok && ss.path != "" {
				b, rerr := os.ReadFile(ss.path)
				s.uploads <- upload{ss.path, b, rerr}
			}
		}
		return err
	}
	cx, err := lws.NewContext(lws.ContextInfo{EventLib: backend})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Name: "postdemo", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{{Name: "http", Callback: lws.CallbackHTTPDummy}, p},
		Mounts:    []lws.Mount{{Mountpoint: "/formtest", Origin: "callback://" + Name}},
	})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	looptest.Run(t, cx)
	s.addr = "127.0.0.1:" + strconv.Itoa(vh.Port())
	s.url = "http://" + s.addr + "/formtest"
	return s
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range []string{lws.EventLibEpoll, lws.EventLibPoll} {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// noTempFiles fails the test if a temporary file of the protocol is left.
func (s *server) noTempFiles(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(s.tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "post-file-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// nextUpload returns the file the protocol stored for a transaction.
func (s *server) nextUpload(t *testing.T) upload {
	t.Helper()
	select {
	case u := <-s.uploads:
		if u.err != nil {
			t.Fatalf("reading the stored upload: %v", u.err)
		}
		if filepath.Dir(u.path) != s.tmp || !strings.HasPrefix(filepath.Base(u.path), "post-file-") {
			t.Fatalf("upload stored as %s, want a post-file-* in %s", u.path, s.tmp)
		}
		return u
	case <-time.After(ioTimeout):
		t.Fatal("no upload was stored")
	}
	return upload{}
}

func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: ioTimeout}
}

// post sends a request and returns the response with its body read.
func post(t *testing.T, client *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func newRequest(t *testing.T, method, url, contentType string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// expectPage checks a 200 text/html answer.
func expectPage(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
		t.Fatalf("Content-Type %q", ct)
	}
	if resp.ContentLength != int64(len(body)) {
		t.Fatalf("Content-Length %d for %d bytes", resp.ContentLength, len(body))
	}
}

// row is the table row of a parameter with a value.
func row(name, value string) string {
	return fmt.Sprintf("<tr><td><b>%s</b></td><td>%d</td><td>%s</td></tr>", name, len(value), value)
}

// nullRow is the table row of a parameter the form did not hold.
func nullRow(name string) string {
	return "<tr><td><b>" + name + "</b></td><td>0</td><td>NULL</td></tr>"
}

const pageHead = "<html><body><h1>Form results (after urldecoding)</h1>" +
	"<table><tr><td>Name</td><td>Length</td><td>Value</td></tr>"

// multipartBody builds a multipart/form-data body as a browser or curl -F
// sends it: the fields in order, then the file, if filename is not empty.
func multipartBody(t *testing.T, fields [][2]string, fileField, filename string, content []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		fw, err := w.CreateFormFile(fileField, filename)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

// fileContent is n bytes of varied content.
func fileContent(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestURLEncoded(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t)
	resp, body := post(t, client, newRequest(t, "POST", s.url, "application/x-www-form-urlencoded",
		strings.NewReader("text=hello+world&send=SEND")))
	expectPage(t, resp, body)
	want := pageHead + row("text", "hello world") + row("send", "SEND") + nullRow("file") + nullRow("upload") +
		"</table></body></html>"
	if body != want {
		t.Fatalf("page\n%s\nwant\n%s", body, want)
	}
	s.noTempFiles(t)
}

func TestValuesAreEscaped(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t)
	resp, body := post(t, client, newRequest(t, "POST", s.url, "application/x-www-form-urlencoded",
		strings.NewReader("text=%3Cscript%3E%26%22x%22%27&upload=")))
	expectPage(t, resp, body)
	// The length is that of the value received, before escaping.
	if want := "<tr><td><b>text</b></td><td>13</td><td>&lt;script&gt;&amp;&#34;x&#34;&#39;</td></tr>"; !strings.Contains(body, want) {
		t.Fatalf("page %s\ndoes not hold %s", body, want)
	}
	if want := "<tr><td><b>upload</b></td><td>0</td><td></td></tr>"; !strings.Contains(body, want) {
		t.Fatalf("an empty value: page %s\ndoes not hold %s", body, want)
	}
}

// TestChunkedBody posts a body of unknown length, which net/http sends
// chunked.
func TestChunkedBody(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t)
	body := io.MultiReader(strings.NewReader("text=chun"), strings.NewReader("ked&send=go"))
	req := newRequest(t, "POST", s.url, "application/x-www-form-urlencoded", body)
	if req.ContentLength != 0 {
		t.Fatalf("ContentLength %d: the request would not be chunked", req.ContentLength)
	}
	resp, page := post(t, client, req)
	expectPage(t, resp, page)
	if !strings.Contains(page, row("text", "chunked")) || !strings.Contains(page, row("send", "go")) {
		t.Fatalf("page %s", page)
	}
}

func TestMultipartWithFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := startServer(t, backend)
		client := newClient(t)
		content := fileContent(70000)
		ct, mb := multipartBody(t, [][2]string{{"text", "hi <there>"}, {"send", "SEND"}}, "upload", `my "file".txt`, content)
		resp, page := post(t, client, newRequest(t, "POST", s.url, ct, bytes.NewReader(mb)))
		expectPage(t, resp, page)
		want := pageHead + "<tr><td><b>text</b></td><td>10</td><td>hi &lt;there&gt;</td></tr>" +
			row("send", "SEND") + nullRow("file") + nullRow("upload") + "</table>" +
			"<br><b>filename:</b> my &#34;file&#34;.txt, <b>length</b> 70000</body></html>"
		if page != want {
			t.Fatalf("page\n%s\nwant\n%s", page, want)
		}
		u := s.nextUpload(t)
		if !bytes.Equal(u.content, content) {
			t.Fatalf("stored %d bytes, not the %d uploaded", len(u.content), len(content))
		}
		// The temporary file is gone once the transaction is over, though
		// the connection stays open for the next one.
		if _, err := os.Stat(u.path); !os.IsNotExist(err) {
			t.Fatalf("%s still there after the transaction: %v", u.path, err)
		}
		s.noTempFiles(t)
	})
}

func TestFileSizeLimit(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t)

	// 100000 bytes are accepted.
	ct, mb := multipartBody(t, [][2]string{{"send", "SEND"}}, "upload", "big.bin", fileContent(maxFileSize))
	resp, page := post(t, client, newRequest(t, "POST", s.url, ct, bytes.NewReader(mb)))
	expectPage(t, resp, page)
	if !strings.Contains(page, "<b>filename:</b> big.bin, <b>length</b> 100000</body>") {
		t.Fatalf("page %s", page)
	}
	s.nextUpload(t)
	s.noTempFiles(t)

	// One more is refused with 413. The client sends on while the answer
	// comes, as browsers do, so it is spoken raw: net/http may report the
	// broken upload instead of the answer.
	ct, mb = multipartBody(t, [][2]string{{"send", "SEND"}}, "upload", "big.bin", fileContent(maxFileSize+1))
	status, _ := rawPost(t, s.addr, ct, mb)
	if status != 413 {
		t.Fatalf("status %d for a file one byte over the limit, want 413", status)
	}
	s.noTempFiles(t)

	// A much larger one too, cut short long before its end.
	ct, mb = multipartBody(t, nil, "upload", "huge.bin", fileContent(4<<20))
	if status, _ := rawPost(t, s.addr, ct, mb); status != 413 {
		t.Fatalf("status %d for a 4 MiB file, want 413", status)
	}
	s.noTempFiles(t)
}

// rawPost sends a POST over a fresh connection, writing the body while
// reading the answer, and returns the answer's status and body.
func rawPost(t *testing.T, addr, contentType string, body []byte) (int, string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	head := "POST /formtest HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: " + contentType +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	go func() {
		// The server may stop reading part-way: errors are expected.
		_, _ = nc.Write(append([]byte(head), body...))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestKeepAlive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := startServer(t, backend)
		client := newClient(t)
		var reused []bool
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) },
		})

		req := newRequest(t, "POST", s.url, "application/x-www-form-urlencoded", strings.NewReader("text=first"))
		resp, page := post(t, client, req.WithContext(ctx))
		expectPage(t, resp, page)
		if !strings.Contains(page, row("text", "first")) || !strings.Contains(page, nullRow("send")) {
			t.Fatalf("first page %s", page)
		}

		ct, mb := multipartBody(t, [][2]string{{"text", "second"}}, "upload", "a.txt", []byte("abc"))
		req = newRequest(t, "POST", s.url, ct, bytes.NewReader(mb))
		resp, page = post(t, client, req.WithContext(ctx))
		expectPage(t, resp, page)
		if !strings.Contains(page, row("text", "second")) || !strings.Contains(page, "<b>filename:</b> a.txt, <b>length</b> 3<") {
			t.Fatalf("second page %s", page)
		}
		s.nextUpload(t)

		// A third, with no file: nothing of the second is left over.
		req = newRequest(t, "POST", s.url, "application/x-www-form-urlencoded", strings.NewReader("send=3"))
		resp, page = post(t, client, req.WithContext(ctx))
		expectPage(t, resp, page)
		if strings.Contains(page, "filename") || !strings.Contains(page, nullRow("text")) {
			t.Fatalf("third page %s", page)
		}

		if len(reused) != 3 || reused[0] || !reused[1] || !reused[2] {
			t.Fatalf("connection reuse %v, want [false true true]", reused)
		}
		s.noTempFiles(t)
	})
}

func TestNoBodyGetsTheForm(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t)
	for _, method := range []string{"GET", "POST"} {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("") // Content-Length: 0
		}
		resp, page := post(t, client, newRequest(t, method, s.url, "", body))
		expectPage(t, resp, page)
		for _, want := range []string{`<form method="post" enctype="multipart/form-data">`,
			`name="text"`, `type="file" name="upload"`, `name="send"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("%s: form page %s\ndoes not hold %s", method, page, want)
			}
		}
	}
	// HEAD gets the head alone.
	resp, page := post(t, client, newRequest(t, "HEAD", s.url, "", nil))
	if resp.StatusCode != 200 || page != "" || resp.ContentLength <= 0 {
		t.Fatalf("HEAD: %d, length %d, body %q", resp.StatusCode, resp.ContentLength, page)
	}
	// Other paths are not the protocol's.
	resp, _ = post(t, client, newRequest(t, "GET", "http://"+s.addr+"/other", "", nil))
	if resp.StatusCode != 404 {
		t.Fatalf("/other: %d", resp.StatusCode)
	}
}

func TestBadForms(t *testing.T) {
	s := startServer(t, "")
	client := newClient(t)
	boundary := "xYzZY"
	for _, tc := range []struct {
		name, ct, body string
		status         int
	}{
		{"not a form", "text/plain", "text=hello", 415},
		{"no content type", "", "text=hello", 415},
		{"bad escape", "application/x-www-form-urlencoded", "text=%zz", 400},
		{"values over 1024 bytes", "application/x-www-form-urlencoded", "text=" + strings.Repeat("a", 1025), 413},
		{"multipart without boundary", "multipart/form-data", "--x\r\n", 400},
		{"truncated multipart", "multipart/form-data; boundary=" + boundary,
			"--" + boundary + "\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello", 400},
		{"truncated upload", "multipart/form-data; boundary=" + boundary,
			"--" + boundary + "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"f\"\r\n\r\npartial file", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _ := rawPost(t, s.addr, tc.ct, []byte(tc.body))
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			s.noTempFiles(t)
		})
	}
	// A form refused once its body is complete leaves the connection
	// usable.
	var reused []bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) },
	})
	for i := range 2 {
		req := newRequest(t, "POST", s.url, "multipart/form-data; boundary="+boundary,
			strings.NewReader("--"+boundary+"\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello"))
		resp, _ := post(t, client, req.WithContext(ctx))
		if resp.StatusCode != 400 {
			t.Fatalf("request %d: status %d, want 400", i, resp.StatusCode)
		}
	}
	if len(reused) != 2 || !reused[1] {
		t.Fatalf("connection reuse %v, want the second request on the first's connection", reused)
	}
}

// lookPeer returns the path of a program a test needs. Without it the
// test fails when LWS_REQUIRE_PEERS is set (as scripts/test.sh does) and
// is skipped otherwise.
func lookPeer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed (Debian package %s): run ./scripts/test.sh, which installs it", name, name)
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func TestCurl(t *testing.T) {
	curl := lookPeer(t, "curl")
	src := t.TempDir()
	content := fileContent(3000)
	file := filepath.Join(src, "somefile.bin")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "")
	var stderr bytes.Buffer
	cmd := exec.Command(curl, "-sS", "--max-time", "10", "-F", "text=hello", "-F", "send=SEND",
		"-F", "upload=@"+file, s.url)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, stderr.Bytes())
	}
	want := pageHead + row("text", "hello") + row("send", "SEND") + nullRow("file") + nullRow("upload") +
		"</table><br><b>filename:</b> somefile.bin, <b>length</b> 3000</body></html>"
	if string(out) != want {
		t.Fatalf("curl printed\n%s\nwant\n%s", out, want)
	}
	if u := s.nextUpload(t); !bytes.Equal(u.content, content) {
		t.Fatalf("stored %d bytes, not the %d uploaded", len(u.content), len(content))
	}
	s.noTempFiles(t)
}

// TestMultipartOverHTTP2 posts the same form with a file over HTTP/2
// (h2c by prior knowledge): the body arrives as DATA under flow control,
// and the page and the stored file are the same as over HTTP/1.1.
func TestMultipartOverHTTP2(t *testing.T) {
	s := startServer(t, "")
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: ioTimeout}
	content := fileContent(90000) // more than a stream's first window with the form around it
	ct, mb := multipartBody(t, [][2]string{{"text", "over h2"}, {"send", "SEND"}}, "upload", "h2.txt", content)
	resp, page := post(t, client, newRequest(t, "POST", s.url, ct, bytes.NewReader(mb)))
	if resp.ProtoMajor != 2 {
		t.Fatalf("answered over %s", resp.Proto)
	}
	expectPage(t, resp, page)
	if !strings.HasSuffix(page, "<b>filename:</b> h2.txt, <b>length</b> 90000</body></html>") {
		t.Fatalf("page\n%s", page)
	}
	if u := s.nextUpload(t); !bytes.Equal(u.content, content) {
		t.Fatalf("stored %d bytes, not the %d uploaded", len(u.content), len(content))
	}
	s.noTempFiles(t)
}
