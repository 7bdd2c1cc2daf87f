// Package conformance holds the Autobahn-style conformance cases golws's
// WebSocket role must pass.
//
// It is a fuzzing client in the manner of the Autobahn testsuite's: for
// each case it opens a fresh TCP connection to a WebSocket server, performs
// the opening handshake by hand and sends frames it builds itself, so it
// can send what no WebSocket library would (reserved opcodes, RSV bits,
// fragmented or oversized control frames, invalid UTF-8, frames chopped
// into single octets, 16 MiB payloads). It then judges what the server
// did the way Autobahn does: the events received (messages, pongs) must
// equal one of the case's expected lists exactly, and the connection must
// end as the case expects (who closes, which close codes are acceptable,
// whether the closing handshake must be clean, whether the server must
// close TCP).
//
// The cases are Autobahn's groups 1 to 7, 9, 10, 12 and 13 (framing,
// pings and pongs, reserved bits, opcodes, fragmentation, UTF-8, close
// handling, limits and performance, auto-fragmentation, compression), with
// Autobahn's numbering. Cases 2.10 and 2.11 (ten pings sent back to back,
// each expected to be answered) are not run: like libwebsockets, golws
// keeps at most one pong pending and answers only the latest ping, which
// RFC 6455 section 5.5.3 allows.
//
// Groups 12 and 13 are permessage-deflate (RFC 7692): each case
// negotiates it, then sends 1000 messages one after the other, each
// compressed, and checks every echo octet by octet. Group 12 varies the
// payload (12.1 a JSON document, 12.2 a bitmap, 12.3 German verse, 12.4
// an HTML document, 12.5 a PDF-like document; Autobahn's files are
// replaced by generated corpora of the same kinds and sizes), group 13 the
// parameters (13.1 to 13.7: Autobahn's seven pairs of client offers and
// server answers, on the JSON corpus). Each subgroup has Autobahn's 18
// cases: payloads of 16 to 131072 octets (characters for text), and for
// cases 11 to 18 the compressed message cut into frames of 256 to 32768
// octets. A case is UNIMPLEMENTED when permessage-deflate is not agreed.
// The peer compresses with the standard library's compress/flate, never
// with golws's own code: with context takeover unless no_context_takeover
// was agreed for its side, and without back references (Huffman coding
// only) when the window agreed for its side is below 15 bits. It checks
// the other end's compression against what was agreed: RSV1 on the first
// frame of a message only, no reference into an earlier message under
// no_context_takeover, no reference further back than the agreed window.
// It checks the negotiation against RFC 7692 too: a server's answer that
// does not answer an offer, or a malformed offer from a client, fails the
// case. The peer itself is checked against Node's ws, server and client
// (testdata/pmd_echo_*.js). The tests run cases 1, 4 and 11 of every
// subgroup of 12 and 13; -conformance.full runs all 216 (and
// -conformance.cases, when set, chooses among all cases). Under the race
// detector every compression case sends 100 messages, not 1000.
//
// Where this suite departs from Autobahn it is stricter or bounded: the
// performance cases (9.x) check the echoed payload octet by octet, not
// only its length, and wait at most 20 s for an echo (Autobahn waits up to
// 100 s, or 1000 s for 9.5 and 9.6); a compression case waits at most
// 120 s for its 1000 echoes (Autobahn up to 480 s).
//
// RunServer plays the same cases the other way round, as Autobahn's
// fuzzing server: against a WebSocket client that echoes what it
// receives, the server sending the case's frames unmasked and requiring
// the client's to be masked (see server.go). In groups 12 and 13 it
// answers the client's permessage-deflate offers as the case says.
//
// A Result's Behavior is the case's verdict. It starts from Autobahn's
// behaviour outcome and is lowered by the close behaviour as Autobahn's
// report colours it: a close behaviour of FAILED (wrong endpoint closed)
// or UNCLEAN makes the case FAILED; WRONG CODE or FAILED BY CLIENT (the
// client had to close TCP) make an OK case NON-STRICT.
package conformance

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"
)

// Behavior is the outcome of a case, or of its closing.
type Behavior string

// Behaviours. The last three only describe how a connection was closed
// (Result.CloseBehavior).
const (
	OK             Behavior = "OK"
	NonStrict      Behavior = "NON-STRICT"
	Informational  Behavior = "INFORMATIONAL"
	Unimplemented  Behavior = "UNIMPLEMENTED"
	Failed         Behavior = "FAILED"
	WrongCode      Behavior = "WRONG CODE"
	Unclean        Behavior = "UNCLEAN"
	FailedByClient Behavior = "FAILED BY CLIENT"
)

// Result is the judgement of one case.
type Result struct {
	// Case is the case's ID, such as "5.19".
	Case string
	// Description says what the case sends.
	Description string
	// Behavior is the verdict: OK, NON-STRICT, INFORMATIONAL or FAILED.
	Behavior Behavior
	// CloseBehavior is Autobahn's judgement of the connection's end: OK,
	// FAILED, WRONG CODE, UNCLEAN, FAILED BY CLIENT or INFORMATIONAL.
	CloseBehavior Behavior
	// Detail explains the verdict: the close frames and TCP closes with
	// their times; when the case did not pass, also what was received
	// against what was expected and the frames the server sent.
	Detail string
	// Duration runs from the end of the opening handshake to the end of
	// the connection.
	Duration time.Duration
}

// Case is one conformance case.
type Case struct {
	// ID is Autobahn's case number, such as "6.4.1".
	ID string
	// Description says what the case sends.
	Description string
	// Expectation says what the server must do.
	Expectation string
	// Run is the case's start, called once the opening handshake is
	// complete: it sends, sets timers and states what it expects through
	// the peer. The peer's loop then serves the connection until it ends.
	Run func(ctx context.Context, p *Peer)
	// Limit bounds the whole case, as a last resort against a server
	// that blocks the client; zero means 20 s. A case's own timers end it
	// long before with any server that reads what it is sent.
	Limit time.Duration
	// deflate, for the compression cases, is the permessage-deflate the
	// case offers (as the fuzzing client) or accepts (as the fuzzing
	// server).
	deflate *deflateCase
}

// excluded lists Autobahn's cases in these groups that are not run, and
// why.
var excluded = []struct{ id, why string }{
	{"2.10", "10 pings back to back: lws keeps one pong pending and answers the latest ping only"},
	{"2.11", "the same, sent in octet-wise chops"},
}

// Cases returns every implemented case, in Autobahn's order.
func Cases() []Case {
	var cs []Case
	for _, group := range []func() []Case{
		framingCases, pingCases, rsvCases, opcodeCases, fragmentationCases,
		utf8Cases, closeCases, performanceCases, autoFragmentationCases,
		compressionCases,
	} {
		cs = append(cs, group()...)
	}
	return cs
}

// RunClient runs the cases whose ID filter accepts (all when filter is
// nil) against the WebSocket server at url (ws://host:port/path), one
// fresh connection per case, one case after the other, and judges each.
// It stops early, without results for the cases not started, when ctx is
// done.
func RunClient(ctx context.Context, url string, filter func(id string) bool) []Result {
	return RunClientTLS(ctx, url, nil, filter)
}

// RunClientTLS is RunClient for a wss:// URL: each case's connection is
// made with TLS configured by cfg.
func RunClientTLS(ctx context.Context, url string, cfg *tls.Config, filter func(id string) bool) []Result {
	var rs []Result
	for _, c := range Cases() {
		if filter != nil && !filter(c.ID) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		rs = append(rs, runCase(ctx, url, cfg, c))
	}
	return rs
}

// runCase runs one case on a fresh connection.
func runCase(ctx context.Context, url string, cfg *tls.Config, c Case) Result {
	r := Result{Case: c.ID, Description: c.Description}
	limit := c.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	var offers []deflateOffer
	if c.deflate != nil {
		offers = c.deflate.offers
	}
	conn, rest, agreed, err := dial(ctx, url, cfg, offers)
	if err != nil {
		r.Behavior, r.CloseBehavior = Failed, Failed
		r.Detail = "The WebSocket opening handshake was never completed: " + err.Error()
		return r
	}
	note := ""
	if c.deflate != nil {
		note = negotiationNote(offers, agreed)
	}
	playCase(ctx, c, conn, rest, limit, false, agreed, note, &r)
	return r
}

// overall combines Autobahn's two judgements into the verdict.
func overall(v Verdict) Behavior {
	switch {
	case v.Behavior == Failed, v.CloseBehavior == Failed, v.CloseBehavior == Unclean:
		return Failed
	case v.Behavior == Informational, v.Behavior == Unimplemented:
		return v.Behavior
	case v.CloseBehavior == WrongCode, v.CloseBehavior == FailedByClient:
		return NonStrict
	}
	return v.Behavior
}

// Report writes rs as a table, one line per case, then the totals and
// the cases not run.
func Report(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tVERDICT\tCLOSE\tTIME\tDETAIL")
	counts := map[Behavior]int{}
	var total time.Duration
	for _, r := range rs {
		counts[r.Behavior]++
		total += r.Duration
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d ms\t%s\n", r.Case, r.Behavior, r.CloseBehavior,
			r.Duration.Milliseconds(), strings.ReplaceAll(r.Detail, "\n", " "))
	}
	_ = tw.Flush()
	var parts []string
	for _, b := range []Behavior{OK, NonStrict, Informational, Unimplemented, Failed} {
		parts = append(parts, fmt.Sprintf("%d %s", counts[b], b))
	}
	fmt.Fprintf(w, "%d cases (%s of case time): %s\n", len(rs), total.Round(time.Millisecond), strings.Join(parts, ", "))
	for _, e := range excluded {
		fmt.Fprintf(w, "not run: %s (%s)\n", e.id, e.why)
	}
}

// playCase plays case c over an opened connection, as a client or (server
// set) as a server, with the permessage-deflate agreed (nil when none)
// and note telling its negotiation, and fills in r's verdict.
func playCase(ctx context.Context, c Case, conn net.Conn, rest []byte, limit time.Duration, server bool, agreed *deflateParams, note string, r *Result) {
	p := &Peer{
		conn:       conn,
		server:     server,
		start:      time.Now(),
		limit:      time.Now().Add(limit),
		behavior:   Failed,
		result:     "Actual events differ from any expected.",
		remoteCode: NoCode,
		localCode:  NoCode,
		rxSignal:   make(chan struct{}, 1),
		rxDone:     make(chan struct{}),
	}
	if agreed != nil {
		p.pmd = newPMD(*agreed, server)
	}
	p.pmdNote = note
	_ = conn.SetWriteDeadline(p.limit)
	stopWatch := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	go p.readLoop(rest)
	c.Run(ctx, p)
	p.flush()
	p.serve(ctx)
	r.Duration = time.Since(p.start)
	if server {
		// A server that shut its sending side waits a little for the
		// client to close its own, so that nothing it sent last is lost to
		// a reset.
		grace := time.NewTimer(closeGrace)
		select {
		case <-p.rxDone:
		case <-grace.C:
		}
		grace.Stop()
	}
	stopWatch()
	_ = conn.Close()
	<-p.rxDone
	v := p.judge()
	r.Behavior = overall(v)
	r.CloseBehavior = v.CloseBehavior
	r.Detail = p.detail(v, r.Behavior)
}
