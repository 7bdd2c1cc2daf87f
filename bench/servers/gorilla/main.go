// Command gorilla is the gorilla/websocket entry of the comparison: a
// WebSocket echo server behind net/http with one goroutine per connection,
// which copies each message from NextReader to NextWriter with the same
// opcode. Read and write buffers are 4096 bytes. It listens on -addr and
// upgrades requests on any path.
//
//	gorilla -addr 127.0.0.1:7681
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"flag"
	"io"
	"net/http"

	"github.com/golws/lws/bench/internal/serve"
	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func main() {
	addr := flag.String("addr", "127.0.0.1:7681", "address to listen on, host:port")
	flag.Parse()
	serve.Run("gorilla", *addr, http.HandlerFunc(serveEcho))
}

// serveEcho upgrades the request and echoes messages until the peer goes.
func serveEcho(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client already
	}
	defer conn.Close()
	for {
		kind, rd, err := conn.NextReader()
		if err != nil {
			return
		}
		wr, err := conn.NextWriter(kind)
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
