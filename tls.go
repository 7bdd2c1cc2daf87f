package lws

import (
	"github.com/golws/lws/h2"

	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TLS is crypto/tls, unforked, used in two ways. A server connection
// first waits on the loop, costing no goroutine, until its whole first
// record (the ClientHello) is in the kernel's buffer; only then does its
// handshake run on a goroutine, over a duplicate of the socket that Go's
// own poller serves. At most ContextInfo.TLSHandshakeWorkers handshakes
// compute at once: a handshake that must wait for its peer gives its
// worker back while it waits and queues for one again when the peer's
// bytes have come, so stalled peers cannot hold the workers. Connections
// beyond the pool's size wait their turn in order. Everything, from the
// accept on, is bounded by one deadline (ContextInfo.TimeoutSecs, lws's
// timeout_secs for PENDING_TIMEOUT_SSL_ACCEPT). Once the handshake is
// done the goroutine ends, and the loop processes records:
// ciphertext it reads is handed to the tls.Conn through an in-memory
// transport whose Read reports a temporary "would block" error when it is
// empty (crypto/tls keeps a partial record across such errors), and what
// tls.Conn writes is collected by the transport, never refused, and sent
// by the loop like any write. A connection that is slow or silent after
// its handshake costs no goroutine.

// tlsState is a connection's TLS.
type tlsState struct {
	conn *tls.Conn
	tr   tlsTransport
	// more: crypto/tls may hold decrypted or undecrypted records the
	// loop has not asked for, because reception was turned off.
	more bool
	// vh is the vhost whose TLS configuration the server handshake used
	// (set by the handshake goroutine, read by the loop once it ended);
	// the Host header may only choose vhosts with the same TLS settings.
	vh *Vhost
	// hs is the handshake's duplicate socket while the handshake runs.
	hs net.Conn
	// peek: the loop waits for the whole first record (the ClientHello)
	// before the handshake is given a worker; with plainOK
	// (OptionAllowNonSSLOnSSLPort) the first byte also decides between
	// TLS and plain HTTP. lowat: SO_RCVLOWAT is raised meanwhile.
	peek, plainOK, lowat bool
	// deadline ends the handshake: TimeoutSecs from the accept (or the
	// client's connect).
	deadline time.Time
	// grant hands a worker to a handshake goroutine that gave its own
	// back while waiting for its peer (false: the connection closed).
	grant chan bool
	info  SSLInfo // the event of CallbackSSLInfo being delivered
}

// OpenSSL's SSL_CB_* values, for VhostInfo.SSLInfoEventMask and
// SSLInfo.Where.
const (
	SSLCBHandshakeStart = 0x10
	SSLCBHandshakeDone  = 0x20
	SSLCBAlert          = 0x4000
)

// SSLInfo is what CallbackSSLInfo reports (lws's struct lws_ssl_info):
// Where is one of the SSLCB* events; Err, for SSLCBAlert, is why the
// handshake failed.
type SSLInfo struct {
	Where int
	Err   error
}

// SSLInfo returns, during CallbackSSLInfo, the event being reported.
func (c *Conn) SSLInfo() SSLInfo {
	if st := c.tlsState(); st != nil {
		return st.info
	}
	return SSLInfo{}
}

// sslInfo delivers CallbackSSLInfo for an event the vhost asked for; an
// error from the callback closes the connection.
func (c *Conn) sslInfo(where int, err error) error {
	st := c.tlsState()
	if st == nil || c.vhost.info.SSLInfoEventMask&where == 0 {
		return nil
	}
	st.info = SSLInfo{Where: where, Err: err}
	cerr := c.callback(CallbackSSLInfo, nil)
	st.info = SSLInfo{}
	return cerr
}

// errWouldBlock is the transport's "nothing to read yet": temporary, so
// crypto/tls keeps what it has of a record and is asked again later.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "lws: TLS transport: no data yet" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// tlsTransport is the net.Conn under a tls.Conn: during the handshake it
// is the worker's duplicate socket; afterwards, memory owned by the loop.
type tlsTransport struct {
	hs    net.Conn // set while the handshake runs
	in    []byte   // ciphertext received and not yet taken by crypto/tls
	owned []byte   // in's own storage when it must outlive the read buffer
	out   []byte   // ciphertext crypto/tls wrote, to be sent
	local net.Addr
	peer  net.Addr
}

func (t *tlsTransport) Read(p []byte) (int, error) {
	if t.hs != nil {
		return t.hs.Read(p)
	}
	if len(t.in) == 0 {
		return 0, errWouldBlock
	}
	n := copy(p, t.in)
	t.in = t.in[n:]
	return n, nil
}

// Write never fails after the handshake: backpressure is applied before
// encrypting (one write per WRITEABLE, and none while the socket is
// choked), so what crypto/tls writes is bounded by what the protocol
// wrote.
func (t *tlsTransport) Write(p []byte) (int, error) {
	if t.hs != nil {
		return t.hs.Write(p)
	}
	t.out = append(t.out, p...)
	return len(p), nil
}

func (t *tlsTransport) Close() error {
	if t.hs != nil {
		return t.hs.Close()
	}
	return nil
}

func (t *tlsTransport) LocalAddr() net.Addr  { return t.local }
func (t *tlsTransport) RemoteAddr() net.Addr { return t.peer }

func (t *tlsTransport) SetDeadline(d time.Time) error {
	if t.hs != nil {
		return t.hs.SetDeadline(d)
	}
	return nil
}

func (t *tlsTransport) SetReadDeadline(d time.Time) error {
	if t.hs != nil {
		return t.hs.SetReadDeadline(d)
	}
	return nil
}

func (t *tlsTransport) SetWriteDeadline(d time.Time) error {
	if t.hs != nil {
		return t.hs.SetWriteDeadline(d)
	}
	return nil
}

// vhostTLS builds a vhost's server TLS configuration from VhostInfo: the
// user's TLSConfig (lws's CREATE_VHOST_SSL_CTX), the certificate and key
// files, the CA that verifies client certificates, then
// CallbackOpenSSLLoadExtraServerVerifyCerts for the first protocol to add
// what it wants; the result is vh.tlsCfg, left nil for a vhost without
// TLS.
func (vh *Vhost) vhostTLS() error {
	info := &vh.info
	if info.TLSConfig == nil && info.SSLCertFilepath == "" {
		return nil
	}
	var cfg *tls.Config
	if info.TLSConfig != nil {
		cfg = info.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if info.SSLCertFilepath != "" {
		key := info.SSLPrivateKeyFilepath
		if key == "" {
			key = info.SSLCertFilepath
		}
		cert, err := tls.LoadX509KeyPair(info.SSLCertFilepath, key)
		if err != nil {
			return fmt.Errorf("loading the certificate %s and key %s: %w", info.SSLCertFilepath, key, err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	if info.SSLCAFilepath != "" {
		pem, err := os.ReadFile(info.SSLCAFilepath)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", info.SSLCAFilepath)
		}
		cfg.ClientCAs = pool
		if cfg.ClientAuth == tls.NoClientCert {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	if info.Options&OptionRequireValidOpenSSLClientCert == OptionRequireValidOpenSSLClientCert {
		if cfg.ClientCAs == nil {
			return errors.New("OptionRequireValidOpenSSLClientCert needs SSLCAFilepath (or TLSConfig.ClientCAs)")
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = vh.acceptALPN()
	}
	if err := vh.applyTLSPolicy(cfg); err != nil {
		return err
	}
	vh.tlsCfg = cfg
	if err := vh.protocols[0].pseudo.callback(CallbackOpenSSLLoadExtraServerVerifyCerts, nil); err != nil {
		return fmt.Errorf("OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: %w", err)
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return errors.New("TLS without a certificate: give SSLCertFilepath or TLSConfig.Certificates")
	}
	return nil
}

// TLSConfig returns, during CallbackOpenSSLLoadExtraServerVerifyCerts, the
// vhost's server TLS configuration, for the protocol to add certificates
// or CAs (lws hands over its SSL_CTX). Changing it later is a data race
// with handshakes in progress.
func (vh *Vhost) TLSConfig() *tls.Config { return vh.tlsCfg }

// sniEntry is one vhost of a listen group, as the handshake goroutines see
// it: they read the group's list atomically, never the vhosts' fields.
type sniEntry struct {
	name string
	cfg  *tls.Config
	vh   *Vhost
}

// publishSNI rebuilds the group's list of vhost names and TLS
// configurations after a vhost joined or left.
func (g *listenGroup) publishSNI() {
	var list []sniEntry
	for _, v := range g.vhosts {
		if v.tlsCfg != nil {
			list = append(list, sniEntry{name: v.name, cfg: v.tlsCfg, vh: v})
		}
	}
	g.sni.Store(&list)
}

// configForClient chooses the vhost's configuration by the client's SNI
// name with the rules of the Host header: an exact name, then the longest
// vhost name that is a suffix at a dot, else (no SNI, or a name no vhost
// has) the group's first TLS vhost. The chosen vhost is noted in st.vh,
// which the loop reads once the handshake has ended.
func configForClient(sni *atomic.Pointer[[]sniEntry], st *tlsState) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		list := sni.Load()
		if list == nil || len(*list) == 0 {
			return nil, errors.New("lws: no TLS vhost on this port")
		}
		host := strings.ToLower(hello.ServerName)
		var exact, wild *sniEntry
		for i := range *list {
			e := &(*list)[i]
			if strings.EqualFold(host, e.name) {
				exact = e
				break
			}
			if n := len(e.name); len(host) > n+1 && host[len(host)-n-1] == '.' &&
				strings.EqualFold(host[len(host)-n:], e.name) && (wild == nil || n > len(wild.name)) {
				wild = e
			}
		}
		e := exact
		if e == nil {
			e = wild
		}
		if e == nil {
			e = &(*list)[0]
		}
		st.vh = e.vh
		return e.cfg, nil
	}
}

// sameTLS reports whether vhosts a and b present the same certificates
// and ask for client certificates the same way, with the same CAs: only
// then may the Host header move a connection between them, since the
// handshake was made with one of them. Configurations that choose at
// handshake time (GetCertificate, GetConfigForClient, verification
// functions) cannot be compared and count as different.
func sameTLS(a, b *Vhost) bool {
	if a == b {
		return true
	}
	x, y := a.tlsCfg, b.tlsCfg
	if x == nil || y == nil {
		return x == y
	}
	if x.GetCertificate != nil || y.GetCertificate != nil || x.GetConfigForClient != nil || y.GetConfigForClient != nil ||
		x.VerifyPeerCertificate != nil || y.VerifyPeerCertificate != nil || x.VerifyConnection != nil || y.VerifyConnection != nil {
		return false
	}
	if x.ClientAuth != y.ClientAuth || len(x.Certificates) != len(y.Certificates) {
		return false
	}
	if (x.ClientCAs == nil) != (y.ClientCAs == nil) || (x.ClientCAs != nil && !x.ClientCAs.Equal(y.ClientCAs)) {
		return false
	}
	for i := range x.Certificates {
		cx, cy := x.Certificates[i].Certificate, y.Certificates[i].Certificate
		if len(cx) != len(cy) {
			return false
		}
		for j := range cx {
			if !bytes.Equal(cx[j], cy[j]) {
				return false
			}
		}
	}
	return true
}

// misdirected reports whether a request of c may not be served by vhost
// v, which its Host header chose (answered with 421 Misdirected
// Request): over TLS, v's TLS settings differ from those of the vhost the
// handshake was made with (the SNI's, or the port's first vhost without
// SNI); without TLS on a TLS port (OptionAllowNonSSLOnSSLPort), v
// requires a client certificate.
func (c *Conn) misdirected(v *Vhost) bool {
	st := c.tlsState()
	if st == nil {
		if c.txn() != nil && c.txn().toHTTPS {
			return false // redirected, not served
		}
		return v.tlsCfg != nil && (v.tlsCfg.ClientAuth == tls.RequireAnyClientCert ||
			v.tlsCfg.ClientAuth == tls.RequireAndVerifyClientCert)
	}
	return st.vh != nil && !sameTLS(st.vh, v)
}

// startTLS begins the server handshake of an accepted connection: the
// connection is not read by the loop until it is done.
func (l *loop) startTLS(c *Conn) {
	g := c.vhost.group
	st := &tlsState{}
	base := &tls.Config{GetConfigForClient: configForClient(&g.sni, st)}
	st.tr.local = &net.TCPAddr{}
	st.tr.peer = net.TCPAddrFromAddrPort(c.peer.AddrPort())
	st.conn = tls.Server(&st.tr, base)
	c.tls = st
	c.rxHold |= holdTLS
	st.plainOK = c.vhost.info.Options&OptionAllowNonSSLOnSSLPort == OptionAllowNonSSLOnSSLPort
	// The loop waits for the ClientHello; the handshake, waiting
	// included, ends within TimeoutSecs of the accept.
	st.peek = true
	secs := l.cx.info.TimeoutSecs
	st.deadline = time.Now().Add(time.Duration(secs) * time.Second)
	c.SetTimeout(PendingTimeoutSSLAccept, secs)
}

// maxHelloRecord is the largest first record the loop waits for: a TLS
// record's header and its largest plaintext (2^14 bytes, RFC 8446 5.1).
const maxHelloRecord = 5 + 16384

// peekTLS looks, without reading, at what a new connection on a TLS port
// has sent. A connection is given a handshake worker only once its whole
// first record (the ClientHello's) is in the kernel's buffer; until then
// SO_RCVLOWAT makes the poller report it only when that much has come (or
// the peer closed). On a port that also serves plain HTTP
// (OptionAllowNonSSLOnSSLPort), a first byte other than 22 (a TLS
// handshake record) means plain HTTP.
func (l *loop) peekTLS(c *Conn) {
	st := c.tlsState()
	fd := int(c.fd)
	var h [5]byte
	n, _, err := unix.Recvfrom(fd, h[:], unix.MSG_PEEK)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		c.readReady = false
		l.updateInterest(c)
		return
	case err != nil:
		l.closeConn(c, err)
		return
	case n == 0:
		l.closeConn(c, errPeerClosed)
		return
	}
	if st.plainOK && h[0] != 0x16 {
		// Plain HTTP on the TLS port.
		l.unsetLowat(c, st)
		c.tls = nil
		c.rxHold &^= holdTLS
		if c.txn() != nil && c.vhost.info.Options&OptionRedirectHTTPToHTTPS == OptionRedirectHTTPToHTTPS {
			c.txn().toHTTPS = true
		}
		c.SetTimeout(PendingTimeoutHoldingAH, c.vhost.info.AHIdleTimeoutSecs)
		l.queueReady(c)
		l.updateInterest(c)
		return
	}
	need := len(h)
	if n == len(h) {
		need += int(h[3])<<8 | int(h[4])
	}
	if h[0] == 0x16 && need <= maxHelloRecord {
		if avail, err := unix.IoctlGetInt(fd, unix.SIOCINQ); err == nil && avail < need {
			// Wait for the rest: raise the low-water mark first, so
			// that bytes arriving after the count wake the poller.
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVLOWAT, need) == nil {
				st.lowat = true
			}
			if avail, err = unix.IoctlGetInt(fd, unix.SIOCINQ); err == nil && avail < need {
				if ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO); err == nil &&
					ti.State != unix.BPF_TCP_ESTABLISHED {
					// The peer closed (or shut down its side) without
					// finishing its ClientHello.
					l.closeConn(c, errPeerClosed)
					return
				}
				c.readReady = false
				l.updateInterest(c)
				return
			}
		}
	}
	// The first record is whole (or is not a ClientHello, which
	// crypto/tls refuses at once): the handshake may have a worker.
	l.unsetLowat(c, st)
	st.peek = false
	l.handshakes.add(c)
}

// unsetLowat puts SO_RCVLOWAT back to 1 once the loop no longer waits for
// a whole ClientHello.
func (l *loop) unsetLowat(c *Conn, st *tlsState) {
	if st.lowat {
		_ = unix.SetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_RCVLOWAT, 1)
		st.lowat = false
	}
}

// handshakeWorker gives c a worker of the handshake pool: a new handshake
// starts on a goroutine; a running one that gave its worker back while
// waiting for its peer resumes. It reports whether c took the worker.
func (l *loop) handshakeWorker(c *Conn) bool {
	st := c.tlsState()
	if st == nil {
		return false
	}
	if st.hs != nil {
		select {
		case st.grant <- true:
			return true
		default: // already told the connection closed
			return false
		}
	}
	dup, err := dupConn(int(c.fd))
	if err != nil {
		l.killLater(c, err)
		return false
	}
	rc, err := dup.(syscall.Conn).SyscallConn()
	if err != nil {
		_ = dup.Close()
		l.killLater(c, err)
		return false
	}
	hc := &hsConn{Conn: dup, rc: rc, l: l, c: c, st: st, held: true}
	st.hs, st.tr.hs = dup, hc
	st.grant = make(chan bool, 1)
	_ = dup.SetDeadline(st.deadline)
	if err := c.sslInfo(SSLCBHandshakeStart, nil); err != nil {
		_ = dup.Close()
		st.hs, st.tr.hs = nil, nil
		l.closeConn(c, err)
		return false
	}
	l.handshakes.spawn(func() (func(), bool) {
		err := st.conn.Handshake()
		held := hc.held
		_ = dup.SetDeadline(time.Time{})
		return func() { l.handshakeDone(c, st, err) }, held
	})
	return true
}

// resumeTLS queues, for a worker, a handshake whose peer's bytes have come
// while it waited without one.
func (l *loop) resumeTLS(c *Conn, st *tlsState) {
	if c.Closed() || c.tlsState() != st {
		select {
		case st.grant <- false:
		default:
		}
		return
	}
	l.handshakes.add(c)
}

// hsConn is the handshake goroutine's socket, a duplicate served by Go's
// poller. A read or write that would block gives the goroutine's worker
// back to the pool before waiting for the peer, and takes one again (in
// turn, from the loop) before the handshake goes on computing, so a peer
// that stalls mid-handshake costs a parked goroutine, not a worker.
type hsConn struct {
	net.Conn // the duplicate: deadlines, addresses, Close
	rc       syscall.RawConn
	l        *loop
	c        *Conn
	st       *tlsState
	held     bool // the goroutine holds a worker; only it touches this
}

// release gives the worker back while the peer is awaited.
func (h *hsConn) release() {
	if h.held {
		h.held = false
		l := h.l
		l.post(l.handshakes.release)
	}
}

// acquire waits for a worker after the peer's bytes have come.
func (h *hsConn) acquire() error {
	if h.held {
		return nil
	}
	l, c, st := h.l, h.c, h.st
	l.post(func() { l.resumeTLS(c, st) })
	if !<-st.grant {
		return net.ErrClosed
	}
	h.held = true
	return nil
}

func (h *hsConn) Read(p []byte) (int, error) {
	var n int
	var rerr error
	err := h.rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = unix.Read(int(fd), p)
			if rerr != unix.EINTR {
				break
			}
		}
		if rerr == unix.EAGAIN {
			h.release()
			return false
		}
		return true
	})
	if err == nil {
		err = h.acquire()
	}
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, rerr
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

func (h *hsConn) Write(p []byte) (int, error) {
	var done int
	var werr error
	err := h.rc.Write(func(fd uintptr) bool {
		for done < len(p) {
			n, err := unix.SendmsgN(int(fd), p[done:], nil, nil, unix.MSG_NOSIGNAL)
			switch err {
			case nil:
				done += n
			case unix.EINTR:
			case unix.EAGAIN:
				h.release()
				return false
			default:
				werr = err
				return true
			}
		}
		return true
	})
	if err == nil {
		err = h.acquire()
	}
	if err == nil {
		err = werr
	}
	return done, err
}

// dupConn wraps a duplicate of a socket descriptor in a net.Conn served by
// Go's poller, for a handshake goroutine to block on.
func dupConn(fd int) (net.Conn, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(nfd), "tls-handshake")
	nc, err := net.FileConn(f)
	f.Close()
	return nc, err
}

// handshakeDone continues a connection on the loop once its handshake
// ended.
func (l *loop) handshakeDone(c *Conn, st *tlsState, err error) {
	st.tr.hs = nil
	if st.hs != nil {
		_ = st.hs.Close()
		st.hs = nil
	}
	if c.Closed() || c.tlsState() != st {
		return
	}
	if err != nil {
		_ = c.sslInfo(SSLCBAlert, err)
		if c.Closed() {
			return
		}
		if c.kind == kindClient {
			l.clientFail(c, "TLS: "+err.Error())
			return
		}
		logf(LogInfo, "lws: %v: TLS handshake: %v", c, err)
		l.closeConn(c, fmt.Errorf("lws: TLS handshake: %w", err))
		return
	}
	if err := c.sslInfo(SSLCBHandshakeDone, nil); err != nil {
		l.closeConn(c, err)
		return
	}
	if c.Closed() {
		return
	}
	if c.kind == kindClient {
		c.rxHold &^= holdTLS
		st.more = true
		l.timers.cancel(&c.timeout)
		c.timeoutReason = NoPendingTimeout
		l.connected(c)
		if !c.Closed() {
			c.readReady = true
			l.queueReady(c)
			l.updateInterest(c)
		}
		return
	}
	if v := st.vh; v != nil && v != c.vhost {
		// SNI chose the vhost (exactly or by suffix): the connection
		// belongs to it.
		if v.destroyed || v.group != c.vhost.group {
			l.closeConn(c, errVhostDestroyed)
			return
		}
		c.unbindProtocol()
		c.user = nil
		c.vhost = v
		c.bindProtocol(v.protocols[0], nil)
	}
	if len(st.conn.ConnectionState().PeerCertificates) > 0 {
		// crypto/tls verified the chain against the vhost's CA; the
		// protocol has the last word (lws's verification callback).
		if err := c.callbackProto(c.vhost.protocols[0], CallbackOpenSSLPerformClientCertVerification, nil); err != nil {
			logf(LogInfo, "lws: %v: client certificate refused: %v", c, err)
			l.closeConn(c, fmt.Errorf("lws: client certificate refused: %w", err))
			return
		}
	}
	c.rxHold &^= holdTLS
	c.SetTimeout(PendingTimeoutHoldingAH, c.vhost.info.AHIdleTimeoutSecs)
	if st.conn.ConnectionState().NegotiatedProtocol == "h2" && c.vhost.servesH2() {
		c.vhost.counts.h2ALPN++
		l.startH2(c, h2.NewConn(c.vhost.h2Config()))
	}
	// The handshake may have read application data past its last message
	// (crypto/tls keeps it), and more may have arrived while the loop was
	// not looking: look at both.
	st.more = true
	c.readReady = true
	l.queueReady(c)
	l.updateInterest(c)
}

// deliverTLS hands ciphertext p (nil to only drain what crypto/tls holds)
// to the connection's TLS and the plaintext to its role.
func (l *loop) deliverTLS(c *Conn, p []byte) {
	st := c.tlsState()
	t := &st.tr
	if len(p) > 0 {
		if len(t.in) > 0 {
			t.in = append(t.in, p...)
		} else {
			t.in = p
		}
	}
	st.more = false
	for !c.Closed() {
		if c.rxDisabled || c.rxHold != 0 || len(c.rxHeld) > 0 {
			st.more = true
			break
		}
		if l.plain == nil {
			l.plain = make([]byte, 16<<10)
		}
		n, err := st.conn.Read(l.plain)
		if n > 0 {
			l.deliver(c, l.plain[:n])
		}
		if err == nil {
			continue
		}
		if errors.Is(err, errWouldBlock) {
			break
		}
		if len(t.out) > 0 {
			_ = c.sendCiphertext()
		}
		if errors.Is(err, io.EOF) {
			l.onEOF(c)
			return
		}
		l.closeConn(c, err)
		return
	}
	if len(t.in) > 0 && !c.Closed() {
		// What is left must outlive the loop's read buffer.
		t.owned = append(t.owned[:0], t.in...)
		t.in = t.owned
	}
	// crypto/tls may have answered something (a key update).
	if len(t.out) > 0 && !c.Closed() {
		_ = c.sendCiphertext()
	}
}

// sendTLS encrypts hdr and p as one record (or as few as their size needs)
// and sends the ciphertext.
func (c *Conn) sendTLS(hdr, p []byte) (int, error) {
	st := c.tlsState()
	if st.tr.hs != nil {
		return 0, errors.New("lws: write during the TLS handshake")
	}
	var err error
	l := c.loop
	if len(st.tr.out) == 0 {
		// The records are encrypted into the loop's buffer, which
		// sendCiphertext takes back: a connection keeps none of its own.
		st.tr.out = l.tlsOut[:0]
	}
	if len(hdr) > 0 {
		l.tlsJoin = append(append(l.tlsJoin[:0], hdr...), p...)
		_, err = st.conn.Write(l.tlsJoin)
	} else {
		_, err = st.conn.Write(p)
	}
	if err != nil {
		c.loop.killLater(c, err)
		return 0, err
	}
	if err := c.sendCiphertext(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendCiphertext sends what crypto/tls wrote.
func (c *Conn) sendCiphertext() error {
	t := &c.tlsState().tr
	ct := t.out
	t.out = nil
	_, err := c.sendWire(nil, ct) // copies what the kernel does not take
	if l := c.loop; cap(ct) >= cap(l.tlsOut) && cap(ct) <= tlsOutMax {
		l.tlsOut = ct[:0]
	}
	return err
}

// tlsOutMax bounds the ciphertext buffer the loop keeps for the next
// connection's records.
const tlsOutMax = 1 << 20

// tlsState returns the connection's TLS, or nil.
func (c *Conn) tlsState() *tlsState {
	return c.tls
}

// closeTLS ends a handshake in progress when its connection closes: the
// goroutine blocked on the duplicate socket, or waiting for a worker,
// returns at once.
func (c *Conn) closeTLS() {
	if st := c.tlsState(); st != nil && st.hs != nil {
		_ = st.hs.Close()
		select {
		case st.grant <- false:
		default:
		}
	}
}

// clientTLSConfig makes the TLS configuration of a client connection.
func (c *Conn) clientTLSConfig() *tls.Config {
	cs := c.clientInfo()
	vh := c.vhost
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: vh.clientCAs}
	if vh.clientCert != nil {
		cfg.Certificates = []tls.Certificate{*vh.clientCert}
	}
	// An IP address is not sent as SNI, but the certificate is checked
	// against it.
	host := strings.TrimSuffix(strings.TrimPrefix(cs.host, "["), "]")
	cfg.ServerName = host
	if cs.ssl&(ClientAllowSelfsigned|ClientSkipServerCertHostnameCheck|ClientAllowExpired) != 0 {
		// Verified here instead, with what the flags relax.
		cfg.InsecureSkipVerify = true
		flags, roots := cs.ssl, vh.clientCAs
		cfg.VerifyConnection = func(st tls.ConnectionState) error {
			return verifyRelaxed(st, host, roots, flags)
		}
	}
	return cfg
}

// verifyRelaxed verifies a server's certificate chain as crypto/tls
// would, less what the client's flags allow.
func verifyRelaxed(st tls.ConnectionState, host string, roots *x509.CertPool, flags ClientSSLFlags) error {
	if len(st.PeerCertificates) == 0 {
		return errors.New("lws: the server sent no certificate")
	}
	leaf := st.PeerCertificates[0]
	opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
	for _, ic := range st.PeerCertificates[1:] {
		opts.Intermediates.AddCert(ic)
	}
	if flags&ClientSkipServerCertHostnameCheck == 0 {
		opts.DNSName = host
	}
	if flags&ClientAllowExpired != 0 {
		opts.CurrentTime = leaf.NotAfter.Add(-time.Second)
	}
	_, err := leaf.Verify(opts)
	if err == nil {
		return nil
	}
	var ua x509.UnknownAuthorityError
	if flags&ClientAllowSelfsigned != 0 && errors.As(err, &ua) && len(st.PeerCertificates) == 1 &&
		leaf.CheckSignatureFrom(leaf) == nil {
		// Self-signed: it is its own root.
		self := x509.NewCertPool()
		self.AddCert(leaf)
		opts.Roots = self
		_, err = leaf.Verify(opts)
	}
	return err
}

// startClientTLS begins the handshake of a client connection that has
// just connected.
func (l *loop) startClientTLS(c *Conn) {
	st := &tlsState{}
	st.tr.peer = net.TCPAddrFromAddrPort(c.peer.AddrPort())
	st.tr.local = &net.TCPAddr{}
	st.conn = tls.Client(&st.tr, c.clientTLSConfig())
	c.tls = st
	c.rxHold |= holdTLS
	secs := l.cx.info.TimeoutSecs
	st.deadline = time.Now().Add(time.Duration(secs) * time.Second)
	c.SetTimeout(PendingTimeoutSSLAccept, secs)
	l.handshakes.add(c)
}

// InitVhostClientSSL sets up the vhost's client TLS from info's
// ClientSSL* files (lws_init_vhost_client_ssl): the CA that verifies
// servers and the certificate the vhost's clients present. CreateVhost
// does the same for the files given to it.
func (vh *Vhost) InitVhostClientSSL(info VhostInfo) error {
	if info.ClientSSLCAFilepath != "" {
		pem, err := os.ReadFile(info.ClientSSLCAFilepath)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", info.ClientSSLCAFilepath)
		}
		vh.clientCAs = pool
	}
	if info.ClientSSLCertFilepath != "" {
		key := info.ClientSSLPrivateKeyFilepath
		if key == "" {
			key = info.ClientSSLCertFilepath
		}
		cert, err := tls.LoadX509KeyPair(info.ClientSSLCertFilepath, key)
		if err != nil {
			return err
		}
		vh.clientCert = &cert
	}
	if err := vh.protocols[0].pseudo.callback(CallbackOpenSSLLoadExtraClientVerifyCerts, nil); err != nil {
		return fmt.Errorf("OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS: %w", err)
	}
	return nil
}

// peekingTLS reports whether the connection waits for its first byte to
// choose between TLS and plain HTTP.
func (c *Conn) peekingTLS() bool {
	return c.tls != nil && c.tls.peek
}

// PeerCertificates returns the certificates the TLS peer presented, leaf
// first (nil for a connection without TLS, or a peer that sent none).
// Server connections have them from CallbackOpenSSLPerformClientCertVerification
// on.
func (c *Conn) PeerCertificates() []*x509.Certificate {
	st := c.tlsState()
	if st == nil || st.hs != nil {
		return nil
	}
	return st.conn.ConnectionState().PeerCertificates
}

// TLSConnectionState returns the connection's TLS state (version, suite,
// ALPN, SNI name), or false without TLS or during the handshake.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	st := c.tlsState()
	if st == nil || st.hs != nil {
		return tls.ConnectionState{}, false
	}
	return st.conn.ConnectionState(), true
}
