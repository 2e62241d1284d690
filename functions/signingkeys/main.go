// Command signingkeys is the signing-keys function: the OpenPGP and SSH
// public keys users upload (/api/settings/gpg-keys, /api/settings/ssh-keys)
// so their commit signatures verify.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/keyring/keyringhttp"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/serve"
)

func main() {
	serve.Main("signingkeys", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	svc := &keyring.Service{Store: keyringddb.Store{Table: table}, Emails: identityddb.Store{Table: table}, Audit: table, Log: log}
	return serve.HTTP(cfg, log, keyringhttp.Handler(svc, log))
}
