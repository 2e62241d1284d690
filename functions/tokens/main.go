// Command tokens is the user access token function: create, list, delete,
// refresh, and leaked-token revocation.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/identity/identityhttp"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
)

func main() {
	serve.Main("tokens", []config.Need{config.NeedTable, config.NeedMailer, config.NeedPepper}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	svc := &identity.Service{Store: identityddb.Store{Table: table}, Mailer: mail.FromConfig(cfg, awsCfg), Log: log, CodePepper: []byte(cfg.TokenPepper)}
	orgs := orgddb.Store{Table: table}
	svc.Entities = authz.Entities{Users: identityddb.Store{Table: table}, Orgs: orgs, Repos: repoddb.Store{Table: table}}
	svc.Approvals, svc.OrgRoles = identityddb.Store{Table: table}, orgs
	svc.OrgTokens = &org.Service{Store: orgs, Users: identityddb.Store{Table: table}, Audit: table, Log: log, TokenOwners: orgs}
	return serve.HTTP(cfg, log, identityhttp.Tokens(svc, log))
}
