package lws_test

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
)

// clientVhost makes a non-listening vhost whose one protocol records what
// happens to client connections.
func clientVhost(t *testing.T, cx *lws.Context, rec *recorder, onConnected func(c *lws.Conn)) *lws.Vhost {
	t.Helper()
	vh, err := cx.CreateVhost(lws.VhostInfo{Name: "client", Port: lws.PortNoListen,
		Protocols: []lws.Protocol{{Name: "client", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackClientConnectionError:
				rec.add("error " + string(in))
			case lws.CallbackRawConnected:
				rec.add("connected")
				if onConnected != nil {
					onConnected(c)
				}
			case lws.CallbackRawRX:
				rec.add("rx " + string(in))
			case lws.CallbackRawWriteable:
				if _, err := c.Write([]byte("ping"), lws.WriteRaw); err != nil {
					return err
				}
			case lws.CallbackRawClose, lws.CallbackWSICreate, lws.CallbackWSIDestroy:
				rec.add(reason.String())
			}
			return nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	return vh
}

func TestRawClientTalksToNetListener(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		served := make(chan error, 1)
		go func() {
			nc, err := ln.Accept()
			if err != nil {
				served <- err
				return
			}
			defer nc.Close()
			buf := make([]byte, 4)
			if _, err := io.ReadFull(nc, buf); err != nil {
				served <- err
				return
			}
			_, err = nc.Write([]byte("pong:" + string(buf)))
			served <- err
		}()
		rec := newRecorder()
		port := ln.Addr().(*net.TCPAddr).Port
		var returned *lws.Conn
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
			vh := clientVhost(t, cx, rec, func(c *lws.Conn) {
				if c != returned {
					t.Error("RAW_CONNECTED for a connection ClientConnect did not return")
				}
				c.CallbackOnWritable()
			})
			var err error
			returned, err = cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "localhost", Port: port, Method: "RAW"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.list()) != 0 {
				t.Errorf("callbacks ran inside ClientConnect: %q", rec.list())
			}
		})
		rec.await(t, "connected")
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		if got := rec.await(t, "rx"); got != "rx pong:ping" {
			t.Fatal(got)
		}
		rec.await(t, "RAW_CLOSE")
	})
}

func TestClientConnectErrors(t *testing.T) {
	// A port nobody listens on: bind one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	// A listener whose accept queue is full drops further SYNs, so a connect
	// to it hangs until the connect timeout.
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(lfd)
	fullPort := sa.(*unix.SockaddrInet4).Port
	var fillers []net.Conn
	defer func() {
		for _, c := range fillers {
			c.Close()
		}
	}()
	for range 2 {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(fullPort), time.Second)
		if err == nil {
			fillers = append(fillers, c)
		}
	}

	cases := []struct {
		name, address string
		port          int
		timeout       time.Duration
		want          string
	}{
		{"closed port", "127.0.0.1", closedPort, 0, "connection refused"},
		{"unresolvable name", "no-such-host.invalid", 80, 0, "name resolution"},
		{"connect timeout", "127.0.0.1", fullPort, 300 * time.Millisecond, "timed out"},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rec := newRecorder()
				newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) {
					vh := clientVhost(t, cx, rec, nil)
					if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: tc.address, Port: tc.port,
						Method: "RAW", ConnectTimeout: tc.timeout}); err != nil {
						t.Fatal(err)
					}
				})
				got := rec.await(t, "error")
				if !strings.Contains(got, tc.want) {
					t.Fatalf("CONNECTION_ERROR %q, want it to mention %q", got, tc.want)
				}
				rec.await(t, "WSI_DESTROY")
				for _, ev := range rec.list() {
					if ev == "connected" || ev == "RAW_CLOSE" {
						t.Fatalf("a failed connection saw %s", ev)
					}
				}
			})
		}
	})
}

func TestClientConnectRejectsBadRequests(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	if _, err := cx.ClientConnect(lws.ClientConnectInfo{Address: "127.0.0.1", Port: 1, Method: "RAW"}); err == nil {
		t.Fatal("ClientConnect without a vhost succeeded")
	}
	if _, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortNoListen, Protocols: []lws.Protocol{{Name: "x"}}}); err != nil {
		t.Fatal(err)
	}
	for _, info := range []lws.ClientConnectInfo{
		{Address: "127.0.0.1", Port: 0, Method: "RAW"},
		{Address: "", Port: 80, Method: "RAW"},
		{Address: "127.0.0.1", Port: 80, Method: "RAW", LocalProtocolName: "nope"},
	} {
		if _, err := cx.ClientConnect(info); err == nil {
			t.Errorf("ClientConnect(%+v) succeeded", info)
		}
	}
}

// TestClientIfaceBindsSource: Iface makes the connection come from the
// given local address (the server sees it as the peer), and an address
// that is not an IP is refused up front.
func TestClientIfaceBindsSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan string, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			peers <- err.Error()
			return
		}
		defer nc.Close()
		peers <- nc.RemoteAddr().(*net.TCPAddr).IP.String()
		_, _ = io.Copy(io.Discard, nc)
	}()
	rec := newRecorder()
	port := ln.Addr().(*net.TCPAddr).Port
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh := clientVhost(t, cx, rec, nil)
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Method: "RAW",
			Address: "127.0.0.1", Port: port, Iface: "not-an-ip"}); err == nil {
			t.Error("Iface \"not-an-ip\" was accepted")
		}
		if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Method: "RAW",
			Address: "127.0.0.1", Port: port, Iface: "127.0.0.7"}); err != nil {
			t.Fatal(err)
		}
	})
	rec.await(t, "connected")
	if got := <-peers; got != "127.0.0.7" {
		t.Fatalf("server saw the client come from %s, want 127.0.0.7", got)
	}
}
