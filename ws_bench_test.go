package lws_test

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// BenchmarkWSEcho compares, in one run, WebSocket echo servers on golws,
// gorilla/websocket and coder/websocket (each the usual goroutine per
// connection behind net/http), driven by the same gorilla clients. One op
// is one message sent and its echo received; allocs/op counts the whole
// process, clients included.
func BenchmarkWSEcho(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		for _, conns := range []int{1, 16} {
			name := fmt.Sprintf("%dB-%dconns", size, conns)
			b.Run("golws/"+name, func(b *testing.B) {
				var vh *lws.Vhost
				newContext(b, lws.ContextInfo{ServiceBufferSize: 64 << 10, EventLib: os.Getenv("LWS_BENCH_EVENTLIB")}, func(cx *lws.Context) {
					vh = wsVhost(b, cx, echo.Protocol())
				})
				runWSLoad(b, wsURL(vh), size, conns)
			})
			b.Run("gorilla/"+name, func(b *testing.B) {
				runWSLoad(b, gorillaEchoServer(b), size, conns)
			})
			b.Run("coder/"+name, func(b *testing.B) {
				runWSLoad(b, coderEchoServer(b), size, conns)
			})
		}
	}
}

func gorillaEchoServer(b *testing.B) string {
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, rd, err := c.NextReader()
			if err != nil {
				return
			}
			wr, err := c.NextWriter(mt)
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
	}))
	b.Cleanup(srv.Close)
	return "ws" + srv.URL[len("http"):] + "/"
}

func coderEchoServer(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coderws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := context.Background()
		for {
			mt, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			wr, err := c.Writer(ctx, mt)
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
	}))
	b.Cleanup(srv.Close)
	return "ws" + srv.URL[len("http"):] + "/"
}

func runWSLoad(b *testing.B, url string, size, conns int) {
	runWSLoadWith(b, websocket.DefaultDialer, url, size, conns)
}

// runWSLoadWith is runWSLoad with the clients' dialer (for wss).
func runWSLoadWith(b *testing.B, d *websocket.Dialer, url string, size, conns int) {
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		c, _, err := d.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	driveLoad(b, size, conns, func(i int) func() error {
		c := clients[i]
		msg := make([]byte, size)
		return func() error {
			if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return err
			}
			_, _, err := c.ReadMessage()
			return err
		}
	})
}

// TestWSEchoSteadyStateAllocatesNothing pins the allocation-free WebSocket
// hot path: once a connection is up, echoing a message allocates nothing
// anywhere in the process (the client here builds its frames by hand into
// buffers it reuses).
func TestWSEchoSteadyStateAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; this runs in the non-race pass")
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
		nc := rawUpgrade(t, addr(vh))
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(time.Minute))
		const size = 100
		frame := append([]byte{0x82, 0x80 | size, 1, 2, 3, 4}, make([]byte, size)...)
		got := make([]byte, 2+size)
		echoOnce := func() {
			if _, err := nc.Write(frame); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(nc, got); err != nil {
				t.Fatal(err)
			}
			if got[0] != 0x82 || got[1] != size {
				t.Fatalf("echo header % x", got[:2])
			}
		}
		for range 100 {
			echoOnce()
		}
		if avg := testing.AllocsPerRun(2000, echoOnce); avg != 0 {
			t.Fatalf("%.2f allocations per echoed message, want 0", avg)
		}
	})
}

// BenchmarkWSEchoSteadyState is the allocation figure of the WebSocket
// hot path: a golws echo server and a client that frames by hand into
// reused buffers, one 1 KiB message in flight. With -benchmem it shows 0
// allocs/op (the whole process counts).
func BenchmarkWSEchoSteadyState(b *testing.B) {
	var vh *lws.Vhost
	newContext(b, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(b, cx, echo.Protocol()) })
	nc := rawUpgrade(b, addr(vh))
	defer nc.Close()
	_ = nc.SetDeadline(time.Time{})
	const size = 1024
	frame := append([]byte{0x82, 0x80 | 126, size >> 8, size & 0xff, 1, 2, 3, 4}, make([]byte, size)...)
	got := make([]byte, 4+size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := nc.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWSEchoJSON is the cost of permessage-deflate on the server: an
// echo server and one client that frames by hand into reused buffers (so
// allocs/op is the server's), echoing 1 KiB JSON-like text messages, one
// in flight, over a real socket. On golws: "plain" is without the
// extension; "deflate" offers "permessage-deflate;
// client_no_context_takeover" (the client sends each of 64 messages
// compressed on its own, precomputed; the server keeps its context, the
// default); "deflate-shared" is the same against a server with
// shared_compressor. gorilla-plain and gorilla-deflate are the same
// against gorilla/websocket's server (compression on, which answers with
// no context takeover either way). wire-B/sent and wire-B/recv are the
// socket bytes of one message each way, frame headers included (golws
// sends a compressed message in frames of tx_buf_size, 1 KiB by
// default).
func BenchmarkWSEchoJSON(b *testing.B) {
	for _, c := range []struct{ name, options string }{
		{"plain", "off"},
		{"deflate", ""},
		{"deflate-shared", "shared_compressor"},
		{"gorilla-plain", "off"},
		{"gorilla-deflate", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			var address string
			if strings.HasPrefix(c.name, "gorilla") {
				address = gorillaJSONEchoServer(b, c.options != "off")
			} else {
				var vh *lws.Vhost
				newContext(b, lws.ContextInfo{}, func(cx *lws.Context) {
					if c.options == "off" {
						vh = wsVhost(b, cx, echo.Protocol())
					} else {
						vh = deflateEchoVhost(b, cx, c.options, echo.Protocol())
					}
				})
				address = addr(vh)
			}
			extra := ""
			if c.options != "off" {
				extra = "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n"
			}
			nc, answer := rawUpgradeAnswer(b, address, extra)
			defer nc.Close()
			compressed := c.options != "off"
			if compressed != strings.HasPrefix(answer, "permessage-deflate") {
				b.Fatalf("Sec-WebSocket-Extensions answer %q", answer)
			}
			const kinds = 64
			msgs := make([][]byte, kinds)
			frames := make([][]byte, kinds)
			for i := range msgs {
				msgs[i] = pmdJSON(i)
				frames[i] = clientTextFrame(b, msgs[i], compressed)
			}
			// The echoes, checked while warming up: decoded with one
			// inflater across messages when the server keeps its context.
			var in []byte
			rx := wsFrameReader{r: nc}
			var dec *pmdStreamDecoder
			if compressed {
				dec = newPMDStreamDecoder(strings.Contains(answer, "server_no_context_takeover"))
			}
			for i := range 2 * kinds {
				if _, err := nc.Write(frames[i%kinds]); err != nil {
					b.Fatal(err)
				}
				hdr, payload, err := rx.next(in[:0])
				if err != nil {
					b.Fatal(err)
				}
				in = payload
				got := payload
				if compressed {
					if hdr&0x40 == 0 {
						b.Fatalf("echo %d: not compressed (first byte %#x)", i, hdr)
					}
					if got, err = dec.decode(payload); err != nil {
						b.Fatalf("echo %d: %v", i, err)
					}
				}
				if !bytes.Equal(got, msgs[i%kinds]) {
					b.Fatalf("echo %d differs: %q", i, got)
				}
			}
			_ = nc.SetDeadline(time.Time{})
			var sent, recv int64
			b.SetBytes(1024)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f := frames[i%kinds]
				if _, err := nc.Write(f); err != nil {
					b.Fatal(err)
				}
				_, payload, err := rx.next(in[:0])
				if err != nil {
					b.Fatal(err)
				}
				in = payload
				sent += int64(len(f))
				recv += int64(rx.last)
			}
			b.ReportMetric(float64(sent)/float64(b.N), "wire-B/sent")
			b.ReportMetric(float64(recv)/float64(b.N), "wire-B/recv")
		})
	}
}

// clientTextFrame is a client's text frame of msg, compressed on its own
// (permessage-deflate without context takeover) when compress is set.
func clientTextFrame(t testing.TB, msg []byte, compress bool) []byte {
	payload, b0 := msg, byte(0x81)
	if compress {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
		w.Write(msg)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		payload, b0 = bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff}), 0xc1
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		t.Fatal("message too large")
	}
	mask := []byte{1, 2, 3, 4}
	f = append(f, mask...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// wsFrameReader reads a server's unmasked messages, fragmented or not.
type wsFrameReader struct {
	r    io.Reader
	hdr  [4]byte
	last int // the socket bytes of the last message
}

// next reads one message, appending its payload to buf, and returns the
// first byte of its first frame and the payload.
func (f *wsFrameReader) next(buf []byte) (byte, []byte, error) {
	var first byte
	f.last = 0
	for i := 0; ; i++ {
		if _, err := io.ReadFull(f.r, f.hdr[:2]); err != nil {
			return 0, nil, err
		}
		n, hl := int(f.hdr[1]&0x7f), 2
		switch n {
		case 126:
			if _, err := io.ReadFull(f.r, f.hdr[2:4]); err != nil {
				return 0, nil, err
			}
			n, hl = int(f.hdr[2])<<8|int(f.hdr[3]), 4
		case 127:
			return 0, nil, fmt.Errorf("a %d-byte-length frame", n)
		}
		op := f.hdr[0] & 0x0f
		if i == 0 {
			first = f.hdr[0]
			if op != 1 {
				return 0, nil, fmt.Errorf("frame header %#x: want a text message", f.hdr[0])
			}
		} else if op != 0 {
			return 0, nil, fmt.Errorf("frame header %#x: want a continuation", f.hdr[0])
		}
		at := len(buf)
		buf = slices.Grow(buf, n)[:at+n]
		if _, err := io.ReadFull(f.r, buf[at:]); err != nil {
			return 0, nil, err
		}
		f.last += hl + n
		if f.hdr[0]&0x80 != 0 {
			return first, buf, nil
		}
	}
}

// pmdStreamDecoder inflates the messages of one direction of a
// permessage-deflate connection: with context takeover each message
// refers back to the last 32 KiB of those before it, which it gets as the
// inflater's dictionary, unless reset is set (the sender has no context
// takeover).
type pmdStreamDecoder struct {
	window []byte
	reset  bool
}

func newPMDStreamDecoder(reset bool) *pmdStreamDecoder { return &pmdStreamDecoder{reset: reset} }

// decode inflates one message's payload.
func (d *pmdStreamDecoder) decode(payload []byte) ([]byte, error) {
	if d.reset {
		d.window = d.window[:0]
	}
	// The payload, the tail RFC 7692 removes, and an empty final block.
	in := append(slices.Clip(payload), 0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff)
	out, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(in), d.window))
	if err != nil {
		return nil, err
	}
	d.window = append(d.window, out...)
	if len(d.window) > 32<<10 {
		d.window = d.window[len(d.window)-32<<10:]
	}
	return out, nil
}

// rawUpgradeAnswer opens a WebSocket by hand, with the extra request
// header lines, and returns it with the answer's Sec-WebSocket-Extensions.
func rawUpgradeAnswer(t testing.TB, address, extra string) (net.Conn, string) {
	t.Helper()
	nc, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := nc.Read(one); err != nil {
			t.Fatalf("reading the 101: %v (got %q)", err, head)
		}
		head = append(head, one[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		t.Fatalf("handshake answer %q", head)
	}
	ext := ""
	for _, line := range strings.Split(string(head), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Extensions") {
			ext = strings.TrimSpace(v)
		}
	}
	return nc, ext
}

// gorillaJSONEchoServer is a gorilla/websocket echo server, with
// permessage-deflate enabled if compress is set, and returns its
// address.
func gorillaJSONEchoServer(b *testing.B, compress bool) string {
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, EnableCompression: compress}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil || c.WriteMessage(mt, msg) != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
