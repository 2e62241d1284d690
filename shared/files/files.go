// Package files keeps the file index of repositories: for every commit a
// push left at the tip of a branch or tag, the files of its tree by path
// (mode, size, git blob id, the LFS pointer's oid and size), written by
// the git server's post-receive hook through the uploads function; and
// serves the file list by path (the Hub's tree API) with each file's scan
// status. Regular blobs are copied by the hook into the uploads bucket,
// content-addressed under their base name (scan.BlobKey), so that the one
// scanner handles them and LFS objects alike.
package files

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// Limits of the index.
const (
	MaxPathLen       = 4096
	MaxFilesPerPush  = 100000
	MaxPresignedSize = 5 << 30 // a presigned single PUT
	URLExpiry        = time.Hour
)

// LFSPointer is what a git-lfs pointer file says.
type LFSPointer struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// Entry is one file of a commit's tree.
type Entry struct {
	Path   string      `json:"path"`
	Mode   string      `json:"mode"`             // git mode: 100644, 100755, 120000
	Size   int64       `json:"size"`             // bytes in git (the pointer's, for an LFS file)
	BlobID string      `json:"blobId"`           // git object id of the blob
	SHA256 string      `json:"sha256,omitempty"` // of the blob's bytes: its scan key
	LFS    *LFSPointer `json:"lfs,omitempty"`
	// Key is the uploads-bucket key the file's verdict is under (a regular
	// file's copy, an LFS object), fixed when its tree was indexed
	// (invariant 12): the index is keyed by repository id, and so is
	// this, so a renamed or transferred repository keeps finding its
	// copies and verdicts. Never taken from a request or a manifest.
	Key string `json:"-"`
}

// Store keeps the index (filesddb.Store).
type Store interface {
	// CommitIndexed reports whether commit's files are stored.
	CommitIndexed(ctx context.Context, repoID, commit string) (bool, error)
	// PutCommit stores the files of commit, then marks it indexed.
	PutCommit(ctx context.Context, repoID, commit string, files []Entry, at time.Time) error
	// File reads one file of commit by its exact path.
	File(ctx context.Context, repoID, commit, path string) (Entry, bool, error)
	// Files lists commit's files whose path starts with prefix, by path.
	Files(ctx context.Context, repoID, commit, prefix string) ([]Entry, error)
}

// Objects is the uploads bucket (*s3objects.Objects).
type Objects interface {
	Stat(ctx context.Context, key string) (scan.ObjectInfo, bool, error)
	PresignPut(ctx context.Context, key, repoID string, size int64, expires time.Duration) (string, map[string]string, error)
	PresignGet(ctx context.Context, key, version string, expires time.Duration) (string, map[string]string, error)
	// Range streams n bytes of a version from off (n < 0: to the end).
	Range(ctx context.Context, bucket, key, version string, off, n int64) (io.ReadCloser, error)
}

// Manifests are the push manifests the git server leaves in the bucket
// (githooks3.Manifests).
type Manifests interface {
	GetManifest(ctx context.Context, key string) ([]byte, bool, error)
	DeleteManifest(ctx context.Context, key string) error
}

// LFSFiles reads the LFS objects recorded in repositories (lfsddb.Files):
// an LFS file of the index is served from the object version its
// upload's verify recorded.
type LFSFiles interface {
	File(ctx context.Context, repoID, oid string) (lfs.File, bool, error)
}

// Results reads the newest scan result of any version of a key
// (scanddb.Store); the keys are content-addressed, so every version has
// the same bytes.
type Results interface {
	LatestResult(ctx context.Context, bucket, key string) (scan.Result, bool, error)
	// SettledResults reads many keys' settled results (a verdict, or an
	// error no longer retried) in batches; a key without one is absent.
	// A key present has the result LatestResult would give.
	SettledResults(ctx context.Context, bucket string, keys []string) (map[string]scan.Result, error)
}

// Settler backfills a key's settled item (scanddb.Store.Settle), for
// verdicts recorded before settled items existed: a list that had to read
// such a key on its own writes it, so the next list reads it in a batch.
// Optional: Results may implement it.
type Settler interface {
	Settle(ctx context.Context, r scan.Result) error
}

// LegacyLookups bounds, per folder view, the keys without a settled item
// whose newest result the sub-folder counts read one by one (see
// Service.Folder); beyond it they count as pending for that view.
const LegacyLookups = 64

// Repos reads repositories (*repo.Service).
type Repos interface {
	Authorize(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (repo.Repo, error)
	// AuthorizeRead decides a read with what the authorizer established
	// for this request (c.Repo) when it can, reading nothing.
	AuthorizeRead(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (repo.Repo, error)
	Get(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error)
}

// Service is the file index.
type Service struct {
	Store   Store
	Refs    gitref.Store
	Repos   Repos
	Objects Objects
	LFS     LFSFiles // for Resolve
	// For Commit: the git server, the LFS verify, the base URL of pages.
	Git       Git
	Verifier  Verifier
	PublicURL string
	Results   Results
	// Reports holds the full scan reports of results stored as summaries
	// (scan.Summarize); listings with expand show them whole.
	Reports scan.Reports
	// Model cards: stored at push with their metrics' provenance.
	Cards           CardStore
	Verifications   Verifications   // at push
	ModelSignatures ModelSignatures // nil until model signatures exist
	Scans           scan.Store
	Queue           scan.Queue
	Settings        scan.Settings
	Bucket          string
	Log             *slog.Logger
	Now             func() time.Time
	// Manifests reads and deletes the git server's push manifests
	// (githook.ManifestPrefix in the uploads bucket).
	Manifests Manifests
	// AfterIndex is the per-commit work of the asynchronous indexer (see
	// AfterIndexFunc): the place where work on each pushed commit plugs in.
	AfterIndex []AfterIndexFunc

	hotOnce sync.Once
	hotC    *hotCache
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// ScanKey is the uploads-bucket key the scanner knows the file by: the
// key its index entry keeps (Entry.Key), else (an entry indexed before
// keys were kept) the one r's current name gives.
func ScanKey(r repo.Repo, e Entry) string {
	if e.Key != "" {
		return e.Key
	}
	if e.LFS != nil {
		return scan.ObjectKey(r.Type, r.Namespace, r.Name, e.LFS.OID)
	}
	return scan.BlobKey(r.Type, r.Namespace, r.Name, e.SHA256, baseName(e.Path))
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// KeyBase names the repository in the uploads-bucket keys of its files
// ("<type>/<namespace>/<name>"): the name under which the git server
// copied a push's blobs and git-lfs uploaded its objects. The index keeps
// it with every tree it stores (invariant 12).
func KeyBase(typ access.RepoType, ns, name string) string {
	return string(typ) + "/" + ns + "/" + name
}

// keyIn is e's key under base (KeyBase); "" when base is malformed.
func keyIn(base string, e Entry) string {
	parts := strings.SplitN(base, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return ""
	}
	return ScanKey(repo.Repo{Type: access.RepoType(parts[0]), Namespace: parts[1], Name: parts[2]}, e)
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
