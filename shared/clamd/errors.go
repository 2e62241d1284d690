package clamd

import (
	"errors"
	"fmt"
)

// Kind classifies a failure so the caller can record why a scan is `error`.
type Kind string

// The kinds of failure. None of them may be read as "clean".
const (
	KindUnreachable Kind = "unreachable" // dial failed: clamd down or wrong address
	KindTimeout     Kind = "timeout"     // a deadline or the context expired
	KindSizeLimit   Kind = "size-limit"  // the stream exceeded clamd's StreamMaxLength
	KindClamd       Kind = "clamd-error" // clamd replied with an ERROR line
	// KindLimit: clamd stopped at one of its limits (archive nesting, file
	// count, scan time, sizes) and said so with a Heuristics.Limits.Exceeded
	// signature (AlertExceedsMax): part of the file was never scanned.
	KindLimit    Kind = "limit-exceeded"
	KindProtocol Kind = "protocol" // a reply we could not understand, or I/O failure mid-stream
)

// Error is every error the client returns (except the caller's reader
// failing, which is wrapped as it is).
type Error struct {
	Kind  Kind
	Reply string // clamd's reply text, if any
	Err   error  // underlying error, if any
}

func (e *Error) Error() string {
	msg := "clamd: " + string(e.Kind)
	if e.Reply != "" {
		msg += fmt.Sprintf(": %q", e.Reply)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrSizeLimit) and friends match on Kind.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Reply == "" && t.Err == nil && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrUnreachable = &Error{Kind: KindUnreachable}
	ErrTimeout     = &Error{Kind: KindTimeout}
	ErrSizeLimit   = &Error{Kind: KindSizeLimit}
	ErrClamd       = &Error{Kind: KindClamd}
	ErrLimit       = &Error{Kind: KindLimit}
	ErrProtocol    = &Error{Kind: KindProtocol}
)

// KindOf returns the Kind of a client error, or "" if err is not one.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
