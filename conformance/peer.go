package conformance

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// NoCode stands for the absence of a status code in a close frame.
const NoCode = -1

// The timeouts of Autobahn's client (its protocol defaults).
const (
	openHandshakeTimeout        = 5 * time.Second
	closeHandshakeTimeout       = 1 * time.Second
	serverConnectionDropTimeout = 1 * time.Second
)

// Pauses that make chopped and synchronous writes reach the server apart.
const (
	chopPause    = 100 * time.Microsecond
	syncPause    = 2 * time.Millisecond
	maxChopPause = 256 // writes of more chops than this are not paced
)

// defaultLimit bounds a case whose own timers are all short.
const defaultLimit = 20 * time.Second

// connState is the client's WebSocket state (Autobahn's STATE_*).
type connState uint8

const (
	stateOpen connState = iota
	stateClosing
	stateClosed
)

// timeOffset is a time since the case started.
type timeOffset time.Duration

func (t timeOffset) String() string {
	d := time.Duration(t)
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// Event is something the client saw that a case's expectation is made of:
// a complete message, a pong, or a tag the case records itself (Autobahn's
// "timeout" events, which mark how far a case got).
type Event struct {
	// Kind is "message", "pong" or "timeout".
	Kind string
	// Payload is the message or pong payload, or the timeout's tag.
	Payload []byte
	// Binary tells a binary message from a text one.
	Binary bool
}

// Message is the event of a received message.
func Message(payload []byte, binary bool) Event {
	return Event{Kind: "message", Payload: payload, Binary: binary}
}

// Text is the event of a received text message.
func Text(payload string) Event { return Message([]byte(payload), false) }

// Pong is the event of a received pong.
func Pong(payload []byte) Event { return Event{Kind: "pong", Payload: payload} }

// Timeout is the event a case records when a wait of its ends with the
// connection still open.
func Timeout(tag string) Event { return Event{Kind: "timeout", Payload: []byte(tag)} }

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Binary == o.Binary && bytes.Equal(e.Payload, o.Payload)
}

func (e Event) String() string {
	switch e.Kind {
	case "message":
		kind := "text"
		if e.Binary {
			kind = "binary"
		}
		return fmt.Sprintf("%s(%d B %s)", kind, len(e.Payload), quote(e.Payload, 24))
	case "pong":
		return fmt.Sprintf("pong(%d B %s)", len(e.Payload), quote(e.Payload, 24))
	}
	return e.Kind + "(" + string(e.Payload) + ")"
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

func eventsString(es []Event) string {
	const most = 6
	parts := make([]string, 0, most+1)
	for i, e := range es {
		if i == most {
			parts = append(parts, fmt.Sprintf("… %d more", len(es)-most))
			break
		}
		parts = append(parts, e.String())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// quote shows at most n octets of p: as a Go string when printable ASCII,
// else in hex.
func quote(p []byte, n int) string {
	more := ""
	if len(p) > n {
		p, more = p[:n], "…"
	}
	for _, b := range p {
		if b < 0x20 || b > 0x7e {
			return fmt.Sprintf("%x%s", p, more)
		}
	}
	return fmt.Sprintf("%q%s", p, more)
}

// CloseExpectation is what a case expects of the closing of the
// connection (Autobahn's expectedClose).
type CloseExpectation struct {
	// ClosedByMe: the client, not the server, starts the closing
	// handshake. False means the server must fail (or close) the
	// connection.
	ClosedByMe bool
	// Codes are the acceptable close codes from the server; a close
	// without a code is acceptable too.
	Codes []int
	// RequireClean: the connection must end with a complete closing
	// handshake, the server closing TCP in time.
	RequireClean bool
	// WrongEndpointIsFatal makes the case fail, not only its close
	// behaviour, when the wrong endpoint closed: for invalid UTF-8 it
	// means the server did not notice.
	WrongEndpointIsFatal bool
}

// Verdict is the judgement of a case as Autobahn makes it, which a case's
// OnConnectionLost hook may amend.
type Verdict struct {
	// Behavior judges the events received: OK, NON-STRICT, FAILED or
	// INFORMATIONAL.
	Behavior Behavior
	// Result explains Behavior.
	Result string
	// CloseBehavior judges the connection's end.
	CloseBehavior Behavior
	// CloseResult explains CloseBehavior.
	CloseResult string
}

type expectation struct {
	behavior Behavior
	events   []Event
}

type timer struct {
	at   time.Time
	seq  uint64
	fn   func()
	dead bool
}

// Peer is the fuzzing client's end of one case's connection. A case's Run
// is its onOpen: it sends, sets timers and states what it expects; after
// it, the peer's loop serves the connection until it is closed, running
// timers and handling what the server sends the way Autobahn's client
// does. Every method must be called from Run or from a callback the peer
// runs (timers, OnMessage, OnConnectionLost): none is safe for use from
// other goroutines.
type Peer struct {
	conn net.Conn
	// server: the peer plays Autobahn's fuzzing server (RunServer), not
	// its fuzzing client. It then sends its frames unmasked, requires the
	// client's to be masked, and closes TCP itself as soon as the closing
	// handshake is done, as Autobahn's server does.
	server bool
	start  time.Time // end of the opening handshake
	limit  time.Time // the case's time limit
	state  connState

	out      []byte // frames written at the end of the current callback
	writeErr error  // the first write error
	txFrames [16]int

	// What the case expects and its own handlers.
	expected      []expectation
	expectedClose CloseExpectation
	suppressClose bool
	received      []Event
	behavior      Behavior
	result        string
	onMessage     func(payload []byte, binary bool)
	onLost        func(v *Verdict)
	autoFragment  int

	// permessage-deflate, when agreed: the peer's compression, what the
	// negotiation was, and the compressed octets sent.
	pmd     *pmdState
	pmdNote string
	pmdSent int

	// The closing of the connection, as Autobahn's client tracks it.
	closedByMe, failedByMe, droppedByMe, wasClean bool
	notCleanReason                                string
	closeHSTimer, dropTimer                       *timer

	// What happened, for the case's detail.
	localSent    bool
	localCode    int
	localReason  []byte
	localAt      timeOffset
	remoteSeen   bool
	remoteCode   int
	remoteReason []byte
	remoteAt     timeOffset
	lostAt       timeOffset
	lostHow      string
	violations   []string
	actions      []string
	aborted      string

	timers []*timer
	seq    uint64

	// The reading side: events queued by the reader, and (once rxDone
	// is closed) its notes on the frames received.
	rxMu     sync.Mutex
	rxQueue  []rxEvent
	rxSignal chan struct{}
	rxDone   chan struct{}
	notes    []frameNote
	dropped  int
}

func (p *Peer) since() timeOffset { return timeOffset(time.Since(p.start)) }

// me names the fuzzing end of the connection in details.
func (p *Peer) me() string {
	if p.server {
		return "server"
	}
	return "client"
}

// them names the end under test in details.
func (p *Peer) them() string {
	if p.server {
		return "client"
	}
	return "server"
}

// frameBytes returns f as this end puts it on the wire: masked by a
// client, unmasked by a server.
func (p *Peer) frameBytes(f Frame) []byte {
	return appendFrameAs(nil, f.Opcode, f.Fin, f.RSV, f.payload(), !p.server)
}

func (p *Peer) action(format string, args ...any) {
	const most = 8
	if len(p.actions) < most {
		p.actions = append(p.actions, fmt.Sprintf(format, args...)+" at "+p.since().String())
	}
}

// Expect adds an acceptable outcome: when the events received over the
// whole connection are exactly events, the case's behaviour is b. Calling
// it with no events expects that nothing is received.
func (p *Peer) Expect(b Behavior, events ...Event) {
	p.expected = append(p.expected, expectation{behavior: b, events: events})
}

// ExpectClose states how the connection must end.
func (p *Peer) ExpectClose(e CloseExpectation) { p.expectedClose = e }

// SuppressClose stops the client from starting the closing handshake by
// itself once the events expected have arrived (for cases that close in
// their own way).
func (p *Peer) SuppressClose() { p.suppressClose = true }

// SetOutcome sets the case's behaviour and its explanation directly, for
// cases judged by their own handlers rather than by Expect.
func (p *Peer) SetOutcome(b Behavior, result string) { p.behavior, p.result = b, result }

// OnMessage replaces the default handling of received messages (record
// the event, then close when every expectation is met).
func (p *Peer) OnMessage(fn func(payload []byte, binary bool)) { p.onMessage = fn }

// OnConnectionLost registers a hook that amends the verdict once the
// standard judgement is made.
func (p *Peer) OnConnectionLost(fn func(v *Verdict)) { p.onLost = fn }

// Record appends an event of the case's own to the received ones.
func (p *Peer) Record(e Event) { p.received = append(p.received, e) }

// Open reports whether the connection is still open: no close frame sent
// or received, TCP not closed.
func (p *Peer) Open() bool { return p.state == stateOpen }

// SentFrames counts the frames the client sent with an opcode.
func (p *Peer) SentFrames(opcode byte) int { return p.txFrames[opcode&15] }

// Compressing reports whether permessage-deflate was agreed: the peer
// then compresses every message it sends and decompresses those received
// with RSV1 set.
func (p *Peer) Compressing() bool { return p.pmd != nil }

// SetAutoFragment makes SendMessage cut messages into frames of at most n
// octets when it is not given a fragment size.
func (p *Peer) SetAutoFragment(n int) { p.autoFragment = n }

// SendFrame sends one frame as it is. Frames are written when the current
// callback returns, in one write with the frames around them, unless the
// frame asks to be chopped or synchronous.
func (p *Peer) SendFrame(f Frame) {
	if p.state == stateClosed {
		return
	}
	p.txFrames[f.Opcode&15]++
	switch {
	case f.Chop > 0:
		p.flush()
		p.writeChopped(p.frameBytes(f), f.Chop)
	case f.Sync:
		p.flush()
		p.writeNow(p.frameBytes(f))
		time.Sleep(syncPause)
	default:
		p.out = appendFrameAs(p.out, f.Opcode, f.Fin, f.RSV, f.payload(), !p.server)
		if len(p.out) >= 1<<20 {
			p.flush()
		}
	}
}

// SendRaw sends octets as they are (part of a frame, for instance),
// after any frame already sent.
func (p *Peer) SendRaw(b []byte) {
	if p.state != stateClosed {
		p.out = append(p.out, b...)
	}
}

// SendMessage sends a data message, cut into frames of fragmentSize
// octets when it is positive (else of the auto-fragment size, if set). As
// in Autobahn, a payload that is a multiple of the fragment size ends with
// an empty final frame. When permessage-deflate is agreed the message is
// compressed first and its compressed form is what is cut, the first
// frame carrying RSV1 (RFC 7692 section 6). Nothing is sent unless the
// connection is open.
func (p *Peer) SendMessage(payload []byte, binary bool, fragmentSize int) {
	if p.state != stateOpen {
		return
	}
	op := OpText
	if binary {
		op = OpBinary
	}
	var rsv byte
	if p.pmd != nil {
		payload, rsv = p.pmd.out.deflate(payload), 4
		p.pmdSent += len(payload)
	}
	pfs := fragmentSize
	if pfs <= 0 {
		pfs = p.autoFragment
	}
	if pfs <= 0 || len(payload) <= pfs {
		p.SendFrame(Frame{Opcode: op, Fin: true, RSV: rsv, Payload: payload})
		return
	}
	for i := 0; ; i += pfs {
		j := i + pfs
		done := j > len(payload)
		if done {
			j = len(payload)
		}
		fop, frsv := OpContinuation, byte(0)
		if i == 0 {
			fop, frsv = op, rsv
		}
		p.SendFrame(Frame{Opcode: fop, Fin: done, RSV: frsv, Payload: payload[i:j]})
		if done {
			return
		}
	}
}

// SendClose starts the closing handshake with a code (NoCode for none)
// and a reason, cut to fit a control frame.
func (p *Peer) SendClose(code int, reason string) {
	var r []byte
	if reason != "" {
		r = []byte(reason)
		if len(r)+2 > 125 {
			r = append(r[:120:120], "..."...)
		}
	}
	p.sendCloseFrame(code, r, false)
}

// SendCloseFrame starts the closing handshake with any code (NoCode for
// none) and any reason octets, valid or not.
func (p *Peer) SendCloseFrame(code int, reason []byte) { p.sendCloseFrame(code, reason, false) }

func (p *Peer) sendCloseFrame(code int, reason []byte, isReply bool) {
	if p.state != stateOpen {
		return
	}
	var payload []byte
	if code != NoCode {
		payload = binary.BigEndian.AppendUint16(payload, uint16(code))
	}
	payload = append(payload, reason...)
	p.SendFrame(Frame{Opcode: OpClose, Fin: true, Payload: payload})
	p.state = stateClosing
	p.closedByMe = !isReply
	p.localSent, p.localCode, p.localReason, p.localAt = true, code, reason, p.since()
	if p.closedByMe {
		p.closeHSTimer = p.after(closeHandshakeTimeout, p.onCloseHandshakeTimeout)
	}
}

// ContinueLater runs fn after d unless the connection is closed by then.
func (p *Peer) ContinueLater(d time.Duration, fn func()) {
	p.after(d, func() {
		if p.state != stateClosed {
			fn()
		}
	})
}

// KillAfter fails the connection (close 1001) after d unless it is
// closed by then; a connection already closing is dropped.
func (p *Peer) KillAfter(d time.Duration) {
	p.after(d, func() {
		if p.state != stateClosed {
			p.action("kill timer (%v) fired", d)
			p.failConnection(1001, "Going Away")
		}
	})
}

// CloseAfter starts the closing handshake (close without a code) after d
// unless the connection is closing or closed by then.
func (p *Peer) CloseAfter(d time.Duration) {
	p.after(d, func() {
		if p.state == stateOpen {
			p.action("close timer (%v) fired", d)
		}
		if p.state != stateClosed {
			p.SendClose(NoCode, "")
		}
	})
}

func (p *Peer) after(d time.Duration, fn func()) *timer {
	p.seq++
	t := &timer{at: time.Now().Add(d), seq: p.seq, fn: fn}
	p.timers = append(p.timers, t)
	return t
}

// nextTimer returns the live timer due first, dropping dead ones.
func (p *Peer) nextTimer() *timer {
	live := p.timers[:0]
	var first *timer
	for _, t := range p.timers {
		if t.dead {
			continue
		}
		live = append(live, t)
		if first == nil || t.at.Before(first.at) || (t.at.Equal(first.at) && t.seq < first.seq) {
			first = t
		}
	}
	clear(p.timers[len(live):])
	p.timers = live
	return first
}

// failConnection is Autobahn's failConnection without failByDrop: start
// the closing handshake with code, or drop TCP if it is already under way.
func (p *Peer) failConnection(code int, reason string) {
	if p.state == stateClosed {
		return
	}
	p.failedByMe = true
	if p.state == stateOpen {
		r := []byte(reason)
		if len(r) > 123 {
			r = r[:123]
		}
		p.sendCloseFrame(code, r, false)
	} else {
		p.dropConnection(false)
	}
}

// dropConnection closes TCP from this end. A server that is not
// aborting only shuts its sending side (after what it has still to
// send), so that what it sent last is not lost to a reset; the
// connection is closed once the client has closed its side too, or after
// a grace period (RunServer).
func (p *Peer) dropConnection(abort bool) {
	if p.state == stateClosed {
		return
	}
	p.droppedByMe = true
	p.state = stateClosed
	if !abort {
		p.flush()
	}
	p.lostAt, p.lostHow = p.since(), p.me()+" dropped TCP"
	if tc, ok := p.conn.(interface{ CloseWrite() error }); ok && p.server && !abort {
		_ = tc.CloseWrite()
		return
	}
	_ = p.conn.Close()
}

func (p *Peer) onCloseHandshakeTimeout() {
	p.closeHSTimer = nil
	if p.state != stateClosed {
		p.wasClean = false
		p.notCleanReason = "the " + p.them() + " did not answer the " + p.me() + "'s close within " + closeHandshakeTimeout.String()
		p.dropConnection(true)
	}
}

func (p *Peer) onServerDropTimeout() {
	p.dropTimer = nil
	if p.state != stateClosed {
		p.wasClean = false
		p.notCleanReason = "the server did not close TCP within " + serverConnectionDropTimeout.String() + " of the closing handshake"
		p.dropConnection(true)
	}
}

// allowedCodes are the close codes below 3000 a peer may send.
var allowedCodes = map[int]bool{1000: true, 1001: true, 1002: true, 1003: true, 1007: true, 1008: true, 1009: true, 1010: true, 1011: true}

func validCloseCode(code int) bool {
	return code >= 3000 && code <= 4999 || allowedCodes[code]
}

// onCloseFrame handles a close frame from the server.
func (p *Peer) onCloseFrame(ev rxEvent) {
	p.remoteSeen, p.remoteCode, p.remoteAt = true, ev.code, ev.at
	if ev.code != NoCode && !validCloseCode(ev.code) {
		p.noteViolation(fmt.Sprintf("invalid close code %d", ev.code))
		p.failConnection(1002, fmt.Sprintf("invalid close code %d", ev.code))
	}
	if ev.reason != nil {
		if !validUTF8(ev.reason) {
			p.noteViolation("close reason is not valid UTF-8")
			p.failConnection(1007, "invalid close reason (non-UTF-8 payload)")
		}
		p.remoteReason = ev.reason
	}
	switch p.state {
	case stateClosing:
		if p.closeHSTimer != nil {
			p.closeHSTimer.dead = true
			p.closeHSTimer = nil
		}
		p.wasClean = true
		if p.server {
			// The answer to the server's close: a server drops TCP at once.
			p.dropConnection(true)
			return
		}
		p.dropTimer = p.after(serverConnectionDropTimeout, p.onServerDropTimeout)
	case stateOpen:
		p.wasClean = true
		p.sendCloseFrame(1000, nil, true)
		if p.server {
			p.dropConnection(false)
		}
	default:
		p.wasClean = false
	}
}

// connectionLost handles the end of TCP seen by the reader.
func (p *Peer) connectionLost(ev rxEvent) {
	if p.dropTimer != nil {
		p.dropTimer.dead = true
		p.dropTimer = nil
	}
	if p.state != stateClosed {
		p.state = stateClosed
		p.lostAt, p.lostHow = ev.at, ev.text
	}
	if !p.wasClean && !p.droppedByMe && p.notCleanReason == "" {
		p.notCleanReason = "the " + p.them() + " closed TCP without a closing handshake"
	}
}

func (p *Peer) noteViolation(s string) {
	const most = 4
	if len(p.violations) < most {
		p.violations = append(p.violations, s)
	}
}

// finishWhenDone closes once the events received meet every expectation
// (Autobahn's rule), when the client is the one to close.
func (p *Peer) finishWhenDone() {
	for _, e := range p.expected {
		if !eventsEqual(p.received, e.events) {
			return
		}
	}
	if p.expectedClose.ClosedByMe && !p.suppressClose {
		code := NoCode
		if len(p.expectedClose.Codes) > 0 {
			code = p.expectedClose.Codes[0]
		}
		p.SendClose(code, "")
	}
}

// handle processes one event from the reader.
func (p *Peer) handle(ev rxEvent) {
	switch ev.kind {
	case rxViolation:
		p.noteViolation(ev.text + " at " + ev.at.String())
		p.failConnection(ev.code, ev.text)
	case rxMessage:
		if p.failedByMe {
			return
		}
		if p.onMessage != nil {
			p.onMessage(ev.payload, ev.binary)
			return
		}
		p.Record(Message(ev.payload, ev.binary))
		p.finishWhenDone()
	case rxPing:
		if p.state == stateOpen {
			p.SendFrame(Frame{Opcode: OpPong, Fin: true, Payload: ev.payload})
		}
	case rxPong:
		p.Record(Pong(ev.payload))
		p.finishWhenDone()
	case rxClose:
		p.onCloseFrame(ev)
	case rxLost:
		p.connectionLost(ev)
	}
}

// flush writes the frames sent during the current callback.
func (p *Peer) flush() {
	if len(p.out) == 0 {
		return
	}
	b := p.out
	p.out = nil
	p.writeNow(b)
	if cap(b) <= 64<<10 {
		p.out = b[:0]
	}
}

func (p *Peer) writeNow(b []byte) {
	if p.state == stateClosed || len(b) == 0 {
		return
	}
	_, err := p.conn.Write(b)
	if err != nil && p.writeErr == nil {
		p.writeErr = err
		if errors.Is(err, os.ErrDeadlineExceeded) {
			p.abort("a write was still blocked at the case's time limit (the " + p.them() + " stopped reading)")
		}
	}
}

func (p *Peer) writeChopped(b []byte, chop int) {
	paced := (len(b)+chop-1)/chop <= maxChopPause
	for i := 0; i < len(b); i += chop {
		j := min(i+chop, len(b))
		p.writeNow(b[i:j])
		if p.state == stateClosed || p.writeErr != nil {
			return
		}
		if paced {
			time.Sleep(chopPause)
		}
	}
}

func (p *Peer) abort(why string) {
	if p.aborted == "" {
		p.aborted = why
	}
	p.dropConnection(true)
}

// push queues an event from the reader.
func (p *Peer) push(ev rxEvent) {
	p.rxMu.Lock()
	p.rxQueue = append(p.rxQueue, ev)
	p.rxMu.Unlock()
	select {
	case p.rxSignal <- struct{}{}:
	default:
	}
}

func (p *Peer) takeEvents() []rxEvent {
	p.rxMu.Lock()
	defer p.rxMu.Unlock()
	evs := p.rxQueue
	p.rxQueue = nil
	return evs
}

// readLoop reads and decodes what the peer sends, until TCP ends.
func (p *Peer) readLoop(rest []byte) {
	defer close(p.rxDone)
	ps := &parser{now: p.since, emit: p.push, expectMasked: p.server}
	if p.pmd != nil {
		ps.inflate = p.pmd.in
	}
	if len(rest) > 0 {
		ps.feed(rest)
	}
	buf := make([]byte, 256<<10)
	for {
		n, err := p.conn.Read(buf)
		if n > 0 {
			ps.feed(buf[:n])
		}
		if err != nil {
			how := p.them() + " closed TCP"
			if !errors.Is(err, io.EOF) {
				how = "TCP ended: " + err.Error()
			}
			p.push(rxEvent{kind: rxLost, text: how, at: p.since()})
			break
		}
	}
	p.notes, p.dropped = ps.notes, ps.dropped
}

// serve runs the peer's loop until the connection is closed.
func (p *Peer) serve(ctx context.Context) {
	hard := time.NewTimer(time.Until(p.limit))
	defer hard.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for p.state != stateClosed {
		if evs := p.takeEvents(); len(evs) > 0 {
			for _, ev := range evs {
				if p.state == stateClosed {
					break
				}
				p.handle(ev)
				p.flush()
			}
			continue
		}
		next := p.nextTimer()
		if next != nil && !time.Now().Before(next.at) {
			next.dead = true
			next.fn()
			p.flush()
			continue
		}
		d := time.Hour
		if next != nil {
			d = time.Until(next.at)
		}
		wake.Reset(d)
		select {
		case <-p.rxSignal:
		case <-wake.C:
		case <-hard.C:
			p.abort(fmt.Sprintf("the case did not finish within its time limit (%v)", p.limit.Sub(p.start).Round(time.Millisecond)))
		case <-ctx.Done():
			p.abort("cancelled: " + ctx.Err().Error())
		}
		wake.Stop()
	}
}
