package ws

import "strconv"

// ProtocolError is a violation found while parsing; the connection must
// close with Code. Functions of this package return it as *ProtocolError.
type ProtocolError struct {
	// Code is the status code to send in the Close frame.
	Code CloseCode
	// Reason is a short lower-case description, such as
	// "reserved opcode 3"; it fits a Close frame's reason.
	Reason string
}

// Error returns "websocket: " followed by the reason and the close code.
func (e *ProtocolError) Error() string {
	return "websocket: " + e.Reason + " (close " + strconv.Itoa(int(e.Code)) + ")"
}

func protoErr(code CloseCode, reason string) *ProtocolError {
	return &ProtocolError{Code: code, Reason: reason}
}
