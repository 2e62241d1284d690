// Command orgs is the /api/organizations function: profiles, members and
// roles, settings, the organization API token and the audit log.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/org/orghttp"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/serve"
)

func main() {
	serve.Main("orgs", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	svc := &org.Service{Store: orgddb.Store{Table: table}, Users: identityddb.Store{Table: table}, Audit: table, Log: log}
	return serve.HTTP(cfg, log, orghttp.Handler(svc, log))
}
