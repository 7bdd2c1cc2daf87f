package conformance

// The fuzzing server: the same cases, played against a WebSocket client.
//
// Autobahn runs the same case classes in both of its modes; only the
// roles are swapped. As the fuzzing server it sends the frames its
// fuzzing client would send, unmasked (a server's frames are never
// masked), requires every frame of the client to be masked (an unmasked
// one is a protocol violation: the server fails the connection with
// 1002), and judges the echoes and the close with the same rules, with
// one difference: a server closes TCP itself as soon as the closing
// handshake is done, so "FAILED BY CLIENT" (the fuzzer had to close TCP)
// does not apply. No case of groups 1 to 7, 9, 10, 12 and 13 is reserved
// to one mode, so RunServer plays every case RunClient does. In groups 12
// and 13 the roles of the negotiation swap too: the client under test
// makes its own permessage-deflate offers and the fuzzing server answers
// them as Autobahn's server does for the case, or declines (the case is
// then UNIMPLEMENTED).

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Times of the fuzzing server.
const (
	// acceptTimeout bounds how long a case waits for the client to
	// connect and complete its opening handshake.
	acceptTimeout = 10 * time.Second
	// closeGrace is how long the server, having shut its sending side at
	// the end of the closing handshake, waits for the client to close
	// TCP before it closes the socket.
	closeGrace = 2 * time.Second
	// clientEndTimeout is how long the server waits for connect to
	// return once the connection has ended.
	clientEndTimeout = 10 * time.Second
)

// Agent is the agent name RunServer puts in the URLs it hands out.
const Agent = "golws"

// RunServer serves the cases whose ID filter accepts (all when filter is
// nil) to a WebSocket client, one case after the other. For each case it
// calls connect with the URL the client must open,
// ws://127.0.0.1:PORT/runCase?case=N&agent=golws, N being the case's
// position (from 1) in Cases(); connect must start the client and return
// when the client's connection has ended, or with an error when it could
// not be made. The server plays Autobahn's server role for that case: it
// completes the opening handshake, sends the case's frames unmasked,
// requires the client's frames to be masked, and judges the echoes and
// the close behaviour with the same rules and Behaviors as RunClient, from
// the server's point of view. The ctx handed to connect is cancelled when
// the case is over and connect has not returned in time. RunServer stops
// early, without results for the cases not started, when ctx is done.
func RunServer(ctx context.Context, connect func(ctx context.Context, url string) error, filter func(id string) bool) []Result {
	return RunServerTLS(ctx, nil, connect, filter)
}

// RunServerTLS is RunServer over TLS configured by cfg (a server
// configuration with a certificate); the URLs are wss:// ones. With a nil
// cfg it is RunServer.
func RunServerTLS(ctx context.Context, cfg *tls.Config, connect func(ctx context.Context, url string) error, filter func(id string) bool) []Result {
	var rs []Result
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		for _, c := range Cases() {
			if filter == nil || filter(c.ID) {
				rs = append(rs, Result{Case: c.ID, Description: c.Description, Behavior: Failed, CloseBehavior: Failed,
					Detail: "The fuzzing server could not listen: " + err.Error()})
			}
		}
		return rs
	}
	s := &fuzzServer{ln: ln, conns: make(chan net.Conn, 16), port: ln.Addr().(*net.TCPAddr).Port, scheme: "ws"}
	if cfg != nil {
		s.ln, s.scheme = tls.NewListener(ln, cfg), "wss"
	}
	acceptDone := make(chan struct{})
	go s.acceptLoop(acceptDone)
	defer func() {
		ln.Close()
		<-acceptDone
		s.drain()
	}()
	for i, c := range Cases() {
		if filter != nil && !filter(c.ID) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		rs = append(rs, s.runCase(ctx, connect, i+1, c))
	}
	return rs
}

// fuzzServer is the listening side of RunServer.
type fuzzServer struct {
	ln     net.Listener
	port   int
	conns  chan net.Conn
	scheme string // ws or wss
}

// acceptLoop hands accepted connections to the case being run.
func (s *fuzzServer) acceptLoop(done chan<- struct{}) {
	defer close(done)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		select {
		case s.conns <- c:
		default:
			c.Close() // nobody waits for that many connections
		}
	}
}

// drain closes connections left from an earlier case.
func (s *fuzzServer) drain() {
	for {
		select {
		case c := <-s.conns:
			c.Close()
		default:
			return
		}
	}
}

// caseURL is the URL the client must open for the case at position n.
func (s *fuzzServer) caseURL(n int) string {
	return fmt.Sprintf("%s://127.0.0.1:%d/runCase?case=%d&agent=%s", s.scheme, s.port, n, Agent)
}

// runCase serves one case to the client.
func (s *fuzzServer) runCase(ctx context.Context, connect func(context.Context, string) error, n int, c Case) Result {
	r := Result{Case: c.ID, Description: c.Description}
	limit := c.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	s.drain()
	clientCtx, cancelClient := context.WithCancel(ctx)
	defer cancelClient()
	cl := &clientRun{done: make(chan struct{})}
	go func() {
		cl.err = connect(clientCtx, s.caseURL(n))
		close(cl.done)
	}()

	conn, rest, agreed, note, err := s.accept(ctx, n, c.deflate, cl)
	if err != nil {
		r.Behavior, r.CloseBehavior = Failed, Failed
		r.Detail = "The WebSocket opening handshake was never completed: " + err.Error()
		if end, _ := cl.wait(cancelClient); end != "" {
			r.Detail += " | " + end
		}
		return r
	}
	playCase(ctx, c, conn, rest, limit, true, agreed, note, &r)
	if end, hung := cl.wait(cancelClient); end != "" {
		r.Detail += " | " + end
		if hung {
			r.Behavior = Failed
		}
	}
	return r
}

// clientRun is one call of connect: err is its result once done is
// closed.
type clientRun struct {
	done chan struct{}
	err  error
}

// wait waits for connect to return. It returns what the detail of the
// case must add, connect's error or that it did not return, and whether
// it did not (the client hung after its connection ended, which fails the
// case).
func (cl *clientRun) wait(cancel context.CancelFunc) (string, bool) {
	t := time.NewTimer(clientEndTimeout)
	defer t.Stop()
	select {
	case <-cl.done:
		if cl.err != nil {
			return "the client ended with: " + cl.err.Error(), false
		}
		return "", false
	case <-t.C:
	}
	cancel()
	t.Reset(clientEndTimeout)
	select {
	case <-cl.done:
	case <-t.C:
	}
	return fmt.Sprintf("the client did not end within %v of the connection's end", clientEndTimeout), true
}

// accept waits for the client's connection and completes the opening
// handshake as Autobahn's server does: no subprotocol accepted, and no
// extension unless the case is a compression case (dc set), which
// answers the client's permessage-deflate offers as the case chooses. It
// returns the connection, the octets read past the request, the
// permessage-deflate agreed (nil when none) and a note on its
// negotiation.
func (s *fuzzServer) accept(ctx context.Context, n int, dc *deflateCase, cl *clientRun) (net.Conn, []byte, *deflateParams, string, error) {
	t := time.NewTimer(acceptTimeout)
	defer t.Stop()
	var conn net.Conn
	select {
	case conn = <-s.conns:
	case <-cl.done:
		err := cl.err
		if err == nil {
			err = errors.New("connect returned without an error")
		}
		return nil, nil, nil, "", fmt.Errorf("the client ended before connecting: %w", err)
	case <-t.C:
		return nil, nil, nil, "", fmt.Errorf("no connection from the client within %v", acceptTimeout)
	case <-ctx.Done():
		return nil, nil, nil, "", fmt.Errorf("cancelled: %w", ctx.Err())
	}
	deadline := time.Now().Add(openHandshakeTimeout)
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		conn.Close()
		return nil, nil, nil, "", fmt.Errorf("reading the client's upgrade request: %w", err)
	}
	accept, err := checkRequest(req, n)
	var agreed *deflateParams
	note := ""
	if err == nil && dc != nil {
		agreed, note, err = answerOffers(req, dc)
	}
	if err != nil {
		_, _ = io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		conn.Close()
		return nil, nil, nil, "", err
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\n" +
		"Server: golws-conformance\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + accept + "\r\n"
	if agreed != nil {
		resp += "Sec-WebSocket-Extensions: " + agreed.String() + "\r\n"
	}
	resp += "\r\n"
	if _, err := io.WriteString(conn, resp); err != nil {
		conn.Close()
		return nil, nil, nil, "", fmt.Errorf("writing the handshake response: %w", err)
	}
	rest, _ := br.Peek(br.Buffered())
	rest = append([]byte(nil), rest...)
	_ = conn.SetDeadline(time.Time{})
	return conn, rest, agreed, note, nil
}

// answerOffers chooses the server's answer to the client's
// permessage-deflate offers for a compression case. A malformed offer is
// an error: RFC 7692 would have a server decline it, but the client
// under test should not make one.
func answerOffers(req *http.Request, dc *deflateCase) (*deflateParams, string, error) {
	offers, err := clientOffers(req.Header.Values("Sec-WebSocket-Extensions"))
	if err != nil {
		return nil, "", err
	}
	var agreed *deflateParams
	if a, ok := dc.accept(offers); ok {
		agreed = &a
	}
	return agreed, negotiationNote(offers, agreed), nil
}

// checkRequest verifies the client's upgrade request for the case at
// position n and returns the Sec-WebSocket-Accept value answering it.
func checkRequest(req *http.Request, n int) (string, error) {
	if req.Method != http.MethodGet {
		return "", fmt.Errorf("upgrade request with method %s", req.Method)
	}
	if req.ProtoMajor != 1 || req.ProtoMinor < 1 {
		return "", fmt.Errorf("upgrade request in %s", req.Proto)
	}
	if req.URL.Path != "/runCase" {
		return "", fmt.Errorf("upgrade request for %q, not /runCase", req.URL.Path)
	}
	if got := req.URL.Query().Get("case"); got != strconv.Itoa(n) {
		return "", fmt.Errorf("upgrade request for case %q, want %d (%s)", got, n, req.URL.RequestURI())
	}
	if !strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
		return "", fmt.Errorf("upgrade request with Upgrade: %q", req.Header.Get("Upgrade"))
	}
	hasUpgrade := false
	for _, v := range req.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				hasUpgrade = true
			}
		}
	}
	if !hasUpgrade {
		return "", fmt.Errorf("upgrade request with Connection: %q", req.Header.Values("Connection"))
	}
	if v := req.Header.Get("Sec-WebSocket-Version"); v != "13" {
		return "", fmt.Errorf("upgrade request with Sec-WebSocket-Version: %q", v)
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return "", fmt.Errorf("upgrade request with Sec-WebSocket-Key: %q (not 16 octets in base64)", key)
	}
	sum := sha1.Sum([]byte(key + guid))
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
