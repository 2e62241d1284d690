// Command commits is the commit verification function: it verifies the
// signed commits and tags of a push, keeps a record of each, decides the
// push under the "require signed commits" policy, and serves the records.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/commitverify"
	"github.com/hubsec/trustlayer/internal/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/internal/commitverify/commitverifyhttp"
	"github.com/hubsec/trustlayer/internal/keyring/keyringddb"
	"github.com/hubsec/trustlayer/internal/org/orgddb"
	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/ddb"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/repo"
	"github.com/hubsec/trustlayer/internal/repo/repoddb"
)

func main() {
	serve.Main("commits", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	repos := &repo.Service{Store: repoddb.Store{Table: table}, Orgs: orgddb.Store{Table: table}, Audit: table, Log: log}
	svc := &commitverify.Service{Keys: keyringddb.Store{Table: table}, Store: commitverifyddb.Store{Table: table}, Repos: repos, Lookup: repos, Log: log}
	return serve.HTTP(cfg, log, commitverifyhttp.Handler(svc, log))
}
