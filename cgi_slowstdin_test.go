package lws_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

// TestCGIChunkedBodyToSlowProgram posts a chunked body larger than a
// pipe holds to a CGI program that reads nothing for a while: the server
// holds the client back until the program reads, then delivers the rest,
// and the program counts every byte. The loop must not spin meanwhile: the
// request and a second one are answered within the client's timeout.
func TestCGIChunkedBodyToSlowProgram(t *testing.T) {
	dir := t.TempDir()
	wc := cgiScript(t, dir, "wc.sh", `sleep 1
printf 'Content-Type: text/plain\r\n\r\n'
wc -c
`)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/wc", Origin: "cgi://" + wc}}})
	})
	client := &http.Client{Timeout: 20 * time.Second}
	body := bytes.Repeat([]byte("x"), 1<<20)
	file := filepath.Join(dir, "body")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out := curl(t, "-H", "Transfer-Encoding: chunked", "-H", "Expect:", "--data-binary", "@"+file, "http://"+addr(vh)+"/wc")
	if !strings.HasSuffix(strings.TrimSpace(out), "\n"+strconv.Itoa(len(body))) {
		t.Fatalf("curl: %q", out)
	}
	for range 2 {
		// io.MultiReader hides the length: net/http sends it chunked.
		resp, err := client.Post("http://"+addr(vh)+"/wc", "application/octet-stream", io.MultiReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || strings.TrimSpace(string(got)) != strconv.Itoa(len(body)) {
			t.Fatalf("%d %q %v, want %d bytes counted", resp.StatusCode, got, err, len(body))
		}
	}
}
