package lws_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golws/lws"
)

// flowSession is what the flow-controlled upload protocol keeps per
// transaction.
type flowSession struct {
	body     []byte
	pieces   int
	whileOff int // HTTP_BODY callbacks that came while reception was off
}

// flowUploadProtocol reads request bodies with reception turned off after
// every HTTP_BODY piece and back on from a timer a moment later, and
// answers "<length> <sha256> <pieces> <pieces while off>". Its
// RxBufferSize is smaller than a read, so one read holds several pieces.
func flowUploadProtocol() lws.Protocol {
	return lws.Protocol{
		Name:         "flow-upload",
		RxBufferSize: 1000,
		NewSession:   func() any { return &flowSession{} },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*flowSession)
			switch reason {
			case lws.CallbackHTTPBody:
				if !c.RxFlowAllowed() {
					s.whileOff++
				}
				s.pieces++
				s.body = append(s.body, in...)
				if err := c.RxFlowControl(false); err != nil {
					return err
				}
				c.SetTimer(time.Millisecond)
			case lws.CallbackTimer:
				return c.RxFlowControl(true)
			case lws.CallbackHTTPBodyCompletion:
				c.CallbackOnWritable()
			case lws.CallbackHTTPWriteable:
				sum := sha256.Sum256(s.body)
				answer := fmt.Sprintf("%d %s %d %d", len(s.body), hex.EncodeToString(sum[:]), s.pieces, s.whileOff)
				b, err := c.AddHTTPCommonHeaders(nil, 200, "text/plain", int64(len(answer)))
				if err != nil {
					return err
				}
				b, _ = c.FinalizeHTTPHeader(b)
				if _, err := c.Write(append(b, answer...), lws.WriteHTTPHeaders); err != nil {
					return err
				}
				return c.HTTPTransactionCompleted()
			}
			return nil
		},
	}
}

// checkFlowAnswer checks a flowUploadProtocol answer for body.
func checkFlowAnswer(t *testing.T, who, answer string, body []byte) {
	t.Helper()
	var (
		n, pieces, whileOff int
		sum                 string
	)
	if _, err := fmt.Sscanf(answer, "%d %s %d %d", &n, &sum, &pieces, &whileOff); err != nil {
		t.Errorf("%s: answer %q: %v", who, answer, err)
		return
	}
	want := sha256.Sum256(body)
	if n != len(body) || sum != hex.EncodeToString(want[:]) {
		t.Errorf("%s: the server read %d bytes (sha256 %s), want %d (%x)", who, n, sum, len(body), want)
	}
	if whileOff != 0 {
		t.Errorf("%s: %d of %d HTTP_BODY callbacks came while reception was off", who, whileOff, pieces)
	}
	if pieces < len(body)/1000 {
		t.Errorf("%s: %d HTTP_BODY pieces for %d bytes: more than RxBufferSize each", who, pieces, len(body))
	}
}

// TestHTTPBodyRxFlowControl uploads bodies, with a length and chunked, to
// a protocol that turns reception off in every HTTP_BODY callback: no
// piece may arrive until it turns reception back on, and the whole body
// must arrive in order, over http and https, from net/http and curl.
func TestHTTPBodyRxFlowControl(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
	body := make([]byte, 150_000)
	for i := range body {
		body[i] = byte(i*7 + i/251)
	}
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			info := lws.VhostInfo{
				Name:      "localhost",
				Protocols: []lws.Protocol{httpProtocol(), flowUploadProtocol()},
				Mounts:    []lws.Mount{{Mountpoint: "/up", Origin: "callback://flow-upload"}},
			}
			if scheme == "https" {
				info.SSLCertFilepath, info.SSLPrivateKeyFilepath = cert, key
			}
			var vh *lws.Vhost
			newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = httpVhost(t, cx, info) })
			host := "localhost:" + strconv.Itoa(vh.Port())
			url := scheme + "://" + host + "/up"

			tr := &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: pool},
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, addr(vh))
				},
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
			for _, chunked := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(body)
				if chunked {
					r = io.MultiReader(r) // no length: net/http sends it chunked
				}
				resp, err := client.Post(url, "application/octet-stream", r)
				if err != nil {
					t.Fatal(err)
				}
				answer, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("net/http (chunked %v): %d %q %v", chunked, resp.StatusCode, answer, err)
				}
				checkFlowAnswer(t, fmt.Sprintf("net/http (chunked %v)", chunked), string(answer), body)
			}
			for _, te := range []string{"", "Transfer-Encoding: chunked"} {
				out := curl(t, "--cacert", cert, "--resolve", host+":127.0.0.1",
					"-H", "Expect:", "-H", te, "--data-binary", "@"+file, url)
				_, answer, ok := strings.Cut(out, "\n\n")
				want := "HTTP/1.1 200 OK\n"
				if scheme == "https" {
					want = "HTTP/2 200 \n" // by ALPN; reception is turned off per stream
				}
				if !strings.HasPrefix(out, want) || !ok {
					t.Fatalf("curl %q: %q", te, out)
				}
				checkFlowAnswer(t, fmt.Sprintf("curl %q", te), answer, body)
			}
		})
	}
}

// TestHTTPClientRxFlowControl has a golws HTTP client turn reception off
// in every RECEIVE_CLIENT_HTTP_READ and back on from a timer: no piece may
// arrive while it is off, and the whole response body must arrive in
// order, with a length and chunked, over https (where one read holds up
// to 16 KiB of plaintext) and http.
func TestHTTPClientRxFlowControl(t *testing.T) {
	big := make([]byte, 300_000)
	for i := range big {
		big[i] = byte(i*13 + i/509)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		case "/chunked":
			for i := 0; i < len(big); i += 50_000 {
				w.Write(big[i:min(i+50_000, len(big))])
				w.(http.Flusher).Flush()
			}
		}
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	secure := httptest.NewUnstartedServer(handler)
	secure.EnableHTTP2 = false
	secure.StartTLS()
	defer secure.Close()
	for _, srv := range []*httptest.Server{plain, secure} {
		port := srv.Listener.Addr().(*net.TCPAddr).Port
		var ssl lws.ClientSSLFlags
		if srv == secure {
			ssl = lws.ClientUseSSL | lws.ClientAllowSelfsigned
		}
		for _, path := range []string{"/length", "/chunked"} {
			name := fmt.Sprintf("ssl=%v%s", srv == secure, path)
			t.Run(name, func(t *testing.T) {
				var (
					mu       sync.Mutex
					got      []byte
					pieces   int
					whileOff int
				)
				rec := newRecorder()
				proto := lws.Protocol{Name: "client", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
					switch reason {
					case lws.CallbackReceiveClientHTTPRead:
						mu.Lock()
						if !c.RxFlowAllowed() {
							whileOff++
						}
						pieces++
						got = append(got, in...)
						mu.Unlock()
						if err := c.RxFlowControl(false); err != nil {
							return err
						}
						c.SetTimer(time.Millisecond)
					case lws.CallbackTimer:
						return c.RxFlowControl(true)
					case lws.CallbackCompletedClientHTTP:
						rec.add("completed")
					case lws.CallbackClosedClientHTTP:
						rec.add("closed")
					case lws.CallbackClientConnectionError:
						rec.add("error " + string(in))
					}
					return nil
				}}
				newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
					vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen, Protocols: []lws.Protocol{proto}})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port,
						Method: "GET", Path: path, SSLConnection: ssl}); err != nil {
						t.Fatal(err)
					}
				})
				if ev := rec.await(t, ""); ev != "completed" {
					t.Fatalf("%s: %s", name, ev)
				}
				mu.Lock()
				if !bytes.Equal(got, big) {
					t.Errorf("%s: got %d bytes, want %d, intact and in order", name, len(got), len(big))
				}
				if whileOff != 0 {
					t.Errorf("%s: %d of %d RECEIVE_CLIENT_HTTP_READ callbacks came while reception was off", name, whileOff, pieces)
				}
				mu.Unlock()
			})
		}
	}
}
