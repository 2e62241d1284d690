// Command signingkeys is the signing-keys function: the OpenPGP and SSH
// public keys users upload (/api/settings/gpg-keys, /api/settings/ssh-keys)
// so their commit signatures verify.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/internal/dynamostore"
	"github.com/hubsec/trustlayer/internal/keyring"
	"github.com/hubsec/trustlayer/internal/keyring/keyringhttp"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/wire"
)

func main() {
	serve.Main("signingkeys", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := wire.AWS(ctx)
	if err != nil {
		return err
	}
	table := wire.Table(cfg, awsCfg)
	ids := dynamostore.Identity{Table: table}
	svc := &keyring.Service{Store: dynamostore.Keys{Table: table}, Emails: ids, Audit: ids, Log: log}
	return serve.HTTP(cfg, log, keyringhttp.Handler(svc, log))
}
