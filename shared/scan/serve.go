package scan

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// The download policy: only bytes whose stored verdict is ok are served,
// by every route that serves a repository's file (the LFS batch API's
// download action and the resolve endpoint). A download of a file still
// pending waits for its verdict up to Settings.DownloadWait, then is
// refused with 409 and Retry-After; infected and error are refused with
// 403 and the reason. See docs/scanning.md.

// RetryAfter is what a download of a file still pending asks the client
// to wait before it tries again.
const RetryAfter = 5 * time.Second

// VerdictPoll is how often a download waiting for a verdict reads it.
const VerdictPoll = 250 * time.Millisecond

// AwaitVerdict waits until deadline for a final scan status of ref,
// queueing a scan when ref has none. It returns the result as last read
// (pending when there was none).
func AwaitVerdict(ctx context.Context, st Store, q Queue, set Settings, ref ObjectRef, deadline time.Time, now func() time.Time, log *slog.Logger) (Result, error) {
	queued := false
	for {
		res, ok, err := st.Result(ctx, ref.Bucket, ref.Key, ref.VersionID)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			res = Result{Status: StatusPending}
			if !queued {
				queued = true
				if _, err := QueueMissing(ctx, st, q, set, []ObjectRef{ref}, now()); err != nil {
					// The sweeper queues it later; the caller retries.
					log.WarnContext(ctx, "queue scan", "key", ref.Key, "err", err)
				}
			}
		}
		if res.Status != StatusPending || !now().Add(VerdictPoll).Before(deadline) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, nil
		case <-time.After(VerdictPoll):
		}
	}
}

// Refusal is the policy's answer to a verdict: nil when the bytes may be
// served (ok), else a 403 (apperr.Permission) for infected and error and
// a 409 (apperr.Exist) for pending, with the reason in the message.
func Refusal(res Result) *apperr.Error {
	switch res.Status {
	case StatusOK:
		return nil
	case StatusInfected:
		return apperr.E(apperr.Permission, "Download refused: this file is infected (%s)", res.Reason)
	case StatusError:
		if Outage(res.Reason) {
			// An engine is down, not a fault of the file: the scan is
			// retried (Retries), so the client comes back (invariant 13).
			return apperr.E(apperr.Unavailable, "This file could not be scanned yet (%s); retry later", res.Reason)
		}
		return apperr.E(apperr.Permission, "Download refused: this file could not be scanned (%s)", res.Reason)
	}
	return apperr.E(apperr.Exist, "This file is still being scanned; retry in %s seconds", strconv.Itoa(int(RetryAfter.Seconds())))
}
