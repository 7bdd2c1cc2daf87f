// Package h2 is golws's HTTP/2 wire without I/O (RFC 9113, with RFC 8441's
// extended CONNECT advertised for WebSocket over HTTP/2): the server side
// of a connection as a state machine the loop feeds with the bytes it
// reads, and that queues the bytes the loop must write. It has no
// goroutines, timers or sockets; the loop's network connection owns one
// Conn and maps its streams to stream children.
//
// Conn checks the client preface, cuts the input into frames (read by
// golang.org/x/net/http2's Framer, whole frames at a time, however the
// bytes were split across reads; the Framer writes the server's too),
// keeps every stream's state (RFC 9113 section 5.1) and both
// directions' flow control, and answers what the protocol answers by
// itself: SETTINGS and PING acknowledgements, WINDOW_UPDATE, RST_STREAM
// for stream errors, GOAWAY for connection errors. What concerns the user comes out of Feed as an Event: a request
// header block, DATA, a reset, a grown send window, new peer settings, the
// peer's GOAWAY, a connection error. The user's own frames go through
// WriteHeaders and WriteData, bounded by the peer's frame size and by the
// send windows (SendAllowance).
//
// A connection upgraded from HTTP/1.1 (h2c, RFC 7540 section 3.2)
// starts with NewUpgradedConn, given the request's HTTP2-Settings field
// decoded by DecodeSettingsHeader: the upgraded request is stream 1,
// which the server answers as any other.
//
// A request's content-length, once its block decoded, goes to the Conn
// (SetContentLength), which resets the stream if the DATA does not add up
// to it (RFC 9113 section 8.1.1). The server's SETTINGS must be
// acknowledged in time (SettingsAckPending): the loop's timer.
//
// Receive windows are given back only when the user says it consumed the
// data (Consumed), so a slow consumer stops the peer: rx flow control is
// real backpressure, as on the loop's other connections.
//
// Header blocks are handed over encoded (EventHeaders). HPACK's dynamic
// table is one per connection: every block a Conn reports, Discard ones
// included, must go through the connection's one HeaderDecoder (Decode,
// DecodeTrailers, or Discard for those the Conn has already refused) in
// the order the blocks were reported, or the table goes out of step with
// the peer's. The decoder fills an hdr.Table, the header table the loop
// reads requests from whatever their wire; its refusals (*HeaderError)
// go back to the Conn through RefuseHeaders. Responses are encoded by a
// HeadEncoder that follows the peer's SETTINGS_HEADER_TABLE_SIZE
// (Peer), and framed by WriteHeaders.
//
// Limits (Config) have lws-like or safe defaults and refuse floods with
// ENHANCE_YOUR_CALM: concurrent streams, header block size, CONTINUATION
// count, streams reset before completing (rapid reset), control frames
// pending (SETTINGS and PING floods), consecutive frames that carry
// nothing (empty DATA, PRIORITY, unknown types...). Bodies allocate
// nothing in steady state (DATA fed, consumed and written); every other
// frame fed costs the one allocation of the Framer's frame.
package h2
