package lws

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/golws/lws/h1"
	"github.com/golws/lws/hdr"
	"github.com/golws/lws/httpsem"
	"github.com/golws/lws/internal/ascii"
)

// The HTTP client role (lws's client http): ClientConnect with an HTTP
// method sends one request (https with ClientUseSSL), then delivers
// ESTABLISHED_CLIENT_HTTP once the response head has arrived (its status
// from Conn.HTTPClientStatus, its headers from Conn.Hdr and friends),
// RECEIVE_CLIENT_HTTP_READ for each piece of the body (de-chunked: golws
// reads the body for the protocol, where lws needs lws_http_client_read),
// COMPLETED_CLIENT_HTTP at its end and CLOSED_CLIENT_HTTP when the
// connection closes. A request body is written from CLIENT_HTTP_WRITEABLE
// while ClientHTTPBodyPending is set.

// httpClientState is what an HTTP client keeps.
//
// It is the connection's role from when the request is sent.
type httpClientState struct {
	roleBase
	cs          *clientState
	method      string
	path, host  string
	extra       []byte // headers added in CLIENT_APPEND_HANDSHAKE_HEADER
	appending   bool
	bodyPending bool

	phase   uint8
	line    []byte // the status line as it arrives
	status  int
	minor   int
	parser  h1.Parser
	started bool  // the parser was reset onto the connection's table
	left    int64 // body bytes still to come; -1: until the server closes
	chunked bool
	dec     h1.ChunkedDecoder
}

const (
	hcSending uint8 = iota // the request (and its body) is being sent
	hcStatus               // reading the status line
	hcHeaders              // reading the header lines
	hcBody                 // reading the body
	hcDone                 // the response is complete
)

// maxStatusLine bounds a response's status line.
const maxStatusLine = 1024

func (*httpClientState) name() string { return "h1-client" }

func (*httpClientState) closed(c *Conn) {
	if err := c.callback(CallbackClosedClientHTTP, nil); err != nil {
		logf(LogDebug, "lws: CLOSED_CLIENT_HTTP on %v: %v", c, err)
	}
}

func (*httpClientState) write(c *Conn, p []byte, _ WriteType) (int, error) {
	return c.send(nil, p)
}

func (hc *httpClientState) writeable(c *Conn) error {
	if hc.phase != hcSending || !hc.bodyPending {
		return nil
	}
	err := c.dispatchWriteable(CallbackClientHTTPWriteable)
	if err == nil && !hc.bodyPending && hc.phase == hcSending {
		hc.phase = hcStatus
		c.loop.queueReady(c)
	}
	return err
}

// ClientHTTPBodyPending says whether an HTTP client still has request
// body to send (lws_client_http_body_pending). Set it in
// CLIENT_APPEND_HANDSHAKE_HEADER (with a Content-Length header) to be
// given CLIENT_HTTP_WRITEABLE callbacks for the body; clear it once the
// last of the body is written.
func (c *Conn) ClientHTTPBodyPending(pending bool) {
	cs := c.clientInfo()
	if cs == nil || cs.httpc == nil {
		return
	}
	hc := cs.httpc
	hc.bodyPending = pending
	if pending && hc.phase == hcSending && c.role == hc {
		c.CallbackOnWritable()
	}
}

// HTTPClientStatus returns the status of an HTTP client's response, once
// its head has arrived (lws_http_client_http_response); 0 before.
func (c *Conn) HTTPClientStatus() int {
	cs := c.clientInfo()
	if cs == nil || cs.httpc == nil {
		return 0
	}
	return cs.httpc.status
}

// httpClientStart sends an HTTP client's request once it is connected.
func (c *Conn) httpClientStart() error {
	hc := c.clientInfo().httpc
	hc.appending = true
	err := c.callback(CallbackClientAppendHandshakeHeader, nil)
	hc.appending = false
	if err != nil {
		return err
	}
	b := make([]byte, 0, 128+len(hc.extra))
	b = append(b, hc.method...)
	b = append(b, ' ')
	b = append(b, hc.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, hc.host...)
	b = append(b, "\r\nAccept: */*\r\nConnection: close\r\n"...)
	b = append(b, hc.extra...)
	b = append(b, "\r\n"...)
	hc.extra = nil
	c.setRole(hc)
	if _, err := c.send(nil, b); err != nil {
		return err
	}
	c.SetTimeoutDuration(PendingTimeoutAwaitingServerResponse, hc.cs.timeout)
	if hc.bodyPending {
		c.CallbackOnWritable()
	} else {
		hc.phase = hcStatus
	}
	return nil
}

func (hc *httpClientState) rx(c *Conn, p []byte) (int, error) {
	used := 0
	for used < len(p) && !c.Closed() && !c.rxDisabled {
		switch hc.phase {
		case hcSending:
			// A server may answer before the body is sent (an error):
			// read the answer.
			hc.phase = hcStatus
		case hcStatus:
			n, err := c.httpClientStatusLine(p[used:])
			used += n
			if err != nil {
				return used, err
			}
		case hcHeaders:
			if !hc.started {
				if c.ah == nil && !c.loop.acquireAH(c) {
					// The pool is empty: wait for a table, as a server
					// connection does.
					c.rxHold |= holdAH
					c.loop.updateInterest(c)
					return used, nil
				}
				hc.parser.ResetHeaders(c.ah)
				hc.started = true
			}
			n, done, err := hc.parser.Parse(p[used:])
			used += n
			if err != nil {
				return used, c.httpClientFail("bad response header: " + err.Error())
			}
			if done {
				if err := c.httpClientHeadDone(); err != nil {
					return used, err
				}
			}
		case hcBody:
			n, err := c.httpClientBody(p[used:])
			used += n
			if err != nil {
				return used, err
			}
		default:
			return len(p), nil // after the response: dropped
		}
	}
	return used, nil
}

// httpClientStatusLine gathers the status line.
func (c *Conn) httpClientStatusLine(p []byte) (int, error) {
	hc := c.clientInfo().httpc
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		if len(hc.line)+len(p) > maxStatusLine {
			return len(p), c.httpClientFail("status line too long")
		}
		hc.line = append(hc.line, p...)
		return len(p), nil
	}
	hc.line = append(hc.line, p[:i]...)
	line := hc.line
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	minor, status, ok := h1.ParseStatusLine(line)
	if !ok {
		return i + 1, c.httpClientFail("bad status line " + strconv.Quote(string(line)))
	}
	hc.minor, hc.status, hc.line = minor, status, nil
	hc.phase = hcHeaders
	return i + 1, nil
}

// httpClientHeadDone acts on a complete response head.
func (c *Conn) httpClientHeadDone() error {
	hc := c.clientInfo().httpc
	ah := c.ah
	c.SetTimeout(NoPendingTimeout, 0)
	hc.left = -1
	switch {
	case hc.method == "HEAD" || hc.status == 204 || hc.status == 304 || hc.status/100 == 1:
		hc.left = 0
	case ah.Has(hdr.TokenTransferEncoding):
		hc.chunked = true
		hc.dec.Reset()
		hc.dec.MaxTrailer = ah.MaxData()
	case ah.Has(hdr.TokenContentLength):
		v, ok := httpsem.ParseContentLength(ascii.TrimOWS(ah.Fragment(hdr.TokenContentLength, 0)))
		if !ok {
			return c.httpClientFail("bad Content-Length")
		}
		hc.left = v
	}
	hc.phase = hcBody
	c.established = true
	if err := c.callback(CallbackEstablishedClientHTTP, nil); err != nil {
		return err
	}
	if hc.left == 0 {
		return c.httpClientComplete()
	}
	return nil
}

// httpClientBody delivers at most one piece of response body from p; the
// caller checks reception before it asks for the next, so that a
// RECEIVE_CLIENT_HTTP_READ callback that turns reception off gets no more
// until it is back on (the loop holds the rest of p meanwhile).
func (c *Conn) httpClientBody(p []byte) (int, error) {
	hc := c.clientInfo().httpc
	in := p[:min(len(p), c.rxPieceSize())]
	var data []byte
	used := 0
	if hc.chunked {
		n, d, err := hc.dec.Next(in)
		used, data = n, d
		if err != nil {
			return used, c.httpClientFail("bad chunked body: " + err.Error())
		}
	} else {
		n := len(in)
		if hc.left >= 0 {
			n = int(min(int64(n), hc.left))
			hc.left -= int64(n)
		}
		used, data = n, in[:n]
	}
	if len(data) > 0 {
		if err := c.callback(CallbackReceiveClientHTTPRead, data); err != nil {
			return used, err
		}
		if c.Closed() {
			return used, nil
		}
	}
	if (hc.chunked && hc.dec.Done()) || (!hc.chunked && hc.left == 0) {
		return used, c.httpClientComplete()
	}
	return used, nil
}

// httpClientComplete reports the end of the response and closes.
func (c *Conn) httpClientComplete() error {
	hc := c.clientInfo().httpc
	hc.phase = hcDone
	if err := c.callback(CallbackCompletedClientHTTP, nil); err != nil {
		return err
	}
	return errHTTPClientDone
}

var errHTTPClientDone = errors.New("lws: HTTP client transaction completed")

// peerEOF ends a response that runs until the server closes.
func (hc *httpClientState) peerEOF(c *Conn) bool {
	if hc.phase != hcBody || hc.chunked || hc.left >= 0 {
		return false
	}
	hc.phase = hcDone
	_ = c.callback(CallbackCompletedClientHTTP, nil)
	return true
}

// httpClientFail reports a response golws cannot read.
func (c *Conn) httpClientFail(why string) error {
	logf(LogClient, "lws: client %s: %s", c.clientInfo().target(), why)
	return errors.New("lws: HTTP client: " + why)
}
