package lws_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
	lwsws "github.com/golws/lws/ws"
)

// invert is a toy extension for the tests: messages marked with RSV1 carry
// every byte inverted. Its option "threshold" leaves messages shorter than
// it untransformed, the way permessage-deflate may skip small messages.
// It keeps what was fed until it is pulled, and counts its releases.
type invert struct {
	threshold int
	staged    []byte
	final     bool
}

func (x *invert) RSV() byte { return lwsws.RSV1 }

func (x *invert) SetOption(name, value string) error {
	if name != "threshold" {
		return fmt.Errorf("x-invert has no option %q", name)
	}
	_, err := fmt.Sscanf(value, "%d", &x.threshold)
	return err
}

func (x *invert) Feed(in []byte, final bool) error {
	if len(x.staged) > 0 {
		return errors.New("x-invert: fed before its output was pulled")
	}
	x.staged = append(x.staged[:0], in...)
	x.final = final
	return nil
}

func (x *invert) Decode(dst []byte) (int, bool, error) {
	n := copy(dst, x.staged)
	for i := range dst[:n] {
		dst[i] = ^dst[i]
	}
	x.staged = x.staged[:copy(x.staged, x.staged[n:])]
	end := x.final && len(x.staged) == 0
	if end {
		x.final = false
	}
	return n, end, nil
}

func (x *invert) Encode(dst, in []byte, first, final bool) ([]byte, bool, error) {
	if first && len(in) < x.threshold {
		return dst, false, nil
	}
	for _, b := range in {
		dst = append(dst, ^b)
	}
	return dst, true, nil
}

func (x *invert) Release() {
	x.staged = nil
	invertReleased.Add(1)
}

// invertMade and invertReleased count the sessions of x-invert made and
// released.
var invertMade, invertReleased atomic.Int64

// negotiated records the negotiations, written on the loop and read by
// the test.
var (
	negotiatedMu sync.Mutex
	negotiated   []string
)

func invertExtension() lws.Extension {
	return lws.Extension{
		Name:        "x-invert",
		ClientOffer: "mode=all",
		Negotiate: func(c *lws.Conn, server bool, params string) (lws.ExtensionSession, string, error) {
			negotiatedMu.Lock()
			negotiated = append(negotiated, fmt.Sprintf("server=%v params=%q", server, params))
			negotiatedMu.Unlock()
			if strings.Contains(params, "refuse") {
				return nil, "", errors.New("refused")
			}
			invertMade.Add(1)
			return &invert{}, "mode=all", nil
		},
	}
}

func TestExtensionNegotiatedAndApplied(t *testing.T) {
	negotiatedMu.Lock()
	negotiated = nil
	negotiatedMu.Unlock()
	rec := newRecorder()
	client := lws.Protocol{Name: echo.Name, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientEstablished:
			rec.add(fmt.Sprint("established active=", c.ExtensionActive("x-invert")))
			if err := c.SetExtensionOption("x-invert", "threshold", "4"); err != nil {
				return err
			}
			if c.SetExtensionOption("nope", "x", "y") == nil {
				return errors.New("SetExtensionOption on an inactive extension succeeded")
			}
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			_, err := c.Write([]byte("hello, inverted world"), lws.WriteText)
			return err
		case lws.CallbackClientReceive:
			rec.add("echo " + string(in))
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	var srv *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		var err error
		srv, err = cx.CreateVhost(lws.VhostInfo{Name: "s", Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols: []lws.Protocol{echo.Protocol()}, Extensions: []lws.Extension{invertExtension()}})
		if err != nil {
			t.Fatal(err)
		}
		cvh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen,
			Protocols: []lws.Protocol{client}, Extensions: []lws.Extension{invertExtension()}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: cvh, Address: "127.0.0.1", Port: srv.Port()}); err != nil {
			t.Fatal(err)
		}
	})
	if got := rec.await(t, "established"); got != "established active=true" {
		t.Fatal(got)
	}
	if got := rec.await(t, "echo"); got != "echo hello, inverted world" {
		t.Fatal(got)
	}
	want := []string{`server=true params="mode=all"`, `server=false params="mode=all"`}
	negotiatedMu.Lock()
	got := fmt.Sprint(negotiated)
	negotiatedMu.Unlock()
	if got != fmt.Sprint(want) {
		t.Fatalf("negotiations %s, want %q", got, want)
	}

	// On the wire: an offer with a refused parameter is left out of the
	// answer; a plain offer is accepted and RSV1 frames carry inverted bytes.
	for _, tc := range []struct {
		offer, wantAnswer string
	}{
		{"x-invert; refuse", ""},
		{"unknown-ext, x-invert; mode=all", "x-invert; mode=all"},
	} {
		nc := rawUpgradeWith(t, addr(srv), "Sec-WebSocket-Extensions: "+tc.offer+"\r\n", tc.wantAnswer)
		if tc.wantAnswer == "" {
			nc.Close()
			continue
		}
		payload := []byte("abc")
		frame := []byte{0x80 | 0x40 | 0x1, 0x80 | byte(len(payload)), 0, 0, 0, 0}
		for _, b := range payload {
			frame = append(frame, ^b)
		}
		if _, err := nc.Write(frame); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 2+len(payload))
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatal(err)
		}
		// The echo is above no threshold on the server: transformed again.
		if got[0] != 0xc1 || !bytes.Equal(got[2:], frame[6:]) {
			t.Fatalf("echo frame % x", got)
		}
		nc.Close()
	}

	// A peer that offers nothing gets plain frames and no answer header.
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if h := resp.Header.Get("Sec-WebSocket-Extensions"); h != "" {
		t.Fatalf("answered %q to no offer", h)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := conn.ReadMessage(); err != nil || string(msg) != "plain" {
		t.Fatalf("%q %v", msg, err)
	}
}

// TestExtensionSessionsReleased: every session an extension made is
// released once its connection closes, whichever side closes and also
// when a client's WS_EXT_DEFAULTS refuses the extension, which fails the
// connection.
func TestExtensionSessionsReleased(t *testing.T) {
	made, released := invertMade.Load(), invertReleased.Load()
	rec := newRecorder()
	client := lws.Protocol{Name: echo.Name, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackWSExtDefaults:
			if c.Opaque() == "refuse" {
				return errors.New("no defaults for " + string(in))
			}
		case lws.CallbackClientEstablished:
			c.CallbackOnWritable()
		case lws.CallbackClientWriteable:
			_, err := c.Write([]byte("once"), lws.WriteText)
			return err
		case lws.CallbackClientReceive:
			rec.add("echo " + string(in))
			return errors.New("done") // the client closes
		case lws.CallbackClientClosed:
			rec.add("closed")
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	var srv *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		var err error
		// A second extension on the same reserved bit: the server makes
		// its session, finds the bit taken and must release it.
		second := invertExtension()
		second.Name = "x-invert2"
		srv, err = cx.CreateVhost(lws.VhostInfo{Name: "s", Port: lws.PortAny, Iface: "127.0.0.1",
			Protocols: []lws.Protocol{echo.Protocol()}, Extensions: []lws.Extension{invertExtension(), second}})
		if err != nil {
			t.Fatal(err)
		}
		cvh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen,
			Protocols: []lws.Protocol{client}, Extensions: []lws.Extension{invertExtension(), second}})
		if err != nil {
			t.Fatal(err)
		}
		for _, opaque := range []string{"", "refuse"} {
			if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: cvh, Address: "127.0.0.1", Port: srv.Port(), Opaque: opaque}); err != nil {
				t.Fatal(err)
			}
		}
	})
	if ev := rec.await(t, "error"); !strings.Contains(ev, "HS: EXT: failed setting defaults of x-invert") {
		t.Fatal(ev)
	}
	if ev := rec.await(t, "echo"); ev != "echo once" {
		t.Fatal(ev)
	}
	rec.await(t, "closed")
	// Six sessions: two per connection on the server (x-invert2's
	// declined at once), one per connection on the clients.
	waitFor(t, "the sessions to be released", func() bool {
		return invertMade.Load()-made == 6 && invertReleased.Load()-released == 6
	})
}
