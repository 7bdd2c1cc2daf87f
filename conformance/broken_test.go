package conformance

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// brokenMode says how a deliberately broken server misbehaves.
type brokenMode int

const (
	// lax echoes every data frame as it came (opcode, FIN, payload),
	// answers every ping, echoes close frames and closes TCP: it never
	// validates anything, so it never fails a connection.
	lax brokenMode = iota
	// keepTCP is lax but never closes TCP after a closing handshake.
	keepTCP
	// silent completes the opening handshake, then reads and ignores
	// everything.
	silent
	// stalled completes the opening handshake, then reads nothing more.
	stalled
	// lateUTF8 is lax but holds text messages back until their last
	// frame, then fails the connection (1007) if the message is not
	// valid UTF-8: it does not fail fast.
	lateUTF8
)

// startBroken runs a broken WebSocket server on a loopback port for the
// test and returns its URL.
func startBroken(t *testing.T, mode brokenMode) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		quit  = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serveBroken(c, mode, quit)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		close(quit)
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

// serveBroken serves one connection of a broken server.
func serveBroken(c net.Conn, mode brokenMode, quit <-chan struct{}) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + guid))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	if _, err := io.WriteString(c, resp); err != nil {
		return
	}
	if mode == stalled {
		<-quit
		return
	}
	type fragment struct {
		op      byte
		fin     bool
		payload []byte
	}
	var held []fragment // the text message lateUTF8 holds back
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(ext[:])
		}
		var key [4]byte
		if h[1]&0x80 != 0 {
			if _, err := io.ReadFull(br, key[:]); err != nil {
				return
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		mask(payload, key, 0)
		if mode == silent {
			continue
		}
		if mode == lateUTF8 && (op == OpText || op == OpContinuation && held != nil) {
			held = append(held, fragment{op, fin, payload})
			if !fin {
				continue
			}
			var all []byte
			for _, f := range held {
				all = append(all, f.payload...)
			}
			if !utf8.Valid(all) {
				_ = writeServerFrame(c, OpClose, true, []byte{0x03, 0xef}) // 1007
				return
			}
			for _, f := range held {
				if writeServerFrame(c, f.op, f.fin, f.payload) != nil {
					return
				}
			}
			held = nil
			continue
		}
		switch op {
		case OpClose:
			if err := writeServerFrame(c, OpClose, true, payload); err != nil || mode != keepTCP {
				return
			}
		case OpPing:
			if writeServerFrame(c, OpPong, true, payload) != nil {
				return
			}
		case OpPong:
		default:
			if writeServerFrame(c, op, fin, payload) != nil {
				return
			}
		}
	}
}

// writeServerFrame writes an unmasked frame.
func writeServerFrame(w io.Writer, op byte, fin bool, payload []byte) error {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var b []byte
	switch n := len(payload); {
	case n <= 125:
		b = []byte{b0, byte(n)}
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16([]byte{b0, 126}, uint16(n))
	default:
		b = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	_, err := w.Write(append(b, payload...))
	return err
}

// failed maps case IDs to the FAILED verdict the tests expect of them.
func failed(ids ...string) map[string]Behavior {
	m := map[string]Behavior{}
	for _, id := range ids {
		m[id] = Failed
	}
	return m
}

// TestSuiteCanFail runs cases against broken servers and checks that the
// suite judges them FAILED.
func TestSuiteCanFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode brokenMode
		want map[string]Behavior
	}{
		// Pongs a 126-octet ping, echoes RSV frames, reserved opcodes,
		// fragmented pings, invalid UTF-8 and invalid close codes.
		{"never fails the connection", lax, failed("2.5", "3.1", "4.1.1", "4.2.1", "5.1", "5.9", "6.3.1", "6.4.1", "6.20.1", "7.9.1")},
		// A case that closes after a timer sees the server keep TCP open
		// (UNCLEAN); in one whose kill timer fires first, the client
		// drops TCP (FAILED BY CLIENT), as with Autobahn.
		{"keeps TCP open after closing", keepTCP, map[string]Behavior{"1.1.1": NonStrict, "2.1": Failed, "5.3": Failed}},
		{"never answers", silent, failed("1.1.2", "2.2")},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			url := startBroken(t, tc.mode)
			start := time.Now()
			rs := RunClient(t.Context(), url, func(id string) bool { _, ok := tc.want[id]; return ok })
			t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), report(rs))
			if len(rs) != len(tc.want) {
				t.Fatalf("%d results for %d cases", len(rs), len(tc.want))
			}
			for _, r := range rs {
				if want := tc.want[r.Case]; r.Behavior != want {
					t.Errorf("case %s judged %s, want %s, against a server that %s: %s", r.Case, r.Behavior, want, tc.name, r.Detail)
				}
				if r.Detail == "" {
					t.Errorf("case %s: %s without a detail", r.Case, r.Behavior)
				}
			}
		})
	}
}

// TestSuiteJudgesNonStrict runs the fail-fast cases against a server that
// fails the connection only at the end of an invalid message: Autobahn
// calls that NON-STRICT.
func TestSuiteJudgesNonStrict(t *testing.T) {
	t.Parallel()
	url := startBroken(t, lateUTF8)
	want := map[string]Behavior{"6.2.3": OK, "6.3.1": OK, "6.4.1": NonStrict, "6.4.4": NonStrict}
	rs := RunClient(t.Context(), url, func(id string) bool { _, ok := want[id]; return ok })
	t.Logf("\n%s", report(rs))
	if len(rs) != len(want) {
		t.Fatalf("%d results for %d cases", len(rs), len(want))
	}
	for _, r := range rs {
		if r.Behavior != want[r.Case] {
			t.Errorf("case %s judged %s, want %s: %s", r.Case, r.Behavior, want[r.Case], r.Detail)
		}
	}
}

// TestCaseTimeLimit checks that a case blocked by a server that stops
// reading ends at its time limit, FAILED, with a detail saying so.
func TestCaseTimeLimit(t *testing.T) {
	url := startBroken(t, stalled)
	c := Case{
		ID: "x", Description: "Send 32 MiB to a server that reads nothing.", Limit: time.Second,
		Run: func(_ context.Context, p *Peer) {
			p.Expect(OK)
			p.ExpectClose(normalClose)
			p.SendFrame(Frame{Opcode: OpBinary, Fin: true, Payload: []byte{1}, Length: 32 << 20})
		},
	}
	start := time.Now()
	r := runCase(t.Context(), url, nil, c)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("the case took %v with a limit of 1s", d)
	}
	if r.Behavior != Failed || !strings.Contains(r.Detail, "time limit") {
		t.Errorf("judged %s: %s", r.Behavior, r.Detail)
	}
	t.Log(r.Detail)
}

// TestRunClientCancelled checks that a cancelled run stops.
func TestRunClientCancelled(t *testing.T) {
	url := startBroken(t, silent)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	rs := RunClient(ctx, url, nil)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancelled run took %v", d)
	}
	if len(rs) != 1 || rs[0].Behavior != Failed || !strings.Contains(rs[0].Detail, "cancelled") {
		t.Errorf("results after cancelling: %+v", rs)
	}
}
