package lws_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
)

// h2cClient is an HTTP/2 client that speaks h2c by prior knowledge.
func h2cClient(t *testing.T) *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestH2PriorKnowledgeFiles(t *testing.T) {
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}}})
	})
	client := h2cClient(t)
	for range 3 {
		resp, err := client.Get("http://" + addr(vh) + "/files/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(body) != "hello, file\n" {
			t.Fatalf("%s %d %q %v", resp.Proto, resp.StatusCode, body, resp.Header)
		}
	}
	resp, err := client.Get("http://" + addr(vh) + "/files/nope")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "404") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestH2TLSALPN(t *testing.T) {
	cert, key, pool := tlsCert(t, "localhost", "127.0.0.1")
	dir := httpSite(t)
	var vh *lws.Vhost
	newContext(t, lws.ContextInfo{}, func(cx *lws.Context) {
		vh = httpVhost(t, cx, lws.VhostInfo{
			Name:            "localhost",
			SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
			Mounts: []lws.Mount{{Mountpoint: "/files", Origin: "file://" + dir}},
		})
	})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range 3 {
		resp, body := get(t, client, "https://"+addr(vh)+"/files/a.txt")
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 || body != "hello, file\n" {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, body)
		}
	}
}
