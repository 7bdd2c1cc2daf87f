package lws_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

// TestHTTPLargeFiles sends 4 MiB files to a client that reads slowly, from
// a directory (sendfile) and from inside a zip archive (read in pieces,
// inflated), and checks every byte; "*" in ExtraMimetypes serves a type
// lws does not know.
func TestHTTPLargeFiles(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.IntN(16) + 'a') // compressible, so the zip member is deflated
	}
	if err := os.WriteFile(filepath.Join(dir, "big.dat"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	zpath := filepath.Join(t.TempDir(), "big.zip")
	zf, _ := os.Create(zpath)
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("big.dat")
	w.Write(data)
	zw.Close()
	zf.Close()
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{
			{Mountpoint: "/dir", Origin: "file://" + dir, ExtraMimetypes: map[string]string{"*": "application/x-test"}},
			{Mountpoint: "/zip", Origin: "file://" + zpath, ExtraMimetypes: map[string]string{".dat": "application/x-dat"}},
		}})
	})
	want := sha256.Sum256(data)
	for _, tc := range []struct{ path, ctype string }{{"/dir/big.dat", "application/x-test"}, {"/zip/big.dat", "application/x-dat"}} {
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		nc.(*net.TCPConn).SetReadBuffer(16 << 10)
		nc.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(nc, "GET "+tc.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		// Read slowly at first: the server must wait, not buffer.
		var got bytes.Buffer
		buf := make([]byte, 4096)
		for range 64 {
			n, err := nc.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
		}
		io.Copy(&got, nc)
		nc.Close()
		head, body, ok := strings.Cut(got.String(), "\r\n\r\n")
		if !ok || !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "content-type: "+tc.ctype+"\r\n") {
			t.Fatalf("%s: head %q", tc.path, head)
		}
		if sha256.Sum256([]byte(body)) != want {
			t.Fatalf("%s: the body differs (%d bytes, want %d)", tc.path, len(body), len(data))
		}
	}
}

// TestHTTPCGITimeout kills a program that stays silent longer than its
// mount's CGITimeout, and closes its connection.
func TestHTTPCGITimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	silent := cgiScript(t, dir, "silent.sh", "echo $$ > "+pidFile+"\nexec sleep 30\n")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/silent", Origin: "cgi://" + silent, CGITimeout: 1}}})
	})
	start := time.Now()
	out := exchange(t, addr(vh), "GET /silent HTTP/1.1\r\nHost: x\r\n\r\n")
	if out != "" || time.Since(start) > 5*time.Second {
		t.Errorf("a silent program: %q after %v", out, time.Since(start))
	}
	b, _ := os.ReadFile(pidFile)
	pid := strings.TrimSpace(string(b))
	waitFor(t, "the silent program to be killed and reaped", func() bool {
		_, err := os.Stat("/proc/" + pid)
		return pid != "" && os.IsNotExist(err)
	})
}
