package conformance

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nodeWS returns node's path and the environment that lets the scripts
// in testdata load Node's ws from interop/node, where scripts/test.sh
// installs it. Without them the test fails when LWS_REQUIRE_PEERS is set
// (as the test script does), and is skipped otherwise.
func nodeWS(t *testing.T) (string, []string) {
	t.Helper()
	node, err := exec.LookPath("node")
	modules, _ := filepath.Abs("../interop/node/node_modules")
	if err == nil {
		_, err = os.Stat(filepath.Join(modules, "ws"))
	}
	if err != nil {
		msg := fmt.Sprintf("Node's ws is not installed (%v): run ./scripts/test.sh, which installs it", err)
		if os.Getenv("LWS_REQUIRE_PEERS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, append(os.Environ(), "NODE_PATH="+modules)
}

// startNodeServer runs testdata/pmd_echo_server.js and returns its URL.
func startNodeServer(t *testing.T) string {
	t.Helper()
	node, env := nodeWS(t)
	cmd := exec.Command(node, "testdata/pmd_echo_server.js")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the server exits when its input ends
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		t.Fatalf("the Node server did not print its port: %q %v", line, err)
	}
	return fmt.Sprintf("ws://127.0.0.1:%d/", port)
}

// nodeConnect runs testdata/pmd_echo_client.js for one case of RunServer.
func nodeConnect(t *testing.T) func(ctx context.Context, url string) error {
	node, env := nodeWS(t)
	return func(ctx context.Context, url string) error {
		cmd := exec.CommandContext(ctx, node, "testdata/pmd_echo_client.js", url)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
}

// compressionOnly selects the cases of groups 12 and 13 among those the
// flags choose.
func compressionOnly(t *testing.T) func(id string) bool {
	f := caseFilter(t)
	return func(id string) bool {
		return (strings.HasPrefix(id, "12.") || strings.HasPrefix(id, "13.")) && (f == nil || f(id))
	}
}

// nodeCases are the cases run against Node's ws unless
// -conformance.cases chooses (Node compresses small messages slowly, and
// -conformance.full does not apply): text and binary, fragmented, no
// context takeover, a 9-bit window, both, and three offers.
var nodeCases = map[string]bool{"12.1.1": true, "12.2.1": true, "12.1.11": true, "13.2.1": true, "13.3.1": true, "13.5.11": true, "13.7.1": true}

// nodeCompression selects the cases run against Node's ws.
func nodeCompression(t *testing.T) func(id string) bool {
	if *casesFlag != "" {
		return compressionOnly(t)
	}
	return func(id string) bool { return nodeCases[id] }
}

// requireCompressionOK fails the test for every case that is not OK.
func requireCompressionOK(t *testing.T, peer string, rs []Result) {
	t.Helper()
	if len(rs) == 0 {
		t.Fatal("no case was run")
	}
	for _, r := range rs {
		if r.Behavior != OK {
			t.Errorf("case %s %s against %s: %s", r.Case, r.Behavior, peer, r.Detail)
		}
	}
}

// TestCompressionNodeServer checks the fuzzing client's permessage-deflate
// against an independent implementation: every case of groups 12 and 13
// must be OK against Node's ws echo server.
func TestCompressionNodeServer(t *testing.T) {
	t.Parallel()
	url := startNodeServer(t)
	start := time.Now()
	rs := RunClient(t.Context(), url, nodeCompression(t))
	t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
	requireCompressionOK(t, "Node's ws server", rs)
}

// TestCompressionNodeClient checks the fuzzing server's permessage-deflate
// against Node's ws as the echoing client.
func TestCompressionNodeClient(t *testing.T) {
	t.Parallel()
	connect := nodeConnect(t)
	start := time.Now()
	rs := RunServer(t.Context(), connect, nodeCompression(t))
	t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
	requireCompressionOK(t, "Node's ws client", rs)
}
