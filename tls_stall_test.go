package lws_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
)

// clientHello returns the first record a Go TLS client sends: a whole
// ClientHello, for a peer that sends it and then stalls.
func clientHello(t *testing.T) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		_ = tls.Client(b, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}).Handshake()
		b.Close()
	}()
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(a, hdr); err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 5+int(hdr[3])<<8|int(hdr[4]))
	copy(rec, hdr)
	if _, err := io.ReadFull(a, rec[5:]); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestTLSStalledHandshakesDoNotStopService is a handshake-stall attack:
// 2,000 connections to the TLS port that send nothing, 200 that send part
// of a ClientHello and 40 that send a whole one (ten times the worker
// pool) and then stall. Meanwhile a normal https client is served within
// 2 s, every time; the stalled connections cost no goroutine until their
// ClientHello is whole, and all of them are closed once the handshake
// timeout (TimeoutSecs from accept) has passed.
func TestTLSStalledHandshakesDoNotStopService(t *testing.T) {
	const (
		silent  = 2000
		partial = 200
		whole   = 40
		timeout = 5 // TimeoutSecs
	)
	looptest.RaiseNofile(t, 2*(silent+partial+whole)+1024)
	hello := clientHello(t)
	forEachBackend(t, func(t *testing.T, backend string) {
		cert, key, pool := tlsCert(t, "localhost")
		var vh *lws.Vhost
		newContext(t, lws.ContextInfo{EventLib: backend, TimeoutSecs: timeout}, func(cx *lws.Context) {
			vh = httpVhost(t, cx, lws.VhostInfo{SSLCertFilepath: cert, SSLPrivateKeyFilepath: key,
				Mounts: []lws.Mount{{Mountpoint: "/", Origin: "file://" + httpSite(t)}}})
		})
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 4 * time.Second}
		probe := func(when string) {
			t.Helper()
			for i := range 3 {
				start := time.Now()
				resp, err := client.Get("https://" + addr(vh) + "/a.txt")
				took := time.Since(start)
				if err != nil {
					t.Fatalf("%s: probe %d: %v after %v", when, i, err, took.Round(time.Millisecond))
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != "hello, file\n" {
					t.Fatalf("%s: probe %d: %d %q", when, i, resp.StatusCode, body)
				}
				if took > 2*time.Second {
					t.Fatalf("%s: probe %d took %v", when, i, took.Round(time.Millisecond))
				}
				t.Logf("%s: probe %d: %v", when, i, took.Round(time.Millisecond))
			}
		}
		probe("before the attack")
		goroutines := runtime.NumGoroutine()
		var conns []net.Conn
		defer func() {
			for _, nc := range conns {
				nc.Close()
			}
		}()
		dial := func(send []byte) {
			nc, err := net.Dial("tcp", addr(vh))
			if err != nil {
				t.Fatalf("connection %d: %v", len(conns), err)
			}
			conns = append(conns, nc)
			if len(send) > 0 {
				if _, err := nc.Write(send); err != nil {
					t.Fatal(err)
				}
			}
		}
		attackStart := time.Now()
		for range silent {
			dial(nil)
		}
		for range partial {
			dial(hello[:len(hello)/2])
		}
		t.Logf("%d silent and %d partial ClientHellos connected in %v", silent, partial, time.Since(attackStart).Round(time.Millisecond))
		probe("under 2,000 silent and 200 partial handshakes")
		if grown := runtime.NumGoroutine() - goroutines; grown > 4 {
			t.Errorf("%d goroutines more during the attack (the stalled connections should cost none)", grown)
		}
		for range whole {
			dial(hello)
		}
		probe("with 40 whole ClientHellos stalled too")
		// A handshake waiting for its peer costs a parked goroutine (and
		// no worker) until the timeout.
		if grown := runtime.NumGoroutine() - goroutines; grown > whole+4 {
			t.Errorf("%d goroutines more with %d whole ClientHellos stalled", grown, whole)
		}
		// Every stalled connection is closed once the timeout has passed.
		closed, open := 0, 0
		for _, nc := range conns {
			nc.SetReadDeadline(attackStart.Add((timeout + 5) * time.Second))
			_, err := io.Copy(io.Discard, nc)
			var ne net.Error
			switch {
			case err == nil, errors.Is(err, syscall.ECONNRESET):
				closed++
			case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
				open++
			default:
				t.Fatalf("reading a stalled connection: %v", err)
			}
		}
		t.Logf("stalled connections: %d closed, %d still open %v after the attack began", closed, open,
			time.Since(attackStart).Round(time.Millisecond))
		if open > 0 {
			t.Errorf("%d of %d stalled connections still open after the handshake timeout", open, len(conns))
		}
		probe("after the attack")
	})
}
