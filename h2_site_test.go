package lws_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/http2"
	//lint:ignore SA1019 it alone serves the Upgrade to h2c (RFC 7540 3.2) the reference must answer
	"golang.org/x/net/http2/h2c"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/plugins/dumbincrement"
)

// h2Site is one server of the HTTP/2 interoperability tests: the same
// site on a plain port (h2c by prior knowledge or Upgrade, and HTTP/1.1)
// and a TLS port (h2 or http/1.1 by ALPN). The site:
//
//	/          files of dir (index.html, a.txt, sub/index.html, mid.txt
//	           of 1 MiB and a bit, ...): ETag,
//	           Range, 304; other methods than GET and HEAD get 405
//	/form      any method: "METHOD LENGTH SHA256\n" of the request body;
//	           GET answers without a length, POST with one
//	/cgi       a CGI script printing h2CGIBody() without a length
//	           (chunked on HTTP/1.1)
//	/cgiecho   a CGI script echoing the request's body
//	/cgislow   a CGI script writing its pid to slowPID, then lines of
//	           1 KB forever
//	/cgibig    a CGI script writing 100 MiB of zeros at once
//	/cgiwc     a CGI script that sleeps a second, then counts the bytes
//	           of the request's body
//	/old/...   301 to https://example.com/new/...
//	WebSocket  dumb-increment-protocol on any path
type h2Site struct {
	dir   string // the files at /
	plain string // host:port
	tls   string // host:port
	cert  string // PEM file of the TLS certificate, for 127.0.0.1 and localhost
	pool  *x509.CertPool

	slowPID string // where /cgislow writes its pid

	// webSockets, if set, counts the WebSockets the server opened and
	// those of them carried by an HTTP/2 stream (golws only).
	webSockets func() (all, overH2 int)

	// h2specKnown lists the h2spec cases the server is known to fail
	// (net/http's deviations); they are logged, not failed.
	h2specKnown map[string]bool
}

// h2Servers are the servers the HTTP/2 tests run against. net/http's
// HTTP/2 server serving the same site is the reference: a failure on it
// alone is a fault of the test.
var h2Servers = []struct {
	name  string
	start func(t *testing.T) *h2Site
}{
	{"golws", startH2Golws},
	{"nethttp", startH2NetHTTP},
}

func forEachH2Server(t *testing.T, fn func(t *testing.T, s *h2Site)) {
	for _, srv := range h2Servers {
		t.Run(srv.name, func(t *testing.T) { fn(t, srv.start(t)) })
	}
}

// h2CGIScript is the site's CGI program: a head, then h2CGIBody, with no
// length.
const h2CGIScript = `printf 'Content-Type: text/plain\r\nX-Script: yes\r\n\r\n'
echo "method=$REQUEST_METHOD query=$QUERY_STRING"
i=0
while [ $i -lt 2000 ]; do echo "line $i of the script's output"; i=$((i+1)); done
`

// h2CGIBody is what the site's CGI program prints for a GET with query.
func h2CGIBody(query string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "method=GET query=%s\n", query)
	for i := range 2000 {
		fmt.Fprintf(&b, "line %d of the script's output\n", i)
	}
	return b.String()
}

// h2FormAnswer is /form's answer to a request with body.
func h2FormAnswer(method string, body []byte) string {
	sum := sha256.Sum256(body)
	return fmt.Sprintf("%s %d %s\n", method, len(body), hex.EncodeToString(sum[:]))
}

// h2FormSession is one /form transaction on golws.
type h2FormSession struct {
	method string
	body   []byte
	answer []byte
	head   bool // the head is written, the body is next
}

// h2FormProtocol serves /form on golws.
func h2FormProtocol() lws.Protocol {
	return lws.Protocol{
		Name:       "h2-form",
		NewSession: func() any { return new(h2FormSession) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*h2FormSession)
			if s == nil {
				return nil
			}
			switch reason {
			case lws.CallbackHTTP:
				_, s.method = c.HTTPURIAndMethod()
				// A body follows unless the method has none or says
				// its length is 0.
				if s.method == "GET" || s.method == "HEAD" || strings.TrimSpace(c.Hdr(hdr.TokenContentLength)) == "0" {
					c.CallbackOnWritable()
				}
			case lws.CallbackHTTPBody:
				s.body = append(s.body, in...)
			case lws.CallbackHTTPBodyCompletion:
				c.CallbackOnWritable()
			case lws.CallbackHTTPWriteable:
				if !s.head {
					s.answer = []byte(h2FormAnswer(s.method, s.body))
					length := int64(len(s.answer))
					if s.method == "GET" {
						length = -1
					}
					b, err := c.AddHTTPCommonHeaders(nil, 200, "text/plain", length)
					if err != nil {
						return err
					}
					if err := c.FinalizeWriteHTTPHeader(b); err != nil {
						return err
					}
					s.head = true
					c.CallbackOnWritable()
					return nil
				}
				if _, err := c.Write(s.answer, lws.WriteHTTPFinal); err != nil {
					return err
				}
				return c.HTTPTransactionCompleted()
			}
			return nil
		},
	}
}

// h2SiteFiles writes the site's files and CGI scripts: httpSite's, and
// mid.txt, 1 MiB and a bit, larger than HTTP/2's initial windows.
func h2SiteFiles(t *testing.T) (dir, script, echo string) {
	dir = httpSite(t)
	mid := make([]byte, 1<<20+12345)
	for i := range mid {
		mid[i] = 'a' + byte(i%251%26)
	}
	if err := os.WriteFile(filepath.Join(dir, "mid.txt"), mid, 0o644); err != nil {
		t.Fatal(err)
	}
	script = cgiScript(t, t.TempDir(), "h2.sh", h2CGIScript)
	echo = cgiScript(t, t.TempDir(), "echo.sh", "printf 'Content-Type: application/octet-stream\\r\\n\\r\\n'\ncat\n")
	return dir, script, echo
}

// h2SlowCGI writes /cgislow's script and returns it and its pid file.
// Its lines are long enough to pass a buffering server's buffers soon.
func h2SlowCGI(t *testing.T) (script, pidFile string) {
	dir := t.TempDir()
	pidFile = filepath.Join(dir, "pid")
	script = cgiScript(t, dir, "slow.sh", `echo $$ > `+pidFile+`
printf 'Content-Type: text/plain\r\n\r\n'
i=0
while true; do printf '%1000s\n' "$i"; i=$((i+1)); sleep 0.01; done
`)
	return script, pidFile
}

// h2BigCGI writes /cgibig's and /cgiwc's scripts.
func h2BigCGI(t *testing.T) (big, wc string) {
	dir := t.TempDir()
	big = cgiScript(t, dir, "big.sh", `printf 'Content-Type: application/octet-stream\r\n\r\n'
head -c 104857600 /dev/zero
`)
	wc = cgiScript(t, dir, "wc.sh", `sleep 1
printf 'Content-Type: text/plain\r\n\r\n'
wc -c
`)
	return big, wc
}

// startH2Golws serves the site from golws: a plain vhost and a TLS vhost
// on one loop.
func startH2Golws(t *testing.T) *h2Site {
	dir, script, echo := h2SiteFiles(t)
	slow, slowPID := h2SlowCGI(t)
	big, wc := h2BigCGI(t)
	cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
	mounts := []lws.Mount{
		{Mountpoint: "/", Origin: "file://" + dir},
		{Mountpoint: "/form", Origin: "callback://h2-form"},
		{Mountpoint: "/cgi", Origin: "cgi://" + script},
		{Mountpoint: "/cgiecho", Origin: "cgi://" + echo},
		{Mountpoint: "/cgislow", Origin: "cgi://" + slow},
		{Mountpoint: "/cgibig", Origin: "cgi://" + big},
		{Mountpoint: "/cgiwc", Origin: "cgi://" + wc},
		{Mountpoint: "/old", Origin: ">https://example.com/new", AppendPath: true},
	}
	// dumb-increment-protocol, counting its WebSockets and those that
	// are streams of a network connection.
	var wsAll, wsOverH2 atomic.Int32
	di := dumbincrement.Protocol()
	diCallback := di.Callback
	di.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackEstablished {
			wsAll.Add(1)
			if c.Network() != c {
				wsOverH2.Add(1)
			}
		}
		return diCallback(c, reason, in)
	}
	protocols := []lws.Protocol{httpProtocol(), h2FormProtocol(), di}
	var plain, secure *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		plain = httpVhost(t, cx, lws.VhostInfo{Name: "plain", Protocols: protocols, Mounts: mounts})
		secure = httpVhost(t, cx, lws.VhostInfo{
			Name:            "localhost",
			SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Protocols: protocols, Mounts: mounts,
		})
	})
	return &h2Site{dir: dir, plain: addr(plain), tls: addr(secure), cert: cert, pool: pool, slowPID: slowPID,
		webSockets: func() (int, int) { return int(wsAll.Load()), int(wsOverH2.Load()) },
	}
}

// startH2NetHTTP serves the site from net/http: h2 by ALPN on the TLS
// port, h2c (prior knowledge and Upgrade) on the plain one.
func startH2NetHTTP(t *testing.T) *h2Site {
	dir, script, echo := h2SiteFiles(t)
	slow, slowPID := h2SlowCGI(t)
	big, wc := h2BigCGI(t)
	certFile, keyFile, pool := tlsCert(t, "localhost", "127.0.0.1")
	mux := http.NewServeMux()
	mux.Handle("/cgi", &cgi.Handler{Path: script, Root: "/cgi"})
	mux.Handle("/cgiecho", &cgi.Handler{Path: echo, Root: "/cgiecho"})
	mux.Handle("/cgislow", &cgi.Handler{Path: slow, Root: "/cgislow"})
	mux.Handle("/cgibig", &cgi.Handler{Path: big, Root: "/cgibig"})
	mux.Handle("/cgiwc", &cgi.Handler{Path: wc, Root: "/cgiwc"})
	mux.HandleFunc("/form", func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		answer := h2FormAnswer(r.Method, body)
		w.Header().Set("Content-Type", "text/plain")
		if r.Method != "GET" {
			w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		}
		w.Write([]byte(answer))
	})
	mux.HandleFunc("/old/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/new/"+strings.TrimPrefix(r.URL.Path, "/old/"), http.StatusMovedPermanently)
	})
	files := h2NetHTTPFiles(dir)
	upgrader := websocket.Upgrader{Subprotocols: []string{dumbincrement.Name}}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			h2NetHTTPDumbIncrement(w, r, &upgrader)
			return
		}
		files(w, r)
	})
	quiet := log.New(io.Discard, "", 0) // the h2spec cases' errors
	plain := httptest.NewUnstartedServer(h2cHandler(mux))
	plain.Config.ErrorLog = quiet
	plain.Start()
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(mux)
	secure.Config.ErrorLog = quiet
	secure.EnableHTTP2 = true
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	return &h2Site{
		dir:     dir,
		plain:   strings.TrimPrefix(plain.URL, "http://"),
		tls:     strings.TrimPrefix(secure.URL, "https://"),
		cert:    certFile,
		pool:    pool,
		slowPID: slowPID,
		// net/http takes HEADERS beyond 16384 bytes (it reads frames
		// of up to 1 MiB whatever it announced), answers a SETTINGS
		// frame with two initial window sizes, and drops
		// connection-specific fields instead of refusing the stream;
		// its h2c handler reads a broken preface as HTTP/1.1.
		// On a file it has answered, it resets the stream, which then
		// may be gone when the WINDOW_UPDATEs that overflow its window
		// come.
		h2specKnown: map[string]bool{
			"http2/3.5/2": true, "http2/4.2/3": true, "http2/6.5.3/1": true,
			"http2/8.1.2.2/1": true, "http2/8.1.2.2/2": true, "http2/6.9.1/3": true,
		},
	}
}

// h2cHandler serves h2c by prior knowledge and by Upgrade: h2c, which
// net/http's own unencrypted HTTP/2 does not do.
func h2cHandler(h http.Handler) http.Handler {
	//lint:ignore SA1019 see the import: net/http's own h2c has no Upgrade
	return h2c.NewHandler(h, &http2.Server{})
}

// h2NetHTTPFiles serves dir as golws's file mount does: index.html for a
// directory and a 301 to it without the slash, an ETag, Range and
// conditional requests, 404, 405 for methods other than GET and HEAD.
func h2NetHTTPFiles(dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" && r.Method != "HEAD" {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
		if strings.HasSuffix(r.URL.Path, "/") {
			p = filepath.Join(p, "index.html")
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			loc := r.URL.Path + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, loc, http.StatusMovedPermanently)
			return
		}
		f, err := os.Open(p)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size()))
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	}
}

// h2NetHTTPDumbIncrement is dumb-increment-protocol for the reference
// server: a number, counting up, every Interval.
func h2NetHTTPDumbIncrement(w http.ResponseWriter, r *http.Request, u *websocket.Upgrader) {
	ws, err := u.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				ws.Close()
				return
			}
		}
	}()
	tick := time.NewTicker(dumbincrement.Interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		<-tick.C
		if err := ws.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(n))); err != nil {
			return
		}
	}
}
