// Package status is lws's lws-status protocol for golws: every client of
// the protocol is told who else is connected to it on the same vhost.
//
// Whenever a connection of the protocol is established or closes, every
// connected client of it on that vhost is sent a fresh status (see below
// for how changes are gathered), as one text message in several frames: a
// TEXT frame without FIN carrying the head,
//
//	{"version":"golws","wss_over_h2":"0|1","hostname":"<host>","wsi":"<n>","conns":[
//
// then one CONTINUATION frame without FIN per connection,
//
//	{"peer":"<ip>","time":"<unix seconds of connect>","ua":"<User-Agent>"}
//
// (from the second one on, preceded by a comma), and a final CONTINUATION
// frame with FIN carrying "]}". The connections are listed newest first,
// as lws lists them, and "wsi" is how many there are. Strings are JSON
// escaped; bytes that are not UTF-8 become U+FFFD. The user agent is
// "unknown" when the client sent none or sent one longer than 255 bytes
// (lws keeps it in a 256-byte buffer), and the peer "unknown" when the
// address is not known. The hostname is the one os.Hostname gave when the
// vhost was created.
//
// A connection sends its message one frame per SERVER_WRITEABLE, asking
// for the next callback until the message is complete, so that writing a
// status never holds more than one frame per connection. The message is
// built from a snapshot of the list taken when its first frame is sent:
// connections that come or go while it is on its way do not change it, so
// a client never receives a malformed or inconsistent status. A change
// during the message is not lost either: once the message is complete, a
// fresh one describing the new list follows it (lws's "changed partway").
// Snapshots are shared by every connection that starts a message while the
// list stays the same. Messages received from clients are ignored.
//
// Changes are gathered, so that many arrivals cost little more than one.
// A new connection is sent its first status at once. The others are told
// of a change at once too, unless they were told of one less than
// MinInterval ago (the per-vhost option "min-interval-ms" sets it; 0
// tells every change at once, as lws does): then one status, sent when
// the interval is up, tells them of every change made meanwhile. A client
// is owed at most one fresh status besides the one under way, whatever
// the number of changes, and one that already has the current list, such
// as a newcomer, is not sent it again. Each change costs a flag per
// client at most, and the list is built once per change, not per client.
// A client that does not read stops being written to once its socket is
// full (lws.ContextInfo.SendQueueLimit) and is sent its next status, of
// the list as it is then, when it has drained.
package status

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/golws/lws"
	"github.com/golws/lws/hdr"
)

// Name is the protocol's name, as browsers ask for it.
const Name = "lws-status"

// Version is the value of the "version" member of every status.
const Version = "golws"

// RxBufferSize is the protocol's receive buffer size, as in lws.
const RxBufferSize = 512

// MinInterval is, by default, the shortest time between two statuses a
// client is sent for changes of the list (its first status is sent at
// once). lws has no such interval: it tells every change at once. The
// per-vhost option "min-interval-ms" changes it; 0 turns it off.
const MinInterval = 250 * time.Millisecond

var errMinInterval = errors.New("lws-status: min-interval-ms must be a number of milliseconds, 0 or more")

// maxUserAgent is the longest user agent kept; longer ones are "unknown".
const maxUserAgent = 255

// unknown stands for a peer or user agent that is not known.
const unknown = "unknown"

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:         Name,
		Callback:     callback,
		NewSession:   func() any { return new(session) },
		RxBufferSize: RxBufferSize,
	}
}

// snapshot is the list of connections as one status message describes it.
// It is never modified once built. Its list is a prefix of the vhost's
// array of sessions, which is only ever appended to while a snapshot uses
// it (a removal then copies it), so that taking a snapshot costs the same
// whatever the number of connections, and the snapshots taken between two
// removals share one array.
type snapshot struct {
	head []byte     // the first frame, up to and including "conns":[
	list []*session // the connections, oldest first; sent newest first
}

// vhostData is the protocol's state on one vhost.
type vhostData struct {
	prefix   []byte     // the head of every status up to the count
	wssAt    int        // where the head's "wss_over_h2" digit is
	sessions []*session // established connections, oldest first
	snap     *snapshot  // the current list, built when first needed
	shared   bool       // a snapshot uses sessions' array
	gen      uint64     // counts the changes of the list

	cx       *lws.Context  // for the timer; nil tells every change at once
	interval time.Duration // MinInterval, or the vhost's option
	told     time.Time     // when the clients were last told of a change
	tell     lws.Sul       // armed while a change waits for the interval
}

// session is one connection's state.
type session struct {
	conn   *lws.Conn
	entry  []byte // this connection's object in the list, made at ESTABLISHED
	listed bool

	overH2  bool      // the connection is a WebSocket over HTTP/2: its "wss_over_h2" is "1"
	pending bool      // a fresh status is owed
	snap    *snapshot // the list of the message being sent; nil between messages
	lastGen uint64    // the list's gen when the last message began
	next    int       // how many of snap's connections were sent
	buf     []byte
}

// vhostDataFor makes the protocol's state for c's vhost, with its options.
func vhostDataFor(c *lws.Conn) (*vhostData, error) {
	host, _ := os.Hostname()
	vd := newVhostData(host)
	vd.cx, vd.interval = c.Context(), MinInterval
	if v, ok := c.ProtocolOption("min-interval-ms"); ok {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return nil, errMinInterval
		}
		vd.interval = time.Duration(ms) * time.Millisecond
	}
	return vd, nil
}

func newVhostData(hostname string) *vhostData {
	if hostname == "" {
		hostname = unknown
	}
	p := []byte(`{"version":`)
	p = appendJSONString(p, Version)
	p = append(p, `,"wss_over_h2":"`...)
	at := len(p)
	p = append(p, `0","hostname":`...)
	p = appendJSONString(p, hostname)
	p = append(p, `,"wsi":"`...)
	return &vhostData{prefix: p, wssAt: at}
}

// current returns the snapshot of the list as it is now.
func (vd *vhostData) current() *snapshot {
	if vd.snap != nil {
		return vd.snap
	}
	n := len(vd.sessions)
	head := append([]byte(nil), vd.prefix...)
	head = strconv.AppendInt(head, int64(n), 10)
	head = append(head, `","conns":[`...)
	vd.snap = &snapshot{head: head, list: vd.sessions[:n:n]}
	vd.shared = true
	return vd.snap
}

// add lists an established connection, owes it its first status at once
// and tells everyone.
func (vd *vhostData) add(s *session) {
	vd.sessions = append(vd.sessions, s)
	s.listed = true
	s.pending = true
	if s.conn != nil {
		s.conn.CallbackOnWritable()
	}
	vd.changed()
}

// remove unlists a connection that closed and tells everyone left.
func (vd *vhostData) remove(s *session) {
	if !s.listed {
		return
	}
	s.listed = false
	if i := slices.Index(vd.sessions, s); i >= 0 {
		if vd.shared {
			vd.sessions = slices.Concat(vd.sessions[:i], vd.sessions[i+1:])
			vd.shared = false
		} else {
			vd.sessions = slices.Delete(vd.sessions, i, i+1)
		}
	}
	vd.changed()
}

// changed records a change of the list: the clients are told of it at
// once, or when MinInterval has passed since they were last told, with
// every other change made meanwhile.
func (vd *vhostData) changed() {
	vd.snap = nil
	vd.gen++
	if vd.tell.Scheduled() {
		return // told with the change already waiting
	}
	wait := vd.interval - time.Since(vd.told)
	if vd.cx == nil || vd.interval <= 0 || wait <= 0 {
		vd.tellAll(nil)
		return
	}
	vd.cx.Schedule(&vd.tell, wait, vd.tellAll)
}

// tellAll owes a fresh status to every listed connection that is not owed
// one already and did not begin its last message with the current list
// (a newcomer, for one).
// A connection in the middle of a message finishes it first: the flag is
// looked at only when a message is complete.
func (vd *vhostData) tellAll(*lws.Sul) {
	vd.told = time.Now()
	for _, s := range vd.sessions {
		if s.pending || s.lastGen == vd.gen {
			continue
		}
		s.pending = true
		if s.conn != nil {
			s.conn.CallbackOnWritable()
		}
	}
}

// nextFrame returns the next frame this connection has to send and how to
// write it, starting a fresh message if one is owed; ok is false when
// there is nothing to send. The returned slice is valid until the next
// call.
func (s *session) nextFrame(vd *vhostData) (p []byte, wt lws.WriteType, ok bool) {
	if s.snap == nil {
		if !s.pending {
			return nil, 0, false
		}
		s.pending = false
		s.snap, s.next, s.lastGen = vd.current(), 0, vd.gen
		if s.overH2 {
			s.buf = append(s.buf[:0], s.snap.head...)
			s.buf[vd.wssAt] = '1'
			return s.buf, lws.WriteText | lws.WriteNoFin, true
		}
		return s.snap.head, lws.WriteText | lws.WriteNoFin, true
	}
	if l := s.snap.list; s.next < len(l) {
		b := s.buf[:0]
		if s.next > 0 {
			b = append(b, ',')
		}
		b = append(b, l[len(l)-1-s.next].entry...)
		s.buf = b
		s.next++
		return b, lws.WriteContinuation | lws.WriteNoFin, true
	}
	s.snap = nil
	return []byte("]}"), lws.WriteContinuation, true
}

// more reports whether the connection has more to send.
func (s *session) more() bool { return s.snap != nil || s.pending }

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit:
		vd, err := vhostDataFor(c)
		if err != nil {
			return err
		}
		c.SetVhostData(vd)

	case lws.CallbackProtocolDestroy:
		if vd, ok := c.VhostData().(*vhostData); ok && vd != nil {
			vd.tell.Cancel()
		}
		c.SetVhostData(nil)

	case lws.CallbackEstablished:
		vd := vhostDataOf(c)
		s := c.User().(*session)
		s.conn, s.overH2 = c, c.IsHTTP2()
		// The request headers are released after this callback.
		s.entry = appendEntry(nil, peerString(c.PeerAddr()), time.Now().Unix(),
			userAgent(c.Hdr(hdr.TokenUserAgent)))
		vd.add(s)

	case lws.CallbackClosed:
		s, _ := c.User().(*session)
		if s == nil || !s.listed {
			return nil
		}
		vd := vhostDataOf(c)
		s.conn, s.snap, s.pending = nil, nil, false
		vd.remove(s)

	case lws.CallbackServerWriteable:
		s := c.User().(*session)
		if !s.listed {
			return nil
		}
		p, wt, ok := s.nextFrame(vhostDataOf(c))
		if !ok {
			return nil // a WRITEABLE nobody asked for
		}
		if _, err := c.Write(p, wt); err != nil {
			return err
		}
		if s.more() {
			c.CallbackOnWritable()
		}
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}

// vhostDataOf returns the vhost's state, making it if PROTOCOL_INIT was
// skipped (OptionSkipProtocolInit); an invalid "min-interval-ms" is then
// taken as the default.
func vhostDataOf(c *lws.Conn) *vhostData {
	if vd, ok := c.VhostData().(*vhostData); ok && vd != nil {
		return vd
	}
	vd, err := vhostDataFor(c)
	if err != nil {
		host, _ := os.Hostname()
		vd = newVhostData(host)
		vd.cx, vd.interval = c.Context(), MinInterval
	}
	c.SetVhostData(vd)
	return vd
}

// userAgent applies lws's rules to the User-Agent header's value.
func userAgent(ua string) string {
	if ua == "" || len(ua) > maxUserAgent {
		return unknown
	}
	return ua
}

// peerString is the peer's IP address as text, IPv4 without the IPv6
// mapping.
func peerString(ap netip.AddrPort) string {
	a := ap.Addr()
	if !a.IsValid() {
		return unknown
	}
	return a.Unmap().String()
}

// appendEntry appends one connection's object of the "conns" list.
func appendEntry(dst []byte, peer string, unix int64, ua string) []byte {
	dst = append(dst, `{"peer":`...)
	dst = appendJSONString(dst, peer)
	dst = append(dst, `,"time":"`...)
	dst = strconv.AppendInt(dst, unix, 10)
	dst = append(dst, `","ua":`...)
	dst = appendJSONString(dst, ua)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, bytes that are not UTF-8 replaced by U+FFFD,
// and U+2028 and U+2029 escaped so that the text is also valid JavaScript.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\':
				dst = append(dst, '\\', b)
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			case b < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			default:
				dst = append(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028':
			dst = append(dst, `\u2028`...)
		case r == '\u2029':
			dst = append(dst, `\u2029`...)
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
