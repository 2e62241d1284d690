// Package githookaws carries the git server's push manifests (package
// githook) on AWS: the manifest objects in the uploads bucket and the
// asynchronous invoke of the indexer (the uploads function) that names
// one. post-receive writes and invokes; the uploads function reads and
// deletes; the sweeper lists what is left and invokes again.
package githookaws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githooklambda"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
)

// Manifests are the manifest objects of one bucket.
type Manifests struct {
	Client *s3.Client
	Bucket string
}

// PutManifest stores body under key.
func (m Manifests) PutManifest(ctx context.Context, key string, body []byte) error {
	_, err := m.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/json")})
	if err != nil {
		return fmt.Errorf("put manifest %s: %w", key, err)
	}
	return nil
}

// GetManifest reads key; ok false when it is gone.
func (m Manifests) GetManifest(ctx context.Context, key string) ([]byte, bool, error) {
	out, err := m.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String(key)})
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get manifest %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, MaxManifest+1))
	if err != nil {
		return nil, false, fmt.Errorf("read manifest %s: %w", key, err)
	}
	if len(b) > MaxManifest {
		return nil, false, fmt.Errorf("manifest %s is over %d bytes", key, MaxManifest)
	}
	return b, true, nil
}

// MaxManifest bounds a manifest read (a 100,000-file tree is ~15 MB).
const MaxManifest = 256 << 20

// DeleteManifest removes key.
func (m Manifests) DeleteManifest(ctx context.Context, key string) error {
	_, err := m.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("delete manifest %s: %w", key, err)
	}
	return nil
}

// Stale lists up to max manifests last written before before.
func (m Manifests) Stale(ctx context.Context, before time.Time, max int) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(m.Client, &s3.ListObjectsV2Input{Bucket: aws.String(m.Bucket), Prefix: aws.String(githook.ManifestPrefix)})
	for p.HasMorePages() && len(out) < max {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list manifests: %w", err)
		}
		for _, o := range page.Contents {
			if o.LastModified != nil && o.LastModified.Before(before) && len(out) < max {
				out = append(out, aws.ToString(o.Key))
			}
		}
	}
	return out, nil
}

// Indexer invokes the uploads function's indexer, signing each call with
// Key (the hook key, githook.Sign).
type Indexer struct {
	Client   *awsrest.Lambda
	Function string
	Key      []byte
}

// Index invokes the indexer for key asynchronously (InvocationType
// Event): Lambda queues the event and answers at once.
func (x Indexer) Index(ctx context.Context, key, user string) error {
	payload, err := Event(x.Key, githook.IndexPath, githook.IndexRequest{Key: key}, user)
	if err != nil {
		return err
	}
	_, err = x.Client.Invoke(ctx, x.Function, true, payload)
	return err
}

// Event is the Lambda event of a git server's call to path with body,
// signed with key (githooklambda.Event).
func Event(key []byte, path string, body any, user string) ([]byte, error) {
	return githooklambda.Event(key, path, body, user)
}

// LoadKey returns the hook key: TRUSTLAYER_HOOK_SECRET (the local stack
// sets it) or the SecretString of the Secrets Manager secret
// TRUSTLAYER_HOOK_SECRET_ARN names (AWS: only the git server's role and the
// commits, uploads and sweeper functions may read it). With neither, or a
// key shorter than githook.MinKeyLen, it returns nil and every hook call is
// refused (fail closed).
func LoadKey(ctx context.Context, cfg aws.Config, env map[string]string) ([]byte, error) {
	if v := env["TRUSTLAYER_HOOK_SECRET"]; v != "" {
		return checkKey([]byte(v), "TRUSTLAYER_HOOK_SECRET")
	}
	arn := env["TRUSTLAYER_HOOK_SECRET_ARN"]
	if arn == "" {
		return nil, nil
	}
	s, err := awsrest.NewSecrets(cfg).SecretString(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("read the hook secret: %w", err)
	}
	return checkKey([]byte(s), "the hook secret")
}

func checkKey(k []byte, what string) ([]byte, error) {
	if len(k) < githook.MinKeyLen {
		return nil, fmt.Errorf("%s is %d bytes: give at least %d", what, len(k), githook.MinKeyLen)
	}
	return k, nil
}
