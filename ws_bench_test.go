package lws_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// BenchmarkWSEcho compares, in one run, WebSocket echo servers on golws,
// gorilla/websocket and coder/websocket (each the usual goroutine per
// connection behind net/http), driven by the same gorilla clients. One op
// is one message sent and its echo received; allocs/op counts the whole
// process, clients included.
func BenchmarkWSEcho(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		for _, conns := range []int{1, 16} {
			name := fmt.Sprintf("%dB-%dconns", size, conns)
			b.Run("golws/"+name, func(b *testing.B) {
				var vh *lws.Vhost
				newContext(b, lws.ContextInfo{ServiceBufferSize: 64 << 10, EventLib: os.Getenv("LWS_BENCH_EVENTLIB")}, func(cx *lws.Context) {
					vh = wsVhost(b, cx, echo.Protocol())
				})
				runWSLoad(b, wsURL(vh), size, conns)
			})
			b.Run("gorilla/"+name, func(b *testing.B) {
				runWSLoad(b, gorillaEchoServer(b), size, conns)
			})
			b.Run("coder/"+name, func(b *testing.B) {
				runWSLoad(b, coderEchoServer(b), size, conns)
			})
		}
	}
}

func gorillaEchoServer(b *testing.B) string {
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, rd, err := c.NextReader()
			if err != nil {
				return
			}
			wr, err := c.NextWriter(mt)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return "ws" + srv.URL[len("http"):] + "/"
}

func coderEchoServer(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coderws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := context.Background()
		for {
			mt, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			wr, err := c.Writer(ctx, mt)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return "ws" + srv.URL[len("http"):] + "/"
}

func runWSLoad(b *testing.B, url string, size, conns int) {
	runWSLoadWith(b, websocket.DefaultDialer, url, size, conns)
}

// runWSLoadWith is runWSLoad with the clients' dialer (for wss).
func runWSLoadWith(b *testing.B, d *websocket.Dialer, url string, size, conns int) {
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		c, _, err := d.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	driveLoad(b, size, conns, func(i int) func() error {
		c := clients[i]
		msg := make([]byte, size)
		return func() error {
			if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return err
			}
			_, _, err := c.ReadMessage()
			return err
		}
	})
}

// TestWSEchoSteadyStateAllocatesNothing pins the allocation-free WebSocket
// hot path: once a connection is up, echoing a message allocates nothing
// anywhere in the process (the client here builds its frames by hand into
// buffers it reuses).
func TestWSEchoSteadyStateAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; this runs in the non-race pass")
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
		nc := rawUpgrade(t, addr(vh))
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(time.Minute))
		const size = 100
		frame := append([]byte{0x82, 0x80 | size, 1, 2, 3, 4}, make([]byte, size)...)
		got := make([]byte, 2+size)
		echoOnce := func() {
			if _, err := nc.Write(frame); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(nc, got); err != nil {
				t.Fatal(err)
			}
			if got[0] != 0x82 || got[1] != size {
				t.Fatalf("echo header % x", got[:2])
			}
		}
		for range 100 {
			echoOnce()
		}
		if avg := testing.AllocsPerRun(2000, echoOnce); avg != 0 {
			t.Fatalf("%.2f allocations per echoed message, want 0", avg)
		}
	})
}

// BenchmarkWSEchoSteadyState is the allocation figure of the WebSocket
// hot path: a golws echo server and a client that frames by hand into
// reused buffers, one 1 KiB message in flight. With -benchmem it shows 0
// allocs/op (the whole process counts).
func BenchmarkWSEchoSteadyState(b *testing.B) {
	var vh *lws.Vhost
	newContext(b, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(b, cx, echo.Protocol()) })
	nc := rawUpgrade(b, addr(vh))
	defer nc.Close()
	_ = nc.SetDeadline(time.Time{})
	const size = 1024
	frame := append([]byte{0x82, 0x80 | 126, size >> 8, size & 0xff, 1, 2, 3, 4}, make([]byte, size)...)
	got := make([]byte, 4+size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := nc.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, got); err != nil {
			b.Fatal(err)
		}
	}
}
