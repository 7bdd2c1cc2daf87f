package lws_test

import (
	"io"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

func validityVhost(t testing.TB, cx *lws.Context) *lws.Vhost {
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "v", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols:    []lws.Protocol{echo.Protocol()},
		ValidityPing: 100 * time.Millisecond, ValidityHangup: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

func TestValidityPingKeepsAnsweringPeerAlive(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = validityVhost(t, cx) })
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pings := make(chan struct{}, 16)
	conn.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	readErr := make(chan error, 1)
	go func() {
		_, _, err := conn.ReadMessage()
		readErr <- err
	}()
	// Several pings, each answered, well past the hangup time: still open.
	for range 5 {
		select {
		case <-pings:
		case err := <-readErr:
			t.Fatalf("closed while answering pings: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("no ping from an idle connection")
		}
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("alive")); err != nil {
		t.Fatal(err)
	}
	if err := <-readErr; err != nil {
		t.Fatalf("echo after pings: %v", err)
	}
}

func TestValiditySilentPeerIsHungUp(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = validityVhost(t, cx) })
	nc := rawUpgrade(t, addr(vh))
	defer nc.Close()
	start := time.Now()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	// The only thing that arrives is one ping (0x89, no payload), then EOF.
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("read: %v (got % x)", err, got)
	}
	if string(got) != "\x89\x00" {
		t.Fatalf("silent peer got % x, want one empty ping", got)
	}
	if el := time.Since(start); el < 350*time.Millisecond {
		t.Fatalf("hung up after %v, before the 400ms policy", el)
	}
}
