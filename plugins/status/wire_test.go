package status

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
)

// ioTimeout bounds every read and write of a test: it turns a hang into a
// failure and is never what a test waits for.
const ioTimeout = 10 * time.Second

// startServer runs a context with one vhost serving the status protocol
// on 127.0.0.1 and returns its address. The loop stops when the test ends.
func startServer(t *testing.T, backend string) string {
	t.Helper()
	cx, err := lws.NewContext(lws.ContextInfo{EventLib: backend})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "status", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols: []lws.Protocol{Protocol()}})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	looptest.Run(t, cx)
	return "127.0.0.1:" + strconv.Itoa(vh.Port())
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range []string{lws.EventLibEpoll, lws.EventLibPoll} {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

func dialGorilla(t *testing.T, addr, ua string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{Name}, HandshakeTimeout: ioTimeout}
	h := http.Header{}
	if ua != "" {
		h.Set("User-Agent", ua)
	}
	conn, _, err := d.Dial("ws://"+addr+"/", h)
	if err != nil {
		t.Fatal(err)
	}
	if conn.Subprotocol() != Name {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	return conn
}

// readGorilla reads the next message of a gorilla client as a status.
func readGorilla(conn *websocket.Conn) (message, error) {
	_ = conn.SetReadDeadline(time.Now().Add(ioTimeout))
	mt, p, err := conn.ReadMessage()
	if err != nil {
		return message{}, err
	}
	if mt != websocket.TextMessage {
		return message{}, fmt.Errorf("message type %d, want text", mt)
	}
	m, err := decode(p)
	if err != nil {
		return m, fmt.Errorf("status %q: %w", p, err)
	}
	return m, nil
}

// check verifies a status against the user agents expected, newest first.
func check(m message, since int64, uas ...string) error {
	host, _ := os.Hostname()
	if m.Version != Version || m.WSSOverH2 != "0" || m.Hostname != host {
		return fmt.Errorf("head %+v", m)
	}
	if m.WSI != strconv.Itoa(len(uas)) || len(m.Conns) != len(uas) {
		return fmt.Errorf("wsi %q with %d conns, want %d: %+v", m.WSI, len(m.Conns), len(uas), m)
	}
	now := time.Now().Unix()
	for i, c := range m.Conns {
		if c.Peer != "127.0.0.1" {
			return fmt.Errorf("conn %d: peer %q", i, c.Peer)
		}
		if ts, err := strconv.ParseInt(c.Time, 10, 64); err != nil || ts < since || ts > now {
			return fmt.Errorf("conn %d: time %q not in [%d, %d]", i, c.Time, since, now)
		}
		if c.UA != uas[i] {
			return fmt.Errorf("conn %d: ua %q, want %q (all: %q)", i, c.UA, uas[i], m.uas())
		}
	}
	return nil
}

func expectGorilla(t *testing.T, conn *websocket.Conn, since int64, uas ...string) {
	t.Helper()
	m, err := readGorilla(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(m, since, uas...); err != nil {
		t.Fatal(err)
	}
}

// rawClient is a WebSocket client written by hand, to see the frames.
type rawClient struct {
	nc net.Conn
	br *bufio.Reader
}

type frame struct {
	fin     bool
	opcode  byte
	payload []byte
}

func dialRaw(t *testing.T, addr, ua string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: " + Name + "\r\n"
	if ua != "" {
		req += "User-Agent: " + ua + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	r := &rawClient{nc: nc, br: bufio.NewReader(nc)}
	status, err := r.br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101 ") {
		t.Fatalf("handshake answer %q, %v", status, err)
	}
	accepted, proto := false, false
	for {
		ln, err := r.br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if ln == "\r\n" {
			break
		}
		name, value, _ := strings.Cut(strings.TrimRight(ln, "\r\n"), ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "sec-websocket-accept":
			accepted = value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
		case "sec-websocket-protocol":
			proto = value == Name
		}
	}
	if !accepted || !proto {
		t.Fatalf("accept ok %v, protocol ok %v", accepted, proto)
	}
	t.Cleanup(func() { nc.Close() })
	return r
}

func (r *rawClient) readFrame() (frame, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return frame{}, err
	}
	if h[0]&0x70 != 0 {
		return frame{}, fmt.Errorf("reserved bits set: %#x", h[0])
	}
	if h[1]&0x80 != 0 {
		return frame{}, errors.New("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return frame{}, fmt.Errorf("frame of %d bytes", n)
	}
	f := frame{fin: h[0]&0x80 != 0, opcode: h[0] & 0x0f, payload: make([]byte, n)}
	_, err := io.ReadFull(r.br, f.payload)
	return f, err
}

// readMessage reads the frames of the next status, checking that it is
// one text message in several frames: TEXT without FIN, CONTINUATION
// frames without FIN, one per connection, and a final CONTINUATION "]}".
func (r *rawClient) readMessage() (message, []frame, error) {
	var frames []frame
	var p []byte
	for {
		f, err := r.readFrame()
		if err != nil {
			return message{}, frames, err
		}
		frames = append(frames, f)
		first := len(frames) == 1
		switch {
		case first && f.opcode != 1:
			return message{}, frames, fmt.Errorf("first frame has opcode %d, want TEXT", f.opcode)
		case !first && f.opcode != 0:
			return message{}, frames, fmt.Errorf("frame %d has opcode %d, want CONTINUATION", len(frames), f.opcode)
		case first && f.fin:
			return message{}, frames, errors.New("the status came in a single frame")
		}
		p = append(p, f.payload...)
		if f.fin {
			break
		}
	}
	m, err := decode(p)
	if err != nil {
		return m, frames, fmt.Errorf("status %q: %w", p, err)
	}
	if len(frames) != len(m.Conns)+2 {
		return m, frames, fmt.Errorf("%d frames for %d connections, want head, one each and the end", len(frames), len(m.Conns))
	}
	if last := frames[len(frames)-1]; string(last.payload) != "]}" {
		return m, frames, fmt.Errorf("last frame %q", last.payload)
	}
	for i, f := range frames[1 : len(frames)-1] {
		if !strings.HasPrefix(string(f.payload), `{"peer":`) && !strings.HasPrefix(string(f.payload), `,{"peer":`) {
			return m, frames, fmt.Errorf("frame %d %q is not one connection", i+1, f.payload)
		}
	}
	return m, frames, nil
}

func TestStatusClientsSeeEachOther(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		addr := startServer(t, backend)
		since := time.Now().Unix()

		const ua1, ua2 = "client-one", `two "quoted" \ <b>&amp; é	tab`
		g1 := dialGorilla(t, addr, ua1)
		defer g1.Close()
		expectGorilla(t, g1, since, ua1)

		g2 := dialGorilla(t, addr, ua2)
		defer g2.Close()
		expectGorilla(t, g2, since, ua2, ua1)
		expectGorilla(t, g1, since, ua2, ua1)

		// The third client sends no User-Agent and reads the frames.
		r3 := dialRaw(t, addr, "")
		m, frames, err := r3.readMessage()
		if err != nil {
			t.Fatal(err)
		}
		if err := check(m, since, "unknown", ua2, ua1); err != nil {
			t.Fatal(err)
		}
		if len(frames) != 5 {
			t.Fatalf("%d frames", len(frames))
		}
		expectGorilla(t, g1, since, "unknown", ua2, ua1)
		expectGorilla(t, g2, since, "unknown", ua2, ua1)

		// What clients send is ignored: it triggers no status.
		if err := g1.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
			t.Fatal(err)
		}

		// A client going away is a change: the others hear of it next.
		r3.nc.Close()
		expectGorilla(t, g1, since, ua2, ua1)
		expectGorilla(t, g2, since, ua2, ua1)

		// And a clean close handshake likewise.
		_ = g2.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(ioTimeout))
		expectGorilla(t, g1, since, ua1)
	})
}

func TestStatusRawClientFollowsChanges(t *testing.T) {
	addr := startServer(t, "")
	since := time.Now().Unix()
	r := dialRaw(t, addr, "raw")
	for i, uas := range [][]string{{"raw"}, {"g", "raw"}, {"raw"}} {
		if i == 1 {
			g := dialGorilla(t, addr, "g")
			defer g.Close()
			expectGorilla(t, g, since, "g", "raw")
			m, _, err := r.readMessage()
			if err != nil {
				t.Fatal(err)
			}
			if err := check(m, since, uas...); err != nil {
				t.Fatal(err)
			}
			g.Close()
			continue
		}
		m, _, err := r.readMessage()
		if err != nil {
			t.Fatal(err)
		}
		if err := check(m, since, uas...); err != nil {
			t.Fatalf("status %d: %v", i, err)
		}
	}
}

// TestStatusManyClientsAtOnce connects clients concurrently, so that the
// list changes while statuses are on their way: every message each client
// receives must still be a well-formed, self-consistent status.
func TestStatusManyClientsAtOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		addr := startServer(t, backend)
		const clients = 24
		var seen, done sync.WaitGroup
		release := make(chan struct{})
		errs := make(chan error, clients)
		seen.Add(clients)
		done.Add(clients)
		for i := range clients {
			go func() {
				defer done.Done()
				reached := false
				defer func() {
					if !reached {
						seen.Done()
					}
				}()
				ua := fmt.Sprintf("many-%d", i)
				d := websocket.Dialer{Subprotocols: []string{Name}, HandshakeTimeout: ioTimeout}
				conn, _, err := d.Dial("ws://"+addr+"/", http.Header{"User-Agent": {ua}})
				if err != nil {
					errs <- err
					return
				}
				defer conn.Close()
				for {
					m, err := readGorilla(conn)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", ua, err)
						return
					}
					if m.WSI != strconv.Itoa(len(m.Conns)) {
						errs <- fmt.Errorf("%s: wsi %q with %d conns", ua, m.WSI, len(m.Conns))
						return
					}
					mine, names := false, map[string]bool{}
					for _, c := range m.Conns {
						if names[c.UA] || !strings.HasPrefix(c.UA, "many-") || c.Peer != "127.0.0.1" {
							errs <- fmt.Errorf("%s: bad list %q", ua, m.uas())
							return
						}
						names[c.UA] = true
						mine = mine || c.UA == ua
					}
					if !mine {
						errs <- fmt.Errorf("%s: not in its own status %q", ua, m.uas())
						return
					}
					if len(m.Conns) == clients {
						break
					}
				}
				reached = true
				seen.Done()
				<-release // stay connected until everyone has seen everyone
			}()
		}
		seen.Wait()
		close(release)
		done.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// TestStatusMinInterval checks the per-vhost option min-interval-ms: an
// invalid value fails the vhost; with 0 every change is told at once, as
// lws does; with an interval, changes made within it are told together,
// while every newcomer still gets its first status at once.
func TestStatusMinInterval(t *testing.T) {
	vhost := func(t *testing.T, v string) (*lws.Context, *lws.Vhost, error) {
		cx, err := lws.NewContext(lws.ContextInfo{})
		if err != nil {
			t.Fatal(err)
		}
		vh, err := cx.CreateVhost(lws.VhostInfo{Name: "status", Port: lws.PortAny, Iface: "127.0.0.1",
			ProtocolOptions: map[string]map[string]string{Name: {"min-interval-ms": v}},
			Protocols:       []lws.Protocol{Protocol()}})
		if err != nil {
			cx.Destroy()
		}
		return cx, vh, err
	}
	for _, v := range []string{"-1", "x", "1.5", ""} {
		if _, _, err := vhost(t, v); err == nil {
			t.Errorf("min-interval-ms %q accepted", v)
		}
	}
	for _, tc := range []struct {
		interval string
		told     [][]string // what the first client is told after its first status
	}{
		{"0", [][]string{{"b", "a"}, {"c", "b", "a"}}},
		{"2000", [][]string{{"c", "b", "a"}}},
	} {
		t.Run(tc.interval, func(t *testing.T) {
			cx, vh, err := vhost(t, tc.interval)
			if err != nil {
				t.Fatal(err)
			}
			looptest.Run(t, cx)
			addr := "127.0.0.1:" + strconv.Itoa(vh.Port())
			since := time.Now().Unix()
			a := dialGorilla(t, addr, "a")
			defer a.Close()
			expectGorilla(t, a, since, "a")
			b := dialGorilla(t, addr, "b")
			defer b.Close()
			expectGorilla(t, b, since, "b", "a")
			c := dialGorilla(t, addr, "c")
			defer c.Close()
			expectGorilla(t, c, since, "c", "b", "a")
			for _, uas := range tc.told {
				expectGorilla(t, a, since, uas...)
			}
			// Nothing more is owed: a change now is the next status.
			b.Close()
			expectGorilla(t, a, since, "c", "a")
		})
	}
}
