package lws_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golws/lws"
)

// BenchmarkH2File fetches a small file and a 1 MiB file over HTTP/2 (h2c,
// one connection, Go's client, requests one after another) from golws and
// from net/http's HTTP/2 server, in-process; the client's work is in both
// figures. bench/run.sh -only h2 compares the servers on one core each
// with h2load, over TLS.
func BenchmarkH2File(b *testing.B) {
	dir, sizes := benchFiles(b)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for _, name := range []string{"small", "1MiB"} {
		b.Run("golws/"+name, func(b *testing.B) {
			var vh *lws.Vhost
			newContext(b, lws.ContextInfo{}, func(cx *lws.Context) {
				vh = httpVhost(b, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir,
					ExtraMimetypes: map[string]string{".bin": "application/octet-stream"}}}})
			})
			runH2Load(b, client, "http://"+addr(vh)+"/"+name+".bin", sizes[name])
		})
		b.Run("nethttp/"+name, func(b *testing.B) {
			srv := httptest.NewUnstartedServer(http.FileServer(http.Dir(dir)))
			srv.Config.Protocols = new(http.Protocols)
			srv.Config.Protocols.SetUnencryptedHTTP2(true)
			srv.Start()
			defer srv.Close()
			runH2Load(b, client, srv.URL+"/"+name+".bin", sizes[name])
		})
	}
}

// runH2Load fetches url b.N times and checks each body's length.
func runH2Load(b *testing.B, client *http.Client, url string, size int) {
	fetch := func() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.ProtoMajor != 2 || n != int64(size) {
			b.Fatalf("%s: %d bytes, %v", resp.Proto, n, err)
		}
	}
	fetch() // warm up: the connection, open files, buffers
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		fetch()
	}
}
