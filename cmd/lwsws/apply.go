package main

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/lwsconf"
)

// unsupported are the lws keys golws reads but does not act on, with why;
// each occurrence is reported with its file and line.
var unsupported = map[string]string{
	"global.count-async-threads":      "there are no async threads",
	"global.plugin-dir":               "plugins are compiled in (see docs/lwsws.md)",
	"global.cpd-bypass":               "there is no captive-portal detection",
	"global.quic-pad-crypto":          "QUIC is not served",
	"global.allow-early-data":         "TLS early data is not offered",
	"global.quic-only-latest":         "QUIC is not served",
	"global.quic-early-key-update":    "QUIC is not served",
	"global.ws-pingpong-secs":         "deprecated in lws too; the validity policy pings idle connections",
	"vhosts.unix-socket-perms":        "the socket keeps lwsws's owner (mode 0600)",
	"vhosts.enable-client-ssl":        "client TLS needs no separate context in golws",
	"vhosts.tls13-ciphers":            "Go's TLS 1.3 suites are not configurable",
	"vhosts.client-tls13-ciphers":     "Go's TLS 1.3 suites are not configurable",
	"vhosts.client-ssl-ciphers":       "client cipher lists are not configurable yet",
	"vhosts.client-ecdh-curve":        "client curves are not configurable yet",
	"vhosts.ipv6only":                 "use interface to choose the family",
	"vhosts.ssl-option-set":           "OpenSSL option bits have no crypto/tls counterpart",
	"vhosts.ssl-option-clear":         "OpenSSL option bits have no crypto/tls counterpart",
	"vhosts.ssl-client-option-set":    "OpenSSL option bits have no crypto/tls counterpart",
	"vhosts.ssl-client-option-clear":  "OpenSSL option bits have no crypto/tls counterpart",
	"vhosts.ignore-missing-cert":      "a TLS vhost needs its certificate",
	"vhosts.fo-listen-queue":          "TCP fast open is not set",
	"vhosts.allow-http-on-https":      "use allow-non-tls",
	"vhosts.h2-half-closed-long-poll": "an HTTP/2 stream half-closed by the client is served as any other",
	"vhosts.dht":                      "DHT is not served",
	"vhosts.quic-mtu":                 "QUIC is not served",
	"vhosts.quic-preferred-addresses": "QUIC is not served",
	"vhosts.mounts.auth-mask":         "basic authentication is not served yet",
	"vhosts.mounts.basic-auth":        "basic authentication is not served yet",
	"vhosts.mounts.cgi-chroot":        "CGI programs are not chrooted",
	"vhosts.mounts.interpret":         "PROCESS_HTML interpretation is not served",
	"vhosts.mounts.interceptor-path":  "interceptors are not served",
}

// loadDir reads an lwsws configuration directory.
func loadDir(dir string, allPlugins bool) (*server, error) {
	cfg, err := lwsconf.Load(dir, lwsconf.Options{DataDir: "/usr/share", Unsupported: unsupported})
	if err != nil {
		return nil, err
	}
	s := &server{}
	for _, w := range cfg.Warnings {
		s.warnings = append(s.warnings, w.String())
	}
	g := &cfg.Global
	s.info = lws.ContextInfo{
		ServiceBufferSize: 8192,
		ServerString:      g.ServerString,
		TimeoutSecs:       g.TimeoutSecs,
		IPLimitAH:         g.IPLimitAH,
		IPLimitWSI:        g.IPLimitWSI,
		RlimitNofile:      uint64(max(g.RlimitNofile, 0)),
		KaTime:            g.KaTime,
		KaProbes:          g.KaProbes,
		KaInterval:        g.KaInterval,
		SendQueueLimit:    g.SendQueueLimit,
		HTTPBodyTimeout:   time.Duration(max(g.HTTPBodyTimeoutSecs, 0)) * time.Second,
		HTTPBodyMinRate:   max(g.HTTPBodyMinRate, 0),
		FileReadWorkers:   g.FileReadWorkers,
	}
	if s.privs, err = resolvePrivileges(g.UID, g.GID, g.Username, g.Groupname); err != nil {
		return nil, err
	}
	if g.CountThreads > 1 {
		s.warnings = append(s.warnings, fmt.Sprintf("%s: count-threads %d: golws serves with one thread",
			g.Set["count-threads"], g.CountThreads))
	}
	for i := range cfg.Vhosts {
		vi, err := vhostInfo(&cfg.Vhosts[i], g, allPlugins, &s.warnings)
		if err != nil {
			return nil, err
		}
		s.vhosts = append(s.vhosts, vi)
	}
	return s, nil
}

// vhostInfo maps one configured vhost onto the library. What lws would
// only log (a protocol it lacks, an origin not on disk) is appended to
// warnings, with its file and line.
func vhostInfo(v *lwsconf.Vhost, g *lwsconf.Global, allPlugins bool, warnings *[]string) (lws.VhostInfo, error) {
	fail := func(err error) (lws.VhostInfo, error) {
		return lws.VhostInfo{}, fmt.Errorf("%s: vhost %q: %w", v.Pos, v.Name, err)
	}
	warn := func(pos lwsconf.Pos, format string, args ...any) {
		*warnings = append(*warnings, pos.String()+": "+fmt.Sprintf(format, args...))
	}
	vi := lws.VhostInfo{
		Name:                        v.Name,
		Port:                        v.Port,
		Iface:                       v.Interface,
		SSLCertFilepath:             v.HostSSLCert,
		SSLPrivateKeyFilepath:       v.HostSSLKey,
		SSLCAFilepath:               v.HostSSLCA,
		SSLCipherList:               v.Ciphers,
		ECDHCurve:                   v.ECDHCurve,
		ClientSSLCAFilepath:         v.ClientSSLCA,
		ClientSSLCertFilepath:       v.ClientSSLCert,
		ClientSSLPrivateKeyFilepath: v.ClientSSLKey,
		KeepaliveTimeout:            v.KeepaliveTimeout,
		ALPN:                        cmp.Or(v.ALPN, g.DefaultALPN),
		ErrorDocument404:            v.ErrorDocument404,
		StrictHostCheck:             v.StrictHostCheck,
		ListenAcceptRole:            v.ListenAcceptRole,
		ListenAcceptProtocol:        v.ListenAcceptProtocol,
		RejectProtocolLessUpgrades:  v.DisableNoProtocolWSUpgrades,
		UnixSocket:                  v.UnixSocket,
		BindIface:                   v.BindIface,
		Extensions:                  extensions(),
	}
	if v.AccessLog != "" {
		f, err := os.OpenFile(v.AccessLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return fail(fmt.Errorf("access-log: %w", err))
		}
		vi.AccessLog = f
	}
	if vi.Port == 0 {
		vi.Port = lws.PortAny
	}
	opts := []struct {
		on  bool
		opt lws.ServerOption
	}{
		{v.STS, lws.OptionSTS},
		{v.NoIPv6, lws.OptionDisableIPv6},
		{v.ClientCertRequired, lws.OptionRequireValidOpenSSLClientCert},
		{v.FallbackListenAccept, lws.OptionFallbackToApplyListenAcceptConfig},
		{v.ApplyListenAccept, lws.OptionAdoptApplyListenAcceptConfig},
		{v.AllowNonTLS, lws.OptionAllowNonSSLOnSSLPort},
		{v.RedirectHTTP, lws.OptionRedirectHTTPToHTTPS},
	}
	for _, o := range opts {
		if o.on {
			vi.Options |= o.opt
		}
	}
	for _, h := range v.Headers {
		vi.Headers = append(vi.Headers, lws.HTTPHeader{Name: h.Key, Value: h.Value})
	}
	// ws-protocols: the plugins, with their per-vhost options. As in lws,
	// options for a protocol this lwsws lacks are ignored (reported here),
	// and listing any protocol, known or not, enables only those listed.
	var listed []string
	vi.ProtocolOptions = map[string]map[string]string{}
	for _, p := range v.WSProtocols {
		if _, ok := lws.LookupProtocol(p.Name); !ok {
			known := lws.RegisteredProtocols()
			sort.Strings(known)
			warn(p.Pos, "protocol %q is not a plugin of this lwsws, its options are ignored (plugins: %s)",
				p.Name, strings.Join(known, " "))
			continue
		}
		listed = append(listed, p.Name)
		m := map[string]string{}
		for _, o := range p.Options {
			m[o.Name] = o.Value
		}
		vi.ProtocolOptions[p.Name] = m
	}
	protos, err := plugins(listed, allPlugins && len(v.WSProtocols) == 0)
	if err != nil {
		return fail(err)
	}
	vi.Protocols = append([]lws.Protocol{httpOnly(g)}, protos...)
	for i := range v.Mounts {
		m := &v.Mounts[i]
		lm := lws.Mount{
			Mountpoint:          m.Mountpoint,
			Origin:              m.Origin,
			Default:             m.Default,
			CGIChdir:            m.CGIChdir,
			CGITimeout:          m.CGITimeout,
			CacheMaxAge:         m.CacheMaxAge,
			CacheReusable:       m.CacheReuse,
			CacheRevalidate:     m.CacheRevalidate,
			CacheIntermediaries: m.CacheIntermediaries,
			CacheNo:             m.CacheNo,
			KeepaliveTimeout:    m.KeepaliveTimeout,
			ExactMatch:          m.ExactMatch,
			AppendPath:          m.AppendPath,
			NoWSUpgrades:        m.NoWSUpgrades,
		}
		if strings.HasPrefix(lm.Origin, "http://") || strings.HasPrefix(lm.Origin, "https://") {
			return fail(fmt.Errorf("%s: mount %s: reverse proxy origins (%s) are not served", m.Pos, m.Mountpoint, lm.Origin))
		}
		if strings.HasPrefix(lm.Origin, "file://") || strings.HasPrefix(lm.Origin, "gzip://") {
			// a file mount's protocol adds headers (ADD_HEADERS)
			lm.Protocol = m.Protocol
		}
		if strings.HasPrefix(lm.Origin, "gzip://") {
			lm.Origin = "file://" + strings.TrimPrefix(lm.Origin, "gzip://")
		}
		absentOrigin(&lm, func(format string, args ...any) {
			pos, ok := m.Set["origin"]
			if !ok {
				pos = m.Pos
			}
			warn(pos, "mount %s: "+format, append([]any{m.Mountpoint}, args...)...)
		})
		for _, e := range m.CGIEnv {
			lm.CGIEnv = append(lm.CGIEnv, lws.HTTPHeader{Name: e.Key, Value: e.Value})
		}
		for _, h := range m.Headers {
			lm.Headers = append(lm.Headers, lws.HTTPHeader{Name: h.Key, Value: h.Value})
		}
		if len(m.ExtraMimetypes) > 0 {
			lm.ExtraMimetypes = map[string]string{}
			for _, e := range m.ExtraMimetypes {
				lm.ExtraMimetypes[e.Key] = e.Value
			}
		}
		if len(m.PMO) > 0 {
			lm.PMO = map[string]string{}
			for _, e := range m.PMO {
				lm.PMO[e.Key] = e.Value
			}
		}
		vi.Mounts = append(vi.Mounts, lm)
	}
	return vi, nil
}

// absentOrigin prepares a file:// or cgi:// mount whose origin is not on
// disk, which the library would refuse when it makes the vhost. lws starts
// without looking and fails at request time; so does lwsws, with a
// warning: a missing directory is looked for again at each request, as
// lws opens its files (404 until it is there), and a missing .zip archive
// or CGI program answers 404 until lwsws reloads (SIGHUP) with it in
// place.
func absentOrigin(lm *lws.Mount, warn func(format string, args ...any)) {
	scheme, path, _ := strings.Cut(lm.Origin, "://")
	if scheme != "file" && scheme != "cgi" {
		return
	}
	if _, err := os.Stat(path); err == nil || !os.IsNotExist(err) {
		return // there, or the library's error says better what is wrong
	}
	lm.Origin = "file://" + path
	switch {
	case scheme == "cgi":
		lm.FS = absentDir("")
		warn("CGI program %s does not exist: requests get 404 until lwsws reloads with it in place", path)
	case strings.HasSuffix(path, ".zip"):
		lm.FS = absentDir("")
		warn("archive %s does not exist: requests get 404 until lwsws reloads with it in place", path)
	default:
		lm.FS = absentDir(path)
		warn("origin %s does not exist: requests get 404 while it is missing", path)
	}
}

// absentDir is the file system of a file:// mount whose directory was
// missing at start-up: each Open looks for the directory again, and
// opens name inside it as the library would (through an os.Root, so
// nothing leads out of it). The empty absentDir has nothing.
type absentDir string

// Open opens name in the directory, if the directory is there now.
func (d absentDir) Open(name string) (fs.File, error) {
	if d == "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer root.Close() // files opened from it stay open
	return root.FS().Open(name)
}
