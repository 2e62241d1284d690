//go:build !githook_prereceive

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Stager stages files with the git server's S3 client.
type s3Stager struct{ c *awsClients }

func newStager(ctx context.Context, cfg map[string]string) (stager, error) {
	c, err := newAWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s3Stager{c}, nil
}

func (s s3Stager) put(ctx context.Context, bucket, key string, data []byte) error {
	_, err := s.c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	return err
}

func (s s3Stager) del(ctx context.Context, bucket string, keys []string) {
	for _, k := range keys {
		s.c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	}
}

// stageCommand is `githook stage put <bucket> <key>` (the file on standard
// input) or `githook stage delete <bucket> <key>...`: the light
// pre-receive build's staging (slim.go).
func stageCommand(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) int {
	if len(args) < 3 || (args[0] != "put" && args[0] != "delete") {
		fmt.Fprintln(stderr, "usage: githook stage put <bucket> <key> | delete <bucket> <key>...")
		return 2
	}
	s, err := newStager(ctx, config())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if args[0] == "delete" {
		s.del(ctx, args[1], args[2:])
		return 0
	}
	data, err := io.ReadAll(stdin)
	if err == nil {
		err = s.put(ctx, args[1], args[2], data)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
