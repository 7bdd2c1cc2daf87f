package lws_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

// TestCGIPipesAreChildren checks that a CGI program's pipes are children
// of the HTTP connection they serve, as in lws: each one's close is told
// to that connection's protocol as CHILD_CLOSING while it is still open
// (stdin once the request has no more body, stdout and stderr when the
// program is done), before CGI_TERMINATED; and that the connections name
// their roles in logs.
func TestCGIPipesAreChildren(t *testing.T) {
	dir := t.TempDir()
	script := cgiScript(t, dir, "hello.sh", `printf 'Content-Type: text/plain\r\n\r\nhello\n'`+"\n")
	rec := newRecorder()
	proto := lws.Protocol{Name: "http", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackChildClosing:
			ch := c.ChildClosing()
			rec.add(fmt.Sprintf("child-closing parent-open=%v linked=%v child=%v parent=%v",
				!c.Closed(), ch != nil && ch.Parent() == c, ch, c))
		case lws.CallbackCGITerminated:
			rec.add("terminated")
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			Protocols: []lws.Protocol{proto},
			Mounts:    []lws.Mount{{Mountpoint: "/hello", Origin: "cgi://" + script}},
		})
	})
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + addr(vh) + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "hello\n" {
		t.Fatalf("body %q, %v", body, err)
	}
	rec.await(t, "terminated")
	var closes []string
	for _, ev := range rec.list() {
		if ev == "terminated" {
			break
		}
		closes = append(closes, ev)
	}
	if len(closes) != 3 {
		t.Fatalf("before CGI_TERMINATED: %q, want three CHILD_CLOSING (stdin, stdout, stderr)", closes)
	}
	for _, ev := range closes {
		if !strings.HasPrefix(ev, "child-closing parent-open=true linked=true ") ||
			!strings.Contains(ev, ", cgi, ") || !strings.Contains(ev, ", h1, http)") {
			t.Errorf("%q: want a CGI pipe child of an open HTTP/1 connection", ev)
		}
	}
}

// TestWSCloseBehindUnsentDataIsBounded checks that a WebSocket whose
// Close answer waits behind a write the kernel has not taken (the peer
// sent its Close and reads nothing more) closes within the context's
// TimeoutSecs, as an HTTP connection closing after its response does,
// instead of waiting for the peer for ever.
func TestWSCloseBehindUnsentDataIsBounded(t *testing.T) {
	rec := newRecorder()
	big := make([]byte, 4<<20)
	sent := false
	proto := lws.Protocol{Name: "big", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished:
			rec.add("established " + fmt.Sprint(c))
			c.CallbackOnWritable()
		case lws.CallbackServerWriteable:
			if !sent {
				sent = true
				if _, err := c.Write(big, lws.WriteBinary); err != nil {
					return err
				}
				rec.add(fmt.Sprintf("wrote buffered=%d", c.BufferedAmount()))
			}
		case lws.CallbackWSPeerInitiatedClose:
			rec.add("peer-close")
		case lws.CallbackClosed:
			rec.add("closed")
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{TimeoutSecs: 1}, func(cx *lws.Context) {
		vh = wsVhost(t, cx, proto)
	})
	nc := rawUpgrade(t, addr(vh))
	defer nc.Close()
	if ev := rec.await(t, "established "); !strings.Contains(ev, ", ws, big)") {
		t.Errorf("%q: want the connection to name its role, ws", ev)
	}
	if ev := rec.await(t, "wrote "); ev == "wrote buffered=0" {
		t.Fatalf("the kernel took the whole message: nothing held to test with")
	}
	// A masked Close with code 1000; then nothing more is read.
	if _, err := nc.Write([]byte{0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2}); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "peer-close")
	start := time.Now()
	rec.await(t, "closed")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v, want about TimeoutSecs (1 s)", d)
	}
}
