package lws_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

// TestCGIFraming checks that the server owns the framing of CGI output:
// a program's hop-by-hop headers are not passed on, and a program that
// declares "Transfer-Encoding: chunked" reaches curl and net/http as a
// correct body whether it writes plain bytes (framed by the server, as lws
// does) or really chunk-codes them (decoded, then framed again), over
// HTTP/1.1, HTTP/1.0 and HEAD; chunked output that breaks off or is
// malformed ends the response as incomplete.
func TestCGIFraming(t *testing.T) {
	dir := t.TempDir()
	var lines strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&lines, "line %d\n", i)
	}
	want := lines.String()
	const head = `printf 'Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nX-Script: yes\r\n\r\n'` + "\n"
	loop := "i=0\nwhile [ $i -lt 2000 ]; do\n%s\ni=$((i+1))\ndone\n"
	scripts := map[string]string{
		// declares chunked, writes plain lines
		"plain": head + fmt.Sprintf(loop, `echo "line $i"`),
		// declares chunked and chunk-codes each line, with extensions and
		// a trailer
		"chunked": head + fmt.Sprintf(loop, `l="line $i"
printf '%x;n=%d\r\n%s\n\r\n' $((${#l}+1)) $i "$l"`) + `printf '0\r\nX-Sum: none\r\n\r\n'` + "\n",
		// the first size line comes in two writes
		"split-chunked": head + "printf '1'\nsleep 0.1\nprintf '0\\r\\n0123456789abcdef\\r\\n0\\r\\n\\r\\n'\n",
		// a plain first line that starts like a size
		"split-plain": head + "printf 'ab'\nsleep 0.1\nprintf 'c\\nrest\\n'\n",
		// plain output that ends within what could be a size line
		"short-plain": head + "printf 'abc'\n",
		// hop-by-hop headers of every kind
		"hop": `printf 'Content-Type: text/plain\r\nConnection: close, X-Hop\r\nKeep-Alive: timeout=1\r\nUpgrade: h2c\r\nTE: trailers\r\nTrailer: X-Sum\r\nProxy-Authenticate: Basic\r\nProxy-Connection: close\r\nX-Hop: 1\r\nX-Script: yes\r\n\r\nhop body\n'` + "\n",
		// chunked output that breaks off, and chunked output that is bad
		"cut":       head + "printf '5\\r\\nhello\\r\\n'\n",
		"malformed": head + "printf '5\\r\\nhello\\r\\nzz\\r\\nmore\\r\\n'\n",
	}
	var mounts []lws.Mount
	for name, body := range scripts {
		mounts = append(mounts, lws.Mount{Mountpoint: "/" + name, Origin: "cgi://" + cgiScript(t, dir, name+".sh", body)})
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: mounts})
	})
	base := "http://" + addr(vh) + "/"
	bodies := map[string]string{
		"plain":         want,
		"chunked":       want,
		"split-chunked": "0123456789abcdef",
		"split-plain":   "abc\nrest\n",
		"short-plain":   "abc",
		"hop":           "hop body\n",
	}
	curlPath := lookPeer(t, "curl", "curl")
	curlGet := func(args ...string) (string, error) {
		out, err := execOutput(curlPath, append([]string{"-sS", "-i", "--max-time", "10"}, args...)...)
		return strings.ReplaceAll(out, "\r\n", "\n"), err
	}
	for name, body := range bodies {
		for _, version := range []string{"--http1.1", "--http1.0"} {
			out, err := curlGet(version, base+name)
			if err != nil {
				t.Errorf("curl %s %s: %v\n%.300s", version, name, err, out)
				continue
			}
			gotHead, gotBody, _ := strings.Cut(out, "\n\n")
			if gotBody != body {
				t.Errorf("curl %s %s: body %d bytes %.60q, want %d bytes %.60q", version, name, len(gotBody), gotBody, len(body), body)
			}
			// The server writes its header names in lower case, the
			// scripts theirs capitalised.
			chunked := strings.Contains(gotHead, "\ntransfer-encoding: chunked")
			if chunked != (version == "--http1.1") || strings.Count(strings.ToLower(gotHead), "transfer-encoding") > 1 {
				t.Errorf("curl %s %s: transfer-encoding in head:\n%s", version, name, gotHead)
			}
			for _, hop := range []string{"\nTransfer-Encoding", "\nConnection", "\nKeep-Alive", "\nUpgrade", "\nTE:", "\nTrailer", "\nProxy-", "\nX-Hop"} {
				if strings.Contains(gotHead, hop) {
					t.Errorf("curl %s %s: hop-by-hop %q passed on:\n%s", version, name, hop, gotHead)
				}
			}
			if !strings.Contains(gotHead, "\nX-Script: yes") {
				t.Errorf("curl %s %s: the script's own header is missing:\n%s", version, name, gotHead)
			}
		}
		if out, err := curlGet("-I", base+name); err != nil || !strings.HasPrefix(out, "HTTP/1.1 200 OK\n") {
			t.Errorf("curl HEAD %s: %v %q", name, err, out)
		}
	}

	// net/http reads the same bodies, on one kept-alive connection.
	reused := 0
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for _, name := range []string{"plain", "chunked", "split-chunked", "split-plain", "short-plain", "hop"} {
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if info.Reused {
				reused++
			}
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+name, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != bodies[name] || resp.Header.Get("X-Script") != "yes" ||
			fmt.Sprint(resp.TransferEncoding) != "[chunked]" || resp.Close {
			t.Errorf("net/http %s: %v %d bytes %v %q close=%v", name, err, len(got), resp.TransferEncoding, resp.Header, resp.Close)
		}
		for _, hop := range []string{"Keep-Alive", "Upgrade", "Te", "Trailer", "Proxy-Authenticate", "Proxy-Connection", "X-Hop"} {
			if v := resp.Header.Get(hop); v != "" {
				t.Errorf("net/http %s: hop-by-hop %s: %q passed on", name, hop, v)
			}
		}
	}
	if reused != 5 {
		t.Errorf("%d of 5 requests reused the connection", reused)
	}

	// Chunked output that breaks off, or is malformed, is an incomplete
	// response: the connection closes without the last chunk.
	for _, name := range []string{"cut", "malformed"} {
		resp, err := http.Get(base + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) || string(got) != "hello" {
			t.Errorf("net/http %s: %q, %v; want \"hello\" and an unexpected EOF", name, got, err)
		}
		if out, err := curlGet(base + name); err == nil {
			t.Errorf("curl %s: no error for an incomplete response:\n%s", name, out)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}
