package lws

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/golws/lws/ws"
)

// wsClientState is what a WebSocket client keeps until it is
// established. It is the connection's role between TCP connect (or the
// TLS handshake) and the server's 101: the upgrade request has been sent
// and the answer is read.
type wsClientState struct {
	roleBase
	cs                 *clientState
	path, host, origin string
	protocols          string // the comma-separated list offered
	key                string
	resp               []byte    // the response head as it arrives
	extOffer           string    // the Sec-WebSocket-Extensions offered
	defaulting         activeExt // the extension CallbackWSExtDefaults is about
	extra              []byte    // headers added in CLIENT_APPEND_HANDSHAKE_HEADER
	appending          bool
}

func (*wsClientState) name() string { return "ws-client-handshake" }

func (hs *wsClientState) rx(c *Conn, p []byte) (int, error) {
	max := c.loop.ah.dataSize
	if max <= 0 {
		max = 4096
	}
	// Take bytes up to the end of the response head, never past it.
	used := 0
	for used < len(p) {
		hs.resp = append(hs.resp, p[used])
		used++
		if bytes.HasSuffix(hs.resp, []byte("\r\n\r\n")) {
			if err := c.wsClientFinish(); err != nil {
				return used, err
			}
			if c.Closed() || c.websocket() == nil {
				return used, nil
			}
			n, err := c.role.rx(c, p[used:])
			return used + n, err
		}
		if len(hs.resp) > max {
			c.loop.clientFail(c, "HS: response headers too long")
			return used, nil
		}
	}
	return used, nil
}

func (*wsClientState) writeable(*Conn) error { return nil }

func (*wsClientState) write(*Conn, []byte, WriteType) (int, error) {
	return 0, errors.New("lws: the WebSocket client is not established yet")
}

// closed is never reached: a client is not established during its
// handshake, so closing it reports CLIENT_CONNECTION_ERROR instead.
func (*wsClientState) closed(*Conn) {}

// wsClientStart sends the upgrade request once TCP is connected.
func (c *Conn) wsClientStart() error {
	hs := c.clientInfo().ws
	key, err := ws.NewClientKey(randReader{c.loop})
	if err != nil {
		return err
	}
	hs.key = key
	hs.appending = true
	err = c.callback(CallbackClientAppendHandshakeHeader, nil)
	hs.appending = false
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("GET " + hs.path + " HTTP/1.1\r\nHost: " + hs.host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n")
	if hs.origin != "" {
		b.WriteString("Origin: " + hs.origin + "\r\n")
	}
	if hs.protocols != "" {
		b.WriteString("Sec-WebSocket-Protocol: " + hs.protocols + "\r\n")
	}
	if hs.extOffer = c.clientOffer(); hs.extOffer != "" {
		b.WriteString("Sec-WebSocket-Extensions: " + hs.extOffer + "\r\n")
	}
	b.Write(hs.extra)
	b.WriteString("\r\n")
	hs.extra = nil
	c.setRole(hs)
	_, err = c.send(nil, []byte(b.String()))
	if err == nil {
		c.SetTimeoutDuration(PendingTimeoutAwaitingServerResponse, hs.cs.timeout)
	}
	return err
}

// AddHandshakeHeader adds a header to a client's request (a WebSocket
// upgrade, or an HTTP client's request);
// it is only allowed during CallbackClientAppendHandshakeHeader. CR and LF
// are refused, so a header can never split the request.
func (c *Conn) AddHandshakeHeader(name, value string) error {
	var extra *[]byte
	switch cs := c.clientInfo(); {
	case cs == nil:
	case cs.ws != nil && cs.ws.appending:
		extra = &cs.ws.extra
	case cs.httpc != nil && cs.httpc.appending:
		extra = &cs.httpc.extra
	}
	if extra == nil {
		return errors.New("lws: AddHandshakeHeader outside CLIENT_APPEND_HANDSHAKE_HEADER")
	}
	if strings.ContainsAny(name, "\r\n:") || strings.ContainsAny(value, "\r\n") || name == "" {
		return errors.New("lws: bad handshake header")
	}
	*extra = append(*extra, name...)
	*extra = append(*extra, ": "...)
	*extra = append(*extra, value...)
	*extra = append(*extra, "\r\n"...)
	return nil
}

// wsClientFinish checks the server's answer and establishes the client.
func (c *Conn) wsClientFinish() error {
	hs := c.clientInfo().ws
	lines := strings.Split(strings.TrimSuffix(string(hs.resp), "\r\n\r\n"), "\r\n")
	fail := func(text string) error {
		c.loop.clientFail(c, text)
		return nil
	}
	status := strings.SplitN(lines[0], " ", 3)
	if len(status) < 2 || !strings.HasPrefix(status[0], "HTTP/1.") {
		return fail("HS: bad response status line")
	}
	if code, _ := strconv.Atoi(status[1]); code != 101 {
		return fail("HS: ws upgrade response not 101 (" + status[1] + ")")
	}
	hdr := map[string]string{}
	for _, ln := range lines[1:] {
		name, value, ok := strings.Cut(ln, ":")
		if !ok {
			return fail("HS: malformed response header")
		}
		hdr[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	if !strings.EqualFold(hdr["upgrade"], "websocket") {
		return fail("HS: UPGRADE missing or not websocket")
	}
	if !listHasToken([]byte(hdr["connection"]), "upgrade") {
		return fail("HS: CONNECTION missing or not upgrade")
	}
	if hdr["sec-websocket-accept"] != ws.AcceptKey(hs.key) {
		return fail("HS: Accept hash wrong")
	}
	var exts []activeExt
	if answer := hdr["sec-websocket-extensions"]; answer != "" {
		var err error
		if exts, err = c.negotiateClient(answer, hs.extOffer); err != nil {
			return fail(err.Error())
		}
	}
	fail = func(text string) error {
		releaseExts(exts)
		c.loop.clientFail(c, text)
		return nil
	}
	if p, ok := hdr["sec-websocket-protocol"]; ok {
		if hs.protocols == "" || !listHasToken([]byte(hs.protocols), p) {
			return fail("HS: server chose protocol " + strconv.Quote(p) + " we did not offer")
		}
		if vp := c.vhost.protocol(p); vp != nil && vp != c.vp {
			c.unbindProtocol()
			c.bindProtocol(vp, c.user)
		}
	} else if hs.protocols != "" {
		return fail("HS: server chose none of the protocols we offered")
	}
	if err := c.callback(CallbackClientFilterPreEstablish, nil); err != nil {
		return fail("HS: rejected by CLIENT_FILTER_PRE_ESTABLISH: " + err.Error())
	}
	c.SetTimeout(NoPendingTimeout, 0)
	c.established = true
	c.toWS(exts)
	_ = c.callback(CallbackWSClientBindProtocol, nil)
	return c.callback(CallbackClientEstablished, nil)
}

// randReader draws handshake keys from the loop's generator.
type randReader struct{ l *loop }

func (r randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.l.rng.Uint64())
	}
	return len(p), nil
}
