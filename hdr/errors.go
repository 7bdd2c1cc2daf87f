package hdr

import "github.com/golws/lws/httpsem"

// The refusals of the table and of Target. lws answers what it calls URI
// sanitation failures, and unknown methods, with 403.
var (
	// ErrTooLarge: the request does not fit in the table's data area.
	ErrTooLarge = &httpsem.Error{Status: 431, Reason: "request header fields too large"}
	// ErrMethod: a request method the table has no token for.
	ErrMethod = &httpsem.Error{Status: 403, Reason: "unknown method"}
	// ErrEmptyName: a header with an empty name.
	ErrEmptyName = &httpsem.Error{Status: 400, Reason: "empty header name"}
	// ErrName: a header name with a byte outside RFC 9110's token
	// characters.
	ErrName = &httpsem.Error{Status: 400, Reason: "invalid character in header name"}
	// ErrValue: a header value with a control byte other than HTAB.
	ErrValue = &httpsem.Error{Status: 400, Reason: "invalid character in header value"}
	// ErrEmptyTarget: no request target.
	ErrEmptyTarget = &httpsem.Error{Status: 400, Reason: "missing request target"}
	// ErrTarget: a request target of none of the forms its method allows.
	ErrTarget = &httpsem.Error{Status: 400, Reason: "malformed request target"}
	// ErrNotAbsolute: a path that does not start with '/'.
	ErrNotAbsolute = &httpsem.Error{Status: 403, Reason: "request target is not an absolute path"}
	// ErrEscape: a '%' not followed by two hex digits.
	ErrEscape = &httpsem.Error{Status: 403, Reason: "bad %-escape in request target"}
	// ErrTargetCtl: a control byte in the request target, raw or
	// %-escaped.
	ErrTargetCtl = &httpsem.Error{Status: 403, Reason: "control byte in request target"}
	// ErrTargetTooLong: the request target does not fit in the table, or
	// is longer than its data area before decoding.
	ErrTargetTooLong = &httpsem.Error{Status: 414, Reason: "request target too long"}
)
