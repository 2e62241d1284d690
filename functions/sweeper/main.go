// Command sweeper runs on a schedule: it moves scans stuck in pending past
// their deadline to error ("scan timed out") and requeues them, and
// requeues scans that ended in error until their attempts run out; it
// delivers again the push manifests the indexer has not consumed; it
// mails the owners of access tokens expiring within a week and removes
// expired tokens from their owners' lists.
package main

import (
	"context"
	"log/slog"
	"time"

	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/lambdaqueue"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

func main() {
	serve.Main("sweeper", []config.Need{config.NeedTable, config.NeedBucket, config.NeedScanner, config.NeedMailer}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	settings, err := scan.LoadSettings(cfg.Env, cfg.ScanTimeout)
	if err != nil {
		return err
	}
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	tokens := &identity.Service{Store: identityddb.Store{Table: table}, Expiry: identityddb.Store{Table: table},
		Mailer: mail.FromConfig(cfg, awsCfg), Log: log}
	w := &scan.Sweeper{
		Store:    scanddb.Store{Table: table},
		Queue:    lambdaqueue.New(awsCfg, cfg.ScannerFunction),
		Settings: settings,
		Log:      log,
	}
	// Push manifests the indexer has not consumed (githook.Manifest): the
	// sweeper guarantees their delivery.
	manifests := githookaws.Manifests{Client: awsconfig.S3(awsCfg), Bucket: cfg.Bucket}
	indexer := githookaws.Indexer{Client: lambda.NewFromConfig(awsCfg), Function: cfg.Env["TRUSTLAYER_FILES_FUNCTION"]}
	return serve.Event(cfg, log, func(ctx context.Context, _ json.RawMessage) (any, error) {
		scans, err := w.Sweep(ctx)
		if err != nil {
			return nil, err
		}
		redelivered, err := githook.Redeliver(ctx, manifests, indexer, time.Now().Add(-githook.RedeliverAfter), log)
		if err != nil {
			return nil, err
		}
		expiry, err := tokens.SweepTokens(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]any{"scans": scans, "tokens": expiry, "manifests": redelivered}, nil
	}, nil)
}
