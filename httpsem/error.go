package httpsem

import (
	"strconv"
	"strings"

	"github.com/golws/lws/internal/ascii"
)

// Error is a request (or a response) refused: Status is the HTTP status to answer with
// before closing the connection, Reason says briefly what was wrong, fit
// to show in the answer. The package returns shared values: treat them as
// read-only.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string {
	return "http: " + strconv.Itoa(e.Status) + " " + e.Reason
}

// ErrHeaderName refuses a response header name that is empty or holds a
// byte outside RFC 9110's token characters.
var ErrHeaderName = &Error{Status: 500, Reason: "invalid response header name"}

// ErrHeaderValue refuses a response header value holding CR, LF or NUL:
// written, it would end the head early and let whoever chose the value
// write headers or a body of their own (response splitting).
var ErrHeaderValue = &Error{Status: 500, Reason: "CR, LF or NUL in a response header value"}

// CheckField checks a response header field before it is written, in any
// wire format: ErrHeaderName or ErrHeaderValue. It does not allocate.
func CheckField(name, value string) error {
	if name == "" {
		return ErrHeaderName
	}
	for i := 0; i < len(name); i++ {
		if !ascii.IsTchar(name[i]) {
			return ErrHeaderName
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return ErrHeaderValue
	}
	return nil
}
