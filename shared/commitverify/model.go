package commitverify

import (
	"context"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/signature"
)

// Limits of one verification request.
const (
	MaxObjects    = 100
	MaxTotalBytes = 4 << 20 // raw object bytes of one request
	// MaxStoredSignature is the largest signature block kept in a record;
	// longer ones are dropped from the record (the verdict stays).
	MaxStoredSignature = 16 << 10
	// MaxStoredMessage bounds the message kept in a record.
	MaxStoredMessage = 64 << 10
)

// Record is the stored verification of one object in one repository.
type Record struct {
	RepoID      string
	Repo        string // "type:namespace/name" when recorded, for humans
	SubmittedBy string // user name (or "org:<name>") of who pushed it
	// Parents and Message of a commit (a tag's message), for the commit
	// list; the message only up to MaxStoredMessage bytes.
	Parents []string
	Message string
	// Result is the verdict; Payload is never stored, Signature only up to
	// MaxStoredSignature bytes.
	signature.Result
}

// Store keeps verification records. Not-found is store.ErrNotFound.
type Store interface {
	// PutRecord stores rec unless a record for (rec.RepoID, rec.ObjectID)
	// exists. It returns the record as stored (the earlier one, unchanged,
	// when one existed) and whether this call created it.
	PutRecord(ctx context.Context, rec Record) (Record, bool, error)
	// Record reads the record of objectID in repoID.
	Record(ctx context.Context, repoID, objectID string) (Record, error)
	// Records reads the records of ids in repoID that exist.
	Records(ctx context.Context, repoID string, ids []string) (map[string]Record, error)
}

// BatchStore is a Store that writes many records at once with the same
// first-record-wins rule (commitverifyddb.Store); PutRecords answers, for
// each record, the record as stored and whether this call created it.
type BatchStore interface {
	PutRecords(ctx context.Context, recs []Record) ([]Record, []bool, error)
}

// Repos finds the repository a request names, checking that the caller
// may read it; *repo.Service implements it. The returned Repo carries the
// owner organization's signed-commit setting.
type Repos interface {
	Info(ctx context.Context, c access.Caller, typ access.RepoType, ns, name string) (repo.Repo, error)
}

// Object is one raw object of a push.
type Object struct {
	Kind  signature.ObjectKind
	Raw   []byte
	Label string // how the request named it ("commits[3]"), for errors
	// WantID, when set, is the object id the client says it sent; a
	// mismatch means the bytes were altered on the way (re-encoded text).
	WantID string
}

// Outcome is the verification of one object of a push.
type Outcome struct {
	Record
	AlreadyRecorded bool // the record existed before this request
}

// Push is the answer to a push-style verification.
type Push struct {
	Outcomes             []Outcome
	RequireSignedCommits bool
	Decision             signature.Decision
}

// ServiceSigned reports whether the record is of a commit the service
// signed for a user (the commit API): verified, but not by the user's key.
func (r Record) ServiceSigned() bool {
	return r.Status == signature.StatusVerified && r.Reason == signature.ReasonSignedByService
}

// Label is how a record is shown everywhere (commit list, record, pages):
// "Verified", "Verified · committed by the service for bob", "Unverified"
// or "Unsigned". A service-signed commit never reads as the user's own
// signature.
func (r Record) Label() string {
	switch {
	case r.ServiceSigned():
		return "Verified · committed by the service for " + r.SubmittedBy
	case r.Status == signature.StatusVerified:
		return "Verified"
	case r.Status == signature.StatusUnsigned:
		return "Unsigned"
	}
	return "Unverified"
}
