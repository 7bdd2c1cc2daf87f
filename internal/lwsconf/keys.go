package lwsconf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// This file gives the syntax tree its meaning: lws's key tables
// (paths_global[] and paths_vhosts[] of lejp-conf.c) and the conversions
// of their values.

// ddir is the placeholder lws replaces with its install data directory.
const ddir = "_lws_ddir_"

// originSchemes are the origin prefixes lws accepts, in lws's order.
var originSchemes = []string{"http://", "https://", "file://", "cgi://", ">http://", ">https://", "callback://", "gzip://"}

// interp fills a Config from syntax trees.
type interp struct {
	opts Options
	cfg  *Config
}

func (in *interp) warn(p Pos, format string, args ...any) {
	in.cfg.Warnings = append(in.cfg.Warnings, Warning{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func errAt(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// scalar returns the text of the scalar value v of key, with _lws_ddir_
// replaced in strings.
func (in *interp) scalar(key string, v *node) (string, error) {
	switch v.kind {
	case nString:
		if in.opts.DataDir != "" {
			return strings.ReplaceAll(v.text, ddir, in.opts.DataDir), nil
		}
		return v.text, nil
	case nNumber, nBool:
		return v.text, nil
	}
	return "", errAt(v.pos, "expected a string value for %s", strconv.Quote(key))
}

// integer converts the value of key: decimal, optional sign, surrounding
// white space allowed.
func (in *interp) integer(key string, v *node) (int, error) {
	s, err := in.scalar(key, v)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errAt(v.pos, "expected an integer for %s: %s is out of range", strconv.Quote(key), strconv.Quote(s))
		}
		return 0, errAt(v.pos, "expected an integer for %s, not %s", strconv.Quote(key), strconv.Quote(s))
	}
	return n, nil
}

// boolean converts the value of key as lws's arg_to_bool: true for a
// non-zero atoi() or on, yes, true in any case.
func (in *interp) boolean(key string, v *node) (bool, error) {
	s, err := in.scalar(key, v)
	if err != nil {
		return false, err
	}
	return argToBool(s), nil
}

// argToBool is lws's arg_to_bool.
func argToBool(s string) bool {
	if cAtoiNonZero(s) {
		return true
	}
	for _, w := range []string{"on", "yes", "true"} {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// cAtoiNonZero reports whether C's atoi(s) is non-zero: leading white
// space, an optional sign, then the digits up to the first non-digit.
func cAtoiNonZero(s string) bool {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if s[i] != '0' {
			return true
		}
	}
	return false
}

// kvs reads the members of the object v as pairs; what names the list in
// errors.
func (in *interp) kvs(what string, v *node) ([]KV, error) {
	if v.kind != nObject {
		return nil, errAt(v.pos, "expected an object for %s", strconv.Quote(what))
	}
	out := make([]KV, 0, len(v.members))
	for _, m := range v.members {
		s, err := in.scalar(m.key, m.val)
		if err != nil {
			return nil, err
		}
		out = append(out, KV{Key: m.key, Value: s, Pos: m.pos})
	}
	return out, nil
}

// kvArray reads an array of objects (lws's "key[].*" paths) as pairs.
func (in *interp) kvArray(key string, v *node) ([]KV, error) {
	if v.kind != nArray {
		return nil, errAt(v.pos, "expected an array of objects for %s", strconv.Quote(key))
	}
	var out []KV
	for _, e := range v.elems {
		if e.kind != nObject {
			return nil, errAt(e.pos, "expected an array of objects for %s", strconv.Quote(key))
		}
		kv, err := in.kvs(key, e)
		if err != nil {
			return nil, err
		}
		out = append(out, kv...)
	}
	return out, nil
}

// spec says how a key of a section of type T is read.
type spec[T any] struct {
	repeat bool // given several times, values accumulate: no "given twice" warning
	set    func(in *interp, t *T, key string, v *node) error
}

func str[T any](f func(*T) *string) spec[T] {
	return spec[T]{set: func(in *interp, t *T, key string, v *node) error {
		s, err := in.scalar(key, v)
		*f(t) = s
		return err
	}}
}

func num[T any](f func(*T) *int) spec[T] {
	return spec[T]{set: func(in *interp, t *T, key string, v *node) error {
		n, err := in.integer(key, v)
		*f(t) = n
		return err
	}}
}

func flag[T any](f func(*T) *bool) spec[T] {
	return spec[T]{set: func(in *interp, t *T, key string, v *node) error {
		b, err := in.boolean(key, v)
		*f(t) = b
		return err
	}}
}

func strList[T any](f func(*T) *[]string) spec[T] {
	return spec[T]{repeat: true, set: func(in *interp, t *T, key string, v *node) error {
		s, err := in.scalar(key, v)
		*f(t) = append(*f(t), s)
		return err
	}}
}

func numList[T any](f func(*T) *[]int) spec[T] {
	return spec[T]{repeat: true, set: func(in *interp, t *T, key string, v *node) error {
		n, err := in.integer(key, v)
		*f(t) = append(*f(t), n)
		return err
	}}
}

// pairArray is a key whose value is an array of objects of pairs.
func pairArray[T any](f func(*T) *[]KV) spec[T] {
	return spec[T]{repeat: true, set: func(in *interp, t *T, key string, v *node) error {
		kv, err := in.kvArray(key, v)
		*f(t) = append(*f(t), kv...)
		return err
	}}
}

// pairObject is a key whose value is an object of pairs.
func pairObject[T any](f func(*T) *[]KV) spec[T] {
	return spec[T]{repeat: true, set: func(in *interp, t *T, key string, v *node) error {
		kv, err := in.kvs(key, v)
		*f(t) = append(*f(t), kv...)
		return err
	}}
}

// hints suggest the key meant for a few common mistakes.
var hints = map[string]string{
	"global.interface":         `"interface" is a vhost key`,
	"vhost.keepalive-timeout":  `the vhost key is "keepalive_timeout"`,
	"vhost.keeplive-timeout":   `the vhost key is "keepalive_timeout"`,
	"mount.keepalive_timeout":  `the mount key is "keepalive-timeout"`,
	"vhost.ws-protocol":        `the key is "ws-protocols"`,
	"vhost.mount":              `the key is "mounts"`,
	"top level.vhost":          `the key is "vhosts"`,
	"mount.extra-mimetype":     `the key is "extra-mimetypes"`,
	"vhost.host-ssl-crt":       `the key is "host-ssl-cert"`,
	"vhost.enable-client-tls":  `the key is "enable-client-ssl"`,
	"global.plugin-dirs":       `the key is "plugin-dir", repeated`,
	"global.reject-service-kw": `the key is "reject-service-keywords"`,
}

// walk reads the members of obj into t. path is the section's path for
// Options.Unsupported ("global", "vhosts", "vhosts.mounts"), where names
// it in warnings.
func walk[T any](in *interp, obj *node, t *T, set map[string]Pos, keys map[string]spec[T], path, where string) error {
	for _, m := range obj.members {
		reason, unsupported := in.opts.Unsupported[path+"."+m.key]
		if unsupported {
			in.warn(m.pos, "key %s is not supported by golws: %s", strconv.Quote(m.key), reason)
		}
		sp, known := keys[m.key]
		if !known {
			if !unsupported {
				if h, ok := hints[where+"."+m.key]; ok {
					in.warn(m.pos, "unknown key %s in %s (%s)", strconv.Quote(m.key), where, h)
				} else {
					in.warn(m.pos, "unknown key %s in %s", strconv.Quote(m.key), where)
				}
			}
			continue
		}
		if prev, dup := set[m.key]; dup && !sp.repeat {
			in.warn(m.pos, "key %s given twice (before at %s); the last one counts", strconv.Quote(m.key), prev)
		}
		set[m.key] = m.pos
		if err := sp.set(in, t, m.key, m.val); err != nil {
			return err
		}
	}
	return nil
}

// top reads a file's top-level object.
func (in *interp) top(n *node) error {
	for _, m := range n.members {
		switch m.key {
		case "global":
			if m.val.kind != nObject {
				return errAt(m.val.pos, `expected an object for "global"`)
			}
			g := &in.cfg.Global
			if err := walk(in, m.val, g, g.Set, globalKeys, "global", "global"); err != nil {
				return err
			}
		case "vhosts":
			if m.val.kind != nArray {
				return errAt(m.val.pos, `expected an array of vhost objects for "vhosts"`)
			}
			for _, e := range m.val.elems {
				if err := in.vhost(e); err != nil {
					return err
				}
			}
		default:
			if h, ok := hints["top level."+m.key]; ok {
				in.warn(m.pos, "unknown key %s at the top level (%s)", strconv.Quote(m.key), h)
			} else {
				in.warn(m.pos, "unknown key %s at the top level", strconv.Quote(m.key))
			}
		}
	}
	return nil
}

// vhost reads one element of "vhosts".
func (in *interp) vhost(n *node) error {
	if n.kind != nObject {
		return errAt(n.pos, `expected an array of vhost objects for "vhosts"`)
	}
	v := Vhost{Pos: n.pos, KeepaliveTimeout: 5, Set: map[string]Pos{}}
	if err := walk(in, n, &v, v.Set, vhostKeys, "vhosts", "vhost"); err != nil {
		return err
	}
	if p, ok := v.Set["onlyraw"]; ok {
		in.warn(p, `key "onlyraw" is deprecated: use "apply-listen-accept"`)
	}
	if v.Port == 0 && !v.UnixSocket {
		return errAt(v.Pos, "vhost %s needs a port (eg, 443)", strconv.Quote(v.Name))
	}
	in.cfg.Vhosts = append(in.cfg.Vhosts, v)
	return nil
}

// mounts reads a vhost's "mounts".
func (in *interp) mounts(v *Vhost, key string, n *node) error {
	if n.kind != nArray {
		return errAt(n.pos, "expected an array of mount objects for %s", strconv.Quote(key))
	}
	for _, e := range n.elems {
		if e.kind != nObject {
			return errAt(e.pos, "expected an array of mount objects for %s", strconv.Quote(key))
		}
		m := Mount{Pos: e.pos, Set: map[string]Pos{}}
		if err := walk(in, e, &m, m.Set, mountKeys, "vhosts.mounts", "mount"); err != nil {
			return err
		}
		if _, ok := m.Set["mountpoint"]; !ok {
			return errAt(m.Pos, `mount needs a "mountpoint"`)
		}
		if _, ok := m.Set["origin"]; !ok {
			return errAt(m.Pos, `mount %s needs an "origin"`, strconv.Quote(m.Mountpoint))
		}
		if _, ok := m.Set["protocol"]; !ok {
			if name, ok := strings.CutPrefix(m.Origin, "callback://"); ok {
				m.Protocol = name
			}
		}
		v.Mounts = append(v.Mounts, m)
	}
	return nil
}

// origin reads and checks a mount's "origin".
func (in *interp) origin(m *Mount, key string, n *node) error {
	s, err := in.scalar(key, n)
	if err != nil {
		return err
	}
	for _, p := range originSchemes {
		if strings.HasPrefix(s, p) {
			m.Origin = s
			return nil
		}
	}
	return errAt(n.pos, "unsupported protocol:// in origin %s (use one of %s)", strconv.Quote(s), strings.Join(originSchemes, " "))
}

// protocols reads a vhost's "ws-protocols".
func (in *interp) protocols(v *Vhost, key string, n *node) error {
	if n.kind != nArray {
		return errAt(n.pos, "expected an array of objects for %s", strconv.Quote(key))
	}
	for _, e := range n.elems {
		if e.kind != nObject {
			return errAt(e.pos, "expected an array of objects for %s", strconv.Quote(key))
		}
		for _, m := range e.members {
			if m.val.kind != nObject {
				return errAt(m.val.pos, "expected an object of options for protocol %s", strconv.Quote(m.key))
			}
			opts, err := in.options(m.key, m.val)
			if err != nil {
				return err
			}
			v.WSProtocols = append(v.WSProtocols, Protocol{Name: m.key, Pos: m.pos, Options: opts})
		}
	}
	return nil
}

// options reads the object n of per-vhost options of owner.
func (in *interp) options(owner string, n *node) ([]Option, error) {
	var out []Option
	for _, m := range n.members {
		o := Option{Name: m.key, Pos: m.pos}
		switch m.val.kind {
		case nObject:
			sub, err := in.options(m.key, m.val)
			if err != nil {
				return nil, err
			}
			o.Options = sub
		case nString, nNumber, nBool:
			o.Value, _ = in.scalar(m.key, m.val)
		default:
			return nil, errAt(m.val.pos, "expected a string or an object for option %s of %s", strconv.Quote(m.key), strconv.Quote(owner))
		}
		out = append(out, o)
	}
	return out, nil
}

// dht reads a vhost's "dht": an array of objects.
func (in *interp) dht(v *Vhost, key string, n *node) error {
	if n.kind != nArray {
		return errAt(n.pos, "expected an array of objects for %s", strconv.Quote(key))
	}
	for _, e := range n.elems {
		if e.kind != nObject {
			return errAt(e.pos, "expected an array of objects for %s", strconv.Quote(key))
		}
		kv, err := in.kvs(key, e)
		if err != nil {
			return err
		}
		v.DHT = append(v.DHT, kv)
	}
	return nil
}

// globalKeys is lws's paths_global[], and the keys newer lws added.
var globalKeys = map[string]spec[Global]{
	"uid":                     num(func(g *Global) *int { return &g.UID }),
	"gid":                     num(func(g *Global) *int { return &g.GID }),
	"username":                str(func(g *Global) *string { return &g.Username }),
	"groupname":               str(func(g *Global) *string { return &g.Groupname }),
	"count-threads":           num(func(g *Global) *int { return &g.CountThreads }),
	"count-async-threads":     num(func(g *Global) *int { return &g.CountAsyncThreads }),
	"init-ssl":                flag(func(g *Global) *bool { return &g.InitSSL }),
	"server-string":           str(func(g *Global) *string { return &g.ServerString }),
	"plugin-dir":              strList(func(g *Global) *[]string { return &g.PluginDirs }),
	"ws-pingpong-secs":        num(func(g *Global) *int { return &g.WSPingPongSecs }),
	"timeout-secs":            num(func(g *Global) *int { return &g.TimeoutSecs }),
	"reject-service-keywords": pairArray(func(g *Global) *[]KV { return &g.RejectServiceKeywords }),
	"default-alpn":            str(func(g *Global) *string { return &g.DefaultALPN }),
	"ip-limit-ah":             num(func(g *Global) *int { return &g.IPLimitAH }),
	"ip-limit-wsi":            num(func(g *Global) *int { return &g.IPLimitWSI }),
	"rlimit-nofile":           num(func(g *Global) *int { return &g.RlimitNofile }),
	"cpd-bypass":              flag(func(g *Global) *bool { return &g.CPDBypass }),
	"quic-pad-crypto":         flag(func(g *Global) *bool { return &g.QUICPadCrypto }),
	"allow-early-data":        flag(func(g *Global) *bool { return &g.AllowEarlyData }),
	"quic-only-latest":        flag(func(g *Global) *bool { return &g.QUICOnlyLatest }),
	"quic-early-key-update":   flag(func(g *Global) *bool { return &g.QUICEarlyKeyUpdate }),
	// golws's keys for what lws sets in code (info.ka_time, ...):
	"ka-time":     num(func(g *Global) *int { return &g.KaTime }),
	"ka-probes":   num(func(g *Global) *int { return &g.KaProbes }),
	"ka-interval": num(func(g *Global) *int { return &g.KaInterval }),
	// and for golws's own limits:
	"send-queue-limit":       num(func(g *Global) *int { return &g.SendQueueLimit }),
	"http-body-timeout-secs": num(func(g *Global) *int { return &g.HTTPBodyTimeoutSecs }),
	"http-body-min-rate":     num(func(g *Global) *int { return &g.HTTPBodyMinRate }),
	"file-read-workers":      num(func(g *Global) *int { return &g.FileReadWorkers }),
}

// vhostKeys is lws's paths_vhosts[] at vhost level.
var vhostKeys = map[string]spec[Vhost]{
	"name":              str(func(v *Vhost) *string { return &v.Name }),
	"port":              num(func(v *Vhost) *int { return &v.Port }),
	"interface":         str(func(v *Vhost) *string { return &v.Interface }),
	"unix-socket":       flag(func(v *Vhost) *bool { return &v.UnixSocket }),
	"bind-iface":        flag(func(v *Vhost) *bool { return &v.BindIface }),
	"unix-socket-perms": str(func(v *Vhost) *string { return &v.UnixSocketPerms }),
	"sts":               flag(func(v *Vhost) *bool { return &v.STS }),
	"host-ssl-key":      str(func(v *Vhost) *string { return &v.HostSSLKey }),
	"host-ssl-cert":     str(func(v *Vhost) *string { return &v.HostSSLCert }),
	"host-ssl-ca":       str(func(v *Vhost) *string { return &v.HostSSLCA }),
	"access-log":        str(func(v *Vhost) *string { return &v.AccessLog }),
	"mounts": {repeat: true, set: func(in *interp, v *Vhost, key string, n *node) error {
		return in.mounts(v, key, n)
	}},
	"ws-protocols": {repeat: true, set: func(in *interp, v *Vhost, key string, n *node) error {
		return in.protocols(v, key, n)
	}},
	"keepalive_timeout":       num(func(v *Vhost) *int { return &v.KeepaliveTimeout }),
	"enable-client-ssl":       flag(func(v *Vhost) *bool { return &v.EnableClientSSL }),
	"ciphers":                 str(func(v *Vhost) *string { return &v.Ciphers }),
	"tls13-ciphers":           str(func(v *Vhost) *string { return &v.TLS13Ciphers }),
	"ecdh-curve":              str(func(v *Vhost) *string { return &v.ECDHCurve }),
	"client-ssl-key":          str(func(v *Vhost) *string { return &v.ClientSSLKey }),
	"client-ssl-cert":         str(func(v *Vhost) *string { return &v.ClientSSLCert }),
	"client-ssl-ca":           str(func(v *Vhost) *string { return &v.ClientSSLCA }),
	"client-ssl-ciphers":      str(func(v *Vhost) *string { return &v.ClientSSLCiphers }),
	"client-tls13-ciphers":    str(func(v *Vhost) *string { return &v.ClientTLS13Ciphers }),
	"client-ecdh-curve":       str(func(v *Vhost) *string { return &v.ClientECDHCurve }),
	"noipv6":                  flag(func(v *Vhost) *bool { return &v.NoIPv6 }),
	"ipv6only":                str(func(v *Vhost) *string { return &v.IPv6Only }),
	"ssl-option-set":          numList(func(v *Vhost) *[]int { return &v.SSLOptionSet }),
	"ssl-option-clear":        numList(func(v *Vhost) *[]int { return &v.SSLOptionClear }),
	"ssl-client-option-set":   numList(func(v *Vhost) *[]int { return &v.SSLClientOptionSet }),
	"ssl-client-option-clear": numList(func(v *Vhost) *[]int { return &v.SSLClientOptionClear }),
	"headers":                 pairArray(func(v *Vhost) *[]KV { return &v.Headers }),
	"client-cert-required":    flag(func(v *Vhost) *bool { return &v.ClientCertRequired }),
	"ignore-missing-cert":     flag(func(v *Vhost) *bool { return &v.IgnoreMissingCert }),
	"error-document-404":      str(func(v *Vhost) *string { return &v.ErrorDocument404 }),
	"alpn":                    str(func(v *Vhost) *string { return &v.ALPN }),
	"fo-listen-queue":         num(func(v *Vhost) *int { return &v.FOListenQueue }),
	"strict-host-check":       flag(func(v *Vhost) *bool { return &v.StrictHostCheck }),
	"listen-accept-role":      str(func(v *Vhost) *string { return &v.ListenAcceptRole }),
	"listen-accept-protocol":  str(func(v *Vhost) *string { return &v.ListenAcceptProtocol }),
	"apply-listen-accept":     flag(func(v *Vhost) *bool { return &v.ApplyListenAccept }),
	"onlyraw":                 flag(func(v *Vhost) *bool { return &v.ApplyListenAccept }),
	"fallback-listen-accept":  flag(func(v *Vhost) *bool { return &v.FallbackListenAccept }),
	"allow-non-tls":           flag(func(v *Vhost) *bool { return &v.AllowNonTLS }),
	"redirect-http":           flag(func(v *Vhost) *bool { return &v.RedirectHTTP }),
	"allow-http-on-https":     flag(func(v *Vhost) *bool { return &v.AllowHTTPOnHTTPS }),
	"disable-no-protocol-ws-upgrades": flag(func(v *Vhost) *bool {
		return &v.DisableNoProtocolWSUpgrades
	}),
	"h2-half-closed-long-poll": flag(func(v *Vhost) *bool { return &v.H2HalfClosedLongPoll }),
	"dht": {repeat: true, set: func(in *interp, v *Vhost, key string, n *node) error {
		return in.dht(v, key, n)
	}},
	"quic-mtu":                 num(func(v *Vhost) *int { return &v.QUICMTU }),
	"quic-preferred-addresses": str(func(v *Vhost) *string { return &v.QUICPreferredAddresses }),
}

// mountKeys is lws's paths_vhosts[] under "vhosts[].mounts[]".
var mountKeys = map[string]spec[Mount]{
	"mountpoint": str(func(m *Mount) *string { return &m.Mountpoint }),
	"origin": {set: func(in *interp, m *Mount, key string, n *node) error {
		return in.origin(m, key, n)
	}},
	"default":              str(func(m *Mount) *string { return &m.Default }),
	"protocol":             str(func(m *Mount) *string { return &m.Protocol }),
	"auth-mask":            num(func(m *Mount) *int { return &m.AuthMask }),
	"basic-auth":           str(func(m *Mount) *string { return &m.BasicAuth }),
	"cgi-timeout":          num(func(m *Mount) *int { return &m.CGITimeout }),
	"cgi-env":              pairArray(func(m *Mount) *[]KV { return &m.CGIEnv }),
	"cgi-chroot":           str(func(m *Mount) *string { return &m.CGIChroot }),
	"cgi-chdir":            str(func(m *Mount) *string { return &m.CGIChdir }),
	"cache-max-age":        num(func(m *Mount) *int { return &m.CacheMaxAge }),
	"cache-reuse":          flag(func(m *Mount) *bool { return &m.CacheReuse }),
	"cache-revalidate":     flag(func(m *Mount) *bool { return &m.CacheRevalidate }),
	"cache-intermediaries": flag(func(m *Mount) *bool { return &m.CacheIntermediaries }),
	"cache-no":             flag(func(m *Mount) *bool { return &m.CacheNo }),
	"extra-mimetypes":      pairObject(func(m *Mount) *[]KV { return &m.ExtraMimetypes }),
	"interpret":            pairObject(func(m *Mount) *[]KV { return &m.Interpret }),
	"headers":              pairArray(func(m *Mount) *[]KV { return &m.Headers }),
	"keepalive-timeout":    num(func(m *Mount) *int { return &m.KeepaliveTimeout }),
	"pmo":                  pairArray(func(m *Mount) *[]KV { return &m.PMO }),
	"exact-match":          flag(func(m *Mount) *bool { return &m.ExactMatch }),
	"append-path":          flag(func(m *Mount) *bool { return &m.AppendPath }),
	"no-ws-upgrades":       flag(func(m *Mount) *bool { return &m.NoWSUpgrades }),
	"interceptor-path":     str(func(m *Mount) *string { return &m.InterceptorPath }),
}
