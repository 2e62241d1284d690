// Command scanner scans every object created in the uploads bucket (S3
// ObjectCreated events, versitygw's webhook, and scans queued by the
// uploads function and the sweeper) and stores and tags the verdict.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"

	"github.com/hubsec/trustlayer/internal/clamd"
	"github.com/hubsec/trustlayer/internal/dynamostore"
	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/repo"
	"github.com/hubsec/trustlayer/internal/scan"
	"github.com/hubsec/trustlayer/internal/scan/s3objects"
	"github.com/hubsec/trustlayer/internal/wire"
)

func main() {
	serve.Main("scanner", []config.Need{config.NeedTable, config.NeedBucket, config.NeedClamd}, run)
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
	u, _ := url.Parse(cfg.ClamdAddress) // checked by config.NeedClamd
	addr := u.Host
	if u.Scheme == "unix" {
		addr = u.Path
	}
	s := &scan.Scanner{
		Bucket:   cfg.Bucket,
		Store:    dynamostore.Scans{Table: table},
		Objects:  s3objects.New(awsconfig.S3(awsCfg), cfg.Bucket),
		AV:       &clamd.Client{Network: u.Scheme, Address: addr, ReadTimeout: cfg.ScanTimeout},
		Audit:    dynamostore.Identity{Table: table},
		Owners:   scan.RepoOwners{Repos: &repo.Service{Store: dynamostore.Repos{Table: table}, Log: log}},
		Settings: settings,
		Log:      log,
	}
	log.Info("scanner ready", "clamavMode", settings.Mode, "blocklist", settings.Blocklist.Len())
	return serve.Event(cfg, log, func(ctx context.Context, raw json.RawMessage) (any, error) {
		return s.HandleEvent(ctx, raw)
	}, nil)
}
