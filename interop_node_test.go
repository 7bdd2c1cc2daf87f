package lws_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/echo"
)

// nodePeer returns the command line for one of the Node scripts in
// interop/node, whose dependencies scripts/test.sh installs. Without them
// the test fails when LWS_REQUIRE_PEERS is set (as the test script does),
// and is skipped otherwise.
func nodePeer(t *testing.T, script string) (string, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	dir, _ := filepath.Abs("interop/node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "ws"))
	}
	if err != nil {
		msg := fmt.Sprintf("Node's ws is not installed (%v): run ./scripts/test.sh, which installs it", err)
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, filepath.Join(dir, script)
}

func TestWSNodeClientAgainstServer(t *testing.T) {
	node, script := nodePeer(t, "client.js")
	forEachBackend(t, func(t *testing.T, backend string) {
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) { vh = wsVhost(t, cx, echo.Protocol()) })
		out, err := exec.Command(node, script, wsURL(vh)).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("node client: %v\n%s", err, out)
		}
	})
}

func TestWSClientAgainstNodeServer(t *testing.T) {
	port, _ := startNodeServer(t, "server.js")

	rec := newRecorder()
	big := strings.Repeat("0123456789", 200000)
	msgs := []string{"hi", big, ""}
	sent := 0
	var got strings.Builder
	proto := lws.Protocol{Name: "chat", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		switch reason {
		case lws.CallbackClientEstablished:
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
				rec.add("echo " + strconv.Itoa(got.Len()))
				got.Reset()
				c.CallbackOnWritable()
			}
		case lws.CallbackClientConnectionError:
			rec.add("error " + string(in))
		}
		return nil
	}}
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		connectClient(t, cx, port, lws.ClientConnectInfo{Protocol: "chat"}, proto)
	})
	for _, m := range msgs {
		if ev := rec.await(t, "echo"); ev != "echo "+strconv.Itoa(len(m)) {
			t.Fatalf("%q for a message of %d bytes (events %q)", ev, len(m), rec.list())
		}
	}
}

// startNodeServer starts one of the Node servers of interop/node, which
// prints its port first, and returns the port and the server's output
// after it. The server is stopped when the test ends.
func startNodeServer(t *testing.T, script string) (int, *bufio.Reader) {
	t.Helper()
	node, path := nodePeer(t, script)
	cmd := exec.Command(node, path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the server exits when its stdin ends
		_ = cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("node server did not start: %v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("node server printed %q", line)
	}
	return port, out
}

// nodeDeflateReport is what interop/node/deflate-client.js prints.
type nodeDeflateReport struct {
	Extensions string `json:"extensions"`
	Answer     string `json:"answer"`
	Messages   []struct {
		Name     string `json:"name"`
		Size     int    `json:"size"`
		Sent     int    `json:"sent"`
		Received int    `json:"received"`
	} `json:"messages"`
}

// TestWSNodeDeflateClientAgainstServer: Node's ws, offering
// permessage-deflate as it does by default, against a golws echo server
// that accepts it. Both sides must see the extension negotiated, the four
// 1 MiB messages must come back intact with their types, and the
// compressible ones must have crossed the socket compressed both ways (ws
// only counts socket bytes; that they shrank is golws's compression
// outbound and ws's inbound), the random ones at about their size.
func TestWSNodeDeflateClientAgainstServer(t *testing.T) {
	node, script := nodePeer(t, "deflate-client.js")
	forEachBackend(t, func(t *testing.T, backend string) {
		rec := newRecorder()
		proto := echo.Protocol()
		inner := proto.Callback
		proto.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackEstablished {
				rec.add(fmt.Sprint("established pmd ", c.ExtensionActive("permessage-deflate")))
			}
			return inner(c, reason, in)
		}
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend}, func(cx *lws.Context) { vh = deflateEchoVhost(t, cx, "", proto) })
		cmd := exec.Command(node, script, wsURL(vh))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := runWithTimeout(t, cmd)
		if err != nil {
			t.Fatalf("node deflate client: %v\n%s%s", err, out, stderr.Bytes())
		}
		if ev := rec.await(t, "established"); ev != "established pmd true" {
			t.Errorf("golws's side of the connection: %q", ev)
		}
		var r nodeDeflateReport
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("node deflate client printed %q: %v", out, err)
		}
		if r.Extensions != "permessage-deflate" || !strings.HasPrefix(r.Answer, "permessage-deflate") {
			t.Errorf("ws negotiated %q; golws answered %q", r.Extensions, r.Answer)
		}
		t.Logf("golws answered %q", r.Answer)
		checkDeflateWire(t, r)
	})
}

// checkDeflateWire checks the socket bytes of the four messages of
// deflate-client.js: a compressible message crossed in under a tenth of
// its size each way, a random one in at most 5 % more than its size
// (frame headers, and deflate's stored blocks when a message sent in
// pieces is compressed piece by piece).
func checkDeflateWire(t *testing.T, r nodeDeflateReport) {
	t.Helper()
	if len(r.Messages) != 4 {
		t.Fatalf("%d messages reported", len(r.Messages))
	}
	for _, m := range r.Messages {
		t.Logf("%s, %d bytes: %d bytes sent, %d received on the socket", m.Name, m.Size, m.Sent, m.Received)
		limit := m.Size + m.Size/20
		if strings.HasPrefix(m.Name, "compressible") {
			limit = m.Size / 10
		}
		if m.Sent > limit || m.Received > limit {
			t.Errorf("%s: %d bytes sent and %d received for %d, want at most %d each way", m.Name, m.Sent, m.Received, m.Size, limit)
		}
	}
}

// nodeServerReport is the line interop/node/deflate-server.js prints
// when a connection closes.
type nodeServerReport struct {
	Extensions string `json:"extensions"`
	Answer     string `json:"answer"`
	Code       int    `json:"code"`
	Read       int    `json:"read"`
	Written    int    `json:"written"`
}

// TestWSDeflateClientAgainstNodeServer: golws's client, offering
// permessage-deflate, against Node's ws server with it enabled at its
// defaults (context takeover both ways). The four 1 MiB messages come back
// intact with their types, golws sees the extension active, ws reports it
// negotiated, and what ws read on its socket shows golws compressed.
func TestWSDeflateClientAgainstNodeServer(t *testing.T) {
	port, out := startNodeServer(t, "deflate-server.js")
	msgs := echoDeflateMessages(t, port, "chat", pmdExtension(t, ""))
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("the node server's report: %v", err)
	}
	var r nodeServerReport
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("the node server printed %q: %v", line, err)
	}
	t.Logf("ws answered %q; it read %d bytes and wrote %d", r.Answer, r.Read, r.Written)
	if r.Extensions != "permessage-deflate" || !strings.HasPrefix(r.Answer, "permessage-deflate") || r.Code != 1000 {
		t.Errorf("ws: extensions %q, answer %q, close code %d", r.Extensions, r.Answer, r.Code)
	}
	// The random messages alone are 2 MiB; the compressible ones must
	// have added less than a tenth of theirs each way.
	var random, compressible int
	for _, m := range msgs {
		if m.compressible {
			compressible += len(m.data)
		} else {
			random += len(m.data)
		}
	}
	if limit := random + random/20 + compressible/10; r.Read > limit || r.Written > limit {
		t.Errorf("ws read %d bytes and wrote %d, want at most %d each: golws did not compress", r.Read, r.Written, limit)
	}
}
