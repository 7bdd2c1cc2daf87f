package lws_test

import (
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// h2specCases is how many cases h2spec 2.2.1 runs with -S (strict).
const h2specCases = 146

// lookH2spec finds h2spec on PATH, then where go install puts it
// (GOBIN, or GOPATH/bin). Without it the test fails when
// LWS_REQUIRE_PEERS is set and is skipped otherwise.
func lookH2spec(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var dirs []string
		if len(lines) == 2 && lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		for _, gopath := range filepath.SplitList(lines[len(lines)-1]) {
			dirs = append(dirs, filepath.Join(gopath, "bin"))
		}
		for _, d := range dirs {
			p := filepath.Join(d, "h2spec")
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p
			}
		}
	}
	msg := "h2spec is not installed (go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible): run ./scripts/test.sh, which installs it"
	if os.Getenv("LWS_REQUIRE_PEERS") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// h2specReport is the part of h2spec's JUnit report the test reads.
type h2specReport struct {
	Suites []struct {
		Package string `xml:"package,attr"` // the section, "http2/6.9.1"
		Name    string `xml:"name,attr"`
		Cases   []struct {
			Desc    string    `xml:"classname,attr"`
			Failure *string   `xml:"failure"`
			Error   *string   `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// runH2spec runs every h2spec case, strict ones included, against
// host:port and returns the ids of the cases that passed and a line for
// each that did not ("http2/6.9.1/2: description: what came back").
func runH2spec(t *testing.T, hostport, path string, tls bool) (passed []string, failed []string) {
	t.Helper()
	bin := lookH2spec(t)
	host, port, _ := strings.Cut(hostport, ":")
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	args := []string{"-S", "-o", "2", "-h", host, "-p", port, "-P", path, "-j", report}
	if tls {
		args = append(args, "-t", "-k")
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	// h2spec exits 1 when a case fails; the report says which.
	data, rerr := os.ReadFile(report)
	if rerr != nil {
		t.Fatalf("h2spec %v: %v, no report: %v\n%s", args, err, rerr, out)
	}
	var r h2specReport
	if err := xml.Unmarshal(data, &r); err != nil {
		t.Fatalf("h2spec's report: %v", err)
	}
	for _, s := range r.Suites {
		for i, c := range s.Cases {
			id := s.Package + "/" + strconv.Itoa(i+1)
			switch {
			case c.Failure != nil:
				failed = append(failed, id+": "+c.Desc+": "+oneLine(*c.Failure))
			case c.Error != nil:
				failed = append(failed, id+": "+c.Desc+": "+oneLine(*c.Error))
			case c.Skipped != nil:
				failed = append(failed, id+": "+c.Desc+": skipped")
			default:
				passed = append(passed, id)
			}
		}
	}
	if err != nil && len(failed) == 0 {
		t.Errorf("h2spec %v: %v with no failed case\n%s", args, err, out)
	}
	return passed, failed
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}

// TestH2Spec runs h2spec's every case, strict ones included, over h2c
// (prior knowledge) on the site's files at / and over TLS on /form, a
// callback mount that takes POST bodies. A failed case fails the test
// with its id, unless the server is known to fail it (the reference
// only); fewer cases than h2spec has fails it too.
func TestH2Spec(t *testing.T) {
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		for _, mode := range []struct {
			name, addr, path string
			tls              bool
		}{
			{"h2c", s.plain, "/", false},
			{"tls", s.tls, "/form", true},
		} {
			t.Run(mode.name, func(t *testing.T) {
				passed, failed := runH2spec(t, mode.addr, mode.path, mode.tls)
				known := 0
				for _, f := range failed {
					id, _, _ := strings.Cut(f, ":")
					if s.h2specKnown[id] {
						known++
						t.Logf("h2spec failed %s (known)", f)
						continue
					}
					t.Errorf("h2spec failed %s", f)
				}
				if len(passed)+known < h2specCases {
					t.Errorf("h2spec: %d cases passed and %d known to fail, want %d in all", len(passed), known, h2specCases)
				}
			})
		}
	})
}

// h2Curl is what curl fetched: the last response head (after a 101 of
// an Upgrade), the body and the HTTP version curl used.
type h2Curl struct {
	version string // %{http_version}: "2", "1.1"
	status  int
	header  http.Header
	body    string
}

// curlH2 runs curl with args (its options and URL) and returns what it
// fetched.
func curlH2(t *testing.T, s *h2Site, args ...string) h2Curl {
	t.Helper()
	bin := lookPeer(t, "curl", "curl")
	dir := t.TempDir()
	head, body := filepath.Join(dir, "head"), filepath.Join(dir, "body")
	all := append([]string{"-sS", "--max-time", "20", "--cacert", s.cert, "-D", head, "-o", body,
		"-w", "%{http_version} %{http_code}"}, args...)
	out, err := exec.Command(bin, all...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	var r h2Curl
	var code string
	r.version, code, _ = strings.Cut(strings.TrimSpace(string(out)), " ")
	r.status, _ = strconv.Atoi(code)
	h, err := os.ReadFile(head)
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(h), "\r\n", "\n")), "\n\n")
	r.header = http.Header{}
	for _, line := range strings.Split(blocks[len(blocks)-1], "\n")[1:] {
		if k, v, ok := strings.Cut(line, ":"); ok {
			r.header.Add(k, strings.TrimSpace(v))
		}
	}
	b, err := os.ReadFile(body)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	r.body = string(b)
	return r
}

// TestH2Curl fetches the site with curl over HTTP/2 three ways: TLS with
// ALPN, h2c by prior knowledge and h2c by Upgrade. Every answer must
// come over HTTP/2 (curl falls back to HTTP/1.1 silently): files equal
// to the disk's, a CGI program's output without chunk framing, Range,
// If-None-Match, and (but on the Upgrade, which curl makes only for
// requests without a body) a POST of a few MB to a callback mount.
func TestH2Curl(t *testing.T) {
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		post := make([]byte, 3<<20+7)
		for i := range post {
			post[i] = byte(i*7 + i>>11)
		}
		postFile := filepath.Join(t.TempDir(), "post")
		if err := os.WriteFile(postFile, post, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []struct {
			name, base string
			flag       string
		}{
			{"tls", "https://" + s.tls, "--http2"},
			{"prior-knowledge", "http://" + s.plain, "--http2-prior-knowledge"},
			{"upgrade", "http://" + s.plain, "--http2"},
		} {
			t.Run(mode.name, func(t *testing.T) {
				fetch := func(what string, args ...string) h2Curl {
					t.Helper()
					r := curlH2(t, s, append([]string{mode.flag}, args...)...)
					if r.version != "2" {
						t.Errorf("%s: HTTP/%s, want HTTP/2", what, r.version)
					}
					return r
				}
				for _, f := range []struct{ path, file string }{
					{"/", "index.html"}, {"/a.txt", "a.txt"}, {"/sub/", "sub/index.html"},
				} {
					want, err := os.ReadFile(filepath.Join(s.dir, f.file))
					if err != nil {
						t.Fatal(err)
					}
					r := fetch(f.path, mode.base+f.path)
					if r.status != 200 || r.body != string(want) {
						t.Errorf("%s: %d %q, want 200 %q", f.path, r.status, r.body, want)
					}
				}
				r := fetch("/cgi", mode.base+"/cgi?q=1")
				if want := h2CGIBody("q=1"); r.status != 200 || r.body != want || r.header.Get("X-Script") != "yes" {
					t.Errorf("/cgi: %d %v, body of %d bytes starting %q, want 200 and %d bytes starting %q",
						r.status, r.header, len(r.body), r.body[:min(len(r.body), 60)], len(want), want[:60])
				}
				r = fetch("range", "-r", "0-4", mode.base+"/a.txt")
				if r.status != 206 || r.body != "hello" || r.header.Get("Content-Range") != "bytes 0-4/12" {
					t.Errorf("range: %d %v %q", r.status, r.header, r.body)
				}
				r = fetch("etag", mode.base+"/a.txt")
				etag := r.header.Get("Etag")
				if etag == "" {
					t.Fatalf("no ETag: %v", r.header)
				}
				r = fetch("If-None-Match", "-H", "If-None-Match: "+etag, mode.base+"/a.txt")
				if r.status != 304 || r.body != "" {
					t.Errorf("If-None-Match: %d %q, want 304 and no body", r.status, r.body)
				}
				if mode.name != "upgrade" {
					r = fetch("POST", "--data-binary", "@"+postFile, "-H", "Content-Type: application/octet-stream", mode.base+"/form")
					if want := h2FormAnswer("POST", post); r.status != 200 || r.body != want {
						t.Errorf("POST: %d %q, want 200 %q", r.status, r.body, want)
					}
				}
			})
		}
	})
}
