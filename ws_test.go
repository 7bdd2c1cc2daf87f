package lws_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
	lwsws "github.com/golws/lws/ws"
)

// wsVhost creates a listening HTTP vhost for WebSocket tests.
func wsVhost(t testing.TB, cx *lws.Context, protos ...lws.Protocol) *lws.Vhost {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "ws", Port: lws.PortAny, Iface: "127.0.0.1", Protocols: protos})
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

func wsURL(vh *lws.Vhost) string { return "ws://" + addr(vh) + "/" }

func TestWSEchoWithGorilla(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
		d := websocket.Dialer{Subprotocols: []string{echo.Name}}
		conn, resp, err := d.Dial(wsURL(vh), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if resp.StatusCode != 101 || conn.Subprotocol() != echo.Name {
			t.Fatalf("status %d protocol %q", resp.StatusCode, conn.Subprotocol())
		}
		rng := rand.New(rand.NewPCG(3, 4))
		for _, size := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20} {
			for _, mt := range []int{websocket.TextMessage, websocket.BinaryMessage} {
				msg := make([]byte, size)
				for i := range msg {
					msg[i] = 'a' + byte(rng.IntN(26))
				}
				// Write while reading: the echo of a message larger than the
				// socket buffers starts before the message has been sent.
				werr := make(chan error, 1)
				go func() { werr <- conn.WriteMessage(mt, msg) }()
				gotType, got, err := conn.ReadMessage()
				if err := <-werr; err != nil {
					t.Fatal(err)
				}
				if err != nil {
					t.Fatalf("size %d: %v", size, err)
				}
				if gotType != mt || !bytes.Equal(got, msg) {
					t.Fatalf("size %d type %d: echo differs (type %d, %d bytes)", size, mt, gotType, len(got))
				}
			}
		}
		// Ping: gorilla's default handler records nothing; install one.
		pong := make(chan string, 1)
		conn.SetPongHandler(func(s string) error { pong <- s; return nil })
		if err := conn.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		go func() { _, _, _ = conn.ReadMessage() }()
		select {
		case p := <-pong:
			if p != "hi" {
				t.Fatalf("pong %q", p)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no pong")
		}
	})
}

func TestWSFragmentsPreserved(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A text message in three frames: NextWriter with explicit flushes.
	w, err := conn.NextWriter(websocket.TextMessage)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"frag", "ment", "ed"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
		if f, ok := w.(interface{ Flush() error }); ok {
			_ = f.Flush()
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, err := conn.ReadMessage()
	if err != nil || string(got) != "fragmented" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestWSEchoWithCoder(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := coderws.Dial(ctx, wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(32 << 20)
	for _, size := range []int{0, 10, 100000, 16 << 20} {
		msg := bytes.Repeat([]byte{0xa5}, size)
		werr := make(chan error, 1)
		go func() { werr <- conn.Write(ctx, coderws.MessageBinary, msg) }()
		typ, got, err := conn.Read(ctx)
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		if err != nil || typ != coderws.MessageBinary || !bytes.Equal(got, msg) {
			t.Fatalf("size %d: type %v len %d err %v", size, typ, len(got), err)
		}
	}
	// coder pings and waits for the pong, which a reading goroutine
	// (CloseRead's) hands it.
	conn.CloseRead(ctx)
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// A clean close handshake from the client side.
	if err := conn.Close(coderws.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close handshake: %v", err)
	}
}

func TestWSCloseCodes(t *testing.T) {
	closing := lws.Protocol{Name: "closer", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackReceive && string(in) == "closeme" {
			c.CloseReason(lwsws.CloseGoingAway, "seeya")
			return errors.New("closing")
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, closing) })
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte("closeme")); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 1001 || ce.Text != "seeya" {
		t.Fatalf("read after closeme: %v, want close 1001 seeya", err)
	}
}

func TestWSProtocolViolationsClose(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
	cases := []struct {
		name  string
		frame []byte
		code  int
	}{
		{"unmasked frame", []byte{0x81, 0x02, 'h', 'i'}, 1002},
		{"reserved opcode", []byte{0x83, 0x80, 0, 0, 0, 0}, 1002},
		{"rsv bit", []byte{0xc1, 0x80, 0, 0, 0, 0}, 1002},
		{"invalid utf-8", []byte{0x81, 0x82, 0, 0, 0, 0, 0xc0, 0xaf}, 1007},
		{"fragmented ping", []byte{0x09, 0x80, 0, 0, 0, 0}, 1002},
		{"bad close code", []byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe4}, 1002},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc := rawUpgrade(t, addr(vh))
			defer nc.Close()
			if _, err := nc.Write(tc.frame); err != nil {
				t.Fatal(err)
			}
			code := readCloseFrame(t, nc)
			if code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
		})
	}
}

// rawUpgrade opens a WebSocket by hand, to send frames no library would.
func rawUpgrade(t testing.TB, address string) net.Conn {
	t.Helper()
	return rawUpgradeWith(t, address, "", "")
}

// rawUpgradeWith is rawUpgrade with extra request header lines, checking
// that the answer's Sec-WebSocket-Extensions is wantExt ("" for none).
func rawUpgradeWith(t testing.TB, address, extra, wantExt string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	tmp := make([]byte, 1)
	for !bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
		if _, err := nc.Read(tmp); err != nil {
			t.Fatalf("reading the 101: %v (got %q)", err, buf)
		}
		buf = append(buf, tmp[0])
	}
	if !strings.HasPrefix(string(buf), "HTTP/1.1 101") || !strings.Contains(string(buf), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
		t.Fatalf("handshake answer %q", buf)
	}
	gotExt := ""
	for _, line := range strings.Split(string(buf), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Sec-WebSocket-Extensions: "); ok {
			gotExt = v
		}
	}
	if gotExt != wantExt {
		t.Fatalf("Sec-WebSocket-Extensions answer %q, want %q", gotExt, wantExt)
	}
	return nc
}

// readCloseFrame reads frames until a Close and returns its code.
func readCloseFrame(t *testing.T, nc net.Conn) int {
	t.Helper()
	hdr := make([]byte, 2)
	for {
		if _, err := io.ReadFull(nc, hdr); err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		n := int(hdr[1] & 0x7f)
		payload := make([]byte, n)
		if _, err := io.ReadFull(nc, payload); err != nil {
			t.Fatal(err)
		}
		if hdr[0]&0x0f == 8 {
			if n < 2 {
				return 1005
			}
			return int(payload[0])<<8 | int(payload[1])
		}
	}
}

func TestWSHandshakeRejections(t *testing.T) {
	named := lws.Protocol{Name: "only", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if _, deny := c.URLArg("deny"); reason == lws.CallbackFilterProtocolConnection && deny {
			return &lws.StatusError{Status: 401, Reason: "denied"}
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, named) })
	cases := []struct {
		name, req string
		status    int
	}{
		{"bad version", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426},
		{"bad key", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"unknown protocol", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: nope, other\r\n\r\n", 400},
		{"filter rejects", "GET /?deny=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 401},
		{"plain GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.ReadResponse(bufioReader(t, addr(vh), tc.req), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

// TestWSAnyProtocol: a protocol with the per-vhost option "any" takes
// upgrades that ask only for subprotocols the vhost does not serve and
// answers with the client's first; a served one is still preferred, and
// FILTER_PROTOCOL_CONNECTION sees the name that will be answered.
func TestWSAnyProtocol(t *testing.T) {
	filtered := make(chan string, 8)
	catchAll := echo.Protocol()
	inner := catchAll.Callback
	catchAll.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackFilterProtocolConnection {
			filtered <- string(in)
			if string(in) == "refused" {
				return &lws.StatusError{Status: 403, Reason: "not that one"}
			}
		}
		return inner(c, reason, in)
	}
	named := lws.Protocol{Name: "named", Callback: lws.CallbackHTTPDummy}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		var err error
		vh, err = cx.CreateVhost(lws.VhostInfo{Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols:       []lws.Protocol{named, catchAll},
			ProtocolOptions: map[string]map[string]string{echo.Name: {"any": "1"}}})
		if err != nil {
			t.Fatal(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		offer      []string
		want, seen string // answered; seen by the catch-all's filter ("" if not bound to it)
	}{
		{[]string{"foo", "bar"}, "foo", "foo"},
		{[]string{"x.y", "named"}, "named", ""},
		{[]string{echo.Name}, echo.Name, echo.Name},
	} {
		conn, resp, err := coderws.Dial(ctx, wsURL(vh), &coderws.DialOptions{Subprotocols: tc.offer})
		if err != nil {
			t.Fatalf("offering %q: %v", tc.offer, err)
		}
		if conn.Subprotocol() != tc.want || resp.Header.Get("Sec-WebSocket-Protocol") != tc.want {
			t.Errorf("offering %q: %q answered, want %q", tc.offer, conn.Subprotocol(), tc.want)
		}
		if tc.seen != "" {
			if got := <-filtered; got != tc.seen {
				t.Errorf("offering %q: FILTER_PROTOCOL_CONNECTION saw %q, want %q", tc.offer, got, tc.seen)
			}
			if err := conn.Write(ctx, coderws.MessageText, []byte("hi")); err != nil {
				t.Fatal(err)
			}
			if _, got, err := conn.Read(ctx); err != nil || string(got) != "hi" {
				t.Errorf("offering %q: echo %q %v", tc.offer, got, err)
			}
		}
		conn.Close(coderws.StatusNormalClosure, "")
	}

	// What the catch-all refuses is refused, and names that are not
	// tokens are never answered.
	upgrade := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: "
	for _, tc := range []struct {
		list   string
		status int
		answer string
	}{
		{"refused", 403, ""},
		{"a/b, {c}, ok", 101, "ok"},
		{"a/b, {c}", 400, ""},
	} {
		resp, err := http.ReadResponse(bufioReader(t, addr(vh), upgrade+tc.list+"\r\n\r\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Sec-WebSocket-Protocol") != tc.answer {
			t.Errorf("offering %q: status %d answer %q, want %d %q", tc.list, resp.StatusCode,
				resp.Header.Get("Sec-WebSocket-Protocol"), tc.status, tc.answer)
		}
		if tc.status != 400 {
			<-filtered
		}
	}
}

// bufioReader sends a raw request and returns a reader on the answer.
func bufioReader(t *testing.T, address, req string) *bufio.Reader {
	t.Helper()
	nc, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	return bufio.NewReader(nc)
}

func TestWSMessageLimitCloses1009(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		var err error
		vh, err = cx.CreateVhost(lws.VhostInfo{Name: "limits", Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols: []lws.Protocol{echo.Protocol()}, WSMaxMessage: 1000})
		if err != nil {
			t.Fatal(err)
		}
	})
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Within the limit, in two frames: fine.
	if err := conn.WriteMessage(websocket.BinaryMessage, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, got, err := conn.ReadMessage(); err != nil || len(got) != 1000 {
		t.Fatalf("echo of 1000 bytes: %d, %v", len(got), err)
	}
	if err := conn.WriteMessage(websocket.BinaryMessage, make([]byte, 1001)); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 1009 {
		t.Fatalf("over the limit: %v, want close 1009", err)
	}
}
