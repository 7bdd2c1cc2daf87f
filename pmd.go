package lws

import (
	"github.com/golws/lws/pmdeflate"
	"github.com/golws/lws/ws"
)

// PermessageDeflate is the permessage-deflate extension (RFC 7692) with o
// as the vhost's settings, for VhostInfo.Extensions: lws's
// lws_extension_callback_pm_deflate, which lwsws registers on every
// vhost.
//
// A server accepts the first permessage-deflate offer of a client it can
// honour (pmdeflate.Options.Accept) and answers with the parameters
// agreed; CallbackConfirmExtensionOkay may still veto it. A client offers
// o (pmdeflate.Options.Offer, unless CallbackClientConfirmExtensionSupported
// declines) and fails the connection on an answer it cannot honour. Over
// HTTP/2 (RFC 8441) the extension is negotiated the same way.
//
// Each connection then has its own pmdeflate.Session: Conn.SetExtensionOption
// with the name pmdeflate.Name changes its options at run time (lws's
// lws_set_extension_option), as may a client during CallbackWSExtDefaults.
// A compressed message reaches RECEIVE decompressed, piece by piece, its
// decompressed size capped by VhostInfo.WSMaxMessage.
func PermessageDeflate(o pmdeflate.Options) Extension {
	return Extension{
		Name:        pmdeflate.Name,
		ClientOffer: o.Offer(),
		Negotiate: func(_ *Conn, server bool, params string) (ExtensionSession, string, error) {
			if server {
				p, answer, err := o.Accept(params)
				if err != nil {
					return nil, "", err
				}
				return pmdSession{pmdeflate.NewSession(p, true, o)}, answer, nil
			}
			p, err := o.Confirm(params)
			if err != nil {
				return nil, "", err
			}
			return pmdSession{pmdeflate.NewSession(p, false, o)}, "", nil
		},
	}
}

// pmdSession is a pmdeflate.Session as a connection's ExtensionSession:
// a compressed message is marked with RSV1 (RFC 7692 section 6).
type pmdSession struct{ *pmdeflate.Session }

func (pmdSession) RSV() byte { return ws.RSV1 }
