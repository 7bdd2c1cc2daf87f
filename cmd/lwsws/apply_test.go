package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadDirLikeLws: what lws only logs does not stop lwsws either. A
// ws-protocols entry for a protocol lwsws lacks is a warning at its line
// (and, being listed, still keeps the other plugins off the vhost), and
// file://, .zip and cgi:// origins missing from the disk are warnings at
// their lines, mounted so that requests fail instead.
func TestLoadDirLikeLws(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "not-yet")
	conf := `{ "vhosts": [ {
  "name": "v", "port": "7681",
  "mounts": [
    { "mountpoint": "/a", "origin": "file://` + absent + `" },
    { "mountpoint": "/z", "origin": "file://` + filepath.Join(dir, "gone.zip") + `" },
    { "mountpoint": "/c",
      "origin": "cgi://` + filepath.Join(dir, "gone.sh") + `" }
  ],
  "ws-protocols": [ { "no-such-protocol": { "status": "ok" } } ]
} ] }
`
	os.WriteFile(filepath.Join(dir, "conf"), []byte(conf), 0o644)
	srv, err := loadDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "conf")
	for _, want := range []string{
		file + `:9:23: protocol "no-such-protocol" is not a plugin of this lwsws, its options are ignored (plugins: `,
		file + ":4:27: mount /a: origin " + absent + " does not exist: requests get 404 while it is missing",
		file + ":5:27: mount /z: archive " + filepath.Join(dir, "gone.zip") + " does not exist",
		file + ":7:7: mount /c: CGI program " + filepath.Join(dir, "gone.sh") + " does not exist",
	} {
		found := false
		for _, w := range srv.warnings {
			found = found || strings.HasPrefix(w, want)
		}
		if !found {
			t.Errorf("no warning %q in\n%s", want, strings.Join(srv.warnings, "\n"))
		}
	}
	vi := srv.vhosts[0]
	if len(vi.Protocols) != 1 || vi.Protocols[0].Name != "http-only" {
		t.Errorf("protocols %v: listing only an unknown protocol enables none", len(vi.Protocols))
	}
	if _, ok := vi.ProtocolOptions["no-such-protocol"]; ok {
		t.Error("the unknown protocol's options were kept")
	}
	for _, m := range vi.Mounts {
		if m.FS == nil {
			t.Fatalf("mount %s: no stand-in for its missing origin", m.Mountpoint)
		}
		if _, err := m.FS.Open("index.html"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("mount %s: %v, want not found", m.Mountpoint, err)
		}
	}
	// The directory is looked for at each request, as lws does: once it is
	// there, it serves, and still nothing leads out of it.
	os.MkdirAll(absent, 0o755)
	os.WriteFile(filepath.Join(absent, "index.html"), []byte("now here"), 0o644)
	os.Symlink("/etc/hostname", filepath.Join(absent, "out"))
	f, err := vi.Mounts[0].FS.Open("index.html")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "now here" {
		t.Errorf("read %q", b)
	}
	if f, err := vi.Mounts[0].FS.Open("out"); err == nil {
		f.Close()
		t.Error("a symbolic link led out of the origin")
	}
}

// TestGlobalLimitKeys: golws's keys for its own limits reach the context.
func TestGlobalLimitKeys(t *testing.T) {
	dir := t.TempDir()
	conf := `{ "global": { "send-queue-limit": "32768", "http-body-timeout-secs": "30",
  "http-body-min-rate": "500", "file-read-workers": "2" },
  "vhosts": [ { "name": "v", "port": "7681" } ] }
`
	os.WriteFile(filepath.Join(dir, "conf"), []byte(conf), 0o644)
	srv, err := loadDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.warnings) != 0 {
		t.Errorf("warnings: %v", srv.warnings)
	}
	got := srv.info
	if got.SendQueueLimit != 32768 || got.HTTPBodyTimeout != 30*time.Second ||
		got.HTTPBodyMinRate != 500 || got.FileReadWorkers != 2 {
		t.Errorf("send queue %d, body timeout %v, min rate %d, file readers %d; want 32768, 30s, 500, 2",
			got.SendQueueLimit, got.HTTPBodyTimeout, got.HTTPBodyMinRate, got.FileReadWorkers)
	}
}

// TestALPNKeys: a vhost's "alpn" list, or the global "default-alpn",
// chooses what its TLS offers; "http/1.1" alone turns HTTP/2 off.
func TestALPNKeys(t *testing.T) {
	dir := t.TempDir()
	conf := `{ "global": { "default-alpn": "http/1.1" }, "vhosts": [
  { "name": "a", "port": "7681" },
  { "name": "b", "port": "7681", "alpn": "h2,http/1.1" } ] }
`
	os.WriteFile(filepath.Join(dir, "conf"), []byte(conf), 0o644)
	srv, err := loadDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := srv.vhosts[0].ALPN, srv.vhosts[1].ALPN; a != "http/1.1" || b != "h2,http/1.1" {
		t.Errorf("ALPN %q and %q", a, b)
	}
	for _, w := range srv.warnings {
		if strings.Contains(w, "alpn") {
			t.Errorf("warning %q", w)
		}
	}
}
