package dumbincrement_test

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/plugins/dumbincrement"
)

func TestMain(m *testing.M) {
	// Keep test output to errors and warnings.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn, nil)
	os.Exit(m.Run())
}

// serve runs a vhost with the protocol, sending every 5 ms, and returns
// its ws:// URL.
func serve(t *testing.T) string {
	t.Helper()
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{
			{Name: "http", Callback: lws.CallbackHTTPDummy},
			dumbincrement.Protocol(),
		},
		ProtocolOptions: map[string]map[string]string{dumbincrement.Name: {"interval-ms": "5"}},
	})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	url := "ws://127.0.0.1:" + strconv.Itoa(vh.Port()) + "/"
	looptest.Run(t, cx)
	return url
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{dumbincrement.Name}, HandshakeTimeout: 10 * time.Second}
	c, _, err := d.Dial(url, http.Header{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c
}

// number reads the next counter value.
func number(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	mt, p, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(p))
	if mt != websocket.TextMessage || err != nil {
		t.Fatalf("message %d %q, want a number", mt, p)
	}
	return n
}

// awaitReset reads counter values, each one more than the last, until
// the counter starts again from 0.
func awaitReset(t *testing.T, c *websocket.Conn, last int) {
	t.Helper()
	for {
		n := number(t, c)
		if n == 0 {
			return
		}
		if n != last+1 {
			t.Fatalf("counter went from %d to %d", last, n)
		}
		last = n
	}
}

// TestJunk sends what the test page's "Send junk" button sends, 9000
// bytes that are no command, then "reset\n": the server reads through the
// junk in RxBufferSize pieces, ignores it and resets the counter, and the
// connection stays open.
func TestJunk(t *testing.T) {
	c := dial(t, serve(t))
	last := number(t, c)
	for last < 3 {
		last = number(t, c)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("a", 9000))); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("reset\n")); err != nil {
		t.Fatal(err)
	}
	awaitReset(t, c, last)
	if n := number(t, c); n != 1 {
		t.Fatalf("after the reset: %d, want 1", n)
	}
	// Junk in one binary message of a megabyte does no harm either.
	if err := c.WriteMessage(websocket.BinaryMessage, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("reset\n")); err != nil {
		t.Fatal(err)
	}
	awaitReset(t, c, 1)
}

// TestResetPrefix: as in lws, a piece that starts with "reset\n" resets.
func TestResetPrefix(t *testing.T) {
	c := dial(t, serve(t))
	last := number(t, c)
	for last < 3 {
		last = number(t, c)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, []byte("reset\nxyz")); err != nil {
		t.Fatal(err)
	}
	awaitReset(t, c, last)
}

// TestCloseme: "closeme\n" has the server close with 1001 and "seeya",
// which the test page's "Request server close" shows.
func TestCloseme(t *testing.T) {
	c := dial(t, serve(t))
	number(t, c)
	if err := c.WriteMessage(websocket.TextMessage, []byte("closeme\n")); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 1001 || ce.Text != "seeya" {
			t.Fatalf("closeme: %v, want close 1001 seeya", err)
		}
		return
	}
}

// TestClientClose: a close from the client with a code and a reason, as
// the test page's "Close" button sends, is answered with the same code
// and reason.
func TestClientClose(t *testing.T) {
	c := dial(t, serve(t))
	number(t, c)
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(3000, "Bye!"), time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 3000 || ce.Text != "Bye!" {
			t.Fatalf("close: %v, want 3000 Bye! back", err)
		}
		return
	}
}
