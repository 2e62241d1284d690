package scanner_test

import (
	"context"
	"io"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/scan"
)

// countingObjects counts what the scanner reads from S3: bytes delivered
// by Range bodies, and Range calls for the whole object.
type countingObjects struct {
	scan.Objects
	mu           sync.Mutex
	bytes, whole int64
}

func (c *countingObjects) Range(ctx context.Context, bucket, key, version string, off, n int64) (io.ReadCloser, error) {
	body, err := c.Objects.Range(ctx, bucket, key, version, off, n)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if off == 0 && n < 0 {
		c.whole++
	}
	c.mu.Unlock()
	return &countingBody{body, c}, nil
}

func (c *countingObjects) reset() (bytes, whole int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bytes, whole, c.bytes, c.whole = c.bytes, c.whole, 0, 0
	return bytes, whole
}

type countingBody struct {
	io.ReadCloser
	c *countingObjects
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.mu.Lock()
	b.c.bytes += int64(n)
	b.c.mu.Unlock()
	return n, err
}

// noLeaks is the credential revoker: the object holds none, so it is never
// called; it is set so that the scanner's credential search runs.
type noLeaks struct{ calls int }

func (n *noLeaks) RevokeFound(context.Context, string, string, string) (bool, error) {
	n.calls++
	return false, nil
}

// TestClamdOutageReadsNoWholeObject: with clamd away, a scan reads the
// object only as far as the bounded analyses do (the pickle and format
// readers' ranges, the credential search once, on the first attempt):
// never the whole object to hash it. The outage's retries read no more
// than that, without the credential search; once clamd is back the scan
// reads it whole (ClamAV and the hash in one pass) and settles ok.
// Counted at the object store (real S3 server, clamd, DynamoDB Local).
func TestClamdOutageReadsNoWholeObject(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	objs := &countingObjects{Objects: e.objects}
	e.scanner.Objects = objs
	e.scanner.Leaks = &noLeaks{}
	e.clamd.Stop()

	// Not a model file: the analyses stop at its first bytes. The bytes
	// are fixed (seeded), not new each run: in about one run in 25, fresh
	// random bytes made the analyses read 610 KiB, over this test's
	// bound, whatever clamd did (random bytes can begin like a pickle the
	// lenient walk reads on through: one in 1,500 read whole in
	// modelfile.Analyze began with GET, 0x67).
	data := make([]byte, 4<<20)
	_, _ = mrand.NewChaCha8([32]byte{'o', 'u', 't', 'a', 'g', 'e'}).Read(data)
	ref, ev := e.put(data)
	e.handle(ev)
	r := e.result(ref)
	if r.Status != scan.StatusError || r.Reason != scan.ReasonClamdUnreachable || r.SHA256 != "" {
		t.Fatalf("during the outage: %s %q sha %q, want an unreachable error, unhashed", r.Status, r.Reason, r.SHA256)
	}
	read, whole := objs.reset()
	// The credential search (first attempt only) reads the object once;
	// nothing else may read it whole.
	if whole != 0 || read > int64(len(data))+int64(len(data))/8 {
		t.Errorf("first attempt during the outage: %d whole-object reads, %d bytes of %d (want none whole, at most the credential search's one pass plus the analyses' ranges)", whole, read, len(data))
	}

	q := &queue{}
	sw := &scan.Sweeper{Store: e.store, Queue: q, Settings: e.scanner.Settings, Log: e.scanner.Log,
		Now: func() time.Time { return time.Now().Add(time.Second) }}
	for round := range 2 {
		q.refs = nil
		if sum, err := sw.Sweep(context.Background()); err != nil || sum.Requeued != 1 {
			t.Fatalf("outage sweep %d: %+v %v", round, sum, err)
		}
		e.handle(scan.EncodeEvent(q.refs))
		if r := e.result(ref); r.Status != scan.StatusError || r.Reason != scan.ReasonClamdUnreachable {
			t.Fatalf("retry %d during the outage: %s %q", round, r.Status, r.Reason)
		}
		if read, whole := objs.reset(); whole != 0 || read > int64(len(data))/8 {
			t.Errorf("retry %d during the outage read %d bytes of %d, %d of them whole-object reads (want only the analyses' ranges)", round, read, len(data), whole)
		}
	}

	e.clamd.Restart()
	q.refs = nil
	if sum, err := sw.Sweep(context.Background()); err != nil || sum.Requeued != 1 {
		t.Fatalf("sweep after clamd returned: %+v %v", sum, err)
	}
	e.handle(scan.EncodeEvent(q.refs))
	if r := e.result(ref); r.Status != scan.StatusOK || r.SHA256 != oidOf(data) {
		t.Fatalf("after clamd returned: %s %q sha %q", r.Status, r.Reason, r.SHA256)
	}
	if read, whole := objs.reset(); whole < 1 || read < int64(len(data)) {
		t.Errorf("the settling scan read %d bytes, %d whole-object reads: ClamAV and the hash must read it all", read, whole)
	}
}
