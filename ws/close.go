package ws

import (
	"encoding/binary"
	"unicode/utf8"
)

// MaxCloseReason is the longest reason a Close frame can carry: the 125
// bytes of a control frame's payload less the 2-byte code.
const MaxCloseReason = MaxControlPayload - 2

// ParseClosePayload checks the payload of a received Close frame (RFC 6455
// section 5.5.1) and returns its code and reason; the reason aliases p.
//
// An empty payload is fine: the code returned is CloseNoStatus. A payload
// of one byte, one over 125 bytes, or one whose code is not ValidOnWire is
// a *ProtocolError with CloseProtocolError; a reason that is not valid
// UTF-8 is one with CloseInvalidPayload.
func ParseClosePayload(p []byte) (CloseCode, []byte, error) {
	switch {
	case len(p) == 0:
		return CloseNoStatus, nil, nil
	case len(p) == 1:
		return 0, nil, protoErr(CloseProtocolError, "close payload of 1 byte")
	case len(p) > MaxControlPayload:
		return 0, nil, protoErr(CloseProtocolError, "control frame payload over 125 bytes")
	}
	code := CloseCode(binary.BigEndian.Uint16(p))
	if !code.ValidOnWire() {
		return 0, nil, protoErr(CloseProtocolError, "invalid close code")
	}
	reason := p[2:]
	if !ValidUTF8(reason) {
		return 0, nil, protoErr(CloseInvalidPayload, "close reason not utf-8")
	}
	return code, reason, nil
}

// AppendClosePayload appends the payload of a Close frame to dst: the code
// in network byte order, then the reason, truncated on a rune boundary so
// that the payload fits the 125 bytes of a control frame. For
// CloseNoStatus, which must not be sent, it appends nothing: a Close frame
// with an empty payload is how "no status" goes on the wire.
func AppendClosePayload(dst []byte, code CloseCode, reason string) []byte {
	if code == CloseNoStatus {
		return dst
	}
	if len(reason) > MaxCloseReason {
		cut := MaxCloseReason
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}
