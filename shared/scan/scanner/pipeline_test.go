package scanner_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/clamd/clamdtest"
	"github.com/hubsec/trustlayer/shared/pickle"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
	"github.com/hubsec/trustlayer/shared/scan/scanner"
	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// env is a scanner over DynamoDB Local, the S3 server and a real clamd.
type env struct {
	t       *testing.T
	s3      *s3.Client
	bucket  string
	objects *s3objects.Objects
	store   scanddb.Store
	clamd   *clamdtest.Server
	scanner *scanner.Scanner
}

func newS3(t testing.TB) (*s3.Client, string) {
	t.Helper()
	testenv.RequireEnv(t, "AWS_ENDPOINT_URL_S3")
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := awsconfig.S3(cfg)
	var b [5]byte
	_, _ = rand.Read(b[:])
	bucket := "scan-test-" + hex.EncodeToString(b[:])
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return c, bucket
}

func newEnv(t *testing.T, mode scan.Mode) *env {
	t.Helper()
	table := ddbtest.NewTable(t)
	c, bucket := newS3(t)
	srv := clamdtest.Start(t, clamdtest.Options{})
	e := &env{t: t, s3: c, bucket: bucket, objects: s3objects.New(c, bucket), store: scanddb.Store{Table: table}, clamd: srv}
	e.scanner = &scanner.Scanner{Store: e.store, Objects: e.objects, Reports: e.objects, AV: srv.Client(),
		Settings: scan.Settings{Mode: mode, MaxAVBytes: scan.DefaultMaxAVBytes, Timeout: time.Minute, Grace: time.Minute, MaxAttempts: 3},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil))}
	return e
}

func oidOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// put uploads data under its LFS key and returns the event S3 would send.
func (e *env) put(data []byte) (scan.ObjectRef, []byte) {
	e.t.Helper()
	key := scan.ObjectKey("model", "alice", "m", oidOf(data))
	return e.putKey(key, data)
}

func (e *env) putKey(key string, data []byte) (scan.ObjectRef, []byte) {
	e.t.Helper()
	out, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		e.t.Fatalf("put: %v", err)
	}
	ref := scan.ObjectRef{Bucket: e.bucket, Key: key, Size: int64(len(data)), ETag: strings.Trim(aws.ToString(out.ETag), `"`)}
	return ref, scan.EncodeEvent([]scan.ObjectRef{ref})
}

func (e *env) result(ref scan.ObjectRef) scan.Result {
	e.t.Helper()
	r, ok, err := e.store.Result(context.Background(), ref.Bucket, ref.Key, ref.VersionID)
	if err != nil || !ok {
		e.t.Fatalf("result of %s: ok=%v err=%v", ref.Key, ok, err)
	}
	return r
}

// tag reads the object's scan-status tag. (Under the local stack versitygw
// also posts this bucket's events to the stack's scanner, which ignores
// every bucket but its own uploads bucket.)
func (e *env) tag(ref scan.ObjectRef) string {
	e.t.Helper()
	tag, err := e.objects.Tag(context.Background(), ref.Key, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return tag
}

func (e *env) handle(ev []byte) scanner.EventSummary {
	e.t.Helper()
	sum, err := e.scanner.HandleEvent(context.Background(), ev)
	if err != nil {
		e.t.Fatalf("handle event: %v", err)
	}
	return sum
}

func TestVerdicts(t *testing.T) {
	for _, mode := range []scan.Mode{scan.ModeFull, scan.ModeStructure} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode)
			tests := []struct {
				name       string
				data       []byte
				want       scan.Status
				wantImport string // module.name that must be listed
				wantSig    bool
			}{
				{"eicar", []byte(scantest.EICAR), scan.StatusInfected, "", true},
				{"safetensors", scantest.Safetensors(1000), scan.StatusOK, "", false},
				{"malicious checkpoint", scantest.TorchZip(t, scantest.MaliciousPickle(t), 4096), scan.StatusInfected, "posix.system", false},
				{"benign checkpoint", scantest.TorchZip(t, scantest.BenignPickle(t), 4096), scan.StatusOK, "torch._utils._rebuild_tensor_v2", false},
				{"eicar in a checkpoint's version member", scantest.Zip(t,
					scantest.Member{Name: "archive/data.pkl", Data: scantest.BenignPickle(t)},
					scantest.Member{Name: "archive/data/0", Data: scantest.Random(2048, 4)},
					scantest.Member{Name: "archive/version", Data: []byte(scantest.EICAR), Deflate: true}), scan.StatusInfected, "", true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ref, ev := e.put(tt.data)
					e.handle(ev)
					r := e.result(ref)
					if r.Status != tt.want {
						t.Fatalf("got %s (%s), want %s", r.Status, r.Reason, tt.want)
					}
					if got := e.tag(ref); got != string(tt.want) {
						t.Errorf("got tag %q, want %q", got, tt.want)
					}
					if r.SHA256 != oidOf(tt.data) {
						t.Errorf("got sha256 %s, want %s", r.SHA256, oidOf(tt.data))
					}
					if tt.wantSig != (len(r.Signatures) > 0) {
						t.Errorf("got signatures %v", r.Signatures)
					}
					if r.Engines[scan.EngineClamAV] == "" {
						t.Errorf("no clamd version in %v", r.Engines)
					}
					if tt.wantImport != "" {
						found := false
						for _, i := range r.Imports {
							if i.Module+"."+i.Name == tt.wantImport || (tt.wantImport == "posix.system" && i.Module == "os" && i.Name == "system") {
								found = true
							}
							if tt.want == scan.StatusOK && i.Safety != pickle.Innocuous {
								t.Errorf("import %s.%s is %s in a benign checkpoint", i.Module, i.Name, i.Safety)
							}
						}
						if !found {
							t.Errorf("import %s not in %+v", tt.wantImport, r.Imports)
						}
					}
				})
			}
		})
	}
}

// TestStructureModeSkipsTensors documents the trade: EICAR stored as a
// tensor is found in full mode and not in structure mode, which sends
// clamd fewer bytes.
func TestStructureModeSkipsTensors(t *testing.T) {
	data := scantest.Zip(t,
		scantest.Member{Name: "archive/data.pkl", Data: scantest.BenignPickle(t)},
		scantest.Member{Name: "archive/data/0", Data: append(scantest.Random(100000, 5), []byte(scantest.EICAR)...)},
		scantest.Member{Name: "archive/version", Data: []byte("3\n")})
	for _, tt := range []struct {
		mode scan.Mode
		want scan.Status
	}{{scan.ModeFull, scan.StatusInfected}, {scan.ModeStructure, scan.StatusOK}} {
		e := newEnv(t, tt.mode)
		ref, ev := e.put(data)
		e.handle(ev)
		r := e.result(ref)
		if r.Status != tt.want || r.ClamAVMode != tt.mode {
			t.Errorf("%s: got %s in mode %s, want %s", tt.mode, r.Status, r.ClamAVMode, tt.want)
		}
		if tt.mode == scan.ModeStructure && r.ClamAVBytes >= int64(len(data))/2 {
			t.Errorf("structure mode sent clamd %d of %d bytes", r.ClamAVBytes, len(data))
		}
	}
}

func TestDuplicateDeliveryScansOnce(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ref, ev := e.put([]byte(scantest.EICAR))
	first := e.handle(ev)
	r1 := e.result(ref)
	second := e.handle(ev)
	r2 := e.result(ref)
	if first.Objects[0].Skipped != "" || second.Objects[0].Skipped != "already scanned" {
		t.Fatalf("got %+v then %+v", first, second)
	}
	if r1.Run != r2.Run || !r1.ScannedAt.Equal(r2.ScannedAt) || r2.Attempts != 1 {
		t.Errorf("second delivery changed the result: %+v -> %+v", r1, r2)
	}
}

func TestConcurrentDeliveriesOneResult(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ref, ev := e.put(scantest.Safetensors(50000))
	var wg sync.WaitGroup
	sums := make([]scanner.EventSummary, 4)
	for i := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], _ = e.scanner.HandleEvent(context.Background(), ev)
		}()
	}
	wg.Wait()
	scanned := 0
	for _, s := range sums {
		if len(s.Objects) == 1 && s.Objects[0].Skipped == "" {
			scanned++
		}
	}
	if scanned != 1 {
		t.Errorf("got %d scans of one version, want 1: %+v", scanned, sums)
	}
	if r := e.result(ref); r.Status != scan.StatusOK {
		t.Errorf("got %s", r.Status)
	}
}

func TestContentCache(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	data := scantest.TorchZip(t, scantest.MaliciousPickle(t), 1024)
	ref1, ev1 := e.put(data)
	e.handle(ev1)
	ref2, ev2 := e.putKey(scan.ObjectKey("model", "bob", "other", oidOf(data)), data)
	e.handle(ev2)
	r1, r2 := e.result(ref1), e.result(ref2)
	if r1.CacheHit || !r2.CacheHit {
		t.Fatalf("got cache hits %v, %v; want false, true", r1.CacheHit, r2.CacheHit)
	}
	if r2.Status != scan.StatusInfected || len(r2.Imports) != len(r1.Imports) || r2.ClamAVBytes != 0 {
		t.Errorf("cached result %+v differs from %+v", r2, r1)
	}
	if e.tag(ref2) != "infected" {
		t.Errorf("cache hit did not tag")
	}
	if !strings.Contains(r1.Reason, "dangerous import posix.system in archive/data.pkl") || r2.Reason != r1.Reason {
		t.Errorf("cached reason %q, scanned reason %q: want the same finding", r2.Reason, r1.Reason)
	}
}

// TestContentCacheOlderEntryRescanned: a pickle verdict cached by older
// rules, or before findings were cached (a generic reason), is not served:
// the object is scanned again and gets the precise reason. A ClamAV
// verdict is served whatever the versions.
func TestContentCacheOlderEntryRescanned(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ctx := context.Background()
	data := scantest.TorchZip(t, scantest.MaliciousPickle(t), 1024)
	generic := scan.CacheEntry{SHA256: oidOf(data), Status: scan.StatusInfected, Reason: "pickle imports a dangerous callable",
		Result:        scan.Result{Highest: pickle.Dangerous, Imports: []pickle.Import{{Module: "posix", Name: "system", Safety: pickle.Dangerous}}},
		PickleVersion: scan.PickleEngineVersion, Mode: scan.ModeFull, ScannedAt: time.Now()}
	for _, c := range []struct {
		name  string
		entry func(scan.CacheEntry) scan.CacheEntry
	}{
		{"no finding recorded", func(c scan.CacheEntry) scan.CacheEntry { return c }},
		{"older pickle rules", func(c scan.CacheEntry) scan.CacheEntry {
			c.PickleVersion, c.PickleFinding = "modelfile/0", "dangerous import posix.system somewhere"
			return c
		}},
	} {
		if err := e.store.PutCache(ctx, c.entry(generic)); err != nil {
			t.Fatal(err)
		}
		ref, ev := e.putKey(scan.ObjectKey("model", "bob", strings.ReplaceAll(c.name, " ", "-"), oidOf(data)), data)
		e.handle(ev)
		r := e.result(ref)
		if r.CacheHit || r.Status != scan.StatusInfected || !strings.Contains(r.Reason, "posix.system in archive/data.pkl") {
			t.Errorf("%s: cacheHit %v, %s %q; want a fresh scan naming the finding", c.name, r.CacheHit, r.Status, r.Reason)
		}
	}
	// A ClamAV finding from another signature database is still served.
	eicar := []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)
	av := scan.CacheEntry{SHA256: oidOf(eicar), Status: scan.StatusInfected, Reason: "ClamAV found malware",
		Signatures: []string{"Eicar-Signature"}, ClamAVVersion: "ClamAV 0.1/1/old", PickleVersion: "modelfile/0", Mode: scan.ModeFull, ScannedAt: time.Now()}
	if err := e.store.PutCache(ctx, av); err != nil {
		t.Fatal(err)
	}
	ref, ev := e.put(eicar)
	e.handle(ev)
	if r := e.result(ref); !r.CacheHit || r.Status != scan.StatusInfected {
		t.Errorf("ClamAV entry: cacheHit %v, %s; want served from the cache", r.CacheHit, r.Status)
	}
}

func TestContentNotMatchingOID(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ref, ev := e.putKey(scan.ObjectKey("model", "a", "b", oidOf([]byte("other"))), []byte("hello"))
	e.handle(ev)
	if r := e.result(ref); r.Status != scan.StatusError || !strings.Contains(r.Reason, "oid") {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
}

func TestBlocklist(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	data := []byte("perfectly ordinary bytes")
	bl, err := scan.ParseBlocklist(strings.NewReader("# known bad\n" + oidOf(data) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	e.scanner.Settings.Blocklist = bl
	ref, ev := e.put(data)
	e.handle(ev)
	if r := e.result(ref); r.Status != scan.StatusInfected || !r.Blocklisted {
		t.Errorf("got %s blocklisted=%v", r.Status, r.Blocklisted)
	}
}

// TestOverAVLimitScannedInWindows: a file larger than one clamd stream is
// judged in overlapping windows, every byte seen and hashed once; a
// signature straddling a window end is still found.
func TestOverAVLimitScannedInWindows(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	e.scanner.Settings.MaxAVBytes = 1000
	clean := scantest.Random(5000, 9)
	ref, ev := e.put(clean)
	e.handle(ev)
	r := e.result(ref)
	if r.Status != scan.StatusOK || r.SHA256 != oidOf(clean) || r.ClamAVBytes < int64(len(clean)) {
		t.Errorf("clean: got %s %q sha %s, %d bytes to clamd", r.Status, r.Reason, r.SHA256, r.ClamAVBytes)
	}
	for _, at := range []int{980, 1700, 4990 - len(scantest.EICAR)} { // across the first window end, inside, at the end
		data := scantest.Random(5000, uint64(at))
		copy(data[at:], scantest.EICAR)
		ref, ev := e.put(data)
		e.handle(ev)
		if r := e.result(ref); r.Status != scan.StatusInfected || r.SHA256 != oidOf(data) {
			t.Errorf("EICAR at %d: got %s %q sha ok %v", at, r.Status, r.Reason, r.SHA256 == oidOf(data))
		}
	}
}

func TestOverClamdStreamLimitIsError(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ref, ev := e.put(scantest.Random(11<<20, 10)) // clamdtest's StreamMaxLength is 10M
	e.handle(ev)
	if r := e.result(ref); r.Status != scan.StatusError || !strings.Contains(r.Reason, "StreamMaxLength") {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
}

// queue records the scans the sweeper requeues.
type queue struct {
	mu   sync.Mutex
	refs []scan.ObjectRef
}

func (q *queue) Enqueue(_ context.Context, refs []scan.ObjectRef) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.refs = append(q.refs, refs...)
	return nil
}

func TestClamdDownThenSweeperRetries(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	e.clamd.Stop()
	ref, ev := e.put(scantest.Safetensors(100))
	e.handle(ev)
	r := e.result(ref)
	if r.Status != scan.StatusError || !strings.Contains(r.Reason, "unreachable") {
		t.Fatalf("got %s %q, want error: unreachable", r.Status, r.Reason)
	}
	if got := e.tag(ref); got != "error" {
		t.Errorf("got tag %q", got)
	}
	e.clamd.Restart()
	q := &queue{}
	sw := &scan.Sweeper{Store: e.store, Queue: q, Settings: e.scanner.Settings, Log: e.scanner.Log,
		Now: func() time.Time { return time.Now().Add(time.Second) }}
	sum, err := sw.Sweep(context.Background())
	if err != nil || sum.Requeued != 1 || len(q.refs) != 1 {
		t.Fatalf("sweep: %+v %v %v", sum, err, q.refs)
	}
	// A second sweep before the retry's deadline does not queue it again.
	if sum, _ := sw.Sweep(context.Background()); sum.Requeued != 0 {
		t.Errorf("second sweep requeued %d", sum.Requeued)
	}
	e.handle(scan.EncodeEvent(q.refs))
	if r := e.result(ref); r.Status != scan.StatusOK || r.Attempts != 2 {
		t.Errorf("after retry got %s (attempts %d), want ok", r.Status, r.Attempts)
	}
}

func TestSweeperTimesOutStuckPending(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ref, _ := e.put([]byte("stuck"))
	now := time.Now().UTC()
	ok, err := e.store.Queue(context.Background(), ref, now, now.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("queue: %v %v", ok, err)
	}
	q := &queue{}
	sw := &scan.Sweeper{Store: e.store, Queue: q, Settings: e.scanner.Settings, Log: e.scanner.Log,
		Now: func() time.Time { return now.Add(2 * time.Minute) }}
	sum, err := sw.Sweep(context.Background())
	if err != nil || sum.TimedOut != 1 || sum.Requeued != 1 {
		t.Fatalf("sweep: %+v %v", sum, err)
	}
	if r := e.result(ref); r.Status != scan.StatusError || r.Reason != scan.ReasonTimedOut {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
}

// TestClamdOutageDrainsAfterReturn: clamd is away for longer than
// MaxAttempts sweeps; every file stays error ("unreachable") and is retried
// on each sweep, never given up on; once clamd is back, one sweep run
// drains every due scan in pages of Batch (several passes in the run) and
// every file ends ok. Real clamd, DynamoDB Local and the S3 server; the
// queue records what the sweeper sends (sqsqueue carries it on AWS and in
// the local stack, tested in e2e).
func TestClamdOutageDrainsAfterReturn(t *testing.T) {
	e := newEnv(t, scan.ModeFull)
	ctx := context.Background()
	e.clamd.Stop()
	var refs []scan.ObjectRef
	for i := range 7 {
		ref, ev := e.put(scantest.Safetensors(100 + i))
		e.handle(ev)
		refs = append(refs, ref)
	}
	q := &queue{}
	var clock time.Time
	sw := &scan.Sweeper{Store: e.store, Queue: q, Settings: e.scanner.Settings, Log: e.scanner.Log,
		Batch: 2, Now: func() time.Time { return clock }}
	for round := 1; round <= e.scanner.Settings.MaxAttempts+2; round++ {
		clock, q.refs = time.Now().Add(time.Second), nil
		sum, err := sw.Sweep(ctx)
		if err != nil || sum.Requeued != len(refs) || sum.GaveUp != 0 {
			t.Fatalf("outage sweep %d: %+v %v (want all %d requeued, none given up)", round, sum, err, len(refs))
		}
		e.handle(scan.EncodeEvent(q.refs))
		for _, ref := range refs {
			if r := e.result(ref); r.Status != scan.StatusError || r.Reason != scan.ReasonClamdUnreachable || r.Attempts != round+1 {
				t.Fatalf("outage sweep %d: %s is %s %q after %d attempts", round, ref.Key, r.Status, r.Reason, r.Attempts)
			}
		}
	}
	e.clamd.Restart()
	clock, q.refs = time.Now().Add(time.Second), nil
	sum, err := sw.Sweep(ctx)
	if err != nil || sum.Requeued != len(refs) || sum.Passes < 4 || sum.Incomplete {
		t.Fatalf("sweep after clamd returned: %+v %v (want all %d requeued in one run of >= 4 passes of 2)", sum, err, len(refs))
	}
	e.handle(scan.EncodeEvent(q.refs))
	for _, ref := range refs {
		if r := e.result(ref); r.Status != scan.StatusOK {
			t.Errorf("after clamd returned %s is %s %q", ref.Key, r.Status, r.Reason)
		}
	}
	// Nothing is left due.
	clock, q.refs = time.Now().Add(time.Second), nil
	if sum, err := sw.Sweep(ctx); err != nil || sum.Requeued != 0 {
		t.Errorf("a last sweep found work: %+v %v", sum, err)
	}
}

// TestFileErrorsStillGiveUp: an error about the file (not an outage) is
// retried MaxAttempts times, then given up.
func TestFileErrorsStillGiveUp(t *testing.T) {
	r := scan.Result{Status: scan.StatusError, Reason: "ClamAV (clamd) timed out", Attempts: 3}
	if scan.Retries(r, scan.Settings{MaxAttempts: 3}) {
		t.Error("a file error past MaxAttempts is retried")
	}
	r.Reason = scan.ReasonClamdUnreachable
	if !scan.Retries(r, scan.Settings{MaxAttempts: 3}) {
		t.Error("an outage past MaxAttempts is given up")
	}
}
