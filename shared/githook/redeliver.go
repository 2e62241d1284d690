package githook

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// RedeliverAfter is how long a manifest may wait for the indexer before
// the sweeper invokes it again (the indexer deletes a manifest once it is
// indexed; Lambda's own retries of an asynchronous event take up to
// minutes).
const RedeliverAfter = 5 * time.Minute

// RedeliverBatch bounds the manifests one sweep delivers again.
const RedeliverBatch = 1000

// ManifestLister lists manifests written before a time
// (githookaws.Manifests).
type ManifestLister interface {
	Stale(ctx context.Context, before time.Time, max int) ([]string, error)
}

// IndexQueue invokes the indexer on a manifest (githookaws.Indexer).
type IndexQueue interface {
	Index(ctx context.Context, key, user string) error
}

// Redeliver invokes the indexer again on every manifest older than
// before: a push's index is delivered even when the hook's own invoke was
// lost or the indexer failed. Indexing a manifest twice is harmless.
func Redeliver(ctx context.Context, l ManifestLister, q IndexQueue, before time.Time, log *slog.Logger) (int, error) {
	keys, err := l.Stale(ctx, before, RedeliverBatch)
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, k := range keys {
		if err := q.Index(ctx, k, ""); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if n > 0 && log != nil {
		log.WarnContext(ctx, "push manifests delivered again to the indexer", "count", n)
	}
	return n, errors.Join(errs...)
}
