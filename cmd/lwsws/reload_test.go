package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestReloadUnderLoad changes the configuration and sends SIGHUP while
// WebSocket clients echo without pause and HTTP clients keep connecting:
// no connection is refused or dropped, no message is lost, the new
// configuration takes over, and the old process exits once drained.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	os.MkdirAll(www, 0o755)
	os.WriteFile(filepath.Join(www, "index.html"), []byte("site"), 0o644)
	port := freePort(t)
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	write := func(version string) {
		os.WriteFile(filepath.Join(conf, "conf"), []byte(`{ "vhosts": [ {
  "name": "reload.test", "port": "`+strconv.Itoa(port)+`", "interface": "127.0.0.1",
  "headers": [ { "x-config": "`+version+`" } ],
  "mounts": [ { "mountpoint": "/", "origin": "file://`+www+`", "default": "index.html" } ],
  "ws-protocols": [ { "lws-echo": {} } ]
} ] }
`), 0o644)
	}
	write("v1")
	cmd, lines := startLwsws(t, "-c", conf, "-d", "7")
	awaitLine(t, lines, `vhost "reload.test": http://`)
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var echoes, requests atomic.Int64
	var failures sync.Map
	fail := func(what string, err error) { failures.Store(what, err.Error()) }
	for i := range 4 {
		wg.Go(func() {
			d := websocket.Dialer{Subprotocols: []string{"lws-echo"}}
			ws, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
			if err != nil {
				fail(fmt.Sprintf("ws %d dial", i), err)
				return
			}
			defer ws.Close()
			for n := 0; ; n++ {
				select {
				case <-stop:
					ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
					return
				default:
				}
				msg := fmt.Sprintf("client %d message %d", i, n)
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					fail(fmt.Sprintf("ws %d write %d", i, n), err)
					return
				}
				_, got, err := ws.ReadMessage()
				if err != nil || string(got) != msg {
					fail(fmt.Sprintf("ws %d echo %d", i, n), fmt.Errorf("%q %v", got, err))
					return
				}
				echoes.Add(1)
			}
		})
	}
	var sawV2 atomic.Bool
	wg.Go(func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := client.Get(base + "/")
			if err != nil {
				fail(fmt.Sprintf("http %d", n), err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				fail(fmt.Sprintf("http %d", n), fmt.Errorf("status %d", resp.StatusCode))
				return
			}
			if resp.Header.Get("X-Config") == "v2" {
				sawV2.Store(true)
			}
			requests.Add(1)
		}
	})
	waitLoad := func(min int64) {
		deadline := time.Now().Add(10 * time.Second)
		for echoes.Load() < min || requests.Load() < min/10 {
			if time.Now().After(deadline) {
				failures.Range(func(k, v any) bool {
					t.Errorf("%s: %s", k, v)
					return true
				})
				t.Fatalf("the load did not run: %d echoes, %d requests", echoes.Load(), requests.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitLoad(200)
	write("v2")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	awaitLine(t, lines, `reloaded: process \d+ serves`)
	deadline := time.Now().Add(10 * time.Second)
	for !sawV2.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	before := echoes.Load()
	waitLoad(before + 200)
	close(stop)
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("%s: %s", k, v)
		return true
	})
	if !sawV2.Load() {
		t.Error("the new configuration never answered")
	}
	// The old process had the WebSocket connections; now they are closed
	// it exits.
	awaitLine(t, lines, `previous serving process \d+ has drained and exited`)
	t.Logf("%d echoes and %d requests across the reload", echoes.Load(), requests.Load())
}
