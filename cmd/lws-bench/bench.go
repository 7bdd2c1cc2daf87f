package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/pmdeflate"
)

// bench is one run: a golws context with one client-only vhost whose
// protocol drives every connection. All of its fields are touched only
// from the service loop.
type bench struct {
	cfg    *config
	w      io.Writer
	cx     *lws.Context
	vh     *lws.Vhost
	cancel context.CancelFunc
	base   time.Time

	// connection set-up
	started, connecting, up, failed int
	compressed                      int // connections with permessage-deflate
	allUp                           bool

	// measurement
	measuring  bool
	finishing  bool
	phase      lws.Sul
	phaseStart time.Duration // monotonic, since base
	cpuStart   time.Duration
	hist       histogram
	count      uint64 // messages or requests in the measured interval
	sent, rcvd uint64 // bytes in the measured interval (slow, http)
	errors     int
	firstErr   string

	payload []byte
	request []byte
	result  *Result
}

// session is one connection's state.
type session struct {
	idx int

	// echo: send times of the messages outstanding, a ring
	sendTimes  []time.Duration
	head, tail int
	inflight   int
	rxLen      int

	// http
	sentAt time.Duration
	resp   respParser

	// slow
	received uint64

	// idle: messages echoed so far (-warm)
	warmed int
}

func newBench(cfg *config, w io.Writer) *bench {
	b := &bench{cfg: cfg, w: w, base: time.Now()}
	switch cfg.mode {
	case "echo", "slow":
		b.payload = make([]byte, cfg.size)
		for i := range b.payload {
			b.payload[i] = 'a' + byte(i%26)
		}
	case "http":
		host := cfg.target.Host
		b.request = []byte("GET " + cfg.path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: lws-bench\r\n\r\n")
	}
	return b
}

func (b *bench) now() time.Duration { return time.Since(b.base) }

func (b *bench) fail(text string) {
	b.errors++
	if b.firstErr == "" {
		b.firstErr = text
	}
}

func (b *bench) run(parent context.Context) (*Result, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	b.cancel = cancel
	cx, err := lws.NewContext(lws.ContextInfo{ServiceBufferSize: 64 << 10})
	if err != nil {
		return nil, err
	}
	defer cx.Destroy()
	b.cx = cx
	info := lws.VhostInfo{Name: "lws-bench", Port: lws.PortNoListen,
		Protocols: []lws.Protocol{{Name: "lws-bench", Callback: b.callback}}}
	if b.cfg.pmd {
		o, err := pmdeflate.ParseOptions(b.cfg.pmdOptions)
		if err != nil {
			return nil, err
		}
		info.Extensions = []lws.Extension{lws.PermessageDeflate(o)}
	}
	b.vh, err = cx.CreateVhost(info)
	if err != nil {
		return nil, err
	}
	if need := b.cfg.conns + 16; cx.FDLimit() < need {
		return nil, fmt.Errorf("%d connections need %d descriptors; the limit is %d (raise it with ulimit -n)",
			b.cfg.conns, need, cx.FDLimit())
	}
	b.launch()
	if err := cx.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	b.finishing = true
	if b.result == nil {
		// Interrupted, or idle mode let go: report what there is.
		b.result = b.report()
		if b.cfg.mode == "idle" {
			b.result.Event = "closed"
		}
		b.result.print(b.w, b.cfg.jsonOut)
	}
	return b.result, nil
}

// launch starts connections while fewer than -connecting are being set up.
func (b *bench) launch() {
	for b.connecting < b.cfg.connecting && b.started < b.cfg.conns {
		idx := b.started
		b.started++
		info := lws.ClientConnectInfo{Vhost: b.vh, Address: b.cfg.host, Port: b.cfg.port,
			Path: b.cfg.path, Host: b.cfg.target.Host, Protocol: b.cfg.protocol,
			Userdata: &session{idx: idx}, ConnectTimeout: 20 * time.Second}
		if b.cfg.mode == "http" {
			info.Method = "RAW"
		}
		if b.cfg.sources > 1 {
			info.Iface = "127.0.0." + strconv.Itoa(1+idx%b.cfg.sources)
		}
		if _, err := b.cx.ClientConnect(info); err != nil {
			b.failed++
			b.fail(err.Error())
			continue
		}
		b.connecting++
	}
	b.checkAllUp()
}

func (b *bench) checkAllUp() {
	if b.allUp || b.up+b.failed < b.cfg.conns {
		return
	}
	b.allUp = true
	if b.up == 0 {
		b.result = b.report()
		b.result.print(b.w, b.cfg.jsonOut)
		b.cancel()
		return
	}
	if b.cfg.mode == "idle" {
		r := b.report()
		r.Event = "established"
		r.print(b.w, b.cfg.jsonOut)
		if b.cfg.hold > 0 {
			b.cx.Schedule(&b.phase, b.cfg.hold, func(*lws.Sul) { b.cancel() })
		}
		return
	}
	if b.cfg.warmup <= 0 {
		// Measuring starts now, before the first WRITEABLE: a timer,
		// even of zero, would run after the loop's next WRITEABLE
		// callbacks, which may send a whole burst unmeasured.
		b.startMeasuring()
		return
	}
	b.cx.Schedule(&b.phase, b.cfg.warmup, func(*lws.Sul) { b.startMeasuring() })
}

func (b *bench) startMeasuring() {
	b.measuring = true
	b.hist.reset()
	b.count, b.sent, b.rcvd = 0, 0, 0
	b.phaseStart = b.now()
	b.cpuStart = cpuTime()
	b.cx.Schedule(&b.phase, b.cfg.duration, func(*lws.Sul) { b.finish() })
}

func (b *bench) finish() {
	b.result = b.report()
	b.measuring = false
	b.finishing = true
	b.result.print(b.w, b.cfg.jsonOut)
	b.cancel()
}

// report makes a Result of the measured interval, or of the whole run
// when measuring never started.
func (b *bench) report() *Result {
	r := &Result{Mode: b.cfg.mode, URL: b.cfg.target.String(), Connections: b.up, Compressed: b.compressed,
		Failed: b.failed, Errors: b.errors, FirstError: b.firstErr}
	start, cpu0 := b.phaseStart, b.cpuStart
	if !b.measuring {
		start, cpu0 = 0, 0
	}
	elapsed := b.now() - start
	r.Seconds = elapsed.Seconds()
	cpu := cpuTime() - cpu0
	r.CPUSeconds = cpu.Seconds()
	if elapsed > 0 {
		r.CPUPercent = 100 * cpu.Seconds() / elapsed.Seconds()
	}
	switch b.cfg.mode {
	case "echo":
		r.Size, r.Inflight, r.Messages = b.cfg.size, b.cfg.inflight, b.count
	case "http":
		r.Requests, r.ReceivedBytes = b.count, b.rcvd
	case "slow":
		r.Size, r.SentBytes, r.ReceivedBytes = b.cfg.size, b.sent, b.rcvd
	}
	if b.count > 0 {
		r.Rate = float64(b.count) / r.Seconds
		r.Latency = latencyOf(&b.hist)
	}
	return r
}

func (b *bench) callback(c *lws.Conn, reason lws.Reason, in []byte) error {
	switch reason {
	case lws.CallbackClientConnectionError:
		b.connecting--
		b.failed++
		b.fail("connect: " + string(in))
		b.launch()

	case lws.CallbackClientEstablished, lws.CallbackRawConnected:
		b.connecting--
		s := c.User().(*session)
		if b.cfg.pmd && c.ExtensionActive(pmdeflate.Name) {
			b.compressed++
		}
		if b.cfg.mode == "echo" {
			s.sendTimes = make([]time.Duration, b.cfg.inflight)
		}
		if b.cfg.mode != "idle" || b.cfg.warm > 0 {
			c.CallbackOnWritable()
		}
		if b.cfg.mode != "idle" || b.cfg.warm == 0 {
			b.up++
		}
		b.launch()

	case lws.CallbackClientClosed, lws.CallbackRawClose:
		if !b.finishing && c.User() != nil {
			b.fail("connection closed by the server")
		}

	case lws.CallbackClientWriteable, lws.CallbackRawWriteable:
		if b.finishing {
			return nil
		}
		s := c.User().(*session)
		switch b.cfg.mode {
		case "echo":
			return b.echoWrite(c, s)
		case "http":
			s.sentAt = b.now()
			_, err := c.Write(b.request, lws.WriteRaw)
			return err
		case "idle":
			if s.warmed < b.cfg.warm {
				_, err := c.Write(warmMessage(s.idx, s.warmed), lws.WriteText)
				return err
			}
		case "slow":
			if _, err := c.Write(b.payload, lws.WriteBinary); err != nil {
				return err
			}
			if b.measuring {
				b.sent += uint64(len(b.payload))
			}
			c.CallbackOnWritable()
		}

	case lws.CallbackClientReceive:
		s := c.User().(*session)
		switch b.cfg.mode {
		case "echo":
			b.echoRead(c, s, len(in))
		case "slow":
			return b.slowRead(c, s, len(in))
		case "idle":
			if s.warmed >= b.cfg.warm {
				b.fail(fmt.Sprintf("%d bytes received on an idle connection", len(in)))
				return nil
			}
			if !c.IsFinalFragment() {
				return nil
			}
			s.warmed++
			if s.warmed < b.cfg.warm {
				c.CallbackOnWritable()
				return nil
			}
			b.up++
			b.checkAllUp()
		}

	case lws.CallbackRawRX:
		s := c.User().(*session)
		return b.httpRead(c, s, in)

	case lws.CallbackTimer:
		// slow: the read budget has caught up
		return c.RxFlowControl(true)
	}
	return nil
}

// echoWrite sends messages until -inflight are outstanding or the pipe is
// full; more than one per callback only while SendPipeChoked says free.
func (b *bench) echoWrite(c *lws.Conn, s *session) error {
	wt := lws.WriteBinary
	if b.cfg.text {
		wt = lws.WriteText
	}
	for first := true; s.inflight < b.cfg.inflight; first = false {
		if !first && c.SendPipeChoked() {
			c.CallbackOnWritable()
			return nil
		}
		if _, err := c.Write(b.payload, wt); err != nil {
			return err
		}
		s.sendTimes[s.head] = b.now()
		s.head = (s.head + 1) % len(s.sendTimes)
		s.inflight++
	}
	return nil
}

func (b *bench) echoRead(c *lws.Conn, s *session, n int) {
	s.rxLen += n
	if !c.IsFinalFragment() {
		return
	}
	if s.rxLen != b.cfg.size {
		b.fail(fmt.Sprintf("echo of %d bytes for a message of %d", s.rxLen, b.cfg.size))
	}
	s.rxLen = 0
	if s.inflight == 0 {
		b.fail("a message arrived that was not sent")
		return
	}
	sentAt := s.sendTimes[s.tail]
	s.tail = (s.tail + 1) % len(s.sendTimes)
	s.inflight--
	if b.measuring {
		b.hist.record(int64(b.now() - sentAt))
		b.count++
	}
	if !b.finishing {
		c.CallbackOnWritable()
	}
}

// slowRead counts what arrived and, once more has arrived than -read-rate
// allows since the start, stops reading until the budget catches up: the
// server then meets a full socket, as it would with a slow client.
func (b *bench) slowRead(c *lws.Conn, s *session, n int) error {
	s.received += uint64(n)
	if b.measuring {
		b.rcvd += uint64(n)
	}
	elapsed := b.now()
	allowed := uint64(elapsed.Seconds() * float64(b.cfg.readRate))
	if s.received <= allowed {
		return nil
	}
	wait := time.Duration(float64(s.received-allowed) / float64(b.cfg.readRate) * float64(time.Second))
	if err := c.RxFlowControl(false); err != nil {
		return err
	}
	c.SetTimer(wait)
	return nil
}

func (b *bench) httpRead(c *lws.Conn, s *session, in []byte) error {
	if b.measuring {
		b.rcvd += uint64(len(in))
	}
	for len(in) > 0 {
		n, done, err := s.resp.feed(in)
		if err != nil {
			b.fail(err.Error())
			return err
		}
		in = in[n:]
		if !done {
			continue
		}
		if s.resp.status != 200 {
			b.fail("HTTP status " + strconv.Itoa(s.resp.status))
		}
		if b.measuring {
			b.hist.record(int64(b.now() - s.sentAt))
			b.count++
		}
		closeAfter := s.resp.close
		s.resp.reset()
		if len(in) > 0 {
			b.fail("bytes after a response that was not asked for")
			return errors.New("unexpected bytes after the response")
		}
		if closeAfter {
			// The server ends the connection: open another in its place.
			c.SetUser(nil)
			b.cfg.conns++
			b.up--
			b.launch()
			return errors.New("server asked to close")
		}
		if !b.finishing {
			c.CallbackOnWritable()
		}
	}
	return nil
}

// warmMessage is the n-th message a connection echoes before going idle
// (-warm): 1 KiB of JSON-like text, alike from one message to the next but
// not the same, as what permessage-deflate is for.
func warmMessage(conn, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"conn":%d,"seq":%d,"type":"update","items":[`, conn, n)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%d","price":%d.%02d}`, n*31+i, i, 10+i, (n+i)%100)
	}
	b.WriteString("]}")
	for b.Len() < 1024 {
		b.WriteByte(' ')
	}
	return b.Bytes()[:1024]
}
