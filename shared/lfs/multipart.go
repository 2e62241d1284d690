package lfs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// Multipart is the S3 multipart side of Objects (*s3objects.Objects).
type Multipart interface {
	CreateMultipart(ctx context.Context, key, repoID string) (string, error)
	PresignPart(ctx context.Context, key, uploadID string, part int32, expires time.Duration) (string, error)
	// CompleteMultipart: scan.ErrNoUpload, scan.ErrBadParts.
	CompleteMultipart(ctx context.Context, key, uploadID string, etags []string) (scan.ObjectInfo, error)
}

// Multipart transfer limits.
const (
	DefaultChunkSize = 64 << 20 // part size offered when the service sets none
	MinChunkSize     = 5 << 20  // S3's smallest part (but the last)
	MaxParts         = 10000    // S3's most parts of one upload
	maxUploadID      = 1024
)

// TransferMultipart is the Hugging Face clients' multipart transfer: the
// upload action's header carries chunk_size and one presigned part URL per
// part, keyed by its number; its href is the completion URL.
const TransferMultipart = "multipart"

// chunkSize is the part size for an object of size bytes.
func (s *Service) chunkSize(size int64) int64 {
	c := s.ChunkSize
	if c <= 0 {
		c = DefaultChunkSize
	}
	if least := (size + MaxParts - 1) / MaxParts; c < least {
		c = least
	}
	return c
}

// ParseChunkSize reads LFS_MULTIPART_CHUNK_SIZE (bytes; "" for the default).
func ParseChunkSize(v string) (int64, error) {
	if v == "" {
		return DefaultChunkSize, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < MinChunkSize || n > MaxSinglePut {
		return 0, fmt.Errorf("LFS_MULTIPART_CHUNK_SIZE is %q: give a byte count from %d to %d", v, int64(MinChunkSize), int64(MaxSinglePut))
	}
	return n, nil
}

// uploadMultipart starts a multipart upload of o and answers its part URLs.
func (s *Service) uploadMultipart(ctx context.Context, r repo.Repo, o ObjectRequest, key string, resp ObjectResponse) (ObjectResponse, error) {
	id, err := s.Multipart.CreateMultipart(ctx, key, r.ID)
	if err != nil {
		return resp, err
	}
	chunk := s.chunkSize(o.Size)
	n := (o.Size + chunk - 1) / chunk
	hdr := map[string]string{"chunk_size": strconv.FormatInt(chunk, 10)}
	for i := int32(1); int64(i) <= n; i++ {
		u, err := s.Multipart.PresignPart(ctx, key, id, i, URLExpiry)
		if err != nil {
			return resp, err
		}
		hdr[fmt.Sprintf("%05d", i)] = u
	}
	// The clients POST the completion without credentials: the upload id,
	// which only the caller given the part URLs knows, is the capability.
	complete := s.PublicURL + gitPath(r) + "/info/lfs/complete/" + o.OID + "?uploadId=" + url.QueryEscape(id)
	resp.Actions = map[string]*Action{
		"upload": {Href: complete, Header: hdr, ExpiresIn: int(URLExpiry.Seconds())},
		"verify": {Href: s.PublicURL + gitPath(r) + "/info/lfs/verify", ExpiresIn: int(URLExpiry.Seconds())},
	}
	return resp, nil
}

// CompletePart is one part of a completion request.
type CompletePart struct {
	PartNumber int    `json:"partNumber"`
	ETag       string `json:"etag"`
}

// CompleteInput is a multipart completion: POST
// /{ns}/{name}.git/info/lfs/complete/{oid}?uploadId=... {oid, parts}.
type CompleteInput struct {
	Type      access.RepoType
	Namespace string
	Name      string
	OID       string
	UploadID  string
	Parts     []CompletePart
}

// Complete assembles a multipart upload and checks that its bytes hash to
// the oid. It records nothing: the verify action that follows does, as
// the caller. A wrong upload id and a missing repository get the same
// answer.
func (s *Service) Complete(ctx context.Context, in CompleteInput) error {
	if !scan.ValidOID(in.OID) {
		return apperr.E(apperr.Invalid, "oid must be a SHA-256 in 64 lower-case hex digits")
	}
	if in.UploadID == "" || len(in.UploadID) > maxUploadID {
		return apperr.E(apperr.Invalid, "uploadId is required")
	}
	if len(in.Parts) == 0 || len(in.Parts) > MaxParts {
		return apperr.E(apperr.Invalid, "parts must list 1 to %d parts", MaxParts)
	}
	parts := append([]CompletePart(nil), in.Parts...)
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	etags := make([]string, len(parts))
	for i, p := range parts {
		if p.PartNumber != i+1 || p.ETag == "" || len(p.ETag) > 256 {
			return apperr.E(apperr.Invalid, "parts must be numbered 1 to %d, each with its etag", len(parts))
		}
		etags[i] = p.ETag
	}
	gone := apperr.E(apperr.NotExist, "No multipart upload %s for this object", in.UploadID)
	r, err := s.Repos.Get(ctx, in.Type, in.Namespace, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return gone
	}
	if err != nil {
		return fmt.Errorf("read repo %s/%s: %w", in.Namespace, in.Name, err)
	}
	key := scan.ObjectKey(r.Type, r.Namespace, r.Name, in.OID)
	info, err := s.Multipart.CompleteMultipart(ctx, key, in.UploadID, etags)
	switch {
	case errors.Is(err, scan.ErrNoUpload):
		return gone
	case errors.Is(err, scan.ErrBadParts):
		return apperr.E(apperr.Invalid, "S3 refused the parts: check each part's etag and that every part but the last has chunk_size bytes")
	case err != nil:
		return err
	}
	return s.checkContent(ctx, key, in.OID, info)
}
