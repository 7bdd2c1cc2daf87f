package lws_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
	"github.com/golws/lws/plugins/status"
	"github.com/gorilla/websocket"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2cClient is an HTTP/2 client that speaks h2c by prior knowledge.
func h2cClient(t *testing.T) *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestH2PriorKnowledgeFiles(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}}})
	})
	client := h2cClient(t)
	for range 3 {
		resp, err := client.Get("http://" + addr(vh) + "/files/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(body) != "hello, file\n" {
			t.Fatalf("%s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
		}
	}
	resp, err := client.Get("http://" + addr(vh) + "/files/nope")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "404") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestH2TLSALPN(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			Name:            "localhost",
			SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}},
		})
	})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range 3 {
		resp, body := get(t, client, "https://"+addr(vh)+"/files/a.txt")
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 || body != "hello, file\n" {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, body)
		}
	}
}

// h2Framer is a bare HTTP/2 client connection for tests that need what
// no client library sends (RFC 8441's extended CONNECT).
type h2Framer struct {
	*http2.Framer
	conn net.Conn
	enc  *hpack.Encoder
	hbuf bytes.Buffer
	dec  *hpack.Decoder
}

func dialH2(t *testing.T, address string) *h2Framer {
	t.Helper()
	nc, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	f := &h2Framer{Framer: http2.NewFramer(nc, nc), conn: nc, dec: hpack.NewDecoder(4096, nil)}
	f.enc = hpack.NewEncoder(&f.hbuf)
	if err := f.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return f
}

// headers sends a header block on stream id.
func (f *h2Framer) headers(t *testing.T, id uint32, end bool, kv ...string) {
	t.Helper()
	f.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		f.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	if err := f.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: f.hbuf.Bytes(), EndStream: end, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// next reads frames, answering SETTINGS, until one for stream id; a
// HEADERS frame's fields come decoded.
func (f *h2Framer) next(t *testing.T, id uint32) (http2.Frame, map[string]string) {
	t.Helper()
	for {
		fr, err := f.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch fr := fr.(type) {
		case *http2.SettingsFrame:
			if !fr.IsAck() {
				f.WriteSettingsAck()
			}
			continue
		case *http2.HeadersFrame:
			fields, err := f.dec.DecodeFull(fr.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, hf := range fields {
				m[hf.Name] = hf.Value
			}
			if fr.StreamID == id {
				return fr, m
			}
			continue
		}
		if fr.Header().StreamID == id {
			return fr, nil
		}
	}
}

// TestH2WebSocketExtendedConnect opens a WebSocket over an HTTP/2 stream
// (RFC 8441): the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL,
// answers the extended CONNECT with 200 and the chosen subprotocol, and
// echoes a masked frame sent as DATA; a Close ends the stream.
func TestH2WebSocketExtendedConnect(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
	f := dialH2(t, addr(vh))
	// The server's SETTINGS says it takes extended CONNECT.
	fr, err := f.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := fr.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v", fr)
	}
	if v, ok := sf.Value(http2.SettingEnableConnectProtocol); !ok || v != 1 {
		t.Fatalf("SETTINGS_ENABLE_CONNECT_PROTOCOL not advertised: %v", sf)
	}
	f.WriteSettingsAck()
	f.headers(t, 1, false, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "http",
		":path", "/", ":authority", addr(vh), "sec-websocket-version", "13", "sec-websocket-protocol", "lws-echo")
	_, h := f.next(t, 1)
	if h[":status"] != "200" || h["sec-websocket-protocol"] != "lws-echo" {
		t.Fatalf("extended CONNECT answered %v", h)
	}
	msg := []byte("over an HTTP/2 stream")
	frame := []byte{0x81, 0x80 | byte(len(msg)), 1, 2, 3, 4}
	for i, b := range msg {
		frame = append(frame, b^[]byte{1, 2, 3, 4}[i%4])
	}
	if err := f.WriteData(1, false, frame); err != nil {
		t.Fatal(err)
	}
	fr, _ = f.next(t, 1)
	d, ok := fr.(*http2.DataFrame)
	if !ok || !bytes.Equal(d.Data(), append([]byte{0x81, byte(len(msg))}, msg...)) {
		t.Fatalf("echo: %v", fr)
	}
	// A Close frame is answered with a Close, and the stream ends.
	if err := f.WriteData(1, false, []byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}); err != nil {
		t.Fatal(err)
	}
	fr, _ = f.next(t, 1)
	if d, ok := fr.(*http2.DataFrame); !ok || len(d.Data()) < 2 || d.Data()[0] != 0x88 {
		t.Fatalf("close answer: %v", fr)
	}
	fr, _ = f.next(t, 1)
	if d, ok := fr.(*http2.DataFrame); !ok || !d.StreamEnded() {
		t.Fatalf("the stream did not end after the close: %v", fr)
	}
}

// TestH2StatusOverH2 opens lws-status over HTTP/2 and over HTTP/1: each
// client's status says truthfully whether its own WebSocket travels over
// HTTP/2.
func TestH2StatusOverH2(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, status.Protocol()) })
	f := dialH2(t, addr(vh))
	f.headers(t, 1, false, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "http",
		":path", "/", ":authority", addr(vh), "sec-websocket-version", "13", "sec-websocket-protocol", status.Name)
	if _, h := f.next(t, 1); h[":status"] != "200" {
		t.Fatalf("extended CONNECT answered %v", h)
	}
	var msg []byte
	for !bytes.Contains(msg, []byte("]}")) {
		fr, _ := f.next(t, 1)
		d, ok := fr.(*http2.DataFrame)
		if !ok {
			t.Fatalf("%v", fr)
		}
		msg = append(msg, d.Data()...)
	}
	if !bytes.Contains(msg, []byte(`"wss_over_h2":"1"`)) {
		t.Errorf("over HTTP/2: %q", msg)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL(vh), http.Header{"Sec-WebSocket-Protocol": {status.Name}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, p, err := conn.ReadMessage()
	if err != nil || !bytes.Contains(p, []byte(`"wss_over_h2":"0"`)) {
		t.Errorf("over HTTP/1: %q %v", p, err)
	}
}

// TestH2cUpgrade upgrades HTTP/1.1 requests to h2c with curl (which
// asks for it on plain http:// URLs with --http2): the request is
// answered on stream 1 over HTTP/2, and the connection carries the next
// ones as streams.
func TestH2cUpgrade(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}}})
	})
	url := "http://" + addr(vh) + "/files/a.txt"
	out := curl(t, "--http2", "-w", "%{http_version}\n", url, url)
	if !strings.HasPrefix(out, "HTTP/1.1 101 ") || strings.Count(out, "HTTP/2 200") != 2 ||
		strings.Count(out, "hello, file\n2\n") != 2 {
		t.Fatalf("curl --http2 (Upgrade: h2c):\n%s", out)
	}
	var st lws.Stats
	r.do(func() { st = vh.Context().Stats() })
	for _, v := range st.Vhosts {
		if v.Name == vh.Name() && (v.H2Upgrades != 1 || v.H2Transactions != 2) {
			t.Errorf("upgrades %d, HTTP/2 transactions %d; want 1 and 2", v.H2Upgrades, v.H2Transactions)
		}
	}
}

// goAwayOf reads frames until a GOAWAY and then the end of the
// connection; it acknowledges the server's SETTINGS only if ack.
func goAwayOf(t *testing.T, f *h2Framer, ack bool) *http2.GoAwayFrame {
	t.Helper()
	var ga *http2.GoAwayFrame
	for {
		fr, err := f.ReadFrame()
		if err != nil {
			if ga == nil {
				t.Fatalf("no GOAWAY before %v", err)
			}
			if err != io.EOF && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("after the GOAWAY: %v, want the end of the connection", err)
			}
			return ga
		}
		switch fr := fr.(type) {
		case *http2.SettingsFrame:
			if ack && !fr.IsAck() {
				f.WriteSettingsAck()
			}
		case *http2.GoAwayFrame:
			ga = &http2.GoAwayFrame{LastStreamID: fr.LastStreamID, ErrCode: fr.ErrCode}
		}
	}
}

// TestH2IdleAndSettingsTimeout: a connection without a stream for the
// vhost's KeepaliveTimeout closes with GOAWAY NO_ERROR; one whose peer
// never acknowledges the server's SETTINGS with GOAWAY SETTINGS_TIMEOUT.
func TestH2IdleAndSettingsTimeout(t *testing.T) {
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{KeepaliveTimeout: 1})
	})
	if ga := goAwayOf(t, dialH2(t, addr(vh)), true); ga.ErrCode != http2.ErrCodeNo {
		t.Errorf("idle: GOAWAY %v", ga.ErrCode)
	}
	if ga := goAwayOf(t, dialH2(t, addr(vh)), false); ga.ErrCode != http2.ErrCodeSettingsTimeout {
		t.Errorf("SETTINGS never acknowledged: GOAWAY %v", ga.ErrCode)
	}
}

// TestH2GoAwayOnDeprecate: Deprecate sends GOAWAY on HTTP/2 connections;
// a stream under way is still answered, then the connection closes.
func TestH2GoAwayOnDeprecate(t *testing.T) {
	var pending *lws.Conn
	proto := lws.Protocol{Name: "later", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackHTTP:
			pending = c // answered once the context is deprecated
		case lws.CallbackHTTPWriteable:
			b, _ := c.AddHTTPCommonHeaders(nil, 200, "text/plain", 5)
			b, _ = c.FinalizeHTTPHeader(b)
			if _, err := c.Write(append(b, "later"...), lws.WriteHTTPHeaders); err != nil {
				return err
			}
			return c.HTTPTransactionCompleted()
		}
		return nil
	}}
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	})
	f := dialH2(t, addr(vh))
	f.headers(t, 1, true, ":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "x")
	waitFor(t, "the request", func() bool {
		var got bool
		r.do(func() { got = pending != nil })
		return got
	})
	deprecated := make(chan struct{})
	r.do(func() {
		vh.Context().Deprecate(func() { close(deprecated) })
		pending.CallbackOnWritable()
	})
	var sawGoAway, sawAnswer bool
	for !sawAnswer {
		fr, err := f.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch fr := fr.(type) {
		case *http2.SettingsFrame:
			if !fr.IsAck() {
				f.WriteSettingsAck()
			}
		case *http2.GoAwayFrame:
			if fr.ErrCode != http2.ErrCodeNo || fr.LastStreamID != 1 {
				t.Fatalf("GOAWAY %v, last stream %d", fr.ErrCode, fr.LastStreamID)
			}
			sawGoAway = true
		case *http2.DataFrame:
			if string(fr.Data()) != "later" || !fr.StreamEnded() {
				t.Fatalf("answer %q", fr.Data())
			}
			sawAnswer = true
		}
	}
	if !sawGoAway {
		t.Fatal("no GOAWAY before the answer")
	}
	if _, err := f.ReadFrame(); err == nil {
		t.Fatal("the connection did not close after its last stream")
	}
	select {
	case <-deprecated:
	case <-time.After(10 * time.Second):
		t.Fatal("Deprecate's done was not called")
	}
}

// TestH2FlowControlAllowance: a stream's WRITEABLE waits for its send
// window, GetPeerWriteAllowance tells the window, and a write larger than
// the window is finished by the library as WINDOW_UPDATEs come.
func TestH2FlowControlAllowance(t *testing.T) {
	allowances := make(chan int, 16)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1024) // 16 KiB
	proto := answerProtocol(body, func(c *lws.Conn) { allowances <- c.GetPeerWriteAllowance() })
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	})
	f := dialH2(t, addr(vh))
	// A window of 1000 bytes per stream.
	f.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	f.headers(t, 1, true, ":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "x")
	got := 0
	for got < len(body) {
		fr, _ := f.next(t, 1)
		switch fr := fr.(type) {
		case *http2.HeadersFrame:
		case *http2.DataFrame:
			got += len(fr.Data())
			if got > 1000 && got-len(fr.Data()) < 1000 {
				t.Fatalf("DATA beyond the window: %d bytes", got)
			}
			if got == 1000 {
				// The rest comes only once the window opens.
				f.WriteWindowUpdate(1, uint32(len(body)))
				f.WriteWindowUpdate(0, uint32(len(body)))
			}
			if got == len(body) && !fr.StreamEnded() {
				t.Fatal("the last DATA does not end the stream")
			}
		default:
			t.Fatalf("%v", fr)
		}
	}
	if a := <-allowances; a != 1000 {
		t.Errorf("GetPeerWriteAllowance in WRITEABLE: %d, want the stream's window 1000", a)
	}
}

// TestH2ZeroWindowStall: a response held by a window the peer never
// opens is reset after the context's TimeoutSecs, and the connection goes
// on serving.
func TestH2ZeroWindowStall(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 5000)
	proto := answerProtocol(body, nil)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{TimeoutSecs: 1}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Protocols: []lws.Protocol{proto}})
	})
	f := dialH2(t, addr(vh))
	f.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100})
	f.headers(t, 1, true, ":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "x")
	start := time.Now()
	for {
		fr, _ := f.next(t, 1)
		if rst, ok := fr.(*http2.RSTStreamFrame); ok {
			if rst.ErrCode != http2.ErrCodeCancel || time.Since(start) < 900*time.Millisecond {
				t.Fatalf("RST_STREAM %v after %v", rst.ErrCode, time.Since(start))
			}
			break
		}
	}
	f.headers(t, 3, true, ":method", "GET", ":scheme", "http", ":path", "/x", ":authority", "x")
	if _, h := f.next(t, 3); h[":status"] != "200" {
		t.Fatalf("the next stream: %v", h)
	}
}

// TestH2AccessLog: HTTP/2 transactions are logged as HTTP/1 ones are,
// with their protocol.
func TestH2AccessLog(t *testing.T) {
	dir := httpSite(t)
	var log bytes.Buffer
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{AccessLog: &log, Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}}})
	})
	resp, err := h2cClient(t).Get("http://" + addr(vh) + "/files/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var line string
	waitFor(t, "the access log line", func() bool {
		r.do(func() { line = log.String() })
		return line != ""
	})
	if !strings.Contains(line, `"GET /files/a.txt HTTP/2.0" 200 12 "-" "Go-http-client/2.0"`) {
		t.Errorf("access log: %q", line)
	}
}

// answerProtocol answers every request from its first HTTP_WRITEABLE
// with body, head and body in one write; seen, if not nil, is told of the
// WRITEABLE first.
func answerProtocol(body []byte, seen func(c *lws.Conn)) lws.Protocol {
	return lws.Protocol{Name: "answer", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackHTTP:
			c.CallbackOnWritable()
		case lws.CallbackHTTPWriteable:
			if seen != nil {
				seen(c)
			}
			b, _ := c.AddHTTPCommonHeaders(nil, 200, "text/plain", int64(len(body)))
			b, _ = c.FinalizeHTTPHeader(b)
			if _, err := c.Write(append(b, body...), lws.WriteHTTPHeaders); err != nil {
				return err
			}
			return c.HTTPTransactionCompleted()
		}
		return nil
	}}
}

// TestH2GoAwayAtTheEnd: a context that ends says GOAWAY on its HTTP/2
// connections before it closes them.
func TestH2GoAwayAtTheEnd(t *testing.T) {
	var vh *lws.Vhost
	r := newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = httpVhost(t, cx, lws.VhostInfo{}) })
	f := dialH2(t, addr(vh))
	f.headers(t, 1, true, ":method", "GET", ":scheme", "http", ":path", "/nothing", ":authority", "x")
	if _, h := f.next(t, 1); h[":status"] != "404" {
		t.Fatalf("%v", h)
	}
	r.stop()
	if ga := goAwayOf(t, f, true); ga.ErrCode != http2.ErrCodeNo || ga.LastStreamID != 1 {
		t.Errorf("GOAWAY %v, last stream %d", ga.ErrCode, ga.LastStreamID)
	}
}
