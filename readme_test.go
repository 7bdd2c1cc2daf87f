package lws_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestREADMECommands: every command line README.md shows (indented lines
// starting with "go run ./", "go build ./" or "./") names a program or
// script of the tree, every flag it gives is one the program defines, and
// every ./path argument exists.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`^\s+-([\w-]+)`)
	usage := map[string]map[string]bool{} // program and mode: its flags
	flagsOf := func(pkg string, mode string) map[string]bool {
		key := pkg + " " + mode
		if f, ok := usage[key]; ok {
			return f
		}
		bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
		args := []string{"-h"}
		if mode != "" {
			args = []string{mode, "-h"}
		}
		out, _ := exec.Command(bin, args...).CombinedOutput() // -h may exit 0 or 2
		flags := map[string]bool{"h": true}
		for _, l := range strings.Split(string(out), "\n") {
			if m := flagLine.FindStringSubmatch(l); m != nil {
				flags[m[1]] = true
			}
		}
		if len(flags) == 1 {
			t.Errorf("%s %s -h printed no flags:\n%s", pkg, mode, out)
		}
		usage[key] = flags
		return flags
	}
	commands := 0
	for n, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "    ") {
			continue
		}
		cmd, _, _ := strings.Cut(strings.TrimSpace(line), "#")
		words := strings.Fields(cmd)
		where := "README.md:" + strconv.Itoa(n+1)
		switch {
		case len(words) >= 3 && words[0] == "go" && (words[1] == "run" || words[1] == "build") && strings.HasPrefix(words[2], "./"):
			commands++
			pkg, args := words[2], words[3:]
			if words[1] == "build" {
				if _, err := os.Stat(pkg); err != nil {
					t.Errorf("%s: %v", where, err)
				}
				continue
			}
			mode := ""
			if len(args) > 0 && !strings.HasPrefix(args[0], "-") && pkg == "./cmd/lws-bench" {
				mode, args = args[0], args[1:]
			}
			flags := flagsOf(pkg, mode)
			for _, a := range args {
				switch {
				case strings.HasPrefix(a, "-"):
					if !flags[strings.TrimLeft(a, "-")] {
						t.Errorf("%s: %s has no flag %s", where, pkg, a)
					}
				case strings.HasPrefix(a, "./"):
					if _, err := os.Stat(a); err != nil {
						t.Errorf("%s: %v", where, err)
					}
				}
			}
		case len(words) >= 1 && strings.HasPrefix(words[0], "./"):
			commands++
			if st, err := os.Stat(words[0]); err != nil || st.Mode()&0o111 == 0 {
				t.Errorf("%s: %s is not an executable of the tree (%v)", where, words[0], err)
			}
		}
	}
	if commands == 0 {
		t.Error("README.md shows no command")
	}
}

// TestLwswsWithOwnPlugin does what README.md says to build lwsws with a
// plugin of one's own: one blank import added to cmd/lwsws/main.go (here
// through go build -overlay, leaving the tree alone) makes lwsws serve
// examples/greeter's protocol on its built-in site.
func TestLwswsWithOwnPlugin(t *testing.T) {
	dir := t.TempDir()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	mainGo := filepath.Join(root, "cmd", "lwsws", "main.go")
	src, err := os.ReadFile(mainGo)
	if err != nil {
		t.Fatal(err)
	}
	const imp = "import (\n"
	if !strings.Contains(string(src), imp) {
		t.Fatalf("cmd/lwsws/main.go has no import block")
	}
	withPlugin := strings.Replace(string(src), imp, imp+"\t_ \"github.com/golws/lws/examples/greeter\"\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(withPlugin), 0o600); err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{mainGo: filepath.Join(dir, "main.go")}})
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "lwsws")
	if out, err := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", bin, "./cmd/lwsws").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lwsws with the plugin: %v\n%s", err, out)
	}
	port := startServer(t, bin, "-p", "0", "-d", "7")
	d := websocket.Dialer{Subprotocols: []string{"greeter-protocol"}}
	conn, _, err := d.Dial("ws://127.0.0.1:"+port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.Subprotocol() != "greeter-protocol" {
		t.Fatalf("lwsws chose %q", conn.Subprotocol())
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("lwsws")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := conn.ReadMessage(); err != nil || string(got) != "hello, lwsws" {
		t.Fatalf("greeter over lwsws: %q %v", got, err)
	}
}
