package lws

import (
	"errors"

	"github.com/golws/lws/h2"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
	"golang.org/x/net/http2"
)

// HTTP/2 on the loop. A connection that negotiates h2 (ALPN "h2" over
// TLS, the client preface on a plain connection, or HTTP/1.1's Upgrade:
// h2c) becomes a network connection whose role is h2Net: it feeds what it
// reads to an h2.Conn (the pure wire: frames, stream states, flow
// control), and makes each request's stream a stream child (newStreamChild)
// whose role serves the transaction (h2Stream, an httpWire) or, after an
// RFC 8441 extended CONNECT, a WebSocket. The children's callbacks, user
// data, timeouts and close reasons are their own; their bytes go out
// through h2Net (sendChild), as DATA frames within their stream's send
// window.
//
// Flow control both ways is real backpressure:
//   - received DATA is given back to the peer (WINDOW_UPDATE) only once
//     the stream's protocol has taken it; a stream whose protocol turned
//     reception off (RxFlowControl) has its DATA held, at most its receive
//     window, and the peer stops sending on that stream alone;
//   - a stream gets WRITEABLE only while its send window has room
//     (txCredit: lws's tx credit, GetPeerWriteAllowance); a write larger
//     than the room is kept, like the rest of a partial write, and sent
//     as WINDOW_UPDATEs come, the stream getting no WRITEABLE meanwhile.
//
// Writing is fair among the streams of a connection: each WRITEABLE of the
// network connection serves one stream that asked, which then moves
// behind the others (writeableChild's round robin).
//
// What the h2.Conn queues (its own frames, and the children's) goes to the
// socket while the socket takes it; while the kernel refuses data, it
// stays queued in the h2.Conn, whose bound on unanswered control frames
// ends a connection whose peer sends PINGs or SETTINGS without reading.

// errStreamClosed refuses a write on a stream whose server side has ended
// or that the peer reset.
var errStreamClosed = errors.New("lws: HTTP/2 stream closed")

// errStreamReset closes a stream child whose stream the peer reset.
var errStreamReset = errors.New("lws: HTTP/2 stream reset by the peer")

// h2Net is the role of an HTTP/2 network connection, and its state.
type h2Net struct {
	roleBase
	h   *h2.Conn
	dec *h2.HeaderDecoder
	enc *h2.HeadEncoder

	streams map[uint32]*h2Str
	npend   int // streams with DATA kept for want of send window
	nheld   int // streams with received DATA held for their protocol
	// kidOutput: a stream's role (a WebSocket extension's decoder) holds
	// output for its protocol, which turned reception back on.
	kidOutput bool
	trailers  *hdr.Table // decodes trailers, which are dropped
	buf       []byte     // encodes heads, joins a write's two parts
	batch     bool       // in rx: the streams' frames go out together at its end
	upgraded  *h2Str     // the h2c upgrade's request, served once the client's preface came
	peerGone  bool       // the peer sent GOAWAY
	draining  bool       // the server sent GOAWAY: it closes once its streams are done
}

// h2Str is what the network connection keeps of one of its streams.
type h2Str struct {
	id    uint32
	child *Conn // nil once the child has closed

	pend    []byte // DATA written and not yet within the send window
	pendEnd bool   // END_STREAM follows pend
	ended   bool   // the server's END_STREAM is sent, or follows pend

	held        []byte // DATA received and not yet taken by the child
	heldEnd     bool   // the peer's END_STREAM follows held
	remoteEnded bool   // the peer's END_STREAM has been delivered

	declared int64 // the request's content-length, or -1
	rx       int64 // DATA received, checked against declared
	deferred bool  // a GET or HEAD served once the peer ends the stream
}

func (*h2Net) name() string { return "h2" }

// h2ALPN is HTTP/2's ALPN name.
var h2ALPN = []string{"h2"}

func (*h2Net) alpn() []string { return h2ALPN }

// readSize: the frames are cut by the h2.Conn; a read takes a whole
// buffer.
func (*h2Net) readSize(c *Conn) int { return len(c.loop.rbuf) }

// lingers: a connection closing after its GOAWAY reads and drops what
// the client still sends, so that the GOAWAY is not lost to a reset.
func (*h2Net) lingers(c *Conn) bool { return c.kind == kindSocket }

// peerEOF: a client that stops sending is gone; its streams go with it.
func (*h2Net) peerEOF(*Conn) bool { return true }

// h2Config is the HTTP/2 configuration of vh's connections.
func (vh *Vhost) h2Config() h2.Config { return vh.info.HTTP2 }

// startH2 makes c, an HTTP/1 server connection that has read nothing of
// its own yet (or whose upgrade request's answer has been sent), an
// HTTP/2 network connection driven by h.
func (l *loop) startH2(c *Conn, h *h2.Conn) *h2Net {
	r := newH2Net(c.vhost.h2Config(), h)
	r.open(c)
	return r
}

// newH2Net is the role of a network connection driven by h.
func newH2Net(cfg h2.Config, h *h2.Conn) *h2Net {
	r := &h2Net{
		h:       h,
		dec:     h2.NewHeaderDecoder(tableSize(cfg), listSize(cfg)),
		enc:     h2.NewHeadEncoder(),
		streams: make(map[uint32]*h2Str),
	}
	r.dec.SetExtendedConnect(!cfg.NoConnectProtocol)
	return r
}

// open makes c the network connection of r, giving back what HTTP/1 held.
func (r *h2Net) open(c *Conn) {
	l := c.loop
	l.releaseAH(c)
	c.rxHold &^= holdTxn | holdAH
	c.setRole(r)
	c.SetTimeout(PendingTimeoutHTTPKeepaliveIdle, c.vhost.info.KeepaliveTimeout)
	r.flush(c)
}

var switchingToH2c = []byte("HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n")

// upgradeH2c switches c, whose HTTP/1.1 request asked for it, to HTTP/2
// (RFC 7540 section 3.2): the 101, then the server's preface, and the
// request goes on as stream 1, answered over HTTP/2 with its header table.
func (l *loop) upgradeH2c(c *Conn, settings []http2.Setting) (*h2Net, error) {
	cfg := c.vhost.h2Config()
	h, err := h2.NewUpgradedConn(cfg, settings)
	if err != nil {
		return nil, err
	}
	if _, err := c.send(nil, switchingToH2c); err != nil {
		return nil, err
	}
	c.vhost.counts.h2Upg++
	ah := c.ah
	c.ah = nil // the request's table goes to its stream
	r := newH2Net(cfg, h)
	r.open(c)
	s := &h2Stream{net: r, id: 1}
	ch := c.newStreamChild(c.vhost.protocols[0], s, nil)
	ch.rare.stream = 1
	ch.ah = ah
	c.vhost.counts.h2Subs++
	st := &h2Str{id: 1, child: ch, remoteEnded: true, declared: -1}
	r.streams[1] = st
	ch.established = true
	r.busy(c)
	// The answer waits for the client's preface: a client may not read
	// HTTP/2 before it has sent its own (curl 7.88 takes no more than a
	// little DATA), and the request is served once its SETTINGS came.
	r.upgraded = st
	r.flush(c)
	return r, nil
}

func tableSize(cfg h2.Config) uint32 {
	if cfg.HeaderTableSize == 0 {
		return 4096
	}
	return cfg.HeaderTableSize
}

func listSize(cfg h2.Config) uint32 {
	if cfg.MaxHeaderListSize == 0 {
		return h2.DefaultMaxHeaderListSize
	}
	return cfg.MaxHeaderListSize
}

// batchLimit is how much of the streams' frames rx gathers before it
// writes them anyway.
const batchLimit = 64 << 10

// wrote flushes what a stream wrote, unless rx is under way: the
// answers to the requests of one read then go out together, in one write
// (one TLS record) when they fit batchLimit, instead of one each.
func (r *h2Net) wrote(c *Conn) {
	if !r.batch || len(r.h.Output()) >= batchLimit {
		r.flush(c)
	}
}

// flush gives the socket what the h2.Conn has queued, unless the kernel
// is refusing data: then it waits for the socket to drain (the network
// connection's WRITEABLE flushes again).
func (r *h2Net) flush(c *Conn) {
	out := r.h.Output()
	if c.Closed() {
		return
	}
	if len(out) == 0 {
		r.giveBack(c)
		return
	}
	if c.BufferedAmount() > 0 {
		c.wantWriteable = true
		c.loop.updateInterest(c)
		return
	}
	if _, err := c.send(nil, out); err != nil {
		return
	}
	r.h.Sent(len(out))
	r.giveBack(c)
}

// maxLoopOutput bounds the output buffer the loop keeps to lend.
const maxLoopOutput = 1 << 20

// lend gives the h2.Conn the loop's output buffer to queue its frames in,
// if it has nothing queued (see h2.Conn.UseBuffer).
func (r *h2Net) lend(c *Conn) {
	if l := c.loop; l.h2Out != nil && r.h.UseBuffer(l.h2Out) {
		l.h2Out = nil
	}
}

// giveBack takes the output buffer back for the loop once everything
// queued has gone, so that no connection keeps one between its writes;
// a connection without a live stream also drops a large scratch buffer.
func (r *h2Net) giveBack(c *Conn) {
	if b := r.h.TakeBuffer(); cap(b) > 0 && cap(b) <= maxLoopOutput {
		if l := c.loop; cap(b) >= cap(l.h2Out) {
			l.h2Out = b[:0]
		}
	}
	if len(r.streams) == 0 && cap(r.buf) > 4<<10 {
		r.buf = nil
	}
}

func (r *h2Net) rx(c *Conn, p []byte) (int, error) {
	r.batch = true
	defer func() { r.batch = false }()
	r.lend(c)
	if r.nheld > 0 || r.kidOutput {
		r.redeliver(c)
	}
	used := 0
	for !c.Closed() && c.closing != closeFlush {
		k, ev := r.h.Feed(p[used:])
		used += k
		if ev.Kind == h2.EventNone {
			break
		}
		if err := r.event(c, &ev); err != nil {
			r.flush(c)
			return len(p), err
		}
	}
	r.flush(c)
	if c.Closed() || c.closing == closeFlush {
		return len(p), nil
	}
	if len(r.streams) > 0 {
		r.busy(c) // the SETTINGS acknowledgement may just have come
	}
	return used, nil
}

// pending: a stream whose protocol turned reception back on has held
// DATA to take.
func (r *h2Net) pending(*Conn) bool {
	if r.kidOutput {
		return true
	}
	if r.nheld == 0 {
		return false
	}
	for _, st := range r.streams {
		if (len(st.held) > 0 || st.heldEnd) && st.child != nil && !st.child.rxDisabled {
			return true
		}
	}
	return false
}

// event acts on what the h2.Conn reports; an error closes the network
// connection.
func (r *h2Net) event(c *Conn, ev *h2.Event) error {
	l := c.loop
	switch ev.Kind {
	case h2.EventHeaders:
		return r.headers(c, ev)
	case h2.EventData:
		r.data(c, ev)
	case h2.EventReset:
		if st := r.streams[ev.Stream]; st != nil {
			r.forget(st)
			if ch := st.child; ch != nil {
				l.closeConn(ch, errStreamReset)
			}
		}
	case h2.EventWindow:
		r.windowed(c, ev.Stream)
	case h2.EventSettings:
		r.enc.SetPeerTableSize(r.h.Peer().HeaderTableSize)
		r.windowed(c, 0)
		if st := r.upgraded; st != nil {
			r.upgraded = nil
			if st.child != nil {
				r.serve(st)
			}
		}
	case h2.EventGoAway:
		r.peerGone = true
		if r.h.Streams() == 0 {
			return c.closeWhenFlushed()
		}
	case h2.EventConnError:
		logf(LogInfo, "lws: %v: HTTP/2: %v", c, ev.Err)
		return c.closeWhenFlushed()
	}
	return nil
}

// headers serves a stream's header block: a new request, or trailers.
func (r *h2Net) headers(c *Conn, ev *h2.Event) error {
	l := c.loop
	id := ev.Stream
	if ev.Discard {
		if err := r.dec.Discard(ev.Block); err != nil {
			r.h.Fail(http2.ErrCodeCompression, err.Error())
		}
		return nil
	}
	if ev.Trailers {
		if r.trailers == nil {
			r.trailers = hdr.NewTable(l.ah.dataSize)
		}
		r.trailers.Reset()
		if !r.decodeOK(id, r.dec.DecodeTrailers(ev.Block, r.trailers)) {
			if st := r.streams[id]; st != nil && st.child != nil {
				l.closeConn(st.child, errStreamReset)
			}
			return nil
		}
		if st := r.streams[id]; st != nil {
			r.endRemote(st)
		}
		return nil
	}

	s := &h2Stream{net: r, id: id}
	ch := c.newStreamChild(c.vhost.protocols[0], s, nil)
	ch.rare.stream = id
	c.vhost.counts.h2Subs++
	if !l.takeAH(ch) {
		// No header table: the block is decoded all the same, to keep
		// HPACK's table in step, and the stream refused (the client may
		// retry it).
		if r.trailers == nil {
			r.trailers = hdr.NewTable(l.ah.dataSize)
		}
		r.trailers.Reset()
		if r.decodeOK(id, r.dec.Decode(ev.Block, r.trailers)) {
			r.h.ResetStream(id, http2.ErrCodeRefusedStream)
		}
		l.closeConn(ch, errStreamReset)
		return nil
	}
	st := &h2Str{id: id, child: ch, remoteEnded: ev.EndStream, declared: -1}
	r.streams[id] = st
	err := r.dec.Decode(ev.Block, ch.ah)
	var he *h2.HeaderError
	if err != nil && (!errors.As(err, &he) || !he.Stream || he.Status == 0) {
		r.forget(st)
		r.decodeOK(id, err)
		l.closeConn(ch, errStreamReset)
		return nil
	}
	ch.established = true
	r.busy(c)
	switch {
	case he != nil:
		// Well-formed, but declined (431 for too large a head): the
		// stream is answered with the status.
		if err := ch.replyStatus(he.Status, he.Reason); err != nil {
			l.userClose(ch, err)
		}
	case r.dec.ExtendedConnect():
		if err := ch.wsOverH2(r.dec.Protocol()); err != nil {
			l.userClose(ch, err)
		}
	case !r.declaredLength(st, ch.ah):
		r.malformed(st, "bad content-length")
	case !ev.EndStream && !takesBody(ch):
		// A request whose body nothing would read (a GET, a file): the
		// body is read, checked and dropped before the request is
		// served, so that the answer follows the whole request.
		st.deferred = true
	default:
		r.serve(st)
	}
	return nil
}

// declaredLength notes the request's content-length, and reports whether
// it is well-formed (one value, or repeated the same).
func (r *h2Net) declaredLength(st *h2Str, ah *hdr.Table) bool {
	for i := range ah.FragmentCount(hdr.TokenContentLength) {
		v, ok := httpsem.ParseContentLength(ascii.TrimOWS(ah.Fragment(hdr.TokenContentLength, i)))
		if !ok || (i > 0 && v != st.declared) {
			return false
		}
		st.declared = v
	}
	return !st.remoteEnded || st.declared <= 0
}

// takesBody reports whether the request on stream child ch goes to
// something that reads a request body: a callback protocol or a CGI
// program, not a GET or HEAD, a file or a redirect.
func takesBody(ch *Conn) bool {
	m := ch.ah.Method()
	if m == hdr.TokenGetURI || m == hdr.TokenHeadURI {
		return false
	}
	mt := ch.vhost.findMount(ch.ah.Fragment(m, 0), false)
	return mt == nil || mt.kind == mountCallback || mt.kind == mountCGI
}

// serve serves st's request.
func (r *h2Net) serve(st *h2Str) {
	ch := st.child
	if err := ch.serveRequest(ch.role.httpWire()); err != nil {
		ch.loop.userClose(ch, err)
	}
}

// busy disarms the idle timeout of a connection with a live stream; the
// timeout stays while the peer owes the acknowledgement of the server's
// SETTINGS.
func (r *h2Net) busy(c *Conn) {
	if c.timeoutReason == PendingTimeoutHTTPKeepaliveIdle && !r.h.SettingsAckPending() {
		c.SetTimeout(NoPendingTimeout, 0)
	}
}

// decodeOK applies the decoder's verdict on stream id's block: a refusal
// resets the stream or fails the connection; anything else breaks HPACK.
func (r *h2Net) decodeOK(id uint32, err error) bool {
	if err == nil {
		return true
	}
	var he *h2.HeaderError
	if errors.As(err, &he) {
		r.h.RefuseHeaders(id, he)
	} else {
		r.h.Fail(http2.ErrCodeCompression, err.Error())
	}
	return false
}

// data hands DATA to its stream's child, or holds it while the child's
// reception is off. The peer's window is given back for what the child
// takes (and for what nobody will take).
func (r *h2Net) data(c *Conn, ev *h2.Event) {
	st := r.streams[ev.Stream]
	if st == nil || st.remoteEnded {
		r.h.Consumed(ev.Stream, len(ev.Data))
		return
	}
	st.rx += int64(len(ev.Data))
	if st.declared >= 0 && (st.rx > st.declared || (ev.EndStream && st.rx != st.declared)) {
		r.h.Consumed(ev.Stream, len(ev.Data))
		r.malformed(st, "DATA and content-length disagree")
		return
	}
	if st.deferred {
		r.h.Consumed(ev.Stream, len(ev.Data))
		if ev.EndStream {
			r.endRemote(st)
		}
		return
	}
	if st.child == nil || st.child.Closed() {
		// The stream's response went already: its request body is
		// dropped, and the stream closes with the peer's END_STREAM.
		r.h.Consumed(ev.Stream, len(ev.Data))
		if ev.EndStream {
			r.endRemote(st)
		}
		return
	}
	if len(st.held) > 0 || st.heldEnd || st.child.rxDisabled {
		r.hold(st, ev.Data, ev.EndStream)
		return
	}
	used := r.deliver(st, ev.Data)
	if used < len(ev.Data) {
		r.hold(st, ev.Data[used:], ev.EndStream)
		return
	}
	if ev.EndStream {
		r.endRemote(st)
	}
}

// deliver gives p to st's child and the window for what it took back to
// the peer; it returns how much the child took.
func (r *h2Net) deliver(st *h2Str, p []byte) int {
	ch := st.child
	used := len(p)
	if len(p) > 0 {
		n, err := ch.role.rx(ch, p)
		if err != nil {
			ch.loop.userClose(ch, err)
			n = len(p)
		}
		if ch.Closed() {
			n = len(p)
		}
		used = n
	}
	r.h.Consumed(st.id, used)
	return used
}

func (r *h2Net) hold(st *h2Str, p []byte, end bool) {
	if len(st.held) == 0 && !st.heldEnd {
		r.nheld++
	}
	st.held = append(st.held, p...)
	st.heldEnd = st.heldEnd || end
}

// redeliver gives held DATA to the children whose reception is back on.
func (r *h2Net) redeliver(c *Conn) {
	kids := r.kidOutput
	r.kidOutput = false
	for _, st := range r.streams {
		if kids && st.child != nil && !st.child.rxDisabled && st.child.role.pending(st.child) {
			// The role's own output goes before the DATA held.
			if _, err := st.child.role.rx(st.child, nil); err != nil {
				st.child.loop.userClose(st.child, err)
			}
			if st.child == nil || st.child.Closed() || st.child.rxDisabled {
				continue
			}
		}
		if (len(st.held) == 0 && !st.heldEnd) || st.child == nil || st.child.rxDisabled {
			continue
		}
		used := r.deliver(st, st.held)
		if st.child == nil || st.child.Closed() {
			continue
		}
		if used < len(st.held) {
			st.held = st.held[:copy(st.held, st.held[used:])]
			continue
		}
		st.held = nil
		r.nheld--
		if st.heldEnd {
			st.heldEnd = false
			r.endRemote(st)
		}
	}
}

// endRemote tells st's child that the peer has ended its side of the
// stream: the request body is complete.
func (r *h2Net) endRemote(st *h2Str) {
	if st.remoteEnded {
		return
	}
	if st.declared >= 0 && st.rx != st.declared {
		r.malformed(st, "DATA shorter than content-length")
		return
	}
	if len(st.held) > 0 {
		r.hold(st, nil, true)
		return
	}
	st.remoteEnded = true
	ch := st.child
	if st.deferred && ch != nil {
		st.deferred = false
		r.serve(st)
		return
	}
	if ch == nil {
		if !st.ended || len(st.pend) == 0 {
			r.forget(st)
		}
		return
	}
	if ch.role.peerEOF(ch) || ch.role.httpWire() == nil {
		// A stream that carries no HTTP transaction (a WebSocket) ends
		// with its peer's END_STREAM, as a connection with its peer's
		// end of file.
		ch.loop.closeConn(ch, errPeerClosed)
	}
}

// malformed resets a stream whose request breaks RFC 9113 section 8.1.1
// (PROTOCOL_ERROR), and closes its child.
func (r *h2Net) malformed(st *h2Str, why string) {
	r.h.ResetStream(st.id, http2.ErrCodeProtocol)
	r.forget(st)
	if ch := st.child; ch != nil {
		logf(LogInfo, "lws: %v: malformed request: %s", ch, why)
		ch.loop.closeConn(ch, errStreamReset)
	}
}

// forget drops what is kept of a stream that has ended.
func (r *h2Net) forget(st *h2Str) {
	if r.streams[st.id] != st {
		return
	}
	if len(st.pend) > 0 || st.pendEnd {
		r.npend--
	}
	if len(st.held) > 0 || st.heldEnd {
		r.nheld--
	}
	st.pend, st.held, st.pendEnd, st.heldEnd = nil, nil, false, false
	delete(r.streams, st.id)
}

// windowed moves the streams on after their send window grew: stream id,
// or all of them for 0 (the connection's window, or new SETTINGS).
func (r *h2Net) windowed(c *Conn, id uint32) {
	if r.npend > 0 {
		r.drainPend(c)
	}
	wake := func(st *h2Str) {
		if ch := st.child; ch != nil && ch.wantWriteable && len(st.pend) == 0 && ch.txCredit() > 0 {
			c.askWriteable()
		}
	}
	if id != 0 {
		if st := r.streams[id]; st != nil {
			wake(st)
		}
		return
	}
	for _, st := range r.streams {
		wake(st)
	}
}

// drainPend sends what the streams kept for want of window, as far as
// their windows now allow. A stream whose kept DATA is all sent is owed a
// WRITEABLE, as a connection whose partial write has drained.
func (r *h2Net) drainPend(c *Conn) {
	for _, st := range r.streams {
		if len(st.pend) == 0 && !st.pendEnd {
			continue
		}
		k, err := r.h.WriteData(st.id, st.pend, st.pendEnd)
		if err != nil {
			k = len(st.pend)
		}
		st.pend = st.pend[:copy(st.pend, st.pend[k:])]
		if len(st.pend) > 0 {
			continue
		}
		st.pend, st.pendEnd = nil, false
		r.npend--
		switch ch := st.child; {
		case ch == nil:
			if st.remoteEnded || err != nil {
				r.forget(st)
			}
		case ch.closing == closeFlush:
			// Its last message has gone: it closes (closeWhenFlushed).
			ch.loop.killLater(ch, errResponseSent)
		default:
			if ch.timeoutReason == PendingTimeoutLagging {
				ch.SetTimeout(NoPendingTimeout, 0)
			}
			ch.wantWriteable = true
			c.wantWriteable = true
		}
	}
	r.flush(c)
}

// writeable: the network connection's own frames first, then what the
// streams kept, then one stream's WRITEABLE.
func (r *h2Net) writeable(c *Conn) error {
	r.lend(c)
	r.flush(c)
	if r.npend > 0 {
		r.drainPend(c)
	}
	if c.BufferedAmount() > 0 {
		r.flush(c) // gives the loop's buffer back if nothing is queued
		return nil
	}
	c.writeableChild()
	r.flush(c)
	return nil
}

func (r *h2Net) write(c *Conn, p []byte, wt WriteType) (int, error) {
	return 0, errors.New("lws: an HTTP/2 connection is written through its streams")
}

// closed: the streams were closed before (closeConn closes children
// first).
func (r *h2Net) closed(*Conn) {}

// txCredit is how much stream child ch may send now: the smaller of its
// stream's and the connection's send windows, none while it has DATA kept
// from an earlier write, and one byte for a response head not sent yet
// (HEADERS are not flow controlled).
func (r *h2Net) txCredit(ch *Conn, add int) int {
	st := r.streams[ch.rare.stream]
	if st == nil || st.child != ch || len(st.pend) > 0 || st.ended {
		return 0
	}
	a := r.h.SendAllowance(st.id)
	if a <= 0 {
		if t := ch.txn(); a == 0 && t != nil && !t.headersSent {
			return 1
		}
		return 0
	}
	return a
}

// sendChild sends hdr and p as DATA on ch's stream: what the send window
// does not allow now is kept and sent as it grows.
func (r *h2Net) sendChild(ch *Conn, hdr, p []byte) (int, error) {
	st := r.streams[ch.rare.stream]
	if st == nil || st.child != ch || st.ended {
		return 0, errStreamClosed
	}
	data := p
	if len(hdr) > 0 {
		r.buf = append(append(r.buf[:0], hdr...), p...)
		data = r.buf
	}
	err := r.sendData(ch, st, data, false)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendData sends data on st, child ch's stream, and END_STREAM with it
// when end: what the send window does not allow now is kept and sent as
// it grows.
func (r *h2Net) sendData(ch *Conn, st *h2Str, data []byte, end bool) error {
	if st.ended {
		return errStreamClosed
	}
	st.ended = end
	if len(st.pend) > 0 {
		st.pend = append(st.pend, data...)
		st.pendEnd = end
		return nil
	}
	if len(data) == 0 && !end {
		return nil
	}
	r.lend(ch.Network()) // a file's piece may come from its reader, outside rx and WRITEABLE
	k, err := r.h.WriteData(st.id, data, end)
	if err != nil {
		return errStreamClosed
	}
	if k < len(data) {
		st.pend = append(st.pend, data[k:]...)
		r.npend++
		st.pendEnd = end
		// A peer that never opens the window does not hold the stream
		// for ever (a zero-window stall).
		ch.SetTimeout(PendingTimeoutLagging, ch.loop.cx.info.TimeoutSecs)
	}
	r.wrote(ch.Network())
	return nil
}

// endStream sends st's END_STREAM after what it has written.
func (r *h2Net) endStream(c *Conn, st *h2Str) {
	if st != nil && !st.ended && st.child != nil {
		_ = r.sendData(st.child, st, nil, true)
	}
}

// endChild ends ch's stream after what it wrote, and reports whether
// all of that has gone; otherwise ch closes once it has (drainPend).
func (r *h2Net) endChild(ch *Conn) bool {
	st := r.streams[ch.rare.stream]
	if st == nil || st.child != ch {
		return true
	}
	r.endStream(ch.Network(), st)
	return len(st.pend) == 0
}

// goAway: no new streams; the connection closes once its streams are
// done, or at once without any.
func (r *h2Net) goAway(c *Conn) {
	r.h.GoAway(http2.ErrCodeNo)
	r.draining = true
	r.flush(c)
	if r.h.Streams() == 0 && len(r.streams) == 0 {
		_ = c.closeWhenFlushed()
	}
}

// timedOut: an idle connection (no stream for KeepaliveTimeout), or one
// whose peer did not acknowledge the server's SETTINGS in that time,
// closes with a GOAWAY (NO_ERROR or SETTINGS_TIMEOUT).
func (r *h2Net) timedOut(c *Conn, reason PendingTimeout) bool {
	if reason != PendingTimeoutHTTPKeepaliveIdle {
		return false
	}
	if r.h.SettingsAckPending() {
		r.h.Fail(http2.ErrCodeSettingsTimeout, "SETTINGS not acknowledged")
	} else {
		r.h.GoAway(http2.ErrCodeNo)
	}
	r.flush(c)
	_ = c.closeWhenFlushed()
	return true
}

// childClosed: a stream whose child closes before its END_STREAM was
// sent is reset (CANCEL); one whose response went whole while the peer
// was still sending is reset with NO_ERROR, which tells the client to stop
// sending (RFC 9113 section 8.1). What the stream kept is still sent.
func (r *h2Net) childClosed(ch *Conn) {
	st := r.streams[ch.rare.stream]
	if st == nil || st.child != ch {
		return
	}
	st.child = nil
	c := ch.Network()
	switch {
	case !st.ended || len(st.pend) > 0:
		// Closed before its response went whole (an error, a timeout,
		// a zero-window stall).
		r.h.ResetStream(st.id, http2.ErrCodeCancel)
		r.forget(st)
	case st.remoteEnded:
		r.forget(st)
	default:
		// The response went before the request's end: the rest of the
		// request is read, checked and dropped, and the stream forgotten
		// at its end (endRemote).
	}
	if c.Closed() {
		return
	}
	r.wrote(c)
	if r.h.Streams() == 0 && len(r.streams) == 0 {
		if r.peerGone || r.draining {
			_ = c.closeWhenFlushed()
			return
		}
		c.SetTimeout(PendingTimeoutHTTPKeepaliveIdle, c.vhost.info.KeepaliveTimeout)
	}
}

// childPending: the stream's role holds output; the connection is
// serviced for it (pending) and redelivers to it on the next pass.
func (r *h2Net) childPending(*Conn) { r.kidOutput = true }

// childRxFlow turns reception on or off for one stream: its DATA is held,
// and its window not given back, while it is off.
func (r *h2Net) childRxFlow(ch *Conn, enable bool) bool {
	if ch.rxDisabled == !enable {
		return true
	}
	ch.rxDisabled = !enable
	if enable {
		if st := r.streams[ch.rare.stream]; st != nil && (len(st.held) > 0 || st.heldEnd) {
			ch.loop.queueReady(ch)
		}
		if ch.role.pending(ch) {
			r.kidOutput = true
			ch.loop.queueReady(ch)
		}
	}
	return true
}
