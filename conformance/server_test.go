package conformance

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/selfsigned"
	"github.com/golws/lws/plugins/echo"
)

// echoClient is golws's WebSocket client running the lws-echo protocol,
// as examples/ws-client-echo does.
type echoClient struct {
	echo lws.Callback
	err  string
	stop context.CancelFunc
}

// callback ends the case's loop when the connection ends; the echoing
// is the lws-echo protocol's, client side.
func (e *echoClient) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackClientConnectionError:
		e.err = "connection error: " + string(in)
		e.stop()
	case lws.CallbackClientClosed:
		e.stop()
	}
	return e.echo(c, reason, in)
}

// golwsConnect runs golws's echoing client for one case, on a context of
// its own, until its connection closes.
func golwsConnect(ctx context.Context, rawURL string) error {
	return golwsConnectWith(nil)(ctx, rawURL)
}

// golwsConnectWith returns a connect function running golws's echoing
// client with the WebSocket extensions exts on its vhost.
func golwsConnectWith(exts []lws.Extension) func(ctx context.Context, rawURL string) error {
	return func(ctx context.Context, rawURL string) error { return runGolwsClient(ctx, rawURL, exts) }
}

// runGolwsClient runs golws's echoing client for one case, on a context
// of its own, until its connection closes.
func runGolwsClient(ctx context.Context, rawURL string, exts []lws.Extension) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	proto := echo.Protocol()
	e := &echoClient{echo: proto.Callback, stop: stop}
	proto.Callback = e.callback
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: 32 << 10})
	if err != nil {
		return err
	}
	defer cx.Destroy()
	vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen,
		Protocols: []lws.Protocol{proto}, Extensions: exts})
	if err != nil {
		return err
	}
	var ssl lws.ClientSSLFlags
	if u.Scheme == "wss" {
		// the fuzzing server's certificate is made for the run
		ssl = lws.ClientUseSSL | lws.ClientAllowSelfsigned
	}
	if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: u.Hostname(), Port: port, Path: u.RequestURI(),
		SSLConnection: ssl}); err != nil {
		return err
	}
	if err := cx.Run(ctx); err != nil {
		return err
	}
	if e.err != "" {
		return errors.New(e.err)
	}
	return nil
}

// TestClientConformanceWSS runs every case against golws's WebSocket
// client over TLS.
func TestClientConformanceWSS(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	rs := RunServerTLS(t.Context(), &tls.Config{Certificates: []tls.Certificate{cert}}, golwsConnect, caseFilter(t))
	t.Logf("\n%s", report(rs))
	for _, r := range rs {
		if r.Behavior == Failed {
			t.Errorf("case %s FAILED over wss: %s", r.Case, r.Detail)
		}
	}
}

// TestClientConformance runs every case against golws's WebSocket client.
func TestClientConformance(t *testing.T) {
	t.Parallel()
	start := time.Now()
	rs := RunServer(t.Context(), golwsConnect, caseFilter(t))
	t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
	for _, r := range rs {
		if r.Behavior == Failed {
			t.Errorf("case %s FAILED: %s", r.Case, r.Detail)
		}
	}
}

// brokenClientMode says how a deliberately broken client misbehaves.
type brokenClientMode int

const (
	// laxClient echoes every data frame as it came (opcode, FIN,
	// payload), answers every ping, echoes close frames: it validates
	// nothing, so it never fails a connection.
	laxClient brokenClientMode = iota
	// unmaskedClient echoes like laxClient but sends its frames unmasked.
	unmaskedClient
	// deafClient completes the opening handshake, then reads and ignores
	// everything and never closes.
	deafClient
)

// brokenConnect returns a connect function running a broken client.
// Every frame it receives masked is counted in masked.
func brokenConnect(mode brokenClientMode, masked *atomic.Int32) func(ctx context.Context, url string) error {
	return func(ctx context.Context, rawURL string) error {
		u, err := url.Parse(rawURL)
		if err != nil {
			return err
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		defer c.Close()
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
		var k [16]byte
		_, _ = rand.Read(k[:])
		req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(k[:]) + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			return fmt.Errorf("handshake answered %s", resp.Status)
		}
		for {
			var h [2]byte
			if _, err := io.ReadFull(br, h[:]); err != nil {
				return nil
			}
			fin, op := h[0]&0x80 != 0, h[0]&0x0f
			n := uint64(h[1] & 0x7f)
			switch n {
			case 126:
				var ext [2]byte
				if _, err := io.ReadFull(br, ext[:]); err != nil {
					return nil
				}
				n = uint64(binary.BigEndian.Uint16(ext[:]))
			case 127:
				var ext [8]byte
				if _, err := io.ReadFull(br, ext[:]); err != nil {
					return nil
				}
				n = binary.BigEndian.Uint64(ext[:])
			}
			var key [4]byte
			if h[1]&0x80 != 0 {
				masked.Add(1)
				if _, err := io.ReadFull(br, key[:]); err != nil {
					return nil
				}
			}
			payload := make([]byte, n)
			if _, err := io.ReadFull(br, payload); err != nil {
				return nil
			}
			mask(payload, key, 0)
			if mode == deafClient {
				continue
			}
			send := func(op byte, fin bool, payload []byte) error {
				_, err := c.Write(appendFrameAs(nil, op, fin, 0, payload, mode != unmaskedClient))
				return err
			}
			switch op {
			case OpClose:
				_ = send(OpClose, true, payload)
				_, _ = io.Copy(io.Discard, br) // until the server closes TCP
				return nil
			case OpPing:
				err = send(OpPong, true, payload)
			case OpPong:
			default:
				err = send(op, fin, payload)
			}
			if err != nil {
				return nil
			}
		}
	}
}

// TestServerCanFail runs cases against broken clients and checks that the
// server half judges them as it must.
func TestServerCanFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode brokenClientMode
		want map[string]Behavior
	}{
		// Pongs a 126-octet ping, echoes RSV frames (without the bits),
		// reserved opcodes, fragmented pings, invalid UTF-8 and invalid
		// close codes.
		{"validates nothing", laxClient, failed("2.5", "3.1", "4.1.1", "4.2.1", "5.1", "5.9", "6.3.1", "6.4.1", "6.20.1", "7.9.1")},
		// Every frame it sends is a violation the server fails the
		// connection for: nothing is echoed, and even its close is one,
		// which the server answers by dropping TCP (UNCLEAN).
		{"does not mask", unmaskedClient, failed("1.1.1", "2.2", "5.3", "2.7")},
		// Never answers the close either: the server's closing handshake
		// times out (UNCLEAN when a clean close is required).
		{"never answers", deafClient, map[string]Behavior{"1.1.2": Failed, "2.2": Failed, "3.1": Failed}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			var masked atomic.Int32
			start := time.Now()
			rs := RunServer(t.Context(), brokenConnect(tc.mode, &masked), func(id string) bool { _, ok := tc.want[id]; return ok })
			t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
			if n := masked.Load(); n != 0 {
				t.Errorf("the server sent %d masked frames", n)
			}
			if len(rs) != len(tc.want) {
				t.Fatalf("%d results for %d cases", len(rs), len(tc.want))
			}
			for _, r := range rs {
				if want := tc.want[r.Case]; r.Behavior != want {
					t.Errorf("case %s judged %s, want %s, against a client that %s: %s", r.Case, r.Behavior, want, tc.name, r.Detail)
				}
				if r.Detail == "" {
					t.Errorf("case %s: %s without a detail", r.Case, r.Behavior)
				}
			}
		})
	}
}

// TestServerHandshakeChecks checks that a client asking for the wrong
// case, or not asking for a WebSocket, fails the case.
func TestServerHandshakeChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		alter func(u string) string
	}{
		{"wrong case", func(u string) string { return strings.Replace(u, "case=1&", "case=2&", 1) }},
		{"no connection", func(string) string { return "" }},
	} {
		connect := func(ctx context.Context, u string) error {
			u = tc.alter(u)
			if u == "" {
				return errors.New("refusing to connect")
			}
			return brokenConnect(laxClient, new(atomic.Int32))(ctx, u)
		}
		rs := RunServer(t.Context(), connect, func(id string) bool { return id == "1.1.1" })
		if len(rs) != 1 || rs[0].Behavior != Failed || !strings.Contains(rs[0].Detail, "opening handshake") {
			t.Errorf("%s: %+v", tc.name, rs)
		}
		t.Logf("%s: %s", tc.name, rs[0].Detail)
	}
}
