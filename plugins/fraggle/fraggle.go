// Package fraggle is lws's random fragmentation test (test-fraggle) for
// golws: a server that sends messages cut into random fragments, and a
// client that checks them.
//
// # Wire behaviour
//
// The protocol is "fraggle-protocol", as in lws. Once a client is
// established, the server (Protocol) sends, one frame per
// SERVER_WRITEABLE:
//
//  1. one binary message in 1 to 1024 frames (a BINARY frame and then
//     CONTINUATION frames, all but the last without FIN), each frame
//     holding 1 to 512 random bytes; both numbers are drawn at random for
//     each message and each frame, as lws 2.4's test-fraggle draws them;
//  2. a separate binary message of 4 bytes: the sum of every byte of the
//     message before it, modulo 2^32, big-endian.
//
// and then starts again with a new random message, for as long as the
// client stays connected. Whatever the client sends is ignored.
//
// Three per-vhost options (VhostInfo.ProtocolOptions[Name]) change this;
// lws has none of them:
//
//   - "max-fragments": the most frames of a message (default 1024, at most
//     1048576);
//   - "max-fragment-size": the most bytes of a frame (default 512, at most
//     16 MiB);
//   - "messages": how many messages (each with its checksum) to send; once
//     they are sent the server closes the connection with 1000 "done".
//     0, the default, never stops, as lws does.
//
// # The client
//
// ClientProtocol is the checking side, for a WebSocket client made with
// Context.ClientConnect (Method "", Protocol Name). It adds up the bytes
// of each message as they arrive in CLIENT_RECEIVE pieces, counts its
// frames, and when the checksum message arrives reports a Result to the
// function it was given. The client sends nothing.
package fraggle

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/golws/lws"
	"github.com/golws/lws/ws"
)

// Name is the protocol's name, the same as lws's test-fraggle uses.
const Name = "fraggle-protocol"

// Defaults of the per-vhost options, lws 2.4's bounds.
const (
	DefaultMaxFragments    = 1024
	DefaultMaxFragmentSize = 512
)

// Per-vhost option names.
const (
	OptionMaxFragments    = "max-fragments"
	OptionMaxFragmentSize = "max-fragment-size"
	OptionMessages        = "messages"
)

// ChecksumSize is the length of the checksum message.
const ChecksumSize = 4

// Sum is the checksum of p: the sum of its bytes modulo 2^32, starting
// from sum, so that a message can be summed piece by piece.
func Sum(sum uint32, p []byte) uint32 {
	for _, b := range p {
		sum += uint32(b)
	}
	return sum
}

// serverState is where a server connection is in its sequence.
type serverState int

const (
	startMessage serverState = iota // the next write starts a message
	payload                         // in the middle of a message
	postSum                         // the message is sent, its sum is next
	finished                        // "messages" messages sent
)

// server is the per-vhost state of the server protocol.
type server struct {
	maxFragments int
	maxSize      int
	messages     int
	rng          *rand.ChaCha8
}

// serverSession is one server connection's state.
type serverSession struct {
	state serverState
	left  int // frames of the message still to send
	first bool
	sum   uint32
	total int
	sent  int // messages whose checksum has been sent
	buf   []byte
}

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the server side, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:       Name,
		Callback:   serverCallback,
		NewSession: func() any { return new(serverSession) },
	}
}

var errDone = errors.New("fraggle: every message sent")

func newServer(c *lws.Conn) (*server, error) {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails
	sv := &server{
		maxFragments: DefaultMaxFragments,
		maxSize:      DefaultMaxFragmentSize,
		rng:          rand.NewChaCha8(seed),
	}
	for _, o := range []struct {
		name     string
		dst      *int
		min, max int
	}{
		{OptionMaxFragments, &sv.maxFragments, 1, 1 << 20},
		{OptionMaxFragmentSize, &sv.maxSize, 1, 16 << 20},
		{OptionMessages, &sv.messages, 0, math.MaxInt},
	} {
		v, ok := c.ProtocolOption(o.name)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < o.min || n > o.max {
			return nil, fmt.Errorf("fraggle: option %s=%q: want an integer from %d to %d", o.name, v, o.min, o.max)
		}
		*o.dst = n
	}
	return sv, nil
}

// serverOf returns the vhost's state, making it if PROTOCOL_INIT was
// skipped.
func serverOf(c *lws.Conn) (*server, error) {
	if sv, ok := c.VhostData().(*server); ok && sv != nil {
		return sv, nil
	}
	sv, err := newServer(c)
	if err != nil {
		return nil, err
	}
	c.SetVhostData(sv)
	return sv, nil
}

// draw returns a number from 1 to n.
func (sv *server) draw(n int) int { return int(sv.rng.Uint64()%uint64(n)) + 1 }

func serverCallback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit:
		sv, err := newServer(c)
		if err != nil {
			return err
		}
		c.SetVhostData(sv)

	case lws.CallbackProtocolDestroy:
		c.SetVhostData(nil)

	case lws.CallbackEstablished:
		if _, err := serverOf(c); err != nil {
			return err
		}
		s := c.User().(*serverSession)
		s.state = startMessage
		lws.Infof("fraggle: server sees client connect")
		c.CallbackOnWritable() // start the ball rolling

	case lws.CallbackServerWriteable:
		sv, err := serverOf(c)
		if err != nil {
			return err
		}
		return c.User().(*serverSession).writeable(c, sv)
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}

// writeable sends the next frame of the sequence.
func (s *serverSession) writeable(c *lws.Conn, sv *server) error {
	switch s.state {
	case finished:
		return nil
	case startMessage:
		if sv.messages > 0 && s.sent >= sv.messages {
			s.state = finished
			c.CloseReason(ws.CloseNormal, "done")
			return errDone
		}
		s.left = sv.draw(sv.maxFragments)
		s.first, s.sum, s.total = true, 0, 0
		s.state = payload
		lws.Infof("fraggle: spamming %d random fragments", s.left)
		fallthrough
	case payload:
		if len(s.buf) < sv.maxSize {
			s.buf = make([]byte, sv.maxSize)
		}
		p := s.buf[:sv.draw(sv.maxSize)]
		_, _ = sv.rng.Read(p)
		s.sum = Sum(s.sum, p)
		s.total += len(p)
		s.left--
		wt := lws.WriteWSFlags(lws.WriteBinary, s.first, s.left == 0)
		s.first = false
		if s.left == 0 {
			s.state = postSum
		}
		if _, err := c.Write(p, wt); err != nil {
			return err
		}
	case postSum:
		lws.Infof("fraggle: spamming session over, len = %d, sum = 0x%x", s.total, s.sum)
		var p [ChecksumSize]byte
		binary.BigEndian.PutUint32(p[:], s.sum)
		if _, err := c.Write(p[:], lws.WriteBinary); err != nil {
			return err
		}
		s.sent++
		s.state = startMessage
	}
	c.CallbackOnWritable()
	return nil
}

// Result is what the client learned from one message and its checksum.
type Result struct {
	// Bytes is the length of the message.
	Bytes int
	// Frames is how many WebSocket frames the message came in.
	Frames int
	// Pieces is how many CLIENT_RECEIVE callbacks delivered it (a frame
	// larger than the receive buffer comes in several).
	Pieces int
	// Sum is the sum of the bytes received, modulo 2^32.
	Sum uint32
	// ServerSum is the checksum the server sent.
	ServerSum uint32
	// Err, if not nil, says why there is no valid checksum to compare:
	// the checksum message was not 4 binary bytes, a message was not
	// binary, the connection failed, or it ended in the middle of a
	// message.
	Err error
}

// OK reports whether the message arrived as the server sent it.
func (r Result) OK() bool { return r.Err == nil && r.Sum == r.ServerSum }

// String describes the result as lws's test-fraggle client prints it.
func (r Result) String() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("error after %d bytes in %d frames: %v", r.Bytes, r.Frames, r.Err)
	case r.OK():
		return fmt.Sprintf("EOM received %d correctly from %d fragments", r.Bytes, r.Frames)
	}
	return fmt.Sprintf("ERROR at EOM: length %d, rx sum = 0x%X, server says it sent 0x%X", r.Bytes, r.Sum, r.ServerSum)
}

// Errors a Result may carry.
var (
	// ErrChecksumMessage: the message after the payload was not 4 binary
	// bytes.
	ErrChecksumMessage = errors.New("fraggle: the checksum message is not 4 binary bytes")
	// ErrNotBinary: a payload message was sent as text.
	ErrNotBinary = errors.New("fraggle: the payload message is not binary")
	// ErrIncomplete: the connection ended before a message's checksum.
	ErrIncomplete = errors.New("fraggle: the connection ended in the middle of a message")
)

// ConnectError is the Err of a Result reported when the client could not
// connect; it holds the library's reason.
type ConnectError struct{ Reason string }

// Error describes the failure.
func (e *ConnectError) Error() string { return "fraggle: connection failed: " + e.Reason }

// clientState is where a client connection is in the sequence.
type clientState int

const (
	awaitMessage clientState = iota
	inPayload
	awaitSum
)

type clientSession struct {
	state  clientState
	r      Result
	sum    [ChecksumSize]byte
	sumLen int  // bytes of the checksum message seen (may exceed 4)
	bad    bool // the checksum message was not binary
}

// ClientProtocol returns the client side. report is called on the loop
// after every checksum message with the Result of the message before it;
// returning an error closes the connection (set a close code with
// Conn.CloseReason first if it matters), which is how a client stops after
// as many messages as it wants. report is also called, with Err set and
// its return value ignored, when the connection fails (a *ConnectError) or
// ends in the middle of a message (ErrIncomplete). A nil report logs each
// result instead, as lws's test client does. The protocol keeps its state
// in the connection's user data: leave ClientConnectInfo.Userdata nil.
func ClientProtocol(report func(c *lws.Conn, r Result) error) lws.Protocol {
	if report == nil {
		report = func(_ *lws.Conn, r Result) error {
			if r.OK() {
				lws.Noticef("fraggle: %v", r)
			} else {
				lws.Errf("fraggle: %v", r)
			}
			return nil
		}
	}
	return lws.Protocol{
		Name:       Name,
		NewSession: func() any { return new(clientSession) },
		Callback: func(c *lws.Conn, reason lws.Reason, in []byte) error {
			s, _ := c.User().(*clientSession)
			if s == nil {
				return nil
			}
			switch reason {
			case lws.CallbackClientEstablished:
				*s = clientSession{}
			case lws.CallbackClientReceive:
				if r, ok := s.receive(c, in); ok {
					return report(c, r)
				}
			case lws.CallbackClientConnectionError:
				_ = report(c, Result{Err: &ConnectError{Reason: string(in)}})
			case lws.CallbackClientClosed:
				if s.state != awaitMessage {
					r := s.r
					r.Err = ErrIncomplete
					s.state = awaitMessage
					_ = report(c, r)
				}
			}
			return nil
		},
	}
}

// receive takes one CLIENT_RECEIVE piece; ok is true when a checksum
// message has ended and r is its result.
func (s *clientSession) receive(c *lws.Conn, in []byte) (r Result, ok bool) {
	switch s.state {
	case awaitMessage:
		s.r = Result{}
		s.state = inPayload
		fallthrough
	case inPayload:
		if !c.FrameIsBinary() && s.r.Err == nil {
			s.r.Err = ErrNotBinary
		}
		s.r.Sum = Sum(s.r.Sum, in)
		s.r.Bytes += len(in)
		s.r.Pieces++
		if c.RemainingPacketPayload() == 0 {
			s.r.Frames++
		}
		if c.IsFinalFragment() {
			s.state = awaitSum
			s.sumLen, s.bad = 0, false
		}
	case awaitSum:
		if s.sumLen < ChecksumSize {
			copy(s.sum[s.sumLen:], in)
		}
		s.sumLen += len(in)
		s.bad = s.bad || !c.FrameIsBinary()
		if !c.IsFinalFragment() {
			return Result{}, false
		}
		r = s.r
		if s.sumLen != ChecksumSize || s.bad {
			if r.Err == nil {
				r.Err = ErrChecksumMessage
			}
		} else {
			r.ServerSum = binary.BigEndian.Uint32(s.sum[:])
		}
		s.state = awaitMessage
		return r, true
	}
	return Result{}, false
}
