package h1

import (
	"testing"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/attacktable"
)

func TestAttackNormalisation(t *testing.T) {
	for _, tc := range attacktable.Cases {
		req := "GET " + tc.Target + " HTTP/1.0\r\n\r\n"
		for _, chunk := range []int{0, 1} {
			r := parseChunks(t, []byte(req), 0, chunk)
			if tc.Status == 403 {
				if r.status != 403 {
					t.Errorf("%q (chunk %d): got status %d %q, path %q; lws forbids it",
						tc.Target, chunk, r.status, r.reason, r.table.Fragment(hdr.TokenGetURI, 0))
				}
				continue
			}
			if r.status != 0 || !r.done {
				t.Errorf("%q (chunk %d): got status %d %q, done %v; lws answers %d",
					tc.Target, chunk, r.status, r.reason, r.done, tc.Status)
				continue
			}
			if got := string(r.table.Fragment(hdr.TokenGetURI, 0)); got != tc.Path {
				t.Errorf("%q (chunk %d): path %q, lws has %q", tc.Target, chunk, got, tc.Path)
			}
		}
	}
}

// TestAttackScript covers the other requests of lws's attack.sh that are
// about parsing.
func TestAttackScript(t *testing.T) {
	tests := []struct {
		name   string
		req    string
		status int
		path   string
		args   []string
	}{
		{
			name: "settings args",
			req:  "GET /cgi-bin/settingsjs?UPDATE_SETTINGS=1&Root_Channels_1_Channel_name_http_post=%3F&Root_Channels_1_Channel_location_http_post=%3F HTTP/1.0\r\n\r\n",
			path: "/cgi-bin/settingsjs",
			args: []string{"UPDATE_SETTINGS=1", "Root_Channels_1_Channel_name_http_post=?", "Root_Channels_1_Channel_location_http_post=?"},
		},
		{
			name: "? processing",
			req:  "GET /cgi-bin/settings.js?key1=value1 HTTP/1.0\r\n\r\n",
			path: "/cgi-bin/settings.js",
			args: []string{"key1=value1"},
		},
		{
			name: "escaped = in path and argument name",
			req:  "GET /t%3dest?key1%3d2=value1 HTTP/1.0\r\n\r\n",
			path: "/t=est",
			args: []string{"key1_2=value1"},
		},
		{
			name: "escaped dots and slashes",
			req:  "GET %2f%2e%2e%2f%2e./xxtest.html?arg=1 HTTP/1.0\r\n\r\n",
			path: "/xxtest.html",
			args: []string{"arg=1"},
		},
		{
			name: "no normalisation in arguments",
			req:  "GET %2f%2e%2e%2f%2e./xxtest.html?arg=/../. HTTP/1.0\r\n\r\n",
			path: "/xxtest.html",
			args: []string{"arg=/../."},
		},
		{name: "not GET", req: "not GET\n", status: 403},
		{name: "malformed URI", req: "GET nonsense................................................................................................................\n", status: 403},
		{name: "missing URI", req: "GET HTTP/1.0\r\n\r\n", status: 403},
		{name: "repeated method", req: "GET blah HTTP/1.0\r\nGET blah HTTP/1.0\r\n\r\n", status: 403},
		{name: "repeated method, absolute", req: "GET /blah HTTP/1.0\r\nGET /blah HTTP/1.0\r\n\r\n", status: 400},
		{name: "relative uri path", req: "GET nope HTTP/1.0\r\n\r\n", status: 403},
		{name: "nonexistent file", req: "GET /nope HTTP/1.0\r\n\r\n", path: "/nope"},
		{name: "directory attack 1", req: "GET /../../../../etc/passwd HTTP/1.0\r\n\r\n", path: "/etc/passwd"},
		{name: "directory attack 2", req: "GET /../ HTTP/1.0\r\n\r\n", path: "/"},
		{name: "directory attack 3", req: "GET /./ HTTP/1.0\r\n\r\n", path: "/"},
		{name: "directory attack 4", req: "GET /blah/.. HTTP/1.0\r\n\r\n", path: "/"},
		{name: "directory attack 5", req: "GET /blah/../ HTTP/1.0\r\n\r\n", path: "/"},
		{name: "directory attack 6", req: "GET /blah/../. HTTP/1.0\r\n\r\n", path: "/"},
		{name: "directory attack 7", req: "GET /%2e%2e%2f../../../etc/passwd HTTP/1.0\r\n\r\n", path: "/etc/passwd"},
		{name: "directory attack 8", req: "GET %2f%2e%2e%2f%2e./.%2e/.%2e%2fetc/passwd HTTP/1.0\r\n\r\n", path: "/etc/passwd"},
	}
	for _, tc := range tests {
		for _, chunk := range []int{0, 1} {
			r := parseChunks(t, []byte(tc.req), 0, chunk)
			if r.status != tc.status {
				t.Errorf("%s (chunk %d): status %d %q, want %d", tc.name, chunk, r.status, r.reason, tc.status)
				continue
			}
			if tc.status != 0 {
				continue
			}
			if got := string(r.table.Fragment(hdr.TokenGetURI, 0)); got != tc.path {
				t.Errorf("%s (chunk %d): path %q, want %q", tc.name, chunk, got, tc.path)
			}
			var args []string
			for i := range r.table.FragmentCount(hdr.TokenURIArgs) {
				args = append(args, string(r.table.Fragment(hdr.TokenURIArgs, i)))
			}
			if !equalStrings(args, tc.args) {
				t.Errorf("%s (chunk %d): args %q, want %q", tc.name, chunk, args, tc.args)
			}
		}
	}
}

// TestAttackPayloadAfterHead: a good request followed by bytes that are
// not part of its head leaves those bytes unconsumed.
func TestAttackPayloadAfterHead(t *testing.T) {
	head := "GET /test.html HTTP/1.1\r\nHost: x\r\n\r\n"
	req := head + "ILLEGAL-PAYLOAD........................................"
	for _, chunk := range []int{0, 1, 5} {
		r := parseChunks(t, []byte(req), 0, chunk)
		if !r.done || r.status != 0 || r.n != len(head) {
			t.Errorf("chunk %d: done %v status %d n %d, want done after %d bytes", chunk, r.done, r.status, r.n, len(head))
		}
	}
}
