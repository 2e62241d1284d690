// Command accounts is the account function: sign-up, email verification,
// login and logout, whoami-v2, emails and the audit log.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/config"
	"github.com/hubsec/trustlayer/internal/identityhttp"
	"github.com/hubsec/trustlayer/internal/mail"
	"github.com/hubsec/trustlayer/internal/serve"
	"github.com/hubsec/trustlayer/internal/wire"
)

func main() {
	serve.Main("accounts", []config.Need{config.NeedTable, config.NeedMailer, config.NeedPepper}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := wire.AWS(ctx)
	if err != nil {
		return err
	}
	svc, _ := wire.Identity(cfg, awsCfg, log, mail.FromConfig(cfg, awsCfg))
	return serve.HTTP(cfg, log, identityhttp.Accounts(svc, log, wire.Orgs(cfg, awsCfg)))
}
