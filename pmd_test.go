package lws_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"golang.org/x/net/http2"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/pmdeflate"
)

// pmdVhost creates a listening vhost with permessage-deflate.
func pmdVhost(t testing.TB, cx *lws.Context, info lws.VhostInfo, protos ...lws.Protocol) *lws.Vhost {
	t.Helper()
	info.Name, info.Port, info.Iface, info.Protocols = "pmd", lws.PortAny, "127.0.0.1", protos
	if info.Extensions == nil {
		info.Extensions = []lws.Extension{lws.PermessageDeflate(pmdeflate.Options{})}
	}
	vh, err := cx.CreateVhost(info)
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

// pmdMessages are the messages the echo tests send: compressible text
// and incompressible binary, from one byte to 1 MiB.
func pmdMessages() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var msgs [][]byte
	for _, n := range []int{1, 100, 1023, 1024, 1025, 4096, 4097, 70000, 1 << 20} {
		text := []byte(strings.Repeat("permessage-deflate squeezes repeated text. ", n/43+1)[:n])
		random := make([]byte, n)
		for i := range random {
			random[i] = byte(rng.Uint32())
		}
		msgs = append(msgs, text, random)
	}
	return msgs
}

// countingConn counts the bytes read from a connection: what came over
// the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestPMDServerEchoWithPeers echoes messages of 1 byte to 1 MiB, plain
// and fragmented, compressible and not, between golws's echo server with
// permessage-deflate and gorilla/websocket (no context takeover) and
// coder/websocket (with and without context takeover) clients: every
// echo is intact, and compressible echoes came compressed.
func TestPMDServerEchoWithPeers(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, echo.Protocol()) })
	msgs := pmdMessages()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, compressible

	t.Run("gorilla", func(t *testing.T) {
		var wire atomic.Int64
		d := websocket.Dialer{Subprotocols: []string{echo.Name}, EnableCompression: true,
			NetDial: func(network, address string) (net.Conn, error) {
				nc, err := net.Dial(network, address)
				return countingConn{nc, &wire}, err
			}}
		conn, resp, err := d.Dial(wsURL(vh), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if h := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(h, "permessage-deflate") {
			t.Fatalf("answered %q to gorilla's offer", h)
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		for i, m := range msgs {
			mt := websocket.TextMessage
			if i%2 == 1 {
				mt = websocket.BinaryMessage
			}
			if i%4 >= 2 {
				// fragmented: written in parts
				w, err := conn.NextWriter(mt)
				if err != nil {
					t.Fatal(err)
				}
				for p := m; len(p) > 0; {
					k := min(len(p), 777)
					if _, err := w.Write(p[:k]); err != nil {
						t.Fatal(err)
					}
					p = p[k:]
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			} else if err := conn.WriteMessage(mt, m); err != nil {
				t.Fatal(err)
			}
			gt, got, err := conn.ReadMessage()
			if err != nil || gt != mt || !bytes.Equal(got, m) {
				t.Fatalf("message %d (%d bytes): echo type %d, %d bytes, %v", i, len(m), gt, len(got), err)
			}
		}
		before := wire.Load()
		if err := conn.WriteMessage(websocket.BinaryMessage, big); err != nil {
			t.Fatal(err)
		}
		if _, got, err := conn.ReadMessage(); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("1 MiB echo: %d bytes, %v", len(got), err)
		}
		if n := wire.Load() - before; n > int64(len(big))/10 {
			t.Fatalf("the echo of 1 MiB of repeated text took %d bytes on the wire: not compressed", n)
		}
	})

	for _, mode := range []coderws.CompressionMode{coderws.CompressionContextTakeover, coderws.CompressionNoContextTakeover} {
		t.Run(fmt.Sprintf("coder-mode-%d", mode), func(t *testing.T) {
			var wire atomic.Int64
			tr := &http.Transport{DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
				nc, err := (&net.Dialer{}).DialContext(ctx, network, address)
				return countingConn{nc, &wire}, err
			}}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, resp, err := coderws.Dial(ctx, wsURL(vh), &coderws.DialOptions{Subprotocols: []string{echo.Name},
				CompressionMode: mode, CompressionThreshold: 1, HTTPClient: &http.Client{Transport: tr}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			conn.SetReadLimit(-1)
			h := resp.Header.Get("Sec-WebSocket-Extensions")
			if !strings.HasPrefix(h, "permessage-deflate") ||
				(mode == coderws.CompressionNoContextTakeover) != strings.Contains(h, "server_no_context_takeover") {
				t.Fatalf("answered %q to coder's offer in mode %d", h, mode)
			}
			for i, m := range msgs {
				mt := coderws.MessageText
				if i%2 == 1 {
					mt = coderws.MessageBinary
				}
				if i%4 >= 2 {
					w, err := conn.Writer(ctx, mt)
					if err != nil {
						t.Fatal(err)
					}
					for p := m; len(p) > 0; {
						k := min(len(p), 777)
						if _, err := w.Write(p[:k]); err != nil {
							t.Fatal(err)
						}
						p = p[k:]
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				} else if err := conn.Write(ctx, mt, m); err != nil {
					t.Fatal(err)
				}
				gt, got, err := conn.Read(ctx)
				if err != nil || gt != mt || !bytes.Equal(got, m) {
					t.Fatalf("message %d (%d bytes): echo type %v, %d bytes, %v", i, len(m), gt, len(got), err)
				}
			}
			before := wire.Load()
			if err := conn.Write(ctx, coderws.MessageBinary, big); err != nil {
				t.Fatal(err)
			}
			if _, got, err := conn.Read(ctx); err != nil || !bytes.Equal(got, big) {
				t.Fatalf("1 MiB echo: %d bytes, %v", len(got), err)
			}
			if n := wire.Load() - before; n > int64(len(big))/10 {
				t.Fatalf("the echo of 1 MiB of repeated text took %d bytes on the wire: not compressed", n)
			}
			conn.Close(coderws.StatusNormalClosure, "")
		})
	}
}

// pmdClient is a client protocol that sends msgs one at a time (a
// message whose index is odd in fragments of 1000 bytes) and records the
// echo of each.
func pmdClient(name string, msgs [][]byte, rec *recorder) lws.Protocol {
	sent, off := 0, 0
	var got []byte
	return lws.Protocol{Name: name, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientEstablished:
			rec.add(fmt.Sprint("established deflate=", c.ExtensionActive(pmdeflate.Name)))
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			if sent >= len(msgs) {
				return nil
			}
			m := msgs[sent]
			if sent%2 == 0 {
				sent++
				_, err := c.Write(m, lws.WriteBinary)
				return err
			}
			k := min(len(m)-off, 1000)
			wt := lws.WriteWSFlags(lws.WriteBinary, off == 0, off+k == len(m))
			if _, err := c.Write(m[off:off+k], wt); err != nil {
				return err
			}
			if off += k; off == len(m) {
				sent, off = sent+1, 0
			} else {
				c.CallbackOnWritable()
			}
		case lws.CallbackClientReceive:
			got = append(got, in...)
			if c.IsFinalFragment() {
				i := sent - 1
				if i < 0 || !bytes.Equal(got, msgs[i]) {
					rec.add(fmt.Sprintf("echo %d wrong: %d bytes", i, len(got)))
				} else {
					rec.add(fmt.Sprintf("echo %d", i))
				}
				got = got[:0]
				c.CallbackOnWritable()
			}
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
}

// TestPMDClientAgainstPeers runs golws's client with permessage-deflate
// against gorilla/websocket and coder/websocket echo servers: the
// extension is negotiated and every message comes back intact.
func TestPMDClientAgainstPeers(t *testing.T) {
	msgs := [][]byte{[]byte("a"), bytes.Repeat([]byte("fragmented and compressible "), 3000)}
	for _, m := range pmdMessages() {
		if len(m) <= 70000 {
			msgs = append(msgs, m)
		}
	}
	msgs = append(msgs, bytes.Repeat([]byte("x"), 1<<20), bytes.Repeat([]byte("y"), 1<<20))
	servers := map[string]http.HandlerFunc{
		"gorilla": func(w http.ResponseWriter, r *http.Request) {
			up := websocket.Upgrader{EnableCompression: true}
			conn, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			for {
				mt, msg, err := conn.ReadMessage()
				if err != nil || conn.WriteMessage(mt, msg) != nil {
					return
				}
			}
		},
	}
	for _, mode := range []coderws.CompressionMode{coderws.CompressionContextTakeover, coderws.CompressionNoContextTakeover} {
		servers[fmt.Sprintf("coder-mode-%d", mode)] = func(w http.ResponseWriter, r *http.Request) {
			conn, err := coderws.Accept(w, r, &coderws.AcceptOptions{CompressionMode: mode, CompressionThreshold: 1})
			if err != nil {
				return
			}
			defer conn.CloseNow()
			conn.SetReadLimit(-1)
			for {
				mt, msg, err := conn.Read(r.Context())
				if err != nil || conn.Write(r.Context(), mt, msg) != nil {
					return
				}
			}
		}
	}
	for name, h := range servers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			port := srv.Listener.Addr().(*net.TCPAddr).Port
			rec := newRecorder()
			newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
				vh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen,
					Protocols:  []lws.Protocol{pmdClient("p", msgs, rec)},
					Extensions: []lws.Extension{lws.PermessageDeflate(pmdeflate.Options{})}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port}); err != nil {
					t.Fatal(err)
				}
			})
			if ev := rec.await(t, "e"); ev != "established deflate=true" {
				t.Fatal(ev)
			}
			for i := range msgs {
				if ev := rec.await(t, "echo"); ev != fmt.Sprintf("echo %d", i) {
					t.Fatalf("%s (message of %d bytes)", ev, len(msgs[i]))
				}
			}
		})
	}
}

// pieceRecorder is a server protocol that records the pieces it
// receives: size, first and final.
func pieceRecorder(rec *recorder) lws.Protocol {
	return lws.Protocol{Name: "pieces", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackReceive {
			rec.add(fmt.Sprintf("piece %d %v %v", len(in), c.IsFirstFragment(), c.IsFinalFragment()))
		}
		return nil
	}}
}

// TestPMDPieces sends compressed messages to a server whose rx buffer is
// 3000 bytes: each message reaches RECEIVE in pieces of at most that
// (and of at most the extension's rx_buf_size), the first marked first,
// only the last marked final, none empty but an empty message's.
func TestPMDPieces(t *testing.T) {
	rec := newRecorder()
	var vh *lws.Vhost
	proto := pieceRecorder(rec)
	proto.RxBufferSize = 3000
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = pmdVhost(t, cx, lws.VhostInfo{Extensions: []lws.Extension{
			lws.PermessageDeflate(pmdeflate.Options{RxBufSize: 16})}}, proto)
	})
	d := websocket.Dialer{Subprotocols: []string{"pieces"}, EnableCompression: true}
	conn, _, err := d.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, n := range []int{0, 1, 2999, 3000, 3001, 6000, 100000} {
		m := bytes.Repeat([]byte{'z'}, n)
		if err := conn.WriteMessage(websocket.BinaryMessage, m); err != nil {
			t.Fatal(err)
		}
		total := 0
		for i := 0; ; i++ {
			var size int
			var first, final bool
			ev := rec.await(t, "piece")
			if _, err := fmt.Sscanf(ev, "piece %d %v %v", &size, &first, &final); err != nil {
				t.Fatal(ev, err)
			}
			if size > 3000 || first != (i == 0) || (size == 0 && n != 0) {
				t.Fatalf("message of %d bytes: piece %d: %s", n, i, ev)
			}
			total += size
			if final {
				break
			}
		}
		if total != n {
			t.Fatalf("message of %d bytes arrived as %d", n, total)
		}
	}
}

// deflateRaw compresses p as a permessage-deflate message payload: a raw
// deflate stream, sync-flushed, without its final 00 00 ff ff.
func deflateRaw(t testing.TB, p []byte) []byte {
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(p)
	fw.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// maskedFrame is a client frame: b0 (FIN, RSV, opcode), then payload
// masked with a zero key.
func maskedFrame(b0 byte, payload []byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, 0, 0, 0, 0)
	return append(f, payload...)
}

// TestPMDBomb sends a message of about 1 MiB compressed that inflates to
// 1 GiB: the server closes with 1009 once the inflated bytes pass its
// limit (256 MiB by default), without holding them: what the process
// allocates meanwhile stays small.
func TestPMDBomb(t *testing.T) {
	var delivered, finals atomic.Int64
	counter := lws.Protocol{Name: "pieces", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackReceive {
			delivered.Add(int64(len(in)))
			if c.IsFinalFragment() {
				finals.Add(1)
			}
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, counter) })

	payload := deflateBomb(t, 1<<10)
	if len(payload) > 4<<20 {
		t.Fatalf("the bomb is %d bytes", len(payload))
	}
	frame := maskedFrame(0xc2, payload) // FIN, RSV1, binary
	nc := rawUpgradeWith(t, addr(vh), "Sec-WebSocket-Protocol: pieces\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", "permessage-deflate")
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(60 * time.Second))

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc
	go func() { _, _ = nc.Write(frame) }() // the server may close before it has read it all
	if code := readCloseFrame(t, nc); code != 1009 {
		t.Fatalf("closed with %d, want 1009", code)
	}
	runtime.ReadMemStats(&ms)
	if n := ms.TotalAlloc - allocated; n > 16<<20 {
		t.Fatalf("%d MiB allocated while refusing the bomb", n>>20)
	}
	if finals.Load() != 0 {
		t.Fatal("the bomb was delivered whole")
	}
	if n := delivered.Load(); n > 256<<20 || n < 255<<20 {
		t.Fatalf("%d bytes delivered: the limit is 256 MiB", n)
	}
}

// deflateBomb is a permessage-deflate payload that inflates to mib MiB
// of zeros: deflate them a MiB at a time; once the window is all zeros
// every MiB compresses to the same bytes, which are repeated.
func deflateBomb(t testing.TB, mib int) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	var prev, chunk []byte
	for i := 0; i < 4; i++ {
		start := b.Len()
		fw.Write(zeros)
		fw.Flush()
		prev, chunk = chunk, append([]byte(nil), b.Bytes()[start:]...)
	}
	if !bytes.Equal(prev, chunk) {
		t.Fatal("compress/flate no longer compresses every MiB of zeros alike; build the bomb otherwise")
	}
	payload := append([]byte(nil), b.Bytes()...)
	for i := 4; i < mib; i++ {
		payload = append(payload, chunk...)
	}
	return bytes.TrimSuffix(payload, []byte{0, 0, 0xff, 0xff})
}

// TestPMDBombOverH2: on an RFC 8441 stream too, a message inflating
// beyond WSMaxMessage is refused with 1009, its decoding spread over
// several passes of the loop.
func TestPMDBombOverH2(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = pmdVhost(t, cx, lws.VhostInfo{WSMaxMessage: 8 << 20}, lws.Protocol{Name: "sink", Callback: lws.CallbackHTTPDummy})
	})
	f := dialH2(t, addr(vh))
	f.headers(t, 1, false, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "http",
		":path", "/", ":authority", addr(vh), "sec-websocket-version", "13", "sec-websocket-protocol", "sink",
		"sec-websocket-extensions", "permessage-deflate")
	if _, h := f.next(t, 1); h[":status"] != "200" || h["sec-websocket-extensions"] != "permessage-deflate" {
		t.Fatalf("extended CONNECT answered %v", h)
	}
	frame := maskedFrame(0xc2, deflateBomb(t, 32))
	for p := frame; len(p) > 0; {
		k := min(len(p), 16384)
		if err := f.WriteData(1, false, p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	var got []byte
	for {
		fr, _ := f.next(t, 1)
		d, ok := fr.(*http2.DataFrame)
		if !ok {
			continue // WINDOW_UPDATE
		}
		got = append(got, d.Data()...)
		if k := uint32(len(d.Data())); k > 0 {
			f.WriteWindowUpdate(0, k)
			f.WriteWindowUpdate(1, k)
		}
		// Up to the Close.
	frames:
		for len(got) >= 2 {
			n, h := int(got[1]&0x7f), 2
			switch n {
			case 126:
				if len(got) < 4 {
					break frames
				}
				n, h = int(binary.BigEndian.Uint16(got[2:])), 4
			case 127:
				if len(got) < 10 {
					break frames
				}
				n, h = int(binary.BigEndian.Uint64(got[2:])), 10
			}
			if len(got) < h+n {
				break
			}
			if got[0]&0x0f == 8 {
				if code := int(binary.BigEndian.Uint16(got[h:])); code != 1009 {
					t.Fatalf("closed with %d, want 1009", code)
				}
				return
			}
			got = got[h+n:]
		}
	}
}

// TestPMDMaxMessageCountsInflated: WSMaxMessage caps the inflated size of
// a compressed message, not its size on the wire.
func TestPMDMaxMessageCountsInflated(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = pmdVhost(t, cx, lws.VhostInfo{WSMaxMessage: 10000}, echo.Protocol())
	})
	d := websocket.Dialer{Subprotocols: []string{echo.Name}, EnableCompression: true}
	conn, _, err := d.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	// gorilla compresses every message: random bytes take more than
	// 10000 bytes on the wire, and are still within the limit.
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 10000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	at := bytes.Repeat([]byte{'a'}, 10000)
	for _, m := range [][]byte{random, at} {
		if err := conn.WriteMessage(websocket.BinaryMessage, m); err != nil {
			t.Fatal(err)
		}
		if _, got, err := conn.ReadMessage(); err != nil || !bytes.Equal(got, m) {
			t.Fatalf("a message at the limit: %d bytes, %v", len(got), err)
		}
	}
	if err := conn.WriteMessage(websocket.BinaryMessage, append(at, 'b')); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.ReadMessage()
	if ce := (*websocket.CloseError)(nil); !errors.As(err, &ce) || ce.Code != 1009 {
		t.Fatalf("a message a byte over the limit: %v, want close 1009", err)
	}
	// An uncompressed message on a connection that negotiated the
	// extension has the same limit.
	nc := rawUpgradeWith(t, addr(vh), "Sec-WebSocket-Protocol: "+echo.Name+"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", "permessage-deflate")
	defer nc.Close()
	if _, err := nc.Write(maskedFrame(0x82, make([]byte, 10001))); err != nil {
		t.Fatal(err)
	}
	if code := readCloseFrame(t, nc); code != 1009 {
		t.Fatalf("an uncompressed message a byte over the limit: closed with %d, want 1009", code)
	}
}

// TestPMDRxFlowControlBackpressure: a server protocol that turns
// reception off in the middle of a compressed message stops its decoding
// and the reading of its socket, so the peer's writes block while the
// server holds little; turned back on, everything arrives intact.
func TestPMDRxFlowControlBackpressure(t *testing.T) {
	var received atomic.Int64
	var finals atomic.Int64
	var srvConn atomic.Pointer[lws.Conn]
	proto := lws.Protocol{Name: "slow", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished:
			srvConn.Store(c)
		case lws.CallbackReceive:
			if received.Add(int64(len(in))) >= 1000 && received.Load()-int64(len(in)) < 1000 {
				return c.RxFlowControl(false) // stop early in the first message
			}
			if c.IsFinalFragment() {
				finals.Add(1)
			}
		}
		return nil
	}}
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, proto) })
	d := websocket.Dialer{Subprotocols: []string{"slow"}, EnableCompression: true}
	conn, _, err := d.Dial(wsURL(vh), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The first message inflates a lot from little: the server is in the
	// middle of its decoding when it turns reception off. Incompressible
	// messages follow until the peer cannot write any more.
	first := bytes.Repeat([]byte("backpressure "), 1<<17)
	if err := conn.WriteMessage(websocket.BinaryMessage, first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reception to go off", func() bool { return received.Load() >= 1000 })
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapInuse
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 64<<10)
	sent := int64(len(first))
	blocked := false
	for i := 0; i < 4096; i++ {
		for j := range random {
			random[j] = byte(rng.Uint32())
		}
		conn.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
		if err := conn.WriteMessage(websocket.BinaryMessage, random); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatal(err)
			}
			blocked = true
			break
		}
		sent += int64(len(random))
	}
	if !blocked {
		t.Fatalf("the peer wrote %d MiB to a server that does not read", sent>>20)
	}
	if got := received.Load(); got > 64<<10 {
		t.Fatalf("%d bytes delivered while reception was off", got)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > heapBefore+8<<20 {
		t.Fatalf("heap grew from %d to %d MiB while the peer was blocked", heapBefore>>20, ms.HeapInuse>>20)
	}
	r.do(func() {
		if err := srvConn.Load().RxFlowControl(true); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, "the messages written to arrive", func() bool { return received.Load() >= sent })
	if got := received.Load(); got != sent {
		t.Fatalf("received %d bytes of %d", got, sent)
	}
}

// TestPMDExtensionCallbacks: CONFIRM_EXTENSION_OKAY vetoes the
// extension (the answer has none and frames go uncompressed);
// SetExtensionOption reaches the connection's session, and fails for an
// unknown option or an extension not negotiated; a client's
// WS_EXT_DEFAULTS sets the session's options before the first message.
func TestPMDExtensionCallbacks(t *testing.T) {
	rec := newRecorder()
	var pending []byte
	srvProto := lws.Protocol{Name: "opts", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackConfirmExtensionOkay:
			if _, veto := c.URLArg("veto"); veto {
				return errors.New("no deflate here")
			}
		case lws.CallbackEstablished:
			rec.add(fmt.Sprintf("server option %v, bad option %v, active %v",
				c.SetExtensionOption(pmdeflate.Name, "compression_level", "9"),
				c.SetExtensionOption(pmdeflate.Name, "no_such_option", "1") != nil,
				c.ExtensionActive(pmdeflate.Name)))
		case lws.CallbackReceive:
			pending = append(pending, in...)
			if c.IsFinalFragment() {
				c.CallbackOnWritable()
			}
		case lws.CallbackServerWriteable:
			_, err := c.Write(pending, lws.WriteBinary)
			pending = pending[:0]
			return err
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, srvProto) })

	// Accepted: the session takes a good option and refuses a bad one.
	nc := rawUpgradeWith(t, addr(vh), "Sec-WebSocket-Protocol: opts\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", "permessage-deflate")
	nc.Close()
	if ev := rec.await(t, "server"); ev != "server option <nil>, bad option true, active true" {
		t.Fatal(ev)
	}
	// Vetoed: no answer, and the inactive extension's options cannot be set.
	d := websocket.Dialer{Subprotocols: []string{"opts"}, EnableCompression: true}
	conn, resp, err := d.Dial(wsURL(vh)+"?veto=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if h := resp.Header.Get("Sec-WebSocket-Extensions"); h != "" {
		t.Fatalf("a vetoed extension was answered: %q", h)
	}
	if ev := rec.await(t, "server"); !strings.HasPrefix(ev, "server option lws: extension") || !strings.HasSuffix(ev, "active false") {
		t.Fatal(ev)
	}

	// A client sets rx_buf_size=8 in WS_EXT_DEFAULTS: it receives a
	// compressed 2000-byte echo in pieces of at most 256 bytes.
	msg := bytes.Repeat([]byte("d"), 2000)
	var got []byte
	clientProto := lws.Protocol{Name: "opts", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackWSExtDefaults:
			rec.add("defaults " + string(in))
			return c.SetExtensionOption(string(in), "rx_buf_size", "8")
		case lws.CallbackClientEstablished:
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			_, err := c.Write(msg, lws.WriteBinary)
			return err
		case lws.CallbackClientReceive:
			if len(in) > 256 {
				rec.add(fmt.Sprintf("client piece of %d bytes", len(in)))
			}
			got = append(got, in...)
			if c.IsFinalFragment() {
				rec.add(fmt.Sprintf("client echo %v", bytes.Equal(got, msg)))
			}
		case lws.CallbackClientConnectionError:
			rec.add("client error " + string(in))
		}
		return nil
	}}
	r2 := newContext(t, lws.ContextInfo{}, nil)
	r2.do(func() {
		cvh, err := r2.cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen, Protocols: []lws.Protocol{clientProto},
			Extensions: []lws.Extension{lws.PermessageDeflate(pmdeflate.Options{})}})
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := r2.cx.ClientConnect(lws.ClientConnectInfo{Vhost: cvh, Address: "127.0.0.1", Port: vh.Port(), Protocol: "opts"}); err != nil {
			t.Error(err)
		}
	})
	if ev := rec.await(t, "defaults"); ev != "defaults "+pmdeflate.Name {
		t.Fatal(ev)
	}
	if ev := rec.await(t, "client"); ev != "client echo true" {
		t.Fatal(ev)
	}
}

// TestPMDOverH2 negotiates permessage-deflate on an RFC 8441 stream: a
// compressed message sent as DATA comes back compressed (RSV1) and
// inflates to what was sent. The second inflates beyond what the echo
// queues, so the stream turns reception off in the middle of its
// decoding; turned back on, the decoding resumes though no more DATA
// comes.
func TestPMDOverH2(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, echo.Protocol()) })
	f := dialH2(t, addr(vh))
	f.headers(t, 1, false, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "http",
		":path", "/", ":authority", addr(vh), "sec-websocket-version", "13", "sec-websocket-protocol", echo.Name,
		"sec-websocket-extensions", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
	_, h := f.next(t, 1)
	if h[":status"] != "200" || !strings.HasPrefix(h["sec-websocket-extensions"], "permessage-deflate") {
		t.Fatalf("extended CONNECT answered %v", h)
	}
	for _, n := range []int{10, 10000} {
		msg := bytes.Repeat([]byte("compressed over an HTTP/2 stream "), n)
		if err := f.WriteData(1, false, maskedFrame(0xc2, deflateRaw(t, msg))); err != nil {
			t.Fatal(err)
		}
		var echoed []byte
		for {
			fr, _ := f.next(t, 1)
			d, ok := fr.(*http2.DataFrame)
			if !ok {
				t.Fatalf("echo: %v", fr)
			}
			echoed = append(echoed, d.Data()...)
			if k := uint32(len(d.Data())); k > 0 {
				f.WriteWindowUpdate(0, k)
				f.WriteWindowUpdate(1, k)
			}
			if inflated, ok := inflateFrames(echoed); ok {
				if !bytes.Equal(inflated, msg) {
					t.Fatalf("echo of %d bytes inflates to %d", len(msg), len(inflated))
				}
				break
			}
		}
	}
}

// inflateFrames parses unmasked server frames of one compressed message
// from b and inflates it; ok is false until the message is complete.
func inflateFrames(b []byte) ([]byte, bool) {
	var payload []byte
	for i := 0; len(b) >= 2; i++ {
		if i == 0 && b[0]&0x40 == 0 {
			return nil, false // not compressed
		}
		n, h := int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return nil, false
			}
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return nil, false
			}
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+n {
			return nil, false
		}
		payload = append(payload, b[h:h+n]...)
		if b[0]&0x80 != 0 {
			out, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(payload),
				bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))))
			return out, err == nil
		}
		b = b[h+n:]
	}
	return nil, false
}

// TestPMDReservedBits: with permessage-deflate negotiated, RSV1 on a
// continuation frame is a protocol error (RFC 7692 section 6.1); without
// it, RSV1 on any frame is.
func TestPMDReservedBits(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, echo.Protocol()) })
	z := deflateRaw(t, []byte("hello"))
	for _, tc := range []struct {
		name, offer, answer string
		frames              [][]byte
	}{
		{"rsv1 on continuation", "permessage-deflate", "permessage-deflate",
			[][]byte{maskedFrame(0x42, z[:2]), maskedFrame(0xc0, z[2:])}},
		{"rsv1 not negotiated", "", "", [][]byte{maskedFrame(0xc2, z)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := "Sec-WebSocket-Protocol: " + echo.Name + "\r\n"
			if tc.offer != "" {
				extra += "Sec-WebSocket-Extensions: " + tc.offer + "\r\n"
			}
			nc := rawUpgradeWith(t, addr(vh), extra, tc.answer)
			defer nc.Close()
			for _, f := range tc.frames {
				if _, err := nc.Write(f); err != nil {
					t.Fatal(err)
				}
			}
			if code := readCloseFrame(t, nc); code != 1002 {
				t.Fatalf("closed with %d, want 1002", code)
			}
		})
	}
}

// TestPMDOverTLS echoes compressed messages over wss: a message that
// inflates beyond what the echo queues turns reception off in the middle
// of its decoding, and turned back on, the decoding resumes though no
// more TLS records come.
func TestPMDOverTLS(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = pmdVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key}, echo.Protocol())
	})
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, EnableCompression: true, Subprotocols: []string{echo.Name}}
	conn, resp, err := d.Dial("wss://"+addr(vh)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if h := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(h, "permessage-deflate") {
		t.Fatalf("answered %q", h)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, n := range []int{100, 200000, 1 << 20} {
		msg := bytes.Repeat([]byte("over wss "), n/9)
		if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			t.Fatal(err)
		}
		if _, got, err := conn.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
	}
}

// TestPMDTxFrames: a compressed write goes out in one frame by default
// and, once tx_buf_size is set (SetExtensionOption, lws's name), in
// frames of at most 2^tx_buf_size bytes, the first marked RSV1, the later
// ones continuations.
func TestPMDTxFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	words := strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa")
	var msg []byte
	for len(msg) < 100000 {
		msg = append(append(msg, words[rng.IntN(len(words))]...), ' ')
	}
	proto := lws.Protocol{Name: "sender", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished:
			if v, ok := c.URLArg("tx"); ok {
				if err := c.SetExtensionOption(pmdeflate.Name, "tx_buf_size", v); err != nil {
					return err
				}
			}
			c.CallbackOnWritable()
		case lws.CallbackServerWriteable:
			_, err := c.Write(msg, lws.WriteText)
			return err
		}
		return nil
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, proto) })
	for _, tc := range []struct {
		arg  string
		size int
	}{{"", 0}, {"?tx=10", 1024}, {"?tx=12", 4096}} {
		nc, err := net.Dial("tcp", addr(vh))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(nc, "GET /%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
			"Sec-WebSocket-Protocol: sender\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", tc.arg)
		br := bufio.NewReader(nc)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 101 || !strings.HasPrefix(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
			t.Fatalf("upgrade: %v %v", resp, err)
		}
		var payload []byte
		for i := 0; ; i++ {
			var h [2]byte
			if _, err := io.ReadFull(br, h[:]); err != nil {
				t.Fatal(err)
			}
			n := int(h[1] & 0x7f)
			switch n {
			case 126:
				var l [2]byte
				io.ReadFull(br, l[:])
				n = int(binary.BigEndian.Uint16(l[:]))
			case 127:
				t.Fatalf("a frame over 64 KiB, first byte %#x", h[0])
			}
			wantB0 := byte(0x00) // continuation
			if i == 0 {
				wantB0 = 0x40 | 0x1 // RSV1, text
			}
			if h[0]&0x7f != wantB0 || (tc.size > 0 && n > tc.size) {
				t.Fatalf("tx_buf_size %d: frame %d: first byte %#x, %d bytes", tc.size, i, h[0], n)
			}
			p := make([]byte, n)
			if _, err := io.ReadFull(br, p); err != nil {
				t.Fatal(err)
			}
			payload = append(payload, p...)
			if h[0]&0x80 != 0 {
				if tc.size == 0 && i > 0 {
					t.Fatalf("no tx_buf_size: %d bytes compressed in %d frames, want one", len(payload), i+1)
				}
				if tc.size > 0 && i < 2 {
					t.Fatalf("tx_buf_size %d: %d bytes compressed in %d frames", tc.size, len(payload), i+1)
				}
				break
			}
		}
		got, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(payload),
			bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("tx_buf_size %d: inflated %d bytes, %v", tc.size, len(got), err)
		}
	}
}

// TestPMDEchoSteadyStateAllocs measures the compressed echo's hot path:
// once a connection is up, a compressed message received, decoded,
// echoed and compressed again allocates nothing in the process (the
// client sends the same compressed frame by hand and reads the echo into
// a buffer it reuses; no context takeover, so every message compresses
// alike).
func TestPMDEchoSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; this runs in the non-race pass")
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = pmdVhost(t, cx, lws.VhostInfo{}, echo.Protocol()) })
	nc := rawUpgradeWith(t, addr(vh), "Sec-WebSocket-Protocol: "+echo.Name+"\r\n"+
		"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover")
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(time.Minute))
	msg := bytes.Repeat([]byte("steady state "), 30)
	frame := maskedFrame(0xc2, deflateRaw(t, msg))
	buf := make([]byte, 4096)
	echoOnce := func() {
		if _, err := nc.Write(frame); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(nc, buf[:2]); err != nil {
			t.Fatal(err)
		}
		n := int(buf[1] & 0x7f)
		if buf[0] != 0xc2 || n > 125 {
			t.Fatalf("echo header % x", buf[:2])
		}
		if _, err := io.ReadFull(nc, buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		echoOnce()
	}
	if avg := testing.AllocsPerRun(2000, echoOnce); avg != 0 {
		t.Fatalf("%.3f allocations per compressed echo, want none", avg)
	}
}

// TestPMDClientDeclinesToOffer: a client protocol that answers
// CLIENT_CONFIRM_EXTENSION_SUPPORTED with an error leaves the extension
// out of its offer, and the connection goes uncompressed.
func TestPMDClientDeclinesToOffer(t *testing.T) {
	offers := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offers <- r.Header.Get("Sec-WebSocket-Extensions")
		up := websocket.Upgrader{EnableCompression: true}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.ReadMessage()
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	rec := newRecorder()
	proto := lws.Protocol{Name: "p", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientConfirmExtensionSupported:
			if c.Opaque() == "decline" && string(in) == pmdeflate.Name {
				return errors.New("not this one")
			}
		case lws.CallbackClientEstablished:
			rec.add(fmt.Sprintf("established %v deflate=%v", c.Opaque(), c.ExtensionActive(pmdeflate.Name)))
			return errors.New("done")
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	for _, opaque := range []string{"offer", "decline"} {
		newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
			vh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen, Protocols: []lws.Protocol{proto},
				Extensions: []lws.Extension{lws.PermessageDeflate(pmdeflate.Options{})}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port, Opaque: opaque}); err != nil {
				t.Fatal(err)
			}
		})
		ev := rec.await(t, "e")
		offer := <-offers
		switch opaque {
		case "offer":
			if ev != "established offer deflate=true" || !strings.HasPrefix(offer, "permessage-deflate") {
				t.Fatalf("%s after offering %q", ev, offer)
			}
		default:
			if ev != "established decline deflate=false" || offer != "" {
				t.Fatalf("%s after offering %q", ev, offer)
			}
		}
	}
}
