package fraggle

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	lwsws "github.com/golws/lws/ws"
)

// ioTimeout bounds every wait of a test: it turns a hang into a failure
// and is never what a test waits for.
const ioTimeout = 20 * time.Second

// startLoop makes a context, lets setup create its vhosts and clients (on
// the goroutine that then services the loop), and runs the loop until the
// test ends.
func startLoop(t *testing.T, backend string, setup func(cx *lws.Context)) {
	t.Helper()
	cx, err := lws.NewContext(lws.ContextInfo{EventLib: backend})
	if err != nil {
		t.Fatal(err)
	}
	setup(cx)
	looptest.Run(t, cx)
}

func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range []string{lws.EventLibEpoll, lws.EventLibPoll} {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// serverVhost creates a listening vhost serving Protocol with options.
func serverVhost(t *testing.T, cx *lws.Context, opts map[string]string) *lws.Vhost {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "fraggle-server", Port: lws.PortAny, Iface: "127.0.0.1",
		Protocols:       []lws.Protocol{Protocol()},
		ProtocolOptions: map[string]map[string]string{Name: opts}})
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

// event is what a client protocol under test reports.
type event struct {
	r      Result
	closed bool
}

// collector is a client protocol whose results, and its close, are sent
// to a channel; after stopAfter results (0: never) it closes the
// connection with 1000.
func collector(stopAfter int) (lws.Protocol, chan event) {
	ch := make(chan event, 64)
	n := 0
	p := ClientProtocol(func(c *lws.Conn, r Result) error {
		ch <- event{r: r}
		n++
		if stopAfter > 0 && n >= stopAfter {
			c.CloseReason(lwsws.CloseNormal, "enough")
			return errors.New("enough results")
		}
		return nil
	})
	inner := p.Callback
	p.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		err := inner(c, reason, in)
		if reason == lws.CallbackClientClosed {
			ch <- event{closed: true}
		}
		return err
	}
	return p, ch
}

func clientConnect(t *testing.T, cx *lws.Context, p lws.Protocol, port int) {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "fraggle-client", Port: lws.PortNoListen, Protocols: []lws.Protocol{p}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port,
		Path: "/", Protocol: Name}); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, ch chan event) event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(ioTimeout):
		t.Fatal("timed out waiting for the client")
	}
	panic("unreachable")
}

func nextResult(t *testing.T, ch chan event) Result {
	t.Helper()
	ev := next(t, ch)
	if ev.closed {
		t.Fatal("the client closed where a result was expected")
	}
	return ev.r
}

func checkGood(t *testing.T, r Result, maxFrames, maxSize int) {
	t.Helper()
	if !r.OK() {
		t.Fatalf("result not OK: %v", r)
	}
	if r.Frames < 1 || r.Frames > maxFrames || r.Bytes < r.Frames || r.Bytes > r.Frames*maxSize || r.Pieces < r.Frames {
		t.Fatalf("result out of bounds: %+v", r)
	}
}

// TestGolwsClientAndServer runs both halves in one context: three
// messages with lws's default bounds, checked by the golws client, which
// then closes.
func TestGolwsClientAndServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		p, ch := collector(3)
		startLoop(t, backend, func(cx *lws.Context) {
			vh := serverVhost(t, cx, nil)
			clientConnect(t, cx, p, vh.Port())
		})
		fragmented := false
		for range 3 {
			r := nextResult(t, ch)
			checkGood(t, r, DefaultMaxFragments, DefaultMaxFragmentSize)
			fragmented = fragmented || r.Frames > 1
		}
		if !fragmented {
			t.Fatal("three messages, each in a single frame")
		}
		if ev := next(t, ch); !ev.closed {
			t.Fatalf("after closing: %v", ev.r)
		}
	})
}

// TestTwoContextsAndMessagesOption runs the server and the client in two
// contexts with different backends; the server stops after two messages.
func TestTwoContextsAndMessagesOption(t *testing.T) {
	p, ch := collector(0)
	var port int
	startLoop(t, lws.EventLibEpoll, func(cx *lws.Context) {
		port = serverVhost(t, cx, map[string]string{OptionMessages: "2", OptionMaxFragments: "40",
			OptionMaxFragmentSize: "9000"}).Port()
	})
	startLoop(t, lws.EventLibPoll, func(cx *lws.Context) { clientConnect(t, cx, p, port) })
	for range 2 {
		checkGood(t, nextResult(t, ch), 40, 9000)
	}
	if ev := next(t, ch); !ev.closed {
		t.Fatalf("a third result after two messages: %v", ev.r)
	}
}

// TestGorillaClient reads the messages with a third-party client, which
// hands each message over whole.
func TestGorillaClient(t *testing.T) {
	var port int
	startLoop(t, "", func(cx *lws.Context) { port = serverVhost(t, cx, nil).Port() })
	d := websocket.Dialer{Subprotocols: []string{Name}, HandshakeTimeout: ioTimeout}
	conn, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.Subprotocol() != Name {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	_ = conn.SetReadDeadline(time.Now().Add(ioTimeout))
	for i := range 4 {
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if mt != websocket.BinaryMessage || len(msg) < 1 || len(msg) > DefaultMaxFragments*DefaultMaxFragmentSize {
			t.Fatalf("message %d: type %d, %d bytes", i, mt, len(msg))
		}
		mt, sum, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if mt != websocket.BinaryMessage || len(sum) != ChecksumSize {
			t.Fatalf("checksum message %d: type %d, %d bytes", i, mt, len(sum))
		}
		if got, want := Sum(0, msg), binary.BigEndian.Uint32(sum); got != want {
			t.Fatalf("message %d of %d bytes sums to 0x%x, the server says 0x%x", i, len(msg), got, want)
		}
	}
}

// rawConn is a WebSocket client written by hand, to see the frames.
type rawConn struct {
	nc net.Conn
	br *bufio.Reader
}

type frame struct {
	fin     bool
	opcode  byte
	payload []byte
}

func dialRaw(t *testing.T, port int) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: " + Name + "\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	r := &rawConn{nc: nc, br: bufio.NewReader(nc)}
	head := ""
	for !strings.HasSuffix(head, "\r\n\r\n") {
		ln, err := r.br.ReadString('\n')
		if err != nil {
			t.Fatalf("handshake: %v (%q)", err, head)
		}
		head += ln
	}
	if !strings.HasPrefix(head, "HTTP/1.1 101 ") || !strings.Contains(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") ||
		!strings.Contains(strings.ToLower(head), "sec-websocket-protocol: "+Name) {
		t.Fatalf("handshake answer %q", head)
	}
	return r
}

func readFrame(br *bufio.Reader, wantMasked bool) (frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return frame{}, err
	}
	if h[0]&0x70 != 0 {
		return frame{}, fmt.Errorf("reserved bits set: %#x", h[0])
	}
	if masked := h[1]&0x80 != 0; masked != wantMasked {
		return frame{}, fmt.Errorf("masked %v, want %v", masked, wantMasked)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return frame{}, fmt.Errorf("frame of %d bytes", n)
	}
	var mask [4]byte
	if wantMasked {
		if _, err := io.ReadFull(br, mask[:]); err != nil {
			return frame{}, err
		}
	}
	f := frame{fin: h[0]&0x80 != 0, opcode: h[0] & 0x0f, payload: make([]byte, n)}
	if _, err := io.ReadFull(br, f.payload); err != nil {
		return f, err
	}
	if wantMasked {
		for i := range f.payload {
			f.payload[i] ^= mask[i%4]
		}
	}
	return f, nil
}

// TestWireFormat reads the frames themselves: BINARY then CONTINUATION
// frames within the configured bounds, FIN on the last only, then a 4-byte
// BINARY checksum, and after the last message a Close 1000 "done".
func TestWireFormat(t *testing.T) {
	const maxFrames, maxSize, messages = 8, 100, 5
	var port int
	startLoop(t, "", func(cx *lws.Context) {
		port = serverVhost(t, cx, map[string]string{OptionMaxFragments: strconv.Itoa(maxFrames),
			OptionMaxFragmentSize: strconv.Itoa(maxSize), OptionMessages: strconv.Itoa(messages)}).Port()
	})
	r := dialRaw(t, port)
	for i := range messages {
		var sum uint32
		for n := 1; ; n++ {
			f, err := readFrame(r.br, false)
			if err != nil {
				t.Fatal(err)
			}
			want := byte(0)
			if n == 1 {
				want = 2
			}
			if f.opcode != want || len(f.payload) < 1 || len(f.payload) > maxSize || n > maxFrames {
				t.Fatalf("message %d frame %d: opcode %d, %d bytes", i, n, f.opcode, len(f.payload))
			}
			sum = Sum(sum, f.payload)
			if f.fin {
				break
			}
		}
		f, err := readFrame(r.br, false)
		if err != nil {
			t.Fatal(err)
		}
		if f.opcode != 2 || !f.fin || len(f.payload) != ChecksumSize || binary.BigEndian.Uint32(f.payload) != sum {
			t.Fatalf("message %d: checksum frame %+v, want 0x%x", i, f, sum)
		}
	}
	f, err := readFrame(r.br, false)
	if err != nil {
		t.Fatal(err)
	}
	if f.opcode != 8 || len(f.payload) < 2 || binary.BigEndian.Uint16(f.payload) != 1000 || string(f.payload[2:]) != "done" {
		t.Fatalf("after the last message: opcode %d payload %q, want Close 1000 done", f.opcode, f.payload)
	}
}

// scriptedServer accepts one WebSocket client by hand and sends it the
// given frames, then closes the TCP connection.
func scriptedServer(t *testing.T, frames []frame) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	errc := make(chan error, 1)
	go func() {
		errc <- func() error {
			nc, err := ln.Accept()
			if err != nil {
				return err
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(ioTimeout))
			br := bufio.NewReader(nc)
			key := ""
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return err
				}
				if l == "\r\n" {
					break
				}
				if name, value, ok := strings.Cut(l, ":"); ok && strings.EqualFold(name, "sec-websocket-key") {
					key = strings.TrimSpace(value)
				}
			}
			h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			var out []byte
			out = append(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Accept: "+base64.StdEncoding.EncodeToString(h[:])+"\r\n"+
				"Sec-WebSocket-Protocol: "+Name+"\r\n\r\n"...)
			for _, f := range frames {
				b0 := f.opcode
				if f.fin {
					b0 |= 0x80
				}
				out = append(out, b0)
				switch n := len(f.payload); {
				case n < 126:
					out = append(out, byte(n))
				case n < 1<<16:
					out = append(out, 126, byte(n>>8), byte(n))
				default:
					out = append(out, 127)
					out = binary.BigEndian.AppendUint64(out, uint64(n))
				}
				out = append(out, f.payload...)
			}
			// The client sends nothing, so closing after the frames
			// loses none of them: the peer reads them all, then EOF.
			_, err = nc.Write(out)
			return err
		}()
	}()
	t.Cleanup(func() {
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("scripted server: %v", err)
			}
		case <-time.After(ioTimeout):
			t.Error("scripted server did not end")
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func sumFrame(sum uint32) frame {
	return frame{fin: true, opcode: 2, payload: binary.BigEndian.AppendUint32(nil, sum)}
}

// TestClientDetectsErrors feeds the client messages that a correct server
// would never send, and checks that it reports each fault.
func TestClientDetectsErrors(t *testing.T) {
	big := make([]byte, 10000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	bigSum := binary.BigEndian.AppendUint32(nil, Sum(0, big))
	frames := []frame{
		// 1: "abc" in two frames, right sum.
		{opcode: 2, payload: []byte("ab")}, {fin: true, opcode: 0, payload: []byte("c")}, sumFrame(Sum(0, []byte("abc"))),
		// 2: wrong sum.
		{fin: true, opcode: 2, payload: []byte("xyz")}, sumFrame(Sum(0, []byte("xyz")) + 1),
		// 3: a checksum message of 5 bytes.
		{fin: true, opcode: 2, payload: []byte("q")}, {fin: true, opcode: 2, payload: []byte{0, 0, 0, 'q', 0}},
		// 4: a text payload.
		{fin: true, opcode: 1, payload: []byte("t")}, sumFrame('t'),
		// 5: one frame larger than the receive buffer, and an empty
		// frame, with the checksum itself split over two frames.
		{opcode: 2, payload: big}, {fin: true, opcode: 0},
		{opcode: 2, payload: bigSum[:2]}, {fin: true, opcode: 0, payload: bigSum[2:]},
		// 6: the connection ends in the middle of a message.
		{opcode: 2, payload: []byte("unfinished")},
	}
	port := scriptedServer(t, frames)
	p, ch := collector(0)
	startLoop(t, "", func(cx *lws.Context) {
		vh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen, Protocols: []lws.Protocol{p}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port, Protocol: Name}); err != nil {
			t.Fatal(err)
		}
	})
	if r := nextResult(t, ch); !r.OK() || r.Bytes != 3 || r.Frames != 2 {
		t.Fatalf("1: %+v", r)
	}
	if r := nextResult(t, ch); r.OK() || r.Err != nil || r.Sum+1 != r.ServerSum {
		t.Fatalf("2: %+v", r)
	}
	if r := nextResult(t, ch); r.OK() || !errors.Is(r.Err, ErrChecksumMessage) {
		t.Fatalf("3: %+v", r)
	}
	if r := nextResult(t, ch); r.OK() || !errors.Is(r.Err, ErrNotBinary) {
		t.Fatalf("4: %+v", r)
	}
	if r := nextResult(t, ch); !r.OK() || r.Bytes != len(big) || r.Frames != 2 || r.Pieces < 3 {
		t.Fatalf("5: %+v", r)
	}
	if r := nextResult(t, ch); r.OK() || !errors.Is(r.Err, ErrIncomplete) || r.Bytes != len("unfinished") {
		t.Fatalf("6: %+v", r)
	}
	if ev := next(t, ch); !ev.closed {
		t.Fatalf("7: %+v", ev)
	}
}

func TestClientConnectError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	p, ch := collector(0)
	startLoop(t, "", func(cx *lws.Context) { clientConnect(t, cx, p, port) })
	r := nextResult(t, ch)
	var ce *ConnectError
	if !errors.As(r.Err, &ce) || ce.Reason == "" || r.OK() {
		t.Fatalf("%+v", r)
	}
}

func TestBadOptions(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	for _, opts := range []map[string]string{
		{OptionMaxFragments: "0"},
		{OptionMaxFragmentSize: "x"},
		{OptionMessages: "-1"},
		{OptionMaxFragmentSize: "16777217"},
	} {
		_, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen, Protocols: []lws.Protocol{Protocol()},
			ProtocolOptions: map[string]map[string]string{Name: opts}})
		if err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
}

func TestSum(t *testing.T) {
	if got := Sum(0, []byte{1, 2, 255}); got != 258 {
		t.Fatal(got)
	}
	if got := Sum(0xffffffff, []byte{2}); got != 1 {
		t.Fatalf("no wrap modulo 2^32: %d", got)
	}
}

func TestResultString(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Bytes: 3, Frames: 2, Sum: 5, ServerSum: 5}, "EOM received 3 correctly from 2 fragments"},
		{Result{Bytes: 3, Sum: 5, ServerSum: 6}, "ERROR at EOM: length 3, rx sum = 0x5, server says it sent 0x6"},
		{Result{Err: ErrIncomplete}, "error after 0 bytes in 0 frames: " + ErrIncomplete.Error()},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}

// TestDefaultReportLogs checks that a client made without a report
// function logs its results as lws's test client prints them.
func TestDefaultReportLogs(t *testing.T) {
	lines := make(chan string, 64)
	lws.SetLogLevel(lws.LogErr|lws.LogWarn|lws.LogNotice, func(level lws.LogLevel, line string) {
		if strings.Contains(line, "fraggle:") {
			select {
			case lines <- line:
			default:
			}
		}
	})
	t.Cleanup(func() { lws.SetLogLevel(lws.LogErr|lws.LogWarn, lws.EmitStderr) })
	startLoop(t, "", func(cx *lws.Context) {
		vh := serverVhost(t, cx, map[string]string{OptionMessages: "1"})
		clientConnect(t, cx, ClientProtocol(nil), vh.Port())
	})
	select {
	case l := <-lines:
		if !strings.Contains(l, "EOM received") || !strings.Contains(l, "correctly") {
			t.Fatalf("logged %q", l)
		}
	case <-time.After(ioTimeout):
		t.Fatal("no result logged")
	}
}
