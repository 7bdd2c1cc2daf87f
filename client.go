package lws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ClientConnectInfo describes an outgoing connection (lws's struct
// lws_client_connect_info).
type ClientConnectInfo struct {
	// Vhost the connection belongs to; nil means the context's first vhost.
	// A vhost made only for clients uses Port: PortNoListen.
	Vhost *Vhost
	// Address is the host name or IP address to connect to.
	Address string
	// Port is the TCP port to connect to.
	Port int
	// Method selects what the connection becomes: "" for a WebSocket
	// client (CLIENT_ESTABLISHED, CLIENT_RECEIVE, CLIENT_WRITEABLE,
	// CLIENT_CLOSED), "RAW" for a RAW socket (RAW_CONNECTED, RAW_RX,
	// RAW_WRITEABLE, RAW_CLOSE), or an HTTP method ("GET", "POST", ...) for
	// one HTTP request (ESTABLISHED_CLIENT_HTTP, RECEIVE_CLIENT_HTTP_READ,
	// COMPLETED_CLIENT_HTTP, CLOSED_CLIENT_HTTP; see ClientHTTPBodyPending).
	Method string
	// Path is the request path of a WebSocket client; "/" if empty.
	Path string
	// Host is the Host header of a WebSocket client; Address:Port if empty.
	Host string
	// Origin, if set, is sent as the Origin header.
	Origin string
	// Protocol is the comma-separated list of subprotocols a WebSocket
	// client offers; the server must choose one of them.
	Protocol string
	// LocalProtocolName names the vhost protocol the connection binds to;
	// empty means the vhost's first protocol.
	LocalProtocolName string
	// Userdata, if not nil, is the connection's user data instead of one
	// made by the protocol's NewSession.
	Userdata any
	// Opaque is stored as the connection's opaque user data.
	Opaque any
	// Parent, if set, makes the new connection its child: it is closed
	// when the parent closes, and the parent hears CHILD_CLOSING.
	Parent *Conn
	// ConnectTimeout bounds resolving and connecting together; zero means
	// the vhost's ConnectTimeout (5 seconds by default).
	ConnectTimeout time.Duration
	// Iface, if set, is the local IP address the socket binds to before
	// connecting (lws's iface): a load generator spreads many connections
	// over several 127.0.0.x sources this way, since each source address
	// has its own ephemeral ports. Addresses of the other family are
	// skipped.
	Iface string
	// SSLConnection makes the connection TLS (wss:// or a TLS RAW
	// socket) with ClientUseSSL, and relaxes the server certificate's
	// checks with the other flags (lws's ssl_connection, LCCSCF_*). The
	// server is verified against the vhost's client CA (VhostInfo.
	// ClientSSLCAFilepath) or, without one, the system's roots.
	SSLConnection ClientSSLFlags
}

// ClientSSLFlags are lws's LCCSCF_* flags of a client connection's TLS,
// with lws's values.
type ClientSSLFlags uint

// Client TLS flags. Only ClientUseSSL is needed for TLS; the others are
// off by default and weaken the verification of the server.
const (
	// ClientUseSSL makes the connection TLS.
	ClientUseSSL ClientSSLFlags = 1 << 0
	// ClientAllowSelfsigned accepts a server certificate that signs
	// itself.
	ClientAllowSelfsigned ClientSSLFlags = 1 << 1
	// ClientSkipServerCertHostnameCheck accepts a certificate issued for
	// another name.
	ClientSkipServerCertHostnameCheck ClientSSLFlags = 1 << 2
	// ClientAllowExpired accepts a certificate outside its validity.
	ClientAllowExpired ClientSSLFlags = 1 << 3
)

// clientState is what only client connections carry: their role while
// they connect (role_client.go), and what the roles they take next refer
// to until they are established.
type clientState struct {
	roleBase
	iface   netip.Addr
	host    string
	port    int
	addrs   []netip.Addr
	next    int
	lastErr error
	failed  bool
	timeout time.Duration
	ws      *wsClientState // a WebSocket client until it is established
	httpc   *httpClientState
	ssl     ClientSSLFlags
}

func (cs *clientState) target() string {
	return net.JoinHostPort(cs.host, strconv.Itoa(cs.port))
}

func (cs *clientState) timeoutText() string {
	if cs.ws != nil && cs.ws.key != "" {
		return "HS: no answer to the upgrade request from " + cs.target() + " within " + cs.timeout.String()
	}
	if cs.lastErr != nil {
		return fmt.Sprintf("connect to %s failed: %v", cs.target(), cs.lastErr)
	}
	return fmt.Sprintf("timed out connecting to %s after %v", cs.target(), cs.timeout)
}

// ClientConnect starts an outgoing connection and returns it at once
// (lws_client_connect_via_info). The connection is not usable yet: it
// resolves the name on a bounded pool of goroutines (the loop never
// blocks), connects without blocking, and then reports on the loop either
// success (RAW_CONNECTED for Method "RAW") or CLIENT_CONNECTION_ERROR with
// the reason as text, after which it is closed. No callback for the new
// connection runs before ClientConnect returns, so the returned *Conn
// identifies it in every callback (the role of lws's pwsi). An error is
// returned only for a request that cannot be attempted at all.
func (cx *Context) ClientConnect(info ClientConnectInfo) (*Conn, error) {
	if cx.destroyed {
		return nil, ErrContextDestroyed
	}
	vh := info.Vhost
	if vh == nil {
		if len(cx.vhosts) == 0 {
			return nil, errors.New("lws: ClientConnect needs a vhost: create one (Port: PortNoListen for a client-only vhost)")
		}
		vh = cx.vhosts[0]
	}
	if vh.destroyed {
		return nil, errors.New("lws: ClientConnect on a destroyed vhost")
	}
	httpMethod := false
	switch info.Method {
	case "", "RAW", "raw":
	case "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS":
		httpMethod = true
	default:
		return nil, fmt.Errorf("lws: client method %q is not served; use \"\" (WebSocket), \"RAW\" or an HTTP method (GET, POST, PUT, DELETE, HEAD, PATCH, OPTIONS)", info.Method)
	}
	if info.Address == "" {
		return nil, errors.New("lws: ClientConnect needs an Address")
	}
	if info.Port <= 0 || info.Port > 65535 {
		return nil, fmt.Errorf("lws: ClientConnect: port %d out of range", info.Port)
	}
	vp := vh.protocols[0]
	if info.LocalProtocolName != "" {
		if vp = vh.protocol(info.LocalProtocolName); vp == nil {
			return nil, fmt.Errorf("lws: vhost %q has no protocol %q", vh.name, info.LocalProtocolName)
		}
	}
	l := cx.loop
	c := newConn(l, vh, -1, kindClient)
	c.SetOpaque(info.Opaque)
	cs := &clientState{host: info.Address, port: info.Port, timeout: info.ConnectTimeout, ssl: info.SSLConnection}
	if info.Iface != "" {
		a, err := netip.ParseAddr(info.Iface)
		if err != nil {
			return nil, fmt.Errorf("lws: ClientConnect: Iface %q is not an IP address", info.Iface)
		}
		cs.iface = a.Unmap()
	}
	if cs.timeout <= 0 {
		cs.timeout = vh.info.ConnectTimeout
	}
	if httpMethod {
		hc := &httpClientState{cs: cs, method: info.Method, path: info.Path, host: info.Host}
		if hc.path == "" {
			hc.path = "/"
		}
		if hc.host == "" {
			hc.host = net.JoinHostPort(info.Address, strconv.Itoa(info.Port))
		}
		if strings.ContainsAny(hc.path+hc.host, "\r\n ") {
			return nil, errors.New("lws: ClientConnect: CR, LF or space in the path or host")
		}
		cs.httpc = hc
	}
	if info.Method == "" {
		hs := &wsClientState{cs: cs, path: info.Path, host: info.Host, origin: info.Origin, protocols: info.Protocol}
		if hs.path == "" {
			hs.path = "/"
		}
		if hs.host == "" {
			hs.host = net.JoinHostPort(info.Address, strconv.Itoa(info.Port))
		}
		if strings.ContainsAny(hs.path+hs.host+hs.origin+hs.protocols, "\r\n") {
			return nil, errors.New("lws: ClientConnect: CR or LF in the path, host, origin or protocol")
		}
		cs.ws = hs
	}
	c.setRole(cs)
	c.bindProtocol(vp, info.Userdata)
	if info.Parent != nil && !info.Parent.Closed() {
		c.setParent(info.Parent)
	}
	c.SetTimeoutDuration(PendingTimeoutAwaitingConnectResponse, cs.timeout)
	host := strings.TrimSuffix(strings.TrimPrefix(info.Address, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		cs.addrs = []netip.Addr{a.Unmap()}
		l.connectQ = append(l.connectQ, c)
	} else {
		l.resolvers.add(c)
	}
	return c, nil
}

// startResolve looks c's name up on a worker of the resolver pool; the
// addresses go back to the loop, to resolved.
func (l *loop) startResolve(c *Conn) bool {
	cs := c.clientInfo()
	ctx, host, timeout := l.cx.resolveCtx, cs.host, cs.timeout
	l.resolvers.spawn(func() (func(), bool) {
		addrs, err := resolveHost(ctx, host, timeout)
		return func() { l.resolved(c, addrs, err) }, true
	})
	return true
}

// resolveHost looks a name up. Names under .invalid fail at once, as RFC
// 6761 asks of resolution APIs.
func resolveHost(ctx context.Context, host string, timeout time.Duration) ([]netip.Addr, error) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "invalid" || strings.HasSuffix(h, ".invalid") {
		return nil, errors.New("no such host (the .invalid domain never resolves)")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no addresses")
	}
	return addrs, nil
}

func (l *loop) resolved(c *Conn, addrs []netip.Addr, err error) {
	if c.Closed() {
		return
	}
	if err != nil {
		l.clientFail(c, fmt.Sprintf("name resolution of %q failed: %v", c.clientInfo().host, err))
		return
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	c.clientInfo().addrs = addrs
	l.connectQ = append(l.connectQ, c)
}

func (l *loop) serviceConnects() {
	for len(l.connectQ) > 0 {
		q := l.connectQ
		l.connectQ = nil
		for _, c := range q {
			if !c.Closed() {
				l.startConnect(c)
			}
		}
	}
}

// startConnect tries the client's remaining addresses in turn until a
// non-blocking connect is under way.
func (l *loop) startConnect(c *Conn) {
	cs := c.clientInfo()
	if l.ensureCreated(c); c.Closed() {
		return
	}
	for cs.next < len(cs.addrs) {
		if l.count >= l.limit {
			l.clientFail(c, fmt.Sprintf("cannot connect to %s: %d descriptors in use, the limit", cs.target(), l.count))
			return
		}
		a := cs.addrs[cs.next]
		cs.next++
		if cs.iface.IsValid() && cs.iface.Is4() != a.Is4() {
			cs.lastErr = fmt.Errorf("local address %v cannot reach %v", cs.iface, a)
			continue
		}
		family := unix.AF_INET6
		if a.Is4() {
			family = unix.AF_INET
		}
		fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			cs.lastErr = err
			continue
		}
		c.fd = int32(fd)
		setSocketOptions(fd)
		l.limitUnsent(fd)
		if err := c.callback(CallbackConnecting, nil); err != nil {
			l.clientFail(c, fmt.Sprintf("connect to %s refused by the protocol: %v", cs.target(), err))
			return
		}
		if c.Closed() {
			return
		}
		if cs.iface.IsValid() {
			// Let connect pick the port, so one source address can serve
			// connections to many destinations.
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
			if err := unix.Bind(fd, sockaddrOf(netip.AddrPortFrom(cs.iface, 0))); err != nil {
				cs.lastErr = fmt.Errorf("bind %v: %w", cs.iface, err)
				l.releaseFD(c)
				continue
			}
		}
		peer := netip.AddrPortFrom(a, uint16(cs.port))
		c.peer = packPeer(peer)
		err = unix.Connect(fd, sockaddrOf(peer))
		if err == nil || err == unix.EINPROGRESS {
			c.connecting = true
			c.writeReady = false
			if rerr := l.register(c); rerr != nil {
				cs.lastErr = rerr
				l.releaseFD(c)
				c.connecting = false
				continue
			}
			return
		}
		cs.lastErr = err
		l.releaseFD(c)
	}
	text := fmt.Sprintf("connect to %s failed", cs.target())
	if cs.lastErr != nil {
		text += ": " + cs.lastErr.Error()
	}
	l.clientFail(c, text)
}

// ensureCreated delivers a client's WSI_CREATE, on the loop's first pass
// with it rather than inside ClientConnect.
func (l *loop) ensureCreated(c *Conn) {
	if !c.created {
		c.created = true
		_ = c.callbackProto(c.vhost.protocols[0], CallbackWSICreate, nil)
	}
}

// finishConnect learns how a non-blocking connect ended.
func (l *loop) finishConnect(c *Conn) {
	cs := c.clientInfo()
	errno, err := unix.GetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && errno != 0 {
		err = unix.Errno(errno)
	}
	c.connecting = false
	if err != nil {
		cs.lastErr = err
		l.releaseFD(c)
		l.startConnect(c)
		return
	}
	c.writeReady = true
	if cs.ssl&ClientUseSSL != 0 {
		l.startClientTLS(c)
		return
	}
	l.timers.cancel(&c.timeout)
	c.timeoutReason = NoPendingTimeout
	l.connected(c)
}

// connected goes on with a client whose connection (and TLS handshake,
// for a TLS client) is made.
func (l *loop) connected(c *Conn) {
	cs := c.clientInfo()
	if cs.httpc != nil {
		l.updateInterest(c)
		if err := c.httpClientStart(); err != nil {
			l.clientFail(c, "sending the request: "+err.Error())
		}
		return
	}
	if cs.ws != nil {
		l.updateInterest(c)
		if err := c.wsClientStart(); err != nil {
			l.clientFail(c, "HS: sending the upgrade request: "+err.Error())
		}
		return
	}
	c.setRole(rawSkt)
	c.established = true
	l.updateInterest(c)
	if err := c.callback(CallbackRawConnected, nil); err != nil {
		l.closeConn(c, err)
	}
}

// clientFail reports CLIENT_CONNECTION_ERROR and closes the connection.
func (l *loop) clientFail(c *Conn, text string) {
	if c.Closed() {
		return
	}
	cs := c.clientInfo()
	logf(LogClient, "lws: client %s: %s", cs.target(), text)
	if l.ensureCreated(c); c.Closed() {
		return
	}
	cs.failed = true
	_ = c.callback(CallbackClientConnectionError, []byte(text))
	l.closeConn(c, errors.New(text))
}

// dropFromQueues removes a closing client from the connect and resolve
// queues.
func (l *loop) dropFromQueues(c *Conn) {
	for i, q := range l.connectQ {
		if q == c {
			l.connectQ = append(l.connectQ[:i], l.connectQ[i+1:]...)
			break
		}
	}
	l.resolvers.remove(c)
}
