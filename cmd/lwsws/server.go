package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/lwsconf"
	"github.com/golws/lws/pmdeflate"
	"github.com/golws/lws/testsite"
)

// server is a configuration made ready for the library: a context and its
// vhosts.
type server struct {
	info     lws.ContextInfo
	vhosts   []lws.VhostInfo
	warnings []string
	privs    privileges
}

// load reads the configuration directory, or makes the built-in test site
// when dir is empty.
func load(dir string, allPlugins bool, port int) (*server, error) {
	if dir == "" {
		return defaultSite(allPlugins, port)
	}
	return loadDir(dir, allPlugins)
}

// start creates the context and its vhosts.
func (s *server) start() (*lws.Context, error) {
	cx, err := lws.NewContext(s.info)
	if err != nil {
		return nil, err
	}
	for _, vi := range s.vhosts {
		vh, err := cx.CreateVhost(vi)
		if err != nil {
			cx.Destroy()
			return nil, err
		}
		scheme := "http"
		if vi.SSLCertFilepath != "" || vi.TLSConfig != nil {
			scheme = "https"
		}
		host := vi.Iface
		if host == "" {
			host = "localhost"
		}
		lws.Noticef("lwsws: vhost %q: %s://%s:%d/", vh.Name(), scheme, host, vh.Port())
	}
	// Every listen socket is bound: privileges are no longer needed.
	if err := s.privs.drop(); err != nil {
		cx.Destroy()
		return nil, err
	}
	return cx, nil
}

// httpOnly is every vhost's first protocol: it receives the HTTP requests
// no mount serves, and answers them 404. It also refuses clients whose
// User-Agent holds one of the global reject-service-keywords, with the
// status line given for it.
func httpOnly(g *lwsconf.Global) lws.Protocol {
	var rejects []lwsconf.KV
	if g != nil {
		rejects = g.RejectServiceKeywords
	}
	return lws.Protocol{Name: "http-only", Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
		if reason == lws.CallbackFilterHTTPConnection && len(rejects) > 0 {
			ua := c.Hdr(hdr.TokenUserAgent)
			for _, r := range rejects {
				if strings.Contains(ua, r.Key) {
					code, text, _ := strings.Cut(strings.TrimSpace(r.Value), " ")
					status, err := strconv.Atoi(code)
					if err != nil || status < 100 || status > 999 {
						status = 403
					}
					return &lws.StatusError{Status: status, Reason: text}
				}
			}
		}
		return lws.CallbackHTTPDummy(c, reason, in)
	}}
}

// plugins returns the protocols a vhost enables: those listed (with their
// options), or every registered one when none is listed and allPlugins.
func plugins(listed []string, allPlugins bool) ([]lws.Protocol, error) {
	names := listed
	if len(names) == 0 && allPlugins {
		names = lws.RegisteredProtocols()
	}
	var out []lws.Protocol
	for _, n := range names {
		p, ok := lws.LookupProtocol(n)
		if !ok {
			known := lws.RegisteredProtocols()
			sort.Strings(known)
			return nil, fmt.Errorf("protocol %q is not a plugin of this lwsws (plugins: %v)", n, known)
		}
		out = append(out, p)
	}
	return out, nil
}

// defaultSite is lwsws's built-in configuration: the classic test site on
// http://127.0.0.1:7681 with every plugin.
func defaultSite(allPlugins bool, port int) (*server, error) {
	protos, err := plugins(nil, allPlugins)
	if err != nil {
		return nil, err
	}
	book, err := testsite.Book()
	if err != nil {
		return nil, err
	}
	vi := lws.VhostInfo{
		Name:       "localhost",
		Port:       port,
		Iface:      "127.0.0.1",
		Protocols:  append([]lws.Protocol{httpOnly(nil)}, protos...),
		Extensions: extensions(),
		Mounts: []lws.Mount{
			{Mountpoint: "/", FS: testsite.Site(), Default: "test.html", CacheMaxAge: 60, CacheReusable: true, CacheRevalidate: true},
			{Mountpoint: "/ziptest", FS: book, Default: "book.html"},
		},
	}
	if allPlugins {
		vi.Mounts = append(vi.Mounts,
			lws.Mount{Mountpoint: "/formtest", Origin: "callback://protocol-post-demo"},
			lws.Mount{Mountpoint: "/server-status", FS: testsite.Site(), Default: "server-status.html"},
			lws.Mount{Mountpoint: "/metrics", Origin: "callback://lws-server-status"})
		vi.ProtocolOptions = map[string]map[string]string{"lws-server-status": {"update-ms": "1000"}}
	}
	return &server{info: lws.ContextInfo{ServiceBufferSize: 8192}, vhosts: []lws.VhostInfo{vi}, privs: privileges{uid: -1, gid: -1}}, nil
}

// extensions are the WebSocket extensions of every vhost: lwsws
// registers permessage-deflate, with lws's defaults, on all of them (its
// configuration has no key for extensions).
func extensions() []lws.Extension {
	return []lws.Extension{lws.PermessageDeflate(pmdeflate.Options{})}
}
