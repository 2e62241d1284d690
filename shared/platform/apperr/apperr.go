// Package apperr is the project's one error vocabulary: a small, fixed set of
// kinds that every layer uses and that httpapi maps, in one place, to an HTTP
// status and a JSON body.
package apperr

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds. Internal is the zero value so that an unclassified error is never
// mistaken for a client error.
const (
	Internal        Kind = iota // a bug or an unexpected failure; its text is never sent to clients
	Invalid                     // the request is malformed or violates a rule (400)
	Unauthenticated             // no or bad credentials (401)
	Permission                  // a known caller may not do this (403)
	NotExist                    // not found, or not visible to this caller (404)
	Exist                       // conflicts with something that exists (409)
	TooLarge                    // the body or an item is over a limit (413)
	RateLimited                 // too many requests (429)
	Unavailable                 // a dependency is down; try again (503)
	MediaType                   // the body's Content-Type is not one the endpoint reads (415)
	Precondition                // a precondition the request states no longer holds, e.g. a stale parent commit (412)
)

// String names k in a short sentence fit for a client, used when an error
// of a client kind carries no message of its own.
func (k Kind) String() string {
	switch k {
	case Invalid:
		return "Bad Request"
	case Unauthenticated:
		return "Unauthorized"
	case Permission:
		return "Forbidden"
	case NotExist:
		return "Not Found"
	case Exist:
		return "Conflict"
	case TooLarge:
		return "Request Entity Too Large"
	case RateLimited:
		return "Too Many Requests"
	case Unavailable:
		return "Service Unavailable"
	case MediaType:
		return "Unsupported Media Type"
	case Precondition:
		return "Precondition Failed"
	}
	return "Internal Server Error"
}

// Error is an error with a kind and a message that is safe to show the caller.
// Err, if set, is the underlying cause: it is logged, never sent.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
	// Code, if set, is a machine-readable error code clients branch on
	// (Hugging Face clients read it from the X-Error-Code header).
	Code string
}

// Error codes, as the Hugging Face Hub names them in X-Error-Code.
const (
	CodeRepoNotFound     = "RepoNotFound"
	CodeRevisionNotFound = "RevisionNotFound"
	CodeEntryNotFound    = "EntryNotFound"
	CodeGatedRepo        = "GatedRepo"
)

// WithCode returns a copy of e carrying the client error code.
func (e *Error) WithCode(code string) *Error {
	c := *e
	c.Code = code
	return &c
}

// CodeOf returns the code of the first *Error in err's chain, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Msg
	case e.Msg == "":
		return e.Err.Error()
	default:
		return e.Msg + ": " + e.Err.Error()
	}
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error of kind k with a client-safe message.
func E(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error of kind k whose cause is err. msg is client-safe.
func Wrap(k Kind, err error, msg string) *Error {
	return &Error{Kind: k, Msg: msg, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain; else
// Unavailable for an outage (Outage), else Internal. It is where every
// layer's answer to an outage is decided (invariant 13 in
// docs/invariants.md): a dependency that is down or throttling is a 503
// with Retry-After, never a 500.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if Outage(err) {
		return Unavailable
	}
	return Internal
}

// Outage reports whether err says a dependency could not answer now: a
// network error (connection refused or reset, timeout), a deadline
// exceeded, an answer with a 5xx status, or a throttling or
// internal-failure error code (DynamoDB, S3, SQS, Lambda). It reads the
// SDK's errors through the methods they have (HTTPStatusCode,
// ErrorCode), so this package imports no SDK. A canceled context (the
// caller went away) is not an outage.
func Outage(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() >= 500 {
		return true
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		switch coded.ErrorCode() {
		case "ThrottlingException", "Throttling", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
			"SlowDown", "TooManyRequestsException", "InternalServerError", "InternalFailure", "InternalError",
			"ServiceUnavailable", "ServiceUnavailableException":
			return true
		}
	}
	return false
}

// Public returns the message a client may see for err: the *Error's message
// for client kinds, and a fixed sentence for Internal and Unavailable so that
// internal text never leaves the process.
func Public(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		if Outage(err) {
			return "Service temporarily unavailable"
		}
		return "Internal error"
	}
	if e.Kind == Internal {
		return "Internal error"
	}
	if e.Kind == Unavailable && e.Msg == "" {
		return "Service temporarily unavailable"
	}
	if e.Msg == "" {
		return e.Kind.String()
	}
	return e.Msg
}
