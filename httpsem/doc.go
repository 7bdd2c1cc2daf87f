// Package httpsem holds the parts of HTTP semantics (RFC 9110) that golws
// needs whatever the wire a request comes in on: HTTP dates, entity tag
// matching for conditional requests, byte ranges, Content-Length values,
// the reason phrases of statuses, the check of a response header field,
// and Error, a refusal with the status to answer. It is pure: no I/O, no
// state, and nothing here allocates but what ParseHTTPDate's time package
// does.
// Package h1 (HTTP/1's wire) and the server's file serving use it; the
// request header table is package hdr.
package httpsem
