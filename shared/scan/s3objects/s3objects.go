// Package s3objects is the S3 adapter of the scan pipeline and of the LFS
// API: HEAD, ranged GET, the scan-status tag, and presigned PUT and GET
// URLs. It works on AWS S3 and on S3-compatible servers (versitygw).
package s3objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/hubsec/trustlayer/shared/platform/repocontent"
	"github.com/hubsec/trustlayer/shared/scan"
)

// TagKey is the object tag the bucket policy reads.
const TagKey = "scan-status"

// Objects implements scan.Objects and the LFS API's object port.
type Objects struct {
	Client  *s3.Client
	Presign *s3.PresignClient
	Bucket  string // the uploads bucket, for the LFS API
}

// New returns Objects over client for bucket.
func New(client *s3.Client, bucket string) *Objects {
	return &Objects{Client: client, Presign: s3.NewPresignClient(client), Bucket: bucket}
}

var _ scan.Objects = (*Objects)(nil)

func version(v string) *string {
	if v == "" || v == "null" {
		return nil
	}
	return aws.String(v)
}

func notFound(err error) bool {
	var nf *types.NotFound
	var nk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchKey", "NoSuchVersion", "404":
			return true
		}
	}
	return false
}

// Head implements scan.Objects.
func (o *Objects) Head(ctx context.Context, bucket, key, ver string) (scan.ObjectInfo, error) {
	out, err := o.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: version(ver)})
	if notFound(err) {
		return scan.ObjectInfo{}, scan.ErrObjectGone
	}
	if err != nil {
		return scan.ObjectInfo{}, fmt.Errorf("head %s: %w", key, err)
	}
	info := scan.ObjectInfo{Size: aws.ToInt64(out.ContentLength), ETag: strings.Trim(aws.ToString(out.ETag), `"`)}
	if v := aws.ToString(out.VersionId); v != "null" {
		info.VersionID = v
	}
	info.RepoID = out.Metadata[repoIDMeta]
	return info, nil
}

// Range implements scan.Objects.
func (o *Objects) Range(ctx context.Context, bucket, key, ver string, off, n int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: version(ver)}
	switch {
	case n == 0:
		return io.NopCloser(strings.NewReader("")), nil
	case n > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	case off > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
	}
	// Ranged reads carry no whole-object checksum to validate; the scanner
	// hashes the bytes itself.
	out, err := o.Client.GetObject(ctx, in, func(opt *s3.Options) {
		opt.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if notFound(err) {
		return nil, scan.ErrObjectGone
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return out.Body, nil
}

// SetTag implements scan.Objects: it reads the version's tags and writes
// them back with scan-status set, so other tags survive.
func (o *Objects) SetTag(ctx context.Context, bucket, key, ver string, status scan.Status) error {
	cur, err := o.Client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: version(ver)})
	if err != nil {
		return fmt.Errorf("get tags of %s: %w", key, err)
	}
	tags := []types.Tag{{Key: aws.String(TagKey), Value: aws.String(string(status))}}
	for _, t := range cur.TagSet {
		if aws.ToString(t.Key) != TagKey {
			tags = append(tags, t)
		}
	}
	_, err = o.Client.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key),
		VersionId: version(ver), Tagging: &types.Tagging{TagSet: tags}})
	if err != nil {
		return fmt.Errorf("tag %s: %w", key, err)
	}
	return nil
}

// Tag returns the version's scan-status tag ("" when none).
func (o *Objects) Tag(ctx context.Context, key, ver string) (string, error) {
	cur, err := o.Client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(o.Bucket), Key: aws.String(key), VersionId: version(ver)})
	if err != nil {
		return "", fmt.Errorf("get tags of %s: %w", key, err)
	}
	for _, t := range cur.TagSet {
		if aws.ToString(t.Key) == TagKey {
			return aws.ToString(t.Value), nil
		}
	}
	return "", nil
}

// Stat returns the object's size, ETag and version in the uploads bucket;
// ok is false when it does not exist.
func (o *Objects) Stat(ctx context.Context, key string) (scan.ObjectInfo, bool, error) {
	info, err := o.Head(ctx, o.Bucket, key, "")
	if errors.Is(err, scan.ErrObjectGone) {
		return scan.ObjectInfo{}, false, nil
	}
	if err != nil {
		return scan.ObjectInfo{}, false, err
	}
	return info, true, nil
}

// repoIDMeta is the user metadata (x-amz-meta-repo-id) binding an LFS
// upload to the repository it was presigned for.
const repoIDMeta = "repo-id"

// PresignPut returns a URL and the headers a client must send to upload
// exactly size bytes to key, for the repository repoID (a signed
// x-amz-meta-repo-id header, which Head reports back).
func (o *Objects) PresignPut(ctx context.Context, key, repoID string, size int64, expires time.Duration) (string, map[string]string, error) {
	req, err := o.Presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key),
		ContentLength: aws.Int64(size), Metadata: map[string]string{repoIDMeta: repoID}}, s3.WithPresignExpires(expires))
	if err != nil {
		return "", nil, fmt.Errorf("presign put: %w", err)
	}
	return req.URL, signedHeaders(req.SignedHeader), nil
}

// PresignGet returns a URL to download a version of key. Every object of
// the bucket is repository content: the URL asks the bucket to answer as
// repocontent.Presigned says (never a renderable type), whatever type the
// object was stored with.
func (o *Objects) PresignGet(ctx context.Context, key, ver string, expires time.Duration) (string, map[string]string, error) {
	ct, cd := repocontent.Presigned()
	req, err := o.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(key),
		VersionId: version(ver), ResponseContentType: aws.String(ct), ResponseContentDisposition: aws.String(cd)},
		s3.WithPresignExpires(expires))
	if err != nil {
		return "", nil, fmt.Errorf("presign get: %w", err)
	}
	return req.URL, signedHeaders(req.SignedHeader), nil
}

// signedHeaders returns the headers the client must send with a presigned
// request, leaving out those the HTTP client sets itself.
func signedHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length":
			continue
		}
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// MaxReportBytes bounds a scan report read back (a report of 10,000
// imports with names at the pickle analyser's limits stays far below).
const MaxReportBytes = 64 << 20

// PutReport implements scan.Reports: the full report of a summarized
// result, under scan.ReportPrefix.
func (o *Objects) PutReport(ctx context.Context, bucket, key string, body []byte) error {
	if !strings.HasPrefix(key, scan.ReportPrefix) {
		return fmt.Errorf("put report %s: not under %s", key, scan.ReportPrefix)
	}
	_, err := o.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/json")})
	if err != nil {
		return fmt.Errorf("put report %s: %w", key, err)
	}
	return nil
}

// GetReport implements scan.Reports.
func (o *Objects) GetReport(ctx context.Context, bucket, key string) ([]byte, bool, error) {
	if !strings.HasPrefix(key, scan.ReportPrefix) {
		return nil, false, fmt.Errorf("get report %s: not under %s", key, scan.ReportPrefix)
	}
	rc, err := o.Range(ctx, bucket, key, "", 0, -1)
	if errors.Is(err, scan.ErrObjectGone) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, MaxReportBytes+1))
	if err != nil {
		return nil, false, fmt.Errorf("get report %s: %w", key, err)
	}
	if len(body) > MaxReportBytes {
		return nil, false, fmt.Errorf("get report %s: over %d bytes", key, MaxReportBytes)
	}
	return body, true, nil
}

var _ scan.Reports = (*Objects)(nil)
