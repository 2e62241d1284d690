// Command accounts is the account function: sign-up, email verification,
// login and logout, whoami-v2, emails and the audit log.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/identity/identityhttp"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
)

func main() {
	serve.Main("accounts", []config.Need{config.NeedTable, config.NeedMailer, config.NeedPepper}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	svc := &identity.Service{Store: identityddb.Store{Table: table}, Mailer: mail.FromConfig(cfg, awsCfg), Log: log, CodePepper: []byte(cfg.TokenPepper)}
	svc.Entities = authz.Entities{Users: identityddb.Store{Table: table}, Orgs: orgddb.Store{Table: table}, Repos: repoddb.Store{Table: table}}
	return serve.HTTP(cfg, log, identityhttp.Accounts(svc, log, orgddb.Store{Table: table}))
}
