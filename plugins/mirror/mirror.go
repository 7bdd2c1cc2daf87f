// Package mirror is lws's lws-mirror-protocol for golws: a shared world in
// which every message a client sends is sent, as text, to every client of
// the same mirror instance, the sender included. The instance is chosen by
// the URL argument ?mirror=NAME (default ""); a vhost holds at most three.
//
// Each instance keeps the last 32 messages in a ring with one read
// position per client. When fewer than 4 slots are free, reception is
// switched off for every client of the instance, so senders meet TCP
// backpressure instead of growing the ring; it is switched back on when two
// thirds of the ring are free. While reception is off, every client too
// far behind for that (more than 11 messages behind the newest) has a
// deadline, 3 seconds by default, to catch up before it is hung up; one
// that catches up loses its deadline. So stalled readers cannot stop the
// others for long, however many they are: while reception is off, some
// client always has a deadline running, and all the clients that stalled
// together are hung up together.
//
// The per-vhost option (ProtocolOptions) "slow-timeout-ms" sets the
// deadline in milliseconds.
package mirror

import (
	"errors"
	"strconv"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/ws"
)

// Name is the protocol's name, as browsers ask for it.
const Name = "lws-mirror-protocol"

const (
	ringLen      = 32
	rxflowMin    = 4               // switch reception off below this many free slots
	rxflowMax    = ringLen * 2 / 3 // and back on at this many
	maxInstances = 3               // per vhost
	maxLag       = ringLen - rxflowMax
	slowReason   = lws.PendingTimeoutUserReasonBase
)

// SlowTimeout is how long, by default, a client that keeps reception off
// for its instance has to catch up before it is hung up. The per-vhost
// option "slow-timeout-ms" changes it.
const SlowTimeout = 3 * time.Second

type instance struct {
	name    string
	ring    [ringLen][]byte
	head    uint64 // sequence number of the next message
	members map[*member]struct{}
	rxOff   bool
	slow    int           // members with a deadline running
	slowTO  time.Duration // the deadline
}

type member struct {
	conn    *lws.Conn
	inst    *instance
	tail    uint64 // sequence number of the next message to send
	partial []byte // a message still arriving in pieces
	slow    bool   // has the deadline: reception is off and it is too far behind
}

type vhostData struct {
	instances map[string]*instance
	slowTO    time.Duration
}

func init() { lws.RegisterProtocol(Name, Protocol) }

// Protocol returns the protocol, ready for a vhost's Protocols.
func Protocol() lws.Protocol {
	return lws.Protocol{
		Name:         Name,
		Callback:     callback,
		NewSession:   func() any { return new(member) },
		RxBufferSize: 4096,
	}
}

var errTooMany = errors.New("mirror: too many mirror instances on this vhost")

var errTooBig = errors.New("mirror: message too big")

var errSlowTimeout = errors.New("mirror: slow-timeout-ms must be a positive number of milliseconds")

// MaxMessage is the largest message the mirror relays; a client sending a
// larger one is closed with 1009.
const MaxMessage = 64 << 10

func callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackProtocolInit:
		vd := &vhostData{instances: map[string]*instance{}, slowTO: SlowTimeout}
		if v, ok := c.ProtocolOption("slow-timeout-ms"); ok {
			ms, err := strconv.Atoi(v)
			if err != nil || ms <= 0 {
				return errSlowTimeout
			}
			vd.slowTO = time.Duration(ms) * time.Millisecond
		}
		c.SetVhostData(vd)

	case lws.CallbackEstablished:
		vd := c.VhostData().(*vhostData)
		name, _ := c.URLArg("mirror")
		inst := vd.instances[name]
		if inst == nil {
			if len(vd.instances) >= maxInstances {
				return errTooMany
			}
			inst = &instance{name: name, members: map[*member]struct{}{}, slowTO: vd.slowTO}
			vd.instances[name] = inst
		}
		m := c.User().(*member)
		m.conn, m.inst, m.tail = c, inst, inst.head
		inst.members[m] = struct{}{}
		if inst.rxOff {
			return c.RxFlowControl(false)
		}

	case lws.CallbackClosed:
		m := c.User().(*member)
		inst := m.inst
		if inst == nil {
			return nil
		}
		delete(inst.members, m)
		m.inst = nil
		if m.slow {
			m.slow = false
			inst.slow--
		}
		if len(inst.members) == 0 {
			delete(c.VhostData().(*vhostData).instances, inst.name)
			return nil
		}
		inst.updateFlow()

	case lws.CallbackReceive:
		m := c.User().(*member)
		inst := m.inst
		if len(m.partial)+len(in) > MaxMessage {
			c.CloseReason(ws.CloseMessageTooBig, "mirror messages are at most 64 KiB")
			return errTooBig
		}
		// A message may arrive in pieces; the ring holds whole messages.
		if !c.IsFinalFragment() {
			m.partial = append(m.partial, in...)
			return nil
		}
		if inst.free() == 0 {
			return nil // cannot happen while reception is off for everyone
		}
		slot := &inst.ring[inst.head%ringLen]
		*slot = append(append((*slot)[:0], m.partial...), in...)
		m.partial = m.partial[:0]
		inst.head++
		inst.updateFlow()
		for o := range inst.members {
			o.conn.CallbackOnWritable()
		}

	case lws.CallbackServerWriteable:
		m := c.User().(*member)
		inst := m.inst
		if inst == nil {
			return nil
		}
		for m.tail < inst.head {
			if _, err := c.Write(inst.ring[m.tail%ringLen], lws.WriteText); err != nil {
				return err
			}
			m.tail++
			if c.SendPipeChoked() {
				break
			}
		}
		inst.updateFlow()
		if m.tail < inst.head {
			c.CallbackOnWritable()
		}
	}
	// Requests for pages reach a vhost's first protocol: this one serves
	// none, so it answers 404 (lws_callback_http_dummy).
	return lws.CallbackHTTPDummy(c, reason, in)
}

// oldest returns the smallest read position of the instance's members.
func (inst *instance) oldest() uint64 {
	o := inst.head
	for m := range inst.members {
		o = min(o, m.tail)
	}
	return o
}

func (inst *instance) free() int { return ringLen - int(inst.head-inst.oldest()) }

// updateFlow switches reception of every member off or on as the ring
// fills and drains and, while it is off, keeps a deadline running for
// every member that holds it off. It runs after every change of the ring,
// of a read position or of the members, so that while reception is off
// some member always has a deadline: the instance cannot freeze.
func (inst *instance) updateFlow() {
	free := inst.free()
	switch {
	case !inst.rxOff && free < rxflowMin:
		inst.rxOff = true
		for m := range inst.members {
			_ = m.conn.RxFlowControl(false)
		}
	case inst.rxOff && free >= rxflowMax:
		inst.rxOff = false
		for m := range inst.members {
			_ = m.conn.RxFlowControl(true)
		}
	}
	if !inst.rxOff && inst.slow == 0 {
		return
	}
	for m := range inst.members {
		// Reception comes back once no member is more than maxLag behind.
		holding := inst.rxOff && inst.head-m.tail > maxLag
		switch {
		case holding && !m.slow:
			m.slow = true
			inst.slow++
			m.conn.SetTimeoutDuration(slowReason, inst.slowTO)
		case !holding && m.slow:
			m.slow = false
			inst.slow--
			m.conn.SetTimeout(lws.NoPendingTimeout, 0)
		}
	}
}
