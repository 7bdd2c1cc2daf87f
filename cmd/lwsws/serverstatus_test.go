package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestServerStatusJSON reads lws-server-status from a configured lwsws
// with a WebSocket client: the message is lws's JSON (the fields and
// string-valued figures lws's own server-status page reads), counts what
// the test did, and lists the configured vhosts but not lwsws's own
// control vhost.
func TestServerStatusJSON(t *testing.T) {
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	os.MkdirAll(www, 0o755)
	os.WriteFile(filepath.Join(www, "index.html"), []byte("status site"), 0o644)
	motd := filepath.Join(dir, "motd")
	os.WriteFile(motd, []byte("hello operator\n"), 0o644)
	p1, p2 := freePort(t), freePort(t)
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(filepath.Join(conf, "conf.d"), 0o755)
	os.WriteFile(filepath.Join(conf, "conf"), []byte(`{
  "global": { "reject-service-keywords": [ { "badbot": "418 I'm a teapot" } ] }
}
`), 0o644)
	os.WriteFile(filepath.Join(conf, "conf.d", "sites"), []byte(`{
  "vhosts": [ {
    "name": "status.test",
    "port": "`+strconv.Itoa(p1)+`",
    "interface": "127.0.0.1",
    "mounts": [ { "mountpoint": "/", "origin": "file://`+www+`", "default": "index.html", "cache-max-age": "60", "cache-reuse": "1" } ],
    "ws-protocols": [ { "lws-server-status": { "update-ms": "200", "filepath": "`+motd+`" } } ]
  }, {
    "name": "other.test",
    "port": "`+strconv.Itoa(p2)+`",
    "interface": "127.0.0.1",
    "ws-protocols": [ { "lws-echo": {} } ]
  } ]
}
`), 0o644)
	_, lines := startLwsws(t, "-c", conf, "-d", "7")
	awaitLine(t, lines, `vhost "other.test": http://`)

	base := "http://127.0.0.1:" + strconv.Itoa(p1)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, ua := range []string{"curious", "a badbot"} {
		req, _ := http.NewRequest("GET", base+"/", nil)
		req.Header.Set("User-Agent", ua)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	d := websocket.Dialer{Subprotocols: []string{"lws-server-status"}}
	ws, _, err := d.Dial("ws://127.0.0.1:"+strconv.Itoa(p1)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() (map[string]any, []byte) {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		typ, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if typ != websocket.TextMessage {
			t.Fatalf("message type %d, want text", typ)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("not JSON: %v: %s", err, b)
		}
		return m, b
	}
	msg, raw := read()
	// lws's page ignores messages shorter than 100 bytes.
	if len(raw) < 100 {
		t.Errorf("message of %d bytes: %s", len(raw), raw)
	}

	// obj and str walk the message, failing on a missing or mistyped field.
	obj := func(v any, path string) map[string]any {
		t.Helper()
		o, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T, want an object (in %s)", path, v, raw)
		}
		return o
	}
	arr := func(o map[string]any, key, path string) []any {
		t.Helper()
		a, ok := o[key].([]any)
		if !ok {
			t.Fatalf("%s.%s is %T, want an array (in %s)", path, key, o[key], raw)
		}
		return a
	}
	str := func(o map[string]any, key, path string) string {
		t.Helper()
		s, ok := o[key].(string)
		if !ok {
			t.Fatalf("%s.%s is %T (%v), want a string (in %s)", path, key, o[key], o[key], raw)
		}
		return s
	}
	num := func(o map[string]any, key, path string) int {
		t.Helper()
		n, err := strconv.Atoi(str(o, key, path))
		if err != nil || n < 0 {
			t.Fatalf("%s.%s = %q, want a count", path, key, o[key])
		}
		return n
	}

	i := obj(msg["i"], "i")
	if v := str(i, "version", "i"); len(v) < 5 || v[:5] != "golws" {
		t.Errorf("i.version %q", v)
	}
	num(i, "uptime", "i")
	if _, ok := i["heap"].(float64); !ok {
		t.Errorf("i.heap is %T, want a number", i["heap"])
	}
	ctxs := arr(i, "contexts", "i")
	if len(ctxs) != 1 {
		t.Fatalf("%d contexts", len(ctxs))
	}
	cx := obj(ctxs[0], "i.contexts[0]")
	const cp = "i.contexts[0]"
	for _, k := range []string{"context_uptime", "cgi_spawned", "pt_fd_max", "ah_pool_max", "wsi_alive", "listen_wsi",
		"rx", "tx", "h1_conn", "h1_trans", "h2_trans", "ws_upg", "rejected", "h2_alpn", "h2_subs", "h2_upg", "cgi_alive"} {
		num(cx, k, cp)
	}
	if s := str(cx, "deprecated", cp); s != "0" {
		t.Errorf("deprecated %q", s)
	}
	if n := num(cx, "listen_wsi", cp); n != 2 {
		t.Errorf("listen_wsi %d, want 2", n)
	}
	if alive := num(cx, "wsi_alive", cp) - num(cx, "listen_wsi", cp); alive < 1 {
		t.Errorf("wsi alive beside the listeners: %d, want this test's connection at least", alive)
	}
	if num(cx, "h1_trans", cp) < 3 || num(cx, "ws_upg", cp) < 1 || num(cx, "rejected", cp) < 1 || num(cx, "rx", cp) == 0 || num(cx, "tx", cp) == 0 {
		t.Errorf("context counters: %v", cx)
	}
	pt := arr(cx, "pt", cp)
	if len(pt) != 1 {
		t.Fatalf("%d service threads", len(pt))
	}
	for _, k := range []string{"fds_count", "ah_pool_inuse", "ah_wait_list"} {
		num(obj(pt[0], cp+".pt[0]"), k, cp+".pt[0]")
	}

	vhosts := arr(cx, "vhosts", cp)
	var names []string
	byName := map[string]map[string]any{}
	for n, v := range vhosts {
		vp := cp + ".vhosts[" + strconv.Itoa(n) + "]"
		vo := obj(v, vp)
		name := str(vo, "name", vp)
		names = append(names, name)
		byName[name] = vo
		for _, k := range []string{"port", "rx", "tx", "h1_conn", "h1_trans", "h2_trans", "ws_upg", "rejected", "h2_upg", "h2_alpn", "h2_subs"} {
			num(vo, k, vp)
		}
		for _, k := range []string{"use_ssl", "sts"} {
			if s := str(vo, k, vp); s != "0" && s != "1" {
				t.Errorf("%s.%s %q", vp, k, s)
			}
		}
		for pn, p := range arr(vo, "ws-protocols", vp) {
			po := obj(p, vp+".ws-protocols["+strconv.Itoa(pn)+"]")
			if len(po) != 1 {
				t.Errorf("%s.ws-protocols[%d] has %d keys, want the protocol's name alone", vp, pn, len(po))
			}
			for name, st := range po {
				if s := str(obj(st, name), "status", name); s != "ok" {
					t.Errorf("%s: status %q", name, s)
				}
			}
		}
	}
	if len(names) != 2 || names[0] != "status.test" || names[1] != "other.test" {
		t.Fatalf("vhosts %q, want the configured ones, status.test and other.test (and not lwsws's control vhost)", names)
	}
	sv := byName["status.test"]
	if str(sv, "port", "status.test") != strconv.Itoa(p1) || str(sv, "use_ssl", "status.test") != "0" {
		t.Errorf("status.test: %v", sv)
	}
	if num(sv, "h1_conn", "status.test") < 2 || num(sv, "h1_trans", "status.test") < 3 || num(sv, "ws_upg", "status.test") != 1 ||
		num(sv, "rejected", "status.test") != 1 || num(sv, "rx", "status.test") == 0 || num(sv, "tx", "status.test") == 0 {
		t.Errorf("status.test counters: %v", sv)
	}
	if ov := byName["other.test"]; num(ov, "h1_trans", "other.test") != 0 || num(ov, "rx", "other.test") != 0 {
		t.Errorf("other.test counters: %v", ov)
	}
	mounts := arr(sv, "mounts", "status.test")
	if len(mounts) != 1 {
		t.Fatalf("status.test mounts: %v", mounts)
	}
	m := obj(mounts[0], "status.test.mounts[0]")
	for k, want := range map[string]string{"mountpoint": "/", "origin": "file://" + www, "cache_max_age": "60",
		"cache_reuse": "1", "cache_revalidate": "0", "cache_intermediaries": "0", "default": "index.html"} {
		if got := str(m, k, "status.test.mounts[0]"); got != want {
			t.Errorf("mount %s = %q, want %q", k, got, want)
		}
	}
	files := arr(msg, "files", "")
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	if f := obj(files[0], "files[0]"); str(f, "path", "files[0]") != motd || str(f, "val", "files[0]") != "hello operator\n" {
		t.Errorf("files[0]: %v", f)
	}

	// Updates follow, every update-ms.
	next, _ := read()
	if _, ok := next["i"].(map[string]any); !ok {
		t.Errorf("second message: %v", next)
	}
}
