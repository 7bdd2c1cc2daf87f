// Package hdr is the request header table of golws: lws's allocated
// header ("ah") and its WSI_TOKEN_* names, independent of the wire the
// request came in on. The HTTP/1 parser (package h1) fills a Table byte by
// byte as a head arrives; a decoder of another wire format (HPACK, for
// HTTP/2) fills it with the builder methods (SetMethod, SetPath,
// AddHeader, AddHeaderByName), under the same limits and with the same
// refusals. The connection then reads the request from the table alone.
//
// A Table owns one fixed data area, allocated once by NewTable and reused
// after Reset. Everything a request stores lands in that area, index
// records and the names of headers golws has no Token for included, so
// MaxData bounds the memory of a request and nothing grows: once a Table
// exists, filling and reading it allocate nothing.
//
// Known headers are filed under a Token (lws's WSI_TOKEN_*); a repeated
// header adds a fragment to its token. Other headers are kept by name, as
// lws's custom headers are. The request target is %-decoded and
// normalised as lws does it ("//" collapsed, "/./" dropped, "/../"
// resolved, never above the root), and its query string is split into
// TokenURIArgs fragments, one per argument (see Target).
//
// A request the table refuses is reported as an *httpsem.Error carrying
// the HTTP status to answer with; wire parsers report their own refusals
// the same way.
package hdr
