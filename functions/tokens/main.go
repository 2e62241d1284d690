// Command tokens is the user access token function: create, list, delete,
// refresh, and leaked-token revocation.
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
	serve.Main("tokens", []config.Need{config.NeedTable, config.NeedMailer, config.NeedPepper}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := wire.AWS(ctx)
	if err != nil {
		return err
	}
	svc, _ := wire.Identity(cfg, awsCfg, log, mail.FromConfig(cfg, awsCfg))
	svc.OrgTokens = wire.LeakedOrgTokens(cfg, awsCfg, log)
	return serve.HTTP(cfg, log, identityhttp.Tokens(svc, log))
}
