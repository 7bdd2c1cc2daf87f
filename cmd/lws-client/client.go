package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golws/lws"
	"github.com/golws/lws/pmdeflate"
	"github.com/golws/lws/ws"
)

// app is the state of the run. Everything but signals and the waker is
// touched only on the loop.
type app struct {
	cfg    *config
	cx     *lws.Context
	conn   *lws.Conn
	stdout io.Writer
	stderr io.Writer
	stop   context.CancelFunc
	waker  *waker

	mode        mode
	in          *inbox // interactive ws and raw
	upgrading   bool   // the WebSocket upgrade request was sent
	established bool
	closing     bool // a close was started by us
	ended       bool // the connection is gone
	exit        int  // -1 until the outcome is known
	deadline    lws.Sul
	signals     atomic.Int32 // SIGINT and SIGTERM received (any goroutine)
	signalsSeen int32
}

// mode is the behaviour of one kind of run on the one connection. Its
// methods run on the loop.
type mode interface {
	// callback gets every reason of the connection after the common
	// handling; in is only valid during the call.
	callback(c *lws.Conn, reason lws.Reason, in []byte) error
	// interrupt is the first SIGINT or SIGTERM on an established
	// connection.
	interrupt(c *lws.Conn)
	// ended is the end of an established connection that no one decided
	// the outcome of yet: the mode decides.
	ended(c *lws.Conn)
}

// waker calls CancelService for other goroutines until the context is
// about to be destroyed.
type waker struct {
	mu   sync.Mutex
	cx   *lws.Context
	dead bool
}

func (w *waker) wake() {
	w.mu.Lock()
	if !w.dead {
		w.cx.CancelService()
	}
	w.mu.Unlock()
}

func (w *waker) kill() {
	w.mu.Lock()
	w.dead = true
	w.mu.Unlock()
}

// succeed records a successful outcome, unless one is known already.
func (a *app) succeed() {
	if a.exit < 0 {
		a.exit = 0
	}
}

// fail records a failed outcome with its reason on stderr, unless the
// outcome is known already.
func (a *app) fail(format string, args ...any) {
	if a.exit < 0 {
		a.exit = 1
		fmt.Fprintf(a.stderr, "lws-client: "+format+"\n", args...)
	}
}

// finish ends an established connection from our side: a WebSocket Close
// with code (which the server answers), or for the other roles a plain
// close. The run ends when the connection is gone.
func (a *app) finish(c *lws.Conn, code ws.CloseCode) {
	if a.closing || a.ended {
		return
	}
	a.closing = true
	if code != 0 {
		c.CloseReason(code, "")
	}
	c.Close()
}

// clientExtensions are the WebSocket extensions the client offers (its
// vhost's registry) unless -no-extensions: permessage-deflate with lws's
// defaults, as lws's test client offers it.
var clientExtensions = []lws.Extension{lws.PermessageDeflate(pmdeflate.Options{})}

// extensions returns the extensions the configuration offers.
func (a *app) extensions() []lws.Extension {
	if a.cfg.noExtensions {
		return nil
	}
	return clientExtensions
}

// protocols returns the vhost's protocols, with the mode chosen by the
// configuration: lws-client, which the connection binds to first, then one
// per subprotocol offered, so that the connection is bound to the one the
// server chose, as lws binds a client (the same callback serves them all).
func (a *app) protocols() ([]lws.Protocol, error) {
	p, err := a.protocol()
	if err != nil || (a.cfg.scheme != "ws" && a.cfg.scheme != "wss") {
		return []lws.Protocol{p}, err
	}
	protos := []lws.Protocol{p}
	for _, name := range offered(a.cfg.protocol) {
		if slices.ContainsFunc(protos, func(q lws.Protocol) bool { return q.Name == name }) {
			continue
		}
		q := p
		q.Name = name
		q.Callback = func(c *lws.Conn, reason lws.Reason, in []byte) error {
			if reason == lws.CallbackEventWaitCancelled {
				return nil // the first protocol acts on wake-ups, once
			}
			return a.callback(c, reason, in)
		}
		protos = append(protos, q)
	}
	return protos, nil
}

// offered splits a comma-separated list of subprotocols into names.
func offered(list string) []string {
	var names []string
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// protocol returns the vhost's first protocol, with the mode chosen by the
// configuration.
func (a *app) protocol() (lws.Protocol, error) {
	p := lws.Protocol{Name: "lws-client", Callback: a.callback}
	switch a.cfg.mode {
	case modeInteractive:
		switch a.cfg.scheme {
		case "http", "https":
			h, err := newHTTPMode(a)
			if err != nil {
				return p, err
			}
			a.mode = h
		case "raw":
			a.mode = &rawMode{a: a}
		default:
			a.mode = &interactiveMode{a: a}
		}
	case modeDumb:
		a.mode = &dumbMode{a: a}
	case modeMirror:
		a.mode = newMirrorMode(a)
	case modeFraggle:
		f := newFraggleMode(a)
		p.NewSession = f.proto.NewSession
		a.mode = f
	case modePing:
		a.mode = newPingMode(a)
	case modeEcho:
		a.mode = newEchoMode(a)
	}
	return p, nil
}

// callback is the protocol's callback: what every mode shares, then the
// mode.
func (a *app) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackEventWaitCancelled:
		a.wakeup()
		return nil
	case lws.CallbackClientAppendHandshakeHeader:
		a.upgrading = a.cfg.scheme == "ws" || a.cfg.scheme == "wss"
	case lws.CallbackClientConnectionError:
		if a.upgrading && a.cfg.protocol != "" {
			// A server drops or refuses an upgrade asking only for
			// subprotocols it does not serve (lws closes, golws answers
			// 400): say which were asked for.
			a.fail("CLIENT_CONNECTION_ERROR: %s\nlws-client: the server refused the upgrade that offered subprotocol %q: "+
				"it probably does not serve it (-P chooses the subprotocols offered)", in, a.cfg.protocol)
		} else {
			a.fail("CLIENT_CONNECTION_ERROR: %s", in)
		}
		a.ended = true
		a.stop()
	case lws.CallbackClientEstablished, lws.CallbackRawConnected, lws.CallbackEstablishedClientHTTP:
		a.established = true
		if a.cfg.verbose {
			fmt.Fprintf(a.stderr, "lws-client: connected to %v\n", c.PeerAddr())
			if reason == lws.CallbackClientEstablished {
				a.printAgreed(c)
			}
		}
	}
	if c != a.conn {
		return nil
	}
	err := a.mode.callback(c, reason, in)
	switch reason {
	case lws.CallbackClientClosed, lws.CallbackRawClose, lws.CallbackClosedClientHTTP:
		a.ended = true
		if a.exit < 0 {
			a.mode.ended(c)
		}
		if a.exit < 0 {
			a.fail("the connection ended")
		}
		a.stop()
	}
	return err
}

// printAgreed prints the subprotocol and the extensions the server agreed
// to.
func (a *app) printAgreed(c *lws.Conn) {
	proto := "none"
	if a.cfg.protocol != "" {
		// The server named one of ours, and the connection is bound to
		// the vhost protocol of that name.
		proto = c.Protocol().Name
	}
	var exts []string
	for _, e := range a.extensions() {
		if c.ExtensionActive(e.Name) {
			exts = append(exts, e.Name)
		}
	}
	if len(exts) == 0 {
		exts = append(exts, "none")
	}
	fmt.Fprintf(a.stderr, "lws-client: protocol %s, extensions: %s\n", proto, strings.Join(exts, ", "))
}

// wakeup acts on what other goroutines published: signals and standard
// input.
func (a *app) wakeup() {
	n := a.signals.Load()
	if n > a.signalsSeen {
		first := a.signalsSeen == 0
		a.signalsSeen = n
		switch {
		case first && a.established && !a.ended && !a.closing:
			a.mode.interrupt(a.conn)
		case first && a.closing:
			// already on the way out
		default:
			a.fail("interrupted")
			a.stop()
			return
		}
	}
	if a.in != nil && a.established && !a.ended && a.in.pending() {
		a.conn.CallbackOnWritable()
	}
}

// cleanClose reports whether a close code ends a connection without a
// protocol error.
func cleanClose(code ws.CloseCode) bool {
	switch code {
	case 0, ws.CloseNormal, ws.CloseGoingAway, ws.CloseNoStatus:
		return true
	}
	return false
}

// done ends a WebSocket run that reached what it was asked: success, and
// a clean close.
func (a *app) done(c *lws.Conn) {
	a.succeed()
	a.finish(c, ws.CloseNormal)
}

// counted ends a counting mode's run once got reached -n.
func (a *app) counted(c *lws.Conn, got int) {
	if a.cfg.count > 0 && got >= a.cfg.count {
		a.done(c)
	}
}

// endedCounting decides the outcome when the server ends a counting
// mode's connection: short of -n is a failure ("dumb: the server closed
// after 3 of 5 numbers").
func (a *app) endedCounting(c *lws.Conn, mode, what string, got int) {
	if a.cfg.count > 0 {
		a.fail("%s: the server closed after %d of %d %s", mode, got, a.cfg.count, what)
		return
	}
	a.endedByServer(c)
}

// endedByServer decides the outcome of a WebSocket connection the server
// ended: success after a clean close handshake.
func (a *app) endedByServer(c *lws.Conn) {
	switch sent, received := c.WSCloseStatus(); {
	case sent == 0 && received == 0:
		a.fail("the connection dropped without a close handshake")
	case !cleanClose(sent) || !cleanClose(received):
		a.fail("closed with %d sent and %d received", sent, received)
	default:
		a.succeed()
	}
}

// The interactive WebSocket client.

// An interactive WebSocket client whose input ended does not close at
// once: the server may still be answering, or may speak first (lws-status
// and dumb-increment send without being asked), and a message arriving
// after the client's Close is dropped. It closes
//   - while answers to what it sent are missing: once wsLinger passes with
//     nothing arriving (lws's close-ack timeout is as long);
//   - once everything is answered: when wsQuiet passes with nothing
//     arriving, or at the latest wsLinger after the last answer came (a
//     server that never stops sending is not waited for for ever).
const (
	wsLinger = 5 * time.Second
	wsQuiet  = 500 * time.Millisecond
)

type interactiveMode struct {
	a          *app
	sent       int       // messages sent
	received   int       // messages received
	inputEnded bool      // standard input ended and all of it was sent
	lastRx     time.Time // when the last message arrived, or the input ended
	answeredAt time.Time // when received caught up with sent after the input ended
}

func (m *interactiveMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	switch reason {
	case lws.CallbackClientEstablished:
		c.CallbackOnWritable()

	case lws.CallbackClientReceive:
		if _, err := a.stdout.Write(in); err != nil {
			return err
		}
		if c.IsFinalFragment() {
			if _, err := io.WriteString(a.stdout, "\n"); err != nil {
				return err
			}
			m.received++
			switch {
			case a.cfg.count > 0 && m.received >= a.cfg.count:
				a.done(c)
			case m.inputEnded:
				m.lastRx = time.Now()
				m.closeWhenDone(c)
			}
		}

	case lws.CallbackClientWriteable:
		if a.closing || m.inputEnded {
			return nil
		}
		ch, ok, eof := a.in.take()
		if ok {
			wt := lws.WriteWSFlags(lws.WriteText, ch.first, ch.final)
			if _, err := c.Write(ch.data, wt); err != nil {
				return err
			}
			if ch.final {
				m.sent++
			}
			if a.in.pending() {
				c.CallbackOnWritable()
			}
			return nil
		}
		if eof && a.cfg.count == 0 {
			if err := a.in.err(); err != nil {
				a.fail("reading standard input: %v", err)
				a.done(c)
				return nil
			}
			// What was sent may not be answered yet, and the server
			// may still speak: the Close waits (a Close sent now would
			// end the connection before they arrive).
			m.inputEnded = true
			m.lastRx = time.Now()
			m.closeWhenDone(c)
		}

	case lws.CallbackTimer:
		if m.inputEnded && !a.closing {
			m.closeWhenDone(c)
		}
	}
	return nil
}

// closeWhenDone closes the connection if the wait after the end of input
// is over (see wsLinger), and otherwise arms the timer for when it will
// be.
func (m *interactiveMode) closeWhenDone(c *lws.Conn) {
	now := time.Now()
	var left time.Duration
	if m.received < m.sent {
		left = wsLinger - now.Sub(m.lastRx)
		if left <= 0 && m.a.cfg.verbose {
			fmt.Fprintf(m.a.stderr, "lws-client: %d messages received for %d sent when the wait for answers ended\n", m.received, m.sent)
		}
	} else {
		if m.answeredAt.IsZero() {
			m.answeredAt = now
		}
		left = min(wsQuiet-now.Sub(m.lastRx), wsLinger-now.Sub(m.answeredAt))
	}
	if left <= 0 {
		m.a.done(c)
		return
	}
	c.SetTimer(left)
}

func (m *interactiveMode) interrupt(c *lws.Conn) { m.a.done(c) }

func (m *interactiveMode) ended(c *lws.Conn) { m.a.endedByServer(c) }

// The interactive RAW client.

// rawLinger bounds how long a RAW client waits for the peer to close
// after its input ended (lws's close-ack timeout is as long).
const rawLinger = 5

type rawMode struct {
	a          *app
	halfClosed bool
}

func (m *rawMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	switch reason {
	case lws.CallbackRawConnected:
		c.CallbackOnWritable()

	case lws.CallbackRawRX:
		if _, err := a.stdout.Write(in); err != nil {
			return err
		}

	case lws.CallbackRawWriteable:
		if a.closing || m.halfClosed {
			return nil
		}
		ch, ok, eof := a.in.take()
		if ok {
			if _, err := c.Write(ch.data, lws.WriteRaw); err != nil {
				return err
			}
			if a.in.pending() {
				c.CallbackOnWritable()
			}
			return nil
		}
		if eof {
			if err := a.in.err(); err != nil {
				a.fail("reading standard input: %v", err)
			}
			// Everything was sent: tell the peer, and read what it still
			// sends until it closes.
			m.halfClosed = true
			c.SetTimeout(lws.PendingTimeoutShutdownFlush, rawLinger)
			return unix.Shutdown(c.FD(), unix.SHUT_WR)
		}
	}
	return nil
}

func (m *rawMode) interrupt(c *lws.Conn) {
	m.a.succeed()
	m.a.finish(c, 0)
}

// ended: the peer closed, or the linger after our input ended ran out.
func (m *rawMode) ended(*lws.Conn) { m.a.succeed() }

// Standard input.

// Bounds of the queue of standard input: pieces of at most maxPiece
// bytes, at most maxPieces of them waiting.
const (
	maxPiece  = 64 << 10
	maxPieces = 64
)

// chunk is one piece of standard input: for a WebSocket client a line or
// a part of a long one (first and final tell where it is in its message).
type chunk struct {
	data         []byte
	first, final bool
}

// inbox is the bounded queue between the goroutine reading standard input
// and the loop.
type inbox struct {
	waker *waker
	mu    sync.Mutex
	space *sync.Cond // signalled when the loop takes a piece
	q     []chunk
	eof   bool
	rerr  error
	dead  bool
}

func newInbox(w *waker) *inbox {
	b := &inbox{waker: w}
	b.space = sync.NewCond(&b.mu)
	return b
}

// read runs on its own goroutine until r ends: lines (raw false) or
// whatever each read returns (raw true).
func (b *inbox) read(r io.Reader, raw bool) {
	if raw {
		for {
			buf := make([]byte, 16<<10)
			n, err := r.Read(buf)
			if n > 0 && !b.push(chunk{data: buf[:n], first: true, final: true}) {
				return
			}
			if err != nil {
				b.end(err)
				return
			}
		}
	}
	br := bufio.NewReaderSize(r, maxPiece)
	first := true
	for {
		line, err := br.ReadSlice('\n')
		final := !errors.Is(err, bufio.ErrBufferFull)
		if len(line) > 0 || (final && !first) {
			data := line
			if final && len(data) > 0 && data[len(data)-1] == '\n' {
				data = data[:len(data)-1]
				if len(data) > 0 && data[len(data)-1] == '\r' {
					data = data[:len(data)-1]
				}
			}
			if !b.push(chunk{data: append([]byte(nil), data...), first: first, final: final}) {
				return
			}
			first = final
		}
		if err != nil && final {
			b.end(err)
			return
		}
	}
}

// push queues a piece, waiting while the queue is full; false means the
// run is over.
func (b *inbox) push(ch chunk) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.q) >= maxPieces && !b.dead {
		b.space.Wait()
	}
	if b.dead {
		return false
	}
	b.q = append(b.q, ch)
	b.waker.wake()
	return true
}

// end records the end of standard input.
func (b *inbox) end(err error) {
	b.mu.Lock()
	b.eof = true
	if !errors.Is(err, io.EOF) {
		b.rerr = err
	}
	b.mu.Unlock()
	b.waker.wake()
}

// take removes the oldest piece (ok), or reports that there is none and
// whether standard input has ended.
func (b *inbox) take() (ch chunk, ok, eof bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.q) == 0 {
		return chunk{}, false, b.eof
	}
	ch = b.q[0]
	n := copy(b.q, b.q[1:])
	b.q[n] = chunk{}
	b.q = b.q[:n]
	b.space.Signal()
	return ch, true, false
}

// pending reports whether the loop has something to do: a piece to send
// or the end of input to act on.
func (b *inbox) pending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.q) > 0 || b.eof
}

func (b *inbox) err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rerr
}

// shutdown releases a reader waiting for room; it pushes nothing more.
func (b *inbox) shutdown() {
	b.mu.Lock()
	b.dead = true
	b.space.Broadcast()
	b.mu.Unlock()
}
