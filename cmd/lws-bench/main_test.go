package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/pmdeflate"
)

func TestHistogramBuckets(t *testing.T) {
	for v := int64(0); v < 1<<22; v += 1 + v/97 {
		b := bucketOf(v)
		if lo, hi := lowerBound(b), lowerBound(b+1); lo > v || v >= hi {
			t.Fatalf("%d in bucket %d = [%d, %d)", v, b, lo, hi)
		}
		if hi := lowerBound(b + 1); v >= subBuckets && float64(hi-lowerBound(b)) > float64(v)/float64(subBuckets/2) {
			t.Fatalf("bucket of %d is %d wide: more than 1/%d of the value", v, hi-lowerBound(b), subBuckets/2)
		}
	}
	var h histogram
	for v := int64(1); v <= 100000; v++ {
		h.record(v * 1000)
	}
	for _, q := range []float64{0.5, 0.99, 0.999} {
		want := q * 100000 * 1000
		if got := float64(h.quantile(q)); got < want*0.98 || got > want*1.001 {
			t.Errorf("quantile %v = %v, want about %v", q, got, want)
		}
	}
	if h.max != 100000*1000 {
		t.Errorf("max %d", h.max)
	}
}

// TestRespParserSplitsAnywhere feeds responses cut at every byte boundary.
func TestRespParserSplitsAnywhere(t *testing.T) {
	for _, tc := range []struct {
		name, resp string
		status     int
		close      bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello", 200, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nTrailer: t\r\n\r\n", 200, false},
		{"not-modified", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", 304, false},
		{"http10", "HTTP/1.0 404 Not Found\r\nContent-Length: 2\r\n\r\nno", 404, true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for cut := 0; cut <= len(tc.resp); cut++ {
				var p respParser
				p.reset()
				done, consumed := false, 0
				for _, part := range []string{tc.resp[:cut], tc.resp[cut:]} {
					in := []byte(part)
					for len(in) > 0 {
						n, d, err := p.feed(in)
						if err != nil {
							t.Fatalf("cut %d: %v", cut, err)
						}
						consumed += n
						if d && (done || consumed != len(tc.resp)) {
							t.Fatalf("cut %d: response ended after %d of %d bytes", cut, consumed, len(tc.resp))
						}
						done = done || d
						in = in[n:]
					}
				}
				if !done || p.status != tc.status || p.close != tc.close {
					t.Fatalf("cut %d: done %v status %d close %v", cut, done, p.status, p.close)
				}
			}
		})
	}
	for _, bad := range []string{
		"HTTP/1.1 200 OK\r\n\r\n",                                     // no framing
		"HTTP/1.1 2x0 OK\r\nContent-Length: 1\r\n\r\n",                // bad status
		"SSH-2.0\r\n\r\n",                                             // not HTTP
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", // bad chunk
		"HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", 4000) + "\r\n",
	} {
		var p respParser
		in := []byte(bad)
		var err error
		for len(in) > 0 && err == nil {
			var n int
			n, _, err = p.feed(in)
			in = in[n:]
		}
		if err == nil {
			t.Errorf("%.30q accepted", bad)
		}
	}
}

// golwsEcho serves the echo protocol on an ephemeral port until the test
// ends, accepting the extensions given.
func golwsEcho(t *testing.T, exts ...lws.Extension) string {
	t.Helper()
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{echo.Protocol()}, Extensions: exts})
	if err != nil {
		t.Fatal(err)
	}
	looptest.Run(t, cx)
	return fmt.Sprintf("ws://127.0.0.1:%d/", vh.Port())
}

func runBench(t *testing.T, args ...string) (*Result, string) {
	t.Helper()
	cfg, err := parseFlags(args[0], append(args[1:], "-json"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	return res, out.String()
}

func TestEchoMeasuresAndReportsJSON(t *testing.T) {
	url := golwsEcho(t)
	res, out := runBench(t, "echo", "-url", url, "-c", "4", "-size", "300", "-inflight", "3",
		"-d", "300ms", "-warmup", "100ms")
	if res.Errors != 0 || res.Connections != 4 || res.Messages == 0 || res.Latency == nil || res.Latency.P50 <= 0 {
		t.Fatalf("result %+v", res)
	}
	var parsed Result
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if parsed.Messages != res.Messages || parsed.Mode != "echo" || parsed.Inflight != 3 {
		t.Fatalf("JSON %+v", parsed)
	}
}

// TestEchoCountsWrongEchoes: a server that answers with a different
// message is reported as errors, not as throughput.
func TestEchoCountsWrongEchoes(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(mt, append(msg, '!')) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	res, _ := runBench(t, "echo", "-url", "ws"+strings.TrimPrefix(srv.URL, "http")+"/", "-c", "2",
		"-size", "10", "-d", "200ms", "-warmup", "0s")
	if res.Errors == 0 || !strings.Contains(res.FirstError, "echo of 11 bytes") {
		t.Fatalf("wrong echoes not reported: %+v", res)
	}
}

// TestIdleHoldsConnectionsFromSeveralSources: idle reports once all
// connections are up, spread over the source addresses, and once when it
// lets them go.
func TestIdleHoldsConnectionsFromSeveralSources(t *testing.T) {
	var mu sync.Mutex
	sources := map[string]int{}
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		sources[host]++
		mu.Unlock()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_, _, _ = c.ReadMessage()
	}))
	defer srv.Close()
	res, out := runBench(t, "idle", "-url", "ws"+strings.TrimPrefix(srv.URL, "http")+"/", "-c", "60",
		"-sources", "3", "-hold", "200ms")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"event":"established"`) ||
		!strings.Contains(lines[1], `"event":"closed"`) || res.Connections != 60 || res.Errors != 0 {
		t.Fatalf("output %q, result %+v", out, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if sources["127.0.0.1"] != 20 || sources["127.0.0.2"] != 20 || sources["127.0.0.3"] != 20 {
		t.Fatalf("sources %v, want 20 from each of three", sources)
	}
}

// TestIdleWarmWithDeflate: with -pmd and -warm, idle connections
// negotiate permessage-deflate and each echoes its messages before the
// report that they are up; -pmd-options reach the offer.
func TestIdleWarmWithDeflate(t *testing.T) {
	url := golwsEcho(t, lws.PermessageDeflate(pmdeflate.Options{}))
	for _, options := range []string{"", "shared_compressor"} {
		res, out := runBench(t, "idle", "-url", url, "-c", "20", "-pmd", "-pmd-options", options, "-warm", "3", "-hold", "100ms")
		if res.Connections != 20 || res.Compressed != 20 || res.Errors != 0 || !strings.Contains(out, `"compressed":20`) {
			t.Fatalf("-pmd-options %q: output %q, result %+v", options, out, res)
		}
	}
	if _, err := parseFlags("idle", []string{"-url", url, "-pmd", "-pmd-options", "no_such_option"}); err == nil {
		t.Error("-pmd-options no_such_option accepted")
	}
}

func TestHTTPKeepAliveLoad(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		if r.URL.Path == "/404" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
		fmt.Fprint(w, strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	for _, path := range []string{"/small", "/chunked"} {
		res, _ := runBench(t, "http", "-url", srv.URL+path, "-c", "3", "-d", "300ms", "-warmup", "50ms")
		if res.Errors != 0 || res.Requests == 0 || res.ReceivedBytes < res.Requests*1000 {
			t.Fatalf("%s: %+v", path, res)
		}
	}
	mu.Lock()
	n := len(conns)
	mu.Unlock()
	if n != 6 {
		t.Fatalf("%d connections served the requests, want 3 per run, kept alive", n)
	}
	res, _ := runBench(t, "http", "-url", srv.URL+"/404", "-c", "1", "-d", "300ms", "-warmup", "50ms")
	if res.Errors == 0 || res.FirstError != "HTTP status 404" {
		t.Fatalf("a 404 was not counted as an error: %+v", res)
	}
}

// TestSlowReadsAtItsRate: the slow consumer reads no faster than asked,
// give or take one read.
func TestSlowReadsAtItsRate(t *testing.T) {
	url := golwsEcho(t)
	start := time.Now()
	res, _ := runBench(t, "slow", "-url", url, "-size", "16384", "-read-rate", "200000",
		"-d", "600ms", "-warmup", "0s")
	elapsed := time.Since(start).Seconds()
	if res.Errors != 0 || res.ReceivedBytes == 0 {
		t.Fatalf("%+v", res)
	}
	if limit := uint64(elapsed*200000) + 64<<10; res.ReceivedBytes > limit {
		t.Fatalf("received %d bytes in %.2fs at 200000 B/s: over %d", res.ReceivedBytes, elapsed, limit)
	}
	if res.SentBytes <= res.ReceivedBytes {
		t.Fatalf("sent %d, received %d: the sender was not ahead of the slow reader", res.SentBytes, res.ReceivedBytes)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"echo"},
		{"echo", "-url", "http://x/"},
		{"http", "-url", "ws://x/"},
		{"echo", "-url", "ws://x/", "-sources", "2"},
		{"echo", "-url", "ws://127.0.0.1:1/", "-inflight", "0"},
		{"bogus", "-url", "ws://127.0.0.1:1/"},
	} {
		if _, err := parseFlags(args[0], args[1:]); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
