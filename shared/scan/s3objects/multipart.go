package s3objects

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/hubsec/trustlayer/shared/scan"
)

// CreateMultipart starts a multipart upload of key, bound to repoID as
// PresignPut binds single uploads (x-amz-meta-repo-id), and returns its id.
func (o *Objects) CreateMultipart(ctx context.Context, key, repoID string) (string, error) {
	out, err := o.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(o.Bucket), Key: aws.String(key),
		Metadata: map[string]string{repoIDMeta: repoID}})
	if err != nil {
		return "", fmt.Errorf("create multipart upload: %w", err)
	}
	return aws.ToString(out.UploadId), nil
}

// PresignPart returns a URL to PUT part number part (from 1) of an upload.
func (o *Objects) PresignPart(ctx context.Context, key, uploadID string, part int32, expires time.Duration) (string, error) {
	req, err := o.Presign.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(o.Bucket), Key: aws.String(key),
		UploadId: aws.String(uploadID), PartNumber: aws.Int32(part)}, s3.WithPresignExpires(expires))
	if err != nil {
		return "", fmt.Errorf("presign part: %w", err)
	}
	return req.URL, nil
}

// CompleteMultipart assembles the parts (etags[i] is part i+1's) and
// returns the new object version; scan.ErrNoUpload when uploadID names no
// open upload of key, scan.ErrBadParts when S3 refuses the parts.
func (o *Objects) CompleteMultipart(ctx context.Context, key, uploadID string, etags []string) (scan.ObjectInfo, error) {
	parts := make([]types.CompletedPart, len(etags))
	for i, e := range etags {
		parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(e)}
	}
	out, err := o.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(o.Bucket), Key: aws.String(key),
		UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchUpload", "NoSuchKey", "NotFound":
			return scan.ObjectInfo{}, scan.ErrNoUpload
		case "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidRequest", "MalformedXML", "InvalidArgument":
			return scan.ObjectInfo{}, fmt.Errorf("%w: %s", scan.ErrBadParts, ae.ErrorCode())
		}
	}
	if err != nil {
		return scan.ObjectInfo{}, fmt.Errorf("complete multipart upload: %w", err)
	}
	return o.Head(ctx, o.Bucket, key, aws.ToString(out.VersionId))
}
