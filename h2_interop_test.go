package lws_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golws/lws"
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

// runH2spec runs h2spec's cases of sections (all if none), strict ones
// included, against host:port and returns the ids of the cases that passed and a line for
// each that did not ("http2/6.9.1/2: description: what came back").
func runH2spec(t *testing.T, hostport, path string, tls bool, sections []string) (passed []string, failed []string) {
	t.Helper()
	bin := lookH2spec(t)
	host, port, _ := strings.Cut(hostport, ":")
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	args := []string{"-S", "-o", "2", "-h", host, "-p", port, "-P", path, "-j", report}
	if tls {
		args = append(args, "-t", "-k")
	}
	args = append(args, sections...)
	// Each case times out in 2 s; the whole run, in minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
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
// (prior knowledge) and over TLS on /form, a callback mount that reads a
// request's body before it answers (a request refused before its body
// is read would leave h2spec's checks of the body to chance), then the
// cases of stream concurrency and flow control over h2c on the site's
// files. A failed case fails the test with its id, unless the server is
// known to fail it (the reference only); fewer cases than h2spec has
// fails it too.
func TestH2Spec(t *testing.T) {
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		for _, mode := range []struct {
			name, addr, path string
			tls              bool
			sections         []string
			cases            int
		}{
			{"h2c", s.plain, "/form", false, nil, h2specCases},
			{"tls", s.tls, "/form", true, nil, h2specCases},
			{"h2c-files", s.plain, "/", false, []string{"http2/5.1.2", "http2/6.9"}, 10},
		} {
			t.Run(mode.name, func(t *testing.T) {
				passed, failed := runH2spec(t, mode.addr, mode.path, mode.tls, mode.sections)
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
				if len(passed)+known < mode.cases {
					t.Errorf("h2spec: %d cases passed and %d known to fail, want %d in all", len(passed), known, mode.cases)
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
// to the disk's (one larger than the windows), redirects and a 404, a
// CGI program's output without chunk framing, HEAD, Range,
// If-None-Match, and (but on the Upgrade, which curl makes only for
// requests without a body) a POST of a few MB to a callback mount and to
// a CGI program that echoes it.
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
				// mid.txt's first 64 KiB after an Upgrade's 101 overflow
				// curl 7.88's buffer unless the server waits for the
				// client's preface (as RFC 9113 lets it, and net/http does).
				for _, f := range []struct{ path, file string }{
					{"/", "index.html"}, {"/a.txt", "a.txt"}, {"/sub/", "sub/index.html"}, {"/mid.txt", "mid.txt"},
				} {
					want, err := os.ReadFile(filepath.Join(s.dir, f.file))
					if err != nil {
						t.Fatal(err)
					}
					r := fetch(f.path, mode.base+f.path)
					if r.status != 200 || r.body != string(want) {
						t.Errorf("%s: %d, %d bytes %q, want 200 and %d bytes %q", f.path, r.status, len(r.body), r.body[:min(len(r.body), 40)], len(want), want[:min(len(want), 40)])
					}
				}
				for _, rd := range []struct {
					path     string
					status   int
					location string
				}{
					{"/sub?x=1", 301, "/sub/?x=1"},
					{"/old/a/b", 301, "https://example.com/new/a/b"},
					{"/missing", 404, ""},
				} {
					r := fetch(rd.path, mode.base+rd.path)
					if r.status != rd.status || r.header.Get("Location") != rd.location {
						t.Errorf("%s: %d %q, want %d %q", rd.path, r.status, r.header.Get("Location"), rd.status, rd.location)
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
				r = fetch("HEAD", "-I", mode.base+"/a.txt")
				if r.status != 200 || r.header.Get("Content-Length") != "12" { // curl -I writes the head as the body
					t.Errorf("HEAD: %d %v", r.status, r.header)
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
					r = fetch("POST to CGI", "--data-binary", "@"+postFile, "-H", "Content-Type: application/octet-stream", mode.base+"/cgiecho")
					if r.status != 200 || r.body != string(post) {
						t.Errorf("POST to CGI: %d, %d bytes back, want 200 and the %d bytes sent", r.status, len(r.body), len(post))
					}
				}
			})
		}
	})
}

// h2Transport is a net/http client transport speaking HTTP/2 only to the
// site: over TLS by ALPN, or h2c by prior knowledge. dials counts its
// connections. conf tunes its HTTP/2 (nil: the defaults, but that it
// waits for a stream rather than dialing again).
func h2Transport(s *h2Site, tlsMode bool, dials *atomic.Int32, conf *http.HTTP2Config) *http.Transport {
	if conf == nil {
		conf = &http.HTTP2Config{}
	}
	conf.StrictMaxConcurrentRequests = true
	d := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, address)
		},
		TLSClientConfig: &tls.Config{RootCAs: s.pool},
		HTTP2:           conf,
		Protocols:       new(http.Protocols),
	}
	if tlsMode {
		tr.Protocols.SetHTTP2(true)
	} else {
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	return tr
}

// TestH2GoClient sends many requests at once from Go's HTTP/2 client
// (over TLS by ALPN, and h2c by prior knowledge) on one connection:
// files, callback-mount GETs and POSTs, CGI. Every answer is HTTP/2 and
// right, and the client dialed once.
func TestH2GoClient(t *testing.T) {
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		for _, mode := range []struct {
			name, base string
			tls        bool
		}{
			{"tls", "https://" + s.tls, true},
			{"h2c", "http://" + s.plain, false},
		} {
			t.Run(mode.name, func(t *testing.T) {
				var dials atomic.Int32
				tr := h2Transport(s, mode.tls, &dials, nil)
				defer tr.CloseIdleConnections()
				client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
				index, err := os.ReadFile(filepath.Join(s.dir, "index.html"))
				if err != nil {
					t.Fatal(err)
				}
				// One request first: the connection exists before the
				// concurrent ones, which then share it.
				if resp, body := get(t, client, mode.base+"/"); resp.StatusCode != 200 || resp.ProtoMajor != 2 || body != string(index) {
					t.Fatalf("/: %s %d %q", resp.Proto, resp.StatusCode, body)
				}
				// At most 50 at once: Go's client, made to wait for a
				// stream rather than dial, deadlocks when more requests
				// than the server's stream limit (100 on golws) wait.
				var wg sync.WaitGroup
				slots := make(chan struct{}, 50)
				for i := range 120 {
					wg.Go(func() {
						slots <- struct{}{}
						defer func() { <-slots }()
						var req *http.Request
						var want string
						switch i % 6 {
						case 0:
							req, _ = http.NewRequest("GET", mode.base+"/a.txt", nil)
							want = "hello, file\n"
						case 1:
							req, _ = http.NewRequest("GET", mode.base+"/sub/", nil)
							want = "<html>sub</html>\n"
						case 2, 3:
							body := bytes.Repeat([]byte{byte('a' + i%26)}, 1000*i+1)
							req, _ = http.NewRequest("POST", mode.base+"/form", bytes.NewReader(body))
							want = h2FormAnswer("POST", body)
						case 4:
							req, _ = http.NewRequest("GET", mode.base+"/form", nil)
							want = h2FormAnswer("GET", nil)
						case 5:
							if i%30 == 5 { // a few programs, not 20
								req, _ = http.NewRequest("GET", mode.base+"/cgi?n="+strconv.Itoa(i), nil)
								want = h2CGIBody("n=" + strconv.Itoa(i))
							} else {
								req, _ = http.NewRequest("GET", mode.base+"/", nil)
								want = string(index)
							}
						}
						resp, err := client.Do(req)
						if err != nil {
							t.Errorf("request %d %s: %v", i, req.URL.Path, err)
							return
						}
						got, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != 200 || resp.ProtoMajor != 2 || string(got) != want {
							t.Errorf("request %d %s %s: %s %d, %d bytes %q, %v; want %d bytes %q", i, req.Method, req.URL.RequestURI(),
								resp.Proto, resp.StatusCode, len(got), got[:min(len(got), 80)], err, len(want), want[:min(len(want), 80)])
						}
					})
				}
				wg.Wait()
				if n := dials.Load(); n != 1 {
					t.Errorf("%d connections, want 1", n)
				}
			})
		}
	})
}

// nghttpStreams reads nghttp -v's trace: the connections it made, and per
// stream the path it asked for, the status it got and the bytes of DATA.
type nghttpStream struct {
	path   string
	status string
	data   int
	ended  bool
}

var (
	nghttpSend   = regexp.MustCompile(`send HEADERS frame <.*stream_id=(\d+)>`)
	nghttpPath   = regexp.MustCompile(`^\s+:path: (\S+)`)
	nghttpStatus = regexp.MustCompile(`recv \(stream_id=(\d+)\) :status: (\d+)`)
	nghttpData   = regexp.MustCompile(`recv DATA frame <length=(\d+), flags=0x([0-9a-f]+), stream_id=(\d+)>`)
)

func nghttpTrace(out string) (connections int, streams map[string]*nghttpStream) {
	streams = map[string]*nghttpStream{}
	sending := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, "] Connected") {
			connections++
		}
		if m := nghttpSend.FindStringSubmatch(line); m != nil {
			sending = m[1]
			streams[sending] = &nghttpStream{}
			continue
		}
		if m := nghttpPath.FindStringSubmatch(line); m != nil && sending != "" {
			streams[sending].path = m[1]
			sending = ""
			continue
		}
		if m := nghttpStatus.FindStringSubmatch(line); m != nil && (streams[m[1]] != nil || m[1] == "1") {
			if streams[m[1]] == nil { // the answer to an Upgrade
				streams[m[1]] = &nghttpStream{}
			}
			streams[m[1]].status = m[2]
		}
		if m := nghttpData.FindStringSubmatch(line); m != nil && streams[m[3]] != nil {
			n, _ := strconv.Atoi(m[1])
			flags, _ := strconv.ParseUint(m[2], 16, 8)
			streams[m[3]].data += n
			streams[m[3]].ended = streams[m[3]].ended || flags&1 != 0
		}
	}
	return connections, streams
}

// TestH2Nghttp fetches several of the site's resources at once with
// nghttp on one connection (TLS by ALPN, h2c by prior knowledge, h2c by
// Upgrade): each is 200 with as many bytes of DATA as the file has, and
// nghttp connected once. h2load then sends 400 requests, 20 at a time, on
// one connection: all succeed over h2.
func TestH2Nghttp(t *testing.T) {
	nghttp := lookPeer(t, "nghttp", "nghttp2-client")
	h2load := lookPeer(t, "h2load", "nghttp2-client")
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		want := map[string]int{"/": 0, "/a.txt": 0, "/sub/": 0, "/error.css": 0, "/mid.txt": 0, "/cgi?n=1": len(h2CGIBody("n=1")), "/form": len(h2FormAnswer("GET", nil))}
		for path, file := range map[string]string{"/": "index.html", "/a.txt": "a.txt", "/sub/": "sub/index.html", "/error.css": "error.css", "/mid.txt": "mid.txt"} {
			fi, err := os.Stat(filepath.Join(s.dir, file))
			if err != nil {
				t.Fatal(err)
			}
			want[path] = int(fi.Size())
		}
		for _, mode := range []struct {
			name, base string
			args       []string
		}{
			{"tls", "https://" + s.tls, nil},
			{"prior-knowledge", "http://" + s.plain, nil},
			{"upgrade", "http://" + s.plain, []string{"-u"}},
		} {
			t.Run(mode.name, func(t *testing.T) {
				args := append([]string{"-n", "-v", "-t", "20"}, mode.args...)
				paths := slices.Sorted(maps.Keys(want))
				for _, path := range paths {
					args = append(args, mode.base+path)
				}
				out, err := exec.Command(nghttp, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("nghttp %v: %v\n%s", args, err, out)
				}
				conns, streams := nghttpTrace(string(out))
				if mode.name == "upgrade" {
					// The first request, sent in HTTP/1.1, is answered
					// on stream 1; nghttp traces no HEADERS it sent.
					if streams["1"] == nil {
						streams["1"] = &nghttpStream{}
					}
					streams["1"].path = paths[0]
				}
				if len(streams) != len(want) {
					t.Errorf("%d streams, want %d", len(streams), len(want))
				}
				if conns != 1 {
					t.Errorf("nghttp connected %d times, want once", conns)
				}
				got := map[string]int{}
				for id, st := range streams {
					if st.status != "200" || !st.ended {
						t.Errorf("stream %s (%s): status %q, ended %v", id, st.path, st.status, st.ended)
					}
					got[st.path] = st.data
				}
				if !maps.Equal(got, want) {
					t.Errorf("bytes of DATA per path: %v, want %v", got, want)
				}
				if t.Failed() {
					t.Logf("nghttp's trace:\n%s", out)
				}

				if mode.name == "upgrade" {
					return // h2load has no Upgrade
				}
				out, err = exec.Command(h2load, "-n", "400", "-c", "1", "-m", "20", "-T", "20", mode.base+"/a.txt").CombinedOutput()
				if err != nil {
					t.Fatalf("h2load: %v\n%s", err, out)
				}
				if !strings.Contains(string(out), "Application protocol: h2") && !strings.Contains(string(out), "Application protocol: h2c") ||
					!strings.Contains(string(out), "requests: 400 total, 400 started, 400 done, 400 succeeded, 0 failed") ||
					!strings.Contains(string(out), "status codes: 400 2xx") {
					t.Errorf("h2load:\n%s", out)
				}
			})
		}
	})
}

// h2BigFile makes a sparse file of size bytes in dir with, every MiB,
// its offset written in decimal, and returns its name.
func h2BigFile(t *testing.T, dir string, size int64) string {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "big.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for off := int64(0); off < size; off += 1 << 20 {
		if _, err := f.WriteAt([]byte(strconv.FormatInt(off, 10)), off); err != nil {
			t.Fatal(err)
		}
	}
	return "big.txt"
}

// heapInuse is the process's heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestH2SlowReaderMemory fetches 100 MiB over HTTP/2 (TLS and h2c), a
// file and a CGI program's output, with a client that reads slowly and
// stops for a while more than once, with a 64 KiB window: the server, in
// this process, must follow the reader rather than read the file or the
// program's pipe ahead, so the heap stays within 16 MiB of where it was
// before, while reading and after. The bytes arrive whole and in order:
// the file's offset every MiB, zeros between.
func TestH2SlowReaderMemory(t *testing.T) {
	const size = 100 << 20
	const bound = 16 << 20
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		name := h2BigFile(t, s.dir, size)
		for _, mode := range []struct {
			name, base string
			tls        bool
		}{
			{"tls", "https://" + s.tls, true},
			{"h2c", "http://" + s.plain, false},
		} {
			for _, src := range []struct {
				name, path string
				length     int64 // -1: unknown
				marks      bool  // the offset written every MiB
			}{
				{"file", "/" + name, size, true},
				{"cgi", "/cgibig", -1, false},
			} {
				t.Run(mode.name+"/"+src.name, func(t *testing.T) {
					var dials atomic.Int32
					tr := h2Transport(s, mode.tls, &dials, &http.HTTP2Config{
						MaxReceiveBufferPerConnection: 64 << 10,
						MaxReceiveBufferPerStream:     64 << 10,
					})
					defer tr.CloseIdleConnections()
					client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
					base := heapInuse()
					// The heap's peak without collections, sampled all along:
					// reported, and bounded loosely (garbage counts).
					stopPeak := heapPeak()
					stopped := false
					defer func() {
						if !stopped {
							stopPeak()
						}
					}()
					resp, err := client.Get(mode.base + src.path)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					if resp.StatusCode != 200 || resp.ProtoMajor != 2 || resp.ContentLength != src.length {
						t.Fatalf("%s %d, length %d", resp.Proto, resp.StatusCode, resp.ContentLength)
					}
					check := func(when string, at int64) {
						if h := heapInuse(); h > base+bound {
							t.Errorf("%s (%d MiB read): heap in use %d MiB, was %d MiB before", when, at>>20, h>>20, base>>20)
						}
					}
					buf := make([]byte, 16<<10)
					zeros := make([]byte, len(buf))
					var got int64
					for got < size {
						// Slowly through the first 4 MiB; stop at 1, 2 and
						// 50 MiB as a reader that does not read at all.
						if got < 4<<20 {
							time.Sleep(time.Millisecond)
						}
						if got%(1<<20) == 0 && (got == 1<<20 || got == 2<<20 || got == 50<<20) {
							time.Sleep(300 * time.Millisecond)
							check("a stopped reader", got)
						}
						n, err := io.ReadFull(resp.Body, buf[:min(int64(len(buf)), size-got)])
						if err != nil {
							t.Fatalf("after %d bytes: %v", got+int64(n), err)
						}
						rest := buf[:n]
						if src.marks && got%(1<<20) == 0 {
							mark := strconv.FormatInt(got, 10)
							if string(buf[:len(mark)]) != mark {
								t.Fatalf("at %d: %q", got, buf[:len(mark)])
							}
							rest = buf[len(mark):n]
						}
						if !bytes.Equal(rest, zeros[:len(rest)]) {
							t.Fatalf("bytes other than zeros in the %d bytes from %d", n, got)
						}
						got += int64(n)
					}
					if n, err := resp.Body.Read(buf); n != 0 || err != io.EOF {
						t.Errorf("after the %d bytes: %d bytes more, %v", size, n, err)
					}
					check("after", got)
					peak := stopPeak()
					stopped = true
					t.Logf("heap in use: %d MiB before, peak %d MiB while reading (garbage included)", base>>20, peak>>20)
					if peak > base+4*bound {
						t.Errorf("heap in use peaked at %d MiB, %d MiB before", peak>>20, base>>20)
					}
				})
			}
		}
	})
}

// TestH2ALPNOptOut checks VhostInfo.ALPN: the TLS vhost offers what it
// lists in its order of preference, and one without "h2" serves no
// HTTP/2 at all: curl --http2 gets HTTP/1.1 over TLS and on the plain
// port (no Upgrade), and a client preface on the plain port gets no
// HTTP/2 answer.
func TestH2ALPNOptOut(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
	dir := httpSite(t)
	alpns := []string{"", "h2,http/1.1", "http/1.1,h2", "http/1.1"}
	tlsVhosts := make([]*lws.Vhost, len(alpns))
	var plain *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		mounts := []lws.Mount{{Mountpoint: "/", Origin: "file://" + dir}}
		for i, alpn := range alpns {
			tlsVhosts[i] = httpVhost(t, cx, lws.VhostInfo{
				Name:            "localhost",
				SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
				ALPN: alpn, Mounts: mounts,
			})
		}
		plain = httpVhost(t, cx, lws.VhostInfo{Name: "plain", ALPN: "http/1.1", Mounts: mounts})
	})
	s := &h2Site{cert: cert, pool: pool}
	for i, want := range []string{"h2", "h2", "http/1.1", "http/1.1"} {
		conn, err := tls.Dial("tcp", addr(tlsVhosts[i]), &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatalf("ALPN %q: %v", alpns[i], err)
		}
		if got := conn.ConnectionState().NegotiatedProtocol; got != want {
			t.Errorf("ALPN %q: the client offering h2 and http/1.1 got %q, want %q", alpns[i], got, want)
		}
		conn.Close()
	}
	optOut := tlsVhosts[len(tlsVhosts)-1]
	for _, url := range []string{"https://" + addr(optOut) + "/a.txt", "http://" + addr(plain) + "/a.txt"} {
		r := curlH2(t, s, "--http2", url)
		if r.version != "1.1" || r.status != 200 || r.body != "hello, file\n" {
			t.Errorf("curl --http2 %s: HTTP/%s %d %q, want HTTP/1.1 200", url, r.version, r.status, r.body)
		}
	}
	var dials atomic.Int32
	tr := h2Transport(&h2Site{}, false, &dials, nil)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	if resp, err := client.Get("http://" + addr(plain) + "/a.txt"); err == nil {
		resp.Body.Close()
		t.Errorf("a client preface on a vhost without h2: %s %d", resp.Proto, resp.StatusCode)
	}
}

// TestH2StreamReset resets streams in the middle of their answers, over
// TLS and h2c: a 100 MiB file, and a CGI program that never ends. The
// connection goes on serving (one dial in all), the program is killed
// and reaped, and the descriptors the answers held are closed.
func TestH2StreamReset(t *testing.T) {
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		name := h2BigFile(t, s.dir, 100<<20)
		for _, mode := range []struct {
			name, base string
			tls        bool
		}{
			{"tls", "https://" + s.tls, true},
			{"h2c", "http://" + s.plain, false},
		} {
			t.Run(mode.name, func(t *testing.T) {
				os.Remove(s.slowPID)
				var dials atomic.Int32
				tr := h2Transport(s, mode.tls, &dials, nil)
				defer tr.CloseIdleConnections()
				client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
				if resp, body := get(t, client, mode.base+"/a.txt"); resp.ProtoMajor != 2 || body != "hello, file\n" {
					t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, body)
				}
				fds := openFDs(t)

				// Read the start of each answer, then reset its stream.
				start := func(path string, n int) {
					t.Helper()
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					req, _ := http.NewRequestWithContext(ctx, "GET", mode.base+path, nil)
					resp, err := client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
						t.Fatalf("%s: %s %d", path, resp.Proto, resp.StatusCode)
					}
					if _, err := io.ReadFull(resp.Body, make([]byte, n)); err != nil {
						t.Fatalf("%s: %v", path, err)
					}
				}
				start("/"+name, 1<<20)
				start("/cgislow", 100)
				var pid int
				waitFor(t, "the program's pid", func() bool {
					b, _ := os.ReadFile(s.slowPID)
					pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
					return pid > 0
				})
				waitFor(t, "the program to be killed and reaped", func() bool {
					_, err := os.Stat("/proc/" + strconv.Itoa(pid))
					return os.IsNotExist(err)
				})
				for range 3 {
					if resp, body := get(t, client, mode.base+"/a.txt"); resp.ProtoMajor != 2 || body != "hello, file\n" {
						t.Fatalf("after the resets: %s %d %q", resp.Proto, resp.StatusCode, body)
					}
				}
				if n := dials.Load(); n != 1 {
					t.Errorf("%d connections, want 1", n)
				}
				waitFor(t, "the answers' descriptors to close", func() bool { return openFDs(t) <= fds })
			})
		}
	})
}

// zeros is a request body of n zero bytes, made as it is read.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// heapPeak samples the heap in use (garbage included) until the
// returned function is called, which returns the highest sample.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-sampled
		return peak.Load()
	}
}

// TestH2CGISlowStdin posts 100 MiB over HTTP/2 (TLS and h2c) to a CGI
// program that reads nothing for a second: the server must hold the
// client back by the stream's window rather than keep what the program
// does not take, so the heap never grows by more than 64 MiB (garbage
// included), and the program counts every byte. The same over HTTP/1.1
// is the baseline.
func TestH2CGISlowStdin(t *testing.T) {
	const size = 100 << 20
	forEachH2Server(t, func(t *testing.T, s *h2Site) {
		for _, mode := range []struct {
			name, base string
			tls        bool
		}{
			{"tls", "https://" + s.tls, true},
			{"h2c", "http://" + s.plain, false},
			{"http1.1", "http://" + s.plain, false},
		} {
			t.Run(mode.name, func(t *testing.T) {
				var dials atomic.Int32
				tr := h2Transport(s, mode.tls, &dials, nil)
				if mode.name == "http1.1" {
					tr = &http.Transport{}
				}
				defer tr.CloseIdleConnections()
				client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
				base := heapInuse()
				stop := heapPeak()
				req, _ := http.NewRequest("POST", mode.base+"/cgiwc", &zeros{n: size})
				req.ContentLength = size // not chunked, which net/http's CGI refuses
				resp, err := client.Do(req)
				if err != nil {
					stop()
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				peak := stop()
				if (resp.ProtoMajor != 2) != (mode.name == "http1.1") || resp.StatusCode != 200 || strings.TrimSpace(string(body)) != strconv.Itoa(size) || err != nil {
					t.Errorf("%s %d %q %v, want 200 and %d", resp.Proto, resp.StatusCode, body, err, size)
				}
				t.Logf("heap in use: %d MiB before, peak %d MiB (garbage included)", base>>20, peak>>20)
				if peak > base+64<<20 {
					t.Errorf("heap in use peaked at %d MiB, %d MiB before", peak>>20, base>>20)
				}
			})
		}
	})
}
