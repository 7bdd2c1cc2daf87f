package lws

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/golws/lws/internal/cgi"
	"github.com/golws/lws/internal/poll"
)

// loop is one service thread's event loop (lws's per-thread "pt"): a poller,
// the descriptor table, the timer heap, the lists of connections with work
// pending, and the read buffer every connection borrows.
type loop struct {
	cx     *Context
	poller poll.Poller
	edge   bool
	events []poll.Event

	fds   []*Conn // indexed by descriptor
	count int     // descriptors held (connections and listeners)
	limit int

	rbuf   []byte // one read's buffer: ReadBufferSize bytes
	piece  int    // ServiceBufferSize: the most one callback is handed
	base   time.Time
	timers timerHeap

	ready, readyNext []*Conn  // connections with input to service
	write, writeNext []*Conn  // connections owed a WRITEABLE callback
	connectQ         []*Conn  // client connections ready to start connecting
	resolvers        workPool // client connections' name lookups (client.go)

	current *Conn // whose callback is running
	passNow int64 // the loop clock when this pass woke

	postMu      sync.Mutex
	posted      []func()
	postPending atomic.Bool

	reserveFD    int   // spare descriptor released to shed load at EMFILE
	lastLimitLog int64 // when the fd limit was last logged

	iov [2]unix.Iovec

	// Write batching: while cork is in its WRITEABLE callbacks, what it
	// writes is gathered in stage and sent with one system call.
	cork  *Conn
	stage []byte

	writeCalls uint64 // write system calls made, for tests of batching

	rxBytes, txBytes uint64 // bytes read from and written to sockets, for Stats
	cgiSpawned       int    // CGI programs started, for Stats

	scratch []byte // a response head being built
	fbuf    []byte // a piece of a file being served

	warmQ    []fileWarm // file pieces waiting for a reader (http_file_warm.go)
	warming  int        // file reads in progress
	warmBufs [][]byte   // the readers' buffers, for reuse

	peers    map[netip.Addr]*peerCount // with peer limits on: what each peer holds
	zombies  []*cgi.Process            // killed CGI programs not reaped yet
	reaper   Sul
	httpFree []*httpState // recycled HTTP states, at most httpFreeMax
	rsa      unix.RawSockaddrAny

	ah ahPool

	hdr [16]byte // a frame header being built

	// TLS
	handshakes workPool      // TLS handshakes (tls.go)
	plain      []byte        // one record's plaintext
	tlsOut     []byte        // the records of one TLS write, lent to the connection that writes (sendTLS)
	h2Out      []byte        // HTTP/2 frames being queued, lent to the connection that writes (role_h2.go)
	tlsJoin    []byte        // a head and payload joined into one record
	etagBuf    [40]byte      // a served file's entity tag
	ctrlBuf    [2 + 125]byte // a control payload or a short header value
	mask       []byte        // masked copy of a client's frame payload
	rng        *rand.ChaCha8 // masking keys
}

func newLoop(cx *Context, p poll.Poller, limit int) *loop {
	l := &loop{
		cx:     cx,
		poller: p,
		edge:   p.EdgeTriggered(),
		events: make([]poll.Event, 256),
		fds:    make([]*Conn, min(limit+16, 1024)),
		limit:  limit,
		rbuf:   make([]byte, cx.info.ReadBufferSize),
		piece:  cx.info.ServiceBufferSize,
		base:   time.Now(),
	}
	l.reserveFD, _ = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	l.resolvers.l, l.resolvers.limit, l.resolvers.start = l, cx.info.ResolverWorkers, l.startResolve
	l.handshakes.l, l.handshakes.limit, l.handshakes.start = l, cx.info.TLSHandshakeWorkers, l.handshakeWorker
	l.ah = ahPool{max: cx.info.MaxHTTPHeaderPool, dataSize: cx.info.MaxHTTPHeaderData}
	if l.ah.max <= 0 {
		l.ah.max = limit
	}
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	l.rng = rand.NewChaCha8(seed)
	return l
}

// maskKey returns a fresh, unpredictable masking key for a client frame.
func (l *loop) maskKey() (k [4]byte) {
	v := l.rng.Uint64()
	k[0], k[1], k[2], k[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	return k
}

// maskBuf returns the loop's scratch buffer for masking n bytes; it is
// kept for reuse unless it grew large.
func (l *loop) maskBuf(n int) []byte {
	if cap(l.mask) < n {
		l.mask = make([]byte, n)
	}
	b := l.mask[:n]
	if n > 64<<10 {
		l.mask = nil
	}
	return b
}

// now is the loop's monotonic clock in nanoseconds.
func (l *loop) now() int64 { return int64(time.Since(l.base)) }

// post runs fn on the loop at its next pass. Only library code running on
// other goroutines (the worker pools, the file readers) uses it.
func (l *loop) post(fn func()) {
	l.postMu.Lock()
	l.posted = append(l.posted, fn)
	l.postMu.Unlock()
	l.postPending.Store(true)
	_ = l.poller.Wake()
}

// register puts c's descriptor in the table and the poller.
func (l *loop) register(c *Conn) error {
	fd := int(c.fd)
	if fd >= len(l.fds) {
		n := max(2*len(l.fds), fd+1)
		nf := make([]*Conn, n)
		copy(nf, l.fds)
		l.fds = nf
	}
	c.interest = l.wantedEvents(c)
	if err := l.poller.Add(fd, c.interest); err != nil {
		return err
	}
	l.fds[fd] = c
	c.registered = true
	l.count++
	return nil
}

// wantedEvents is what a level-triggered poller must watch for c.
func (l *loop) wantedEvents(c *Conn) uint32 {
	var ev uint32
	switch {
	case c.kind == kindListener:
		ev = poll.In
	case c.connecting:
		ev = poll.Out
	default:
		if !c.rxDisabled && (c.rxHold == 0 || c.peekingTLS()) && !c.rxEOF && !c.readReady {
			ev |= poll.In
		}
		if !c.writeReady && (len(c.out) > 0 || c.wantWriteable) {
			ev |= poll.Out
		}
	}
	return ev
}

// updateInterest tells a level-triggered poller what c now waits for. An
// edge-triggered poller watches everything all the time.
func (l *loop) updateInterest(c *Conn) {
	if l.edge || !c.registered || c.parked {
		return
	}
	c = c.Network() // a stream child's socket is its network connection's
	ev := l.wantedEvents(c)
	if ev != c.interest {
		c.interest = ev
		if err := l.poller.Modify(int(c.fd), ev); err != nil {
			logf(LogErr, "lws: %v: %v", c, err)
		}
	}
}

// park takes c out of a level-triggered poller while it can do nothing
// with a hangup it cannot read yet; unpark puts it back.
func (l *loop) park(c *Conn) {
	if l.edge || c.parked || !c.registered {
		return
	}
	_ = l.poller.Delete(int(c.fd))
	c.parked = true
}

func (l *loop) unpark(c *Conn) {
	c.parked = false
	c.interest = l.wantedEvents(c)
	if err := l.poller.Add(int(c.fd), c.interest); err != nil {
		l.killLater(c, err)
	}
}

// queueReady and queueWrite queue a connection for input or WRITEABLE
// service; for a stream child they queue its network connection, whose
// role serves the children.
func (l *loop) queueReady(c *Conn) {
	if !c.inReadyList {
		c.inReadyList = true
		l.ready = append(l.ready, c.Network())
	}
}

func (l *loop) queueWrite(c *Conn) {
	if !c.inWriteList {
		c.inWriteList = true
		l.write = append(l.write, c.Network())
	}
}

// waitMs decides how long the poller may sleep.
func (l *loop) waitMs(timeout time.Duration) int {
	if len(l.ready) > 0 || len(l.write) > 0 || len(l.connectQ) > 0 || l.postPending.Load() {
		return 0
	}
	if e := l.timers.peek(); e != nil {
		d := time.Duration(e.when - l.now())
		if d <= 0 {
			return 0
		}
		if timeout < 0 || d < timeout {
			timeout = d
		}
	}
	if timeout < 0 {
		return -1
	}
	ms := (timeout + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		ms = math.MaxInt32
	}
	return int(ms)
}

// service is one pass: wait, then handle wake-ups, events, timers,
// client connects, input and WRITEABLE callbacks, in that order.
func (l *loop) service(timeout time.Duration) error {
	n, err := l.wait(timeout)
	if err != nil {
		return fmt.Errorf("lws: %s wait: %w", l.poller.Name(), err)
	}
	l.passNow = l.now()
	l.handleWake()
	for i := 0; i < n; i++ {
		ev := l.events[i]
		fd := int(ev.FD)
		if fd < 0 || fd >= len(l.fds) {
			continue
		}
		if c := l.fds[fd]; c != nil && !c.Closed() {
			l.handleEvent(c, ev.Events)
		}
	}
	l.runTimers()
	l.serviceConnects()
	l.serviceReady()
	l.serviceWrites()
	return nil
}

// wait waits for events for at most timeout. The poller may return early
// with nothing to report (a signal interrupted it: the Go runtime uses
// signals to preempt goroutines); wait then waits again for the rest of
// the time, unless a wake-up or a due timer needs the pass.
func (l *loop) wait(timeout time.Duration) (int, error) {
	var deadline int64
	if timeout > 0 {
		deadline = l.now() + int64(timeout)
	}
	for {
		ms := l.waitMs(timeout)
		n, err := l.poller.Wait(l.events, ms)
		if err != nil || n > 0 || ms == 0 {
			return n, err
		}
		if l.postPending.Load() || l.cx.cancelPending.Load() || l.cx.stopPending.Load() {
			return 0, nil
		}
		now := l.now()
		if e := l.timers.peek(); e != nil && e.when <= now {
			return 0, nil
		}
		if timeout > 0 {
			if now >= deadline {
				return 0, nil
			}
			timeout = time.Duration(deadline - now)
		}
	}
}

func (l *loop) handleWake() {
	if l.postPending.Swap(false) {
		l.postMu.Lock()
		fns := l.posted
		l.posted = nil
		l.postMu.Unlock()
		for _, fn := range fns {
			fn()
		}
	}
	if l.cx.cancelPending.Swap(false) {
		for _, vh := range l.cx.vhosts {
			for _, vp := range vh.protocols {
				if err := vp.pseudo.callback(CallbackEventWaitCancelled, nil); err != nil {
					logf(LogWarn, "lws: EVENT_WAIT_CANCELLED on vhost %q protocol %q: %v",
						vh.name, vp.proto.Name, err)
				}
			}
		}
	}
}

func (l *loop) handleEvent(c *Conn, ev uint32) {
	if c.connecting {
		if ev&(poll.Out|poll.Err|poll.Hup) == 0 {
			return
		}
		l.finishConnect(c)
		if c.Closed() || c.connecting || !c.established {
			return
		}
		// Connected: anything else in this event is for the new connection.
		ev &^= poll.Out | poll.Err
	}
	if ev&poll.Err != 0 && c.kind != kindListener {
		errno, err := unix.GetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if err == nil && errno != 0 {
			l.closeConn(c, unix.Errno(errno))
			return
		}
	}
	if ev&poll.Hup != 0 {
		c.peerHup = true
		ev |= poll.In
	}
	if ev&poll.Out != 0 {
		l.onWritable(c)
		if c.Closed() {
			return
		}
	}
	if ev&poll.In != 0 {
		c.readReady = true
		if c.rxDisabled {
			if c.peerHup {
				l.park(c)
			}
			return
		}
		l.queueReady(c)
	}
}

// onWritable handles the descriptor becoming writable: it sends what the
// library holds and, once that is gone, owes the protocol a WRITEABLE.
func (l *loop) onWritable(c *Conn) {
	c.writeReady = true
	if len(c.out) > 0 {
		done, err := c.flush()
		if err != nil {
			l.closeConn(c, err)
			return
		}
		if !done {
			l.updateInterest(c)
			return
		}
		if c.closing == closeFlush {
			l.closeFlushed(c)
			return
		}
		// lws issues a WRITEABLE once a partial write has drained.
		c.wantWriteable = true
	}
	if c.wantWriteable {
		l.queueWrite(c)
	}
	l.updateInterest(c)
}

func (l *loop) serviceReady() {
	list := l.ready
	l.ready = l.readyNext[:0]
	for _, c := range list {
		c.inReadyList = false
		if !c.Closed() {
			l.serviceRx(c)
		}
	}
	clear(list)
	l.readyNext = list[:0]
}

// serviceRx gives c one read's worth of service, so that one busy
// connection cannot starve the others; if more is waiting, c is queued for
// the next pass.
func (l *loop) serviceRx(c *Conn) {
	switch c.kind {
	case kindListener:
		l.accept(c)
		return
	case kindVhostProtocol:
		return
	}
	if c.rxHold&holdAH != 0 && l.acquireAH(c) {
		c.rxHold &^= holdAH
	}
	if c.rxHold == holdTLS && !c.rxDisabled && c.peekingTLS() {
		if c.readReady {
			l.peekTLS(c)
		}
		return
	}
	if c.rxDisabled || c.rxHold != 0 {
		return
	}
	// What the role holds goes first: a WebSocket extension's decoded
	// output precedes the plaintext of records not read yet.
	if st := c.tlsState(); st != nil && st.more && len(c.rxHeld) == 0 && !c.role.pending(c) {
		l.deliverTLS(c, nil)
		if !c.Closed() && c.readReady && !c.rxDisabled {
			l.queueReady(c)
		}
		return
	}
	if len(c.rxHeld) > 0 || c.rolePending() {
		l.deliverHeld(c)
		return
	}
	if !c.readReady || c.rxEOF {
		return
	}
	if c.kind == kindFile {
		l.serviceFile(c)
		return
	}
	size := len(l.rbuf)
	if c.tls == nil {
		size = c.role.readSize(c)
	}
	n, err := unix.Read(int(c.fd), l.rbuf[:size])
	if n > 0 {
		c.countRx(n)
	}
	switch {
	case err == unix.EINTR:
		l.queueReady(c) // try again on the next pass
		return
	case err == unix.EAGAIN:
		c.readReady = false
		l.updateInterest(c)
		return
	case err != nil:
		l.closeConn(c, err)
		return
	case n == 0:
		l.onEOF(c)
		return
	}
	if n < size && !c.peerHup {
		// A short read drained the socket: the next arrival is a new event.
		c.readReady = false
	}
	if c.tls != nil {
		l.deliverTLS(c, l.rbuf[:n])
	} else {
		l.deliver(c, l.rbuf[:n])
	}
	if c.Closed() {
		return
	}
	if c.readReady && !c.rxDisabled {
		l.queueReady(c)
	}
	l.updateInterest(c)
}

// deliver hands p to c's role; what it does not consume (because reception
// was turned off during a callback) is held for later.
func (l *loop) deliver(c *Conn, p []byte) {
	if c.closing == closeLinger {
		// nothing is sent any more: outOff counts what was dropped
		if c.outOff += len(p); c.outOff > lingerLimit {
			l.closeConn(c, errResponseSent)
		}
		return
	}
	used, err := c.role.rx(c, p)
	if err != nil {
		l.userClose(c, err)
		return
	}
	if used < len(p) && !c.Closed() {
		c.rxHeld = append(c.rxHeld, p[used:]...)
	}
}

func (l *loop) deliverHeld(c *Conn) {
	held := c.rxHeld
	used, err := c.role.rx(c, held)
	if err != nil {
		l.userClose(c, err)
		return
	}
	if c.Closed() {
		return
	}
	if used < len(held) {
		n := copy(held, held[used:])
		c.rxHeld = held[:n]
		return
	}
	c.rxHeld = nil
	if (c.readReady || c.rolePending()) && !c.rxDisabled {
		l.queueReady(c)
	}
	l.updateInterest(c)
}

// serviceFile tells the protocol an adopted descriptor is readable; the
// protocol reads it. Afterwards a zero-timeout poll of that one descriptor
// tells whether it is still readable, which an edge-triggered poller
// would not report again.
func (l *loop) serviceFile(c *Conn) {
	if _, err := c.role.rx(c, nil); err != nil {
		l.closeConn(c, err)
		return
	}
	if c.Closed() {
		return
	}
	pfd := [1]unix.PollFd{{Fd: c.fd, Events: unix.POLLIN}}
	n, err := unix.Poll(pfd[:], 0)
	c.readReady = err == nil && n > 0 && pfd[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0
	if c.readReady && !c.rxDisabled {
		l.queueReady(c)
	}
	l.updateInterest(c)
}

// onEOF handles the peer finishing its side. If the protocol still has a
// write coming (asked for WRITEABLE, or data held) the connection stays
// open until that is sent; otherwise it closes now.
func (l *loop) onEOF(c *Conn) {
	c.readReady = false
	if c.role.peerEOF(c) {
		l.closeConn(c, errPeerClosed)
		return
	}
	if c.wantWriteable || len(c.out) > 0 {
		c.rxEOF = true
		if c.closing == closeNone {
			c.closing = closeIdle
		}
		l.updateInterest(c)
		return
	}
	l.closeConn(c, errPeerClosed)
}

var errPeerClosed = errors.New("lws: peer closed the connection")

func (l *loop) serviceWrites() {
	list := l.write
	l.write = l.writeNext[:0]
	for _, c := range list {
		c.inWriteList = false
		if c.Closed() {
			continue
		}
		if c.wantWriteable && c.writeReady && len(c.out) == 0 && !c.connecting {
			if err := l.writeable(c); err != nil {
				l.userClose(c, err)
				continue
			}
			if c.Closed() {
				continue
			}
			if c.closing == closeFlush && len(c.out) == 0 {
				l.closeFlushed(c)
				continue
			}
		}
		if c.closing == closeIdle && !c.wantWriteable && len(c.out) == 0 {
			l.closeConn(c, errPeerClosed)
			continue
		}
		l.updateInterest(c)
	}
	clear(list)
	l.writeNext = list[:0]
}

// writeable gives c its WRITEABLE callbacks for this pass, gathering what
// they write into one system call (see corkLimit).
func (l *loop) writeable(c *Conn) error {
	l.cork = c
	var err error
	for range corkRounds {
		c.wantWriteable = false
		err = c.role.writeable(c)
		if err != nil || c.Closed() || !c.wantWriteable || len(c.out) > 0 ||
			len(l.stage) >= corkLimit || !c.writeReady {
			break
		}
	}
	l.cork = nil
	if c.Closed() {
		l.stage = l.stage[:0]
		return err
	}
	if ferr := c.flushStage(); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

func (l *loop) runTimers() {
	now := l.now()
	last := l.timers.seq
	for {
		e := l.timers.peek()
		if e == nil || e.when > now || e.seq > last {
			return
		}
		l.timers.cancel(e)
		switch e.kind {
		case timerSul:
			l.runSul(e.sul)
		case timerTimeout:
			l.onTimeout(e.conn)
		case timerValidity:
			l.checkValidity(e.conn)
		case timerConn:
			c := e.conn
			if !c.Closed() {
				if err := c.callback(CallbackTimer, nil); err != nil {
					l.userClose(c, err)
				}
			}
		}
	}
}

func (l *loop) runSul(s *Sul) {
	defer func() {
		if r := recover(); r != nil {
			logf(LogErr, "lws: panic in scheduled callback: %v", r)
		}
	}()
	if s.fn != nil {
		s.fn(s)
	}
}

// TimeoutError is the error a connection closes with when its timeout
// expires.
type TimeoutError struct{ Reason PendingTimeout }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("lws: timeout (reason %d)", int(e.Reason))
}

func (l *loop) onTimeout(c *Conn) {
	if c.Closed() {
		return
	}
	reason := c.timeoutReason
	c.timeoutReason = NoPendingTimeout
	if c.role.timedOut(c, reason) {
		return
	}
	if reason == PendingTimeoutUserOK {
		err := c.closeError()
		if err == nil {
			err = errKilled
		}
		l.userClose(c, err)
		return
	}
	if reason == PendingTimeoutHTTPContent && l.bodyOverdue(c) {
		return
	}
	logf(LogInfo, "lws: %v: timeout %d expired", c, int(reason))
	l.closeConn(c, &TimeoutError{Reason: reason})
}

// userClose closes c because its protocol asked (an error returned from a
// callback, or Close): the role may first run its closing handshake.
func (l *loop) userClose(c *Conn, why error) {
	if c.Closed() {
		return
	}
	if why == errResponseSent {
		l.closeFlushed(c)
		return
	}
	if c.established && why != errPeerClosed && c.role.closing(c, why) {
		return
	}
	l.closeConn(c, why)
}

// Closing. A connection closes through one path: closeConn delivers
// the close reasons and frees it. On the way there it may pass through
// the states of closeState, which say what it still does:
//
//   - userClose is how the protocol closes (an error from a callback,
//     Close): the role may take over with its closing handshake (a
//     WebSocket sends its Close and waits for the answer);
//   - closeWhenFlushed is how anything that sends a last message closes
//     (a status page, a final HTTP response without keep-alive, a
//     WebSocket Close): nothing more is read or written, and once what
//     the library holds has gone to the kernel closeFlushed applies the
//     role's policy: an HTTP/1 server lingers, the others close;
//   - the peer's end of file closes at once, or once the protocol has
//     written what it owes (closeIdle).

// closeState is how a connection is on its way to closing, or that it
// has closed: the one close state of a connection.
type closeState uint8

const (
	closeNone   closeState = iota // open
	closeIdle                     // the peer finished sending: close once the protocol writes no more and what is held has gone
	closeFlush                    // nothing more is read or written: close (closeFlushed) once what is held has gone
	closeLinger                   // the final response has gone and the sending side is shut: reading and dropping until the peer closes
	closeDone                     // closed: the close reasons were delivered (Conn.Closed)
)

// lingerLimit and lingerSecs bound a lingering close: how much of what
// the peer still sends is read and dropped, and for how long.
const (
	lingerLimit = 64 << 10
	lingerSecs  = 2
)

// closeWhenFlushed closes the connection once what the library holds for
// it has been sent, whether or not the caller returns the error it gives
// (errResponseSent, which returned from a callback leads here too).
// Nothing more is read meanwhile. The wait for the kernel to take what
// is held is bounded by the context's TimeoutSecs, unless a closing
// handshake's shorter bound is armed already; then closeFlushed applies
// the role's close policy.
func (c *Conn) closeWhenFlushed() error {
	l := c.loop
	switch {
	case c.Closed():
		return errResponseSent
	case c.closing == closeLinger:
		// The last response went already: nothing is left to send.
		l.killLater(c, errResponseSent)
		return errResponseSent
	}
	if c.isStream() {
		// A stream's last message is its network connection's to send:
		// the stream ends after it, and closes once its network
		// connection has taken it (at once, unless it waits for flow
		// control's window).
		c.closing = closeFlush
		if c.Network().role.endChild(c) {
			l.killLater(c, errResponseSent)
		}
		return errResponseSent
	}
	c.closing = closeFlush
	c.rxHold |= holdClosing
	switch {
	case c.held() == 0:
		l.killLater(c, errResponseSent)
	case c.timeoutReason != PendingTimeoutShutdownFlush && c.timeoutReason != PendingTimeoutCloseAck &&
		c.timeoutReason != PendingTimeoutCloseSend:
		c.SetTimeout(PendingTimeoutShutdownFlush, l.cx.info.TimeoutSecs)
	}
	l.updateInterest(c)
	return errResponseSent
}

// closeFlushed closes a connection whose last message has gone, by its
// role's policy. An HTTP/1 server connection closes gracefully
// ("lingering close"): it shuts down its sending side, then reads and
// drops what the client still sends (the rest of a refused request,
// pipelined requests) until the client closes, for a short while.
// Closing with unread data would make the kernel reset the connection,
// and the reset can destroy the response before the client has read it.
//
// Nothing is shut down while the library still holds part of the
// response: the connection first waits for the kernel to take it
// (closeWhenFlushed; onWritable comes back here once it has); shutting
// down earlier would cut the response short with a clean end of file.
func (l *loop) closeFlushed(c *Conn) {
	if c.Closed() {
		return
	}
	if c.isStream() {
		if c.closing == closeNone {
			_ = c.closeWhenFlushed()
		} else if c.Network().role.endChild(c) {
			l.closeConn(c, errResponseSent)
		}
		return
	}
	if c.held() > 0 && c.closing != closeLinger {
		_ = c.closeWhenFlushed()
		return
	}
	if c.closing == closeLinger || !c.role.lingers(c) || c.rxEOF || c.peerHup {
		l.closeConn(c, errResponseSent)
		return
	}
	if err := unix.Shutdown(int(c.fd), unix.SHUT_WR); err != nil {
		l.closeConn(c, errResponseSent)
		return
	}
	c.closing = closeLinger
	c.wantWriteable = false
	c.rxHold, c.rxDisabled = 0, false
	clear(c.rxHeld)
	c.rxHeld = nil
	c.SetTimeout(PendingTimeoutShutdownFlush, lingerSecs)
	if c.readReady {
		l.queueReady(c)
	}
	l.updateInterest(c)
}

// killLater closes c at the next pass, through userClose: used when a
// system call fails in a place that cannot close at once, and by
// closeWhenFlushed when nothing is left to send.
func (l *loop) killLater(c *Conn, err error) {
	if c.Closed() {
		return
	}
	if c.closeError() == nil {
		c.more().closeErr = err
	}
	c.timeoutReason = PendingTimeoutUserOK
	c.timeout.kind, c.timeout.conn = timerTimeout, c
	l.timers.schedule(&c.timeout, l.now())
}

// accept4 accepts one connection into the loop's own address buffer, so
// that accepting allocates nothing (x/sys/unix.Accept4 returns a new
// Sockaddr each time).
func (l *loop) accept4(fd int) (int, netip.AddrPort, error) {
	n := uint32(unsafe.Sizeof(l.rsa))
	nfd, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&l.rsa)),
		uintptr(unsafe.Pointer(&n)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, netip.AddrPort{}, errno
	}
	return int(nfd), rawAddrPort(&l.rsa), nil
}

// rawAddrPort decodes an IPv4 or IPv6 socket address; others (a unix
// socket's) give the zero AddrPort.
func rawAddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}

// accept takes up to a batch of pending connections from a listener.
func (l *loop) accept(ls *Conn) {
	const batch = 64
	for i := 0; i < batch; i++ {
		nfd, peer, err := l.accept4(int(ls.fd))
		switch err {
		case nil:
		case unix.EAGAIN:
			ls.readReady = false
			l.updateInterest(ls)
			return
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EMFILE, unix.ENFILE:
			l.shedAtEMFILE(ls)
			continue
		default:
			logf(LogErr, "lws: accept on vhost %q: %v", ls.vhost.name, err)
			ls.readReady = false
			return
		}
		if l.count >= l.limit {
			unix.Close(nfd)
			l.logLimit("connection refused: %d descriptors in use, the limit", l.count)
			continue
		}
		l.acceptConn(ls.vhost, nfd, peer)
		if ls.Closed() {
			return
		}
	}
	ls.readReady = true
	l.queueReady(ls)
}

// shedAtEMFILE accepts and drops one connection using the spare
// descriptor, so the listener does not stay readable forever when the
// process is out of descriptors.
func (l *loop) shedAtEMFILE(ls *Conn) {
	l.logLimit("connection refused: the process is out of file descriptors (%d held)", l.count)
	if l.reserveFD < 0 {
		ls.readReady = false
		return
	}
	unix.Close(l.reserveFD)
	if nfd, _, err := unix.Accept4(int(ls.fd), unix.SOCK_CLOEXEC); err == nil {
		unix.Close(nfd)
	}
	l.reserveFD, _ = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

func (l *loop) logLimit(format string, args ...any) {
	now := l.now()
	if l.lastLimitLog != 0 && now-l.lastLimitLog < int64(time.Second) {
		return
	}
	l.lastLimitLog = now
	logf(LogWarn, "lws: "+format, args...)
}

// closeConn closes c: children first, then the role's close reason (or
// CLIENT_CONNECTION_ERROR for a client that never connected), the
// parent's CHILD_CLOSING, WSI_DESTROY, and the descriptor.
func (l *loop) closeConn(c *Conn, why error) {
	if c.Closed() {
		return
	}
	c.closing = closeDone
	// A stream child leaves the transport, its network connection's, alone.
	stream := c.isStream()
	if !stream {
		c.closeTLS()
	}
	if c.closeError() == nil && why != nil {
		c.more().closeErr = why
	}
	for ch := c.firstChild(); ch != nil; {
		next := ch.rare.nextSibling
		l.closeConn(ch, errParentClosed)
		ch = next
	}
	if c.established {
		c.role.closed(c)
	} else {
		c.role.closedEarly(c, why)
	}
	if stream {
		c.Network().role.childClosed(c)
	}
	if p := c.Parent(); p != nil {
		if !p.Closed() {
			p.rare.closingChild = c
			if err := p.callback(CallbackChildClosing, nil); err != nil {
				l.killLater(p, err)
			}
			p.rare.closingChild = nil
		}
		c.unlinkFromParent()
	}
	if c.created {
		_ = c.callbackProto(c.vhost.protocols[0], CallbackWSIDestroy, nil)
	}
	logf(LogDebug, "lws: closing %v: %v", c, c.closeError())
	l.releaseAH(c)
	if !stream {
		l.releasePeer(c)
	}
	if c.role.release(c) {
		// The state is gone: nothing of the role is left to ask.
		c.role = noRole
	}
	c.unbindProtocol()
	l.timers.cancel(&c.timeout)
	if c.rare != nil {
		l.timers.cancel(&c.rare.timer)
	}
	if !stream {
		l.timers.cancel(&c.validity)
		l.releaseFD(c)
		c.out, c.rxHeld = nil, nil
	}
	if done := l.cx.deprecated; done != nil && c.kind != kindListener && l.cx.liveConns() == 0 {
		l.cx.deprecated = nil
		done()
	}
	c.wantWriteable, c.permit = false, false
	if c.kind == kindClient {
		l.dropFromQueues(c)
	}
}

var errParentClosed = errors.New("lws: parent connection closed")

// releaseFD takes c's descriptor out of the poller and table and closes it.
func (l *loop) releaseFD(c *Conn) {
	if c.fd < 0 {
		return
	}
	fd := int(c.fd)
	if c.registered {
		if !c.parked {
			_ = l.poller.Delete(fd)
		}
		if fd < len(l.fds) && l.fds[fd] == c {
			l.fds[fd] = nil
		}
		c.registered = false
		l.count--
	}
	unix.Close(fd)
	c.fd = -1
}

// closeVhostConns closes every connection of vh: each is bound to one of
// its protocols, clients still resolving or connecting included.
func (l *loop) closeVhostConns(vh *Vhost) {
	for _, vp := range vh.protocols {
		for c := vp.first; c != nil; c = c.vpNext {
			c.role.goAway(c) // sent before the close, if the socket takes it
		}
	}
	for _, vp := range vh.protocols {
		for vp.first != nil {
			l.closeConn(vp.first, errVhostDestroyed)
		}
	}
}

// closeAll closes whatever descriptors the loop still holds once every
// vhost was destroyed.
func (l *loop) closeAll() {
	for _, c := range l.fds {
		if c != nil && !c.Closed() {
			c.role.goAway(c) // sent before the close, if the socket takes it
		}
	}
	for _, c := range l.fds {
		if c != nil && !c.Closed() {
			l.closeConn(c, ErrContextDestroyed)
		}
	}
}

func (l *loop) destroy() {
	if l.reserveFD >= 0 {
		unix.Close(l.reserveFD)
		l.reserveFD = -1
	}
	_ = l.poller.Close()
}

// writev writes hdr and p with one system call, without allocating.
func (l *loop) writev(fd int, hdr, p []byte) (int, error) {
	iov := &l.iov
	iov[0].Base = unsafe.SliceData(hdr)
	iov[0].SetLen(len(hdr))
	cnt := 1
	if len(p) > 0 {
		iov[1].Base = unsafe.SliceData(p)
		iov[1].SetLen(len(p))
		cnt = 2
	}
	n, _, errno := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
	iov[0].Base, iov[1].Base = nil, nil
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// setSocketOptions applies what lws sets on every TCP connection: Nagle's
// algorithm off, since the library writes whole messages.
func setSocketOptions(fd int) {
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// setKeepalive turns on TCP keepalive with lws's three settings.
func setKeepalive(fd, idle, probes, interval int) {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, idle)
	if probes > 0 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, probes)
	}
	if interval > 0 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, interval)
	}
}
