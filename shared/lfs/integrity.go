package lfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/scan"
)

// contentSHA256 returns the SHA-256 of the object version info names: the
// scanner's, when it has hashed this very version, else hashed here from a
// streamed GET.
func (s *Service) contentSHA256(ctx context.Context, key string, info scan.ObjectInfo) (string, error) {
	res, ok, err := s.Scans.Result(ctx, s.Bucket, key, info.VersionID)
	if err != nil {
		return "", err
	}
	if ok && res.SHA256 != "" && res.Object.ETag == info.ETag && res.Object.Size == info.Size {
		return res.SHA256, nil
	}
	body, err := s.Objects.Range(ctx, s.Bucket, key, info.VersionID, 0, -1)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", key, err)
	}
	if n != info.Size {
		return "", fmt.Errorf("hash %s: read %d bytes of %d", key, n, info.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkContent refuses an object version whose bytes do not hash to oid:
// such an object is never recorded, so never listed or served.
func (s *Service) checkContent(ctx context.Context, key, oid string, info scan.ObjectInfo) error {
	sum, err := s.contentSHA256(ctx, key, info)
	if err != nil {
		return err
	}
	if sum != oid {
		return apperr.E(apperr.Invalid, "Object %s: the uploaded bytes do not hash to this oid (SHA-256 %s); upload the right bytes again", oid, sum)
	}
	return nil
}

// RetryAfter is what a download of a file still pending asks the client
// to wait before it tries again (the policy's, package scan).
const RetryAfter = scan.RetryAfter

// verdict waits until deadline for a final scan status of f, queueing a
// scan when f has none (scan.AwaitVerdict).
func (s *Service) verdict(ctx context.Context, f File, deadline time.Time) (scan.Result, error) {
	return scan.AwaitVerdict(ctx, s.Scans, s.Queue, s.Settings, f.Ref(s.Bucket), deadline, s.now, s.Log)
}

// servable turns a verdict into a per-object refusal, or nil when the
// verdict is ok: the one policy of package scan (scan.Refusal), in the
// batch API's per-object shape.
func servable(res scan.Result) *ObjectError {
	e := scan.Refusal(res)
	if e == nil {
		return nil
	}
	code := 403
	switch e.Kind {
	case apperr.Exist:
		code = 409
	case apperr.Unavailable:
		code = 503
	}
	return &ObjectError{Code: code, Message: e.Msg}
}
