//go:build !lambda.norpc || trustlayer.sharedconfig

package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkconfig "github.com/aws/aws-sdk-go-v2/config"
)

// loadShared is the SDK's full loader: shared config and credentials files,
// profiles, SSO, web identity, container and instance-metadata
// credentials. Lambda builds (-tags lambda.norpc) leave it out unless built
// with -tags trustlayer.sharedconfig.
func loadShared(ctx context.Context) (aws.Config, error) {
	cfg, err := sdkconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}
