package scanddb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/pickle"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/scan"
)

// Store implements scan.Store.
//
// Items:
//   - scan result, one per object version: pk SCAN#<bucket>/<key>,
//     sk V#<versionId|null>. While pending, or in error with retries left,
//     gsi1pk SCANDUE#<shard> and gsi1sk <due time>#<bucket>/<key>#<version>
//     put it on the sweeper's index (DueShards shards by a hash of the
//     version, so that no one index partition takes every scan's writes);
//     a verdict removes both.
//   - the key's settled verdict: pk SCAN#<bucket>/<key>, sk LATEST, the
//     result of the version that speaks for the key once one is settled
//     (see latest.go), written with the result in one transaction;
//   - content cache: pk SHA256#<hex>, sk SCAN (ok or infected verdicts).
type Store struct{ ddb.Table }

var _ scan.Store = Store{}

// DueShards is how many gsi1 partitions the due list is spread over;
// Due queries them all (and the unsharded SCANDUE of older items).
const DueShards = 16

// duePK is the due-list shard of ref.
func duePK(ref scan.ObjectRef) string {
	return ddb.Shard(scanDuePK, ref.Bucket+"/"+ref.Key+"#"+ref.Version(), DueShards)
}

const (
	scanDuePK  = "SCANDUE"
	cacheSK    = "SCAN"
	timeLayout = "2006-01-02T15:04:05.000000000Z"
)

type importItem struct {
	Module string `dynamodbav:"module"`
	Name   string `dynamodbav:"name"`
	Safety string `dynamodbav:"safety"`
}

type scanItem struct {
	PK          string            `dynamodbav:"pk"`
	SK          string            `dynamodbav:"sk"`
	GSI1PK      string            `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK      string            `dynamodbav:"gsi1sk,omitempty"`
	Bucket      string            `dynamodbav:"bucket"`
	Key         string            `dynamodbav:"key"`
	Version     string            `dynamodbav:"version"`
	ETag        string            `dynamodbav:"etag"`
	Size        int64             `dynamodbav:"size"`
	Status      string            `dynamodbav:"status"`
	Reason      string            `dynamodbav:"reason,omitempty"`
	SHA256      string            `dynamodbav:"sha256,omitempty"`
	Signatures  []string          `dynamodbav:"signatures,omitempty"`
	Imports     []importItem      `dynamodbav:"imports,omitempty"`
	Highest     string            `dynamodbav:"highest,omitempty"`
	PickleKind  string            `dynamodbav:"pickleKind,omitempty"`
	Blocklisted bool              `dynamodbav:"blocklisted,omitempty"`
	Findings    []findingItem     `dynamodbav:"findings,omitempty"`
	Companions  []string          `dynamodbav:"companions,omitempty"`
	Engines     map[string]string `dynamodbav:"engines,omitempty"`
	ClamAVMode  string            `dynamodbav:"clamavMode,omitempty"`
	ClamAVBytes int64             `dynamodbav:"clamavBytes"`
	PickleBytes int64             `dynamodbav:"pickleBytes"`
	CacheHit    bool              `dynamodbav:"cacheHit,omitempty"`
	countsItem
	ScannedAt  string `dynamodbav:"scannedAt,omitempty"`
	DurationMS int64  `dynamodbav:"durationMs"`
	Run        string `dynamodbav:"run"`
	Deadline   string `dynamodbav:"deadline,omitempty"`
	Attempts   int    `dynamodbav:"attempts"`
}

// countsItem is a summary's counts and report key (scan.Summarize).
type countsItem struct {
	ImportCount    int    `dynamodbav:"importCount,omitempty"`
	FindingCount   int    `dynamodbav:"findingCount,omitempty"`
	SignatureCount int    `dynamodbav:"signatureCount,omitempty"`
	ReportKey      string `dynamodbav:"reportKey,omitempty"`
}

func toCounts(r scan.Result) countsItem {
	if r.ReportKey == "" && r.Counts == (scan.Counts{}) {
		return countsItem{}
	}
	return countsItem{ImportCount: r.Counts.Imports, FindingCount: r.Counts.Findings, SignatureCount: r.Counts.Signatures, ReportKey: r.ReportKey}
}

func (c countsItem) domain() (scan.Counts, string) {
	return scan.Counts{Imports: c.ImportCount, Findings: c.FindingCount, Signatures: c.SignatureCount}, c.ReportKey
}

func scanPK(bucket, key string) string { return "SCAN#" + bucket + "/" + key }
func scanSK(version string) string     { return "V#" + version }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func dueSK(t time.Time, ref scan.ObjectRef) string {
	return fmtTime(t) + "#" + ref.Bucket + "/" + ref.Key + "#" + ref.Version()
}

// findingItem is one model-format finding.
type findingItem struct {
	Engine   string `dynamodbav:"engine"`
	Severity string `dynamodbav:"severity"`
	Reason   string `dynamodbav:"reason"`
}

func toFindings(in []modelformat.Finding) []findingItem {
	var out []findingItem
	for _, f := range in {
		out = append(out, findingItem{Engine: f.Engine, Severity: f.Severity.String(), Reason: f.Reason})
	}
	return out
}

func fromFindings(in []findingItem) []modelformat.Finding {
	var out []modelformat.Finding
	for _, f := range in {
		sev, _ := modelformat.ParseSeverity(f.Severity)
		out = append(out, modelformat.Finding{Engine: f.Engine, Severity: sev, Reason: f.Reason})
	}
	return out
}

func toImports(in []pickle.Import) []importItem {
	out := make([]importItem, 0, len(in))
	for _, i := range in {
		out = append(out, importItem{Module: i.Module, Name: i.Name, Safety: i.Safety.String()})
	}
	return out
}

func fromImports(in []importItem) []pickle.Import {
	out := make([]pickle.Import, 0, len(in))
	for _, i := range in {
		s, _ := pickle.ParseSafety(i.Safety)
		out = append(out, pickle.Import{Module: i.Module, Name: i.Name, Safety: s})
	}
	return out
}

func toScanItem(r scan.Result) scanItem {
	it := scanItem{PK: scanPK(r.Object.Bucket, r.Object.Key), SK: scanSK(r.Object.Version()),
		Bucket: r.Object.Bucket, Key: r.Object.Key, Version: r.Object.Version(), ETag: r.Object.ETag, Size: r.Object.Size,
		Status: string(r.Status), Reason: r.Reason, SHA256: r.SHA256, Signatures: r.Signatures, Imports: toImports(r.Imports),
		Highest: r.Highest.String(), PickleKind: r.PickleKind, Blocklisted: r.Blocklisted, Findings: toFindings(r.Findings), Companions: r.Companions, Engines: r.Engines,
		ClamAVMode: string(r.ClamAVMode), ClamAVBytes: r.ClamAVBytes, PickleBytes: r.PickleBytes, CacheHit: r.CacheHit, countsItem: toCounts(r),
		ScannedAt: fmtTime(r.ScannedAt), DurationMS: r.Duration.Milliseconds(), Run: r.Run, Deadline: fmtTime(r.Deadline), Attempts: r.Attempts}
	if !r.Deadline.IsZero() {
		it.GSI1PK, it.GSI1SK = duePK(r.Object), dueSK(r.Deadline, r.Object)
	}
	return it
}

func (it scanItem) domain() scan.Result {
	highest, _ := pickle.ParseSafety(it.Highest)
	version := it.Version
	if version == "null" {
		version = ""
	}
	counts, report := it.countsItem.domain()
	return scan.Result{Counts: counts, ReportKey: report,
		Object: scan.ObjectRef{Bucket: it.Bucket, Key: it.Key, VersionID: version, ETag: it.ETag, Size: it.Size},
		Status: scan.Status(it.Status), Reason: it.Reason, SHA256: it.SHA256, Signatures: it.Signatures,
		Imports: fromImports(it.Imports), Highest: highest, PickleKind: it.PickleKind, Blocklisted: it.Blocklisted,
		Findings: fromFindings(it.Findings), Companions: it.Companions, Engines: it.Engines, ClamAVMode: scan.Mode(it.ClamAVMode), ClamAVBytes: it.ClamAVBytes, PickleBytes: it.PickleBytes,
		CacheHit: it.CacheHit, ScannedAt: parseTime(it.ScannedAt), Duration: time.Duration(it.DurationMS) * time.Millisecond,
		Run: it.Run, Deadline: parseTime(it.Deadline), Attempts: it.Attempts,
	}
}

// Claim implements scan.Store: one UpdateItem whose condition admits a new
// version, a new ETag of an unversioned key, an error, a queued scan or a
// stuck one; anything else is another delivery of a version already
// scanned or being scanned.
func (s Store) Claim(ctx context.Context, ref scan.ObjectRef, run string, now, deadline time.Time) (scan.Claim, error) {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(scanPK(ref.Bucket, ref.Key), scanSK(ref.Version())),
		UpdateExpression: aws.String("SET #b = :b, #k = :k, #v = :v, #e = :e, #sz = :sz, #s = :pending, #run = :run, " +
			"#dl = :dl, gsi1pk = :gpk, gsi1sk = :gsk, #a = if_not_exists(#a, :zero) + :one"),
		ConditionExpression: aws.String("attribute_not_exists(pk) OR #e <> :e OR #s = :error OR " +
			"(#s = :pending AND (#run = :empty OR #dl < :now))"),
		ExpressionAttributeNames: map[string]string{"#b": "bucket", "#k": "key", "#v": "version", "#e": "etag", "#sz": "size",
			"#s": "status", "#run": "run", "#dl": "deadline", "#a": "attempts"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":b": ddb.S(ref.Bucket), ":k": ddb.S(ref.Key), ":v": ddb.S(ref.Version()), ":e": ddb.S(ref.ETag),
			":sz": ddb.N64(ref.Size), ":pending": ddb.S(string(scan.StatusPending)), ":error": ddb.S(string(scan.StatusError)),
			":run": ddb.S(run), ":empty": ddb.S(""), ":dl": ddb.S(fmtTime(deadline)), ":now": ddb.S(fmtTime(now)),
			":gpk": ddb.S(duePK(ref)), ":gsk": ddb.S(dueSK(deadline, ref)), ":zero": ddb.N64(0), ":one": ddb.N64(1),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if ddb.ConditionFailed(err) {
		r, ok, err := s.Result(ctx, ref.Bucket, ref.Key, ref.Version())
		if err != nil || !ok {
			return scan.Claim{}, fmt.Errorf("claim %s: read existing: %w", ref, err)
		}
		return scan.Claim{Existing: r}, nil
	}
	if err != nil {
		return scan.Claim{}, fmt.Errorf("claim %s: %w", ref, err)
	}
	var it scanItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return scan.Claim{}, err
	}
	return scan.Claim{Won: true, Attempts: it.Attempts}, nil
}

// Complete implements scan.Store: the result replaces the item on
// condition that r.Run still holds it. A settled result (a verdict, or an
// error with no retry left) also becomes the key's settled item, in the
// same transaction, unless that item holds a newer verdict.
func (s Store) Complete(ctx context.Context, r scan.Result) error {
	put := &dynamodb.PutItemInput{
		TableName: aws.String(s.Name), Item: ddb.Marshal(toScanItem(r)),
		ConditionExpression:       aws.String("#run = :run"),
		ExpressionAttributeNames:  map[string]string{"#run": "run"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": ddb.S(r.Run)},
	}
	if settled(r) {
		err := s.Transact(ctx, []types.TransactWriteItem{
			{Put: &types.Put{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
				ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues}},
			s.putLatest(r),
		})
		failed := ddb.FailedIndexes(err)
		switch {
		case err == nil:
			return nil
		case len(failed) > 0 && failed[0] == 0:
			return scan.ErrLostClaim
		case len(failed) == 0:
			return fmt.Errorf("store result %s: %w", r.Object, err)
		}
		// Only the settled item's condition failed: it holds a newer
		// verdict, which keeps speaking for the key; store the result alone.
	}
	_, err := s.DB.PutItem(ctx, put)
	if ddb.ConditionFailed(err) {
		return scan.ErrLostClaim
	}
	if err != nil {
		return fmt.Errorf("store result %s: %w", r.Object, err)
	}
	return nil
}

// Result implements scan.Store.
func (s Store) Result(ctx context.Context, bucket, key, version string) (scan.Result, bool, error) {
	if version == "" {
		version = "null"
	}
	var it scanItem
	err := s.Get(ctx, scanPK(bucket, key), scanSK(version), &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return scan.Result{}, false, nil
	}
	if err != nil {
		return scan.Result{}, false, err
	}
	return it.domain(), true, nil
}

// Queue implements scan.Store.
func (s Store) Queue(ctx context.Context, ref scan.ObjectRef, now, deadline time.Time) (bool, error) {
	r := scan.Result{Object: ref, Status: scan.StatusPending, Deadline: deadline}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Name), Item: ddb.Marshal(toScanItem(r)),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if ddb.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue scan %s: %w", ref, err)
	}
	return true, nil
}

type cacheItem struct {
	PK            string        `dynamodbav:"pk"`
	SK            string        `dynamodbav:"sk"`
	Status        string        `dynamodbav:"status"`
	Reason        string        `dynamodbav:"reason,omitempty"`
	Signatures    []string      `dynamodbav:"signatures,omitempty"`
	Imports       []importItem  `dynamodbav:"imports,omitempty"`
	Highest       string        `dynamodbav:"highest"`
	PickleKind    string        `dynamodbav:"pickleKind,omitempty"`
	ClamAVVersion string        `dynamodbav:"clamavVersion"`
	Mode          string        `dynamodbav:"clamavMode"`
	PickleVersion string        `dynamodbav:"pickleVersion"`
	Findings      []findingItem `dynamodbav:"findings,omitempty"`
	Companions    []string      `dynamodbav:"companions,omitempty"`
	FormatVersion string        `dynamodbav:"formatVersion,omitempty"`
	PickleFinding string        `dynamodbav:"pickleFinding,omitempty"`
	countsItem
	ScannedAt string `dynamodbav:"scannedAt"`
}

func cachePK(sha string) string { return "SHA256#" + strings.ToLower(sha) }

// Cached implements scan.Store.
func (s Store) Cached(ctx context.Context, sha string) (scan.CacheEntry, bool, error) {
	var it cacheItem
	err := s.Get(ctx, cachePK(sha), cacheSK, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return scan.CacheEntry{}, false, nil
	}
	if err != nil {
		return scan.CacheEntry{}, false, err
	}
	highest, _ := pickle.ParseSafety(it.Highest)
	counts, report := it.countsItem.domain()
	return scan.CacheEntry{SHA256: strings.ToLower(sha), Status: scan.Status(it.Status), Reason: it.Reason, Signatures: it.Signatures,
		Result: scan.Result{Imports: fromImports(it.Imports), Highest: highest, PickleKind: it.PickleKind, Findings: fromFindings(it.Findings), Companions: it.Companions,
			Counts: counts, ReportKey: report},
		ClamAVVersion: it.ClamAVVersion, Mode: scan.Mode(it.Mode), PickleVersion: it.PickleVersion, FormatVersion: it.FormatVersion,
		PickleFinding: it.PickleFinding, ScannedAt: parseTime(it.ScannedAt)}, true, nil
}

// PutCache implements scan.Store.
func (s Store) PutCache(ctx context.Context, e scan.CacheEntry) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(cacheItem{
		PK: cachePK(e.SHA256), SK: cacheSK, Status: string(e.Status), Reason: e.Reason, Signatures: e.Signatures,
		Imports: toImports(e.Result.Imports), Highest: e.Result.Highest.String(), PickleKind: e.Result.PickleKind,
		ClamAVVersion: e.ClamAVVersion, Mode: string(e.Mode), PickleVersion: e.PickleVersion, ScannedAt: fmtTime(e.ScannedAt),
		Findings: toFindings(e.Result.Findings), Companions: e.Result.Companions, FormatVersion: e.FormatVersion, PickleFinding: e.PickleFinding, countsItem: toCounts(e.Result)})})
	if err != nil {
		return fmt.Errorf("put content cache: %w", err)
	}
	return nil
}

// Due implements scan.Store with a query on gsi1 (eventually consistent;
// every later step is conditional).
func (s Store) Due(ctx context.Context, now time.Time, limit int) ([]scan.Result, error) {
	items, err := s.QueryShards(ctx, ddb.Shards(scanDuePK, DueShards), func(pk string) *dynamodb.QueryInput {
		return &dynamodb.QueryInput{
			IndexName:              aws.String("gsi1"),
			KeyConditionExpression: aws.String("gsi1pk = :pk AND gsi1sk <= :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": ddb.S(pk), ":now": ddb.S(fmtTime(now) + "#\uffff"),
			},
			Limit: aws.Int32(int32(limit)),
		}
	}, "gsi1sk", limit)
	if err != nil {
		return nil, fmt.Errorf("due scans: %w", err)
	}
	out := make([]scan.Result, 0, len(items))
	for _, m := range items {
		var it scanItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		if len(out) < limit {
			out = append(out, it.domain())
		}
	}
	return out, nil
}

// Expire implements scan.Store.
func (s Store) Expire(ctx context.Context, r scan.Result, reason string, next time.Time) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(scanPK(r.Object.Bucket, r.Object.Key), scanSK(r.Object.Version())),
		UpdateExpression:         aws.String("SET #s = :error, #r = :reason, #dl = :next, gsi1sk = :gsk"),
		ConditionExpression:      aws.String("#s = :pending AND #run = :run AND #dl = :dl"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#r": "reason", "#dl": "deadline", "#run": "run"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":error": ddb.S(string(scan.StatusError)), ":pending": ddb.S(string(scan.StatusPending)), ":reason": ddb.S(reason),
			":next": ddb.S(fmtTime(next)), ":gsk": ddb.S(dueSK(next, r.Object)), ":run": ddb.S(r.Run), ":dl": ddb.S(fmtTime(r.Deadline)),
		},
	})
	if ddb.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("expire scan %s: %w", r.Object, err)
	}
	return true, nil
}

// Requeue implements scan.Store.
func (s Store) Requeue(ctx context.Context, r scan.Result, next time.Time) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(scanPK(r.Object.Bucket, r.Object.Key), scanSK(r.Object.Version())),
		UpdateExpression:         aws.String("SET #dl = :next, gsi1sk = :gsk"),
		ConditionExpression:      aws.String("#s = :error AND #dl = :dl"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#dl": "deadline"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":error": ddb.S(string(scan.StatusError)), ":next": ddb.S(fmtTime(next)), ":gsk": ddb.S(dueSK(next, r.Object)),
			":dl": ddb.S(fmtTime(r.Deadline)),
		},
	})
	if ddb.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("requeue scan %s: %w", r.Object, err)
	}
	return true, nil
}

// GiveUp implements scan.Store; the error, now final, becomes the key's
// settled item unless a verdict is there.
func (s Store) GiveUp(ctx context.Context, r scan.Result) error {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(scanPK(r.Object.Bucket, r.Object.Key), scanSK(r.Object.Version())),
		UpdateExpression:          aws.String("REMOVE gsi1pk, gsi1sk, #dl"),
		ConditionExpression:       aws.String("#s = :error"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#dl": "deadline"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":error": ddb.S(string(scan.StatusError))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if ddb.ConditionFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("give up scan %s: %w", r.Object, err)
	}
	// The item as given up (r may be the pending one the sweeper expired).
	var it scanItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return err
	}
	got := it.domain()
	if !settled(got) {
		return nil
	}
	p := s.putLatest(got).Put
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
		ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues})
	if err != nil && !ddb.ConditionFailed(err) {
		return fmt.Errorf("settle scan %s: %w", r.Object, err)
	}
	return nil
}
