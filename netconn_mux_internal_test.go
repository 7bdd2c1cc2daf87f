package lws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A tiny multiplexing protocol over one TCP connection, with a test-only
// role for the network connection (testMux) and one for its stream
// children (testStream), the way HTTP/2 will carry its streams.
//
// The client sends 3-byte commands: child id, op, argument.
//
//	'o' open child id with credit for arg messages
//	'w' child id asks for WRITEABLE to send arg messages, one per callback
//	'd' the same, sending as many per callback as SendPipeChoked allows
//	'c' give child id credit for arg more messages
//	'x' close child id
//	'f' child id sends a message, shuts the socket's sending side down
//	    behind the library's back, then asks for FD
//	'q' queue child id for input and WRITEABLE service as the loop would
//	    a connection of its own
//
// The server sends frames: child id, length, payload (4 bytes: 'm', id,
// sequence number).

const muxMsgLen = 4

type testMux struct {
	roleBase
	buf    []byte
	kids   map[byte]*Conn
	credit map[*Conn]int
	rec    *muxRecorder
}

type testStream struct {
	roleBase
	id  byte
	hdr [2]byte
}

type streamSession struct {
	id        byte
	remaining int
	seq       byte
	drain     bool
	shutFD    bool
	msg       [muxMsgLen]byte
}

func (*testMux) name() string { return "test-mux" }

func (m *testMux) rx(n *Conn, p []byte) (int, error) {
	m.buf = append(m.buf, p...)
	at := 0
	defer func() { m.buf = m.buf[:copy(m.buf, m.buf[at:])] }()
	for ; len(m.buf)-at >= 3; at += 3 {
		id, op, arg := m.buf[at], m.buf[at+1], int(m.buf[at+2])
		ch := m.kids[id]
		switch op {
		case 'o':
			ch = n.newStreamChild(n.vp, &testStream{id: id}, &streamSession{id: id})
			ch.established = true
			m.kids[id] = ch
			m.credit[ch] = arg * muxMsgLen
			m.rec.add("open %d", id)
		case 'w', 'd':
			s := ch.User().(*streamSession)
			s.remaining += arg
			s.drain = op == 'd'
			ch.CallbackOnWritable()
			m.rec.add("ask %d choked=%v", id, ch.SendPipeChoked())
		case 'c':
			ch.addTxCredit(arg * muxMsgLen)
		case 'q':
			n.loop.queueReady(ch)
			n.loop.queueWrite(ch)
			n.loop.updateInterest(ch)
		case 'f':
			s := ch.User().(*streamSession)
			s.remaining, s.shutFD = 1, true
			ch.CallbackOnWritable()
		case 'x':
			ch.SetTimeout(PendingTimeoutUserOK, ToKillSync)
			delete(m.kids, id)
		}
	}
	return len(p), nil
}

// writeable: the network connection has nothing of its own to send, so
// every WRITEABLE goes to a child.
func (m *testMux) writeable(n *Conn) error {
	n.writeableChild()
	return nil
}

func (m *testMux) write(n *Conn, p []byte, _ WriteType) (int, error) { return n.send(nil, p) }

func (m *testMux) closed(n *Conn) { _ = n.callback(CallbackRawClose, nil) }

func (m *testMux) txCredit(c *Conn, add int) int {
	m.credit[c] += add
	return m.credit[c]
}

func (*testStream) name() string { return "test-stream" }

func (*testStream) rx(*Conn, []byte) (int, error) { return 0, errors.New("no input for a stream") }

func (*testStream) writeable(c *Conn) error { return c.dispatchWriteable(CallbackRawWriteable) }

func (s *testStream) write(c *Conn, p []byte, _ WriteType) (int, error) {
	c.Network().role.txCredit(c, -len(p))
	s.hdr = [2]byte{s.id, byte(len(p))}
	return c.send(s.hdr[:], p)
}

func (*testStream) closed(c *Conn) { _ = c.callback(CallbackClosed, nil) }

// muxRecorder keeps what happened on the loop, in order.
type muxRecorder struct {
	mu     sync.Mutex
	events []string
	ch     chan string
	quiet  atomic.Bool // records nothing: for measuring allocations
}

func (r *muxRecorder) add(format string, args ...any) {
	if r.quiet.Load() {
		return
	}
	ev := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.ch <- ev:
	default:
	}
}

func (r *muxRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *muxRecorder) index(ev string) int {
	for i, e := range r.list() {
		if e == ev {
			return i
		}
	}
	return -1
}

func muxCallback(rec *muxRecorder) func(c *Conn, reason Reason, in []byte) error {
	return func(c *Conn, reason Reason, in []byte) error {
		switch reason {
		case CallbackRawAdopt:
			c.setRole(&testMux{kids: map[byte]*Conn{}, credit: map[*Conn]int{}, rec: rec})
			rec.add("adopt")
		case CallbackRawWriteable:
			s := c.User().(*streamSession)
			if s.remaining == 0 {
				return nil
			}
			for {
				s.msg = [muxMsgLen]byte{'m', s.id, 0, s.seq}
				if _, err := c.Write(s.msg[:], WriteRaw); err != nil {
					return err
				}
				s.seq++
				s.remaining--
				if s.shutFD {
					// The message is in the loop's batch: FD must send it
					// first, and the socket refuses it.
					_ = unix.Shutdown(int(c.fd), unix.SHUT_WR)
					rec.add("fd %d", c.FD())
				}
				if !s.drain || s.remaining == 0 || c.SendPipeChoked() {
					break
				}
			}
			rec.add("writeable %d sent %d left %d choked=%v", s.id, s.seq, s.remaining, c.SendPipeChoked())
			if s.remaining > 0 {
				c.CallbackOnWritable()
			}
		case CallbackClosed:
			rec.add("closed %d: %v", c.User().(*streamSession).id, c.closeError())
		case CallbackRawClose:
			rec.add("network closed: %v", c.closeError())
		case CallbackChildClosing:
			rec.add("child closing %d", c.ChildClosing().User().(*streamSession).id)
		}
		return nil
	}
}

// TestStreamChildrenOfANetworkConnection drives stream children over a
// real socket: their WRITEABLE is routed through the network connection
// and served in turn, a child without tx credit gets none and is choked
// until credit arrives, a child closes on its own with CHILD_CLOSING on
// its parent, and when the network connection closes its children close
// first, each with its own close reason.
func TestStreamChildrenOfANetworkConnection(t *testing.T) {
	for _, backend := range []string{EventLibEpoll, EventLibPoll} {
		t.Run(backend, func(t *testing.T) { testStreamChildren(t, backend) })
	}
}

// startMux runs a context serving the multiplexing protocol on a
// loopback port until the test ends, and returns the port's address.
func startMux(t *testing.T, info ContextInfo, rec *muxRecorder) string {
	t.Helper()
	cx, err := NewContext(info)
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(VhostInfo{
		Name: "mux", Port: PortAny, Iface: "127.0.0.1", ListenAcceptRole: RoleRawSkt,
		Protocols: []Protocol{{Name: "mux", Callback: muxCallback(rec)}},
	})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := cx.Run(ctx)
		cx.Destroy()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "127.0.0.1:" + strconv.Itoa(vh.Port())
}

// muxCommands encodes commands written as child id digit, op, argument:
// "1w5" asks child 1 to send five messages.
func muxCommands(cmds ...string) []byte {
	var b []byte
	for _, c := range cmds {
		n, _ := strconv.Atoi(c[2:])
		b = append(b, c[0]-'0', c[1], byte(n))
	}
	return b
}

func testStreamChildren(t *testing.T, backend string) {
	rec := &muxRecorder{ch: make(chan string, 1024)}
	addr := startMux(t, ContextInfo{EventLib: backend, IPLimitWSI: 1}, rec)
	await := func(want string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev := <-rec.ch:
				if strings.HasPrefix(ev, want) {
					return
				}
			case <-timeout:
				t.Fatalf("timed out waiting for %q; saw %q", want, rec.list())
			}
		}
	}

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	send := func(cmds ...string) {
		t.Helper()
		if _, err := nc.Write(muxCommands(cmds...)); err != nil {
			t.Fatal(err)
		}
	}
	type frame struct{ id, seq byte }
	read := func(n int) []frame {
		t.Helper()
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var fs []frame
		for range n {
			var b [2 + muxMsgLen]byte
			if _, err := io.ReadFull(nc, b[:]); err != nil {
				t.Fatalf("after %v: %v; server saw %q", fs, err, rec.list())
			}
			if b[1] != muxMsgLen || b[2] != 'm' || b[3] != b[0] {
				t.Fatalf("bad frame % x", b)
			}
			fs = append(fs, frame{b[0], b[5]})
		}
		return fs
	}
	await("adopt")

	// Three children with credit ask to send five messages each, one per
	// WRITEABLE: they are served in turn.
	send("1o255", "2o255", "3o255", "1w5", "2w5", "3w5")
	counts := map[byte]int{}
	for i, f := range read(15) {
		if f.id < 1 || f.id > 3 || int(f.seq) != counts[f.id] {
			t.Fatalf("frame %d: child %d message %d, after %v", i, f.id, f.seq, counts)
		}
		counts[f.id]++
		lo, hi := 99, 0
		for id := byte(1); id <= 3; id++ {
			lo, hi = min(lo, counts[id]), max(hi, counts[id])
		}
		if hi-lo > 1 {
			t.Fatalf("frame %d: children not served in turn: %v", i, counts)
		}
	}

	// Child 4 has no credit: its request gets no WRITEABLE and it is
	// choked, while child 5 is served. The loop's queues take its network
	// connection for it: no way round the network connection's role.
	send("4o0", "4d3", "4q0", "5o255", "5w1")
	if fs := read(1); fs[0].id != 5 {
		t.Fatalf("got a message of child %d, want child 5's", fs[0].id)
	}
	if rec.index("ask 4 choked=true") < 0 {
		t.Errorf("child 4 without credit was not choked: %q", rec.list())
	}
	for _, ev := range rec.list() {
		if strings.HasPrefix(ev, "writeable 4") {
			t.Fatalf("child 4 got a WRITEABLE without credit: %q", rec.list())
		}
	}

	// Credit for two messages: child 4's pending WRITEABLE comes, it
	// sends two and is choked with one left; more credit, the last.
	send("4c2")
	if fs := read(2); fs[0] != (frame{4, 0}) || fs[1] != (frame{4, 1}) {
		t.Fatalf("got %v, want child 4's first two messages", fs)
	}
	if rec.index("writeable 4 sent 2 left 1 choked=true") < 0 {
		t.Errorf("child 4 did not send two messages in one WRITEABLE and end choked: %q", rec.list())
	}
	send("5w1")
	if fs := read(1); fs[0] != (frame{5, 1}) {
		t.Fatalf("got %v, want child 5's second message: child 4 has no credit left", fs)
	}
	send("4c1")
	if fs := read(1); fs[0] != (frame{4, 2}) {
		t.Fatalf("got %v, want child 4's last message", fs)
	}

	// Child 5 closes on its own: its close reason, then CHILD_CLOSING on
	// the network connection, which goes on serving the others.
	send("5x0", "1w1")
	if fs := read(1); fs[0] != (frame{1, 5}) {
		t.Fatalf("got %v, want child 1's sixth message", fs)
	}
	closed5, closing5 := rec.index("closed 5: "+errKilled.Error()), rec.index("child closing 5")
	if closed5 < 0 || closing5 < closed5 {
		t.Errorf("child 5's close: %q", rec.list())
	}

	// The peer's connection still counts against IPLimitWSI: a child's
	// close did not release it.
	nc2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc2.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := nc2.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("a second connection from the peer: read %d, %v; want it refused", n, err)
	}
	nc2.Close()

	// The network connection closes: children 1 to 4 first, each with its
	// own close reason, then the network connection.
	nc.Close()
	await("network closed")
	evs := rec.list()
	netClosed := rec.index("network closed: " + errPeerClosed.Error())
	if netClosed < 0 {
		t.Fatalf("network connection's close: %q", evs)
	}
	for id := 1; id <= 4; id++ {
		if i := rec.index(fmt.Sprintf("closed %d: %v", id, errParentClosed)); i < 0 || i > netClosed {
			t.Errorf("child %d did not close before its network connection: %q", id, evs)
		}
	}
}

// TestStreamChildFDFailureClosesTheNetworkConnection checks that when a
// stream child's FD sends the writes gathered on its network connection
// and the socket refuses them, the network connection closes (its
// children first), as for any failed write on the socket, rather than
// the child alone.
func TestStreamChildFDFailureClosesTheNetworkConnection(t *testing.T) {
	rec := &muxRecorder{ch: make(chan string, 1024)}
	nc, err := net.Dial("tcp", startMux(t, ContextInfo{}, rec))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(muxCommands("1o255", "2o255", "1f0")); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for ev := ""; !strings.HasPrefix(ev, "network closed"); {
		select {
		case ev = <-rec.ch:
		case <-timeout:
			t.Fatalf("the network connection did not close; saw %q", rec.list())
		}
	}
	for _, want := range []string{
		"closed 1: " + errParentClosed.Error(),
		"closed 2: " + errParentClosed.Error(),
		"network closed: " + unix.EPIPE.Error(),
	} {
		if rec.index(want) < 0 {
			t.Errorf("no %q: %q", want, rec.list())
		}
	}
}
