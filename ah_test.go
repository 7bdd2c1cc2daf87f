package lws_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"github.com/gorilla/websocket"
)

func TestHeaderTablePoolWaitsAndReleases(t *testing.T) {
	rec := newRecorder()
	proto := lws.Protocol{Name: "hdrs", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished:
			// Headers are there during ESTABLISHED, with URL arguments.
			arg, _ := c.URLArg("who")
			rec.add("established " + c.Hdr(hdr.TokenHost) + " " + arg + " " + c.Hdr(hdr.TokenUserAgent))
			c.CallbackOnWritable()
		case lws.CallbackServerWriteable:
			// ... and gone afterwards, as lws documents.
			rec.add("later headers=" + map[bool]string{true: "yes", false: "no"}[c.HasHeaders()])
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{MaxHTTPHeaderPool: 1}, func(cx *lws.Context) { vh = wsVhost(t, cx, proto) })

	// A connection that sends half a request head holds the only table.
	slow, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := slow.Write([]byte("GET / HTTP/1.1\r\nHost: slow\r\n")); err != nil {
		t.Fatal(err)
	}
	// A second connection must wait for it.
	type dialResult struct {
		c   *websocket.Conn
		err error
	}
	second := make(chan dialResult, 1)
	go func() {
		h := http.Header{"User-Agent": {"tester"}}
		c, _, err := websocket.DefaultDialer.Dial(wsURL(vh)+"?who=second", h)
		second <- dialResult{c, err}
	}()
	select {
	case r := <-second:
		if r.c != nil {
			r.c.Close()
		}
		t.Fatalf("a second upgrade completed while the only header table was held (%v)", r.err)
	case <-time.After(300 * time.Millisecond):
		// Still waiting, as it should: this bounds the check, it does not
		// synchronise anything.
	}
	// Finishing the first request as a WebSocket upgrade frees the table
	// after its ESTABLISHED.
	_, err = slow.Write([]byte("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := <-second
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.c.Close()
	var est []string
	for range 2 {
		est = append(est, rec.await(t, "established"))
	}
	if est[0] != "established slow  " || !strings.HasPrefix(est[1], "established 127.0.0.1:") || !strings.HasSuffix(est[1], " second tester") {
		t.Fatalf("ESTABLISHED saw %q", est)
	}
	if got := rec.await(t, "later"); got != "later headers=no" {
		t.Fatal(got)
	}
}

func TestHeaderDataLimitAnswers431(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{MaxHTTPHeaderData: 1024}, func(cx *lws.Context) { vh = wsVhost(t, cx, lws.Protocol{Name: "p"}) })
	req := "GET / HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("a", 2000) + "\r\n\r\n"
	resp, err := http.ReadResponse(bufioReader(t, addr(vh), req), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 431 {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

func TestSilentHTTPConnectionTimesOut(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		var err error
		vh, err = cx.CreateVhost(lws.VhostInfo{Name: "quiet", Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols: []lws.Protocol{{Name: "p"}}, AHIdleTimeoutSecs: 1})
		if err != nil {
			t.Fatal(err)
		}
	})
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	start := time.Now()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err != io.EOF || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("a silent connection: %v after %v, want it closed after about 1 s", err, time.Since(start))
	}
}
