// Package h1 is HTTP/1's wire format in golws: it parses the head of an
// HTTP/1 request into a header table (package hdr), the way lws's
// lws_parse fills its allocated header ("ah"), decodes chunked bodies,
// and writes the HTTP/1 response head (status line and header lines).
// What HTTP means apart from its wire (dates, ranges, conditional
// requests, status texts) is package httpsem.
//
// It is pure: it does no I/O and keeps no goroutines. The event loop
// reads bytes from a socket and hands them to Parser.Parse in whatever
// pieces arrive, down to one byte at a time; the result never depends on
// how the bytes were split. Parse reports how much of its input it used,
// so the bytes after the blank line that ends the head (a body, the next
// pipelined request, or a WebSocket's first frames) are left to the caller.
//
// The table is package hdr's, independent of the wire: this package
// knows the HTTP/1 request line and header lines only, and hands their
// fields to the table as they arrive (hdr.Table's incremental interface,
// and hdr.Target for the request target, which lws's rules decode the
// same whatever the wire). Once a table exists, parsing allocates nothing.
//
// A request the parser refuses is reported as an *httpsem.Error carrying
// the HTTP status to answer with before closing the connection.
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
// copying, its memory fixed, its refusals *httpsem.Error values with the
// status. Its lines must end in CRLF, and whitespace after a chunk size is
// allowed only as the BWS before a chunk extension's ';' (RFC 9112 section
// 7.1.1), so a body is framed one way only.
package h1
