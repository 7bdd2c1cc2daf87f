package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// lineOf returns the 1-based number of the first line of text holding s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the configuration", s)
	return 0
}

// TestExampleShapedConfig runs lwsws on a configuration written with every
// key of lws's shipped lwsws examples (etc-lwsws-conf-EXAMPLE and
// etc-lwsws-conf.d-localhost-EXAMPLE), in their shape: comments, a global
// section in conf, one vhost in conf.d with file, CGI and callback mounts,
// and ws-protocols that name a protocol this lwsws lacks (lws-meta, gone
// from lws too) and a mount whose origin, under _lws_ddir_, is not on
// disk. As lws, lwsws starts anyway: each of the two is a warning naming
// its file and line, the unknown protocol's options are ignored, and the
// absent origin answers 404 when it is asked for.
func TestExampleShapedConfig(t *testing.T) {
	dir, err := os.MkdirTemp("", "lwsws-example") // readable by the dropped user
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	www := filepath.Join(dir, "test-site")
	os.MkdirAll(www, 0o755)
	os.WriteFile(filepath.Join(www, "test.html"), []byte("<p>example-shaped site</p>"), 0o644)
	script := filepath.Join(dir, "cgi-hello.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"cgi at $SCRIPT_NAME\"\n"), 0o755)
	logPath := filepath.Join(dir, "access-log")
	port := freePort(t)

	// lws's example drops to uid/gid 48 (apache); nobody will do here. Only
	// root may change user, so elsewhere the two keys are left out.
	ids := ""
	if os.Getuid() == 0 {
		ids = "\n    \"uid\": \"65534\",\n    \"gid\": \"65534\","
	}
	conf := filepath.Join(dir, "etc")
	os.MkdirAll(filepath.Join(conf, "conf.d"), 0o755)
	global := `# settings for the whole server; each vhost has its own file in conf.d/

{
  "global": {` + ids + `
    "interface": "eth0",
    "count-threads": "1",
    "server-string": "lwsws",
    "ws-pingpong-secs": "200",
    "init-ssl": "yes"
  }
}
`
	vhost := `{
  "vhosts": [ {
    "name": "localhost",
    "port": "` + strconv.Itoa(port) + `",
    "interface": "lo",
#   "host-ssl-key":  "/etc/lwsws/localhost.key.pem",
#   "host-ssl-cert": "/etc/lwsws/localhost.cert.pem",
#   "host-ssl-ca":   "/etc/lwsws/ca.pem",
    "access-log": "` + logPath + `",
#   "sts": "on",
    "mounts": [{
        "mountpoint": "/",
        "origin": "file://` + www + `",
        "default": "test.html",
        "cache-max-age": "60",
        "cache-reuse": "1",
        "cache-revalidate": "1",
        "cache-intermediaries": "0"
      }, {
        "mountpoint": "/server-status",
        "origin": "file://_lws_ddir_/golws-absent-test-server/server-status",
        "default": "server-status.html"
      }, {
        "mountpoint": "/testcgi",
        "origin": "cgi://` + script + `"
      }, {
        "mountpoint": "/formtest",
        "origin": "callback://protocol-post-demo"
      }],
    # the protocols this vhost enables, with options for each
    "ws-protocols": [{
      "lws-meta": {
        "status": "ok"
      },
      "dumb-increment-protocol": {
        "status": "ok"
      },
      "lws-mirror-protocol": {
        "status": "ok"
      },
      "lws-status": {
        "status": "ok"
      },
      "protocol-post-demo": {
        "status": "ok"
      },
      "lws-server-status": {
        "status": "ok",
        "update-ms": "5000"
      }
    }]
  } ]
}
`
	os.WriteFile(filepath.Join(conf, "conf"), []byte(global), 0o644)
	vfile := filepath.Join(conf, "conf.d", "localhost")
	os.WriteFile(vfile, []byte(vhost), 0o644)

	_, lines := startLwsws(t, "-c", conf)
	// Both warnings, each at its file and line, then the vhost serves.
	want := map[string]*regexp.Regexp{
		"unknown protocol": regexp.MustCompile(regexp.QuoteMeta(fmt.Sprintf("%s:%d:", vfile, lineOf(t, vhost, `"lws-meta"`))) + `\d+: .*"lws-meta"`),
		"missing origin": regexp.MustCompile(regexp.QuoteMeta(fmt.Sprintf("%s:%d:", vfile, lineOf(t, vhost, "golws-absent-test-server"))) +
			`\d+: .*/server-status.*/usr/share/golws-absent-test-server/server-status.*404`),
	}
	deadline := time.After(15 * time.Second)
	for served := false; !served || len(want) > 0; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("lwsws ended; still expected %v", want)
			}
			for what, rx := range want {
				if rx.MatchString(l) {
					delete(want, what)
				}
			}
			if strings.Contains(l, `vhost "localhost": http://`) {
				served = true
			}
		case <-deadline:
			t.Fatalf("lwsws did not print: %v (serving: %v)", want, served)
		}
	}

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := get("/"); resp.StatusCode != 200 || body != "<p>example-shaped site</p>" ||
		resp.Header.Get("Server") != "lwsws" || resp.Header.Get("Cache-Control") != "must-revalidate, private, max-age=60" {
		t.Errorf("GET /: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	for _, p := range []string{"/server-status", "/server-status/", "/server-status/lws-common.js"} {
		if resp, _ := get(p); resp.StatusCode != 404 {
			t.Errorf("GET %s, whose origin is not on disk: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, body := get("/testcgi"); resp.StatusCode != 200 || body != "cgi at /testcgi\n" {
		t.Errorf("GET /testcgi: %d %q", resp.StatusCode, body)
	}
	resp, err := client.PostForm(base+"/formtest", url.Values{"text": {"from the example"}, "send": {"SEND"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "from the example") {
		t.Errorf("POST /formtest: %d %q", resp.StatusCode, b)
	}

	// The protocols listed are served; lws-meta is not there to serve.
	d := websocket.Dialer{Subprotocols: []string{"dumb-increment-protocol"}, HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := ws.ReadMessage()
	ws.Close()
	if _, aerr := strconv.Atoi(string(msg)); err != nil || aerr != nil {
		t.Errorf("dumb-increment-protocol sent %q (%v)", msg, err)
	}
	d.Subprotocols = []string{"lws-mirror-protocol"}
	mws, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	mws.SetReadDeadline(time.Now().Add(10 * time.Second))
	mws.WriteMessage(websocket.TextMessage, []byte("d #000000 1 1 2 2;"))
	_, msg, err = mws.ReadMessage()
	mws.Close()
	if err != nil || string(msg) != "d #000000 1 1 2 2;" {
		t.Errorf("lws-mirror-protocol: %q %v", msg, err)
	}
	d.Subprotocols = []string{"lws-meta"}
	if c, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil); err == nil {
		c.Close()
		t.Error("an upgrade to lws-meta, which this lwsws lacks, was accepted")
	}

	if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), `"GET /server-status/ HTTP/1.1" 404`) {
		t.Errorf("access log: %q", log)
	}
}
