// Command commits is the commit verification function: it verifies the
// signed commits and tags of a push, keeps a record of each, decides the
// push under the "require signed commits" policy, and serves the records.
package main

import (
	"context"
	"fmt"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"log/slog"
	"strings"

	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyhttp"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/signature"
	"github.com/hubsec/trustlayer/shared/token"
)

func main() {
	serve.Main("commits", []config.Need{config.NeedTable, config.NeedMailer}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	orgStore := orgddb.Store{Table: table}
	repos := &repo.Service{Store: repoddb.Store{Table: table}, Orgs: orgStore, Audit: table, Log: log}
	users := &identity.Service{Store: identityddb.Store{Table: table}, Mailer: mail.FromConfig(cfg, awsCfg), Log: log}
	orgs := &org.Service{Store: orgStore, Audit: table, Log: log}
	// Credentials found in pushes: org tokens to the org package, user
	// tokens and sessions to identity.
	leaks := commitverify.RevokeFunc(func(ctx context.Context, cred, where, pusher string) (bool, error) {
		if strings.HasPrefix(cred, token.PrefixOrg) {
			return orgs.RevokeFoundToken(ctx, orgStore, cred, where, pusher)
		}
		return users.RevokeFound(ctx, cred, identity.Leak{Where: where, Pusher: pusher})
	})
	// Commits the service makes (the commit API) are signed with its own
	// SSH key; its public half verifies them (see README, "Commits made
	// through the API").
	var keys signature.KeyDirectory = keyringddb.Store{Table: table}
	if line := strings.TrimSpace(cfg.Env["TRUSTLAYER_SERVICE_SIGNING_PUBKEY"]); line != "" {
		var ok bool
		if keys, ok = signature.WithServiceKey(keys, line); !ok {
			return fmt.Errorf("TRUSTLAYER_SERVICE_SIGNING_PUBKEY is not an SSH public key")
		}
	}
	svc := &commitverify.Service{Keys: keys, Store: commitverifyddb.Store{Table: table},
		Repos: repos, Lookup: repos, Leaks: leaks, Refs: gitrefddb.Store{Table: table}, Log: log}
	// The git server's calls are signed with the hook key (HookSecret).
	hookKey, err := githookaws.LoadKey(ctx, awsCfg, cfg.Env)
	if err != nil {
		return err
	}
	if hookKey == nil {
		log.Warn("no hook key (TRUSTLAYER_HOOK_SECRET_ARN): every push check is refused")
	}
	return serve.HTTP(cfg, log, commitverifyhttp.Handler(svc, log, githookhttp.Guard{Key: hookKey, Log: log}))
}
