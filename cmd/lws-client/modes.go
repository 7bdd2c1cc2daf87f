package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/plugins/fraggle"
	"github.com/golws/lws/ws"
)

// dumb: lws's dumb-increment-protocol client.

type dumbMode struct {
	a     *app
	msg   lws.MessageBuffer
	count int
	last  int
}

func (m *dumbMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	if reason != lws.CallbackClientReceive || a.closing {
		return nil
	}
	m.msg.Limit = 64
	msg, _, complete, err := m.msg.Receive(c, in)
	if err != nil || !complete {
		return err
	}
	n, err := strconv.Atoi(string(msg))
	if err != nil {
		a.fail("dumb: %q is not a number", msg)
		a.finish(c, ws.CloseNormal)
		return nil
	}
	if m.count > 0 && n != m.last+1 {
		a.fail("dumb: %d after %d", n, m.last)
		a.finish(c, ws.CloseNormal)
		return nil
	}
	m.count++
	m.last = n
	if _, err := fmt.Fprintln(a.stdout, n); err != nil {
		return err
	}
	a.counted(c, m.count)
	return nil
}

func (m *dumbMode) interrupt(c *lws.Conn) { m.a.done(c) }

func (m *dumbMode) ended(c *lws.Conn) { m.a.endedCounting(c, "dumb", "numbers", m.count) }

// mirror: lws-mirror-protocol, drawing random circles as
// libwebsockets-test-client does.

type mirrorMode struct {
	a        *app
	rng      *rand.Rand
	buf      []byte
	msg      lws.MessageBuffer
	sent     int
	pending  []string // our circles not seen back yet, oldest first
	own      int      // our circles received back
	received int      // every message received
	due      bool     // the rate allows the next circle
	start    time.Time
}

func newMirrorMode(a *app) *mirrorMode {
	return &mirrorMode{a: a, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		msg: lws.MessageBuffer{Limit: 64 << 10}}
}

// period is the time between circles, or 0 without a rate.
func (m *mirrorMode) period() time.Duration {
	if m.a.cfg.rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / m.a.cfg.rate)
}

func (m *mirrorMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	switch reason {
	case lws.CallbackClientEstablished:
		m.start = time.Now()
		m.due = true
		c.CallbackOnWritable()

	case lws.CallbackTimer:
		m.due = true
		c.CallbackOnWritable()

	case lws.CallbackClientWriteable:
		if a.closing || m.sent >= a.cfg.count || !m.due {
			return nil
		}
		r := m.rng.Uint32()
		m.buf = fmt.Appendf(m.buf[:0], "c #%06X %d %d %d;", r&0xffffff,
			m.rng.UintN(512), m.rng.UintN(256), m.rng.UintN(32)+1)
		if _, err := c.Write(m.buf, lws.WriteText); err != nil {
			return err
		}
		m.sent++
		m.pending = append(m.pending, string(m.buf))
		if m.sent < a.cfg.count {
			if p := m.period(); p > 0 {
				m.due = false
				c.SetTimer(p)
			} else {
				c.CallbackOnWritable()
			}
		}

	case lws.CallbackClientReceive:
		msg, _, complete, err := m.msg.Receive(c, in)
		if err != nil || !complete {
			return err
		}
		m.received++
		if len(m.pending) > 0 && string(msg) == m.pending[0] {
			m.pending = m.pending[1:]
			m.own++
		}
		if m.own == a.cfg.count && !a.closing {
			m.summary()
			a.done(c)
		}
	}
	return nil
}

func (m *mirrorMode) summary() {
	fmt.Fprintf(m.a.stdout, "mirror: %d circles sent, %d messages received, %d of ours back in %.1f ms\n",
		m.sent, m.received, m.own, float64(time.Since(m.start).Microseconds())/1000)
}

func (m *mirrorMode) interrupt(c *lws.Conn) {
	m.summary()
	m.a.fail("mirror: interrupted with %d of %d circles back", m.own, m.a.cfg.count)
	m.a.finish(c, ws.CloseNormal)
}

func (m *mirrorMode) ended(*lws.Conn) {
	m.summary()
	m.a.fail("mirror: the server closed with %d of %d circles back", m.own, m.a.cfg.count)
}

// fraggle: the checking client of plugins/fraggle, lws's test-fraggle.

type fraggleMode struct {
	a     *app
	proto lws.Protocol
	ok    int
}

func newFraggleMode(a *app) *fraggleMode {
	m := &fraggleMode{a: a}
	m.proto = fraggle.ClientProtocol(m.report)
	return m
}

func (m *fraggleMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	return m.proto.Callback(c, reason, in)
}

// report gets each message's result from the fraggle client protocol.
func (m *fraggleMode) report(c *lws.Conn, r fraggle.Result) error {
	a := m.a
	var ce *fraggle.ConnectError
	if a.closing || a.ended || errors.As(r.Err, &ce) {
		return nil // after our close, or a failure the app reports
	}
	if !r.OK() {
		a.fail("fraggle: %v", r)
		a.finish(c, ws.CloseNormal)
		return nil
	}
	m.ok++
	if _, err := fmt.Fprintln(a.stdout, r); err != nil {
		return err
	}
	a.counted(c, m.ok)
	return nil
}

func (m *fraggleMode) interrupt(c *lws.Conn) { m.a.done(c) }

func (m *fraggleMode) ended(c *lws.Conn) { m.a.endedCounting(c, "fraggle", "messages", m.ok) }

// ping: libwebsockets-test-ping.

// pingRing is how many pings are remembered for matching their PONGs, as
// in lws.
const pingRing = 256

// Waits for the PONGs still in flight: after the last ping of -n, and
// after SIGINT (lws's 250 ms).
const (
	pingLinger      = time.Second
	pingLingerInter = 250 * time.Millisecond
)

type pingSent struct {
	index uint64
	at    time.Time
	seen  int
}

type pingMode struct {
	a        *app
	ring     [pingRing]pingSent
	buf      []byte
	next     uint64 // index of the next ping; lws starts at 1
	tx, rx   int
	min, max time.Duration
	sum      time.Duration
	due      bool
	sending  bool
	done     bool
	start    time.Time
}

func newPingMode(a *app) *pingMode {
	return &pingMode{a: a, next: 1, buf: make([]byte, a.cfg.size)}
}

func (m *pingMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	switch reason {
	case lws.CallbackClientEstablished:
		fmt.Fprintf(a.stdout, "Websocket PING %s (%v) %d bytes of data.\n", a.cfg.host, c.PeerAddr().Addr(), a.cfg.size)
		m.start = time.Now()
		m.sending, m.due = true, true
		c.CallbackOnWritable()
		c.SetTimer(a.cfg.interval)

	case lws.CallbackTimer:
		if !m.sending {
			m.end(c) // the wait for the last PONGs is over
			return nil
		}
		m.due = true
		c.CallbackOnWritable()
		c.SetTimer(a.cfg.interval)

	case lws.CallbackClientWriteable:
		if !m.sending || !m.due || a.closing {
			return nil
		}
		m.due = false
		clear(m.buf)
		binary.BigEndian.PutUint64(m.buf, m.next)
		m.ring[m.next%pingRing] = pingSent{index: m.next, at: time.Now()}
		if _, err := c.Write(m.buf, lws.WritePing); err != nil {
			return err
		}
		m.next++
		m.tx++
		if a.cfg.count > 0 && m.tx >= a.cfg.count {
			m.stopSending(c, pingLinger)
		}

	case lws.CallbackClientReceivePong:
		m.pong(c, in)
	}
	return nil
}

// pong matches a PONG with its ping.
func (m *pingMode) pong(c *lws.Conn, in []byte) {
	if m.done {
		return
	}
	now := time.Now()
	if len(in) < 8 {
		fmt.Fprintf(m.a.stdout, "%d bytes from %s: time=(unknown)\n", len(in), m.a.cfg.host)
		return
	}
	idx := binary.BigEndian.Uint64(in)
	p := &m.ring[idx%pingRing]
	if p.index != idx || p.at.IsZero() {
		fmt.Fprintf(m.a.stdout, "%d bytes from %s: req=%d time=(unknown)\n", len(in), m.a.cfg.host, idx)
		return
	}
	p.seen++
	rtt := now.Sub(p.at)
	dup := ""
	if p.seen > 1 {
		dup = "DUP! "
	} else {
		m.rx++
		if m.rx == 1 || rtt < m.min {
			m.min = rtt
		}
		m.max = max(m.max, rtt)
		m.sum += rtt
	}
	fmt.Fprintf(m.a.stdout, "%s%d bytes from %s: req=%d time=%.3f ms\n", dup, len(in), m.a.cfg.host, idx, ms(rtt))
	if !m.sending && m.rx >= m.tx {
		m.end(c)
	}
}

// stopSending sends no more pings and waits at most linger for the PONGs
// in flight.
func (m *pingMode) stopSending(c *lws.Conn, linger time.Duration) {
	m.sending = false
	if m.rx >= m.tx {
		m.end(c)
		return
	}
	c.SetTimer(linger)
}

// end prints the statistics and closes.
func (m *pingMode) end(c *lws.Conn) {
	if m.done {
		return
	}
	m.done = true
	m.summary()
	if m.rx > 0 {
		m.a.succeed()
	} else {
		m.a.fail("ping: no PONG received")
	}
	m.a.finish(c, ws.CloseNormal)
}

func (m *pingMode) summary() {
	loss := 0
	if m.tx > 0 {
		loss = (m.tx - m.rx) * 100 / m.tx
	}
	var avg time.Duration
	if m.rx > 0 {
		avg = m.sum / time.Duration(m.rx)
	}
	fmt.Fprintf(m.a.stdout, "\n--- %s websocket ping statistics ---\n", m.a.cfg.host)
	fmt.Fprintf(m.a.stdout, "%d packets transmitted, %d received, %d%% loss, rtt min/avg/max = %.3f/%.3f/%.3f ms\n",
		m.tx, m.rx, loss, ms(m.min), ms(avg), ms(m.max))
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func (m *pingMode) interrupt(c *lws.Conn) { m.stopSending(c, pingLingerInter) }

func (m *pingMode) ended(*lws.Conn) {
	if !m.done {
		m.done = true
		m.summary()
		m.a.fail("ping: the server closed the connection")
	}
}

// echo: libwebsockets-test-client's echo mode: deterministic blocks sent
// and checked byte for byte.

// polyGen is the generator of libwebsockets-test-client's echo mode: two
// Galois LFSRs, the first stepped twice per byte.
type polyGen struct{ cyc [2]uint32 }

func newPolyGen() polyGen { return polyGen{cyc: [2]uint32{0xabcde, 0x23456789}} }

func lfsr(v, taps uint32) uint32 {
	if v&1 != 0 {
		return v>>1 ^ taps
	}
	return v >> 1
}

func (p *polyGen) next() byte {
	p.cyc[0] = lfsr(lfsr(p.cyc[0], 0xb4bcd35c), 0xb4bcd35c)
	p.cyc[1] = lfsr(p.cyc[1], 0x7a5bc2e3)
	return byte(p.cyc[0] ^ p.cyc[1])
}

type echoMode struct {
	a        *app
	tx, rx   polyGen
	buf      []byte
	sent     int
	received int
	inMsg    int // bytes of the message being received
	start    time.Time
}

func newEchoMode(a *app) *echoMode {
	return &echoMode{a: a, tx: newPolyGen(), rx: newPolyGen(), buf: make([]byte, a.cfg.size)}
}

func (m *echoMode) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	a := m.a
	switch reason {
	case lws.CallbackClientEstablished:
		m.start = time.Now()
		c.CallbackOnWritable()

	case lws.CallbackClientWriteable:
		if a.closing || m.sent >= a.cfg.count {
			return nil
		}
		for i := range m.buf {
			m.buf[i] = m.tx.next()
		}
		if _, err := c.Write(m.buf, lws.WriteBinary); err != nil {
			return err
		}
		m.sent++
		if m.sent < a.cfg.count {
			c.CallbackOnWritable()
		}

	case lws.CallbackClientReceive:
		if a.closing {
			return nil
		}
		if m.received >= m.sent {
			a.fail("echo: a message arrived that was not sent")
			a.finish(c, ws.CloseNormal)
			return nil
		}
		for i, b := range in {
			if m.inMsg+i >= a.cfg.size {
				a.fail("echo: message %d is longer than the %d bytes sent", m.received, a.cfg.size)
				a.finish(c, ws.CloseNormal)
				return nil
			}
			if want := m.rx.next(); b != want {
				a.fail("echo: mismatch in message %d at offset %d: 0x%02x, want 0x%02x", m.received, m.inMsg+i, b, want)
				a.finish(c, ws.CloseNormal)
				return nil
			}
		}
		m.inMsg += len(in)
		if !c.IsFinalFragment() {
			return nil
		}
		if m.inMsg != a.cfg.size {
			a.fail("echo: message %d came back with %d of its %d bytes", m.received, m.inMsg, a.cfg.size)
			a.finish(c, ws.CloseNormal)
			return nil
		}
		m.inMsg = 0
		m.received++
		if m.received == a.cfg.count {
			m.summary()
			a.done(c)
		}
	}
	return nil
}

func (m *echoMode) summary() {
	el := time.Since(m.start)
	rate := float64(m.received) * float64(m.a.cfg.size) / el.Seconds() / (1 << 20)
	fmt.Fprintf(m.a.stdout, "echo: %d messages of %d bytes sent, %d echoed and verified in %.1f ms (%.2f MiB/s)\n",
		m.sent, m.a.cfg.size, m.received, ms(el), rate)
}

func (m *echoMode) interrupt(c *lws.Conn) {
	m.summary()
	m.a.fail("echo: interrupted after %d of %d messages", m.received, m.a.cfg.count)
	m.a.finish(c, ws.CloseNormal)
}

func (m *echoMode) ended(*lws.Conn) {
	m.summary()
	m.a.fail("echo: the server closed after %d of %d messages", m.received, m.a.cfg.count)
}
