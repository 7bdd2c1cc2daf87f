package lws_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

// Tests of how a transaction ends: the next pipelined request waits until
// the previous response has gone to the kernel, a close comes only after
// the whole response, a request answered before its body is read is
// either kept (the body discarded) or closed with "connection: close",
// and the header timeout counts from accept.

// drainSite serves a directory holding small.bin (8 KiB), big.bin (1 MiB)
// 60k.bin (60,000 bytes) and 4k.bin, all random, on a loop of backend
// (empty for the default); it returns the vhost and the files' contents
// by name.
func drainSite(t *testing.T, backend string, info lws.VhostInfo) (*lws.Vhost, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		"small.bin": make([]byte, 8<<10),
		"big.bin":   make([]byte, 1<<20),
		"60k.bin":   make([]byte, 60000),
		"4k.bin":    make([]byte, 4<<10),
	}
	for name, b := range files {
		_, _ = rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
		info.Mounts = []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir,
			ExtraMimetypes: map[string]string{".bin": "application/octet-stream"}}}
		vh = httpVhost(t, cx, info)
	})
	return vh, files
}

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestHTTPPipelinedNonReaderBounded: one connection pipelines many
// requests and reads nothing. The server answers one, and reads the next
// only once that answer has gone to the kernel: what it holds stays under
// a small bound however many requests wait (TCP pushes back on the
// client), and when the client reads, every answer arrives byte for byte.
func TestHTTPPipelinedNonReaderBounded(t *testing.T) {
	forEachBackend(t, testPipelinedNonReaderBounded)
}

func testPipelinedNonReaderBounded(t *testing.T, backend string) {
	vh, _ := drainSite(t, backend, lws.VhostInfo{})
	cases := []struct {
		name, req string
		n         int
	}{
		{"small-file", "GET /small.bin HTTP/1.1\r\nHost: x\r\n", 2000},
		{"range", "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-65535\r\n", 400},
		{"status-page", "GET /missing HTTP/1.1\r\nHost: x\r\n", 80000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keepReq := tc.req + "\r\n"
			closeReq := tc.req + "Connection: close\r\n\r\n"
			one := exchange(t, addr(vh), closeReq)
			if !strings.Contains(one, "connection: close\r\n") {
				t.Fatalf("answer: %.300q", one)
			}
			keep := strings.Replace(one, "connection: close\r\n", "", 1)
			// All keep-alive: the connection stays while the answers wait.
			reqs := []byte(strings.Repeat(keepReq, tc.n))
			want := strings.Repeat(keep, tc.n)

			before := heapAfterGC()
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			var written atomic.Int64
			wrote := make(chan error, 1)
			go func() {
				for p := reqs; len(p) > 0; {
					n, err := nc.Write(p[:min(len(p), 4096)])
					written.Add(int64(n))
					if err != nil {
						wrote <- err
						return
					}
					p = p[n:]
				}
				wrote <- nil
			}()
			// Wait until the server stops taking requests (or has them all).
			last, still := int64(-1), time.Now()
			for time.Since(still) < 300*time.Millisecond {
				time.Sleep(20 * time.Millisecond)
				if w := written.Load(); w != last {
					last, still = w, time.Now()
				}
			}
			time.Sleep(100 * time.Millisecond)
			grown := int64(heapAfterGC()) - int64(before)
			t.Logf("%d of %d request bytes taken; heap grew by %d KiB", last, len(reqs), grown>>10)
			if grown > 8<<20 {
				t.Errorf("the heap grew by %d MiB while the client read nothing", grown>>20)
			}
			nc.SetDeadline(time.Now().Add(60 * time.Second))
			got := make([]byte, len(want))
			if n, err := io.ReadFull(nc, got); err != nil {
				t.Fatalf("reading the answers: %v (%d bytes of %d, %d answers whole)",
					err, n, len(want), strings.Count(string(got[:n]), "HTTP/1.1 "))
			}
			if werr := <-wrote; werr != nil {
				t.Fatalf("writing the requests: %v", werr)
			}
			if string(got) != want {
				t.Fatalf("answers differ from %d separate ones: got %d bytes, want %d (%d answers whole)",
					tc.n, len(got), len(want), strings.Count(string(got), "HTTP/1.1 "))
			}
		})
	}
}

// smallWindowDial connects with a small window: MSS 536 and a 4 KiB
// receive buffer, set before connecting.
func smallWindowDial(address string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_MAXSEG, 536)
			if serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return d.Dial("tcp", address)
}

// slowRead reads nc to its end a little at a time.
func slowRead(nc net.Conn) ([]byte, error) {
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	time.Sleep(30 * time.Millisecond) // let the server be done with its writing
	var got []byte
	buf := make([]byte, 1024)
	for {
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, fmt.Errorf("reading: %v after %d bytes", err, len(got))
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// smallWindowFetch sends req on a small-window connection and reads the
// answer slowly, till the server closes.
func smallWindowFetch(address, req string) ([]byte, error) {
	nc, err := smallWindowDial(address)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	go io.WriteString(nc, req)
	return slowRead(nc)
}

// TestHTTPCloseAfterWholeResponse: a response that ends with a close
// (Connection: close, HTTP/1.0) reaches a client with a small window
// whole: the server shuts its side down only once the kernel has taken
// everything.
func TestHTTPCloseAfterWholeResponse(t *testing.T) {
	forEachBackend(t, testCloseAfterWholeResponse)
}

func testCloseAfterWholeResponse(t *testing.T, backend string) {
	vh, files := drainSite(t, backend, lws.VhostInfo{})
	for _, req := range []string{
		"GET /60k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /60k.bin HTTP/1.0\r\n\r\n",
	} {
		// Twenty clients at once.
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Go(func() {
				got, err := smallWindowFetch(addr(vh), req)
				_, body, ok := bytes.Cut(got, []byte("\r\n\r\n"))
				if err == nil && (!ok || !bytes.Equal(body, files["60k.bin"])) {
					err = fmt.Errorf("%d bytes of body, want the file's %d", len(body), len(files["60k.bin"]))
				}
				if err != nil {
					errs <- fmt.Errorf("%q, client %d: %v", req, i, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	// 200 pipelined requests, the last asking to close.
	one := exchange(t, addr(vh), "GET /4k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	keep := strings.Replace(one, "connection: close\r\n", "", 1)
	got, err := smallWindowFetch(addr(vh), strings.Repeat("GET /4k.bin HTTP/1.1\r\nHost: x\r\n\r\n", 199)+
		"GET /4k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if err != nil || string(got) != strings.Repeat(keep, 199)+one {
		t.Fatalf("%d answers of 200 arrived whole (%d bytes; %v)", strings.Count(string(got), "HTTP/1.1 200"), len(got), err)
	}
}

// readAnswers sends req on a fresh connection and reads until the server
// closes, failing if it does not within a few seconds.
func readAnswers(t *testing.T, address, req string) string {
	t.Helper()
	nc, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("reading the answers to %.80q: %v (got %q)", req, err, got)
	}
	return string(got)
}

// TestHTTPAnsweredBeforeBody: a request answered before its body is read.
// A short Content-Length body is read and dropped and the connection
// serves the next request, as lws does; a body the server will not read
// (longer than 256 KiB, chunked, or not sent yet because the client
// awaits 100 Continue) is answered with "connection: close", then the
// connection closes. Either way no pipelined request is lost silently.
func TestHTTPAnsweredBeforeBody(t *testing.T) {
	forEachBackend(t, testAnsweredBeforeBody)
}

func testAnsweredBeforeBody(t *testing.T, backend string) {
	vh, files := drainSite(t, backend, lws.VhostInfo{})
	next := "GET /4k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	nextAnswer := exchange(t, addr(vh), next)

	// A file mount answers POST with 405 at once; the body follows.
	body := strings.Repeat("b", 1000)
	t.Run("dropped", func(t *testing.T) {
		out := readAnswers(t, addr(vh), "POST /4k.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"+body+next)
		first, rest, _ := strings.Cut(out, "\r\n\r\n")
		if !strings.HasPrefix(first, "HTTP/1.1 405 ") || strings.Contains(first, "connection: close") {
			t.Fatalf("the 405: %q", first)
		}
		if !strings.HasSuffix(rest, nextAnswer) || !strings.HasSuffix(out, string(files["4k.bin"])) {
			t.Fatalf("the request after a dropped body was not answered: %q", rest)
		}
	})
	t.Run("dropped-late", testBodyDroppedLate(vh, next, nextAnswer))
	for _, tc := range []struct{ name, req string }{
		{"long", "POST /4k.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + body + next},
		{"chunked", "POST /4k.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"},
		{"expect", "POST /4k.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n"},
		{"not-found", "POST /nothing/here HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			out := readAnswers(t, addr(vh), tc.req)
			head, _, _ := strings.Cut(out, "\r\n\r\n")
			if !strings.Contains(head+"\r\n", "connection: close\r\n") || strings.Count(out, "HTTP/1.1 ") != 1 {
				t.Errorf("the answer does not say it closes: %q", out)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("closed after %v", d)
			}
		})
	}
}

// testBodyDroppedLate: the body comes after the answer, in pieces, then
// the next request.
func testBodyDroppedLate(vh *lws.Vhost, next, nextAnswer string) func(t *testing.T) {
	return func(t *testing.T) {
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(nc, "POST /4k.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
		buf := make([]byte, 4096)
		n, err := nc.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 405 ") || strings.Contains(string(buf[:n]), "connection: close") {
			t.Fatalf("the 405 before the body: %q, %v", buf[:n], err)
		}
		for range 50 {
			if _, err := nc.Write(bytes.Repeat([]byte{'z'}, 4000)); err != nil {
				t.Fatal(err)
			}
		}
		io.WriteString(nc, next)
		got, err := io.ReadAll(nc)
		if err != nil || string(got) != nextAnswer {
			t.Fatalf("after a body sent late: %v, %d bytes (%.200q)", err, len(got), got)
		}
	}
}

// TestHTTPHeaderTimeoutFromAccept: the header timeout (AHIdleTimeoutSecs)
// counts from accept, as lws's ah idle timeout counts from when the
// connection gets its header table: a client that sends its first byte
// late, then trickles, is closed that long after connecting.
func TestHTTPHeaderTimeoutFromAccept(t *testing.T) {
	vh, _ := drainSite(t, "", lws.VhostInfo{AHIdleTimeoutSecs: 2})
	nc, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = io.Copy(io.Discard, nc)
		closed <- time.Since(start)
	}()
	time.Sleep(1500 * time.Millisecond)
	for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
		select {
		case d := <-closed:
			if d < 1900*time.Millisecond || d > 2900*time.Millisecond {
				t.Fatalf("closed %v after connecting, want about 2 s", d)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := nc.Write([]byte{b}); err != nil {
			break
		}
	}
	select {
	case d := <-closed:
		if d < 1900*time.Millisecond || d > 2900*time.Millisecond {
			t.Fatalf("closed %v after connecting, want about 2 s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a connection trickling its head was not closed")
	}
}

// TestHTTPHeaderTimeoutAfterTableWait: a head that had to wait for a
// header table (the pool was empty) gets its header timeout from when it
// gets one, as lws arms it when it attaches the table; the wait itself is
// bounded by the timeout from accept.
func TestHTTPHeaderTimeoutAfterTableWait(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{MaxHTTPHeaderPool: 1}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{AHIdleTimeoutSecs: 2})
	})
	start := time.Now()
	closedAfter := func(nc net.Conn) chan time.Duration {
		ch := make(chan time.Duration, 1)
		go func() {
			_, _ = io.Copy(io.Discard, nc)
			ch <- time.Since(start)
		}()
		return ch
	}
	a, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	io.WriteString(a, "GET / HTTP/1.1\r\n") // holds the one table
	aClosed := closedAfter(a)
	time.Sleep(time.Second)
	b, err := net.Dial("tcp", addr(vh))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	io.WriteString(b, "GET / HTTP/1.1\r\n") // waits for the table
	bClosed := closedAfter(b)
	if d := <-aClosed; d < 1900*time.Millisecond || d > 2900*time.Millisecond {
		t.Fatalf("the head holding the table was closed %v after the start, want about 2 s", d)
	}
	// b got the table at about 2 s: its timeout ends at about 4 s, not 3.
	if d := <-bClosed; d < 3500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("the head that waited was closed %v after the start, want about 4 s", d)
	}
}

// TestHTTPCompletedFromBodyCallback: a protocol that answers 413 from its
// first HTTP_BODY piece and completes the transaction there. The rest of
// the body (over TLS, several pieces of one record) is dropped, not taken
// for requests, and the request pipelined behind it is answered.
func TestHTTPCompletedFromBodyCallback(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost")
	var plain, secure *lws.Vhost
	var bodies atomic.Int32
	proto := lws.Protocol{
		Name:         "refuse-uploads",
		RxBufferSize: 1000,
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackHTTP:
				if _, method := c.HTTPURIAndMethod(); method == "GET" {
					return c.ReturnHTTPStatus(200, "ok")
				}
			case lws.CallbackHTTPBody:
				bodies.Add(1)
				return c.ReturnHTTPStatus(413, "")
			case lws.CallbackHTTPBodyCompletion:
				return c.ReturnHTTPStatus(500, "body completion after the answer")
			}
			return nil
		},
	}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		plain = httpVhost(t, cx, lws.VhostInfo{Name: "plain", Protocols: []lws.Protocol{proto}})
		secure = httpVhost(t, cx, lws.VhostInfo{Name: "tls", SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Protocols: []lws.Protocol{proto}})
	})
	// The body looks like requests: taking it for them would answer them.
	req := "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n" +
		strings.Repeat("GET / HTTP/1.1\r\n\r\n", 10000/18) + strings.Repeat("x", 10000%18) +
		"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	check := func(t *testing.T, out string) {
		t.Helper()
		if strings.Count(out, "HTTP/1.1 ") != 2 || !strings.HasPrefix(out, "HTTP/1.1 413 ") ||
			!strings.Contains(out, "HTTP/1.1 200 OK\r\n") || strings.Count(out[:strings.Index(out, "HTTP/1.1 200")], "connection: close") != 0 {
			t.Fatalf("answers: %q", out)
		}
		if n := bodies.Swap(0); n != 1 {
			t.Errorf("%d HTTP_BODY callbacks, want the one answered", n)
		}
	}
	t.Run("plain", func(t *testing.T) { check(t, readAnswers(t, addr(plain), req)) })
	t.Run("tls", func(t *testing.T) {
		tc, err := tls.Dial("tcp", addr(secure), &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(tc, req) // one record
		out, err := io.ReadAll(tc)
		if err != nil {
			t.Fatalf("%v after %q", err, out)
		}
		check(t, string(out))
	})
}
