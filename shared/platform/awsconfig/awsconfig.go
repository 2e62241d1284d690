// Package awsconfig builds AWS SDK clients that honour AWS_ENDPOINT_URL and
// the per-service AWS_ENDPOINT_URL_DYNAMODB / _S3 / _LAMBDA / _SESV2 variables
// (the SDK reads them itself),
// so DynamoDB Local, LocalStack, any S3-compatible server or real AWS are
// chosen by environment alone, never by code paths.
package awsconfig

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultRegion is used when neither AWS_REGION nor a profile names one, so
// that local endpoints work without further setup.
const DefaultRegion = "us-east-1"

// Load returns the SDK configuration from the environment. When the
// environment holds credentials (Lambda always sets them, and so does the
// local stack) it builds the configuration from the environment alone,
// without the SDK's shared-config loader: no ~/.aws files, no SSO, STS or
// instance-metadata providers, which are a third of what a function
// initialises at cold start. Otherwise it falls back to the shared loader
// (loadShared), which Lambda builds leave out.
func Load(ctx context.Context) (aws.Config, error) {
	if cfg, ok, err := FromEnv(os.LookupEnv); ok || err != nil {
		return cfg, err
	}
	return loadShared(ctx)
}

// DynamoDB returns a DynamoDB client whose outages (see Unavailable) come
// back as apperr.Unavailable errors.
func DynamoDB(cfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, classifyOutages)
	})
}

// S3 returns an S3 client. With an endpoint override (an S3-compatible
// server) it uses path-style addressing, which those servers expect.
func S3(cfg aws.Config) *s3.Client {
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if custom {
			o.UsePathStyle = true
		}
	})
}
