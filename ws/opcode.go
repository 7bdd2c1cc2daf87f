package ws

import "strconv"

// Opcode is the 4-bit opcode of a frame (RFC 6455 section 5.2).
type Opcode byte

// The opcodes RFC 6455 defines. Opcodes 3 to 7 are reserved for further
// data frames and 11 to 15 for further control frames.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether o is a control opcode (its most significant
// bit is set): Close, Ping, Pong and the reserved 11 to 15.
func (o Opcode) IsControl() bool { return o&0x8 != 0 }

// IsData reports whether o starts a data message: Text or Binary.
func (o Opcode) IsData() bool { return o == OpText || o == OpBinary }

// IsReserved reports whether o is one of the opcodes RFC 6455 reserves
// for future use: 3 to 7 and 11 to 15, and anything above 15.
func (o Opcode) IsReserved() bool {
	switch o {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

// String returns the opcode's name in lower case, such as "text", or
// "opcode N" for a reserved one.
func (o Opcode) String() string {
	switch o {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "opcode " + strconv.Itoa(int(o))
}

// CloseCode is the status code carried by a Close frame (RFC 6455 section
// 7.4).
type CloseCode uint16

// Close codes of RFC 6455 section 7.4.1 and of the IANA "WebSocket Close
// Code Number Registry".
const (
	// CloseNormal: the purpose of the connection has been fulfilled.
	CloseNormal CloseCode = 1000
	// CloseGoingAway: the endpoint is going away (server shutdown, page
	// navigated away).
	CloseGoingAway CloseCode = 1001
	// CloseProtocolError: the peer violated the protocol.
	CloseProtocolError CloseCode = 1002
	// CloseUnsupportedData: the endpoint received a type of data it cannot
	// accept.
	CloseUnsupportedData CloseCode = 1003
	// CloseNoStatus is reserved: it stands for a Close frame without a
	// status code and is never sent.
	CloseNoStatus CloseCode = 1005
	// CloseAbnormal is reserved: it stands for a connection that ended
	// without a Close frame and is never sent.
	CloseAbnormal CloseCode = 1006
	// CloseInvalidPayload: a message held data inconsistent with its type,
	// such as text that is not UTF-8.
	CloseInvalidPayload CloseCode = 1007
	// ClosePolicyViolation: a message violated the endpoint's policy.
	ClosePolicyViolation CloseCode = 1008
	// CloseMessageTooBig: a message was too big to process.
	CloseMessageTooBig CloseCode = 1009
	// CloseMandatoryExtension: a client ends the connection because the
	// server did not negotiate an extension it requires.
	CloseMandatoryExtension CloseCode = 1010
	// CloseInternalError: the server met an unexpected condition.
	CloseInternalError CloseCode = 1011
	// CloseServiceRestart: the service is restarting (IANA registry).
	CloseServiceRestart CloseCode = 1012
	// CloseTryAgainLater: the service is overloaded; try again later
	// (IANA registry).
	CloseTryAgainLater CloseCode = 1013
	// CloseBadGateway: a gateway or proxy got an invalid response from
	// upstream (IANA registry).
	CloseBadGateway CloseCode = 1014
	// CloseTLSHandshake is reserved: it stands for a failed TLS handshake
	// and is never sent.
	CloseTLSHandshake CloseCode = 1015
)

// ValidOnWire reports whether a peer may send c in a Close frame:
//
//   - 1000 to 1003 and 1007 to 1014 (the codes RFC 6455 and the IANA
//     registry define for use on the wire);
//   - 3000 to 4999 (registered libraries and frameworks, and private use).
//
// Everything else is a protocol error: below 1000, the reserved 1004,
// 1005, 1006 and 1015, the unassigned 1016 to 2999, and 5000 and above.
// These are the rules the Autobahn testsuite checks in cases 7.7.x (valid
// codes) and 7.9.x (invalid codes); it no longer lists 1012 to 1015 as
// invalid, and 1012 to 1014 are registered codes servers really send.
func (c CloseCode) ValidOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// String returns the code's registered name in lower case, such as
// "normal closure", or "close code N" for an unnamed one.
func (c CloseCode) String() string {
	switch c {
	case CloseNormal:
		return "normal closure"
	case CloseGoingAway:
		return "going away"
	case CloseProtocolError:
		return "protocol error"
	case CloseUnsupportedData:
		return "unsupported data"
	case CloseNoStatus:
		return "no status received"
	case CloseAbnormal:
		return "abnormal closure"
	case CloseInvalidPayload:
		return "invalid frame payload data"
	case ClosePolicyViolation:
		return "policy violation"
	case CloseMessageTooBig:
		return "message too big"
	case CloseMandatoryExtension:
		return "mandatory extension"
	case CloseInternalError:
		return "internal error"
	case CloseServiceRestart:
		return "service restart"
	case CloseTryAgainLater:
		return "try again later"
	case CloseBadGateway:
		return "bad gateway"
	case CloseTLSHandshake:
		return "tls handshake"
	}
	return "close code " + strconv.Itoa(int(c))
}
