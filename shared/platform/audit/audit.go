// Package audit is the one shape of an audit event, written by every domain
// (accounts, tokens, keys, orgs, repositories, scans) under a subject and
// read back by the subject's owner.
package audit

import (
	"context"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Event is one audited action.
type Event struct {
	Subject  string // "user:<id>" or "org:<name>"
	At       time.Time
	Type     string
	Actor    string // user name of who did it, "" for anonymous
	SourceIP string
	Details  map[string]string
}

// Retention is how long events are kept.
const Retention = 180 * 24 * time.Hour

// Log appends events.
type Log interface {
	AppendAudit(ctx context.Context, ev Event) error
}

// ErrBadCursor is a pagination cursor that was not issued by us.
var ErrBadCursor error = apperr.E(apperr.Invalid, "cursor is not valid")
