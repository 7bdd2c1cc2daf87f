// Package ws is RFC 6455 framing for golws: an incremental frame parser,
// frame headers, masking, close payloads, an incremental UTF-8 validator
// and the handshake key; no I/O.
//
// The connection layer owns the socket and the buffers. It hands whatever
// bytes arrived to [Parser.Next] in a loop, in pieces of any size, and gets
// back frame headers and payload slices that alias its own buffer (unmasked
// in place). The parser enforces the framing rules of RFC 6455 section 5
// and reports a violation as a [*ProtocolError] carrying the close code to
// send. Text payload is checked as it streams with [UTF8], and Close frame
// payloads with [ParseClosePayload], so that the connection layer can fail
// a connection at the first bad byte.
//
// Nothing in the package allocates in steady state.
package ws
