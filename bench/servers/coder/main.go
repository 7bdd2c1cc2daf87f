// Command coder is the coder/websocket entry of the comparison: a
// WebSocket echo server behind net/http with one goroutine per connection,
// which copies each message from Reader to Writer with the same opcode.
// Compression is disabled and the read limit is raised to 16 MiB (the
// library's default is 32 KiB), so the slow-consumer scenario's 16 KiB
// messages and anything larger the load tool sends are accepted. It
// listens on -addr and upgrades requests on any path.
//
//	coder -addr 127.0.0.1:7681
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"io"
	"net/http"

	"github.com/coder/websocket"
	"github.com/golws/lws/bench/internal/serve"
)

// readLimit is the largest message the server accepts.
const readLimit = 16 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:7681", "address to listen on, host:port")
	flag.Parse()
	serve.Run("coder", *addr, http.HandlerFunc(serveEcho))
}

// serveEcho upgrades the request and echoes messages until the peer goes.
func serveEcho(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		CompressionMode:    websocket.CompressionDisabled,
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered the client already
	}
	defer conn.CloseNow()
	conn.SetReadLimit(readLimit)
	ctx := r.Context()
	for {
		kind, rd, err := conn.Reader(ctx)
		if err != nil {
			return
		}
		wr, err := conn.Writer(ctx, kind)
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
}
