package lws_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/httpsem"
)

// TestHTTPFileZeroModTime serves files whose file system reports no
// modification time, as embed.FS does: they are dated from the process
// start, never from year 1, and the validators built from that date
// revalidate as any file's do.
func TestHTTPFileZeroModTime(t *testing.T) {
	before := time.Now()
	fsys := fstest.MapFS{
		"a.txt":      {Data: []byte("hello, embedded\n")},
		"index.html": {Data: []byte("<html>embedded</html>\n")},
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", FS: fsys, CacheMaxAge: 60, CacheReusable: true}}})
	})
	url := "http://" + addr(vh) + "/a.txt"
	client := noRedirects()
	defer client.CloseIdleConnections()

	resp, body := get(t, client, url)
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != 200 || body != "hello, embedded\n" || etag == "" {
		t.Fatalf("GET: %d %q, etag %q", resp.StatusCode, body, etag)
	}
	mod, err := http.ParseTime(lastMod)
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", lastMod, err)
	}
	// The process started before this test, and within the day.
	if mod.After(before) || before.Sub(mod) > 24*time.Hour {
		t.Fatalf("Last-Modified %q, want the process start, before %v", lastMod, before.UTC())
	}
	// The default page of the folder is dated alike.
	if resp, _ := get(t, client, "http://"+addr(vh)+"/"); resp.Header.Get("Last-Modified") != lastMod {
		t.Errorf("/: Last-Modified %q, want %q", resp.Header.Get("Last-Modified"), lastMod)
	}

	// Revalidation: the client's copy is current.
	for _, h := range [][]string{
		{"If-None-Match", etag},
		{"If-Modified-Since", lastMod},
		{"If-Modified-Since", mod.Add(time.Hour).UTC().Format(httpsem.TimeFormat)},
	} {
		resp, body := get(t, client, url, h...)
		if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != etag {
			t.Errorf("%v: %d %q etag %q, want 304 with %q", h, resp.StatusCode, body, resp.Header.Get("ETag"), etag)
		}
	}
	// A copy older than the process, or with another tag, is sent anew.
	for _, h := range [][]string{
		{"If-Modified-Since", mod.Add(-time.Second).UTC().Format(httpsem.TimeFormat)},
		{"If-Modified-Since", "Mon, 01 Jan 0001 00:00:00 GMT"},
		{"If-None-Match", `"0-0"`},
	} {
		resp, body := get(t, client, url, h...)
		if resp.StatusCode != 200 || body != "hello, embedded\n" || resp.Header.Get("Last-Modified") != lastMod {
			t.Errorf("%v: %d %q, want 200 with the file", h, resp.StatusCode, body)
		}
	}
	// If-Range with the date: the range applies.
	resp, body = get(t, client, url, "Range", "bytes=0-4", "If-Range", lastMod)
	if resp.StatusCode != 206 || body != "hello" {
		t.Errorf("If-Range with the date: %d %q, want 206 hello", resp.StatusCode, body)
	}
}

// TestHTTPFileZeroModTimeCurl asks curl for a file of a file system that
// reports no modification time, and revalidates with what it was told.
func TestHTTPFileZeroModTimeCurl(t *testing.T) {
	fsys := fstest.MapFS{"a.txt": {Data: []byte("hello, embedded\n")}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", FS: fsys}}})
	})
	url := "http://" + addr(vh) + "/a.txt"
	out := curl(t, "-I", url)
	lastMod, etag := headerLine(out, "last-modified"), headerLine(out, "etag")
	if lastMod == "" || etag == "" {
		t.Fatalf("HEAD:\n%s", out)
	}
	if mod, err := http.ParseTime(lastMod); err != nil || mod.Year() < 2000 {
		t.Fatalf("last-modified %q (%v)", lastMod, err)
	}
	for _, args := range [][]string{{"-H", "If-None-Match: " + etag}, {"-H", "If-Modified-Since: " + lastMod}} {
		if out := curl(t, append(args, url)...); !strings.HasPrefix(out, "HTTP/1.1 304 Not Modified\n") {
			t.Errorf("%v:\n%s", args, out)
		}
	}
}

// headerLine returns the value of the header name in curl's -i output.
func headerLine(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
