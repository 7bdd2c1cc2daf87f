// Package dumbincrement is lws's dumb-increment-protocol for golws: every
// connected client is sent a counter, as a text message, every 50 ms. A
// client sending "reset\n" sets its counter back to 0, and "closeme\n"
// makes the server close with 1001 and the reason "seeya". The per-vhost
// option "options", an integer whose bit 0 is set, turns the periodic
// sending off.
//
// Received data reaches the protocol in pieces of at most RxBufferSize
// (10) bytes, and, as in lws, a piece is a command when it starts with
// one: "reset\nxyz" resets too. Anything else, such as the 9000 bytes of
// "a" the test page's "Send junk" button sends, is read and ignored: the
// connection stays open and its counter runs on.
package dumbincrement

import (
	"bytes"
	"errors"
	"strconv"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/ws"
)

// Name is the protocol's name, as browsers ask for it.
const Name = "dumb-increment-protocol"

// Interval is how often each client is sent its counter.
const Interval = 50 * time.Millisecond

// RxBufferSize is the protocol's receive buffer size, as in lws: the
// largest piece of a message handed to the callback at once.
const RxBufferSize = 10

type session struct {
	number int
	buf    [20]byte
}

type vhostData struct {
	noPeriodic bool
	interval   time.Duration
}

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

var errCloseMe = errors.New("dumb-increment: client asked to close")

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit:
		vd := &vhostData{interval: Interval}
		if v, ok := c.ProtocolOption("options"); ok {
			n, _ := strconv.Atoi(v)
			vd.noPeriodic = n&1 != 0
		}
		if v, ok := c.ProtocolOption("interval-ms"); ok {
			ms, err := strconv.Atoi(v)
			if err != nil || ms <= 0 {
				return errors.New("dumb-increment: interval-ms must be a positive number of milliseconds")
			}
			vd.interval = time.Duration(ms) * time.Millisecond
		}
		c.SetVhostData(vd)

	case lws.CallbackEstablished:
		c.User().(*session).number = 0
		if vd := vhost(c); !vd.noPeriodic {
			c.SetTimer(vd.interval)
		}

	case lws.CallbackTimer:
		c.CallbackOnWritable()
		c.SetTimer(vhost(c).interval)

	case lws.CallbackServerWriteable:
		s := c.User().(*session)
		msg := strconv.AppendInt(s.buf[:0], int64(s.number), 10)
		s.number++
		if _, err := c.Write(msg, lws.WriteText); err != nil {
			return err
		}

	case lws.CallbackReceive:
		if len(in) < 6 {
			return nil
		}
		if bytes.HasPrefix(in, []byte("reset\n")) {
			c.User().(*session).number = 0
		}
		if bytes.HasPrefix(in, []byte("closeme\n")) {
			c.CloseReason(ws.CloseGoingAway, "seeya")
			return errCloseMe
		}
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}

// vhost returns the vhost's settings, or the defaults when PROTOCOL_INIT
// was skipped.
func vhost(c *lws.Conn) *vhostData {
	if vd, ok := c.VhostData().(*vhostData); ok {
		return vd
	}
	return &vhostData{interval: Interval}
}
