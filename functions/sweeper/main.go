// Command sweeper runs on a schedule: it moves scans stuck in pending past
// their deadline to error ("scan timed out") and requeues them, and
// requeues scans that ended in error until their attempts run out (an
// outage of clamd never runs them out), draining until none is due; it
// sends the scan messages the queue dead-lettered back to the scan queue; it
// delivers again the push manifests the indexer has not consumed; it
// mails the owners of access tokens expiring within a week and removes
// expired tokens from their owners' lists.
package main

import (
	"context"
	"log/slog"
	"time"

	"encoding/json"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
	"github.com/hubsec/trustlayer/shared/scan/sqsqueue"
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
	sqsClient := sqsqueue.New(awsCfg)
	w := &scan.Sweeper{
		Store:    scanddb.Store{Table: table},
		Queue:    sqsqueue.Queue{Client: sqsClient, URL: cfg.ScanQueue},
		Settings: settings,
		Log:      log,
	}
	// Scans the queue gave up on (TRUSTLAYER_SCAN_DLQ_URL, the scan
	// queue's redrive target) go back to the scan queue.
	deadLetters := sqsqueue.DeadLetters{Client: sqsClient, DLQ: cfg.Env["TRUSTLAYER_SCAN_DLQ_URL"], Target: cfg.ScanQueue}
	// Push manifests the indexer has not consumed (githook.Manifest): the
	// sweeper guarantees their delivery.
	manifests := githookaws.Manifests{Client: awsconfig.S3(awsCfg), Bucket: cfg.Bucket}
	hookKey, err := githookaws.LoadKey(ctx, awsCfg, cfg.Env)
	if err != nil {
		return err
	}
	indexer := githookaws.Indexer{Client: awsrest.NewLambda(awsCfg), Function: cfg.Env["TRUSTLAYER_FILES_FUNCTION"], Key: hookKey}
	return serve.Event(cfg, log, func(ctx context.Context, _ json.RawMessage) (any, error) {
		// Scans drain until none is due or the run's time is up
		// (scan.SweepReserve before its deadline).
		scans, err := w.Sweep(ctx)
		if err != nil {
			return nil, err
		}
		var dead scan.DeadLetterSummary
		if deadLetters.DLQ != "" {
			until := time.Time{}
			if dl, ok := ctx.Deadline(); ok {
				until = dl.Add(-scan.SweepReserve / 2)
			}
			if dead, err = w.RequeueDeadLetters(ctx, deadLetters, until); err != nil {
				return nil, err
			}
		}
		redelivered, err := githook.Redeliver(ctx, manifests, indexer, time.Now().Add(-githook.RedeliverAfter), log)
		if err != nil {
			return nil, err
		}
		expiry, err := tokens.SweepTokens(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]any{"scans": scans, "deadLetters": dead, "tokens": expiry, "manifests": redelivered}, nil
	}, nil)
}
