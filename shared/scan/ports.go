package scan

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/audit"
)

// ErrObjectGone is returned by Objects when the object version no longer
// exists; the scanner then has nothing to scan.
var ErrObjectGone = errors.New("object does not exist")

// ErrLostClaim is returned by Store.Complete when another run owns the
// version now (the sweeper timed this one out).
var ErrLostClaim = errors.New("scan claim lost")

// ObjectInfo is what a HEAD request says about an object version.
type ObjectInfo struct {
	Size      int64
	ETag      string // without quotes
	VersionID string // "" when unversioned
	RepoID    string // the repository an LFS upload was presigned for ("" if none)
}

// Objects reads and tags objects (scan/s3objects implements it on S3).
type Objects interface {
	Head(ctx context.Context, bucket, key, version string) (ObjectInfo, error)
	// Range streams n bytes from off (n < 0: to the end).
	Range(ctx context.Context, bucket, key, version string, off, n int64) (io.ReadCloser, error)
	// SetTag sets the scan-status tag on the version, keeping other tags.
	SetTag(ctx context.Context, bucket, key, version string, status Status) error
}

// Claim is the outcome of Store.Claim.
type Claim struct {
	Won      bool
	Existing Result // the stored result when not won (zero if none)
	Attempts int    // attempts including this one, when won
}

// CacheEntry is a verdict on content, keyed by its SHA-256.
type CacheEntry struct {
	SHA256     string
	Status     Status // ok or infected only
	Reason     string
	Signatures []string
	Result     Result // the engines' findings (imports, highest, kind)
	// PickleFinding names the pickle analysis's dangerous finding
	// (modelfile.Report.Finding), so a verdict served from the cache
	// carries the same reason as the scan that wrote it.
	PickleFinding string
	ClamAVVersion string // clamd VERSION line when scanned (signature db included)
	Mode          Mode
	PickleVersion string
	FormatVersion string // modelformat.Version of the format readers' findings
	ScannedAt     time.Time
}

// Store keeps results (scanddb.Store implements it).
type Store interface {
	// Claim marks the version pending for run with deadline, on condition
	// that it has no result, or a queued or stuck (deadline before now)
	// pending one, or an error, or a result for another ETag. Otherwise it
	// returns the stored result and Won false.
	Claim(ctx context.Context, ref ObjectRef, run string, now, deadline time.Time) (Claim, error)
	// Complete stores the result of run; ErrLostClaim if run no longer
	// holds the version.
	Complete(ctx context.Context, r Result) error
	// Result reads the version's result; ok false when there is none.
	Result(ctx context.Context, bucket, key, version string) (Result, bool, error)
	// Queue marks the version pending with no run, on condition that it has
	// no result; ok false when it had one.
	Queue(ctx context.Context, ref ObjectRef, now, deadline time.Time) (bool, error)
	// Cached reads the content cache.
	Cached(ctx context.Context, sha string) (CacheEntry, bool, error)
	// PutCache writes the content cache (last writer wins).
	PutCache(ctx context.Context, e CacheEntry) error
	// Due lists versions the sweeper must act on (Deadline at or before
	// now): pending ones past their deadline and error ones due a retry.
	// A due Result carries the object, status, reason, run, deadline and
	// attempts only (what the due list's index projects), never imports,
	// findings or signatures.
	Due(ctx context.Context, now time.Time, limit int) ([]Result, error)
	// Expire moves a stuck pending version (same Run and Deadline as r) to
	// error with reason; the sweeper acts on it again at next. ok is false
	// when the version changed meanwhile.
	Expire(ctx context.Context, r Result, reason string, next time.Time) (bool, error)
	// Requeue pushes an error version's next retry to next, on condition
	// that its Deadline is still r's (one sweeper enqueues it once).
	Requeue(ctx context.Context, r Result, next time.Time) (bool, error)
	// GiveUp takes an error version off the retry index.
	GiveUp(ctx context.Context, r Result) error
}

// Queue sends scans to the scanner function (scan/sqsqueue: the scan queue).
type Queue interface {
	Enqueue(ctx context.Context, refs []ObjectRef) error
}

// AuditLog records audit events (ddb.Table implements it).
type AuditLog interface {
	AppendAudit(ctx context.Context, ev audit.Event) error
}

// Owners resolves the audit subject of a repository's owner ("user:<id>"
// or "org:<name>").
type Owners interface {
	OwnerSubject(ctx context.Context, k KeyParts) (string, error)
}
