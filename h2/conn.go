package h2

import (
	"sync"

	"golang.org/x/net/http2"
)

// Preface is the client connection preface (RFC 9113 section 3.4).
const Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

const frameHeaderLen = 9

// Config holds the connection's limits and advertised settings. A zero
// field takes its default.
type Config struct {
	// MaxConcurrentStreams is advertised as SETTINGS_MAX_CONCURRENT_STREAMS;
	// a HEADERS frame opening one more stream is refused with
	// RST_STREAM REFUSED_STREAM. Default 100, RFC 9113's recommended
	// minimum (lws's stock setting is 24).
	MaxConcurrentStreams uint32
	// InitialWindowSize is each stream's receive window, advertised as
	// SETTINGS_INITIAL_WINDOW_SIZE. Default 65535, the protocol's.
	InitialWindowSize uint32
	// ConnWindowSize is the connection's receive window; above 65535 the
	// difference is granted by a WINDOW_UPDATE right after the server
	// preface. Default 1 MiB: it bounds what the loop may have to hold
	// for all streams' consumers together.
	ConnWindowSize uint32
	// MaxFrameSize is advertised as SETTINGS_MAX_FRAME_SIZE; a larger
	// frame is a FRAME_SIZE_ERROR. It also sizes the buffer kept for a
	// frame split across reads. Default 16384 (lws's stock setting, the
	// protocol's minimum).
	MaxFrameSize uint32
	// MaxHeaderListSize is advertised as SETTINGS_MAX_HEADER_LIST_SIZE and
	// bounds the size of an encoded header block (HEADERS plus
	// CONTINUATION); a larger block ends the connection with
	// ENHANCE_YOUR_CALM, as lws does. Default 65536 (lws's stock setting).
	MaxHeaderListSize uint32
	// HeaderTableSize is advertised as SETTINGS_HEADER_TABLE_SIZE: the
	// largest dynamic table the server's HPACK decoder keeps. Default
	// 4096, the protocol's.
	HeaderTableSize uint32
	// NoConnectProtocol leaves SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC
	// 8441, WebSocket over HTTP/2) unadvertised; by default it is
	// advertised, as lws does.
	NoConnectProtocol bool
	// MaxContinuations bounds the CONTINUATION frames of one header
	// block; more end the connection with ENHANCE_YOUR_CALM. Default 64
	// (lws's).
	MaxContinuations int
	// MaxResets bounds the streams reset without completing: each reset
	// by the peer, or by the server because of the peer, spends one; each
	// stream that completes normally earns one back, up to MaxResets.
	// When none is left the connection ends with ENHANCE_YOUR_CALM (the
	// "rapid reset" attack). Default 200.
	MaxResets int
	// MaxPendingControl bounds the frames the connection queues on its
	// own account in answer to the peer (SETTINGS and PING
	// acknowledgements, RST_STREAM) while the loop has not drained the
	// output; more end the connection with ENHANCE_YOUR_CALM (SETTINGS,
	// PING and reset floods). Default 50 (lws's bound on its pending
	// protocol sends).
	MaxPendingControl int
	// MaxEmptyFrames bounds consecutive frames that carry nothing: DATA
	// without payload or END_STREAM (padding only, or nothing), HEADERS
	// or CONTINUATION with an empty fragment that do not end the block,
	// PRIORITY (ignored, RFC 9113 section 5.3.2), frames of unknown types
	// (PRIORITY_UPDATE among them), PING ACKs (the server sends no PING),
	// SETTINGS ACKs after the first, RST_STREAM and WINDOW_UPDATE of a
	// stream no longer live. Any other frame ends the run. More end the
	// connection with ENHANCE_YOUR_CALM. Default 100.
	MaxEmptyFrames int
}

func (c *Config) setDefaults() {
	def := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxConcurrentStreams, 100)
	def(&c.InitialWindowSize, defaultWindow)
	def(&c.ConnWindowSize, 1<<20)
	def(&c.MaxFrameSize, 16384)
	def(&c.MaxHeaderListSize, 65536)
	def(&c.HeaderTableSize, 4096)
	defInt(&c.MaxContinuations, 64)
	defInt(&c.MaxResets, 200)
	defInt(&c.MaxPendingControl, 50)
	defInt(&c.MaxEmptyFrames, 100)
	c.InitialWindowSize = min(c.InitialWindowSize, maxWindow)
	c.ConnWindowSize = max(min(c.ConnWindowSize, maxWindow), defaultWindow)
	c.MaxFrameSize = min(max(c.MaxFrameSize, 16384), 1<<24-1)
}

// PeerSettings are the settings the client sent, with the protocol's
// defaults for those it did not send.
type PeerSettings struct {
	HeaderTableSize      uint32 // SETTINGS_HEADER_TABLE_SIZE: the response encoder's dynamic table bound
	MaxConcurrentStreams uint32 // 0: no limit announced
	InitialWindowSize    uint32 // SETTINGS_INITIAL_WINDOW_SIZE: every stream's first send window
	MaxFrameSize         uint32 // SETTINGS_MAX_FRAME_SIZE: the largest frame the server may send
	MaxHeaderListSize    uint32 // 0: no limit announced
	ConnectProtocol      bool   // SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)
}

// EventKind says what an Event reports.
type EventKind uint8

// The events Feed returns.
const (
	// EventNone: Feed needs more input.
	EventNone EventKind = iota
	// EventHeaders: a complete header block for Stream, to be decoded
	// by the connection's one HPACK decoder in the order the blocks come.
	// EndStream: the peer has ended its side. Trailers: the block follows
	// the request's, and ends the stream. Discard: the stream has been
	// refused or reset; the block must still be decoded, for the HPACK
	// dynamic table, and its result dropped.
	EventHeaders
	// EventData: DATA for Stream, Data its payload (padding removed).
	// The user calls Consumed(Stream, len(Data)) once it has used the
	// bytes, even if the stream has been reset since, or the connection
	// window shrinks for good. EndStream: the peer has ended its side.
	EventData
	// EventReset: Stream was reset and is closed; Code says why and
	// Local whether the server reset it (then a RST_STREAM is queued).
	EventReset
	// EventWindow: the send window grew: of Stream, or of the connection
	// when Stream is 0; SendAllowance may have grown.
	EventWindow
	// EventSettings: the peer's SETTINGS were applied (Peer): every
	// stream's send window may have moved, and the user's HPACK encoder
	// must follow Peer().HeaderTableSize.
	EventSettings
	// EventGoAway: the peer sent GOAWAY: it opens no more streams and
	// processes none above LastStream. Code and Debug are its.
	EventGoAway
	// EventConnError: the connection failed (Err is a *ConnError); a
	// GOAWAY is queued and the connection takes no more input.
	EventConnError
)

// Event is what Feed reports. Its byte slices are valid until the next
// call of Feed: they point into the connection's buffers.
type Event struct {
	Kind       EventKind     // what happened; the fields below apply as its doc says
	Stream     uint32        // the stream concerned (0: the connection, for EventWindow)
	EndStream  bool          // the peer ended its side of Stream
	Trailers   bool          // the header block is the request's trailers
	Discard    bool          // the header block must be decoded and dropped
	Local      bool          // the server reset the stream (EventReset)
	Block      []byte        // the encoded header block (EventHeaders)
	Data       []byte        // the DATA payload without padding (EventData)
	Code       http2.ErrCode // the reset's or the GOAWAY's error code
	LastStream uint32        // the last stream the peer's GOAWAY lets through
	Debug      []byte        // the peer's GOAWAY debug data
	Err        error         // the connection's failure (EventConnError), a *ConnError
}

// Conn is the server side of one HTTP/2 connection, without I/O: the
// loop feeds it the bytes it reads (Feed), and writes the bytes it queues
// (Output, Sent). Methods are not safe for concurrent use; the loop owns
// the connection.
type Conn struct {
	cfg  Config
	peer PeerSettings
	fr   *http2.Framer // reads the peer's frames from rd
	fw   *frameWriter  // a writing Framer, lent during a call (writer)
	rd   frameReader
	wr   outWriter

	next     Event  // an event for the next call of Feed
	prefaceN int    // bytes of the client preface matched so far
	settled  bool   // the preface's SETTINGS frame has come
	pend     []byte // a frame split across calls of Feed
	err      *ConnError

	streams     map[uint32]*stream
	free        []*stream
	lastStream  uint32 // highest stream id the peer opened
	goneAway    bool   // the server sent GOAWAY
	goAwayLast  uint32 // the last stream the server's GOAWAY named
	resets      idRing // streams the server reset
	closed      idRing // streams closed by both ends or by the peer
	acked       bool   // the peer acknowledged the server's SETTINGS
	resetTokens int
	control     int
	empties     int

	// header block under assembly
	hb struct {
		active    bool
		stream    uint32
		endStream bool
		trailers  bool
		discard   bool
		conts     int
		buf       []byte
	}

	sendWin     int64
	recvWin     int64
	recvUnacked int64
}

// outWriter appends what the Framer writes to the connection's output.
type outWriter struct{ b []byte }

// frameWriter is a Framer that writes frames into the output of the
// connection it is lent to. The Framer keeps a buffer as large as the
// largest frame it wrote (16 KiB after a full DATA frame): connections
// borrow one for each write instead of keeping one each, so an idle
// connection keeps none.
type frameWriter struct {
	fr *http2.Framer
	to outTarget
}

// outTarget forwards the Framer's writes to the borrower's output.
type outTarget struct{ w *outWriter }

// Write appends p to the borrower's output.
func (t *outTarget) Write(p []byte) (int, error) { return t.w.Write(p) }

var frameWriters = sync.Pool{New: func() any {
	fw := new(frameWriter)
	fw.fr = http2.NewFramer(&fw.to, nil)
	return fw
}}

// writer lends the connection a Framer that writes into its output, for
// the frames of one call of a method of Conn; lent, it is given back by
// the next call of writer or by the method's end (putWriter).
func (c *Conn) writer() *http2.Framer {
	if c.fw == nil {
		c.fw = frameWriters.Get().(*frameWriter)
		c.fw.to.w = &c.wr
	}
	return c.fw.fr
}

// putWriter gives back the Framer lent by writer.
func (c *Conn) putWriter() {
	if c.fw != nil {
		c.fw.to.w = nil
		frameWriters.Put(c.fw)
		c.fw = nil
	}
}

// Write appends p to the output.
func (w *outWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// NewConn makes the server side of a connection and queues the server
// preface: its SETTINGS and, for a connection window above the default, a
// WINDOW_UPDATE.
func NewConn(cfg Config) *Conn {
	cfg.setDefaults()
	c := &Conn{
		cfg:         cfg,
		streams:     make(map[uint32]*stream),
		sendWin:     defaultWindow,
		recvWin:     int64(cfg.ConnWindowSize),
		resetTokens: cfg.MaxResets,
		peer: PeerSettings{
			HeaderTableSize:   4096,
			InitialWindowSize: defaultWindow,
			MaxFrameSize:      16384,
		},
	}
	c.newFramer()
	set := []http2.Setting{
		{ID: http2.SettingHeaderTableSize, Val: cfg.HeaderTableSize},
		{ID: http2.SettingEnablePush, Val: 0},
		{ID: http2.SettingMaxConcurrentStreams, Val: cfg.MaxConcurrentStreams},
		{ID: http2.SettingInitialWindowSize, Val: cfg.InitialWindowSize},
		{ID: http2.SettingMaxFrameSize, Val: cfg.MaxFrameSize},
		{ID: http2.SettingMaxHeaderListSize, Val: cfg.MaxHeaderListSize},
	}
	if !cfg.NoConnectProtocol {
		set = append(set, http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 1})
	}
	c.writer().WriteSettings(set...)
	if cfg.ConnWindowSize > defaultWindow {
		c.writer().WriteWindowUpdate(0, cfg.ConnWindowSize-defaultWindow)
	}
	c.putWriter()
	return c
}

// UseBuffer lends the connection buf (its length is ignored) to queue
// its output in, if nothing is queued now, and reports whether it took
// it. With TakeBuffer, a loop serving many connections one at a time
// lends one buffer to whichever it serves, so that no connection keeps an
// output buffer of its own between its writes.
func (c *Conn) UseBuffer(buf []byte) bool {
	if len(c.wr.b) > 0 {
		return false
	}
	c.wr.b = buf[:0]
	return true
}

// TakeBuffer takes the connection's output buffer once all it queued has
// been sent (Sent), leaving it none; it returns nil while output is
// queued.
func (c *Conn) TakeBuffer() []byte {
	if len(c.wr.b) > 0 {
		return nil
	}
	b := c.wr.b
	c.wr.b = nil
	return b
}

// Output is what the connection has queued for the peer. The loop writes
// it and reports with Sent how much went out.
func (c *Conn) Output() []byte { return c.wr.b }

// Sent drops the first n bytes of Output, which the loop has written.
func (c *Conn) Sent(n int) {
	if n >= len(c.wr.b) {
		c.wr.b = c.wr.b[:0]
		c.control = 0
		return
	}
	c.wr.b = c.wr.b[:copy(c.wr.b, c.wr.b[n:])]
}

// Err is the connection error that ended the connection, or nil.
func (c *Conn) Err() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// Peer is the peer's settings as last received.
func (c *Conn) Peer() PeerSettings { return c.peer }

// State is the state of stream id.
func (c *Conn) State(id uint32) State {
	if s := c.streams[id]; s != nil {
		return s.state
	}
	if c.idle(id) {
		return StateIdle
	}
	return StateClosed
}

// idle says whether stream id has never been opened. Even ids are the
// server's, which never opens any.
func (c *Conn) idle(id uint32) bool {
	return id&1 == 0 || id > c.lastStream
}

// Feed consumes bytes read from the peer, in pieces of any size, and
// returns how many it consumed and what happened. It stops after one
// event; the loop calls it again with the rest. One frame may make two
// events (a stream error on HEADERS: the reset, then the block to
// discard): the second is returned by the next call, with n 0, before
// anything else, so a loop that calls Feed only when it has bytes still
// gets every event in order. After a connection error it consumes
// everything and reports nothing.
func (c *Conn) Feed(p []byte) (n int, ev Event) {
	defer c.putWriter()
	if c.err != nil {
		return len(p), Event{}
	}
	if c.next.Kind != EventNone {
		ev, c.next = c.next, Event{}
		return 0, ev
	}
	for n < len(p) {
		if c.err != nil {
			return len(p), Event{}
		}
		if c.prefaceN < len(Preface) {
			k := min(len(Preface)-c.prefaceN, len(p)-n)
			if string(p[n:n+k]) != Preface[c.prefaceN:c.prefaceN+k] {
				return len(p), c.fail(connErr(http2.ErrCodeProtocol, "bad client preface"))
			}
			c.prefaceN += k
			n += k
			continue
		}
		var frame []byte
		if len(c.pend) > 0 || len(p)-n < frameHeaderLen {
			// assemble in pend
			k, whole := c.assemble(p[n:])
			n += k
			if c.err != nil {
				return len(p), c.connErrEvent()
			}
			if !whole {
				return n, Event{}
			}
			frame = c.pend
		} else {
			l := frameLen(p[n:])
			if l > c.cfg.MaxFrameSize {
				return len(p), c.fail(connErr(http2.ErrCodeFrameSize, "frame larger than SETTINGS_MAX_FRAME_SIZE"))
			}
			if len(p)-n < frameHeaderLen+int(l) {
				k, _ := c.assemble(p[n:])
				return n + k, Event{}
			}
			frame = p[n : n+frameHeaderLen+int(l)]
			n += len(frame)
		}
		ev, err := c.frame(frame)
		c.pend = c.pend[:0]
		if err != nil {
			ev = c.onError(err)
		}
		if c.err != nil {
			// whatever else the frame did, the connection has failed
			c.next = Event{}
			return len(p), c.connErrEvent()
		}
		if ev.Kind != EventNone {
			return n, ev
		}
	}
	return n, Event{}
}

func frameLen(b []byte) uint32 {
	return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
}

// assemble copies into pend what it takes of p towards a whole frame.
func (c *Conn) assemble(p []byte) (n int, whole bool) {
	if c.pend == nil {
		c.pend = make([]byte, 0, frameHeaderLen+int(c.cfg.MaxFrameSize))
	}
	if len(c.pend) < frameHeaderLen {
		k := min(frameHeaderLen-len(c.pend), len(p))
		c.pend = append(c.pend, p[:k]...)
		n = k
		if len(c.pend) < frameHeaderLen {
			return n, false
		}
	}
	l := frameLen(c.pend)
	if l > c.cfg.MaxFrameSize {
		c.fail(connErr(http2.ErrCodeFrameSize, "frame larger than SETTINGS_MAX_FRAME_SIZE"))
		return n, false
	}
	need := frameHeaderLen + int(l) - len(c.pend)
	k := min(need, len(p)-n)
	c.pend = append(c.pend, p[n:n+k]...)
	return n + k, k == need
}

// fail records a connection error, queues its GOAWAY and returns the
// event that reports it.
func (c *Conn) fail(e *ConnError) Event {
	if c.err == nil {
		c.err = e
		c.next = Event{}
		last := c.lastStream
		if c.goneAway {
			// a GOAWAY never names a later stream than an earlier
			// one (RFC 9113 section 6.8)
			last = c.goAwayLast
		}
		c.writer().WriteGoAway(last, e.Code, nil)
	}
	return c.connErrEvent()
}

func (c *Conn) connErrEvent() Event {
	return Event{Kind: EventConnError, Code: c.err.Code, Err: c.err}
}

// Fail ends the connection with a connection error of the user's, such as
// an HPACK decoding failure (COMPRESSION_ERROR): a GOAWAY is queued and
// no more input is taken.
func (c *Conn) Fail(code http2.ErrCode, reason string) {
	defer c.putWriter()
	c.fail(connErr(code, reason))
}

// onError turns an error of frame handling into its frames and event.
func (c *Conn) onError(err error) Event {
	switch e := err.(type) {
	case *ConnError:
		return c.fail(e)
	case *StreamError:
		known := c.streams[e.Stream] != nil
		c.resetStream(e.Stream, e.Code)
		if c.err != nil {
			return c.connErrEvent()
		}
		if known {
			return Event{Kind: EventReset, Stream: e.Stream, Code: e.Code, Local: true}
		}
		return Event{}
	}
	return c.fail(connErr(http2.ErrCodeInternal, err.Error()))
}

// resetStream queues RST_STREAM for id and closes it.
func (c *Conn) resetStream(id uint32, code http2.ErrCode) {
	c.writer().WriteRSTStream(id, code)
	c.resets.add(id)
	c.closeStream(id, false)
	c.spendReset()
	c.queuedControl()
}

// ResetStream resets stream id on the user's account (RST_STREAM with
// code), for example when its header block does not decode into a valid
// request. Nothing happens for a stream that is not live.
func (c *Conn) ResetStream(id uint32, code http2.ErrCode) {
	defer c.putWriter()
	if c.err != nil || c.streams[id] == nil {
		return
	}
	c.writer().WriteRSTStream(id, code)
	c.resets.add(id)
	c.closeStream(id, false)
}

// spendReset accounts one stream reset before completing.
func (c *Conn) spendReset() {
	c.resetTokens--
	if c.resetTokens < 0 {
		c.fail(connErr(http2.ErrCodeEnhanceYourCalm, "too many streams reset"))
	}
}

// queuedControl accounts one frame queued in answer to the peer.
func (c *Conn) queuedControl() {
	c.control++
	if c.control > c.cfg.MaxPendingControl {
		c.fail(connErr(http2.ErrCodeEnhanceYourCalm, "too many control frames pending"))
	}
}

// closeStream forgets a stream that is closed; completed says it ended
// normally rather than by a reset.
func (c *Conn) closeStream(id uint32, completed bool) {
	s := c.streams[id]
	if s == nil {
		return
	}
	delete(c.streams, id)
	*s = stream{}
	c.free = append(c.free, s)
	if completed && c.resetTokens < c.cfg.MaxResets {
		c.resetTokens++
	}
}

// dropped says whether the peer's frames on stream id, no longer live,
// are dropped rather than errors: the server reset it (RFC 9113 section
// 5.1, frames in flight), or it is above the last stream of the server's
// GOAWAY (section 6.8).
func (c *Conn) dropped(id uint32) bool {
	return c.resets.has(id) || c.goneAway && id > c.goAwayLast
}

// newStream opens stream id on a HEADERS frame.
func (c *Conn) newStream(id uint32) *stream {
	var s *stream
	if n := len(c.free); n > 0 {
		s = c.free[n-1]
		c.free = c.free[:n-1]
	} else {
		s = new(stream)
	}
	win := int64(c.cfg.InitialWindowSize)
	if !c.acked {
		win = max(win, defaultWindow)
	}
	*s = stream{id: id, state: StateOpen, sendWin: int64(c.peer.InitialWindowSize), recvWin: win, remain: -1}
	c.streams[id] = s
	return s
}

// headers handles a HEADERS frame: frag is its header block fragment,
// selfDep says its priority names the stream itself.
func (c *Conn) headers(id uint32, frag []byte, endStream, endHeaders, selfDep bool) (Event, error) {
	c.hb.active, c.hb.stream = true, id
	c.hb.endStream = endStream
	c.hb.trailers, c.hb.discard = false, false
	c.hb.conts = 0
	c.hb.buf = append(c.hb.buf[:0], frag...)
	if err := c.checkBlockSize(); err != nil {
		return Event{}, err
	}
	var serr error
	s := c.streams[id]
	switch {
	case s != nil:
		switch {
		case s.state == StateHalfClosedRemote:
			serr = streamErr(id, http2.ErrCodeStreamClosed, "HEADERS after END_STREAM")
		case !endStream:
			serr = streamErr(id, http2.ErrCodeProtocol, "trailers without END_STREAM")
		case s.remain > 0:
			serr = streamErr(id, http2.ErrCodeProtocol, "DATA short of the content-length")
		default:
			c.hb.trailers = true
		}
	case id&1 == 0:
		return Event{}, connErr(http2.ErrCodeProtocol, "HEADERS on a server stream id")
	case id <= c.lastStream:
		switch {
		case c.dropped(id):
			c.hb.discard = true
		case c.closed.has(id):
			return Event{}, connErr(http2.ErrCodeStreamClosed, "HEADERS on a closed stream")
		default:
			return Event{}, connErr(http2.ErrCodeProtocol, "HEADERS opening a stream below one already opened")
		}
	case c.goneAway:
		c.lastStream = id
		c.hb.discard = true
	default:
		c.lastStream = id
		if uint32(len(c.streams)) >= c.cfg.MaxConcurrentStreams {
			c.writer().WriteRSTStream(id, http2.ErrCodeRefusedStream)
			c.resets.add(id)
			c.queuedControl()
			c.spendReset()
			c.hb.discard = true
			break
		}
		c.newStream(id)
	}
	if selfDep && serr == nil {
		serr = streamErr(id, http2.ErrCodeProtocol, "stream depends on itself")
	}
	var reset Event
	if serr != nil {
		c.hb.discard = true
		if reset = c.onError(serr); reset.Kind == EventConnError {
			return reset, nil
		}
	}
	if endHeaders {
		if reset.Kind != EventNone {
			c.next = c.blockDone()
			return reset, nil
		}
		return c.blockDone(), nil
	}
	return reset, nil
}

// continuation handles a CONTINUATION frame.
func (c *Conn) continuation(frag []byte, endHeaders bool) (Event, error) {
	if !c.hb.active {
		return Event{}, connErr(http2.ErrCodeProtocol, "CONTINUATION without HEADERS")
	}
	c.hb.conts++
	if c.hb.conts > c.cfg.MaxContinuations {
		return Event{}, connErr(http2.ErrCodeEnhanceYourCalm, "too many CONTINUATION frames")
	}
	c.hb.buf = append(c.hb.buf, frag...)
	if err := c.checkBlockSize(); err != nil {
		return Event{}, err
	}
	if endHeaders {
		return c.blockDone(), nil
	}
	return Event{}, nil
}

func (c *Conn) checkBlockSize() error {
	if len(c.hb.buf) > int(c.cfg.MaxHeaderListSize) {
		return connErr(http2.ErrCodeEnhanceYourCalm, "header block larger than SETTINGS_MAX_HEADER_LIST_SIZE")
	}
	return nil
}

// blockDone reports a complete header block and moves its stream on.
func (c *Conn) blockDone() Event {
	c.hb.active = false
	ev := Event{Kind: EventHeaders, Stream: c.hb.stream, EndStream: c.hb.endStream,
		Trailers: c.hb.trailers, Discard: c.hb.discard, Block: c.hb.buf}
	if s := c.streams[c.hb.stream]; s != nil && !c.hb.discard && c.hb.endStream {
		c.remoteEnded(s)
	}
	return ev
}

// remoteEnded moves a stream on after the peer's END_STREAM.
func (c *Conn) remoteEnded(s *stream) {
	switch s.state {
	case StateOpen:
		s.state = StateHalfClosedRemote
	case StateHalfClosedLocal:
		s.state = StateClosed
		c.closed.add(s.id)
		c.closeStream(s.id, true)
	}
}

// data handles a DATA frame: d is its payload without padding, flow
// the frame's whole payload, which flow control counts.
func (c *Conn) data(id uint32, d []byte, flow int, endStream bool) (Event, error) {
	if c.idle(id) {
		return Event{}, connErr(http2.ErrCodeProtocol, "DATA on an idle stream")
	}
	if int64(flow) > c.recvWin {
		return Event{}, connErr(http2.ErrCodeFlowControl, "DATA beyond the connection window")
	}
	c.recvWin -= int64(flow)
	s := c.streams[id]
	if s == nil || s.state == StateHalfClosedRemote {
		// nobody will consume it: the connection's window comes back now
		c.creditConn(int64(flow))
		if s == nil && c.dropped(id) {
			return Event{}, nil
		}
		return Event{}, streamErr(id, http2.ErrCodeStreamClosed, "DATA after END_STREAM")
	}
	if int64(flow) > s.recvWin {
		c.creditConn(int64(flow))
		return Event{}, streamErr(id, http2.ErrCodeFlowControl, "DATA beyond the stream window")
	}
	s.recvWin -= int64(flow)
	if s.remain >= 0 {
		// RFC 9113 section 8.1.1: the DATA must add up to the
		// content-length
		if s.remain -= int64(len(d)); s.remain < 0 || endStream && s.remain > 0 {
			c.creditConn(int64(flow))
			return Event{}, streamErr(id, http2.ErrCodeProtocol, "DATA not adding up to the content-length")
		}
	}
	if pad := flow - len(d); pad > 0 {
		// padding is never the user's to consume
		c.creditConn(int64(pad))
		if !endStream {
			c.creditStream(s, int64(pad))
		}
	}
	ev := Event{Kind: EventData, Stream: id, Data: d, EndStream: endStream}
	if endStream {
		c.remoteEnded(s)
	}
	return ev, nil
}

func (c *Conn) rstStream(id uint32, code http2.ErrCode) (Event, error) {
	if c.idle(id) {
		return Event{}, connErr(http2.ErrCodeProtocol, "RST_STREAM on an idle stream")
	}
	if c.streams[id] == nil {
		return Event{}, nil
	}
	c.closed.add(id)
	c.closeStream(id, false)
	c.spendReset()
	if c.err != nil {
		return c.connErrEvent(), nil
	}
	return Event{Kind: EventReset, Stream: id, Code: code}, nil
}

// settings handles a SETTINGS frame.
func (c *Conn) settings(f *http2.SettingsFrame) (Event, error) {
	if f.IsAck() {
		c.acked = true
		return Event{}, nil
	}
	for i := range f.NumSettings() {
		if err := c.applySetting(f.Setting(i)); err != nil {
			return Event{}, err
		}
	}
	c.writer().WriteSettingsAck()
	c.queuedControl()
	if c.err != nil {
		return c.connErrEvent(), nil
	}
	return Event{Kind: EventSettings}, nil
}

// validSetting checks a setting's value (RFC 9113 section 6.5.2, RFC
// 8441 section 3) and says which connection error an invalid one is.
func validSetting(s http2.Setting) *ConnError {
	if err := s.Valid(); err != nil {
		code := http2.ErrCodeProtocol
		if ce, ok := err.(http2.ConnectionError); ok {
			code = http2.ErrCode(ce) // FLOW_CONTROL_ERROR for a window
		}
		return connErr(code, "invalid "+s.ID.String())
	}
	return nil
}

// applySetting applies one of the peer's settings.
func (c *Conn) applySetting(s http2.Setting) error {
	if err := validSetting(s); err != nil {
		return err
	}
	switch s.ID {
	case http2.SettingHeaderTableSize:
		c.peer.HeaderTableSize = s.Val
	case http2.SettingMaxConcurrentStreams:
		c.peer.MaxConcurrentStreams = s.Val
	case http2.SettingInitialWindowSize:
		return c.applyInitialWindow(s.Val)
	case http2.SettingMaxFrameSize:
		c.peer.MaxFrameSize = s.Val
	case http2.SettingMaxHeaderListSize:
		c.peer.MaxHeaderListSize = s.Val
	case http2.SettingEnableConnectProtocol:
		c.peer.ConnectProtocol = s.Val == 1
	}
	return nil
}

// SettingsAckPending says whether the peer has not yet acknowledged the
// server's SETTINGS (queued by NewConn or NewUpgradedConn). The server
// expects the ACK "within a reasonable amount of time" (RFC 9113 section
// 6.5.3): Conn has no timers, so the loop times it out, from when it
// wrote the server preface, and ends the connection with
// Fail(http2.ErrCodeSettingsTimeout, ...) if it is still pending.
func (c *Conn) SettingsAckPending() bool { return !c.acked }

// LastStream is the highest stream id the peer has opened (1 on an
// upgraded connection before the peer opens another), the one a GOAWAY
// from the server names.
func (c *Conn) LastStream() uint32 { return c.lastStream }
