package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseH2load(t *testing.T) {
	out := `starting benchmark...
spawning thread #0: 10 total client(s). Timing-based test with 0.3s of warm-up time and 1s of main duration for measurements.
TLS Protocol: TLSv1.3
Cipher: TLS_AES_128_GCM_SHA256
Application protocol: h2
Main benchmark duration is started for thread #0.
Main benchmark duration is over for thread #0. Stopping all clients.

finished in 1.35s, 780.00 req/s, 772.78MB/s
requests: 780 total, 781 started, 779 done, 770 succeeded, 9 failed, 3 errored, 1 timeout
status codes: 768 2xx, 1 3xx, 2 4xx, 0 5xx
traffic: 772.78MB (810320382) total, 18.07KB (18505) headers (space savings 90.73%), 985.75MB (1033632037) data`
	res, ok := parseH2load(strings.Split(out, "\n"))
	if !ok {
		t.Fatal("no summary found")
	}
	want := h2Result{Protocol: "h2", TLS: "TLSv1.3", RequestsPerSecond: 780,
		Total: 780, Started: 781, Done: 779, Succeeded: 770, Failed: 9, Errored: 3, Timeout: 1,
		Status2xx: 768, Status3xx: 1, Status4xx: 2, TrafficBytes: 810320382}
	if res.Protocol != want.Protocol || res.TLS != want.TLS || res.RequestsPerSecond != want.RequestsPerSecond ||
		res.Total != want.Total || res.Started != want.Started || res.Done != want.Done || res.Succeeded != want.Succeeded ||
		res.Failed != want.Failed || res.Errored != want.Errored || res.Timeout != want.Timeout ||
		res.Status2xx != want.Status2xx || res.Status3xx != want.Status3xx || res.Status4xx != want.Status4xx ||
		res.Status5xx != want.Status5xx || res.TrafficBytes != want.TrafficBytes {
		t.Errorf("got %+v\nwant %+v", res, want)
	}

	// A server that offers no h2: no "Application protocol: h2" line.
	res, ok = parseH2load([]string{"Application protocol: http/1.1", "requests: 5 total, 5 started, 5 done, 5 succeeded, 0 failed, 0 errored, 0 timeout"})
	if !ok || res.Protocol != "http/1.1" || res.Succeeded != 5 {
		t.Errorf("http/1.1 fallback: ok %v, %+v", ok, res)
	}
	if _, ok := parseH2load([]string{"starting benchmark..."}); ok {
		t.Error("a summary found in output without one")
	}
}

func TestH2loadDuration(t *testing.T) {
	for d, want := range map[string]string{"4s": "4000ms", "300ms": "300ms", "1.5s": "1500ms", "0s": "1ms"} {
		if got := h2loadDuration(mustDuration(t, d)); got != want {
			t.Errorf("%s: got %s, want %s", d, got, want)
		}
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
