package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestLwsTestClient runs libwebsockets' own test client (Debian's
// libwebsockets-test-server package) against lwsws's built-in site: it
// counts with dumb-increment and draws its random circles on the mirror
// for a whole mirror session, which an observer joined to the same
// mirror sees.
func TestLwsTestClient(t *testing.T) {
	client, err := exec.LookPath("libwebsockets-test-client")
	if err != nil {
		msg := "libwebsockets-test-client is not installed (Debian package libwebsockets-test-server): run ./scripts/test.sh, which installs it"
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	_, lines := startLwsws(t, "-p", "0", "-d", "7")
	port := awaitLine(t, lines, `listening on port (\d+)`)[1]

	d := websocket.Dialer{Subprotocols: []string{"lws-mirror-protocol"}}
	observer, _, err := d.Dial("ws://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()
	var circles atomic.Int64
	go func() {
		for {
			_, msg, err := observer.ReadMessage()
			if err != nil {
				return
			}
			circles.Add(int64(bytes.Count(msg, []byte("c #"))))
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, client, "127.0.0.1", "--port="+port, "--once", "-d", "15").CombinedOutput()
	if err != nil {
		t.Fatalf("libwebsockets-test-client: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dumb: LWS_CALLBACK_CLIENT_ESTABLISHED") {
		t.Errorf("the dumb-increment connection was not established:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for circles.Load() < 1000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if circles.Load() < 1000 {
		t.Errorf("the observer saw %d circles, want the client's whole session (thousands)", circles.Load())
	}
	t.Logf("lws test client drew %d circles on lwsws's mirror", circles.Load())
}
