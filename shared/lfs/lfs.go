// Package lfs serves the Git LFS batch API (uploads and downloads through
// presigned S3 URLs, the verify action) and the repository file list with
// each file's scan status, which queues a scan for every file without one.
//
// The authorizer has already authenticated the caller and checked
// repo.read (batch) or repo.write (verify); the batch handler decides
// repo.write itself for uploads, which it only learns from the body.
// Storage and S3 are ports: lfsddb.Files, scanddb.Store and
// scan/s3objects implement them.
package lfs

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// MaxObjectSize is the largest LFS object accepted: 50 GiB, the Hub's
// per-file limit. S3's single PUT limit is 5 GiB; larger objects need the
// multipart transfer (see docs/scanning.md).
const MaxObjectSize = 50 << 30

// MaxSinglePut is the largest object a presigned single PUT can upload.
const MaxSinglePut = 5 << 30

// MaxBatchObjects bounds the objects of one batch request (git-lfs sends
// 100 at most).
const MaxBatchObjects = 1000

// URLExpiry is how long presigned URLs are valid.
const URLExpiry = time.Hour

// File is an LFS object recorded in a repository.
type File struct {
	Type       access.RepoType
	Namespace  string // canonical spelling
	Name       string
	RepoID     string
	OID        string
	Size       int64
	Key        string
	VersionID  string
	ETag       string
	UploadedAt time.Time
	UploadedBy string // user name
}

// Ref returns the object version the file points at.
func (f File) Ref(bucket string) scan.ObjectRef {
	return scan.ObjectRef{Bucket: bucket, Key: f.Key, VersionID: f.VersionID, ETag: f.ETag, Size: f.Size}
}

// Files stores repositories' LFS files (lfsddb.Files), keyed by the
// repository's id, never its name: a repository that is moved keeps its
// files, and one created under a freed name starts with none.
type Files interface {
	PutFile(ctx context.Context, f File) error
	File(ctx context.Context, repoID, oid string) (File, bool, error)
	Files(ctx context.Context, repoID string) ([]File, error)
}

// Objects is the S3 side (*s3objects.Objects).
type Objects interface {
	Stat(ctx context.Context, key string) (scan.ObjectInfo, bool, error)
	// PresignPut binds the upload to repoID: the client must send it (a
	// signed header) and Stat reports it back as ObjectInfo.RepoID.
	PresignPut(ctx context.Context, key, repoID string, size int64, expires time.Duration) (string, map[string]string, error)
	PresignGet(ctx context.Context, key, version string, expires time.Duration) (string, map[string]string, error)
	// Range streams n bytes of a version from off (n < 0: to the end).
	Range(ctx context.Context, bucket, key, version string, off, n int64) (io.ReadCloser, error)
}

// Repos reads repositories and organization roles (*repo.Service and
// repoddb.Store).
type Repos interface {
	Authorize(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (repo.Repo, error)
	Get(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error)
}

// Service holds the LFS API's dependencies.
type Service struct {
	Repos     Repos
	Files     Files
	Objects   Objects
	Multipart Multipart
	// ChunkSize is the part size of multipart uploads
	// (LFS_MULTIPART_CHUNK_SIZE, DefaultChunkSize when 0).
	ChunkSize int64
	Scans     scan.Store
	Queue     scan.Queue
	Settings  scan.Settings
	Bucket    string
	PublicURL string // base URL of the API, for verify hrefs
	Log       *slog.Logger
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// authorize loads the repository and decides a for the caller, loading
// the caller's role in the owner organization now.
func (s *Service) authorize(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (repo.Repo, error) {
	return s.Repos.Authorize(ctx, c, a, typ, ns, name)
}

// checkObject validates an object of a request.
func checkObject(oid string, size int64) error {
	if !scan.ValidOID(oid) {
		return apperr.E(apperr.Invalid, "oid must be a SHA-256 in 64 lower-case hex digits")
	}
	if size < 0 {
		return apperr.E(apperr.Invalid, "size must not be negative")
	}
	if size > MaxObjectSize {
		return apperr.E(apperr.TooLarge, "size %d is over the %d-byte limit", size, int64(MaxObjectSize))
	}
	return nil
}
