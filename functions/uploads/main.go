// Command uploads serves the Git LFS batch API (presigned S3 URLs, the
// verify action) and the repository file list with scan status, which
// queues scans for files that have none.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/dynamostore"
	"github.com/hubsec/trustlayer/internal/lfs"
	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/repo"
	"github.com/hubsec/trustlayer/internal/scan"
	"github.com/hubsec/trustlayer/internal/scan/lambdaqueue"
	"github.com/hubsec/trustlayer/internal/scan/s3objects"
	"github.com/hubsec/trustlayer/internal/wire"
)

func main() {
	serve.Main("uploads", []config.Need{config.NeedTable, config.NeedBucket, config.NeedScanner, config.NeedPublicURL}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	settings, err := scan.LoadSettings(cfg.Env, cfg.ScanTimeout)
	if err != nil {
		return err
	}
	awsCfg, err := wire.AWS(ctx)
	if err != nil {
		return err
	}
	table := wire.Table(cfg, awsCfg)
	repos := dynamostore.Repos{Table: table}
	svc := &lfs.Service{
		Repos:     &repo.Service{Store: repos, Log: log},
		Roles:     repos,
		Files:     dynamostore.LFSFiles{Table: table},
		Objects:   s3objects.New(awsconfig.S3(awsCfg), cfg.Bucket),
		Scans:     dynamostore.Scans{Table: table},
		Queue:     lambdaqueue.New(awsCfg, cfg.ScannerFunction),
		Settings:  settings,
		Bucket:    cfg.Bucket,
		PublicURL: cfg.PublicURL,
		Log:       log,
	}
	return serve.HTTP(cfg, log, lfs.Handler(svc, log))
}
