package lws_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// pmdJSON is a 1 KiB JSON-like message, the kind of text
// permessage-deflate is for. Its fields vary with n so that successive
// messages are alike but not equal.
func pmdJSON(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"seq":%d,"type":"update","items":[`, n)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%d","price":%d.%02d,"tags":["a","b"]}`, n*31+i, i, 10+i, (n+i)%100)
	}
	b.WriteString(`]}`)
	for b.Len() < 1024 {
		b.WriteByte(' ')
	}
	return b.Bytes()[:1024]
}

// pmdMemoryCase is one configuration the memory test measures.
type pmdMemoryCase struct {
	name    string
	options string // permessage-deflate's options on both sides; "off" for none
	active  bool   // the clients keep echoing while the server is measured
	warm    int    // messages each connection exchanges first
	// maxHeap bounds the heap per connection: with context takeover a
	// connection keeps the client's last 32 KiB (the window) and the
	// last 4 KiB it sent (tx_dict_size); with shared_compressor, or
	// without the extension, nothing of the compression.
	maxHeap float64
}

// TestPMDConnectionMemory measures what a WebSocket connection costs the
// server with permessage-deflate, against the same connection without it,
// the way TestTLSIdleConnectionMemory does: golws clients in a child
// process (this test binary re-run) open N connections to an echo server
// in this one; each exchanges one compressed 1 KiB JSON message (or 40,
// enough to fill the 32 KiB window the server keeps of what the client
// sent) and then stays idle, or keeps echoing ("active"). The server's
// live heap after a GC, and its VmRSS, are taken before and with the
// connections up; the difference ÷ N is logged for docs/performance.md,
// and the heap's is bounded. N is 200 (1000 and 10000 with
// LWS_PMD_MEMORY_CONNS=1000,10000; the active cases and the 40-message
// one use the first count only).
func TestPMDConnectionMemory(t *testing.T) {
	if a := os.Getenv("LWS_TEST_PMD_CLIENTS"); a != "" {
		pmdClientsHelper(a)
		return
	}
	counts := []int{200}
	if v := os.Getenv("LWS_PMD_MEMORY_CONNS"); v != "" {
		counts = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				t.Fatalf("LWS_PMD_MEMORY_CONNS=%q", v)
			}
			counts = append(counts, n)
		}
	}
	cases := []pmdMemoryCase{
		{"idle, no compression", "off", false, 1, 4 << 10},
		{"idle, permessage-deflate", "", false, 1, 48 << 10},
		{"idle, permessage-deflate shared_compressor", "shared_compressor", false, 1, 4 << 10},
		{"idle after 40 messages, permessage-deflate", "", false, 40, 48 << 10},
		{"active, no compression", "off", true, 1, 8 << 10},
		{"active, permessage-deflate", "", true, 1, 56 << 10},
		{"active, permessage-deflate shared_compressor", "shared_compressor", true, 1, 8 << 10},
	}
	for _, c := range cases {
		ns := counts
		if c.active || c.warm > 1 {
			ns = counts[:1]
		}
		for _, n := range ns {
			t.Run(fmt.Sprintf("%s/%d", c.name, n), func(t *testing.T) {
				heap, rss := pmdMemoryRun(t, c, n)
				t.Logf("%s, %d connections: server heap %.2f KiB, VmRSS %.2f KiB per connection", c.name, n, heap/1024, rss/1024)
				if heap > c.maxHeap {
					t.Errorf("%.2f KiB of heap per connection, over %.0f KiB", heap/1024, c.maxHeap/1024)
				}
			})
		}
	}
}

// pmdMemoryRun runs one case and returns the server's heap and VmRSS
// growth per connection, in bytes.
func pmdMemoryRun(t *testing.T, c pmdMemoryCase, n int) (heap, rss float64) {
	proto := echo.Protocol()
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		if c.options == "off" {
			vh = wsVhost(t, cx, proto)
		} else {
			vh = deflateEchoVhost(t, cx, c.options, proto)
		}
	})
	measure := func() (uint64, uint64) {
		var ms runtime.MemStats
		r.do(func() {
			runtime.GC()
			debug.FreeOSMemory()
			runtime.ReadMemStats(&ms)
		})
		return ms.HeapAlloc, vmRSS(t)
	}
	heap0, rss0 := measure()
	mode := "idle"
	if c.active {
		mode = "active"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPMDConnectionMemory$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("LWS_TEST_PMD_CLIENTS=%d %d %s %d %s", vh.Port(), n, mode, c.warm, c.options))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("the client helper: %q %v", line, err)
	}
	heap1, rss1 := measure()
	return (float64(heap1) - float64(heap0)) / float64(n), (float64(rss1) - float64(rss0)) / float64(n)
}

// vmRSS returns the process's resident set size in bytes.
func vmRSS(t testing.TB) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q", v)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// pmdClientsHelper is the client side of TestPMDConnectionMemory
// ("PORT N MODE WARM OPTIONS"): it opens N lws-echo connections to
// 127.0.0.1:PORT, at most 256 connecting at a time, with
// permessage-deflate and OPTIONS unless OPTIONS is "off"; each sends WARM
// 1 KiB JSON messages, one at a time, reading their echoes. Once all
// have, it says "ready"; in mode "active" every connection goes on
// echoing. It stops when its stdin closes.
func pmdClientsHelper(arg string) {
	f := strings.Fields(arg)
	port, _ := strconv.Atoi(f[0])
	n, _ := strconv.Atoi(f[1])
	active := f[2] == "active"
	warm, _ := strconv.Atoi(f[3])
	options := ""
	if len(f) > 4 {
		options = f[4]
	}
	fail := func(err error) {
		fmt.Println(err)
		os.Exit(1)
	}
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		fail(err)
	}
	started, done, seq := 0, 0, 0
	var stopping atomic.Bool
	var vh *lws.Vhost
	connect := func() {
		started++
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port, Protocol: echo.Name}); err != nil {
			fail(err)
		}
	}
	type session struct{ echoes int }
	proto := lws.Protocol{Name: echo.Name, NewSession: func() any { return new(session) }, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		s, _ := c.User().(*session)
		switch reason {
		case lws.CallbackClientConnectionError:
			fail(fmt.Errorf("connection %d: %s", started, in))
		case lws.CallbackClientEstablished:
			if options != "off" && !c.ExtensionActive("permessage-deflate") {
				fail(fmt.Errorf("permessage-deflate was not negotiated"))
			}
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			seq++
			if _, err := c.Write(pmdJSON(seq), lws.WriteText); err != nil {
				return err
			}
		case lws.CallbackClientReceive:
			if !c.IsFinalFragment() {
				return nil
			}
			s.echoes++
			if s.echoes == warm {
				done++
				if started < n {
					connect()
				}
				if done == n {
					fmt.Println("ready")
				}
			}
			if active || s.echoes < warm {
				c.CallbackOnWritable()
			}
		case lws.CallbackClientClosed:
			if !stopping.Load() {
				fail(fmt.Errorf("a connection closed"))
			}
		}
		return nil
	}}
	info := lws.VhostInfo{Name: "c", Port: lws.PortNoListen, Protocols: []lws.Protocol{proto}}
	if options != "off" {
		ext, err := pmdExtensionOf(options)
		if err != nil {
			fail(err)
		}
		info.Extensions = []lws.Extension{ext}
	}
	if vh, err = cx.CreateVhost(info); err != nil {
		fail(err)
	}
	for range min(n, 256) {
		connect()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stopping.Store(true)
		cancel()
	}()
	_ = cx.Run(ctx)
	cx.Destroy()
	os.Exit(0)
}
