package spa

import "errors"

// statusError is the type of the package's sentinel errors: a message and
// the HTTP status a server should answer with when parsing fails with it.
type statusError struct {
	msg    string
	status int
}

func (e *statusError) Error() string { return e.msg }

// HTTPStatus is the status code a server should answer with.
func (e *statusError) HTTPStatus() int { return e.status }

// The errors of the package. Errors returned by New, Write and Finalize
// wrap one of these (test with errors.Is) unless they come from
// Config.File, which are returned as they are. StatusOf maps them to an
// HTTP status.
var (
	// ErrTooLarge: the kept values exceed Config.MaxStorage, a field name
	// is longer than Config.MaxNameLen, or a multipart body has more than
	// Config.MaxParts parts. Answer 413 Content Too Large.
	ErrTooLarge error = &statusError{"spa: form exceeds a configured limit", 413}

	// ErrMalformed: the body is not valid in its encoding (a bad
	// %-escape, a multipart header line that is not "Name: value" or
	// does not end in CRLF, part headers beyond MaxHeaderBytes, junk after
	// a boundary, ...), or a multipart Content-Type has no valid boundary.
	// Answer 400 Bad Request.
	ErrMalformed error = &statusError{"spa: malformed form body", 400}

	// ErrUnsupportedType: the Content-Type given to New is neither
	// application/x-www-form-urlencoded nor multipart/form-data. Answer
	// 415 Unsupported Media Type.
	ErrUnsupportedType error = &statusError{"spa: unsupported form content type", 415}

	// ErrTruncated: the body ended before the form did: a multipart body
	// without its closing boundary, or inside a part's headers. Answer 400
	// Bad Request.
	ErrTruncated error = &statusError{"spa: form body truncated", 400}
)

// errFinalized is returned by Write after Finalize: a mistake of the
// caller, not of the peer.
var errFinalized = errors.New("spa: Write after Finalize")

// StatusOf returns the HTTP status a server should answer with after a
// form parse ended with err: 200 for nil; for an error that has an
// HTTPStatus() int method somewhere in its chain (every error of this
// package does, and a Config.File callback's error may), what that says:
// 413 for ErrTooLarge, 400 for ErrMalformed and ErrTruncated, 415 for
// ErrUnsupportedType; 500 for any other error.
func StatusOf(err error) int {
	if err == nil {
		return 200
	}
	var s interface{ HTTPStatus() int }
	if errors.As(err, &s) {
		return s.HTTPStatus()
	}
	return 500
}
