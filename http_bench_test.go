package lws_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/golws/lws"
)

// BenchmarkHTTPFile compares, in one run, golws's file mount and net/http's
// FileServer serving the same small and 1 MiB files to one keep-alive
// client on a raw socket. One op is one request and its whole response;
// allocs/op counts the whole process (the client allocates nothing).
func BenchmarkHTTPFile(b *testing.B) {
	dir, sizes := benchFiles(b)
	for _, name := range []string{"small", "1MiB"} {
		b.Run("golws/"+name, func(b *testing.B) {
			var vh *lws.Vhost
			newContext(b, lws.ContextInfo{}, func(cx *lws.Context) {
				vh = httpVhost(b, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir,
					ExtraMimetypes: map[string]string{".bin": "application/octet-stream"}}}})
			})
			runHTTPLoad(b, addr(vh), "/"+name+".bin", sizes[name])
		})
		b.Run("nethttp/"+name, func(b *testing.B) {
			srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
			defer srv.Close()
			runHTTPLoad(b, srv.Listener.Addr().String(), "/"+name+".bin", sizes[name])
		})
	}
}

// runHTTPLoad fetches path b.N times on one keep-alive connection. It
// reads each response head up to its blank line and then size bytes of
// body, with buffers made once.
func runHTTPLoad(b *testing.B, address, path string, size int) {
	nc, err := net.Dial("tcp", address)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n")
	buf := make([]byte, 64<<10)
	fetch := func() {
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		have, body := 0, -1
		for body < 0 {
			n, err := nc.Read(buf[have:])
			if err != nil {
				b.Fatal(err)
			}
			have += n
			if i := bytes.Index(buf[:have], []byte("\r\n\r\n")); i >= 0 {
				body = have - (i + 4)
			}
		}
		for left := size - body; left > 0; {
			n, err := nc.Read(buf[:min(left, len(buf))])
			if err != nil {
				b.Fatal(err)
			}
			left -= n
		}
	}
	fetch() // warm up: open files, grow buffers
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		fetch()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// benchFiles writes the files the file benchmarks serve, a small one and
// one of 1 MiB, named by their key in sizes plus ".bin".
func benchFiles(b *testing.B) (dir string, sizes map[string]int) {
	dir = b.TempDir()
	sizes = map[string]int{"small": 1406, "1MiB": 1 << 20}
	for name, n := range sizes {
		if err := os.WriteFile(filepath.Join(dir, name+".bin"), bytes.Repeat([]byte{'x'}, n), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir, sizes
}
