package echo_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/plugins/echo"
)

func TestMain(m *testing.M) {
	// Keep test output to errors and warnings.
	lws.SetLogLevel(lws.LogErr|lws.LogWarn, nil)
	os.Exit(m.Run())
}

// piece is the service buffer of these tests, so that each RECEIVE hands
// the echo 32 KiB.
const piece = 32 << 10

// burstServer serves the echo protocol with 32 KiB pieces, in this
// process. Each connection's server side gets a send buffer of sndbuf
// bytes when sndbuf > 0. rxOff(port) is closed the first time the
// connection whose client has that local port turns reception off.
type burstServer struct {
	addr  string
	mu    sync.Mutex
	rxOff map[uint16]chan struct{}
}

func newBurstServer(t *testing.T, sndbuf int, opts map[string]string) *burstServer {
	t.Helper()
	s := &burstServer{rxOff: map[uint16]chan struct{}{}}
	proto := echo.Protocol()
	inner := proto.Callback
	proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackEstablished && sndbuf > 0 {
			_ = unix.SetsockoptInt(c.FD(), unix.SOL_SOCKET, unix.SO_SNDBUF, sndbuf)
		}
		err := inner(c, reason, in)
		if reason == lws.CallbackReceive && !c.RxFlowAllowed() {
			ch := s.offChan(c.PeerAddr().Port())
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
		return err
	}
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: piece})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "echo", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{proto}, ProtocolOptions: map[string]map[string]string{echo.Name: opts}})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	s.addr = "127.0.0.1:" + strconv.Itoa(vh.Port())
	looptest.Run(t, cx)
	return s
}

func (s *burstServer) offChan(port uint16) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.rxOff[port]
	if ch == nil {
		ch = make(chan struct{})
		s.rxOff[port] = ch
	}
	return ch
}

// dial opens a client whose socket receives into rcvbuf bytes when
// rcvbuf > 0.
func (s *burstServer) dial(t *testing.T, rcvbuf int) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{echo.Name}, HandshakeTimeout: 10 * time.Second,
		// Room for a whole message, so that each is sent as one frame.
		WriteBufferSize: 64 << 10,
		NetDial: func(network, addr string) (net.Conn, error) {
			nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
				if rcvbuf <= 0 {
					return nil
				}
				var serr error
				if err := rc.Control(func(fd uintptr) {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
				}); err != nil {
					return err
				}
				return serr
			}}
			return nd.Dial(network, addr)
		}}
	c, _, err := d.Dial("ws://"+s.addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// heapInUse returns the live heap, after the echo's pool of buffers was
// emptied if empty is set.
func heapInUse(empty bool) uint64 {
	if empty {
		echo.EmptyPool()
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestEchoIdleAfterBurstHoldsNothing: 100 connections each send a burst of
// 1 MiB in 32 KiB messages without reading, then read every echo back and
// go idle. The echo must then hold no buffer for them: the server's heap
// grows by less than 10 MiB in all.
func TestEchoIdleAfterBurstHoldsNothing(t *testing.T) {
	const (
		conns   = 100
		msgSize = 32 << 10
		msgs    = 32 // 1 MiB per connection
		bound   = 10 << 20
	)
	s := newBurstServer(t, 16384, nil)
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		clients[i] = s.dial(t, 0)
	}
	msg := bytes.Repeat([]byte{'e'}, msgSize)
	before := heapInUse(true)

	errs := make(chan error, conns)
	for _, c := range clients {
		go func() {
			errs <- func() error {
				_ = c.NetConn().SetDeadline(time.Now().Add(30 * time.Second))
				wrote := make(chan error, 1)
				go func() {
					for range msgs {
						if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
							wrote <- err
							return
						}
					}
					wrote <- nil
				}()
				// Not reading until the burst is sent, or until the server
				// has stopped reading it.
				port := uint16(c.LocalAddr().(*net.TCPAddr).Port)
				select {
				case err := <-wrote:
					if err != nil {
						return err
					}
					wrote <- nil
				case <-s.offChan(port):
				}
				for i := range msgs {
					mt, p, err := c.ReadMessage()
					if err != nil {
						return fmt.Errorf("echo %d: %w", i, err)
					}
					if mt != websocket.BinaryMessage || !bytes.Equal(p, msg) {
						return fmt.Errorf("echo %d: type %d, %d bytes", i, mt, len(p))
					}
				}
				return <-wrote
			}()
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	after := heapInUse(false)
	grown := int64(after) - int64(before)
	t.Logf("heap %d KiB before the bursts, %d KiB once %d connections are idle after them: %+d KiB",
		before>>10, after>>10, conns, grown>>10)
	if grown > bound {
		t.Fatalf("the idle connections hold %d MiB, want less than %d MiB", grown>>20, bound>>20)
	}
	runtime.KeepAlive(clients)
}

// TestEchoQueueIsBoundedForANonReader: clients that send without ever
// reading fill their echo queues until reception goes off. With every
// queue full, the server's heap has grown per connection by more than half
// the limit (reception goes off at the limit and comes back at half of
// it, and a client that never reads keeps it off) and by no more than the
// limit plus one piece (32 KiB), with room for what the library holds for
// a connection: the rest of a read when reception goes off and the
// remainder of one write; and the buffers the echo keeps for reuse (2 MiB
// at most in the process) come on top. The default limit, QueueLimit, and
// one set by the per-vhost option queue-limit.
func TestEchoQueueIsBoundedForANonReader(t *testing.T) {
	const (
		conns   = 20
		msgSize = 32 << 10
	)
	for _, limit := range []int{echo.QueueLimit, 256 << 10} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			var opts map[string]string
			if limit != echo.QueueLimit {
				opts = map[string]string{"queue-limit": strconv.Itoa(limit)}
			}
			perConn := int64(limit + 4*piece)
			s := newBurstServer(t, 8192, opts)
			clients := make([]*websocket.Conn, conns)
			for i := range clients {
				clients[i] = s.dial(t, 4096)
			}
			msg := bytes.Repeat([]byte{'q'}, msgSize)
			before := heapInUse(true)
			for _, c := range clients {
				// Sends until the connection is closed at the end of the test.
				go func() {
					for c.WriteMessage(websocket.BinaryMessage, msg) == nil {
					}
				}()
			}
			for _, c := range clients {
				select {
				case <-s.offChan(uint16(c.LocalAddr().(*net.TCPAddr).Port)):
				case <-time.After(20 * time.Second):
					t.Fatal("reception never went off for a client that does not read")
				}
			}
			grown := int64(heapInUse(false)) - int64(before)
			t.Logf("%d connections with full queues: heap %+d KiB (bound %d KiB each and the pool's %d KiB, limit %d KiB)",
				conns, grown>>10, perConn>>10, echo.PoolMaxBytes>>10, limit>>10)
			if grown > conns*perConn+echo.PoolMaxBytes {
				t.Fatalf("%d KiB for %d non-reading connections, want at most %d KiB each and the pool's %d KiB",
					grown>>10, conns, perConn>>10, echo.PoolMaxBytes>>10)
			}
			if grown < int64(conns*limit/2) {
				t.Fatalf("%d KiB per non-reading connection: the queues do not reach the limit, %d KiB", grown/conns>>10, limit>>10)
			}
		})
	}
}

// TestEchoRefusesABadQueueLimit: the vhost is not made with a queue limit
// that is not a positive number of bytes.
func TestEchoRefusesABadQueueLimit(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	for _, v := range []string{"0", "-1", "64k"} {
		_, err := cx.CreateVhost(lws.VhostInfo{Name: "echo-" + v, Port: lws.PortNoListen,
			Protocols:       []lws.Protocol{echo.Protocol()},
			ProtocolOptions: map[string]map[string]string{echo.Name: {"queue-limit": v}}})
		if err == nil {
			t.Fatalf("queue-limit %q accepted", v)
		}
	}
}
