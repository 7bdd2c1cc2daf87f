package lws

import (
	"errors"
	"strings"

	"github.com/golws/lws/hdr"
	"github.com/golws/lws/internal/ascii"
	"github.com/golws/lws/ws"
)

// StatusError lets a callback that rejects a request choose the HTTP
// status of the answer (for FILTER_PROTOCOL_CONNECTION,
// HTTP_CONFIRM_UPGRADE and the like); any other error answers 403.
type StatusError struct {
	Status int
	Reason string
}

func (e *StatusError) Error() string { return e.Reason }

func rejectStatus(err error) (int, string) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status, se.Reason
	}
	return 403, err.Error()
}

// wsServerUpgrade performs the server side of the opening handshake
// (RFC 6455 section 4.2) on a complete GET request asking for
// "Upgrade: websocket", or, overH2, of RFC 8441's extended CONNECT on an
// HTTP/2 stream: no key and no Connection header there, and a 200 that
// leaves the stream open instead of a 101.
func (c *Conn) wsServerUpgrade(overH2 bool) error {
	ah, vh := c.ah, c.vhost
	if !overH2 && ah.Version() < 11 {
		// RFC 6455 4.1: the opening handshake is an HTTP/1.1 (or later)
		// request; HTTP/1.0 has no Upgrade mechanism to rely on.
		return c.replyStatus(400, "WebSocket upgrade needs HTTP/1.1")
	}
	if !overH2 && !headerHasToken(ah, hdr.TokenConnection, "upgrade") {
		return c.replyStatus(400, "WebSocket upgrade without Connection: Upgrade")
	}
	if v := ah.Copy(c.loop.ctrlBuf[:0], hdr.TokenWSVersion); string(v) != "13" {
		return c.replyStatusHeaders(426, "unsupported WebSocket version", headerField{"sec-websocket-version", "13"})
	}
	if key := ah.Copy(c.loop.ctrlBuf[:0], hdr.TokenWSKey); !overH2 && !ws.ValidClientKey(key) {
		return c.replyStatus(400, "bad Sec-WebSocket-Key")
	}
	if err := c.callbackProto(vh.protocols[0], CallbackHTTPConfirmUpgrade, []byte("websocket")); err != nil {
		return c.replyStatus(rejectStatus(err))
	}
	vp, name, offered := c.selectWSProtocol()
	if vp == nil {
		if offered {
			return c.replyStatus(400, "none of the requested protocols is served")
		}
		return c.replyStatus(400, "a WebSocket protocol must be requested")
	}
	c.unbindProtocol()
	c.bindProtocol(vp, nil)
	_ = c.callback(CallbackWSServerBindProtocol, nil)
	if c.Closed() {
		return nil
	}
	if err := c.callback(CallbackFilterProtocolConnection, []byte(name)); err != nil {
		return c.replyStatus(rejectStatus(err))
	}
	var exts []activeExt
	var extAnswer string
	// Over HTTP/2 too: RFC 8441 section 5 keeps Sec-WebSocket-Extensions.
	if len(vh.info.Extensions) > 0 && ah.Has(hdr.TokenWSExtensions) {
		var offer []string
		for i := range ah.FragmentCount(hdr.TokenWSExtensions) {
			offer = append(offer, string(ah.Fragment(hdr.TokenWSExtensions, i)))
		}
		exts, extAnswer = c.negotiateServer(parseExtensions(strings.Join(offer, ",")))
	}
	l := c.loop
	hw := c.httpWire()
	var resp []byte
	if overH2 {
		resp = hw.headStatus(l.scratch[:0], c.txn(), 200, "")
	} else {
		// The key again, and its answer beside it in the loop's buffer:
		// the callbacks above may have used the buffer.
		key := ah.Copy(l.ctrlBuf[:0], hdr.TokenWSKey)
		accept := ws.AppendAcceptKey(l.ctrlBuf[64:64], key)
		resp = hw.headStatus(l.scratch[:0], c.txn(), 101, "")
		resp = hw.headField(resp, "Upgrade", "websocket")
		resp = hw.headField(resp, "Connection", "Upgrade")
		resp = hw.headFieldBytes(resp, "Sec-WebSocket-Accept", accept)
	}
	if offered {
		resp = hw.headField(resp, "Sec-WebSocket-Protocol", name)
	}
	if extAnswer != "" {
		resp = hw.headField(resp, "Sec-WebSocket-Extensions", extAnswer)
	}
	resp = hw.headEnd(resp, nil)
	l.scratch = resp[:0]
	if err := hw.sendHead(c, nil, resp, nil, false); err != nil {
		releaseExts(exts)
		return err
	}
	vh.counts.wsUpg++
	c.toWS(exts)
	err := c.callback(CallbackEstablished, nil)
	// Headers are not kept past ESTABLISHED on an upgraded connection.
	c.loop.releaseAH(c)
	return err
}

// selectWSProtocol picks the protocol for an upgrade: the first of the
// client's list the vhost serves; failing that, the vhost's protocol
// marked with the per-vhost option "any", which takes the client's first
// name; with no list, the protocol marked "default", else the vhost's
// first. name is the protocol name agreed (the one answered when offered
// is true, since the client sent a list).
func (c *Conn) selectWSProtocol() (vp *vhostProtocol, name string, offered bool) {
	ah, vh := c.ah, c.vhost
	var first []byte // the client's first name that is a valid token
	for i := range ah.FragmentCount(hdr.TokenWSProtocol) {
		list := ah.Fragment(hdr.TokenWSProtocol, i)
		for len(list) > 0 {
			var item []byte
			item, list = nextListItem(list)
			if len(item) == 0 {
				continue
			}
			offered = true
			if first == nil && ascii.IsToken(item) {
				first = item
			}
			for _, p := range vh.protocols {
				if p.proto.Name == string(item) {
					return p, p.proto.Name, true
				}
			}
		}
	}
	if offered {
		if first != nil {
			for _, p := range vh.protocols {
				if _, ok := p.opts["any"]; ok {
					return p, string(first), true
				}
			}
		}
		return nil, "", true
	}
	if vh.info.RejectProtocolLessUpgrades {
		return nil, "", false
	}
	for _, p := range vh.protocols {
		if _, ok := p.opts["default"]; ok {
			return p, p.proto.Name, false
		}
	}
	return vh.protocols[0], vh.protocols[0].proto.Name, false
}
