package lws

import (
	"github.com/golws/lws/h2"

	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ServerOption is a bit set of lws's LWS_SERVER_OPTION_* flags that apply to
// a vhost, with lws's bit values.
type ServerOption uint64

// Server options golws honours.
const (
	// OptionRequireValidOpenSSLClientCert asks TLS clients for a
	// certificate and refuses those without one that the vhost's CA
	// (SSLCAFilepath) verifies.
	OptionRequireValidOpenSSLClientCert ServerOption = 1<<1 | 1<<12
	// OptionAllowNonSSLOnSSLPort serves plain HTTP on a TLS vhost's port
	// to clients whose first byte is not a TLS handshake.
	OptionAllowNonSSLOnSSLPort ServerOption = 1<<3 | 1<<12
	// OptionRedirectHTTPToHTTPS, with OptionAllowNonSSLOnSSLPort,
	// answers plain HTTP on the TLS port with a redirect to https://.
	OptionRedirectHTTPToHTTPS ServerOption = 1<<11 | 1<<12
	// OptionSTS adds Strict-Transport-Security to the vhost's HTTP
	// responses (lws's max-age of half a year, with subdomains).
	OptionSTS ServerOption = 1 << 15
	// OptionDisableIPv6 listens on IPv4 only when no Iface is given.
	OptionDisableIPv6 ServerOption = 1 << 5
	// OptionFallbackToApplyListenAcceptConfig applies ListenAcceptRole to a
	// connection only when its first bytes are not an HTTP method; other
	// connections are served as HTTP.
	OptionFallbackToApplyListenAcceptConfig ServerOption = 1 << 20
	// OptionAdoptApplyListenAcceptConfig makes Vhost.AdoptSocket apply the
	// vhost's ListenAcceptRole to adopted sockets too.
	OptionAdoptApplyListenAcceptConfig ServerOption = 1 << 22
	// OptionSkipProtocolInit does not deliver PROTOCOL_INIT when the vhost is
	// created.
	OptionSkipProtocolInit ServerOption = 1 << 25
)

// Special values of VhostInfo.Port.
const (
	// PortNoListen makes a vhost that does not listen: for client connections
	// and adoption only (lws's CONTEXT_PORT_NO_LISTEN).
	PortNoListen = -1
	// PortAny listens on a port the kernel chooses; Vhost.Port tells which.
	PortAny = 0
)

// RoleRawSkt is the ListenAcceptRole that makes accepted connections RAW
// sockets (lws's "raw-skt").
const RoleRawSkt = "raw-skt"

// VhostInfo configures a vhost (the vhost-scope members of lws's struct
// lws_context_creation_info).
type VhostInfo struct {
	// Name identifies the vhost (lws's vhost_name); "default" if empty.
	Name string
	// Unlisted leaves the vhost out of Stats' Vhosts (and so out of
	// lws-server-status): for a vhost a program makes for its own
	// machinery rather than to serve, such as lwsws's control vhost.
	Unlisted bool
	// Port to listen on: a number, PortAny, or PortNoListen.
	Port int
	// Iface is the address to listen on: an IP address or a network
	// interface name. Empty listens on every address (IPv6 and IPv4 unless
	// OptionDisableIPv6).
	Iface string
	// Protocols the vhost serves. The first one receives the connection-level
	// reasons that precede protocol binding (FILTER_NETWORK_CONNECTION,
	// WSI_CREATE, ...). A vhost needs at least one.
	Protocols []Protocol
	// ProtocolOptions holds per-vhost protocol options (lws's pvo), keyed by
	// protocol name, then by option name. The library reads two, whatever
	// their value: "default" marks the protocol that WebSocket upgrades
	// asking for no subprotocol bind to (otherwise the first), and "any"
	// marks the protocol that takes upgrades asking only for subprotocols
	// the vhost does not serve: the answer names the client's first one
	// (golws's addition, for echo and test servers that accept every
	// subprotocol).
	ProtocolOptions map[string]map[string]string
	// Options is a set of ServerOption flags.
	Options ServerOption
	// ListenAcceptRole is the role accepted connections take: empty for
	// HTTP/1 (HTTP requests and WebSocket upgrades), or RoleRawSkt for RAW
	// sockets.
	ListenAcceptRole string
	// ListenAcceptProtocol names the protocol that connections given the
	// listen-accept role bind to; empty means the first protocol.
	ListenAcceptProtocol string
	// ConnectTimeout bounds how long a client connection made on this vhost
	// may take to resolve and connect. Zero means 5 seconds.
	ConnectTimeout time.Duration
	// AHIdleTimeoutSecs bounds how long a connection may take to send its
	// request head once it holds a header table (lws's
	// timeout_secs_ah_idle): from the accept for its first request (lws
	// attaches a table then; a client sending nothing, or a byte at a
	// time, is closed that long after connecting), from its first byte
	// for a later request on a kept connection, and from when it gets a
	// table for a head that had to wait for one. Zero means 10.
	AHIdleTimeoutSecs int
	// RejectProtocolLessUpgrades refuses WebSocket upgrades that name no
	// protocol, instead of binding them to the default protocol.
	RejectProtocolLessUpgrades bool
	// ValidityPing and ValidityHangup are the connection-validity policy of
	// WebSocket connections (lws's retry_and_idle_policy
	// secs_since_valid_ping and secs_since_valid_hangup): after
	// ValidityPing without anything received the library sends a ping (one
	// at a time), and after ValidityHangup without anything received it
	// hangs up. Zero means lws's defaults, 5 minutes and 5 minutes 10
	// seconds; a negative value turns that part off.
	ValidityPing, ValidityHangup time.Duration
	// Extensions are the WebSocket extensions the vhost accepts from
	// clients and offers as a client (lws's extensions), over HTTP/1 and
	// HTTP/2 alike: PermessageDeflate for RFC 7692's compression. None
	// by default.
	Extensions []Extension
	// WSMaxFrame and WSMaxMessage cap the payload of one received
	// WebSocket frame and of one message (as announced by frame headers);
	// a peer exceeding them is closed with 1009 as soon as the length of
	// the frame that goes over is read, before any of its payload is
	// taken. Zero means 256 MiB each (ws.DefaultMaxFrame and
	// ws.DefaultMaxMessage: lws refuses frames over 0x10000000 bytes);
	// a negative value means no cap. Under the cap data streams to
	// RECEIVE in pieces, so the caps bound what a peer may announce, not
	// memory. On a connection that negotiated an extension
	// (permessage-deflate), WSMaxMessage caps what a message decodes to:
	// the connection closes with 1009 as soon as the decoded bytes go
	// over it, before any byte beyond it is delivered; the wire may then
	// carry up to WSMaxMessage/32 + 4096 bytes more, which compressing
	// what does not compress can add.
	WSMaxFrame, WSMaxMessage int64
	// Mounts map parts of the vhost's URL space to files, CGI programs,
	// redirects or protocols (lws's mounts).
	Mounts []Mount
	// Headers are added to every HTTP response of the vhost (lws's
	// headers), for example security policies.
	Headers []HTTPHeader
	// ErrorDocument404 is where a 404 answer redirects (lws's
	// error_document_404): a URL path served by a mount.
	ErrorDocument404 string
	// StrictHostCheck refuses, with 400, requests whose Host header names
	// no vhost on the listen port (lws's
	// LWS_SERVER_OPTION_VHOST_UPG_STRICT_HOST_CHECK).
	StrictHostCheck bool
	// SSLCertFilepath and SSLPrivateKeyFilepath are the PEM files of the
	// vhost's server certificate (chain first) and key; with them the
	// vhost's port serves TLS (lws's ssl_cert_filepath and
	// ssl_private_key_filepath). The key may be in the certificate file.
	SSLCertFilepath, SSLPrivateKeyFilepath string
	// SSLCAFilepath is a PEM file of the CAs that verify client
	// certificates (lws's ssl_ca_filepath).
	SSLCAFilepath string
	// TLSConfig, if set, is the base of the vhost's server TLS
	// configuration (lws's CREATE_VHOST_SSL_CTX): certificates, client
	// verification, versions. It is cloned; the files above are added to
	// the clone. A vhost with TLSConfig and no files serves TLS too.
	TLSConfig *tls.Config
	// SSLCipherList is the server's TLS 1.2 cipher list in OpenSSL's
	// syntax (lws's ssl_cipher_list, lwsws's "ciphers"); see
	// ParseCipherList. Empty means Go's defaults. TLS 1.3 is on unless
	// TLSConfig sets MaxVersion; its suites are Go's.
	SSLCipherList string
	// ECDHCurve lists the key exchange groups, as OpenSSL names them
	// ("X25519:P-384", "prime256v1"); empty means Go's defaults.
	ECDHCurve string
	// SSLInfoEventMask selects the TLS events delivered as
	// CallbackSSLInfo (SSLCBHandshakeStart, SSLCBHandshakeDone,
	// SSLCBAlert).
	SSLInfoEventMask int
	// ClientSSLCAFilepath is a PEM file of the CAs that verify the servers
	// the vhost's TLS clients connect to (lws's client-ssl-ca); empty
	// means the system's roots. ClientSSLCertFilepath and
	// ClientSSLPrivateKeyFilepath are the certificate the clients
	// present, if a server asks.
	ClientSSLCAFilepath                                string
	ClientSSLCertFilepath, ClientSSLPrivateKeyFilepath string
	// BindIface binds the listen socket to the network interface named by
	// Iface with SO_BINDTODEVICE (lws's bind_iface), so that it serves that
	// interface only, whatever its addresses; it needs CAP_NET_RAW.
	BindIface bool
	// ListenFD, if positive, is a listening socket the vhost takes over
	// instead of binding one (for example inherited from the process that
	// started this one, so that a restart loses no connection waiting to
	// be accepted). Port and Iface then only describe it.
	ListenFD int
	// UnixSocket makes the vhost listen on the unix domain socket whose
	// path is Iface instead of TCP (lws's LWS_SERVER_OPTION_UNIX_SOCK); a
	// stale socket file at the path is replaced, the socket is made mode
	// 0600 as lws does, and it is removed when the vhost is destroyed.
	UnixSocket bool
	// AccessLog, if set, receives a line in Apache's combined format for
	// every HTTP transaction (lws's access-log). It is written from the
	// loop: give it something that does not block for long, such as a
	// file.
	AccessLog io.Writer
	// KeepaliveTimeout is how long, in seconds, an HTTP connection may
	// stay idle between requests (lws's keepalive_timeout). Zero means 5.
	// An HTTP/2 connection may stay this long without a stream.
	KeepaliveTimeout int
	// ALPN lists, comma-separated, the protocols the vhost's TLS offers
	// in ALPN, in order of preference (lws's alpn, lwsws's "alpn"):
	// "h2" and "http/1.1". Empty means "h2,http/1.1". Without "h2" the
	// vhost serves no HTTP/2 at all: not by ALPN, and on a plain port
	// neither by prior knowledge nor by Upgrade: h2c.
	ALPN string
	// HTTP2 holds the vhost's HTTP/2 settings and limits (lws's
	// http2_settings): concurrent streams, windows, frame and header
	// sizes, flood bounds. Zero fields take h2.Config's defaults.
	HTTP2 h2.Config
	// User is free for user code; Vhost.User returns it.
	User any
}

// Vhost is lws's struct lws_vhost: a set of protocols served on one listen
// port (or none), with its own options.
type Vhost struct {
	cx        *Context
	info      VhostInfo
	name      string
	protocols []*vhostProtocol
	listener  *Conn
	group     *listenGroup
	port      int
	destroyed bool
	mounts    []*mount
	headers   []headerField // Headers, checked
	tlsCfg    *tls.Config   // the server TLS configuration, or nil
	counts    vhostCounts   // activity, for Stats

	clientCAs  *x509.CertPool   // verifies servers for TLS clients; nil: the system's
	clientCert *tls.Certificate // what TLS clients present
}

// listenGroup is the vhosts sharing one listen socket; the Host header
// (or TLS SNI) chooses among them.
type listenGroup struct {
	listener *Conn
	iface    string
	port     int
	vhosts   []*Vhost
	tls      bool                       // the port serves TLS
	sni      atomic.Pointer[[]sniEntry] // the TLS vhosts, for handshake goroutines
}

// vhostProtocol is one protocol as instantiated on one vhost: its options,
// its private data and the list of connections bound to it.
type vhostProtocol struct {
	vh     *Vhost
	proto  Protocol
	opts   map[string]string
	data   any
	first  *Conn // connections bound to this protocol
	pseudo Conn  // the Conn handed to vhost-level reasons
	inited bool
}

// CreateVhost creates a vhost, binds its listen socket (unless Port is
// PortNoListen) and delivers PROTOCOL_INIT to each of its protocols.
func (cx *Context) CreateVhost(info VhostInfo) (*Vhost, error) {
	if cx.destroyed {
		return nil, ErrContextDestroyed
	}
	if len(info.Protocols) == 0 {
		return nil, errors.New("lws: vhost needs at least one protocol")
	}
	if info.Name == "" {
		info.Name = "default"
	}
	if info.ConnectTimeout <= 0 {
		info.ConnectTimeout = 5 * time.Second
	}
	if info.ValidityPing == 0 {
		info.ValidityPing = 5 * time.Minute
	}
	if info.ValidityHangup == 0 {
		info.ValidityHangup = 5*time.Minute + 10*time.Second
	}
	if info.AHIdleTimeoutSecs <= 0 {
		info.AHIdleTimeoutSecs = 10
	}
	if info.KeepaliveTimeout <= 0 {
		info.KeepaliveTimeout = 5
	}
	if info.ListenAcceptRole != "" && info.ListenAcceptRole != RoleRawSkt {
		return nil, fmt.Errorf("lws: vhost %q: ListenAcceptRole %q is not served; use \"\" (HTTP) or %q",
			info.Name, info.ListenAcceptRole, RoleRawSkt)
	}
	vh := &Vhost{cx: cx, info: info, name: info.Name, port: -1}
	seen := map[string]bool{}
	for i := range info.Protocols {
		p := info.Protocols[i]
		if seen[p.Name] {
			return nil, fmt.Errorf("lws: vhost %q: protocol %q listed twice", info.Name, p.Name)
		}
		seen[p.Name] = true
		vp := &vhostProtocol{vh: vh, proto: p, opts: info.ProtocolOptions[p.Name]}
		vp.pseudo = Conn{netConn: &netConn{fd: -1}, loop: cx.loop, vhost: vh, vp: vp, role: noRole, kind: kindVhostProtocol}
		vh.protocols = append(vh.protocols, vp)
	}
	if info.ListenAcceptProtocol != "" && vh.protocol(info.ListenAcceptProtocol) == nil {
		return nil, fmt.Errorf("lws: vhost %q: ListenAcceptProtocol %q is not one of its protocols",
			info.Name, info.ListenAcceptProtocol)
	}
	for _, h := range info.Headers {
		f, err := newField(h.Name, h.Value)
		if err != nil {
			return nil, fmt.Errorf("lws: vhost %q: header %q: %w", info.Name, h.Name, err)
		}
		vh.headers = append(vh.headers, f)
	}
	if err := vh.prepareMounts(); err != nil {
		return nil, fmt.Errorf("lws: vhost %q: %w", info.Name, err)
	}
	if err := vh.vhostTLS(); err != nil {
		vh.closeMounts()
		return nil, fmt.Errorf("lws: vhost %q: TLS: %w", info.Name, err)
	}
	if info.ClientSSLCAFilepath != "" || info.ClientSSLCertFilepath != "" {
		if err := vh.InitVhostClientSSL(info); err != nil {
			vh.closeMounts()
			return nil, fmt.Errorf("lws: vhost %q: client TLS: %w", info.Name, err)
		}
	}
	if g := cx.listenGroupFor(info); g != nil {
		// Another vhost listens on this port: share its socket.
		if g.tls != (vh.tlsCfg != nil) {
			vh.closeMounts()
			return nil, fmt.Errorf("lws: vhost %q: port %d serves TLS on some vhosts and not others: give every vhost of a port a certificate, or none", info.Name, g.port)
		}
		vh.group = g
		vh.port = g.port
		g.vhosts = append(g.vhosts, vh)
		logf(LogNotice, "lws: vhost %q shares port %d", vh.name, g.port)
	} else if info.Port != PortNoListen {
		var fd, port int
		var err error
		switch {
		case info.ListenFD > 0:
			fd, port, err = adoptListener(info.ListenFD)
		case info.UnixSocket:
			fd, err = listenUnix(info.Iface)
		default:
			fd, port, err = listenTCP(info.Iface, info.Port, info.Options&OptionDisableIPv6 != 0)
			if err == nil && info.BindIface {
				if berr := unix.BindToDevice(fd, info.Iface); berr != nil {
					unix.Close(fd)
					err = fmt.Errorf("SO_BINDTODEVICE %q (needs CAP_NET_RAW): %w", info.Iface, berr)
				}
			}
		}
		if err != nil {
			vh.closeMounts()
			return nil, fmt.Errorf("lws: vhost %q: %w", info.Name, err)
		}
		ls := newConn(cx.loop, vh, fd, kindListener)
		ls.vp = vh.protocols[0]
		if err := cx.loop.register(ls); err != nil {
			unix.Close(fd)
			vh.closeMounts()
			return nil, fmt.Errorf("lws: vhost %q: %w", info.Name, err)
		}
		vh.listener = ls
		vh.port = port
		vh.group = &listenGroup{listener: ls, iface: info.Iface, port: port, vhosts: []*Vhost{vh}, tls: vh.tlsCfg != nil}
		logf(LogNotice, "lws: vhost %q listening on port %d", vh.name, port)
	}
	cx.vhosts = append(cx.vhosts, vh)
	if vh.group != nil {
		vh.group.publishSNI()
	}
	if info.Options&OptionSkipProtocolInit == 0 {
		for _, vp := range vh.protocols {
			vp.inited = true
			if err := vp.pseudo.callback(CallbackProtocolInit, nil); err != nil {
				vh.destroy()
				cx.removeVhost(vh)
				return nil, fmt.Errorf("lws: vhost %q: protocol %q init: %w", vh.name, vp.proto.Name, err)
			}
		}
	}
	return vh, nil
}

func (cx *Context) removeVhost(vh *Vhost) {
	for i, v := range cx.vhosts {
		if v == vh {
			cx.vhosts = append(cx.vhosts[:i], cx.vhosts[i+1:]...)
			return
		}
	}
}

// Name returns the vhost's name.
func (vh *Vhost) Name() string { return vh.name }

// Context returns the vhost's context.
func (vh *Vhost) Context() *Context { return vh.cx }

// Port returns the port the vhost listens on, or PortNoListen.
func (vh *Vhost) Port() int { return vh.port }

// User returns VhostInfo.User.
func (vh *Vhost) User() any { return vh.info.User }

// Protocols returns the names of the vhost's protocols in order.
func (vh *Vhost) Protocols() []string {
	names := make([]string, len(vh.protocols))
	for i, vp := range vh.protocols {
		names[i] = vp.proto.Name
	}
	return names
}

func (vh *Vhost) protocol(name string) *vhostProtocol {
	for _, vp := range vh.protocols {
		if vp.proto.Name == name {
			return vp
		}
	}
	return nil
}

// ProtocolOption returns the per-vhost option name of protocol proto (lws's
// lws_pvo_search).
func (vh *Vhost) ProtocolOption(proto, name string) (string, bool) {
	vp := vh.protocol(proto)
	if vp == nil {
		return "", false
	}
	v, ok := vp.opts[name]
	return v, ok
}

// CallbackOnWritableAllProtocol asks for one WRITEABLE callback on every
// connection of this vhost bound to the named protocol (lws's
// lws_callback_on_writable_all_protocol_vhost).
func (vh *Vhost) CallbackOnWritableAllProtocol(protocol string) {
	if vp := vh.protocol(protocol); vp != nil {
		for c := vp.first; c != nil; c = c.vpNext {
			c.CallbackOnWritable()
		}
	}
}

// Destroy closes the vhost's listener and connections, delivers
// PROTOCOL_DESTROY to its protocols and removes it from the context. Call it
// from the loop; a vhost may be created and destroyed while the loop runs.
func (vh *Vhost) Destroy() {
	if vh.destroyed {
		return
	}
	vh.destroy()
	vh.cx.removeVhost(vh)
}

func (vh *Vhost) destroy() {
	if vh.destroyed {
		return
	}
	vh.destroyed = true
	l := vh.cx.loop
	if g := vh.group; g != nil {
		for i, v := range g.vhosts {
			if v == vh {
				g.vhosts = append(g.vhosts[:i], g.vhosts[i+1:]...)
				break
			}
		}
		if len(g.vhosts) == 0 {
			l.closeConn(g.listener, errVhostDestroyed)
			if vh.info.UnixSocket {
				_ = os.Remove(vh.info.Iface)
			}
		} else if g.listener.vhost == vh {
			// The port stays open for the vhosts that share it.
			heir := g.vhosts[0]
			g.listener.vhost, g.listener.vp = heir, heir.protocols[0]
			heir.listener = g.listener
		}
		g.publishSNI()
		vh.group, vh.listener = nil, nil
	}
	l.closeVhostConns(vh)
	for _, vp := range vh.protocols {
		if vp.inited {
			vp.inited = false
			if err := vp.pseudo.callback(CallbackProtocolDestroy, nil); err != nil {
				logf(LogWarn, "lws: vhost %q: protocol %q destroy: %v", vh.name, vp.proto.Name, err)
			}
		}
	}
	vh.closeMounts()
}

// listenGroupFor returns the listen socket a new vhost shares: that of a
// vhost listening on the same fixed port and interface.
func (cx *Context) listenGroupFor(info VhostInfo) *listenGroup {
	if info.Port <= 0 {
		return nil
	}
	for _, v := range cx.vhosts {
		if g := v.group; g != nil && g.port == info.Port && g.iface == info.Iface {
			return g
		}
	}
	return nil
}

var errVhostDestroyed = errors.New("lws: vhost destroyed")

// listenTCP makes a non-blocking listening socket.
func listenTCP(iface string, port int, noIPv6 bool) (fd, actual int, err error) {
	addr, err := ifaceAddr(iface, noIPv6)
	if err != nil {
		return -1, 0, err
	}
	family := unix.AF_INET6
	if addr.Is4() {
		family = unix.AF_INET
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil && family == unix.AF_INET6 && iface == "" {
		addr, family = netip.IPv4Unspecified(), unix.AF_INET
		fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if family == unix.AF_INET6 && addr.IsUnspecified() {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	if port < 0 || port > 65535 {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("port %d out of range", port)
	}
	sa := sockaddrOf(netip.AddrPortFrom(addr, uint16(port)))
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("bind %s: %w", net.JoinHostPort(addr.String(), strconv.Itoa(port)), err)
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("listen: %w", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("getsockname: %w", err)
	}
	return fd, int(addrPortOf(got).Port()), nil
}

// ifaceAddr turns lws's iface (an address or an interface name) into an
// address to bind.
func ifaceAddr(iface string, noIPv6 bool) (netip.Addr, error) {
	if iface == "" {
		if noIPv6 {
			return netip.IPv4Unspecified(), nil
		}
		return netip.IPv6Unspecified(), nil
	}
	if a, err := netip.ParseAddr(iface); err == nil {
		return a.Unmap(), nil
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("iface %q is neither an address nor an interface: %w", iface, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("iface %q: %w", iface, err)
	}
	var v6 netip.Addr
	for _, a := range addrs {
		if pn, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(pn.IP)
			ip = ip.Unmap()
			if ip.Is4() {
				return ip, nil
			}
			if !v6.IsValid() && !noIPv6 && !ip.IsLinkLocalUnicast() {
				v6 = ip
			}
		}
	}
	if v6.IsValid() {
		return v6, nil
	}
	return netip.Addr{}, fmt.Errorf("iface %q has no usable address", iface)
}

func sockaddrOf(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(s.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(s.Addr).Unmap(), uint16(s.Port))
	}
	return netip.AddrPort{}
}

// listenUnix makes a non-blocking listening unix domain socket at path.
func listenUnix(path string) (int, error) {
	if path == "" {
		return -1, errors.New("a unix-socket vhost needs its path in Iface")
	}
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(path) // a stale socket from an earlier run
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("listen: %w", err)
	}
	return fd, nil
}

// adoptListener takes over an inherited listening socket: it checks that
// it listens, makes it non-blocking and close-on-exec, and reads its port.
func adoptListener(fd int) (int, int, error) {
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || v != 1 {
		return -1, 0, fmt.Errorf("descriptor %d is not a listening socket", fd)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return -1, 0, err
	}
	unix.CloseOnExec(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return -1, 0, err
	}
	return fd, int(addrPortOf(sa).Port()), nil
}

// Deprecate stops the context taking new connections, as lws's
// lws_context_deprecate does when a server is being replaced: every
// listen socket is closed, and the connections already open go on being
// served. done, if not nil, is called on the loop once the last of them
// has closed; the context is then idle and can be destroyed.
func (cx *Context) Deprecate(done func()) {
	l := cx.loop
	for _, vh := range cx.vhosts {
		if g := vh.group; g != nil && g.listener != nil && !g.listener.Closed() {
			l.closeConn(g.listener, errDeprecated)
		}
	}
	for _, c := range l.fds {
		if c != nil && !c.Closed() {
			c.role.goAway(c)
		}
	}
	cx.deprecated = done
	if done != nil && cx.liveConns() == 0 {
		cx.deprecated = nil
		done()
	}
}

var errDeprecated = errors.New("lws: context deprecated")

// liveConns counts the connections still open (listeners excluded).
func (cx *Context) liveConns() int {
	n := 0
	for _, c := range cx.loop.fds {
		if c != nil && !c.Closed() && c.kind != kindListener {
			n++
		}
	}
	return n
}
