package greeter_test

import (
	"strconv"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/examples/greeter"
	"github.com/golws/lws/internal/looptest"
	"github.com/gorilla/websocket"
)

// TestGreeting: each vhost greets with its own "greeting" option, or
// "hello" without one, and a connection gets one reply per message.
func TestGreeting(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	http := lws.Protocol{Name: "http", Callback: lws.CallbackHTTPDummy}
	p, ok := lws.LookupProtocol(greeter.Name)
	if !ok {
		t.Fatal("greeter-protocol is not registered")
	}
	plain, err := cx.CreateVhost(lws.VhostInfo{Name: "plain", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{http, p}})
	if err != nil {
		t.Fatal(err)
	}
	french, err := cx.CreateVhost(lws.VhostInfo{Name: "french", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols:       []lws.Protocol{http, greeter.Protocol()},
		ProtocolOptions: map[string]map[string]string{greeter.Name: {"greeting": "bonjour"}}})
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{"hello": plain.Port(), "bonjour": french.Port()}
	looptest.Run(t, cx)

	for greeting, port := range ports {
		d := websocket.Dialer{Subprotocols: []string{greeter.Name}}
		conn, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"world", "lws"} {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(name)); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"world", "lws"} {
			_, got, err := conn.ReadMessage()
			if want := greeting + ", " + name; err != nil || string(got) != want {
				t.Errorf("port %d: got %q (%v), want %q", port, got, err, want)
			}
		}
		conn.Close()
	}
}
