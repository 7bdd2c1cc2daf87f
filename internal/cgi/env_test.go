package cgi

import (
	"strings"
	"testing"
)

func envMap(t *testing.T, env []string) map[string]string {
	t.Helper()
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("entry without '=': %q", kv)
		}
		if _, dup := m[k]; dup {
			t.Fatalf("duplicate variable %s", k)
		}
		m[k] = v
	}
	return m
}

func sampleRequest() *Request {
	return &Request{
		Method:         "POST",
		ScriptName:     "/cgi",
		PathInfo:       "/a b/c",
		QueryString:    "x=1&y=%20",
		ServerName:     "example.org",
		ServerPort:     8443,
		ServerProtocol: "HTTP/1.1",
		RemoteAddr:     "192.0.2.7",
		RemotePort:     51000,
		ContentType:    "application/x-www-form-urlencoded",
		ContentLength:  11,
		HTTPS:          true,
		Headers: [][2]string{
			{"Host", "example.org:8443"},
			{"User-Agent", "test/1"},
			{"Content-Type", "text/evil"},
			{"Content-Length", "999"},
			{"Proxy", "http://evil.example:8080"},
			{"PROXY", "http://evil.example:8081"},
			{"Accept", "text/html"},
			{"accept", "text/plain"},
			{"Cookie", "a=1"},
			{"Cookie", "b=2"},
			{"X_Forwarded_For", "spoof"},
			{"X-Forwarded-For", "198.51.100.1"},
			{":authority", "example.org"},
			{"X-Nul", "a\x00b"},
		},
		DocumentRoot: "/srv/www",
		Extra: [][2]string{
			{"PATH", "/opt/bin"},
			{"SERVER_SOFTWARE", "custom"},
			{"MY_VAR", "v"},
			{"BAD=NAME", "x"},
			{"", "x"},
			{"NULVAL", "a\x00"},
		},
	}
}

func TestEnv(t *testing.T) {
	m := envMap(t, Env(sampleRequest()))
	want := map[string]string{
		"GATEWAY_INTERFACE":    "CGI/1.1",
		"SERVER_SOFTWARE":      "custom",
		"REQUEST_METHOD":       "POST",
		"SCRIPT_NAME":          "/cgi",
		"PATH_INFO":            "/a b/c",
		"QUERY_STRING":         "x=1&y=%20",
		"REQUEST_URI":          "/cgi/a b/c?x=1&y=%20",
		"SERVER_NAME":          "example.org",
		"SERVER_PORT":          "8443",
		"SERVER_PROTOCOL":      "HTTP/1.1",
		"REMOTE_ADDR":          "192.0.2.7",
		"REMOTE_PORT":          "51000",
		"CONTENT_TYPE":         "application/x-www-form-urlencoded",
		"CONTENT_LENGTH":       "11",
		"HTTPS":                "on",
		"DOCUMENT_ROOT":        "/srv/www",
		"PATH":                 "/opt/bin",
		"HTTP_HOST":            "example.org:8443",
		"HTTP_USER_AGENT":      "test/1",
		"HTTP_ACCEPT":          "text/html, text/plain",
		"HTTP_COOKIE":          "a=1; b=2",
		"HTTP_X_FORWARDED_FOR": "198.51.100.1",
		"MY_VAR":               "v",
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for k := range m {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected variable %s=%q", k, m[k])
		}
	}
	for _, k := range []string{"HTTP_PROXY", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "NULVAL", "HTTP_X_NUL"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s must not be set", k)
		}
	}
}

func TestEnvMinimal(t *testing.T) {
	env := Env(&Request{
		Method:         "GET",
		ScriptName:     "/s",
		ServerName:     "h",
		ServerPort:     80,
		ServerProtocol: "HTTP/1.0",
		RemoteAddr:     "::1",
		RemotePort:     1,
		ContentLength:  -1,
	})
	m := envMap(t, env)
	for _, k := range []string{"CONTENT_TYPE", "CONTENT_LENGTH", "HTTPS", "DOCUMENT_ROOT"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s set without cause", k)
		}
	}
	if m["REQUEST_URI"] != "/s" || m["PATH_INFO"] != "" || m["QUERY_STRING"] != "" {
		t.Errorf("REQUEST_URI %q PATH_INFO %q QUERY_STRING %q", m["REQUEST_URI"], m["PATH_INFO"], m["QUERY_STRING"])
	}
	if m["PATH"] != defaultPath || m["SERVER_SOFTWARE"] != "golws" {
		t.Errorf("PATH %q SERVER_SOFTWARE %q", m["PATH"], m["SERVER_SOFTWARE"])
	}
	if env[0] != "GATEWAY_INTERFACE=CGI/1.1" {
		t.Errorf("first entry %q", env[0])
	}

	// A zero-length body still has CONTENT_LENGTH.
	m = envMap(t, Env(&Request{ContentLength: 0}))
	if v, ok := m["CONTENT_LENGTH"]; !ok || v != "0" {
		t.Errorf("CONTENT_LENGTH %q %v", v, ok)
	}
}
