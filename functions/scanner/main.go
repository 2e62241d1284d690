// Command scanner scans every object created in the uploads bucket and
// stores and tags the verdict. It reads the scan queue (SQS): the bucket's
// ObjectCreated notifications and the scans the uploads function and the
// sweeper queue; a message that failed stays in the queue
// (ReportBatchItemFailures) and is dead-lettered after the redrive
// policy's receive count. Invoked directly, it takes an S3 event, or the
// git server's signed push check (invariant 11): the verdicts of a push's
// new regular files, judged before they enter git.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"

	"github.com/hubsec/trustlayer/shared/clamd"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
	"github.com/hubsec/trustlayer/shared/scan/scanner"
	"github.com/hubsec/trustlayer/shared/token"
)

func main() {
	serve.Main("scanner", []config.Need{config.NeedTable, config.NeedBucket, config.NeedClamd, config.NeedMailer}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	settings, err := scan.LoadSettings(cfg.Env, cfg.ScanTimeout)
	if err != nil {
		return err
	}
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	u, _ := url.Parse(cfg.ClamdAddress) // checked by config.NeedClamd
	addr := u.Host
	if u.Scheme == "unix" {
		addr = u.Path
	}
	orgStore := orgddb.Store{Table: table}
	users := &identity.Service{Store: identityddb.Store{Table: table}, Mailer: mail.FromConfig(cfg, awsCfg), Log: log}
	orgs := &org.Service{Store: orgStore, Audit: table, Log: log}
	// Credentials found in LFS objects, revoked as those found in pushes:
	// org tokens to the org package, user tokens and sessions to identity.
	leaks := leakFunc(func(ctx context.Context, cred, where, pusher string) (bool, error) {
		if strings.HasPrefix(cred, token.PrefixOrg) {
			return orgs.RevokeFoundToken(ctx, orgStore, cred, where, pusher)
		}
		return users.RevokeFound(ctx, cred, identity.Leak{Where: where, Pusher: pusher})
	})
	objects := s3objects.New(awsconfig.S3(awsCfg), cfg.Bucket)
	s := &scanner.Scanner{
		Bucket:   cfg.Bucket,
		Store:    scanddb.Store{Table: table},
		Objects:  objects,
		Reports:  objects,
		AV:       &clamd.Client{Network: u.Scheme, Address: addr, ReadTimeout: cfg.ScanTimeout},
		Audit:    table,
		Owners:   scan.RepoOwners{Repos: &repo.Service{Store: repoddb.Store{Table: table}, Orgs: orgStore, Log: log}},
		Settings: settings,
		Leaks:    leaks,
		Log:      log,
	}
	// The git server's push checks are signed with the hook key
	// (HookSecret); without it every push check is refused.
	hookKey, err := githookaws.LoadKey(ctx, awsCfg, cfg.Env)
	if err != nil {
		return err
	}
	if hookKey == nil {
		log.Warn("no hook key (TRUSTLAYER_HOOK_SECRET_ARN): every push check is refused")
	}
	log.Info("scanner ready", "clamavMode", settings.Mode, "blocklist", settings.Blocklist.Len())
	return serve.Event(cfg, log, func(ctx context.Context, raw json.RawMessage) (any, error) {
		// The git server's pre-receive check of a push's regular files
		// (invariant 11, a synchronous signed invoke), or the scan queue's
		// event.
		if resp, ok := s.HandlePushCheck(ctx, hookKey, raw); ok {
			return resp, nil
		}
		return s.HandleQueueEvent(ctx, raw)
	}, nil)
}

type leakFunc func(ctx context.Context, cred, where, pusher string) (bool, error)

func (f leakFunc) RevokeFound(ctx context.Context, cred, where, pusher string) (bool, error) {
	return f(ctx, cred, where, pusher)
}
