package lws_test

import (
	"bufio"
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
	node, script := nodePeer(t, "server.js")
	cmd := exec.Command(node, script)
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
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("node server did not start: %v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("node server printed %q", line)
	}

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
