package h2

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/net/http2"
)

// maxOutput bounds what a connection may queue on its own account
// between two drains: the preface, acknowledgements and resets up to
// MaxPendingControl, window updates, a GOAWAY.
const maxOutput = 64 << 10

// FuzzConnFeed feeds arbitrary bytes after a valid preface, in pieces
// cut where the input says, to a connection started with the preface or
// upgraded (cut's high bit), draining the output whole, in part or not at
// all. Nothing may panic; Feed always progresses; the output read as the
// peer reads it is well-formed frames a server may send (peerView); the
// connection keeps its invariants (checkConn: windows within 2^31-1,
// every bound of Config) and its output stays bounded; once failed it
// takes everything and reports nothing.
func FuzzConnFeed(f *testing.F) {
	for i, seed := range seeds() {
		f.Add(seed, uint8(i*37%256))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		c := NewConn(Config{})
		if cut&0x80 != 0 {
			c, _ = NewUpgradedConn(Config{}, nil)
		}
		v := newPeerView()
		drain := func(k int) { v.sent(t, c, k) }
		c.Feed([]byte(Preface))
		step := int(cut)%64 + 1
		for len(in) > 0 {
			k := min(step, len(in))
			p := in[:k]
			for len(p) > 0 {
				n, ev := c.Feed(p)
				if n < 0 || n > len(p) {
					t.Fatalf("consumed %d of %d", n, len(p))
				}
				if ev.Kind == EventData {
					c.Consumed(ev.Stream, len(ev.Data))
				}
				if ev.Kind == EventConnError && (c.Err() == nil || n != len(p)) {
					t.Fatalf("connection error %v, %d of %d consumed", c.Err(), n, len(p))
				}
				if n == 0 && ev.Kind == EventNone {
					t.Fatal("no progress")
				}
				p = p[n:]
			}
			in = in[k:]
			checkConn(t, c, 0)
			v.scan(t, c)
			if len(c.Output()) > maxOutput {
				t.Fatalf("output grew to %d bytes", len(c.Output()))
			}
			switch step & 3 {
			case 0:
				drain(len(c.Output()))
			case 1:
				drain(len(c.Output()) / 2)
			}
		}
		drain(len(c.Output()))
		if c.Err() != nil {
			if n, ev := c.Feed([]byte("more")); n != 4 || ev.Kind != EventNone || len(c.Output()) != 0 {
				t.Fatalf("after the error: %d, %v, %d bytes queued", n, ev.Kind, len(c.Output()))
			}
		}
	})
}

// FuzzStreams drives the stream state machine with a program: each op
// is a client frame sequence (opening streams, trailers, DATA, resets,
// windows, priorities, settings, pings, GOAWAY, the odd malformed frame)
// or an action of the server's user (headers, data, resets, Consumed,
// GOAWAY, draining the output); the client keeps to the flow-control
// windows it was given and gives. On top of peerView and checkConn, the
// connection's windows must equal the peer's view of them whenever the
// output is drained, no FLOW_CONTROL_ERROR may come, and the server's
// DATA must fit the windows the client gave.
func FuzzStreams(f *testing.F) {
	for _, seed := range streamSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		runStreams(t, prog)
	})
}

// streamSeeds are programs for FuzzStreams (see runStreams for the ops).
func streamSeeds() [][]byte {
	return [][]byte{
		// a GET answered
		{0, 0x01, 0, 9, 0, 40, 0x01, 10, 0, 0xff, 0xff, 0x01, 14, 0},
		// a POST with a body, consumed, answered in pieces
		{0, 0x00, 0, 2, 0, 0x40, 0x00, 0x05, 12, 0, 0xff, 2, 0, 0x10, 0x00, 0x01, 9, 0, 10, 0, 10, 0x00, 0xff, 0x01, 14, 3},
		// settings, window updates, a reset, a GOAWAY
		{6, 0x01, 0x00, 0x10, 0x00, 0x00, 0, 0x00, 0, 4, 0, 0x10, 0x00, 4, 0xff, 0x7f, 0xff, 3, 0, 8, 13, 0, 0x01, 14, 0, 8, 0},
		// an upgraded connection answering stream 1
		{0x80 | 15, 6, 0x00, 0x20, 0x00, 0x00, 9, 0, 0x40, 0x00, 10, 0, 0xff, 0xff, 0x01, 14, 0},
		// floods
		{7, 0, 7, 0, 7, 1, 7, 2, 7, 3, 5, 0, 0, 5, 0, 1, 0, 0x00, 0, 3, 0, 0, 0, 3, 0, 0},
		// what the fuzzer found: a PRIORITY making an idle stream, or a
		// server's, depend on itself (no RST_STREAM for an idle stream);
		// a refused header block still pending when the user fails the
		// connection; windows after a lower SETTINGS_INITIAL_WINDOW_SIZE
		[]byte("%1100000000000000000"),
		[]byte("%ZZ0000000000"),
		[]byte("0I00000\xff\xff"),
		[]byte("000000\xff000\xff0000000Z00001&0"),
	}
}

// progReader reads a FuzzStreams program; past its end it reads zeros.
type progReader []byte

func (p *progReader) byte() byte {
	if len(*p) == 0 {
		return 0
	}
	b := (*p)[0]
	*p = (*p)[1:]
	return b
}

func (p *progReader) u16() int { return int(p.byte())<<8 | int(p.byte()) }

var traceStreams = os.Getenv("H2_TRACE") != ""

func runStreams(t testing.TB, prog []byte) {
	pr := progReader(prog)
	cfg := Config{MaxConcurrentStreams: 4, ConnWindowSize: 100000, MaxResets: 20, MaxPendingControl: 20, MaxEmptyFrames: 10}
	v := newPeerView()
	v.flow = true
	opened := map[uint32]bool{}
	var ids []uint32    // the streams the client opened, in order
	nextID := uint32(1) // the client's next new stream; those below are not idle
	v.opened = func(id uint32) bool { return id < nextID }
	clientInitial := int64(defaultWindow) // the client's SETTINGS_INITIAL_WINDOW_SIZE
	open := func(id uint32) {
		opened[id] = true
		ids = append(ids, id)
		v.recvStream[id] = clientInitial
		v.grant[id] = defaultWindow
	}
	var c *Conn
	if len(pr) > 0 && pr[0]&0x80 != 0 {
		pr.byte()
		// the upgrade's HTTP2-Settings: an initial window
		iw := uint32(pr.u16()) << 4
		var err error
		if c, err = NewUpgradedConn(cfg, []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: iw}}); err != nil {
			t.Fatal(err)
		}
		clientInitial = int64(iw)
		open(1)
	} else {
		c = NewConn(cfg)
	}
	cl := newClient().preface()
	if len(ids) > 0 {
		nextID = 3
	}
	owed := map[uint32]int64{}
	var owedAll int64
	pick := func() uint32 {
		b := pr.byte()
		if len(ids) == 0 || b >= 240 {
			return uint32(b % 16) // any id, the connection's 0 and even ones included
		}
		return ids[int(b)%len(ids)]
	}
	feed := func() {
		in := cl.take()
		cut := int(pr.byte())%32 + 1
		for len(in) > 0 {
			p := in[:min(cut, len(in))]
			in = in[len(p):]
			for len(p) > 0 {
				n, ev := c.Feed(p)
				if n == 0 && ev.Kind == EventNone {
					t.Fatal("no progress")
				}
				p = p[n:]
				if ev.Kind == EventData {
					owed[ev.Stream] += int64(len(ev.Data))
					owedAll += int64(len(ev.Data))
				}
			}
		}
	}
	drain := func(k int) { v.sent(t, c, k) }
	block := make([]byte, 1<<16)
	for i := range block {
		block[i] = byte(i)
	}
	for steps := 0; len(pr) > 0 && steps < 1000; steps++ {
		op := pr.byte()
		if traceStreams {
			t.Logf("op %d, %d bytes left; windows: conn %d/%d streams %v", op%16, len(pr), c.sendWin, v.recvConn, v.recvStream)
		}
		switch op % 16 {
		case 0: // the client opens a stream: HEADERS, CONTINUATIONs
			flags := pr.byte()
			n := min(pr.u16(), len(block))
			id := nextID
			nextID += 2
			open(id)
			parts := int(flags>>4)%4 + 1
			frag := block[:n]
			// room for the pad length, the priority and the padding
			first := frag[:min(len(frag), 16000)]
			if parts > 1 {
				first = frag[:min(len(frag), len(frag)/parts, 16000)]
			}
			var pad uint8
			if flags&4 != 0 {
				pad = pr.byte()
				first = first[:min(len(first), 16000-int(pad))]
			}
			frag = block[len(first):n]
			prio := http2.PriorityParam{}
			if flags&8 != 0 {
				prio = http2.PriorityParam{StreamDep: pick(), Weight: pr.byte()}
			}
			cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndStream: flags&1 != 0,
				EndHeaders: len(frag) == 0, PadLength: pad, Priority: prio})
			for len(frag) > 0 {
				k := min(len(frag), 16384, max(1, n/parts))
				cl.fr.WriteContinuation(id, k == len(frag), frag[:k])
				frag = frag[k:]
			}
			feed()
		case 1: // trailers, or HEADERS where the client may not send them
			id := pick()
			if id&1 == 1 && id >= nextID {
				open(id) // an id skipping others opens a stream too
				nextID = id + 2
			}
			cl.headers(id, "t", pr.byte()&1 != 0)
			feed()
		case 2: // DATA within the windows the client was given
			id := pick()
			flags := pr.byte()
			n := int64(pr.u16())
			var pad int64
			if flags&2 != 0 {
				pad = int64(pr.byte())
			}
			flow := n
			if flags&2 != 0 {
				flow += 1 + pad
			}
			g, ok := v.grant[id]
			if !ok {
				g = defaultWindow
			}
			if lim := min(v.grantConn, g, 16384); flow > lim {
				if flags&2 != 0 && 1+pad > lim {
					break
				}
				n -= flow - lim
				flow = lim
			}
			if flags&2 != 0 {
				cl.fr.WriteDataPadded(id, flags&1 != 0, block[:n], make([]byte, pad))
			} else {
				cl.fr.WriteData(id, flags&1 != 0, block[:n])
			}
			v.grantConn -= flow
			if opened[id] {
				v.grant[id] = g - flow
			}
			feed()
		case 3: // RST_STREAM
			cl.fr.WriteRSTStream(pick(), http2.ErrCode(pr.byte()%14))
			feed()
		case 4: // WINDOW_UPDATE within 2^31-1
			id := uint32(0)
			if pr.byte()&1 != 0 {
				id = pick()
			}
			inc := int64(pr.u16())<<int(pr.byte()%16) + 1
			w := &v.recvConn
			if id != 0 {
				if _, ok := v.recvStream[id]; !ok {
					v.recvStream[id] = clientInitial
				}
				rw := v.recvStream[id]
				w = &rw
			}
			if inc = min(inc, maxWindow-*w); inc <= 0 {
				break
			}
			*w += inc
			if id != 0 {
				v.recvStream[id] = *w
			}
			cl.fr.WriteWindowUpdate(id, uint32(inc))
			feed()
		case 5: // PRIORITY
			cl.fr.WritePriority(pick(), http2.PriorityParam{StreamDep: pick(), Weight: pr.byte(), Exclusive: pr.byte()&1 != 0})
			feed()
		case 6: // SETTINGS within the rules
			iw := int64(pr.u16()) << int(pr.byte()%16)
			mfs := uint32(16384 + pr.u16()<<int(pr.byte()%9))
			set := []http2.Setting{{ID: http2.SettingMaxFrameSize, Val: mfs}, {ID: http2.SettingHeaderTableSize, Val: uint32(pr.u16())}}
			delta := iw - clientInitial
			ok := iw <= maxWindow
			for id := range opened {
				if v.recvStream[id]+delta > maxWindow {
					ok = false
				}
			}
			if ok {
				set = append(set, http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(iw)})
				clientInitial = iw
				for id := range opened {
					v.recvStream[id] += delta
				}
			}
			cl.fr.WriteSettings(set...)
			v.maxFrame = max(v.maxFrame, mfs)
			feed()
		case 7: // PING, the odd ACK, unknown frames, a malformed frame
			switch b := pr.byte(); b % 8 {
			case 0, 1:
				cl.fr.WritePing(false, [8]byte{b})
			case 2:
				cl.fr.WritePing(true, [8]byte{b})
			case 3:
				cl.fr.WriteSettingsAck()
			case 4:
				cl.fr.WriteRawFrame(http2.FrameType(0x0a+b%16), http2.Flags(b), pick(), block[:b])
			case 5:
				cl.fr.WritePriorityUpdate(pick(), "u=3")
			case 6:
				// DATA, HEADERS and WINDOW_UPDATE are other cases', which
				// keep the client's view of the windows
				types := []http2.FrameType{http2.FramePriority, http2.FrameRSTStream, http2.FrameSettings,
					http2.FramePushPromise, http2.FramePing, http2.FrameGoAway, http2.FrameContinuation}
				cl.fr.WriteRawFrame(types[int(b)%len(types)], http2.Flags(b), pick(), block[:b%12])
			case 7:
				cl.fr.WriteRawFrame(http2.FrameContinuation, http2.Flags(b), pick(), block[:b])
			}
			feed()
		case 8: // the client's GOAWAY
			cl.fr.WriteGoAway(pick(), http2.ErrCode(pr.byte()%14), block[:pr.byte()])
			feed()
		case 9: // the server's headers
			id := pick()
			c.WriteHeaders(id, block[:min(pr.u16(), 40000)], pr.byte()&1 != 0)
		case 10: // the server's DATA, as far as the windows go
			id := pick()
			n := pr.u16() << int(pr.byte()%3)
			allow := c.SendAllowance(id)
			took, err := c.WriteData(id, make([]byte, n), pr.byte()&1 != 0)
			if err == nil && (took > max(allow, 0) || took > n || took < min(n, max(allow, 0))) {
				t.Fatalf("WriteData took %d of %d with an allowance of %d", took, n, allow)
			}
		case 11: // the server resets a stream
			codes := []http2.ErrCode{http2.ErrCodeCancel, http2.ErrCodeProtocol, http2.ErrCodeInternal, http2.ErrCodeRefusedStream}
			c.ResetStream(pick(), codes[pr.byte()%4])
		case 12: // the user consumes some of what it was given
			id := pick()
			k := min(owed[id], int64(pr.u16()))
			if pr.byte()&1 != 0 {
				k = owed[id]
			}
			c.Consumed(id, int(k))
			owed[id] -= k
			owedAll -= k
		case 13: // the server's graceful GOAWAY
			c.GoAway(http2.ErrCodeNo)
		case 14: // the loop writes the output, whole or in part
			if b := pr.byte(); b&1 != 0 {
				drain(len(c.Output()) * int(b) / 256)
				break
			}
			drain(len(c.Output()))
		case 15: // a request's content-length; the user fails the connection, rarely
			if b := pr.byte(); b == 0xff {
				c.Fail(http2.ErrCodeCompression, "fuzz")
			} else if b&1 != 0 {
				c.SetContentLength(pick(), int64(pr.u16()))
			}
		}
		if c.Err() != nil && c.Err().(*ConnError).Code == http2.ErrCodeFlowControl {
			t.Fatalf("FLOW_CONTROL_ERROR though the client kept to the windows: %v", c.Err())
		}
		checkConn(t, c, owedAll)
		v.scan(t, c)
		if c.Err() == nil {
			// the peer's view and the connection agree on every window
			if c.sendWin != v.recvConn || c.recvWin != v.grantConn {
				t.Fatalf("connection windows: send %d, peer's %d; receive %d, granted %d", c.sendWin, v.recvConn, c.recvWin, v.grantConn)
			}
			for id, s := range c.streams {
				if s.sendWin != v.recvStream[id] {
					t.Fatalf("stream %d send window %d, peer's %d", id, s.sendWin, v.recvStream[id])
				}
				if s.state != StateHalfClosedRemote && s.recvWin != v.grant[id] {
					t.Fatalf("stream %d receive window %d, granted %d", id, s.recvWin, v.grant[id])
				}
			}
		}
	}
	drain(len(c.Output()))
	// every stream the user consumed gives its window back: nothing
	// is lost
	for id, k := range owed {
		c.Consumed(id, int(k))
	}
	owedAll = 0
	checkConn(t, c, 0)
}

// seeds are client frame sequences (after the preface) for the fuzz
// corpus.
func seeds() [][]byte {
	var out [][]byte
	add := func(w func(cl *client)) {
		cl := newClient()
		w(cl)
		out = append(out, cl.take())
	}
	add(func(cl *client) { cl.fr.WriteSettings(); cl.headers(1, "\x82\x86\x84", true) })
	add(func(cl *client) {
		cl.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
		cl.headers(1, "h", false).data(1, "body", true)
		cl.fr.WriteWindowUpdate(1, 100)
	})
	add(func(cl *client) {
		cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: []byte("a")})
		cl.fr.WriteContinuation(3, true, []byte("b"))
		cl.fr.WriteRSTStream(3, http2.ErrCodeCancel)
		cl.fr.WritePing(false, [8]byte{})
	})
	add(func(cl *client) {
		cl.headers(1, "h", false)
		cl.fr.WriteDataPadded(1, false, []byte("x"), make([]byte, 9))
		cl.fr.WritePriority(1, http2.PriorityParam{StreamDep: 1})
		cl.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	})
	// the floods, and a request whose body is in flight
	add(func(cl *client) {
		for i := range 120 {
			cl.fr.WritePriority(uint32(2*i+1), http2.PriorityParam{StreamDep: 0, Weight: 1})
		}
	})
	add(func(cl *client) {
		for id := uint32(1); id < 2*250; id += 2 {
			cl.headers(id, "h", false)
			cl.fr.WriteRSTStream(id, http2.ErrCodeCancel)
		}
	})
	add(func(cl *client) {
		for range 60 {
			cl.fr.WritePing(false, [8]byte{})
			cl.fr.WriteSettings()
		}
	})
	add(func(cl *client) {
		cl.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte("a")})
		for range 70 {
			cl.fr.WriteContinuation(1, false, []byte("b"))
		}
	})
	add(func(cl *client) {
		cl.headers(1, "h", false)
		for range 8 {
			cl.fr.WriteDataPadded(1, false, make([]byte, 16000), make([]byte, 100))
		}
		cl.fr.WriteWindowUpdate(0, 1)
		cl.data(1, "", true)
	})
	return out
}

// TestFuzzCorpus keeps the seed corpora in testdata/fuzz current; run
// with H2_WRITE_CORPUS=1 to rewrite them.
func TestFuzzCorpus(t *testing.T) {
	corpora := map[string][]string{}
	for i, s := range seeds() {
		corpora["FuzzConnFeed"] = append(corpora["FuzzConnFeed"],
			"[]byte("+strconv.Quote(string(s))+")\nuint8("+strconv.Itoa(i*37%256)+")\n")
	}
	for _, s := range streamSeeds() {
		corpora["FuzzStreams"] = append(corpora["FuzzStreams"], "[]byte("+strconv.Quote(string(s))+")\n")
	}
	for name, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", name)
		if os.Getenv("H2_WRITE_CORPUS") == "" {
			if ents, err := os.ReadDir(dir); err != nil || len(ents) < len(seeds) {
				t.Fatalf("corpus %s: %d entries, %v", dir, len(ents), err)
			}
			continue
		}
		os.MkdirAll(dir, 0o755)
		for i, s := range seeds {
			if err := os.WriteFile(filepath.Join(dir, "seed"+strconv.Itoa(i)), []byte("go test fuzz v1\n"+s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
