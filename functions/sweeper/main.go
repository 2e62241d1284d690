// Command sweeper runs on a schedule: it moves scans stuck in pending past
// their deadline to error ("scan timed out") and requeues them, and
// requeues scans that ended in error until their attempts run out.
package main

import (
	"context"
	"log/slog"

	"encoding/json"

	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/ddb"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/scan"
	"github.com/hubsec/trustlayer/internal/scan/lambdaqueue"
	"github.com/hubsec/trustlayer/internal/scan/scanddb"
)

func main() {
	serve.Main("sweeper", []config.Need{config.NeedTable, config.NeedScanner}, run)
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
	w := &scan.Sweeper{
		Store:    scanddb.Store{Table: ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}},
		Queue:    lambdaqueue.New(awsCfg, cfg.ScannerFunction),
		Settings: settings,
		Log:      log,
	}
	return serve.Event(cfg, log, func(ctx context.Context, _ json.RawMessage) (any, error) {
		return w.Sweep(ctx)
	}, nil)
}
