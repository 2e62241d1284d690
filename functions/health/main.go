// Command health is the GET /api/health function.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/health"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/serve"
)

func main() {
	serve.Main("health", []config.Need{config.NeedTable, config.NeedBucket}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	db, s3c := awsconfig.DynamoDB(awsCfg), awsconfig.S3(awsCfg)
	return serve.HTTP(cfg, log, health.Handler(log,
		health.Dependency{Key: "table", Name: cfg.Table, Probe: health.ProbeFunc(func(ctx context.Context) error {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.Table)})
			return err
		})},
		health.Dependency{Key: "bucket", Name: cfg.Bucket, Probe: health.ProbeFunc(func(ctx context.Context) error {
			_, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.Bucket)})
			return err
		})},
	))
}
