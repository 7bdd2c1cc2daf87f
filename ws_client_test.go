package lws_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"

	"github.com/golws/lws"
)

// gorillaEcho is a net/http server upgrading with gorilla/websocket and
// echoing every message.
func gorillaEcho(t *testing.T, subprotocols ...string) *httptest.Server {
	up := websocket.Upgrader{Subprotocols: subprotocols}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/notws" {
			http.NotFound(w, r)
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			mt, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if err := conn.WriteMessage(mt, msg); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWSClientAgainstGorillaServer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		srv := gorillaEcho(t, "chat")
		port := srv.Listener.Addr().(*net.TCPAddr).Port
		rec := newRecorder()
		msgs := []string{"hello", strings.Repeat("x", 70000), ""}
		sent := 0
		var got strings.Builder
		proto := lws.Protocol{Name: "chat", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackClientAppendHandshakeHeader:
				return c.AddHandshakeHeader("X-Test", "1")
			case lws.CallbackClientEstablished:
				rec.add("established")
				c.CallbackOnWritable()
			case lws.CallbackClientWriteable:
				if sent < len(msgs) {
					if _, err := c.Write([]byte(msgs[sent]), lws.WriteText); err != nil {
						return err
					}
					sent++
				}
			case lws.CallbackClientReceive:
				got.Write(in)
				if c.IsFinalFragment() {
					rec.add(fmt.Sprintf("echo %d", got.Len()))
					got.Reset()
					c.CallbackOnWritable()
				}
			case lws.CallbackClientConnectionError:
				rec.add("error " + string(in))
			case lws.CallbackClientClosed:
				rec.add("closed")
			}
			return nil
		}}
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			connectClient(t, cx, port, lws.ClientConnectInfo{Path: "/echo", Protocol: "chat"}, proto)
		})
		rec.await(t, "established")
		for _, m := range msgs {
			if ev := rec.await(t, "echo"); ev != fmt.Sprintf("echo %d", len(m)) {
				t.Fatalf("got %q for a message of %d bytes", ev, len(m))
			}
		}
	})
}

func TestWSClientHandshakeFailures(t *testing.T) {
	srv := gorillaEcho(t, "chat")
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	cases := []struct{ name, path, protocol, want string }{
		{"not 101", "/notws", "", "HS: ws upgrade response not 101"},
		{"protocol not chosen", "/", "other", "HS: server chose none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			proto := lws.Protocol{Name: "p", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
				switch reason {
				case lws.CallbackClientConnectionError:
					rec.add("error " + string(in))
				case lws.CallbackClientEstablished:
					rec.add("established")
					return errors.New("should not happen")
				}
				return nil
			}}
			newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
				connectClient(t, cx, port, lws.ClientConnectInfo{Path: tc.path, Protocol: tc.protocol}, proto)
			})
			if ev := rec.await(t, "error"); !strings.Contains(ev, tc.want) {
				t.Fatalf("%q, want %q", ev, tc.want)
			}
		})
	}
}

// TestWSClientAgainstCoderServer talks to a coder/websocket server: a
// binary message larger than the server's first frame, a ping from the
// server side, and the close the server starts.
func TestWSClientAgainstCoderServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coderws.Accept(w, r, &coderws.AcceptOptions{Subprotocols: []string{"chat"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := r.Context()
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
		_ = c.Close(coderws.StatusGoingAway, "server done")
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	rec := newRecorder()
	payload := bytes.Repeat([]byte{7}, 300000)
	var got []byte
	proto := lws.Protocol{Name: "chat", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientEstablished:
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			_, err := c.Write(payload, lws.WriteBinary)
			return err
		case lws.CallbackClientReceive:
			got = append(got, in...)
			if c.IsFinalFragment() {
				rec.add(fmt.Sprintf("echo %d binary=%v", len(got), c.FrameIsBinary()))
			}
		case lws.CallbackWSPeerInitiatedClose:
			rec.add(fmt.Sprintf("peer close %d %s", int(in[0])<<8|int(in[1]), in[2:]))
		case lws.CallbackClientClosed:
			rec.add("closed")
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		connectClient(t, cx, port, lws.ClientConnectInfo{Protocol: "chat"}, proto)
	})
	if ev := rec.await(t, "echo"); ev != "echo 300000 binary=true" {
		t.Fatal(ev)
	}
	if ev := rec.await(t, "peer close"); ev != "peer close 1001 server done" {
		t.Fatal(ev)
	}
	rec.await(t, "closed")
	if !bytes.Equal(got, payload) {
		t.Fatal("echo differs")
	}
}

// connectClient creates a client-only vhost with protos on cx and starts a
// WebSocket client connection to 127.0.0.1:port with info's other fields.
func connectClient(t testing.TB, cx *lws.Context, port int, info lws.ClientConnectInfo, protos ...lws.Protocol) {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen, Protocols: protos})
	if err != nil {
		t.Fatal(err)
	}
	info.Vhost, info.Address, info.Port = vh, "127.0.0.1", port
	if _, err := cx.ClientConnect(info); err != nil {
		t.Fatal(err)
	}
}
