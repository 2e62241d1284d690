package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ReasonTimedOut is the error reason of a scan that stayed pending past
// its deadline.
const ReasonTimedOut = "scan timed out"

// Sweeper finds scans stuck in pending past their deadline, moves them to
// error ("scan timed out") and requeues them, and requeues errors (clamd
// down, a timeout) until Settings.MaxAttempts.
type Sweeper struct {
	Store    Store
	Queue    Queue
	Settings Settings
	Log      *slog.Logger
	Now      func() time.Time
}

// SweepSummary counts what a sweep did.
type SweepSummary struct {
	TimedOut int `json:"timedOut"`
	Requeued int `json:"requeued"`
	GaveUp   int `json:"gaveUp"`
}

// sweepBatch bounds one sweep; the next scheduled run takes the rest.
const sweepBatch = 500

// Sweep runs once.
func (w *Sweeper) Sweep(ctx context.Context) (SweepSummary, error) {
	var sum SweepSummary
	now := time.Now().UTC()
	if w.Now != nil {
		now = w.Now().UTC()
	}
	due, err := w.Store.Due(ctx, now, sweepBatch)
	if err != nil {
		return sum, err
	}
	next := now.Add(w.Settings.Timeout + w.Settings.Grace)
	var refs []ObjectRef
	var errs []error
	for _, r := range due {
		switch r.Status {
		case StatusPending:
			ok, err := w.Store.Expire(ctx, r, ReasonTimedOut, next)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !ok {
				continue
			}
			sum.TimedOut++
			w.Log.WarnContext(ctx, "scan timed out", "object", r.Object.String(), "attempts", r.Attempts)
			if r.Attempts >= w.Settings.MaxAttempts {
				if err := w.Store.GiveUp(ctx, r); err != nil {
					errs = append(errs, err)
				}
				sum.GaveUp++
				continue
			}
			refs = append(refs, r.Object)
		case StatusError:
			if r.Attempts >= w.Settings.MaxAttempts {
				if err := w.Store.GiveUp(ctx, r); err != nil {
					errs = append(errs, err)
				}
				sum.GaveUp++
				continue
			}
			ok, err := w.Store.Requeue(ctx, r, next)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				refs = append(refs, r.Object)
			}
		}
	}
	if len(refs) > 0 {
		if err := w.Queue.Enqueue(ctx, refs); err != nil {
			errs = append(errs, fmt.Errorf("requeue %d scans: %w", len(refs), err))
		} else {
			sum.Requeued = len(refs)
		}
	}
	return sum, errors.Join(errs...)
}

// QueueMissing marks every ref that has no result pending (deadline
// now+Timeout+Grace) and sends them to the scanner. It returns the refs it
// queued; a ref another caller queued first is left alone.
func QueueMissing(ctx context.Context, store Store, q Queue, set Settings, refs []ObjectRef, now time.Time) ([]ObjectRef, error) {
	var queued []ObjectRef
	deadline := now.Add(set.Timeout + set.Grace)
	for _, r := range refs {
		ok, err := store.Queue(ctx, r, now, deadline)
		if err != nil {
			return queued, err
		}
		if ok {
			queued = append(queued, r)
		}
	}
	if len(queued) == 0 {
		return nil, nil
	}
	return queued, q.Enqueue(ctx, queued)
}
