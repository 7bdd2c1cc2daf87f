package lws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/golws/lws/ws"
)

// Extension is a WebSocket extension (RFC 6455 section 9) a vhost accepts
// or offers: lws's struct lws_extension. Vhosts list theirs in
// VhostInfo.Extensions; a server negotiates them from the client's
// Sec-WebSocket-Extensions offer, a client connection offers its vhost's.
type Extension struct {
	// Name is the extension token, such as "permessage-deflate".
	Name string
	// ClientOffer holds the parameters a client offers after the name,
	// such as "client_max_window_bits"; it may be empty.
	ClientOffer string
	// Negotiate makes one connection's instance of the extension. A
	// server calls it with the parameters the client offered and answers
	// with the parameters it returns; a client calls it with the
	// parameters of the server's answer. An error declines: a server then
	// leaves that offer out of its answer, a client fails the connection.
	Negotiate func(c *Conn, server bool, params string) (ExtensionSession, string, error)
}

// ExtensionSession is one connection's instance of a negotiated
// extension (lws's per-connection extension state). Its methods run on
// the loop.
//
// Reception is pull-style, so that what a message decodes to never has
// to be held whole: the connection feeds a transformed message's payload
// piece by piece with Feed and pulls the result with Decode into a
// piece-sized buffer of its own, handing each piece to RECEIVE. It feeds
// again only once Decode asked for input, so the session holds at most
// one piece of payload beyond its own bounded state, and a reader that
// turns reception off stops the decoding (and the reading of the socket)
// where it is.
type ExtensionSession interface {
	// RSV returns the reserved bits (ws.RSV1 ...) the extension sets on the
	// first frame of the messages it transforms.
	RSV() byte
	// SetOption changes a per-connection option (lws_set_extension_option);
	// an unknown option or a bad value is an error.
	SetOption(name, value string) error
	// Feed stages the next piece of a received transformed message's
	// payload (final marks the message's last piece; it may be empty).
	// The session copies what it needs: in is not kept. It is called at a
	// message's start or after Decode asked for input.
	Feed(in []byte, final bool) error
	// Decode pulls up to len(dst) bytes of the decoded message into dst.
	// end reports that they are the message's last; n == 0 with end false
	// asks for the next piece of input. An error fails the connection
	// (1007).
	Decode(dst []byte) (n int, end bool, err error)
	// Encode transforms a piece of a message to send (final marks its
	// last piece), appending to dst. On a message's first piece it decides
	// whether the message is transformed at all (transformed false leaves
	// the whole message as it is and its first frame unmarked).
	Encode(dst, in []byte, first, final bool) (out []byte, transformed bool, err error)
	// Release gives back what the session holds; the connection is
	// closing and calls nothing else after it.
	Release()
}

// activeExt is an extension negotiated on one connection.
type activeExt struct {
	ext  *Extension
	sess ExtensionSession
}

// SetExtensionOption changes an option of a negotiated extension of the
// connection (lws_set_extension_option); it is an error if the extension
// is not active on the connection.
//
// A client may also call it during CallbackWSExtDefaults, for the
// extension that callback names: its options then apply from the
// connection's first message.
func (c *Conn) SetExtensionOption(extension, name, value string) error {
	if w := c.websocket(); w != nil && w.x != nil {
		for _, a := range w.x.exts {
			if a.ext.Name == extension {
				return a.sess.SetOption(name, value)
			}
		}
	}
	if cs := c.clientInfo(); cs != nil && cs.ws != nil && cs.ws.defaulting.ext != nil &&
		cs.ws.defaulting.ext.Name == extension {
		return cs.ws.defaulting.sess.SetOption(name, value)
	}
	return fmt.Errorf("lws: extension %q is not active on this connection", extension)
}

// ExtensionActive reports whether the named extension was negotiated on
// the connection.
func (c *Conn) ExtensionActive(extension string) bool {
	if w := c.websocket(); w != nil && w.x != nil {
		for _, a := range w.x.exts {
			if a.ext.Name == extension {
				return true
			}
		}
	}
	return false
}

// extOffer is one element of a Sec-WebSocket-Extensions list.
type extOffer struct{ name, params string }

// parseExtensions splits a Sec-WebSocket-Extensions value into offers.
func parseExtensions(v string) []extOffer {
	var out []extOffer
	for _, item := range strings.Split(v, ",") {
		name, params, _ := strings.Cut(item, ";")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		out = append(out, extOffer{name, strings.TrimSpace(params)})
	}
	return out
}

// negotiateServer picks the extensions to accept from a client's offers
// and returns the value of the answer's Sec-WebSocket-Extensions.
func (c *Conn) negotiateServer(offers []extOffer) ([]activeExt, string) {
	var accepted []activeExt
	var answer []string
	var used byte
	for _, o := range offers {
		ext := c.vhost.extension(o.name)
		if ext == nil || containsExt(accepted, o.name) {
			continue
		}
		if err := c.callback(CallbackConfirmExtensionOkay, []byte(o.name)); err != nil {
			continue
		}
		sess, params, err := ext.Negotiate(c, true, o.params)
		if err != nil || sess == nil || sess.RSV()&used != 0 {
			if sess != nil {
				sess.Release()
			}
			continue
		}
		used |= sess.RSV()
		accepted = append(accepted, activeExt{ext, sess})
		if params != "" {
			answer = append(answer, o.name+"; "+params)
		} else {
			answer = append(answer, o.name)
		}
	}
	return accepted, strings.Join(answer, ", ")
}

// clientOffer is the value of a client's Sec-WebSocket-Extensions.
func (c *Conn) clientOffer() string {
	var offer []string
	for i := range c.vhost.info.Extensions {
		ext := &c.vhost.info.Extensions[i]
		if c.callback(CallbackClientConfirmExtensionSupported, []byte(ext.Name)) != nil {
			continue
		}
		if ext.ClientOffer != "" {
			offer = append(offer, ext.Name+"; "+ext.ClientOffer)
		} else {
			offer = append(offer, ext.Name)
		}
	}
	return strings.Join(offer, ", ")
}

// negotiateClient accepts the server's answer to the client's offer.
func (c *Conn) negotiateClient(answer, offered string) ([]activeExt, error) {
	var accepted []activeExt
	var used byte
	for _, o := range parseExtensions(answer) {
		ext := c.vhost.extension(o.name)
		if ext == nil || !listHasToken([]byte(offeredNames(offered)), o.name) || containsExt(accepted, o.name) {
			return nil, errors.New("HS: server accepted an extension we did not offer: " + o.name)
		}
		sess, _, err := ext.Negotiate(c, false, o.params)
		if err != nil || sess == nil || sess.RSV()&used != 0 {
			if sess != nil {
				sess.Release()
			}
			releaseExts(accepted)
			return nil, fmt.Errorf("HS: extension %s refused: %v", o.name, err)
		}
		used |= sess.RSV()
		accepted = append(accepted, activeExt{ext, sess})
		// lws's WS_EXT_DEFAULTS: the protocol may set the session's
		// options before any message.
		err = c.extDefaults(accepted[len(accepted)-1])
		if err != nil {
			releaseExts(accepted)
			return nil, fmt.Errorf("HS: EXT: failed setting defaults of %s: %v", o.name, err)
		}
	}
	return accepted, nil
}

// extDefaults delivers CallbackWSExtDefaults for a newly negotiated
// extension of a client, during which SetExtensionOption reaches it.
func (c *Conn) extDefaults(a activeExt) error {
	cs := c.clientInfo()
	if cs == nil || cs.ws == nil {
		return nil
	}
	cs.ws.defaulting = a
	err := c.callback(CallbackWSExtDefaults, []byte(a.ext.Name))
	cs.ws.defaulting = activeExt{}
	return err
}

// releaseExts releases the sessions of extensions.
func releaseExts(list []activeExt) {
	for _, a := range list {
		a.sess.Release()
	}
}

func offeredNames(offer string) string {
	var names []string
	for _, o := range parseExtensions(offer) {
		names = append(names, o.name)
	}
	return strings.Join(names, ",")
}

func containsExt(list []activeExt, name string) bool {
	for _, a := range list {
		if a.ext.Name == name {
			return true
		}
	}
	return false
}

// extension returns the vhost's extension of that name, or nil.
func (vh *Vhost) extension(name string) *Extension {
	for i := range vh.info.Extensions {
		if vh.info.Extensions[i].Name == name {
			return &vh.info.Extensions[i]
		}
	}
	return nil
}

// allowedRSV is the set of reserved bits the connection's extensions use.
func allowedRSV(exts []activeExt) byte {
	var rsv byte
	for _, a := range exts {
		rsv |= a.sess.RSV()
	}
	return rsv & (ws.RSV1 | ws.RSV2 | ws.RSV3)
}
