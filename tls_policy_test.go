package lws_test

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

func TestParseCipherList(t *testing.T) {
	cases := []struct {
		list    string
		want    []uint16
		unknown string
		err     bool
	}{
		{"ECDHE-ECDSA-AES128-GCM-SHA256", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, "", false},
		{"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:!aNULL", []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, "", false},
		{"ECDHE+AESGCM:!aRSA", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, "", false},
		{"CHACHA20", []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}, "", false},
		{"HIGH:!kRSA:!SHA1:!CHACHA20:-AES256", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, "", false},
		{"ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, "DHE-RSA-AES128-GCM-SHA256", false},
		{"RC4:!HIGH", nil, "", true},
		{"DHE-RSA-AES256-SHA", nil, "DHE-RSA-AES256-SHA", true},
	}
	for _, tc := range cases {
		got, unknown, err := lws.ParseCipherList(tc.list)
		if (err != nil) != tc.err || strings.Join(unknown, ",") != tc.unknown || !equalIDs(got, tc.want) {
			t.Errorf("%q: %x %q %v, want %x %q err=%v", tc.list, got, unknown, err, tc.want, tc.unknown, tc.err)
		}
	}
	if ids, err := lws.ParseECDHCurves("X25519:prime256v1:secp384r1"); err != nil || len(ids) != 3 || ids[0] != tls.X25519 || ids[1] != tls.CurveP256 || ids[2] != tls.CurveP384 {
		t.Errorf("curves: %v %v", ids, err)
	}
	if _, err := lws.ParseECDHCurves("brainpoolP256r1"); err == nil {
		t.Error("an unknown curve was accepted")
	}
}

func equalIDs(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTLSPolicy checks the cipher list and curves in a handshake, HSTS,
// plain HTTP on the TLS port redirected to https, and SSL_INFO events.
func TestTLSPolicy(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost")
	rec := newRecorder()
	info := lws.Protocol{Name: "http", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackSSLInfo {
			si := c.SSLInfo()
			switch si.Where {
			case lws.SSLCBHandshakeStart:
				rec.add("start")
			case lws.SSLCBHandshakeDone:
				rec.add("done")
			case lws.SSLCBAlert:
				rec.add("alert " + si.Err.Error())
			}
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Name: "localhost", SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			SSLCipherList: "ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL", ECDHCurve: "P-384",
			Options:          lws.OptionSTS | lws.OptionAllowNonSSLOnSSLPort | lws.OptionRedirectHTTPToHTTPS,
			SSLInfoEventMask: lws.SSLCBHandshakeStart | lws.SSLCBHandshakeDone | lws.SSLCBAlert,
			Protocols:        []lws.Protocol{info},
			Mounts:           []lws.Mount{{Mountpoint: "/", Origin: "file://" + httpSite(t)}}})
	})
	tc, err := tls.Dial("tcp", addr(vh), &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	cs := tc.ConnectionState()
	tc.Close()
	if cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 || cs.CurveID != tls.CurveP384 {
		t.Errorf("TLS 1.2 chose %s over %v", tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
	}
	if got := rec.await(t, ""); got != "start" {
		t.Errorf("first SSL_INFO %q", got)
	}
	if got := rec.await(t, ""); got != "done" {
		t.Errorf("second SSL_INFO %q", got)
	}
	// A TLS 1.2 client offering only other suites fails: an alert.
	if _, err := tls.Dial("tcp", addr(vh), &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}); err == nil {
		t.Error("a suite outside the list was negotiated")
	}
	rec.await(t, "start")
	rec.await(t, "alert")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := get(t, client, "https://localhost:"+strings.Split(addr(vh), ":")[1]+"/a.txt")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=15768000") {
		t.Errorf("https: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, client, "http://"+addr(vh)+"/a.txt?x=1")
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://"+addr(vh)+"/a.txt?x=1" {
		t.Errorf("plain HTTP on the TLS port: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
