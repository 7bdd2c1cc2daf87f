package lws_test

import (
	"bytes"
	"net"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
)

// TestHTTPCallbackResponseAllocatesNothing pins the allocation-free path
// of a response a protocol makes in its callbacks: once a keep-alive
// connection is set up, reading a request, building its head with the
// response helpers (status, the vhost's headers, a header by token, one
// by name, the length, the end) and writing head and body allocate
// nothing anywhere in the process.
func TestHTTPCallbackResponseAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; this runs in the non-race pass")
	}
	body := []byte("hello, allocation-free world\n")
	head := make([]byte, 0, 512)
	proto := lws.Protocol{
		Name: "http",
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackHTTP:
				c.CallbackOnWritable()
			case lws.CallbackHTTPWriteable:
				b, err := c.AddHTTPHeaderStatus(head[:0], 200)
				if err == nil {
					b, err = c.AddHTTPHeaderByToken(b, hdr.TokenContentType, "text/plain")
				}
				if err == nil {
					b, err = c.AddHTTPHeaderByName(b, "x-answer", "42")
				}
				if err == nil {
					b, err = c.AddHTTPHeaderContentLength(b, int64(len(body)))
				}
				if err == nil {
					b, err = c.FinalizeHTTPHeader(b)
				}
				if err != nil {
					return err
				}
				head = b
				if _, err := c.Write(append(b, body...), lws.WriteHTTPHeaders); err != nil {
					return err
				}
				return c.HTTPTransactionCompleted()
			}
			return nil
		},
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			Protocols: []lws.Protocol{proto},
			Headers:   []lws.HTTPHeader{{Name: "x-vhost", Value: "v"}},
		})
	})
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := []byte("GET /a?b=c HTTP/1.1\r\nHost: x\r\nUser-Agent: test\r\n\r\n")
	buf := make([]byte, 4096)
	fetch := func() {
		if _, err := nc.Write(req); err != nil {
			t.Fatal(err)
		}
		have := 0
		for !bytes.HasSuffix(buf[:have], body) {
			n, err := nc.Read(buf[have:])
			if err != nil {
				t.Fatal(err)
			}
			have += n
		}
		if !bytes.HasPrefix(buf[:have], []byte("HTTP/1.1 200 OK\r\n")) || !bytes.Contains(buf[:have], []byte("\r\nx-vhost: v\r\n")) {
			t.Fatalf("answer %q", buf[:have])
		}
	}
	for range 100 {
		fetch()
	}
	if avg := testing.AllocsPerRun(1000, fetch); avg != 0 {
		t.Fatalf("%.2f allocations per request, want 0", avg)
	}
}
