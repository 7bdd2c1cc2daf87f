package lws_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golws/lws"
)

// bodyCountProtocol counts the request-body bytes HTTP_BODY delivers and
// answers "got <n>" when a body completes.
func bodyCountProtocol(got *atomic.Int64) lws.Protocol {
	return lws.Protocol{
		Name:       "body-count",
		NewSession: func() any { return new(int) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			n, _ := c.User().(*int)
			switch reason {
			case lws.CallbackHTTPBody:
				*n += len(in)
				got.Add(int64(len(in)))
			case lws.CallbackHTTPBodyCompletion:
				c.CallbackOnWritable()
			case lws.CallbackHTTPWriteable:
				answer := fmt.Sprintf("got %d", *n)
				b, err := c.AddHTTPCommonHeaders(nil, 200, "text/plain", int64(len(answer)))
				if err != nil {
					return err
				}
				b, _ = c.FinalizeHTTPHeader(b)
				if _, err := c.Write(append(b, answer...), lws.WriteHTTPHeaders); err != nil {
					return err
				}
				return c.HTTPTransactionCompleted()
			}
			return nil
		},
	}
}

// TestHTTPChunkedFramingStrict sends chunked request bodies whose framing
// RFC 9112 does not allow (a bare LF or CR ending a line, whitespace after
// a chunk size with no extension) on a raw socket: each is answered 400
// and closed, with none of the bytes after the bad line delivered as body
// and no second request read from them. Well-formed framing, extensions
// with their BWS included, is served.
func TestHTTPChunkedFramingStrict(t *testing.T) {
	var delivered atomic.Int64
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Protocols: []lws.Protocol{bodyCountProtocol(&delivered)}})
	})
	const head = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	const smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	cases := []struct {
		name, body string
		status     int
		body0      int64 // body bytes delivered
	}{
		{"well-formed", "2\r\nhi\r\n0\r\n\r\n", 200, 2},
		{"extensions with BWS", "2 ; a = b ;c=\"d e\"\r\nhi\r\n0;x\r\nX-T: 1\r\n\r\n", 200, 2},
		{"bare LF after size", "2\nhi\r\n0\r\n\r\n" + smuggled, 400, 0},
		{"bare LF after data", "2\r\nhi\n0\r\n\r\n" + smuggled, 400, 2},
		{"bare LF ending the body", "2\r\nhi\r\n0\r\n\n" + smuggled, 400, 2},
		{"bare LF after trailer", "2\r\nhi\r\n0\r\nX-T: 1\n\r\n" + smuggled, 400, 2},
		{"bare CR after size", "2\rhi\r\n0\r\n\r\n" + smuggled, 400, 0},
		{"space after size", "2 \r\nhi\r\n0\r\n\r\n" + smuggled, 400, 0},
		{"tab after last size", "2\r\nhi\r\n0\t\r\n\r\n" + smuggled, 400, 2},
		{"bare LF in extension", "2;a\nhi\r\n0\r\n\r\n" + smuggled, 400, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := delivered.Load()
			req := head + tc.body
			if tc.status == 200 {
				req = strings.Replace(req, "Host: x\r\n", "Host: x\r\nConnection: close\r\n", 1)
			}
			out := exchange(t, addr(vh), req)
			if want := fmt.Sprintf("HTTP/1.1 %d ", tc.status); !strings.HasPrefix(out, want) {
				t.Fatalf("answer %q, want %d", out, tc.status)
			}
			if n := strings.Count(out, "HTTP/1.1 "); n != 1 {
				t.Fatalf("%d answers on the connection, want 1: %q", n, out)
			}
			if got := delivered.Load() - before; got != tc.body0 {
				t.Fatalf("%d body bytes delivered, want %d", got, tc.body0)
			}
			if tc.status == 200 && !strings.HasSuffix(out, fmt.Sprintf("got %d", tc.body0)) {
				t.Fatalf("answer %q", out)
			}
		})
	}
}

// TestWSUpgradeHTTP10Refused: RFC 6455 4.1 opens a WebSocket with an
// HTTP/1.1 (or later) GET; an upgrade asked on HTTP/1.0 is answered 400,
// not 101, and never reaches ESTABLISHED.
func TestWSUpgradeHTTP10Refused(t *testing.T) {
	var established atomic.Int32
	proto := lws.Protocol{Name: "count", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackEstablished {
			established.Add(1)
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, proto) })
	upgrade := func(version string) string {
		return "GET / " + version + "\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	}
	out := exchange(t, addr(vh), upgrade("HTTP/1.0"))
	if !strings.HasPrefix(out, "HTTP/1.1 400 ") {
		t.Fatalf("HTTP/1.0 upgrade answered %q, want 400", out)
	}
	if n := established.Load(); n != 0 {
		t.Fatalf("%d connections established over HTTP/1.0", n)
	}
	// The same request on HTTP/1.1 is upgraded.
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, upgrade("HTTP/1.1")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 12)
	if _, err := io.ReadFull(nc, buf); err != nil || string(buf) != "HTTP/1.1 101" {
		t.Fatalf("HTTP/1.1 upgrade answered %q, %v", buf, err)
	}
	waitFor(t, "ESTABLISHED", func() bool { return established.Load() == 1 })
}

// TestWSHugeFrameClosed1009 announces a frame of 2^63-1 bytes on a vhost
// that sets no limits: the default (256 MiB, as lws) closes it with 1009
// as soon as its length is read, and none of the payload sent behind the
// header reaches RECEIVE. A vhost that turns the limit off (-1) streams
// the same frame.
func TestWSHugeFrameClosed1009(t *testing.T) {
	var received atomic.Int64
	proto := lws.Protocol{Name: "count", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackReceive {
			received.Add(int64(len(in)))
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	var deflt, unlimited *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		deflt = wsVhost(t, cx, proto)
		var err error
		unlimited, err = cx.CreateVhost(lws.VhostInfo{Name: "unlimited", Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols: []lws.Protocol{proto}, WSMaxFrame: -1, WSMaxMessage: -1})
		if err != nil {
			t.Fatal(err)
		}
	})
	const payload = 1000
	frame := make([]byte, 14+payload) // FIN binary, masked, 64-bit length, key, payload
	frame[0], frame[1] = 0x82, 0x80|127
	binary.BigEndian.PutUint64(frame[2:10], 1<<63-1)
	copy(frame[10:14], "\x01\x02\x03\x04")

	nc := rawUpgrade(t, addr(deflt))
	defer nc.Close()
	// One write of about 1 KB: a single segment on loopback, read whole by
	// the server, so its close is a FIN and not a reset.
	if _, err := nc.Write(frame); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(nc, hdr); err != nil {
		t.Fatalf("no close frame (%v); RECEIVE got %d bytes of a frame announcing 2^63-1", err, received.Load())
	}
	if hdr[0] != 0x88 || hdr[1] < 2 || hdr[1] > 125 {
		t.Fatalf("frame header % x, want a Close", hdr)
	}
	body := make([]byte, hdr[1])
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatal(err)
	}
	if code := binary.BigEndian.Uint16(body); code != 1009 {
		t.Fatalf("close code %d (%q), want 1009", code, body[2:])
	}
	if n, err := nc.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the Close: %d bytes, %v; want the connection closed", n, err)
	}
	if n := received.Load(); n != 0 {
		t.Fatalf("RECEIVE got %d bytes of the refused frame", n)
	}

	// With the limit off, the frame is streamed.
	nu := rawUpgrade(t, addr(unlimited))
	defer nu.Close()
	if _, err := nu.Write(frame); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the payload streamed without a limit", func() bool { return received.Load() == payload })
}

// TestHTTPHeadLineEnds pins what golws takes as a line end in a request
// head: a bare LF, as RFC 9112 2.2 allows and lws does, is served; a bare
// CR is 400.
func TestHTTPHeadLineEnds(t *testing.T) {
	vh, _ := fileMountSite(t)
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"CRLF", "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200},
		{"bare LF", "GET /a.txt HTTP/1.1\nHost: x\nConnection: close\n\n", 200},
		{"bare CR ending a header", "GET /a.txt HTTP/1.1\r\nHost: x\rConnection: close\r\n\r\n", 400},
		{"bare CR ending the request line", "GET /a.txt HTTP/1.1\rHost: x\r\nConnection: close\r\n\r\n", 400},
	} {
		out := exchange(t, addr(vh), tc.req)
		if want := fmt.Sprintf("HTTP/1.1 %d ", tc.status); !strings.HasPrefix(out, want) {
			t.Errorf("%s: answer %q, want %d", tc.name, out, tc.status)
		}
	}
}
