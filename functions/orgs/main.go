// Command orgs is the /api/organizations function: profiles, members and
// roles, settings, the organization API token and the audit log.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/dynamostore"
	"github.com/hubsec/trustlayer/internal/org"
	"github.com/hubsec/trustlayer/internal/orghttp"
	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/serve"
)

func main() {
	serve.Main("orgs", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := dynamostore.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	identities := dynamostore.Identity{Table: table}
	svc := &org.Service{Store: dynamostore.Orgs{Table: table}, Users: identities, Audit: identities, Log: log}
	return serve.HTTP(cfg, log, orghttp.Handler(svc, log))
}
