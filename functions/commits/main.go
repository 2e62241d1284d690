// Command commits is the commit verification function: it verifies the
// signed commits and tags of a push, keeps a record of each, decides the
// push under the "require signed commits" policy, and serves the records.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/commitverify"
	"github.com/hubsec/trustlayer/internal/commitverify/verifyhttp"
	"github.com/hubsec/trustlayer/internal/dynamostore"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/repo"
	"github.com/hubsec/trustlayer/internal/wire"
)

func main() {
	serve.Main("commits", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := wire.AWS(ctx)
	if err != nil {
		return err
	}
	table := wire.Table(cfg, awsCfg)
	repos := &repo.Service{Store: dynamostore.Repos{Table: table}, Audit: dynamostore.Identity{Table: table}, Log: log}
	svc := &commitverify.Service{Keys: dynamostore.Keys{Table: table}, Store: dynamostore.Commits{Table: table}, Repos: repos, Log: log}
	return serve.HTTP(cfg, log, verifyhttp.Handler(svc, log))
}
