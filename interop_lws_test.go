package lws_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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
	runLwsTestClient(t, nil, nil)
}

// TestLwsTestClientDeflateAgainstGolws is the same session with golws
// accepting permessage-deflate, which lws 4.1.6's test client offers
// ("permessage-deflate; client_no_context_takeover"): the mirror's
// connection negotiates it, golws decodes the client's compressed circles
// and compresses what the stock mirror sends back, a thousand and more
// each way on the one connection. (lws 4.1.6's client stops writing once
// it receives an uncompressed message on a connection with
// permessage-deflate, which RFC 7692 allows; golws compresses every
// message by default, as lws does, so its mirror keeps the client going.)
// The client's dumb-increment protocol has a receive buffer under the 128
// bytes lws's permessage-deflate needs, so lws's client drops the
// extension on that connection ("ext permessage-deflate failed
// construction"); the test leaves it out.
func TestLwsTestClientDeflateAgainstGolws(t *testing.T) {
	ext, n := countingExtension(pmdExtension(t, ""))
	runLwsTestClient(t, &ext, n.encoded.Load)
	if n.decoded.Load() < 1000 || n.encoded.Load() < 1000 {
		t.Errorf("golws decoded %d compressed messages and compressed %d, want a thousand and more", n.decoded.Load(), n.encoded.Load())
	}
	t.Logf("golws decoded %d compressed messages and compressed %d", n.decoded.Load(), n.encoded.Load())
}

// runLwsTestClient runs lws's test client against golws's dumb-increment
// and mirror, on a vhost with the extension ext if not nil, whose
// negotiation every connection must then report; mirrored then counts the
// messages golws sent.
func runLwsTestClient(t *testing.T, ext *lws.Extension, mirrored func() int64) {
	client := lwsTool(t, "libwebsockets-test-client")
	var dumbEstablished, dumbWrites, circles, mirrors, withoutExt atomic.Int64
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
		switch {
		case reason == lws.CallbackEstablished:
			mirrors.Add(1)
			if ext != nil && !c.ExtensionActive(ext.Name) {
				withoutExt.Add(1)
			}
		case reason == lws.CallbackReceive && bytes.HasPrefix(in, []byte("c #")):
			circles.Add(1)
		}
		return miInner(c, reason, in)
	}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		info := lws.VhostInfo{Name: "ws", Port: lws.PortAny, Iface: "127.0.0.1", Protocols: []lws.Protocol{di, mi}}
		if ext != nil {
			info.Extensions = []lws.Extension{*ext}
		}
		var err error
		if vh, err = cx.CreateVhost(info); err != nil {
			t.Fatal(err)
		}
	})
	args := []string{"127.0.0.1", "--port=" + strconv.Itoa(vh.Port()), "-d", "7"}
	if ext == nil {
		// Its whole session: the client ends its mirror after a random
		// number of circles, from 16384 to 81919.
		out, err := runWithTimeout(t, exec.Command(client, append(args, "--once")...))
		if err != nil {
			t.Fatalf("libwebsockets-test-client: %v\n%s", err, tail(out))
		}
	} else {
		// With permessage-deflate lws's client sends a circle every
		// millisecond or so, and its whole session would take a minute or
		// more: it runs until a thousand circles have gone each way.
		cmd := exec.Command(client, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
		deadline := time.After(time.Minute)
		for circles.Load() < 1000 || mirrored() < 1000 {
			select {
			case <-exited:
				t.Fatalf("libwebsockets-test-client exited after %d circles:\n%s", circles.Load(), tail(out.Bytes()))
			case <-deadline:
				t.Fatalf("libwebsockets-test-client: %d circles received and %d mirrored in a minute", circles.Load(), mirrored())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	if ext == nil && (dumbEstablished.Load() == 0 || dumbWrites.Load() == 0) {
		t.Errorf("dumb-increment: %d connections, %d messages", dumbEstablished.Load(), dumbWrites.Load())
	}
	if circles.Load() < 1000 {
		t.Errorf("the mirror received %d circles, want the client's whole session (thousands)", circles.Load())
	}
	if ext != nil && (mirrors.Load() != 1 || withoutExt.Load() != 0) {
		t.Errorf("%d mirror connections of lws's test client, %d of them without %s; want one with it", mirrors.Load(), withoutExt.Load(), ext.Name)
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

// lwsPMDEchoServer builds interop/lws/pmd-echo-server.c, an echo server
// on libwebsockets with lws's own permessage-deflate (Debian's
// libwebsockets-test-server answers no extension offer), and starts it on
// a free port of 127.0.0.1. It needs a C compiler, pkg-config and
// libwebsockets' headers (Debian's libwebsockets-dev), which
// scripts/test.sh installs. It returns the port and the server's output.
func lwsPMDEchoServer(t *testing.T) (int, *bufio.Reader) {
	t.Helper()
	cc := lookPeer(t, "cc", "gcc")
	flags, err := exec.Command(lookPeer(t, "pkg-config", "pkg-config"), "--cflags", "--libs", "libwebsockets").Output()
	if err != nil {
		msg := fmt.Sprintf("libwebsockets' headers are not installed (Debian package libwebsockets-dev): %v", err)
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "pmd-echo-server")
	args := append([]string{"-O1", "-Wall", "-Werror", "-o", bin, "interop/lws/pmd-echo-server.c"}, strings.Fields(string(flags))...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("building pmd-echo-server: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, strconv.Itoa(port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	waitFor(t, "pmd-echo-server to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return port, bufio.NewReader(stdout)
}

// TestGolwsClientDeflateAgainstLwsServer connects golws's client, offering
// permessage-deflate, to an echo server on libwebsockets 4.1.6 with lws's
// own permessage-deflate (interop/lws/pmd-echo-server.c). The four 1 MiB
// messages come back intact with their types; golws sees the extension
// active, sent the compressible messages compressed and decoded what lws
// compressed (every echo: lws compresses whatever it sends).
func TestGolwsClientDeflateAgainstLwsServer(t *testing.T) {
	port, out := lwsPMDEchoServer(t)
	ext, counts := countingExtension(pmdExtension(t, ""))
	echoDeflateMessages(t, port, "pmd-echo", ext)
	if line, err := out.ReadString('\n'); err != nil || line != "closed 4\n" {
		t.Errorf("pmd-echo-server said %q (%v), want it to have echoed 4 messages", line, err)
	}
	t.Logf("golws compressed %d messages and decoded %d compressed echoes", counts.encoded.Load(), counts.decoded.Load())
	if counts.encoded.Load() < 2 || counts.decoded.Load() != 4 {
		t.Errorf("golws compressed %d messages and decoded %d compressed echoes, want the 2 compressible ones and all 4", counts.encoded.Load(), counts.decoded.Load())
	}
}
