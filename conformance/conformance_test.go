package conformance

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/looptest"
	"github.com/golws/lws/internal/selfsigned"
	"github.com/golws/lws/plugins/echo"
)

var (
	casesFlag = flag.String("conformance.cases", "", "regular expression choosing the case IDs to run, among all cases (when empty: groups 1 to 10, and of 12 and 13 the quick subset or, with -conformance.full, every case)")
	fullFlag  = flag.Bool("conformance.full", false, "run every case of groups 12 and 13 (1000 messages of up to 128 KiB each), not only their quick subset")
)

// quickCompression are the cases of every subgroup of 12 and 13 that run
// unless -conformance.full or -conformance.cases says otherwise: 1 (16
// units a message), 4 (1024) and 11 (8192, cut into frames of 256
// octets), each with Autobahn's 1000 messages. The others, up to 128 KiB
// a message, cost seconds each.
var quickCompression = map[string]bool{"1": true, "4": true, "11": true}

// inQuickSet reports whether id is a case that runs by default.
func inQuickSet(id string) bool {
	parts := strings.Split(id, ".")
	if parts[0] != "12" && parts[0] != "13" {
		return true
	}
	return quickCompression[parts[len(parts)-1]]
}

// caseFilter is the filter the -conformance.cases and -conformance.full
// flags ask for.
func caseFilter(t *testing.T) func(id string) bool {
	if *casesFlag == "" {
		if *fullFlag {
			return nil
		}
		return inQuickSet
	}
	re, err := regexp.Compile(*casesFlag)
	if err != nil {
		t.Fatalf("-conformance.cases: %v", err)
	}
	return re.MatchString
}

// startEcho runs golws's echo server on a loopback port for the test and
// returns its URL.
func startEcho(t *testing.T) string {
	t.Helper()
	return startEchoWith(t, nil)
}

// startEchoWith runs golws's echo server with the WebSocket extensions
// exts on a loopback port for the test and returns its URL.
func startEchoWith(t *testing.T, exts []lws.Extension) string {
	t.Helper()
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortAny, Iface: "127.0.0.1", Protocols: []lws.Protocol{echo.Protocol()},
		Extensions: exts})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	port := vh.Port() // read before the loop's goroutine starts
	looptest.Run(t, cx)
	return fmt.Sprintf("ws://127.0.0.1:%d/", port)
}

func report(rs []Result) string {
	var b strings.Builder
	Report(&b, rs)
	return b.String()
}

// TestConformance runs every case against golws's echo server.
func TestConformance(t *testing.T) {
	url := startEcho(t)
	rs := RunClient(t.Context(), url, caseFilter(t))
	t.Logf("\n%s", report(rs))
	for _, r := range rs {
		if r.Behavior == Failed {
			t.Errorf("case %s FAILED: %s", r.Case, r.Detail)
		}
	}
}

// TestConformanceWSS runs every case against golws's echo server over TLS.
func TestConformanceWSS(t *testing.T) {
	certPEM, keyPEM, err := selfsigned.Generate(time.Hour, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o600)
	os.WriteFile(key, keyPEM, 0o600)
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	vh, err := cx.CreateVhost(lws.VhostInfo{Port: lws.PortAny, Iface: "127.0.0.1", Protocols: []lws.Protocol{echo.Protocol()},
		SSLCertFilepath: cert, SSLPrivateKeyFilepath: key})
	if err != nil {
		cx.Destroy()
		t.Fatal(err)
	}
	port := vh.Port()
	looptest.Run(t, cx)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	rs := RunClientTLS(t.Context(), fmt.Sprintf("wss://localhost:%d/", port), &tls.Config{RootCAs: pool}, caseFilter(t))
	t.Logf("\n%s", report(rs))
	for _, r := range rs {
		if r.Behavior == Failed {
			t.Errorf("case %s FAILED over wss: %s", r.Case, r.Detail)
		}
	}
}
