//go:build !githook_prereceive

package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/platform/awsrest"
)

// awsClients are the git server's AWS clients (its IAM role).
type awsClients struct {
	lambda *awsrest.Lambda
	s3     *s3.Client
}

// newAWS builds the clients; trustlayer.lambdaEndpoint and
// trustlayer.s3Endpoint point them at the local stack.
func newAWS(ctx context.Context, cfg map[string]string) (*awsClients, error) {
	ac, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %v", err)
	}
	if ac.Region == "" {
		ac.Region = "us-east-1"
	}
	// Lambda through awsrest, not the SDK's client (its package init).
	lc := ac.Copy()
	lc.RetryMaxAttempts = 2
	l := awsrest.NewLambdaAt(lc, cfg["trustlayer.lambdaendpoint"])
	s := s3.NewFromConfig(ac, func(o *s3.Options) {
		if ep := cfg["trustlayer.s3endpoint"]; ep != "" {
			o.BaseEndpoint = aws.String(ep)
			o.UsePathStyle = true
		}
	})
	return &awsClients{lambda: l, s3: s}, nil
}
