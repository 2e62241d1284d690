package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/lfs"
	"github.com/hubsec/trustlayer/internal/pickle"
	"github.com/hubsec/trustlayer/internal/scan"
)

// Scans implements scan.Store.
//
// Items:
//   - scan result, one per object version: pk SCAN#<bucket>/<key>,
//     sk V#<versionId|null>. While pending, or in error with retries left,
//     gsi1pk SCANDUE and gsi1sk <due time>#<bucket>/<key>#<version> put it
//     on the sweeper's index; a verdict removes both.
//   - content cache: pk SHA256#<hex>, sk SCAN (ok or infected verdicts).
type Scans struct{ Table }

var _ scan.Store = Scans{}

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
	Engines     map[string]string `dynamodbav:"engines,omitempty"`
	ClamAVMode  string            `dynamodbav:"clamavMode,omitempty"`
	ClamAVBytes int64             `dynamodbav:"clamavBytes"`
	PickleBytes int64             `dynamodbav:"pickleBytes"`
	CacheHit    bool              `dynamodbav:"cacheHit,omitempty"`
	ScannedAt   string            `dynamodbav:"scannedAt,omitempty"`
	DurationMS  int64             `dynamodbav:"durationMs"`
	Run         string            `dynamodbav:"run"`
	Deadline    string            `dynamodbav:"deadline,omitempty"`
	Attempts    int               `dynamodbav:"attempts"`
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
		Highest: r.Highest.String(), PickleKind: r.PickleKind, Blocklisted: r.Blocklisted, Engines: r.Engines,
		ClamAVMode: string(r.ClamAVMode), ClamAVBytes: r.ClamAVBytes, PickleBytes: r.PickleBytes, CacheHit: r.CacheHit,
		ScannedAt: fmtTime(r.ScannedAt), DurationMS: r.Duration.Milliseconds(), Run: r.Run, Deadline: fmtTime(r.Deadline), Attempts: r.Attempts}
	if !r.Deadline.IsZero() {
		it.GSI1PK, it.GSI1SK = scanDuePK, dueSK(r.Deadline, r.Object)
	}
	return it
}

func (it scanItem) domain() scan.Result {
	highest, _ := pickle.ParseSafety(it.Highest)
	version := it.Version
	if version == "null" {
		version = ""
	}
	return scan.Result{
		Object: scan.ObjectRef{Bucket: it.Bucket, Key: it.Key, VersionID: version, ETag: it.ETag, Size: it.Size},
		Status: scan.Status(it.Status), Reason: it.Reason, SHA256: it.SHA256, Signatures: it.Signatures,
		Imports: fromImports(it.Imports), Highest: highest, PickleKind: it.PickleKind, Blocklisted: it.Blocklisted,
		Engines: it.Engines, ClamAVMode: scan.Mode(it.ClamAVMode), ClamAVBytes: it.ClamAVBytes, PickleBytes: it.PickleBytes,
		CacheHit: it.CacheHit, ScannedAt: parseTime(it.ScannedAt), Duration: time.Duration(it.DurationMS) * time.Millisecond,
		Run: it.Run, Deadline: parseTime(it.Deadline), Attempts: it.Attempts,
	}
}

// Claim implements scan.Store: one UpdateItem whose condition admits a new
// version, a new ETag of an unversioned key, an error, a queued scan or a
// stuck one; anything else is another delivery of a version already
// scanned or being scanned.
func (s Scans) Claim(ctx context.Context, ref scan.ObjectRef, run string, now, deadline time.Time) (scan.Claim, error) {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: key(scanPK(ref.Bucket, ref.Key), scanSK(ref.Version())),
		UpdateExpression: aws.String("SET #b = :b, #k = :k, #v = :v, #e = :e, #sz = :sz, #s = :pending, #run = :run, " +
			"#dl = :dl, gsi1pk = :gpk, gsi1sk = :gsk, #a = if_not_exists(#a, :zero) + :one"),
		ConditionExpression: aws.String("attribute_not_exists(pk) OR #e <> :e OR #s = :error OR " +
			"(#s = :pending AND (#run = :empty OR #dl < :now))"),
		ExpressionAttributeNames: map[string]string{"#b": "bucket", "#k": "key", "#v": "version", "#e": "etag", "#sz": "size",
			"#s": "status", "#run": "run", "#dl": "deadline", "#a": "attempts"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":b": str(ref.Bucket), ":k": str(ref.Key), ":v": str(ref.Version()), ":e": str(ref.ETag),
			":sz": num64(ref.Size), ":pending": str(string(scan.StatusPending)), ":error": str(string(scan.StatusError)),
			":run": str(run), ":empty": str(""), ":dl": str(fmtTime(deadline)), ":now": str(fmtTime(now)),
			":gpk": str(scanDuePK), ":gsk": str(dueSK(deadline, ref)), ":zero": num64(0), ":one": num64(1),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
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

func num64(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// Complete implements scan.Store: the result replaces the item on
// condition that r.Run still holds it.
func (s Scans) Complete(ctx context.Context, r scan.Result) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Name), Item: marshal(toScanItem(r)),
		ConditionExpression:       aws.String("#run = :run"),
		ExpressionAttributeNames:  map[string]string{"#run": "run"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": str(r.Run)},
	})
	if conditionFailed(err) {
		return scan.ErrLostClaim
	}
	if err != nil {
		return fmt.Errorf("store result %s: %w", r.Object, err)
	}
	return nil
}

// Result implements scan.Store.
func (s Scans) Result(ctx context.Context, bucket, key, version string) (scan.Result, bool, error) {
	if version == "" {
		version = "null"
	}
	var it scanItem
	err := s.get(ctx, scanPK(bucket, key), scanSK(version), &it)
	if errors.Is(err, errNoItem) {
		return scan.Result{}, false, nil
	}
	if err != nil {
		return scan.Result{}, false, err
	}
	return it.domain(), true, nil
}

// Queue implements scan.Store.
func (s Scans) Queue(ctx context.Context, ref scan.ObjectRef, now, deadline time.Time) (bool, error) {
	r := scan.Result{Object: ref, Status: scan.StatusPending, Deadline: deadline}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Name), Item: marshal(toScanItem(r)),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue scan %s: %w", ref, err)
	}
	return true, nil
}

type cacheItem struct {
	PK            string       `dynamodbav:"pk"`
	SK            string       `dynamodbav:"sk"`
	Status        string       `dynamodbav:"status"`
	Reason        string       `dynamodbav:"reason,omitempty"`
	Signatures    []string     `dynamodbav:"signatures,omitempty"`
	Imports       []importItem `dynamodbav:"imports,omitempty"`
	Highest       string       `dynamodbav:"highest"`
	PickleKind    string       `dynamodbav:"pickleKind,omitempty"`
	ClamAVVersion string       `dynamodbav:"clamavVersion"`
	Mode          string       `dynamodbav:"clamavMode"`
	PickleVersion string       `dynamodbav:"pickleVersion"`
	ScannedAt     string       `dynamodbav:"scannedAt"`
}

func cachePK(sha string) string { return "SHA256#" + strings.ToLower(sha) }

// Cached implements scan.Store.
func (s Scans) Cached(ctx context.Context, sha string) (scan.CacheEntry, bool, error) {
	var it cacheItem
	err := s.get(ctx, cachePK(sha), cacheSK, &it)
	if errors.Is(err, errNoItem) {
		return scan.CacheEntry{}, false, nil
	}
	if err != nil {
		return scan.CacheEntry{}, false, err
	}
	highest, _ := pickle.ParseSafety(it.Highest)
	return scan.CacheEntry{SHA256: strings.ToLower(sha), Status: scan.Status(it.Status), Reason: it.Reason, Signatures: it.Signatures,
		Result:        scan.Result{Imports: fromImports(it.Imports), Highest: highest, PickleKind: it.PickleKind},
		ClamAVVersion: it.ClamAVVersion, Mode: scan.Mode(it.Mode), PickleVersion: it.PickleVersion, ScannedAt: parseTime(it.ScannedAt)}, true, nil
}

// PutCache implements scan.Store.
func (s Scans) PutCache(ctx context.Context, e scan.CacheEntry) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: marshal(cacheItem{
		PK: cachePK(e.SHA256), SK: cacheSK, Status: string(e.Status), Reason: e.Reason, Signatures: e.Signatures,
		Imports: toImports(e.Result.Imports), Highest: e.Result.Highest.String(), PickleKind: e.Result.PickleKind,
		ClamAVVersion: e.ClamAVVersion, Mode: string(e.Mode), PickleVersion: e.PickleVersion, ScannedAt: fmtTime(e.ScannedAt)})})
	if err != nil {
		return fmt.Errorf("put content cache: %w", err)
	}
	return nil
}

// Due implements scan.Store with a query on gsi1 (eventually consistent;
// every later step is conditional).
func (s Scans) Due(ctx context.Context, now time.Time, limit int) ([]scan.Result, error) {
	items, err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String("gsi1"),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND gsi1sk <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(scanDuePK), ":now": str(fmtTime(now) + "#\uffff"),
		},
		Limit: aws.Int32(int32(limit)),
	}, limit)
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
func (s Scans) Expire(ctx context.Context, r scan.Result, reason string, next time.Time) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: key(scanPK(r.Object.Bucket, r.Object.Key), scanSK(r.Object.Version())),
		UpdateExpression:         aws.String("SET #s = :error, #r = :reason, #dl = :next, gsi1sk = :gsk"),
		ConditionExpression:      aws.String("#s = :pending AND #run = :run AND #dl = :dl"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#r": "reason", "#dl": "deadline", "#run": "run"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":error": str(string(scan.StatusError)), ":pending": str(string(scan.StatusPending)), ":reason": str(reason),
			":next": str(fmtTime(next)), ":gsk": str(dueSK(next, r.Object)), ":run": str(r.Run), ":dl": str(fmtTime(r.Deadline)),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("expire scan %s: %w", r.Object, err)
	}
	return true, nil
}

// Requeue implements scan.Store.
func (s Scans) Requeue(ctx context.Context, r scan.Result, next time.Time) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: key(scanPK(r.Object.Bucket, r.Object.Key), scanSK(r.Object.Version())),
		UpdateExpression:         aws.String("SET #dl = :next, gsi1sk = :gsk"),
		ConditionExpression:      aws.String("#s = :error AND #dl = :dl"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#dl": "deadline"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":error": str(string(scan.StatusError)), ":next": str(fmtTime(next)), ":gsk": str(dueSK(next, r.Object)),
			":dl": str(fmtTime(r.Deadline)),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("requeue scan %s: %w", r.Object, err)
	}
	return true, nil
}

// GiveUp implements scan.Store.
func (s Scans) GiveUp(ctx context.Context, r scan.Result) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: key(scanPK(r.Object.Bucket, r.Object.Key), scanSK(r.Object.Version())),
		UpdateExpression:          aws.String("REMOVE gsi1pk, gsi1sk, #dl"),
		ConditionExpression:       aws.String("#s = :error"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#dl": "deadline"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":error": str(string(scan.StatusError))},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("give up scan %s: %w", r.Object, err)
	}
	return nil
}

// LFSFiles implements lfs.Files: pk LFS#<type>#<lower(ns)>/<lower(name)>,
// sk OID#<oid>, one item per LFS object recorded in a repository (by the
// verify action, or by a batch upload of an object already stored).
type LFSFiles struct{ Table }

var _ lfs.Files = LFSFiles{}

type lfsFileItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Type       string    `dynamodbav:"type"`
	Namespace  string    `dynamodbav:"namespace"`
	Name       string    `dynamodbav:"name"`
	RepoID     string    `dynamodbav:"repoId"`
	OID        string    `dynamodbav:"oid"`
	Size       int64     `dynamodbav:"size"`
	Key        string    `dynamodbav:"key"`
	Version    string    `dynamodbav:"version"`
	ETag       string    `dynamodbav:"etag"`
	UploadedAt time.Time `dynamodbav:"uploadedAt"`
	UploadedBy string    `dynamodbav:"uploadedBy"`
}

func lfsPK(typ access.RepoType, ns, name string) string {
	return "LFS#" + string(typ) + "#" + lower(ns) + "/" + lower(name)
}

func (it lfsFileItem) domain() lfs.File {
	return lfs.File{Type: access.RepoType(it.Type), Namespace: it.Namespace, Name: it.Name, RepoID: it.RepoID, OID: it.OID,
		Size: it.Size, Key: it.Key, VersionID: it.Version, ETag: it.ETag, UploadedAt: it.UploadedAt, UploadedBy: it.UploadedBy}
}

// PutFile implements lfs.Files (the latest upload of an oid wins).
func (s LFSFiles) PutFile(ctx context.Context, f lfs.File) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: marshal(lfsFileItem{
		PK: lfsPK(f.Type, f.Namespace, f.Name), SK: "OID#" + f.OID, Type: string(f.Type), Namespace: f.Namespace, Name: f.Name,
		RepoID: f.RepoID, OID: f.OID, Size: f.Size, Key: f.Key, Version: f.VersionID, ETag: f.ETag,
		UploadedAt: f.UploadedAt, UploadedBy: f.UploadedBy})})
	if err != nil {
		return fmt.Errorf("record LFS file %s: %w", f.OID, err)
	}
	return nil
}

// File implements lfs.Files.
func (s LFSFiles) File(ctx context.Context, typ access.RepoType, ns, name, oid string) (lfs.File, bool, error) {
	var it lfsFileItem
	err := s.get(ctx, lfsPK(typ, ns, name), "OID#"+oid, &it)
	if errors.Is(err, errNoItem) {
		return lfs.File{}, false, nil
	}
	if err != nil {
		return lfs.File{}, false, err
	}
	return it.domain(), true, nil
}

// maxListedFiles bounds one file list.
const maxListedFiles = 10000

// Files implements lfs.Files (strongly consistent, by oid).
func (s LFSFiles) Files(ctx context.Context, typ access.RepoType, ns, name string) ([]lfs.File, error) {
	items, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(lfsPK(typ, ns, name)), ":p": str("OID#"),
		},
		ConsistentRead: aws.Bool(true),
	}, maxListedFiles)
	if err != nil {
		return nil, fmt.Errorf("list LFS files: %w", err)
	}
	return decodeAll(items, lfsFileItem.domain)
}
