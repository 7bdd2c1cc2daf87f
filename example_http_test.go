package lws_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"sync"
	"testing/fstest"

	"github.com/golws/lws"
)

// loggingFS wraps a mount's origin to log every file opened, as lws's
// test server wraps lws's file operations: the file API of golws is
// io/fs, so wrapping or replacing an origin is writing an fs.FS.
type loggingFS struct {
	fs.FS
	mu     sync.Mutex
	opened []string
}

func (l *loggingFS) Open(name string) (fs.File, error) {
	l.mu.Lock()
	l.opened = append(l.opened, name)
	l.mu.Unlock()
	return l.FS.Open(name)
}

// A file server the lws way: one mount, no HTTP code. The origin is any
// io/fs.FS (here an in-memory one, wrapped to log what it opens; an
// embed.FS, os.DirFS or a zip archive from package zipfs serve the same
// way, and Origin "file:///var/www" opens a directory).
func ExampleMount() {
	site := &loggingFS{FS: fstest.MapFS{
		"index.html": {Data: []byte("<h1>hello</h1>")},
		"error.css":  {Data: []byte("h1 { color: gray }")},
	}}
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		panic(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{
		Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{{Name: "http", Callback: lws.CallbackHTTPDummy}},
		Mounts:    []lws.Mount{{Mountpoint: "/", FS: site, Default: "index.html"}},
	})
	if err != nil {
		panic(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(vh.Port())

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = cx.Run(ctx)
		cx.Destroy()
		close(done)
	}()

	for _, path := range []string{"/", "/missing.html"} {
		resp, err := http.Get(base + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			fmt.Println(resp.Status, resp.Header.Get("Content-Type"), string(body))
		} else {
			fmt.Println(resp.Status)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	stop()
	<-done
	fmt.Println("opened:", site.opened)
	// Output:
	// 200 OK text/html <h1>hello</h1>
	// 404 Not Found
	// opened: [index.html missing.html]
}
