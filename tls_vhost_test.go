package lws_test

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

// TestTLSHostCannotCrossTLSSettings: on a port shared by vhosts with
// different TLS settings, the Host header cannot take a connection to a
// vhost whose certificate or client-certificate policy differs from the
// one its handshake was made with: a.example (no client certificate, the
// default), b.example (requires a client certificate) and c.example (a's
// certificate and policy). Crossing gets 421 Misdirected Request, both
// ways; a vhost with the same settings may still be chosen by Host. Plain
// HTTP on the port (a allows it) cannot reach b either.
func TestTLSHostCannotCrossTLSSettings(t *testing.T) {
	certA, keyA, poolA := tlsCert(t, "a.example", "c.example")
	certB, keyB, poolB := tlsCert(t, "b.example")
	caCert, caKey, _ := tlsCert(t, "trusted client")
	clientCert, err := tls.LoadX509KeyPair(caCert, caKey)
	if err != nil {
		t.Fatal(err)
	}
	site := func(name string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("site "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	var port int
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		a := httpVhost(t, cx, lws.VhostInfo{Name: "a.example", SSLCertFilepath: certA, SSLPrivateKeyFilepath: keyA,
			Options: lws.OptionAllowNonSSLOnSSLPort,
			Mounts:  []lws.Mount{{Mountpoint: "/", Origin: "file://" + site("a")}}})
		port = a.Port()
		httpVhost(t, cx, lws.VhostInfo{Name: "b.example", Port: port, SSLCertFilepath: certB, SSLPrivateKeyFilepath: keyB,
			SSLCAFilepath: caCert, Options: lws.OptionRequireValidOpenSSLClientCert,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + site("b")}}})
		httpVhost(t, cx, lws.VhostInfo{Name: "c.example", Port: port, SSLCertFilepath: certA, SSLPrivateKeyFilepath: keyA,
			Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + site("c")}}})
	})
	address := "127.0.0.1:" + strconv.Itoa(port)
	// do makes a handshake with SNI sni ("" for none) and sends a request
	// for each Host in turn on the connection; it returns the status
	// lines and bodies.
	do := func(sni string, withCert bool, hosts ...string) []string {
		t.Helper()
		cfg := &tls.Config{ServerName: sni, RootCAs: poolA}
		switch {
		case sni == "":
			cfg.InsecureSkipVerify = true // no name to check a certificate against
		case sni == "b.example":
			cfg.RootCAs = poolB
		}
		if withCert {
			cfg.Certificates = []tls.Certificate{clientCert}
		}
		nc, err := net.Dial("tcp", address)
		if err != nil {
			t.Fatal(err)
		}
		tc := tls.Client(nc, cfg)
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			t.Fatalf("SNI %q: handshake: %v", sni, err)
		}
		var got []string
		for _, h := range hosts {
			if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+h+"\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			status, body := readResponse(t, tc)
			got = append(got, status+" "+body)
			if !strings.HasPrefix(status, "HTTP/1.1 200") {
				break
			}
		}
		return got
	}
	for _, tc := range []struct {
		sni      string
		withCert bool
		hosts    []string
		want     []string
	}{
		{"a.example", false, []string{"a.example"}, []string{"HTTP/1.1 200 OK site a"}},
		{"b.example", true, []string{"b.example"}, []string{"HTTP/1.1 200 OK site b"}},
		// The attack: a's handshake, b's Host.
		{"a.example", false, []string{"b.example"}, []string{"HTTP/1.1 421 Misdirected Request"}},
		{"", false, []string{"b.example"}, []string{"HTTP/1.1 421 Misdirected Request"}},
		{"a.example", true, []string{"b.example"}, []string{"HTTP/1.1 421 Misdirected Request"}},
		// Same settings: Host chooses; later requests are checked against
		// the handshake, not the vhost the previous one chose.
		{"a.example", false, []string{"c.example", "a.example", "c.example", "b.example"},
			[]string{"HTTP/1.1 200 OK site c", "HTTP/1.1 200 OK site a", "HTTP/1.1 200 OK site c", "HTTP/1.1 421 Misdirected Request"}},
		{"", false, []string{"c.example"}, []string{"HTTP/1.1 200 OK site c"}},
		// The other way: b's handshake (with its certificate), a's Host.
		{"b.example", true, []string{"a.example"}, []string{"HTTP/1.1 421 Misdirected Request"}},
		{"b.example", true, []string{"c.example"}, []string{"HTTP/1.1 421 Misdirected Request"}},
		// A name no vhost has stays on the handshake's vhost.
		{"b.example", true, []string{"unknown.example"}, []string{"HTTP/1.1 200 OK site b"}},
	} {
		got := do(tc.sni, tc.withCert, tc.hosts...)
		for i := range tc.want {
			if i >= len(got) || !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("SNI %q (certificate %v), Hosts %v: got %q, want %q", tc.sni, tc.withCert, tc.hosts, got, tc.want)
				break
			}
		}
	}
	// Plain HTTP on the TLS port (a allows it) does not reach b either.
	for host, want := range map[string]string{"a.example": "HTTP/1.1 200 OK", "c.example": "HTTP/1.1 200 OK",
		"b.example": "HTTP/1.1 421 Misdirected Request"} {
		if out := exchange(t, address, "GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(out, want) ||
			(host == "b.example" && strings.Contains(out, "site b")) {
			t.Errorf("plain HTTP, Host %s: %q, want %q", host, out, want)
		}
	}
	// curl: the same crossing, from a client the way a person makes it.
	out := curl(t, "--cacert", certA, "--resolve", "a.example:"+strconv.Itoa(port)+":127.0.0.1",
		"-H", "Host: b.example", "https://a.example:"+strconv.Itoa(port)+"/")
	if !strings.HasPrefix(out, "HTTP/2 421 \n") || strings.Contains(out, "site b") {
		t.Errorf("curl, SNI a.example, Host b.example:\n%s", out)
	}
}

// readResponse reads one HTTP/1.1 response with a content-length from r
// and returns its status line and body.
func readResponse(t *testing.T, r io.Reader) (status, body string) {
	t.Helper()
	var head []byte
	b := make([]byte, 1)
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatalf("reading a response head: %v (got %q)", err, head)
		}
		head = append(head, b[0])
	}
	lines := strings.Split(string(head), "\r\n")
	n := 0
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-length") {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		t.Fatalf("reading a body of %d bytes: %v", n, err)
	}
	return lines[0], string(data)
}
