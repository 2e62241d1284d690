package lfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hubsec/trustlayer/internal/platform/apperr"
	"github.com/hubsec/trustlayer/internal/scan"
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
// to wait before it tries again.
const RetryAfter = 5 * time.Second

// verdictPoll is how often a download waiting for a verdict reads it.
const verdictPoll = 250 * time.Millisecond

// verdict waits until deadline for a final scan status of f, queueing a
// scan when f has none. It returns the result as last read.
func (s *Service) verdict(ctx context.Context, f File, deadline time.Time) (scan.Result, error) {
	queued := false
	for {
		res, ok, err := s.Scans.Result(ctx, s.Bucket, f.Key, f.VersionID)
		if err != nil {
			return scan.Result{}, err
		}
		if !ok {
			res = scan.Result{Status: scan.StatusPending}
			if !queued {
				queued = true
				if _, err := scan.QueueMissing(ctx, s.Scans, s.Queue, s.Settings, []scan.ObjectRef{f.Ref(s.Bucket)}, s.now()); err != nil {
					// The sweeper queues it later; the caller retries.
					s.Log.WarnContext(ctx, "queue scan", "key", f.Key, "err", err)
				}
			}
		}
		if res.Status != scan.StatusPending || !s.now().Add(verdictPoll).Before(deadline) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, nil
		case <-time.After(verdictPoll):
		}
	}
}

// servable turns a verdict into a per-object refusal, or nil when the
// verdict is ok: only judged-safe bytes are served.
func servable(res scan.Result, retryAfter time.Duration) *ObjectError {
	switch res.Status {
	case scan.StatusOK:
		return nil
	case scan.StatusInfected:
		return &ObjectError{Code: 403, Message: "Download refused: this file is infected (" + res.Reason + ")"}
	case scan.StatusError:
		return &ObjectError{Code: 403, Message: "Download refused: this file could not be scanned (" + res.Reason + ")"}
	}
	return &ObjectError{Code: 409, Message: "This file is still being scanned; retry in " +
		strconv.Itoa(int(retryAfter.Seconds())) + " seconds"}
}
