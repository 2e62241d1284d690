// Command tokens is the user access token function: create, list, delete,
// refresh, and leaked-token revocation.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/identity"
	"github.com/hubsec/trustlayer/internal/identity/identityddb"
	"github.com/hubsec/trustlayer/internal/identity/identityhttp"
	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/ddb"
	"github.com/hubsec/trustlayer/internal/platform/mail"
	"github.com/hubsec/trustlayer/internal/platform/serve"
)

func main() {
	serve.Main("tokens", []config.Need{config.NeedTable, config.NeedMailer}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	svc := &identity.Service{Store: identityddb.Store{Table: table}, Mailer: mail.FromConfig(cfg, awsCfg), Log: log, CodePepper: []byte(cfg.TokenPepper)}
	return serve.HTTP(cfg, log, identityhttp.Tokens(svc, log))
}
