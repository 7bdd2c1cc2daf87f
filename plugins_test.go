package lws_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/dumbincrement"
	"github.com/golws/lws/plugins/mirror"
)

func TestDumbIncrement(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, dumbincrement.Protocol()) })
	d := websocket.Dialer{Subprotocols: []string{dumbincrement.Name}}
	conn, _, err := d.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	read := func() int {
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if mt != websocket.TextMessage {
			t.Fatalf("message type %d", mt)
		}
		n, err := strconv.Atoi(string(msg))
		if err != nil {
			t.Fatalf("message %q", msg)
		}
		return n
	}
	start := time.Now()
	for want := range 5 {
		if got := read(); got != want {
			t.Fatalf("counter %d, want %d", got, want)
		}
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("5 messages in %v: faster than one per 50 ms", el)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("reset\n")); err != nil {
		t.Fatal(err)
	}
	// Messages already on their way may come first; then it starts again at 0.
	for n := read(); n != 0; n = read() {
		if n > 50 {
			t.Fatal("reset did not reset the counter")
		}
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("closeme\n")); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := conn.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != 1001 || ce.Text != "seeya" {
				t.Fatalf("closed with %d %q, want 1001 seeya", ce.Code, ce.Text)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMirrorBroadcastsToItsInstance(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, mirror.Protocol()) })
	d := websocket.Dialer{Subprotocols: []string{mirror.Name}}
	dial := func(instance string) *websocket.Conn {
		c, _, err := d.Dial(wsURL(vh)+"?mirror="+instance, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	a, b, other := dial("room"), dial("room"), dial("elsewhere")
	if err := a.WriteMessage(websocket.TextMessage, []byte("d #ff0000 1 2 3 4;")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*websocket.Conn{a, b} {
		if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "d #ff0000 1 2 3 4;" {
			t.Fatalf("mirror member got %q, %v", msg, err)
		}
	}
	if err := other.WriteMessage(websocket.TextMessage, []byte("only here")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := other.ReadMessage(); err != nil || string(msg) != "only here" {
		t.Fatalf("other instance got %q, %v", msg, err)
	}
	// A fourth instance is refused: a vhost holds three.
	dial("third")
	c, _, err := d.Dial(wsURL(vh)+"?mirror=fourth", nil)
	if err == nil {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err = c.ReadMessage(); err == nil {
			t.Fatal("a fourth mirror instance was served")
		}
		c.Close()
	}
}

func TestMirrorDropsTheSlowestMember(t *testing.T) {
	var closed atomic.Int32
	proto := mirror.Protocol()
	inner := proto.Callback
	proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackClosed {
			closed.Add(1)
		}
		return inner(c, reason, in)
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, proto) })
	d := websocket.Dialer{Subprotocols: []string{mirror.Name}}
	dial := func() *websocket.Conn {
		c, _, err := d.Dial(wsURL(vh)+"?mirror=x", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	sender, reader, stalled := dial(), dial(), dial()
	_ = stalled // never reads: its socket buffers fill, then the ring does

	const count, size = 3000, 4000
	received := make(chan error, 1)
	go func() {
		_ = reader.SetReadDeadline(time.Now().Add(30 * time.Second))
		for i := range count {
			_, msg, err := reader.ReadMessage()
			if err != nil {
				received <- fmt.Errorf("after %d messages: %w", i, err)
				return
			}
			if len(msg) != size || string(msg[:8]) != fmt.Sprintf("%08d", i) {
				received <- fmt.Errorf("message %d out of order", i)
				return
			}
		}
		received <- nil
	}()
	// The sender's own echoes must be read too, or it would stall itself.
	go func() {
		for {
			if _, _, err := sender.ReadMessage(); err != nil {
				return
			}
		}
	}()
	msg := bytes.Repeat([]byte{'x'}, size)
	_ = sender.SetWriteDeadline(time.Now().Add(30 * time.Second))
	for i := range count {
		copy(msg, fmt.Sprintf("%08d", i))
		if err := sender.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatalf("sender after %d messages: %v", i, err)
		}
	}
	if err := <-received; err != nil {
		t.Fatal(err)
	}
	if closed.Load() != 1 {
		t.Fatalf("%d members closed, want exactly the stalled one", closed.Load())
	}
}

// TestDumbIncrementSlowReaderIsPaced reads a fast dumb-increment one byte
// at a time through tiny socket buffers: the server must write only as the
// reader reads, holding at most one message for the connection.
func TestDumbIncrementSlowReaderIsPaced(t *testing.T) {
	var maxHeld, written atomic.Int64
	proto := dumbincrement.Protocol()
	inner := proto.Callback
	proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackEstablished {
			_ = unix.SetsockoptInt(c.FD(), unix.SOL_SOCKET, unix.SO_SNDBUF, 2048)
		}
		err := inner(c, reason, in)
		if reason == lws.CallbackServerWriteable {
			written.Add(1)
			if h := int64(c.BufferedAmount()); h > maxHeld.Load() {
				maxHeld.Store(h)
			}
		}
		return err
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		var err error
		vh, err = cx.CreateVhost(lws.VhostInfo{Name: "di", Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols:       []lws.Protocol{proto},
			ProtocolOptions: map[string]map[string]string{dumbincrement.Name: {"interval-ms": "1"}}})
		if err != nil {
			t.Fatal(err)
		}
	})
	nc := rawUpgrade(t, addr(vh))
	defer nc.Close()
	_ = nc.(*net.TCPConn).SetReadBuffer(1024)
	one := make([]byte, 1)
	var read int64
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := nc.Read(one); err != nil {
			t.Fatal(err)
		}
		read++
		time.Sleep(2 * time.Millisecond) // the slow reader's pace, not synchronisation
	}
	// At 5 bytes or more a message, the server wrote about what was read
	// plus what the small kernel buffers hold; unpaced it would have
	// written 3000 messages at 1 ms.
	if w := written.Load(); w*5 > read+16<<10 || w > 1500 {
		t.Fatalf("%d messages written while the reader took %d bytes: not paced by the reader", w, read)
	}
	if m := maxHeld.Load(); m > 16 {
		t.Fatalf("the library held %d bytes for the connection, more than one message", m)
	}
	t.Logf("read %d bytes, %d messages written, at most %d bytes held", read, written.Load(), maxHeld.Load())
}
