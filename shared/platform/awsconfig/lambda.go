//go:build lambda.norpc && !trustlayer.sharedconfig

package awsconfig

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// loadShared is left out of Lambda builds: Lambda always puts the
// function's credentials in the environment, and linking the SDK's shared
// loader (with its SSO, STS and instance-metadata clients) costs every cold
// start.
func loadShared(context.Context) (aws.Config, error) {
	return aws.Config{}, errors.New("no AWS credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them), " +
		"or build without -tags lambda.norpc, or with -tags trustlayer.sharedconfig, to read profiles, SSO and instance roles")
}
