package serverstatus

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golws/lws"
)

// TestSnapshot: an Unlisted vhost is not in the message; hide-vhosts
// leaves out every vhost but keeps the context's figures; files are read,
// and what is not valid UTF-8 becomes "?".
func TestSnapshot(t *testing.T) {
	cx, err := lws.NewContext(lws.ContextInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer cx.Destroy()
	for _, vi := range []lws.VhostInfo{
		{Name: "shown", Port: lws.PortNoListen, Protocols: []lws.Protocol{Protocol()},
			Mounts: []lws.Mount{{Mountpoint: "/m", Origin: "callback://" + Name}}},
		{Name: "machinery", Port: lws.PortNoListen, Unlisted: true, Protocols: []lws.Protocol{{Name: "x"}}},
	} {
		if _, err := cx.CreateVhost(vi); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, []byte("ok\xff"), 0o644)

	b, err := json.Marshal(snapshot(cx.Stats(), false, []string{file, file + ".missing"}))
	if err != nil {
		t.Fatal(err)
	}
	msg := string(b)
	for _, want := range []string{`"name":"shown"`, `"port":"-1"`, `"ws-protocols":[{"lws-server-status":{"status":"ok","conns":"0"}}]`,
		`"mounts":[{"mountpoint":"/m","origin":"callback://lws-server-status"`, `"files":[{"path":"` + file + `","val":"ok?"}]`,
		`"deprecated":"0"`, `"listen_wsi":"0"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %s in %s", want, msg)
		}
	}
	if strings.Contains(msg, "machinery") {
		t.Errorf("the Unlisted vhost is listed: %s", msg)
	}

	b, _ = json.Marshal(snapshot(cx.Stats(), true, nil))
	if msg := string(b); !strings.Contains(msg, `"vhosts":[]`) || !strings.Contains(msg, `"files":[]`) || !strings.Contains(msg, `"h1_trans":"0"`) {
		t.Errorf("hide-vhosts: %s", msg)
	}
}
