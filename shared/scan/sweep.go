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
// down, a timeout) while Retries says so.
type Sweeper struct {
	Store    Store
	Queue    Queue
	Settings Settings
	Log      *slog.Logger
	Now      func() time.Time
	// Batch is how many due scans one pass reads (DefaultSweepBatch when
	// 0). A run makes as many passes as it takes.
	Batch int
	// Until ends a run early (zero: the context's deadline less
	// SweepReserve, or no limit); what is left is due on the next run.
	Until time.Time
}

// SweepSummary counts what a sweep did.
type SweepSummary struct {
	TimedOut int `json:"timedOut"`
	Requeued int `json:"requeued"`
	GaveUp   int `json:"gaveUp"`
	Passes   int `json:"passes"`
	// Incomplete is true when the run's time ran out with scans still due.
	Incomplete bool `json:"incomplete,omitempty"`
}

// DefaultSweepBatch is one pass's page of due scans.
const DefaultSweepBatch = 500

// SweepReserve is the time a run leaves itself before its context's
// deadline (the manifests and the tokens come after the scans).
const SweepReserve = 30 * time.Second

// staleRetries bounds the passes that find only scans this run already
// handled (the due index is eventually consistent, so a pass can read an
// entry the run just moved); each waits staleWait.
const (
	staleRetries = 5
	staleWait    = 200 * time.Millisecond
)

// Sweep drains: it acts on every scan due at the run's start, a page at a
// time, until none is left or its time runs out. Scans that fall due
// during the run (a requeued scan failing again at once) wait for the next
// run, so an outage cannot keep one run spinning.
func (w *Sweeper) Sweep(ctx context.Context) (SweepSummary, error) {
	var sum SweepSummary
	now := time.Now().UTC()
	if w.Now != nil {
		now = w.Now().UTC()
	}
	batch := w.Batch
	if batch <= 0 {
		batch = DefaultSweepBatch
	}
	until := w.Until
	if dl, ok := ctx.Deadline(); ok && until.IsZero() {
		until = dl.Add(-SweepReserve)
	}
	seen := map[string]bool{}
	stale := 0
	var errs []error
	for {
		if !until.IsZero() && !time.Now().Before(until) {
			sum.Incomplete = true
			break
		}
		due, err := w.Store.Due(ctx, now, batch)
		if err != nil {
			errs = append(errs, err)
			break
		}
		var fresh []Result
		for _, r := range due {
			id := r.Object.Bucket + "\x00" + r.Object.Key + "\x00" + r.Object.Version()
			if !seen[id] {
				seen[id] = true
				fresh = append(fresh, r)
			}
		}
		if len(fresh) == 0 {
			if len(due) < batch {
				break // nothing more is due
			}
			if stale++; stale > staleRetries {
				sum.Incomplete = true
				break
			}
			time.Sleep(staleWait)
			continue
		}
		stale = 0
		sum.Passes++
		if err := w.pass(ctx, fresh, now, &sum); err != nil {
			errs = append(errs, err)
		}
		if len(due) < batch {
			break
		}
	}
	return sum, errors.Join(errs...)
}

// pass acts on one page of due scans.
func (w *Sweeper) pass(ctx context.Context, due []Result, now time.Time, sum *SweepSummary) error {
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
			r.Status, r.Reason = StatusError, ReasonTimedOut
			if !Retries(r, w.Settings) {
				if err := w.Store.GiveUp(ctx, r); err != nil {
					errs = append(errs, err)
				}
				sum.GaveUp++
				continue
			}
			refs = append(refs, r.Object)
		case StatusError:
			if !Retries(r, w.Settings) {
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
			sum.Requeued += len(refs)
		}
	}
	return errors.Join(errs...)
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
