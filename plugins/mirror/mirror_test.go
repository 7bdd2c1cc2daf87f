package mirror_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/plugins/mirror"
)

func TestMain(m *testing.M) {
	// Keep test output to errors and warnings.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn, nil)
	os.Exit(m.Run())
}

// stalledMember opens a mirror member that completes the WebSocket
// handshake and then never reads, through a receive buffer of rcvbuf
// bytes, so that the server's sends to it soon block.
func stalledMember(t *testing.T, addr, instance string, rcvbuf int) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /?mirror=" + instance + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13" +
		"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: " + mirror.Name + "\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	// Read the answer's head byte by byte, so that nothing after it is
	// taken from the socket.
	br := bufio.NewReaderSize(oneByte{c}, 16)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %d", resp.StatusCode)
	}
	_ = c.SetDeadline(time.Time{})
	return c
}

// oneByte reads at most one byte per call.
type oneByte struct{ c net.Conn }

func (o oneByte) Read(p []byte) (int, error) { return o.c.Read(p[:min(len(p), 1)]) }

// TestMirrorProgressesPastManyStalledMembers fills a mirror instance with
// members that never read, and one writer sending all the time: the ring
// fills and reception goes off. Each stalled member must get its deadline
// and be dropped, however many there are, so that an observer keeps
// receiving the writer's messages, within a few deadlines, on every run.
func TestMirrorProgressesPastManyStalledMembers(t *testing.T) {
	const (
		runs     = 3
		stalled  = 50
		count    = 1500 // messages the observer must receive
		size     = 1000 // bytes per message: 1.5 MB in all, more than the stalled members' sockets hold
		deadline = 500 * time.Millisecond
		bound    = 10 * time.Second // for the whole run
	)
	for run := range runs {
		t.Run(strconv.Itoa(run), func(t *testing.T) {
			var closed atomic.Int32
			proto := mirror.Protocol()
			inner := proto.Callback
			proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
				switch reason {
				case lws.CallbackEstablished:
					// A small send buffer, so that the kernel does not
					// take megabytes for a member that never reads.
					_ = unix.SetsockoptInt(c.FD(), unix.SOL_SOCKET, unix.SO_SNDBUF, 8192)
				case lws.CallbackClosed:
					closed.Add(1)
				}
				return inner(c, reason, in)
			}
			cx, err := lws.NewContext(lws.ContextInfo{})
			if err != nil {
				t.Fatal(err)
			}
			vh, err := cx.CreateVhost(lws.VhostInfo{Name: "mirror", Port: lws.PortAny, Iface: "127.0.0.1",
				Protocols: []lws.Protocol{proto},
				ProtocolOptions: map[string]map[string]string{
					mirror.Name: {"slow-timeout-ms": strconv.Itoa(int(deadline / time.Millisecond))},
				}})
			if err != nil {
				cx.Destroy()
				t.Fatal(err)
			}
			addr := "127.0.0.1:" + strconv.Itoa(vh.Port())
			looptest.Run(t, cx)

			d := websocket.Dialer{Subprotocols: []string{mirror.Name}, HandshakeTimeout: 5 * time.Second}
			dial := func() *websocket.Conn {
				c, _, err := d.Dial("ws://"+addr+"/?mirror=x", nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return c
			}
			writer, observer := dial(), dial()
			// Receive buffers of different sizes: each stalled member
			// stops at its own place in the ring.
			for i := range stalled {
				stalledMember(t, addr, "x", 1024+512*i)
			}

			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			_ = observer.SetReadDeadline(time.Now().Add(bound))
			_ = writer.SetReadDeadline(time.Now().Add(bound))
			_ = writer.SetWriteDeadline(time.Now().Add(bound))
			// The writer reads its own messages, or it would stall too.
			go func() {
				for {
					if _, _, err := writer.ReadMessage(); err != nil {
						return
					}
				}
			}()
			go func() {
				msg := bytes.Repeat([]byte{'x'}, size)
				for i := 0; ctx.Err() == nil; i++ {
					copy(msg, fmt.Sprintf("%08d", i))
					if writer.WriteMessage(websocket.TextMessage, msg) != nil {
						return
					}
				}
			}()
			for i := range count {
				_, msg, err := observer.ReadMessage()
				if err != nil {
					t.Fatalf("observer after %d messages in %v (%d members dropped): %v",
						i, time.Since(start).Round(time.Millisecond), closed.Load(), err)
				}
				if len(msg) != size || string(msg[:8]) != fmt.Sprintf("%08d", i) {
					t.Fatalf("message %d out of order", i)
				}
			}
			el := time.Since(start)
			cancel()
			if n := closed.Load(); n != stalled {
				t.Fatalf("%d members dropped, want the %d stalled ones", n, stalled)
			}
			t.Logf("%d messages through %d stalled members in %v", count, stalled, el.Round(time.Millisecond))
		})
	}
}

// TestMirrorRefusesABadSlowTimeout: the vhost is not made with a deadline
// that is not a positive number of milliseconds.
func TestMirrorRefusesABadSlowTimeout(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	for _, v := range []string{"0", "-5", "3s"} {
		_, err := cx.CreateVhost(lws.VhostInfo{Name: "mirror-" + v, Port: lws.PortNoListen,
			Protocols:       []lws.Protocol{mirror.Protocol()},
			ProtocolOptions: map[string]map[string]string{mirror.Name: {"slow-timeout-ms": v}}})
		if err == nil {
			t.Fatalf("slow-timeout-ms %q accepted", v)
		}
	}
}
