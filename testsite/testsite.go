// Package testsite holds the files that golws's pages share: error.css,
// the style that status pages made by Conn.ReturnHTTPStatus link, and
// lws-common.js, whose lws_gray_out dims a page while its WebSocket is
// down (lws's "dim" convention). lwsws's default site serves them; any
// vhost can, by mounting FS:
//
//	lws.Mount{Mountpoint: "/", FS: testsite.FS}
package testsite

import "embed"

// FS holds error.css and lws-common.js at its root.
//
//go:embed error.css lws-common.js
var FS embed.FS
