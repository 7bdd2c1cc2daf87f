package lws

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// AdoptType says what an adopted descriptor is (lws's lws_adopt_type), with
// lws's bit values.
type AdoptType uint

// Adoption types.
const (
	// AdoptRawFileDesc adopts a file, pipe, FIFO, tty or device: the library
	// polls it and the protocol gets RAW_ADOPT_FILE, RAW_RX_FILE (and reads
	// the descriptor itself), RAW_WRITEABLE_FILE and RAW_CLOSE_FILE.
	AdoptRawFileDesc AdoptType = 0
	// AdoptHTTP, with AdoptSocket, adopts a socket as an HTTP server
	// connection: it is served as if the vhost had accepted it.
	AdoptHTTP AdoptType = 1
	// AdoptSocket adopts a connected stream socket; without AdoptHTTP it
	// becomes a RAW socket.
	AdoptSocket AdoptType = 2
	// AdoptAllowSSL lets the adopted socket negotiate TLS (not served yet).
	AdoptAllowSSL AdoptType = 4
	// AdoptFlagUDP marks a UDP socket (not served yet).
	AdoptFlagUDP AdoptType = 16
)

// AdoptInfo describes a descriptor to adopt (lws's lws_adopt_desc_t).
type AdoptInfo struct {
	// Type of the descriptor.
	Type AdoptType
	// FD is the descriptor. The library takes it over: it makes it
	// non-blocking and closes it when the connection closes, also when
	// adoption fails.
	FD int
	// Protocol names the vhost protocol to bind; empty means the vhost's
	// listen-accept protocol, or its first.
	Protocol string
	// Parent, if set, makes the adopted connection its child.
	Parent *Conn
	// Opaque is stored as the connection's opaque user data.
	Opaque any
	// ReadBuf holds bytes already read from the socket; they are delivered
	// before anything read from the descriptor (lws_adopt_socket_readbuf).
	ReadBuf []byte

	fallback bool // HTTP, falling back to the listen-accept role
}

// AdoptDescriptor brings an existing descriptor into the loop as a
// connection of this vhost (lws_adopt_descriptor_vhost_via_info). The
// adoption reason (RAW_ADOPT or RAW_ADOPT_FILE) is delivered before it
// returns.
func (vh *Vhost) AdoptDescriptor(ai AdoptInfo) (*Conn, error) {
	fail := func(err error) (*Conn, error) {
		unix.Close(ai.FD)
		return nil, err
	}
	if vh.destroyed || vh.cx.destroyed {
		return fail(errors.New("lws: adopt on a destroyed vhost"))
	}
	if ai.FD < 0 {
		return nil, fmt.Errorf("lws: adopt: bad descriptor %d", ai.FD)
	}
	if ai.Type&(AdoptAllowSSL|AdoptFlagUDP) != 0 {
		return fail(fmt.Errorf("lws: adopt type %#x is not served yet: RAW and HTTP sockets and files are", uint(ai.Type)))
	}
	if ai.Type&AdoptHTTP != 0 && ai.Type&AdoptSocket == 0 {
		return fail(errors.New("lws: AdoptHTTP needs AdoptSocket"))
	}
	vp := vh.acceptProtocol()
	if ai.Protocol != "" {
		if vp = vh.protocol(ai.Protocol); vp == nil {
			return fail(fmt.Errorf("lws: vhost %q has no protocol %q", vh.name, ai.Protocol))
		}
	}
	l := vh.cx.loop
	if l.count >= l.limit {
		l.logLimit("adoption refused: %d descriptors in use, the limit", l.count)
		return fail(fmt.Errorf("lws: adopt: %d descriptors in use, the limit", l.count))
	}
	if err := unix.SetNonblock(ai.FD, true); err != nil {
		return fail(fmt.Errorf("lws: adopt: set non-blocking: %w", err))
	}
	c := newConn(l, vh, ai.FD, kindFile)
	c.vp, c.writeReady = vh.protocols[0], true
	c.SetOpaque(ai.Opaque)
	if ai.Type&AdoptSocket != 0 {
		c.kind = kindSocket
		setSocketOptions(ai.FD)
		l.limitUnsent(ai.FD)
		if sa, err := unix.Getpeername(ai.FD); err == nil {
			c.peer = packPeer(addrPortOf(sa))
		}
	}
	if err := l.register(c); err != nil {
		return fail(fmt.Errorf("lws: adopt: %w", err))
	}
	if ai.Parent != nil && !ai.Parent.Closed() {
		c.setParent(ai.Parent)
	}
	if len(ai.ReadBuf) > 0 {
		c.rxHeld = append([]byte(nil), ai.ReadBuf...)
	}
	if ai.Type&AdoptHTTP != 0 {
		l.adoptHTTP(c, ai.fallback)
	} else {
		l.adoptAs(c, vp, nil, false)
	}
	if c.Closed() {
		return nil, fmt.Errorf("lws: adopt: closed during adoption: %w", c.closeError())
	}
	if len(c.rxHeld) > 0 {
		l.queueReady(c)
	}
	return c, nil
}

// AdoptSocket adopts a connected stream socket, applying the vhost's
// listen-accept configuration (lws_adopt_socket_vhost): with
// ListenAcceptRole RoleRawSkt it becomes a RAW socket (or, with
// OptionFallbackToApplyListenAcceptConfig, an HTTP one that falls back to
// RAW); otherwise it is served as HTTP, as an accepted connection is.
func (vh *Vhost) AdoptSocket(fd int) (*Conn, error) {
	return vh.AdoptSocketReadbuf(fd, nil)
}

// AdoptSocketReadbuf is AdoptSocket for a socket some of whose bytes were
// already read: they are delivered first (lws_adopt_socket_vhost_readbuf).
func (vh *Vhost) AdoptSocketReadbuf(fd int, readbuf []byte) (*Conn, error) {
	ai := AdoptInfo{Type: AdoptSocket, FD: fd, ReadBuf: readbuf}
	switch {
	case vh.info.ListenAcceptRole != RoleRawSkt:
		ai.Type |= AdoptHTTP
	case vh.info.Options&OptionFallbackToApplyListenAcceptConfig != 0:
		ai.Type |= AdoptHTTP
		ai.fallback = true
	}
	return vh.AdoptDescriptor(ai)
}

// acceptConn brings a freshly accepted socket to life: filter, create,
// instantiate, then the listen-accept role's adoption.
func (l *loop) acceptConn(vh *Vhost, fd int, peer netip.AddrPort) {
	setSocketOptions(fd)
	l.limitUnsent(fd)
	if info := &l.cx.info; info.KaTime > 0 {
		setKeepalive(fd, info.KaTime, info.KaProbes, info.KaInterval)
	}
	c := newConn(l, vh, fd, kindSocket)
	c.vp, c.writeReady = vh.protocols[0], true
	c.peer = packPeer(peer)
	if !l.admitPeer(c) {
		l.logLimit("lws: vhost %q: connection from %v refused: %d connections from that address, the limit",
			vh.name, peer.Addr(), l.cx.info.IPLimitWSI)
		unix.Close(fd)
		return
	}
	if err := c.callback(CallbackFilterNetworkConnection, nil); err != nil {
		vh.counts.rejected++
		l.releasePeer(c)
		logf(LogInfo, "lws: vhost %q: connection from %v filtered: %v", vh.name, c.peer, err)
		unix.Close(fd)
		return
	}
	if err := l.register(c); err != nil {
		logf(LogErr, "lws: %v", err)
		unix.Close(fd)
		return
	}
	if vh.info.ListenAcceptRole == RoleRawSkt && vh.info.Options&OptionFallbackToApplyListenAcceptConfig == 0 {
		l.adoptAs(c, vh.acceptProtocol(), nil, true)
		return
	}
	l.adoptHTTP(c, vh.info.ListenAcceptRole == RoleRawSkt)
	if !c.Closed() && vh.group != nil && vh.group.tls {
		l.startTLS(c)
	}
}

// adoptHTTP makes a new server connection an HTTP/1 one waiting for its
// request; with fallback, bytes that are not HTTP switch it to the
// listen-accept role instead.
func (l *loop) adoptHTTP(c *Conn, fallback bool) {
	c.created = true
	first := c.vhost.protocols[0]
	_ = c.callbackProto(first, CallbackWSICreate, nil)
	if c.Closed() {
		return
	}
	hs := l.newHTTP()
	hs.fallback = fallback
	c.setRole(hs)
	c.bindProtocol(first, nil)
	c.established = true
	// A connection that never sends its request does not hold its
	// descriptor for ever.
	c.SetTimeout(PendingTimeoutHoldingAH, c.vhost.info.AHIdleTimeoutSecs)
	if err := c.callback(CallbackServerNewClientInstantiated, nil); err != nil {
		l.closeConn(c, err)
	}
}

// acceptALPN is what the vhost's TLS offers in ALPN: its ALPN setting,
// or by default the names the roles accepted connections may take serve:
// HTTP/2's, then HTTP/1's (a fallback to RAW happens after the
// handshake).
func (vh *Vhost) acceptALPN() []string {
	if vh.info.ALPN == "" {
		var r2 *h2Net
		var hs *httpState
		return append(append([]string(nil), r2.alpn()...), hs.alpn()...)
	}
	var names []string
	for _, n := range strings.Split(vh.info.ALPN, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// servesH2 reports whether the vhost serves HTTP/2: its ALPN list has
// "h2".
func (vh *Vhost) servesH2() bool {
	if vh.info.ALPN == "" {
		return true
	}
	for _, n := range vh.acceptALPN() {
		if n == "h2" {
			return true
		}
	}
	return false
}

// acceptProtocol is the protocol connections taking the listen-accept role
// bind to.
func (vh *Vhost) acceptProtocol() *vhostProtocol {
	if vh.info.ListenAcceptProtocol != "" {
		return vh.protocol(vh.info.ListenAcceptProtocol)
	}
	return vh.protocols[0]
}

// adoptAs finishes creating c (registered already) as a RAW socket or file
// bound to vp.
func (l *loop) adoptAs(c *Conn, vp *vhostProtocol, user any, server bool) {
	c.created = true
	first := c.vhost.protocols[0]
	_ = c.callbackProto(first, CallbackWSICreate, nil)
	if c.Closed() {
		return
	}
	if server {
		_ = c.callbackProto(first, CallbackServerNewClientInstantiated, nil)
		if c.Closed() {
			return
		}
	}
	reason := CallbackRawAdopt
	r := rawSkt
	if c.kind == kindFile {
		reason, r = CallbackRawAdoptFile, rawFile
	}
	c.setRole(r)
	c.bindProtocol(vp, user)
	c.established = true
	if err := c.callback(reason, nil); err != nil {
		l.closeConn(c, err)
	}
}
