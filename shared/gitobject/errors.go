package gitobject

import (
	"errors"
	"fmt"
)

// Sentinel errors that a *ParseError unwraps to. Callers test them with
// errors.Is; every one of them means the client sent a bad object (HTTP 400).
var (
	ErrTooLarge           = errors.New("object too large")
	ErrTooManyHeaders     = errors.New("too many headers")
	ErrLineTooLong        = errors.New("header line too long")
	ErrTruncated          = errors.New("truncated headers")
	ErrBadHeader          = errors.New("malformed header")
	ErrNUL                = errors.New("NUL byte in headers")
	ErrDuplicateHeader    = errors.New("duplicate header")
	ErrDuplicateSignature = errors.New("duplicate signature header")
	ErrMissingHeader      = errors.New("missing header")
	ErrBadIdentity        = errors.New("malformed identity")
	ErrBadObjectID        = errors.New("malformed object id")
	ErrWrongKind          = errors.New("not a commit or tag")
)

// ParseError describes why an object was refused. Its message names the
// problem and, where it helps, the 1-based line; it never echoes more than a
// short quoted excerpt of the input.
type ParseError struct {
	Err    error  // one of the Err* sentinels
	Line   int    // 1-based line number, 0 when not tied to a line
	Detail string // human-readable specifics
}

// Error returns a message suitable for a 400 response body.
func (e *ParseError) Error() string {
	msg := e.Err.Error()
	if e.Line > 0 {
		msg = fmt.Sprintf("%s at line %d", msg, e.Line)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErr(err error, line int, format string, args ...any) *ParseError {
	return &ParseError{Err: err, Line: line, Detail: fmt.Sprintf(format, args...)}
}

// excerpt returns a short, quoted prefix of b for error messages.
func excerpt(b []byte) string {
	const max = 40
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
