package lws_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/dumbincrement"
	"github.com/golws/lws/plugins/mirror"
)

// lwsTool returns the path of one of libwebsockets' own test programs
// (Debian's libwebsockets-test-server package, which scripts/test.sh
// installs). Without it the test fails when LWS_REQUIRE_PEERS is set and
// is skipped otherwise.
func lwsTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not installed (Debian package libwebsockets-test-server): run ./scripts/test.sh, which installs it", name)
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// TestLwsTestClientAgainstGolws runs libwebsockets' own test client against
// golws serving dumb-increment and mirror: it opens both, draws its random
// circles on the mirror until its mirror session ends, and exits.
func TestLwsTestClientAgainstGolws(t *testing.T) {
	client := lwsTool(t, "libwebsockets-test-client")
	var dumbEstablished, dumbWrites, circles atomic.Int64
	di, mi := dumbincrement.Protocol(), mirror.Protocol()
	diInner, miInner := di.Callback, mi.Callback
	di.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackEstablished:
			dumbEstablished.Add(1)
		case lws.CallbackServerWriteable:
			dumbWrites.Add(1)
		}
		return diInner(c, reason, in)
	}
	mi.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackReceive && bytes.HasPrefix(in, []byte("c #")) {
			circles.Add(1)
		}
		return miInner(c, reason, in)
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) { vh = wsVhost(t, cx, di, mi) })
	out, err := runWithTimeout(t, exec.Command(client, "127.0.0.1", "--port="+strconv.Itoa(vh.Port()), "--once", "-d", "7"))
	if err != nil {
		t.Fatalf("libwebsockets-test-client: %v\n%s", err, tail(out))
	}
	if dumbEstablished.Load() == 0 || dumbWrites.Load() == 0 {
		t.Errorf("dumb-increment: %d connections, %d messages", dumbEstablished.Load(), dumbWrites.Load())
	}
	if circles.Load() < 1000 {
		t.Errorf("the mirror received %d circles, want the client's whole session (thousands)", circles.Load())
	}
	t.Logf("lws test client: %d circles mirrored, %d dumb-increment messages", circles.Load(), dumbWrites.Load())
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// TestGolwsClientAgainstLwsTestServer connects golws's WebSocket client to
// libwebsockets' own test server: it counts with dumb-increment and draws
// on the mirror.
func TestGolwsClientAgainstLwsTestServer(t *testing.T) {
	server := lwsTool(t, "libwebsockets-test-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(server, "--port="+strconv.Itoa(port), "-d", "1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, "the lws test server to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	rec := newRecorder()
	var numbers []int
	const circle = "c #00ff00 10 20 5;"
	proto := func(name string) lws.Protocol {
		return lws.Protocol{Name: name, Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			switch reason {
			case lws.CallbackClientConnectionError:
				rec.add(name + " error " + string(in))
			case lws.CallbackClientEstablished:
				if name == mirror.Name {
					c.CallbackOnWritable()
				}
			case lws.CallbackClientWriteable:
				if _, err := c.Write([]byte(circle), lws.WriteText); err != nil {
					return err
				}
			case lws.CallbackClientReceive:
				if name == mirror.Name {
					rec.add("mirror " + string(in))
					return nil
				}
				n, err := strconv.Atoi(string(in))
				if err != nil {
					rec.add("dumb bad " + string(in))
					return err
				}
				numbers = append(numbers, n)
				if len(numbers) == 5 {
					rec.add(fmt.Sprint("dumb ", numbers))
				}
			}
			return nil
		}}
	}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh, err := cx.CreateVhost(lws.VhostInfo{Name: "c", Port: lws.PortNoListen,
			Protocols: []lws.Protocol{proto(dumbincrement.Name), proto(mirror.Name)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{dumbincrement.Name, mirror.Name} {
			if _, err := cx.ClientConnect(lws.ClientConnectInfo{Vhost: vh, Address: "127.0.0.1", Port: port,
				Protocol: p, LocalProtocolName: p, Origin: "http://127.0.0.1"}); err != nil {
				t.Fatal(err)
			}
		}
	})
	if got := rec.await(t, "mirror"); got != "mirror "+circle {
		t.Fatalf("the lws mirror sent back %q", got)
	}
	got := rec.await(t, "dumb")
	var ns [5]int
	if _, err := fmt.Sscanf(strings.TrimPrefix(got, "dumb "), "[%d %d %d %d %d]", &ns[0], &ns[1], &ns[2], &ns[3], &ns[4]); err != nil {
		t.Fatalf("dumb-increment from lws: %q", got)
	}
	for i := 1; i < 5; i++ {
		if ns[i] != ns[i-1]+1 {
			t.Fatalf("lws's dumb-increment counted %v", ns)
		}
	}
}
