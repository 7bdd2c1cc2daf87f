package lws

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golws/lws/ws"
)

// wsState is the WebSocket role (RFC 6455) over one connection, and
// what the connection carries while it has that role: frames in through
// the ws package's incremental parser, RECEIVE callbacks in pieces no
// larger than the protocol's rx buffer, frames out through Write.
type wsState struct {
	roleBase
	parser ws.Parser
	utf8   ws.UTF8

	// what the current RECEIVE callback is about
	msgText bool
	first   bool // this piece starts a message
	final   bool // this piece ends a message

	sendingFragmented bool // a message was started with WriteNoFin
	closeSent         bool
	closeRcvd         bool
	pongPending       bool
	pingInFlight      bool
	// A protocol violation found while the protocol still had writes
	// owed for earlier messages: the Close waits for those (briefly);
	// aux holds its code, reason and deadline.
	failPending bool

	closeCode ws.CloseCode // set by CloseReason
	sentCode  ws.CloseCode // the code of the Close frame sent, if any
	rcvdCode  ws.CloseCode // the code of the Close frame received, if any

	remaining int64
	lastValid int64 // loop clock when the peer was last heard from

	// What most connections never need is kept apart and made on first
	// use, so that an idle connection stays small.
	aux *wsAux
	x   *wsExtState
}

// wsAux is a WebSocket connection's control-frame and closing state.
type wsAux struct {
	ctrl    [ws.MaxControlPayload]byte // a control frame's payload as it arrives
	ctrlLen int
	pong    [ws.MaxControlPayload]byte
	pongLen int

	closeReason string

	failCode     ws.CloseCode
	failReason   string
	failDeadline int64
}

// wsExtState is the state of negotiated extensions.
type wsExtState struct {
	exts  []activeExt      // negotiated extensions
	rxExt ExtensionSession // the one transforming the message being received
	txExt ExtensionSession // the one transforming the message being sent
	// decoding: rxExt was fed and has not asked for input since, so it
	// may hold decoded output; the parser waits meanwhile.
	decoding bool
	decoded  int64 // decoded bytes of the message being received
	// held: one decoded byte waits for the next piece (heldEnd: it is
	// the message's last).
	held, heldEnd bool
	heldByte      byte
}

// more returns the connection's auxiliary state, making it on first use.
func (w *wsState) more() *wsAux {
	if w.aux == nil {
		w.aux = new(wsAux)
	}
	return w.aux
}

// websocket is the connection's WebSocket state: its role, when it is a
// WebSocket; nil otherwise.
func (c *Conn) websocket() *wsState {
	w, _ := c.role.(*wsState)
	return w
}

// toWS makes c a WebSocket that negotiated exts, the server or the
// client side as c is: its role, its state (the HTTP state it had is
// given back) and its validity policy, counted from now.
func (c *Conn) toWS(exts []activeExt) {
	info := &c.vhost.info
	w := &wsState{lastValid: c.loop.now()}
	if len(exts) > 0 {
		w.x = &wsExtState{exts: exts}
	}
	client := c.kind == kindClient
	maxMessage := info.WSMaxMessage
	if len(exts) > 0 && maxMessage > 0 && maxMessage < 1<<56 {
		// WSMaxMessage caps what a message decodes to, counted as it is
		// delivered; the wire may carry a little more (compressing what
		// does not compress adds a few bytes per block).
		maxMessage += maxMessage/32 + 4096
	}
	w.parser.Reset(ws.ParserConfig{Server: !client, MaxFrame: info.WSMaxFrame,
		MaxMessage: maxMessage, AllowedRSV: allowedRSV(exts)})
	c.setRole(w)
	if !c.isStream() {
		// Over HTTP/2 the socket's liveness is its network connection's.
		c.startValidity()
	}
}

// name: lws's one WebSocket role serves both sides.
func (*wsState) name() string { return "ws" }

// readSize: frames are split by the parser, so a read takes a whole
// buffer.
func (w *wsState) readSize(c *Conn) int { return len(c.loop.rbuf) }

// pending: an extension may hold decoded output of the message being
// received, not pulled yet because reception went off or because the
// connection had its share of the loop's pass.
func (w *wsState) pending(*Conn) bool {
	return w.x != nil && (w.x.decoding || (w.x.held && w.x.heldEnd))
}

func (w *wsState) heard(*Conn) (int64, bool) { return w.lastValid, true }

// issueKeepalive pings the peer, unless a ping is unanswered yet or the
// connection is closing.
func (w *wsState) issueKeepalive(c *Conn) {
	if !w.pingInFlight && !w.closeSent {
		w.pingInFlight = true
		_, _ = c.wsSendFrame(ws.OpPing, true, nil)
	}
}

func (w *wsState) rx(c *Conn, p []byte) (int, error) {
	w.lastValid = c.loop.passNow
	piece := c.rxPieceSize()
	budget := rxDecodeBudget
	if w.pending(c) {
		if err := w.drain(c, &budget); err != nil {
			return 0, err
		}
	}
	used := 0
	for used < len(p) {
		if c.Closed() || c.rxDisabled || c.rxHold != 0 || w.pending(c) {
			break
		}
		b := p[used:]
		lim := piece
		if need, exact := w.parser.HeaderNeeded(); !exact {
			lim = need // first learn the header's size
		} else {
			lim += need
		}
		if len(b) > lim {
			b = b[:lim]
		}
		n, f, ok, err := w.parser.Next(b)
		used += n
		if err != nil {
			var pe *ws.ProtocolError
			if errors.As(err, &pe) {
				return used, c.wsFail(pe.Code, pe.Reason)
			}
			return used, err
		}
		if ok {
			if err := w.fragment(c, &f, &budget); err != nil {
				return used, err
			}
		} else if n == 0 {
			break
		}
	}
	return used, nil
}

// rxDecodeBudget is how many decoded bytes one connection may pull from
// its extension in one service of the loop before the others have their
// turn: a small message may decode into a large one.
const rxDecodeBudget = 256 << 10

// fragment handles one report of the parser.
func (w *wsState) fragment(c *Conn, f *ws.Fragment, budget *int) error {
	op := f.Header.Opcode
	if op.IsControl() {
		a := w.more()
		a.ctrlLen += copy(a.ctrl[a.ctrlLen:], f.Payload)
		if !f.FrameEnd {
			return nil
		}
		payload := a.ctrl[:a.ctrlLen]
		a.ctrlLen = 0
		switch op {
		case ws.OpPing:
			if !w.closeSent {
				c.wsQueuePong(payload)
			}
		case ws.OpPong:
			w.pingInFlight = false
			reason := CallbackReceivePong
			if c.kind == kindClient {
				reason = CallbackClientReceivePong
			}
			return c.callback(reason, payload)
		case ws.OpClose:
			return c.wsPeerClose(payload)
		}
		return nil
	}
	if w.closeSent || w.closeRcvd {
		return nil // data after a Close is dropped
	}
	if f.FrameStart && f.MessageStart {
		w.msgText = f.MessageOpcode == ws.OpText
		w.first = true
		w.utf8.Reset()
		if x := w.x; x != nil {
			x.rxExt = nil
			x.decoded = 0
			if f.Header.RSV != 0 {
				for _, a := range x.exts {
					if a.sess.RSV()&f.Header.RSV != 0 {
						x.rxExt = a.sess
					}
				}
			}
		}
	}
	payload := f.Payload
	w.remaining = f.Remaining
	if x := w.x; x != nil && x.rxExt != nil {
		if len(payload) == 0 && !f.MessageEnd {
			return nil // a header without payload yet
		}
		if err := x.rxExt.Feed(payload, f.MessageEnd); err != nil {
			return c.wsFail(ws.CloseInvalidPayload, "extension: "+err.Error())
		}
		x.decoding = true
		return w.drain(c, budget)
	}
	if x := w.x; x != nil {
		// An untransformed message on a connection with extensions: the
		// parser's cap has room for transformed ones, so count it here.
		if x.decoded += int64(len(payload)); x.decoded > c.maxMessage() {
			return c.wsFail(ws.CloseMessageTooBig, "message too big")
		}
	}
	if w.msgText {
		if !w.utf8.Write(payload) {
			return c.wsFail(ws.CloseInvalidPayload, "invalid utf-8")
		}
		if f.MessageEnd && !w.utf8.Complete() {
			return c.wsFail(ws.CloseInvalidPayload, "truncated utf-8")
		}
	}
	if len(payload) == 0 && !(f.FrameStart && f.FrameEnd) {
		return nil // a header without payload yet
	}
	w.final = f.MessageEnd
	err := c.callback(wsReceiveReason(c), payload)
	w.first = false
	return err
}

func wsReceiveReason(c *Conn) Reason {
	if c.kind == kindClient {
		return CallbackClientReceive
	}
	return CallbackReceive
}

// drain pulls the decoded output of the message being received from its
// extension into a buffer lent for the call and hands it to RECEIVE in
// pieces no larger than the rx buffer. It stops when the extension asks
// for more input; when reception goes off, the connection closes or
// budget is spent, it stops where it is and the extension keeps the rest
// (pending reports it; the parser and the socket wait).
//
// Each piece is what one Decode gave, shifted by a byte: the last decoded
// byte is held back until the next Decode tells whether the message goes
// on, so that the piece that ends a message is not empty (unless the
// whole message is), though the extension may learn of the end only
// after its last output.
//
// Decoded bytes count against the vhost's WSMaxMessage: what goes over
// closes the connection with 1009 before it is delivered.
func (w *wsState) drain(c *Conn, budget *int) error {
	bp := rxBufs.Get().(*[]byte)
	err := w.drainInto(c, bp, budget)
	rxBufs.Put(bp)
	return err
}

func (w *wsState) drainInto(c *Conn, bp *[]byte, budget *int) error {
	x := w.x
	for x.decoding || (x.held && x.heldEnd) {
		if w.closeSent || w.closeRcvd {
			x.decoding, x.held = false, false // data after a Close is dropped
			return nil
		}
		if c.Closed() || c.rxDisabled || c.rxHold != 0 {
			return nil
		}
		if *budget <= 0 {
			// Let the others have their turn; come back on the next pass.
			if c.isStream() {
				c.Network().role.childPending(c)
			}
			c.loop.queueReady(c)
			return nil
		}
		piece := c.rxPieceSize()
		if cap(*bp) < piece+1 {
			*bp = make([]byte, piece+1)
		}
		buf := (*bp)[:piece+1]
		n, end := 0, false
		if x.held {
			buf[0], end = x.heldByte, x.heldEnd
			n, x.held, x.heldEnd = 1, false, false
		}
		if !end {
			m, e, err := x.rxExt.Decode(buf[n:])
			if err != nil {
				x.decoding = false
				return c.wsFail(ws.CloseInvalidPayload, "extension: "+err.Error())
			}
			if m == 0 && !e {
				// It asks for the next piece of payload.
				x.decoding, x.held = false, n > 0
				return nil
			}
			n += m
			end = e
			x.decoding = !e
			x.decoded += int64(m)
			*budget -= m
		}
		if x.decoded > c.maxMessage() {
			x.decoding, x.held = false, false
			return c.wsFail(ws.CloseMessageTooBig, "decoded message too big")
		}
		k := n // what is delivered now
		switch {
		case n > piece:
			k = piece
		case !end && n > 0:
			k = n - 1
		}
		if k < n {
			x.held, x.heldByte, x.heldEnd = true, buf[k], end
			end = false
		}
		if k <= 0 && !end {
			continue
		}
		p := buf[:k]
		if w.msgText {
			if !w.utf8.Write(p) {
				x.decoding, x.held = false, false
				return c.wsFail(ws.CloseInvalidPayload, "invalid utf-8")
			}
			if end && !w.utf8.Complete() {
				x.decoding = false
				return c.wsFail(ws.CloseInvalidPayload, "truncated utf-8")
			}
		}
		w.final = end
		err := c.callback(wsReceiveReason(c), p)
		w.first = false
		if err != nil {
			return err
		}
	}
	return nil
}

// rxBufs are the buffers decoded pieces are pulled into, lent for the
// length of one drain (so that connections in the middle of a message
// keep none).
var rxBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxMessage is the most one received message may hold, decoded.
func (c *Conn) maxMessage() int64 {
	switch m := c.vhost.info.WSMaxMessage; {
	case m == 0:
		return ws.DefaultMaxMessage
	case m < 0:
		return 1<<63 - 1
	default:
		return m
	}
}

func (w *wsState) writeable(c *Conn) error {
	if w.pongPending {
		c.wsSendPong()
		if len(c.out) > 0 {
			c.wantWriteable = true // after the pong has gone
			return nil
		}
	}
	if w.closeSent {
		return nil
	}
	reason := CallbackServerWriteable
	if c.kind == kindClient {
		reason = CallbackClientWriteable
	}
	err := c.dispatchWriteable(reason)
	if err == nil && w.failPending && !c.Closed() &&
		(!c.wantWriteable || c.loop.now() >= w.aux.failDeadline) {
		w.failPending = false
		return c.wsFail(w.aux.failCode, w.aux.failReason)
	}
	return err
}

// failGrace bounds how long a protocol violation waits for the writes
// the protocol still owed for earlier messages.
const failGrace = time.Second

func (w *wsState) write(c *Conn, p []byte, wt WriteType) (int, error) {
	if w.closeSent {
		return 0, errors.New("lws: write after the Close was sent")
	}
	fin := wt&WriteNoFin == 0
	var op ws.Opcode
	switch wt &^ (WriteNoFin | WriteH2StreamEnd) {
	case WriteText:
		op = ws.OpText
	case WriteBinary:
		op = ws.OpBinary
	case WriteContinuation:
		op = ws.OpContinuation
	case WritePing:
		op = ws.OpPing
	case WritePong:
		op = ws.OpPong
	default:
		return 0, fmt.Errorf("lws: write type %d is not a WebSocket write", int(wt))
	}
	if op.IsControl() {
		if len(p) > ws.MaxControlPayload || !fin {
			return 0, errors.New("lws: a ping or pong carries at most 125 bytes and cannot be fragmented")
		}
	} else if x := w.x; x != nil && len(x.exts) > 0 {
		first := op != ws.OpContinuation
		sess := x.txExt
		if first {
			sess = x.exts[0].sess
		}
		if sess != nil {
			bp := txBufs.Get().(*[]byte)
			sent, err := w.writeTransformed(c, sess, bp, op, first, fin, p)
			*bp = keepSmall(*bp)
			txBufs.Put(bp)
			if err != nil {
				return 0, err
			}
			if sent {
				return len(p), nil
			}
		}
	}
	if !op.IsControl() {
		if err := w.checkFragments(op, fin); err != nil {
			return 0, err
		}
	}
	return c.wsSendFrame(op, fin, p)
}

// writeTransformed has sess encode one write into *bp and sends it,
// unless sess leaves this message as it is (sent false: the caller
// frames p itself).
func (w *wsState) writeTransformed(c *Conn, sess ExtensionSession, bp *[]byte, op ws.Opcode, first, fin bool, p []byte) (sent bool, err error) {
	x := w.x
	out, transformed, err := sess.Encode((*bp)[:0], p, first, fin)
	*bp = out
	if err != nil {
		return false, err
	}
	if first {
		x.txExt = nil
		if transformed {
			x.txExt = sess
		}
	}
	if x.txExt == nil {
		return false, nil
	}
	if err := w.checkFragments(op, fin); err != nil {
		return false, err
	}
	var rsv byte
	if first {
		rsv = sess.RSV()
	}
	return true, x.sendTransformed(c, op, fin, rsv, out)
}

// txBufs are the buffers a transformed write is encoded and framed into,
// lent for the write (what the socket does not take is copied), so that
// no connection keeps one.
var txBufs = sync.Pool{New: func() any { return new([]byte) }}

// txFramer is what an ExtensionSession implements when the payload it
// transforms is to be sent in frames of at most TxBufSize bytes (lws's
// tx_buf_size of permessage-deflate).
type txFramer interface{ TxBufSize() int }

// sendTransformed sends the transformed payload of one write: one frame,
// or, when the session limits their size, frames of at most that size
// (the first with rsv, the later ones continuations, the last with fin),
// gathered in one buffer and sent together.
func (x *wsExtState) sendTransformed(c *Conn, op ws.Opcode, fin bool, rsv byte, out []byte) error {
	size := len(out)
	if f, ok := x.txExt.(txFramer); ok && f.TxBufSize() > 0 {
		size = f.TxBufSize()
	}
	if len(out) <= size {
		_, err := c.wsSendFrameRSV(op, fin, rsv, out)
		return err
	}
	client := c.kind == kindClient
	fp := txBufs.Get().(*[]byte)
	frames := (*fp)[:0]
	for len(out) > 0 {
		k := min(len(out), size)
		h := ws.Header{Fin: fin && k == len(out), RSV: rsv, Opcode: op, Length: int64(k), Masked: client}
		if client {
			h.Mask = c.loop.maskKey()
		}
		frames = ws.AppendHeader(frames, h)
		start := len(frames)
		frames = append(frames, out[:k]...)
		if client {
			ws.Mask(h.Mask, 0, frames[start:])
		}
		out, op, rsv = out[k:], ws.OpContinuation, 0
	}
	_, err := c.send(nil, frames)
	*fp = keepSmall(frames)
	txBufs.Put(fp)
	return err
}

// keepSmall returns b emptied to be used again, or nil if it grew large:
// a pool keeps no buffer the size of the largest message.
func keepSmall(b []byte) []byte {
	if cap(b) > 64<<10 {
		return nil
	}
	return b[:0]
}

// checkFragments keeps a fragmented message's frames in order.
func (w *wsState) checkFragments(op ws.Opcode, fin bool) error {
	{
		switch {
		case op == ws.OpContinuation && !w.sendingFragmented:
			return errors.New("lws: WriteContinuation with no fragmented message started (use WriteNoFin on its first part)")
		case op != ws.OpContinuation && w.sendingFragmented:
			return errors.New("lws: a fragmented message is in progress: continue it with WriteContinuation")
		}
		w.sendingFragmented = !fin
	}
	return nil
}

// wsSendFrame frames p and sends it (masked when the connection is a
// client).
func (c *Conn) wsSendFrame(op ws.Opcode, fin bool, p []byte) (int, error) {
	return c.wsSendFrameRSV(op, fin, 0, p)
}

// wsSendFrameRSV is wsSendFrame with reserved bits set on the frame.
func (c *Conn) wsSendFrameRSV(op ws.Opcode, fin bool, rsv byte, p []byte) (int, error) {
	l := c.loop
	h := ws.Header{Fin: fin, RSV: rsv, Opcode: op, Length: int64(len(p))}
	if c.kind == kindClient {
		h.Masked = true
		h.Mask = l.maskKey()
		if c.stageable(ws.MaxHeaderSize + len(p)) {
			// Mask straight into the batch: one copy of the payload.
			l.stage = ws.AppendHeader(l.stage, h)
			start := len(l.stage)
			l.stage = append(l.stage, p...)
			ws.Mask(h.Mask, 0, l.stage[start:])
			return len(p), nil
		}
		buf := l.maskBuf(len(p))
		copy(buf, p)
		ws.Mask(h.Mask, 0, buf)
		hdr := ws.AppendHeader(l.hdr[:0], h)
		if _, err := c.send(hdr, buf); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	hdr := ws.AppendHeader(l.hdr[:0], h)
	return c.send(hdr, p)
}

// releaseExts gives back what the negotiated extensions hold.
func (w *wsState) releaseExts() {
	if x := w.x; x != nil {
		x.decoding, x.held, x.rxExt, x.txExt = false, false, nil, nil
		for _, a := range x.exts {
			a.sess.Release()
		}
		x.exts = nil
	}
}

func (w *wsState) closedEarly(*Conn, error) { w.releaseExts() }

func (w *wsState) closed(c *Conn) {
	w.releaseExts()
	reason, drop := CallbackClosed, CallbackWSServerDropProtocol
	if c.kind == kindClient {
		reason, drop = CallbackClientClosed, CallbackWSClientDropProtocol
	}
	if err := c.callback(reason, nil); err != nil {
		logf(LogDebug, "lws: %v on %v: %v", reason, c, err)
	}
	_ = c.callback(drop, nil)
}

// closing starts the close handshake when user code closes an open
// connection: a Close frame goes out (with the code set by CloseReason),
// and the connection closes when the peer answers or after five seconds.
func (w *wsState) closing(c *Conn, why error) bool {
	if w.closeSent || w.closeRcvd {
		return false
	}
	var payload []byte
	if w.closeCode != 0 {
		reason := ""
		if w.aux != nil {
			reason = w.aux.closeReason
		}
		payload = ws.AppendClosePayload(c.loop.ctrlBuf[:0], w.closeCode, reason)
	}
	w.closeSent = true
	w.sentCode = w.closeCode
	if w.sentCode == 0 {
		w.sentCode = ws.CloseNoStatus
	}
	if _, err := c.wsSendFrame(ws.OpClose, true, payload); err != nil {
		return false
	}
	c.SetTimeoutDuration(PendingTimeoutCloseAck, closeAckTimeout)
	logf(LogDebug, "lws: %v: close handshake started: %v", c, why)
	return true
}

// CloseReason sets the status code and reason of the Close frame sent when
// the connection is closed by returning an error from its callback
// (lws_close_reason). The reason is cut to fit a control frame.
func (c *Conn) CloseReason(code ws.CloseCode, reason string) {
	if w := c.websocket(); w != nil {
		w.closeCode = code
		w.more().closeReason = reason
	}
}

// wsPeerClose handles the peer's Close frame.
func (c *Conn) wsPeerClose(payload []byte) error {
	w := c.websocket()
	code, _, err := ws.ParseClosePayload(payload)
	if err != nil {
		var pe *ws.ProtocolError
		if errors.As(err, &pe) {
			return c.wsFail(pe.Code, pe.Reason)
		}
		return c.wsFail(ws.CloseProtocolError, "bad close payload")
	}
	w.closeRcvd = true
	w.rcvdCode = code
	if w.closeSent {
		return errPeerClosed // the answer to our Close: done
	}
	if err := c.callback(CallbackWSPeerInitiatedClose, payload); err != nil {
		return err
	}
	w.closeSent = true
	w.sentCode = code
	echo := append(c.loop.ctrlBuf[:0], payload...)
	if _, err := c.wsSendFrame(ws.OpClose, true, echo); err != nil {
		return err
	}
	return c.closeWhenFlushed()
}

// wsFail closes the connection for a protocol violation: a Close frame
// with code and reason, then the TCP connection once it has gone.
func (c *Conn) wsFail(code ws.CloseCode, reason string) error {
	w := c.websocket()
	if !w.closeSent && !w.failPending && c.wantWriteable && c.established {
		// Messages before the violation were valid: let the protocol send
		// what it owes for them (an echo server echoes them) before the
		// Close, reading nothing more meanwhile.
		w.failPending = true
		a := w.more()
		a.failCode, a.failReason = code, reason
		a.failDeadline = c.loop.now() + int64(failGrace)
		if c.isStream() {
			c.rxDisabled = true // the stream's, not its connection's
		} else {
			c.rxHold |= holdClosing
		}
		c.SetTimeoutDuration(PendingTimeoutCloseSend, failGrace+closeAckTimeout)
		c.loop.updateInterest(c)
		return nil
	}
	logf(LogInfo, "lws: %v: closing with %d: %s", c, int(code), reason)
	if !w.closeSent {
		w.closeSent = true
		w.sentCode = code
		payload := ws.AppendClosePayload(c.loop.ctrlBuf[:0], code, reason)
		if _, err := c.wsSendFrame(ws.OpClose, true, payload); err != nil {
			return err
		}
	}
	return c.closeWhenFlushed()
}

// wsQueuePong answers a ping: at once if the socket can take it, or as
// soon as it drains. Only the latest ping is answered while the socket is
// choked, so a ping flood cannot grow memory.
func (c *Conn) wsQueuePong(payload []byte) {
	w := c.websocket()
	a := w.more()
	a.pongLen = copy(a.pong[:], payload)
	w.pongPending = true
	if len(c.out) == 0 && c.writeReady {
		c.wsSendPong()
		return
	}
	c.wantWriteable = true
	c.loop.updateInterest(c)
}

func (c *Conn) wsSendPong() {
	w := c.websocket()
	w.pongPending = false
	_, _ = c.wsSendFrame(ws.OpPong, true, w.aux.pong[:w.aux.pongLen])
}

// rxPieceSize is the most one RECEIVE callback is handed.
func (c *Conn) rxPieceSize() int {
	n := c.loop.piece
	if c.vp != nil && c.vp.proto.RxBufferSize > 0 && c.vp.proto.RxBufferSize < n {
		n = c.vp.proto.RxBufferSize
	}
	return n
}

// IsFirstFragment reports, during RECEIVE, whether this piece starts a
// message (lws_is_first_fragment).
func (c *Conn) IsFirstFragment() bool {
	w := c.websocket()
	return w != nil && w.first
}

// IsFinalFragment reports, during RECEIVE, whether this piece ends a
// message: the last piece of its final frame (lws_is_final_fragment).
// For a message an extension decodes (a compressed one), pieces follow
// the decoded bytes, not the frames: the last piece ends the message and
// is empty only if the whole message is.
func (c *Conn) IsFinalFragment() bool {
	w := c.websocket()
	return w != nil && w.final
}

// FrameIsBinary reports, during RECEIVE, whether the message is binary
// (lws_frame_is_binary).
func (c *Conn) FrameIsBinary() bool {
	w := c.websocket()
	return w != nil && !w.msgText
}

// RemainingPacketPayload returns, during RECEIVE, how many bytes of the
// current frame are still to come (lws_remaining_packet_payload). For a
// message an extension decodes, they are the frame's bytes on the wire
// not yet taken by the extension, which tell nothing of how much decoded
// data is still to come: use IsFinalFragment to find the message's end.
func (c *Conn) RemainingPacketPayload() int64 {
	w := c.websocket()
	if w == nil {
		return 0
	}
	return w.remaining
}

// WSCloseStatus returns the status codes of the Close frames the
// connection sent and received (ws.CloseNoStatus for a Close without a
// code, 0 when there was no such frame). In CLOSED or CLIENT_CLOSED it
// tells a clean close (1000 both ways) from a protocol error (1002, 1007,
// ... sent) or a connection that simply dropped (0 both ways).
func (c *Conn) WSCloseStatus() (sent, received ws.CloseCode) {
	w := c.websocket()
	if w == nil {
		return 0, 0
	}
	return w.sentCode, w.rcvdCode
}

// SendingMultifragment reports whether a message begun with WriteNoFin is
// still unfinished (lws_ws_sending_multifragment).
func (c *Conn) SendingMultifragment() bool {
	w := c.websocket()
	return w != nil && w.sendingFragmented
}

// WriteWSFlags returns the write type for one part of a message sent in
// parts (lws_write_ws_flags): initial (WriteText or WriteBinary) for the
// first part, WriteContinuation after, with WriteNoFin on all but the last.
func WriteWSFlags(initial WriteType, isStart, isEnd bool) WriteType {
	wt := initial
	if !isStart {
		wt = WriteContinuation
	}
	if !isEnd {
		wt |= WriteNoFin
	}
	return wt
}

// closeAckTimeout bounds how long a close handshake waits for the peer.
const closeAckTimeout = 5 * time.Second
