package lws

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/golws/lws/hdr"
)

// Reasons the library itself stops reading a connection.
const (
	holdAH      uint8 = 1 << iota // waiting for a header table
	holdClosing                   // only sending what is left before closing
	holdTxn                       // an HTTP response is under way: the next request waits
	holdCGI                       // a CGI program has not taken the last piece of body
	holdTLS                       // the TLS handshake runs on a goroutine of the pool
)

type connKind uint8

const (
	kindSocket        connKind = iota // an accepted or adopted stream socket
	kindClient                        // an outgoing stream socket
	kindFile                          // an adopted file descriptor
	kindListener                      // a vhost's listen socket
	kindVhostProtocol                 // a vhost-protocol instance: no descriptor
)

// Conn is one connection: lws's struct lws, the "wsi". It is created by the
// library (accepted, adopted or connected) and handed to the protocol
// callback; user code never makes one. A Conn's methods must be called from
// the loop (see Context). After its final close reason a Conn is dead:
// methods on it do nothing or return ErrClosed.
//
// A Conn is a network connection, with a socket (or descriptor) of its
// own, or a stream child carried by its parent's socket (see Network).
type Conn struct {
	*netConn // the socket: the Conn's own, or for a stream child its network connection's

	loop  *loop
	vhost *Vhost
	vp    *vhostProtocol
	role  role

	kind connKind

	// lifecycle
	created     bool       // WSI_CREATE was delivered
	established bool       // the role's adoption or connected reason was delivered
	closing     closeState // how the connection is on its way to closing, or closeDone

	// writeable machinery
	wantWriteable bool
	inWriteable   bool // inside a WRITEABLE callback
	permit        bool // the next Write is allowed

	// rxDisabled is lws's rx flow control: reception is off. A network
	// connection's stops reading its socket; a stream child's stops its
	// network connection's role delivering to it (see RxFlowControl).
	rxDisabled bool

	waitingAH     bool
	timeoutReason PendingTimeout
	ah            *hdr.Table

	user any

	vpPrev, vpNext *Conn

	timeout timerEntry

	rare *connRare
}

// connRare holds what few connections use; it is made on first use so
// that the many idle connections of a server stay small.
type connRare struct {
	opaque any

	parent, firstChild, nextSibling *Conn
	closingChild                    *Conn

	timer    timerEntry // SetTimer's
	closeErr error

	stream uint32 // a stream child's id on its network connection (HTTP/2's stream identifier)
}

// more returns c's rarely used state, making it on first use.
func (c *Conn) more() *connRare {
	if c.rare == nil {
		c.rare = new(connRare)
	}
	return c.rare
}

// closeError is the error that closed c (or is closing it), if any.
func (c *Conn) closeError() error {
	if c.rare == nil {
		return nil
	}
	return c.rare.closeErr
}

func (c *Conn) firstChild() *Conn {
	if c.rare == nil {
		return nil
	}
	return c.rare.firstChild
}

// ErrClosed is returned by operations on a connection that has closed.
var ErrClosed = errors.New("lws: connection closed")

// Context returns the connection's context.
func (c *Conn) Context() *Context { return c.loop.cx }

// Vhost returns the vhost the connection belongs to.
func (c *Conn) Vhost() *Vhost { return c.vhost }

// Protocol returns the protocol the connection is bound to (nil if none).
func (c *Conn) Protocol() *Protocol {
	if c.vp == nil {
		return nil
	}
	return &c.vp.proto
}

// User returns the per-connection user data made by Protocol.NewSession (or
// given in ClientConnectInfo.Userdata); lws's wsi user space.
func (c *Conn) User() any { return c.user }

// SetUser replaces the per-connection user data (lws_set_wsi_user).
func (c *Conn) SetUser(v any) { c.user = v }

// Opaque returns the opaque user data of the connection
// (lws_get_opaque_user_data); it survives protocol changes.
func (c *Conn) Opaque() any {
	if c.rare == nil {
		return nil
	}
	return c.rare.opaque
}

// SetOpaque sets the opaque user data (lws_set_opaque_user_data).
func (c *Conn) SetOpaque(v any) {
	if v != nil || c.rare != nil {
		c.more().opaque = v
	}
}

// VhostData returns the private data of the connection's protocol on its
// vhost, shared by every connection of that vhost-protocol (lws's
// lws_protocol_vh_priv_get). PROTOCOL_INIT usually sets it.
func (c *Conn) VhostData() any {
	if c.vp == nil {
		return nil
	}
	return c.vp.data
}

// SetVhostData sets the vhost-protocol private data
// (lws_protocol_vh_priv_zalloc).
func (c *Conn) SetVhostData(v any) {
	if c.vp != nil {
		c.vp.data = v
	}
}

// ProtocolOption returns the per-vhost option name of the connection's
// protocol on its vhost (lws_pvo_search, lws_pvo_get_str).
func (c *Conn) ProtocolOption(name string) (string, bool) {
	if c.vp == nil {
		return "", false
	}
	v, ok := c.vp.opts[name]
	return v, ok
}

// FD returns the connection's descriptor, or -1 (lws_get_socket_fd). Use it
// to read an adopted file in RAW_RX_FILE or to set socket options; reading
// or writing a socket behind the library's back breaks its bookkeeping.
//
// Inside a WRITEABLE callback, writes made by earlier callbacks of the same
// pass may still be gathered in the loop's batch (see corkLimit); asking
// for the descriptor hands them to the kernel first, so that what user
// code does with the socket (a shutdown, say) comes after everything
// written.
//
// A stream child (see Network) gives its network connection's socket.
func (c *Conn) FD() int {
	if n := c.Network(); c.loop.cork == n {
		_ = n.flushStage()
	}
	return int(c.fd)
}

// PeerAddr returns the peer's address for TCP connections. An IPv6
// zone (a link-local address's interface) is not kept: the connection
// stores the address in 20 bytes, not a netip.AddrPort's 32.
func (c *Conn) PeerAddr() netip.AddrPort { return c.peer.AddrPort() }

// Parent returns the connection's parent, or nil.
func (c *Conn) Parent() *Conn {
	if c.rare == nil {
		return nil
	}
	return c.rare.parent
}

// ChildClosing returns, during CallbackChildClosing, the child that is
// closing.
func (c *Conn) ChildClosing() *Conn {
	if c.rare == nil {
		return nil
	}
	return c.rare.closingChild
}

// IsClient reports whether the connection was made by ClientConnect.
func (c *Conn) IsClient() bool { return c.kind == kindClient }

// Closed reports whether the connection has closed.
func (c *Conn) Closed() bool { return c.closing == closeDone }

// String describes the connection for logs.
func (c *Conn) String() string {
	proto := ""
	if c.vp != nil {
		proto = c.vp.proto.Name
	}
	return fmt.Sprintf("conn(fd %d, %s, %s, %s)", c.fd, c.kindName(), c.role.name(), proto)
}

func (c *Conn) kindName() string {
	switch c.kind {
	case kindSocket:
		return "server"
	case kindClient:
		return "client"
	case kindFile:
		return "file"
	case kindListener:
		return "listener"
	}
	return "vhost-protocol"
}

// PanicError is the error a recovered panic in a callback closes the
// connection with.
type PanicError struct {
	Reason Reason
	Value  any
	Stack  []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("lws: panic in %s callback: %v", e.Reason, e.Value)
}

// callback delivers reason to the connection's own protocol.
func (c *Conn) callback(reason Reason, in []byte) error {
	return c.callbackProto(c.vp, reason, in)
}

// callbackProto delivers reason to protocol vp about c, recovering panics.
func (c *Conn) callbackProto(vp *vhostProtocol, reason Reason, in []byte) (err error) {
	if vp == nil || vp.proto.Callback == nil {
		return nil
	}
	l := c.loop
	prev := l.current
	l.current = c
	defer func() {
		l.current = prev
		if r := recover(); r != nil {
			pe := &PanicError{Reason: reason, Value: r, Stack: debug.Stack()}
			logf(LogErr, "%v on %v\n%s", pe, c, pe.Stack)
			err = pe
		}
	}()
	return vp.proto.Callback(c, reason, in)
}

// CallbackOnWritable asks for one WRITEABLE callback of the connection's
// role (SERVER_WRITEABLE, CLIENT_WRITEABLE, RAW_WRITEABLE, ...) when the
// connection can take data (lws_callback_on_writable). Requests are a flag,
// not a count: many calls before the callback give one callback. The
// callback comes on a later pass of the loop, never from inside this call.
//
// Extra WRITEABLE callbacks may arrive that were not asked for (for
// example after the library finished sending a write the kernel took only
// partly): the callback must decide for itself whether it has anything to
// send, and simply return nil if not.
//
// A stream child (see Network) asks its network connection, whose role
// routes the WRITEABLE to it; a child its network connection's role gives
// no tx credit keeps its request until credit arrives.
func (c *Conn) CallbackOnWritable() {
	if c.Closed() || c.kind == kindVhostProtocol || c.kind == kindListener {
		return
	}
	if c.isStream() {
		c.wantWriteable = true
		if c.txCredit() <= 0 {
			return
		}
		c = c.Network()
	}
	c.askWriteable()
}

// CallbackOnWritableAllProtocol asks for a WRITEABLE callback on every
// connection, on every vhost, bound to a protocol of that name
// (lws_callback_on_writable_all_protocol).
func (cx *Context) CallbackOnWritableAllProtocol(protocol string) {
	for _, vh := range cx.vhosts {
		vh.CallbackOnWritableAllProtocol(protocol)
	}
}

// IsHTTP2 reports whether c travels over HTTP/2: it is a stream of an
// HTTP/2 connection (a request, or a WebSocket over HTTP/2 by RFC 8441's
// extended CONNECT), or such a connection itself. A protocol's ESTABLISHED
// callback asks it to tell a WebSocket over HTTP/2 (lws flags it in the
// callback's len).
func (c *Conn) IsHTTP2() bool {
	_, ok := c.Network().role.(*h2Net)
	return ok
}

// GetPeerWriteAllowance returns how many bytes c may send now as far as
// the peer's flow control says (lws_get_peer_write_allowance): for an
// HTTP/2 stream, the smaller of its own and its connection's send
// windows (0 while a write of its waits for the window); -1 for a
// connection whose writes are not metered (HTTP/1, RAW, a WebSocket over
// HTTP/1). A stream without allowance gets no WRITEABLE callback until
// the peer opens its window.
func (c *Conn) GetPeerWriteAllowance() int {
	if c.Closed() || !c.isStream() {
		return -1
	}
	return c.txCredit()
}

// RxFlowControl turns reception on or off (lws_rx_flow_control). While it
// is off the library stops reading the descriptor and delivers no receive
// callbacks, so the kernel's buffers fill and the peer's writes block: real
// TCP backpressure. Data the library had already read is held (at most one
// service buffer) and delivered first when reception is turned back on.
//
// For a stream child (see Network) its network connection's role decides:
// an HTTP/2 stream stops being given its DATA, which the library holds
// within the stream's flow-control window, so the peer stops sending on
// that stream alone (its window is not given back); a role that meters
// no streams turns reception on or off for the network connection, every
// child of which it then holds or releases.
func (c *Conn) RxFlowControl(enable bool) error {
	if c.Closed() {
		return ErrClosed
	}
	if c.isStream() && c.Network().role.childRxFlow(c, enable) {
		return nil
	}
	c = c.Network()
	if c.kind == kindVhostProtocol || c.kind == kindListener {
		return errors.New("lws: RxFlowControl needs a connection")
	}
	if c.rxDisabled == !enable {
		return nil
	}
	c.rxDisabled = !enable
	l := c.loop
	if enable {
		if c.parked {
			l.unpark(c)
		}
		if len(c.rxHeld) > 0 || c.readReady || c.rolePending() {
			l.queueReady(c)
		}
	}
	l.updateInterest(c)
	return nil
}

// rolePending reports whether the transport or the role holds received
// data it has not delivered yet (TLS plaintext of a record read whole, a
// WebSocket extension's decoded output).
func (c *Conn) rolePending() bool {
	if st := c.tlsState(); st != nil && st.more {
		return true
	}
	return c.role.pending(c)
}

// RxFlowAllowed reports whether reception is on.
func (c *Conn) RxFlowAllowed() bool { return !c.rxDisabled }

// RxFlowAllowAllProtocol turns reception back on for every connection bound
// to the named protocol on every vhost (lws_rx_flow_allow_all_protocol).
func (cx *Context) RxFlowAllowAllProtocol(protocol string) {
	for _, vh := range cx.vhosts {
		if vp := vh.protocol(protocol); vp != nil {
			for c := vp.first; c != nil; c = c.vpNext {
				_ = c.RxFlowControl(true)
			}
		}
	}
}

// SetTimeout arms, or with secs 0 or reason NoPendingTimeout disarms, the
// connection's timeout (lws_set_timeout): when it expires the connection is
// closed (a client that is still connecting gets CLIENT_CONNECTION_ERROR).
// secs may be ToKillAsync to close at the next pass of the loop, or
// ToKillSync to close at once.
func (c *Conn) SetTimeout(reason PendingTimeout, secs int) {
	if c.Closed() || c.kind == kindVhostProtocol {
		return
	}
	l := c.loop
	switch {
	case secs == 0 || reason == NoPendingTimeout:
		l.timers.cancel(&c.timeout)
		c.timeoutReason = NoPendingTimeout
		return
	case secs == ToKillSync && l.current != c:
		c.timeoutReason = reason
		l.closeConn(c, errKilled)
		return
	case secs < 0:
		secs = 0
	}
	c.timeoutReason = reason
	c.timeout.kind, c.timeout.conn = timerTimeout, c
	l.timers.schedule(&c.timeout, l.now()+int64(secs)*int64(time.Second))
}

// SetTimeoutDuration is SetTimeout with a finer-grained duration
// (lws_set_timeout_us). A zero or negative d disarms the timeout.
func (c *Conn) SetTimeoutDuration(reason PendingTimeout, d time.Duration) {
	if d <= 0 {
		c.SetTimeout(reason, 0)
		return
	}
	if c.Closed() || c.kind == kindVhostProtocol {
		return
	}
	c.timeoutReason = reason
	c.timeout.kind, c.timeout.conn = timerTimeout, c
	c.loop.timers.schedule(&c.timeout, c.loop.now()+int64(d))
}

// Close closes the connection at the next pass of the loop, delivering its
// close reasons then (lws_set_timeout with LWS_TO_KILL_ASYNC). From a
// callback of the connection itself, returning an error does the same.
func (c *Conn) Close() { c.SetTimeout(PendingTimeoutUserOK, ToKillAsync) }

// TimerCancel given to Conn.SetTimer disarms the timer.
const TimerCancel time.Duration = -1

// SetTimer arms the connection's one-shot timer: CallbackTimer arrives after
// d (lws_set_timer_usecs). Arming it again moves it; TimerCancel (or any
// negative d) disarms it. Re-arm it from the TIMER callback for a periodic
// timer.
func (c *Conn) SetTimer(d time.Duration) {
	if c.Closed() || c.kind == kindVhostProtocol {
		return
	}
	l := c.loop
	if d < 0 {
		l.timers.cancel(&c.more().timer)
		return
	}
	t := &c.more().timer
	t.kind, t.conn = timerConn, c
	l.timers.schedule(t, l.now()+int64(d))
}

var errKilled = errors.New("lws: connection killed")

// bindProtocol binds c to vp and makes its session data.
func (c *Conn) bindProtocol(vp *vhostProtocol, user any) {
	c.vp = vp
	if user != nil {
		c.user = user
	} else if vp.proto.NewSession != nil {
		c.user = vp.proto.NewSession()
	}
	c.vpPrev = nil
	c.vpNext = vp.first
	if vp.first != nil {
		vp.first.vpPrev = c
	}
	vp.first = c
}

// unbindProtocol removes c from its protocol's connection list.
func (c *Conn) unbindProtocol() {
	vp := c.vp
	if vp == nil {
		return
	}
	if c.vpPrev != nil {
		c.vpPrev.vpNext = c.vpNext
	} else if vp.first == c {
		vp.first = c.vpNext
	}
	if c.vpNext != nil {
		c.vpNext.vpPrev = c.vpPrev
	}
	c.vpPrev, c.vpNext = nil, nil
}

// setParent links c under parent.
func (c *Conn) setParent(parent *Conn) {
	r, pr := c.more(), parent.more()
	r.parent = parent
	r.nextSibling = pr.firstChild
	pr.firstChild = c
}

func (c *Conn) unlinkFromParent() {
	if c.rare == nil || c.rare.parent == nil {
		return
	}
	r := c.rare
	for pp := &r.parent.rare.firstChild; *pp != nil; pp = &(*pp).rare.nextSibling {
		if *pp == c {
			*pp = r.nextSibling
			break
		}
	}
	r.parent, r.nextSibling = nil, nil
}
