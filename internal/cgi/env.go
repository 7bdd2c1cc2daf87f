package cgi

import (
	"strconv"
	"strings"
)

// defaultPath is the PATH given to scripts unless the mount's cgi-env
// overrides it.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// Request holds what [Env] needs to build a script's RFC 3875 environment.
// The HTTP server fills it from the parsed request and the cgi:// mount.
type Request struct {
	// Method is the request method, e.g. "GET" (REQUEST_METHOD).
	Method string
	// ScriptName is the mountpoint the script is served at (SCRIPT_NAME).
	ScriptName string
	// PathInfo is the decoded rest of the URL path after the mountpoint,
	// "" or starting with '/' (PATH_INFO).
	PathInfo string
	// QueryString is the raw query as received, without the '?'
	// (QUERY_STRING).
	QueryString string
	// ServerName is the host name the request was served under
	// (SERVER_NAME).
	ServerName string
	// ServerPort is the port the request arrived on (SERVER_PORT).
	ServerPort int
	// ServerProtocol is the request's protocol version, e.g. "HTTP/1.1"
	// (SERVER_PROTOCOL).
	ServerProtocol string
	// RemoteAddr is the client's IP address without port (REMOTE_ADDR).
	RemoteAddr string
	// RemotePort is the client's port (REMOTE_PORT).
	RemotePort int
	// ContentType is the request's Content-Type, "" when absent
	// (CONTENT_TYPE).
	ContentType string
	// ContentLength is the request body length, or -1 when there is no
	// Content-Length (CONTENT_LENGTH).
	ContentLength int64
	// HTTPS reports that the request came over TLS (HTTPS=on).
	HTTPS bool
	// Headers are the request's header fields, name and value, as
	// received. Each becomes an HTTP_* variable; see [Env] for the ones
	// that are skipped.
	Headers [][2]string
	// DocumentRoot, when not empty, becomes DOCUMENT_ROOT.
	DocumentRoot string
	// Extra holds the mount's cgi-env pairs. They are applied last and
	// replace variables of the same name.
	Extra [][2]string
}

// Env returns the environment for a CGI script serving r, as "NAME=value"
// strings ready for [Start].
//
// It sets GATEWAY_INTERFACE, SERVER_SOFTWARE, REQUEST_METHOD, SCRIPT_NAME,
// PATH_INFO, QUERY_STRING, REQUEST_URI, SERVER_NAME, SERVER_PORT,
// SERVER_PROTOCOL, REMOTE_ADDR and REMOTE_PORT; CONTENT_TYPE and
// CONTENT_LENGTH only when the request has them; HTTPS=on over TLS;
// DOCUMENT_ROOT when set; and PATH. Each request header becomes
// HTTP_<NAME> with the name upper-cased and '-' turned into '_'; repeated
// headers are joined with ", " ("; " for Cookie) as RFC 3875 4.1.18 asks.
// Skipped are Content-Type and Content-Length (they have their own
// variables), Proxy (httpoxy, CVE-2016-5385) and any name holding
// characters other than letters, digits and '-': with an '_' allowed,
// "X_Foo" could pose as "X-Foo", which is why common servers drop those too.
// r.Extra is applied last. No name appears twice: a later setting replaces
// an earlier one. Settings whose value contains a NUL byte, and Extra
// entries whose name is empty or contains '=' or NUL, are dropped.
func Env(r *Request) []string {
	var e envBuilder
	e.set("GATEWAY_INTERFACE", "CGI/1.1")
	e.set("SERVER_SOFTWARE", "golws")
	e.set("REQUEST_METHOD", r.Method)
	e.set("SCRIPT_NAME", r.ScriptName)
	e.set("PATH_INFO", r.PathInfo)
	e.set("QUERY_STRING", r.QueryString)
	uri := r.ScriptName + r.PathInfo
	if r.QueryString != "" {
		uri += "?" + r.QueryString
	}
	e.set("REQUEST_URI", uri)
	e.set("SERVER_NAME", r.ServerName)
	e.set("SERVER_PORT", strconv.Itoa(r.ServerPort))
	e.set("SERVER_PROTOCOL", r.ServerProtocol)
	e.set("REMOTE_ADDR", r.RemoteAddr)
	e.set("REMOTE_PORT", strconv.Itoa(r.RemotePort))
	if r.ContentType != "" {
		e.set("CONTENT_TYPE", r.ContentType)
	}
	if r.ContentLength >= 0 {
		e.set("CONTENT_LENGTH", strconv.FormatInt(r.ContentLength, 10))
	}
	if r.HTTPS {
		e.set("HTTPS", "on")
	}
	if r.DocumentRoot != "" {
		e.set("DOCUMENT_ROOT", r.DocumentRoot)
	}
	e.set("PATH", defaultPath)

	for _, h := range r.Headers {
		name, ok := headerVar(h[0])
		if !ok || strings.IndexByte(h[1], 0) >= 0 {
			continue
		}
		if i, dup := e.index[name]; dup {
			sep := ", "
			if name == "HTTP_COOKIE" {
				sep = "; "
			}
			e.vals[i][1] += sep + h[1]
			continue
		}
		e.set(name, h[1])
	}

	for _, kv := range r.Extra {
		if kv[0] == "" || strings.ContainsAny(kv[0], "=\x00") {
			continue
		}
		e.set(kv[0], kv[1])
	}

	out := make([]string, len(e.vals))
	for i, kv := range e.vals {
		out[i] = kv[0] + "=" + kv[1]
	}
	return out
}

// envBuilder collects variables in order, one entry per name.
type envBuilder struct {
	vals  [][2]string
	index map[string]int
}

// set adds name=value, replacing an earlier value of name in place. A
// value holding a NUL byte cannot be passed to execve and is dropped; an
// earlier value of the same name is then left as it was.
func (e *envBuilder) set(name, value string) {
	if strings.IndexByte(value, 0) >= 0 {
		return
	}
	if e.index == nil {
		e.index = make(map[string]int, 32)
	}
	if i, ok := e.index[name]; ok {
		e.vals[i][1] = value
		return
	}
	e.index[name] = len(e.vals)
	e.vals = append(e.vals, [2]string{name, value})
}

// headerVar maps a request header name to its HTTP_* variable, reporting
// false for the headers that get none.
func headerVar(name string) (string, bool) {
	if name == "" ||
		strings.EqualFold(name, "Content-Type") ||
		strings.EqualFold(name, "Content-Length") ||
		strings.EqualFold(name, "Proxy") {
		return "", false
	}
	b := make([]byte, 0, len("HTTP_")+len(name))
	b = append(b, "HTTP_"...)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case c == '-':
			c = '_'
		default:
			return "", false
		}
		b = append(b, c)
	}
	return string(b), true
}
