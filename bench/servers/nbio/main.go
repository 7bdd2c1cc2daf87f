// Command nbio is the nbio entry of the comparison: a WebSocket echo
// server on github.com/lesismal/nbio's nbhttp.Engine in its non-blocking
// (epoll) mode, where the engine's poller goroutines own every connection
// and no goroutine is started per connection. It listens on -addr and
// answers every message on any path with the same message and opcode.
//
//	nbio -addr 127.0.0.1:7681
//
// The configuration follows what nbio's authors use for their own echo
// benchmarks (go-websocket-benchmark's nbio_nonblocking server):
//
//   - IOMod: nbhttp.IOModNonBlocking, so connections are served by the
//     pollers (the point of comparing it with golws);
//   - ReleaseWebsocketPayload: true, so a message's buffer goes back to
//     nbio's pool as soon as OnMessage returns instead of to the garbage
//     collector;
//   - the shared buffer pool (mempool.DefaultMemPool) sized for the payload
//     plus framing (-bufsize, 2048 bytes by default, for 1 KiB messages);
//   - no read deadline on upgraded connections (Upgrader.KeepaliveTime 0),
//     so idle connections stay open for as long as the client keeps them;
//   - the poller count is left to nbio (runtime.NumCPU(), which follows the
//     CPU affinity the server is started with);
//   - one change from that server: messages are handled synchronously on
//     the poller goroutine (ServerExecutor runs the function in place)
//     instead of being handed to nbio's default goroutine pool. On this
//     load it is the faster of the two (about 1.3x to 1.6x measured
//     here), so the comparison meets nbio at its best.
//
// nbio's own logging is lowered to errors so nothing is printed per
// connection. It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/mempool"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7681", "address to listen on, host:port")
	bufSize := flag.Int("bufsize", 2048, "size of the pooled buffers (payload plus framing)")
	flag.Parse()
	logging.SetLevel(logging.LevelError)
	mempool.DefaultMemPool = mempool.New(*bufSize, 1<<30)

	upgrader := websocket.NewUpgrader()
	upgrader.KeepaliveTime = 0
	upgrader.OnMessage(func(c *websocket.Conn, kind websocket.MessageType, data []byte) {
		// The write queues the bytes when the socket cannot take them at
		// once, so data may be handed back to the pool when this returns.
		if err := c.WriteMessage(kind, data); err != nil {
			_ = c.Close()
		}
	})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Upgrade answers the client itself when it refuses the request.
		_, _ = upgrader.Upgrade(w, r, nil)
	})

	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{*addr},
		Handler:                 handler,
		IOMod:                   nbhttp.IOModNonBlocking,
		ReleaseWebsocketPayload: true,
		ServerExecutor:          func(f func()) { f() },
	})
	if err := engine.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "nbio:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = engine.Shutdown(shutdown)
}
