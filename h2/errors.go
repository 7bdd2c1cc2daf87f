package h2

import (
	"strconv"

	"golang.org/x/net/http2"
)

// ConnError is a connection error (RFC 9113 section 5.4.1): the
// connection queues a GOAWAY carrying Code and then takes no more input;
// the loop flushes the output and closes the socket.
type ConnError struct {
	Code   http2.ErrCode
	Reason string
}

// Error returns the reason with the error code.
func (e *ConnError) Error() string {
	return "h2: connection error " + e.Code.String() + ": " + e.Reason
}

// StreamError is a stream error (RFC 9113 section 5.4.2): the connection
// queues a RST_STREAM carrying Code for Stream, which is closed; the
// connection itself goes on.
type StreamError struct {
	Stream uint32
	Code   http2.ErrCode
	Reason string
}

// Error returns the reason with the stream and the error code.
func (e *StreamError) Error() string {
	return "h2: stream " + strconv.FormatUint(uint64(e.Stream), 10) +
		" error " + e.Code.String() + ": " + e.Reason
}

// connErr and streamErr build the errors of the state machine.
func connErr(code http2.ErrCode, reason string) *ConnError {
	return &ConnError{Code: code, Reason: reason}
}

func streamErr(id uint32, code http2.ErrCode, reason string) *StreamError {
	return &StreamError{Stream: id, Code: code, Reason: reason}
}

// RefuseHeaders applies the header decoder's refusal of stream id's
// block: a stream error resets the stream with e.Code, spending the reset
// budget as any reset the peer causes (Config.MaxResets); a connection
// error ends the connection with a GOAWAY carrying e.Code. A user that
// answers e.Status instead of resetting does not call it. Nothing happens
// for a stream error on a stream that is no longer live, such as one
// whose block came with Discard.
func (c *Conn) RefuseHeaders(id uint32, e *HeaderError) {
	defer c.putWriter()
	if c.err != nil {
		return
	}
	if !e.Stream {
		c.fail(connErr(e.Code, e.Reason))
		return
	}
	if c.streams[id] != nil {
		c.resetStream(id, e.Code)
	}
}
