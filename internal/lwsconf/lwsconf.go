// Package lwsconf holds lwsws's configuration files, parsed; cmd/lwsws
// applies them. It reads the JSON configuration directory of lws's lwsws
// (lws's lejp-conf.c) into plain structs and knows nothing of the
// library: mapping a [Vhost] onto a vhost, or refusing what golws does not
// serve, is cmd/lwsws's business.
//
// # Layout
//
// A configuration directory holds "conf" (meant for the "global" section)
// and "conf.d/", one file per vhost by convention; [Load] reads both. Any
// file may hold "global" and/or "vhosts" at its top level:
//
//	{ "global": { ... }, "vhosts": [ { ... }, ... ] }
//
// lws parses the whole directory twice, first for the global keys (before
// it creates its context), then for the vhosts. This package parses each
// file once and fills both: globals never depend on vhosts, so the result
// is the same.
//
// # Syntax
//
// The files are JSON with lws's additions and habits:
//
//   - '#' outside a string starts a comment that runs to the end of the
//     line.
//   - "_lws_ddir_" inside any string value is replaced by
//     [Options.DataDir] (lws: the install data directory, eg /usr/share).
//   - Every scalar is written as a JSON string ("port": "443"). JSON
//     numbers and true/false are accepted too, as the text they spell.
//   - Integers are decimal with an optional sign; anything else is an
//     error. Booleans are true for a non-zero integer (as C's atoi reads
//     it: "2", "1x") or for on, yes or true in any case; anything else is
//     false.
//   - A file holding only white space and comments is empty, not an error
//     (lws accepts it).
//
// # Diagnostics
//
// Malformed files, keys of lws whose value has the wrong JSON type and
// missing mandatory keys are an [*Error] with the file, line and column
// (columns count bytes from 1). Keys lws does not know at all, which lws
// ignores silently, and keys given twice, where the last one counts as in
// lws, are reported as [Warning]s, as are the keys the caller lists in
// [Options.Unsupported].
package lwsconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Pos is a place in a configuration file.
type Pos struct {
	File string // the file's name as given to [Parse]; [Load] uses dir/conf and dir/conf.d/name
	Line int    // from 1; 0 when the position is unknown
	Col  int    // from 1, counting bytes
}

// String renders p as "file:line:col", or the file name alone when the
// line is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Error is a configuration that cannot be used: a malformed file, a value
// of the wrong type or a missing mandatory key. Pos is where; it is empty
// only for "need at least one vhost", which is about the directory as a
// whole.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	if p := e.Pos.String(); p != "" {
		return p + ": " + e.Msg
	}
	return e.Msg
}

// Warning is something lwsws carries on after but should report: an
// unknown key, a key given twice, a deprecated key or one
// [Options.Unsupported] lists.
type Warning struct {
	Pos Pos
	Msg string
}

// String renders w as "file:line:col: msg".
func (w Warning) String() string {
	return (&Error{Pos: w.Pos, Msg: w.Msg}).Error()
}

// KV is one name: value pair of a list lws keeps as pairs (headers,
// cgi-env, pmo, extra-mimetypes, ...), in file order. Pos is where the
// name is.
type KV struct {
	Key, Value string
	Pos        Pos
}

// Options tunes parsing.
type Options struct {
	// DataDir replaces "_lws_ddir_" in every string value (lws uses its
	// install data directory, eg /usr/share). When empty, values are left
	// as written.
	DataDir string
	// Unsupported lists keys the caller reads but does not act on, by
	// path, with why: "global.cpd-bypass", "vhosts.quic-mtu",
	// "vhosts.mounts.interpret". Each occurrence becomes a Warning
	// `key "interpret" is not supported by golws: <reason>` at the key.
	// A listed key lws knows is still parsed and checked; one it does not
	// know draws this warning instead of "unknown key".
	Unsupported map[string]string
}

// Global is the "global" section (lws's paths_global[]). Sections of
// several files merge into one; a key given again replaces the earlier
// value. Integers the files do not give are 0 (library default) except
// UID and GID.
type Global struct {
	UID               int      // "uid": user id to drop privileges to; -1 when not given
	GID               int      // "gid": group id to drop privileges to; -1 when not given
	Username          string   // "username": user name to drop privileges to
	Groupname         string   // "groupname": group name to drop privileges to
	CountThreads      int      // "count-threads": service threads
	CountAsyncThreads int      // "count-async-threads": lws's async-queue threads
	InitSSL           bool     // "init-ssl": initialise the TLS library (lws's DO_SSL_GLOBAL_INIT)
	ServerString      string   // "server-string": the Server: header
	PluginDirs        []string // "plugin-dir", repeatable: extra plugin directories, in order
	WSPingPongSecs    int      // "ws-pingpong-secs": deprecated, ignored by lws
	TimeoutSecs       int      // "timeout-secs": timeout of network operations
	// KaTime, KaProbes and KaInterval are golws's "ka-time", "ka-probes"
	// and "ka-interval": TCP keepalive of accepted connections (lws sets
	// info.ka_time and friends in code; lwsws has no key for them).
	KaTime, KaProbes, KaInterval int
	// SendQueueLimit is golws's "send-queue-limit": the most bytes a
	// connection's socket may hold unsent in the kernel
	// (lws.ContextInfo.SendQueueLimit; 0 is its default, negative no
	// limit).
	SendQueueLimit int
	// HTTPBodyTimeoutSecs is golws's "http-body-timeout-secs": the most
	// seconds a request body may take as a whole
	// (lws.ContextInfo.HTTPBodyTimeout; 0, the default, none, as in lws).
	HTTPBodyTimeoutSecs int
	// HTTPBodyMinRate is golws's "http-body-min-rate": bytes per second
	// that move that deadline a second later (lws.ContextInfo.HTTPBodyMinRate).
	HTTPBodyMinRate int
	// FileReadWorkers is golws's "file-read-workers": how many reads of
	// uncached file pieces run at once off the loop
	// (lws.ContextInfo.FileReadWorkers; 0 is its default, 4).
	FileReadWorkers int
	// RejectServiceKeywords is "reject-service-keywords": an array of
	// objects whose members map a User-Agent substring (Key) to the status
	// line to answer with (Value, eg "404 Not Found").
	RejectServiceKeywords []KV
	DefaultALPN           string // "default-alpn": default ALPN list
	IPLimitAH             int    // "ip-limit-ah": soft per-peer-address limit on header tables
	IPLimitWSI            int    // "ip-limit-wsi": hard per-peer-address limit on connections
	RlimitNofile          int    // "rlimit-nofile": file descriptor limit to set
	CPDBypass             bool   // "cpd-bypass": captive-portal detection bypass
	QUICPadCrypto         bool   // "quic-pad-crypto"
	AllowEarlyData        bool   // "allow-early-data": TLS early data
	QUICOnlyLatest        bool   // "quic-only-latest"
	QUICEarlyKeyUpdate    bool   // "quic-early-key-update"
	// Set maps each key given, as written, to where it was last given.
	Set map[string]Pos
}

// Vhost is one element of "vhosts" (lws's paths_vhosts[]). Booleans not
// given are false and strings empty; the TLS cipher lists are left empty
// (the library's defaults) where lws fills in an OpenSSL list.
type Vhost struct {
	Pos        Pos    // where the vhost's '{' is
	Name       string // "name": matched against SNI and Host:
	Port       int    // "port": listen port; required unless UnixSocket
	Interface  string // "interface": interface name or address to bind; the socket path with UnixSocket
	UnixSocket bool   // "unix-socket": listen on the Unix socket named by Interface
	// BindIface is golws's "bind-iface": bind the listen socket to the
	// interface named by "interface" with SO_BINDTODEVICE (lws's
	// info.bind_iface).
	BindIface       bool
	UnixSocketPerms string     // "unix-socket-perms": "user:group" to own the socket
	STS             bool       // "sts": send Strict-Transport-Security
	HostSSLKey      string     // "host-ssl-key": server TLS private key file
	HostSSLCert     string     // "host-ssl-cert": server TLS certificate file
	HostSSLCA       string     // "host-ssl-ca": server TLS CA file
	AccessLog       string     // "access-log": Apache-format access log file
	Mounts          []Mount    // "mounts", in order
	WSProtocols     []Protocol // "ws-protocols": the protocols enabled, in order, with their options
	// KeepaliveTimeout is "keepalive_timeout" (underscore, as lws's parser
	// spells it): HTTP keep-alive idle seconds; 5 when not given, as lws.
	KeepaliveTimeout   int
	EnableClientSSL    bool   // "enable-client-ssl": make the vhost's client TLS context
	Ciphers            string // "ciphers": server TLS <= 1.2 cipher list
	TLS13Ciphers       string // "tls13-ciphers": server TLS 1.3 cipher list
	ECDHCurve          string // "ecdh-curve": server key-exchange groups, colon separated
	ClientSSLKey       string // "client-ssl-key": client TLS private key file
	ClientSSLCert      string // "client-ssl-cert": client TLS certificate file
	ClientSSLCA        string // "client-ssl-ca": client TLS CA file
	ClientSSLCiphers   string // "client-ssl-ciphers": client TLS <= 1.2 cipher list
	ClientTLS13Ciphers string // "client-tls13-ciphers": client TLS 1.3 cipher list
	ClientECDHCurve    string // "client-ecdh-curve": groups the client offers
	NoIPv6             bool   // "noipv6": no IPv6 at all
	// IPv6Only is "ipv6only" as written (with _lws_ddir_ replaced): lws
	// makes a given value set IPV6_V6ONLY, true by the boolean rules ("on":
	// IPv6 only) or false ("off": IPv4 only); empty when not given.
	IPv6Only             string
	SSLOptionSet         []int  // "ssl-option-set", repeatable: OpenSSL SSL_OP_* bits to set
	SSLOptionClear       []int  // "ssl-option-clear", repeatable: SSL_OP_* bits to clear
	SSLClientOptionSet   []int  // "ssl-client-option-set", repeatable: the same for the client context
	SSLClientOptionClear []int  // "ssl-client-option-clear", repeatable
	Headers              []KV   // "headers": array of objects of extra response headers
	ClientCertRequired   bool   // "client-cert-required": peers must present a certificate the CA signed
	IgnoreMissingCert    bool   // "ignore-missing-cert": start without the certificate files
	ErrorDocument404     string // "error-document-404": URL of the 404 page
	ALPN                 string // "alpn": the vhost's ALPN list
	FOListenQueue        int    // "fo-listen-queue": TCP fast open queue length, 0 off
	StrictHostCheck      bool   // "strict-host-check": Host: must name the vhost on upgrades
	ListenAcceptRole     string // "listen-accept-role": role accepted sockets bind to, eg "raw-proxy"
	ListenAcceptProtocol string // "listen-accept-protocol": protocol for ListenAcceptRole
	// ApplyListenAccept is "apply-listen-accept", or the deprecated
	// "onlyraw": every accepted socket takes the listen-accept role.
	ApplyListenAccept           bool
	FallbackListenAccept        bool   // "fallback-listen-accept": non-HTTP, non-TLS traffic falls back to the listen-accept role
	AllowNonTLS                 bool   // "allow-non-tls": accept plain connections on a TLS port
	RedirectHTTP                bool   // "redirect-http": redirect plain HTTP on a TLS port to https
	AllowHTTPOnHTTPS            bool   // "allow-http-on-https": serve plain HTTP on a TLS port
	DisableNoProtocolWSUpgrades bool   // "disable-no-protocol-ws-upgrades": refuse upgrades without Sec-WebSocket-Protocol (lws sets it whatever the value; here it is a boolean)
	H2HalfClosedLongPoll        bool   // "h2-half-closed-long-poll"
	QUICMTU                     int    // "quic-mtu"
	QUICPreferredAddresses      string // "quic-preferred-addresses"
	// DHT is "dht" (lws built with DHT): an array of objects, each kept as
	// its members (v, name, port, ipv6, hash).
	DHT [][]KV
	// Set maps each key given, as written, to where it was last given.
	Set map[string]Pos
}

// Mount is one element of a vhost's "mounts".
type Mount struct {
	Pos        Pos    // where the mount's '{' is
	Mountpoint string // "mountpoint": URL prefix; mandatory
	// Origin is "origin" as written, scheme included (http://, https://,
	// file://, cgi://, >http://, >https://, callback:// or gzip://), with
	// _lws_ddir_ replaced; mandatory.
	Origin  string
	Default string // "default": file served for a directory URL
	// Protocol is "protocol" (lws parses and ignores it), or, as lws sets
	// it, the name after callback:// in Origin when "protocol" is not given.
	Protocol            string
	AuthMask            int    // "auth-mask": low 28 bits to the access check, top 4 bits the auth mode
	BasicAuth           string // "basic-auth": file of user:password lines
	CGITimeout          int    // "cgi-timeout": seconds
	CGIEnv              []KV   // "cgi-env": array of objects of extra CGI environment
	CGIChroot           string // "cgi-chroot"
	CGIChdir            string // "cgi-chdir"
	CacheMaxAge         int    // "cache-max-age": seconds
	CacheReuse          bool   // "cache-reuse"
	CacheRevalidate     bool   // "cache-revalidate"
	CacheIntermediaries bool   // "cache-intermediaries"
	CacheNo             bool   // "cache-no"
	ExtraMimetypes      []KV   // "extra-mimetypes": object of suffix: mimetype
	Interpret           []KV   // "interpret": object of suffix: protocol name
	Headers             []KV   // "headers": array of objects of extra response headers
	KeepaliveTimeout    int    // "keepalive-timeout" (hyphen at mount level)
	PMO                 []KV   // "pmo": array of objects of per-mount options
	ExactMatch          bool   // "exact-match": the URL must equal the mountpoint
	AppendPath          bool   // "append-path": redirects append the rest of the path
	NoWSUpgrades        bool   // "no-ws-upgrades": skip this mount for Upgrade: requests
	InterceptorPath     string // "interceptor-path": mountpoint of an interceptor plugin
	// Set maps each key given, as written, to where it was last given.
	Set map[string]Pos
}

// Protocol is one protocol a vhost's "ws-protocols" enables:
//
//	"ws-protocols": [{ "proto-a": { "k": "v", "nested": { ... } }, "proto-b": { ... } }]
//
// Each object of the array may list several protocols.
type Protocol struct {
	Name    string
	Pos     Pos      // where the name is
	Options []Option // its per-vhost options (lws's pvos), in order
}

// Option is one per-vhost protocol option. An object value nests: its
// members are Options and Value is empty.
type Option struct {
	Name, Value string
	Pos         Pos // where the name is
	Options     []Option
}

// Config is a parsed configuration directory.
type Config struct {
	Global   Global
	Vhosts   []Vhost   // in the order read
	Warnings []Warning // in the order found
	Files    []string  // the files read, in order
}

// Load reads the lwsws configuration directory dir: dir/conf if there is
// one, then every file of dir/conf.d in lexical (byte) order, skipping
// names that start with "." or end in "~" (editor backups). lws reads
// conf.d in directory order, which no one can rely on; sorting makes the
// result reproducible. Regular files and symbolic links to them are read;
// either may be missing, but dir must exist. A configuration without a
// vhost is an error, "need at least one vhost".
//
// Errors in the files are [*Error]s; others come from the file system.
func Load(dir string, opts Options) (*Config, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "load", Path: dir, Err: errors.New("not a directory")}
	}
	cfg := &Config{}
	initGlobal(&cfg.Global)
	files := []string{}
	conf := filepath.Join(dir, "conf")
	if _, err := os.Stat(conf); err == nil {
		files = append(files, conf)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	confd := filepath.Join(dir, "conf.d")
	ents, err := os.ReadDir(confd) // sorted by name
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(confd, name)
		if !e.Type().IsRegular() {
			if e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
				continue // a dangling link, or one to something not a file
			}
		}
		files = append(files, path)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := Parse(f, data, opts, cfg); err != nil {
			return nil, err
		}
	}
	if len(cfg.Vhosts) == 0 {
		return nil, &Error{Msg: "need at least one vhost"}
	}
	return cfg, nil
}

// Parse parses one configuration file, name being how positions call it,
// and adds what it holds to into: the global keys it gives, its vhosts
// and its warnings, and name to into.Files. A zero Config may be passed:
// when into.Global.Set is nil, Parse first sets UID and GID to -1 (not
// given). On error into may hold part of the file and should be
// discarded; the error is an [*Error] whose position has a line of 1 or
// more.
func Parse(name string, data []byte, opts Options, into *Config) error {
	if into.Global.Set == nil {
		initGlobal(&into.Global)
	}
	into.Files = append(into.Files, name)
	tree, err := parseTree(name, data)
	if err != nil || tree == nil {
		return err
	}
	in := &interp{opts: opts, cfg: into}
	return in.top(tree)
}

func initGlobal(g *Global) {
	g.UID, g.GID = -1, -1
	g.Set = map[string]Pos{}
}
