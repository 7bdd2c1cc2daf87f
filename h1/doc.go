// Package h1 parses the head of an HTTP/1 request into a header table, the
// way lws's lws_parse fills its allocated header ("ah").
//
// It is a pure parser: it does no I/O and keeps no goroutines. The event
// loop reads bytes from a socket and hands them to Parser.Parse in whatever
// pieces arrive, down to one byte at a time; the result never depends on
// how the bytes were split. Parse reports how much of its input it used,
// so the bytes after the blank line that ends the head (a body, the next
// pipelined request, or a WebSocket's first frames) are left to the caller.
//
// A Table owns one fixed data area, allocated once by NewTable and reused
// after Reset. Everything a request stores lands in that area, index
// records and the names of headers golws has no Token for included, so
// MaxData bounds the memory of a request and nothing grows: once a Table
// exists, parsing and reading it allocate nothing.
//
// Known headers are filed under a Token (lws's WSI_TOKEN_*); a repeated
// header adds a fragment to its token. Other headers are kept by name, as
// lws's custom headers are. The request target is %-decoded and
// normalised as lws does it ("//" collapsed, "/./" dropped, "/../"
// resolved, never above the root), and its query string is split into
// TokenURIArgs fragments, one per argument.
//
// A request the parser refuses is reported as an *Error carrying the HTTP
// status to answer with before closing the connection.
//
// Line ends in the head are CRLF, and a single LF is taken as one too
// (with any CR before it), which RFC 9112 section 2.2 allows a recipient
// and lws's parser does for what it calls broken peers: no field value
// may hold an LF (RFC 9110 section 5.5), so an LF in a head can mean
// nothing else. A bare CR (one not
// followed by LF) is refused with 400, as section 2.2 requires. The
// chunked framing of a body is stricter, as lws's own chunk parser is:
// there a bare LF is refused too (see ChunkedDecoder).
//
// ChunkedDecoder decodes a chunked request body the same way: fed in any
// pieces, handing back the body's data as sub-slices of its input without
// copying, its memory fixed, its refusals *Error values with the status.
// Its lines must end in CRLF, and whitespace after a chunk size is
// allowed only as the BWS before a chunk extension's ';' (RFC 9112 section
// 7.1.1), so a body is framed one way only.
package h1
