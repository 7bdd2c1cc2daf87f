package lws_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
	"golang.org/x/net/http2"
)

// heapInUse is the live heap after a collection, measured on the loop so
// that nothing it owns is half made.
func heapInUse(r *loopRunner) uint64 {
	var ms runtime.MemStats
	r.do(func() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
	})
	return ms.HeapAlloc
}

// TestIdleH2Footprint measures what an idle HTTP/2 connection costs the
// server, next to an idle HTTP/1.1 keep-alive one: each connection has
// fetched a 20 KiB file (so its buffers have been used) and then waits.
// The figures are logged (docs/performance.md quotes them), and an idle
// HTTP/2 connection must stay under 16 KiB: its frame and HPACK buffers
// are sized to use and given back when large.
func TestIdleH2Footprint(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes heap figures meaningless")
	}
	dir := httpSite(t)
	const n = 200
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{KeepaliveTimeout: 60,
			Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}}})
	})
	big := strings.Repeat("0123456789abcdef", 20<<10/16)
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}

	measure := func(name string, open func() net.Conn) float64 {
		before := heapInUse(r)
		conns := make([]net.Conn, n)
		for i := range conns {
			conns[i] = open()
		}
		after := heapInUse(r)
		for _, c := range conns {
			c.Close()
		}
		per := float64(int64(after)-int64(before)) / n
		t.Logf("idle %s connection: %.0f bytes of heap each", name, per)
		return per
	}
	h1 := measure("HTTP/1.1 keep-alive", func() net.Conn {
		c, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /files/big.txt HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				break
			}
		}
		if _, err := io.CopyN(io.Discard, br, int64(len(big))); err != nil {
			t.Fatal(err)
		}
		return c
	})
	h2 := measure("HTTP/2", func() net.Conn {
		f := dialH2(t, addr(vh))
		f.WriteWindowUpdate(0, 1<<20)
		f.headers(t, 1, true, ":method", "GET", ":scheme", "http", ":path", "/files/big.txt", ":authority", "x")
		got := 0
		for got < len(big) {
			fr, _ := f.next(t, 1)
			if d, ok := fr.(*http2.DataFrame); ok {
				got += len(d.Data())
				f.WriteWindowUpdate(1, uint32(len(d.Data())))
			}
		}
		f.conn.SetDeadline(time.Time{})
		return f.conn
	})
	if h2 > 8<<10 {
		t.Errorf("an idle HTTP/2 connection costs %.0f bytes (HTTP/1.1: %.0f), over 8 KiB", h2, h1)
	}
}
