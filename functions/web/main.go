// Command web serves the server-rendered pages: sign-up and login,
// account settings (tokens, GPG and SSH keys, emails, audit log),
// organizations and their members, and repository pages with per-file
// scan badges and commit signature badges.
package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigddb"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigfiles"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
	"github.com/hubsec/trustlayer/shared/scan/sqsqueue"
	"github.com/hubsec/trustlayer/shared/web"
	"github.com/hubsec/trustlayer/shared/web/webcardlambda"
)

func main() {
	serve.Main("web", []config.Need{config.NeedTable, config.NeedBucket, config.NeedMailer, config.NeedScanner}, run)
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
	users := identityddb.Store{Table: table}
	orgs := orgddb.Store{Table: table}
	repoStore := repoddb.Store{Table: table}
	repos := &repo.Service{Store: repoStore, Orgs: orgs, Audit: table, Log: log}
	scans := scanddb.Store{Table: table}
	objects := s3objects.New(awsconfig.S3(awsCfg), cfg.Bucket)
	index := &files.Service{Store: filesddb.Store{Table: table}, Cards: filesddb.Store{Table: table}, Refs: gitrefddb.Store{Table: table}, Repos: repos,
		Objects: objects, Reports: objects, Results: scans, Scans: scans,
		Queue: sqsqueue.Queue{Client: sqsqueue.New(awsCfg), URL: cfg.ScanQueue}, Settings: settings, Bucket: cfg.Bucket, Log: log}
	ident := &identity.Service{Store: users, Mailer: mail.FromConfig(cfg, awsCfg), Log: log, CodePepper: []byte(cfg.TokenPepper),
		Entities: authz.Entities{Users: users, Orgs: orgs, Repos: repoStore}, Approvals: users, OrgRoles: orgs}
	orgSvc := &org.Service{Store: orgs, Users: users, Audit: table, Log: log}
	modelSigs := &modelsig.Service{Store: modelsigddb.Store{Table: table}, Log: log}
	index.ModelSignatures = modelsigfiles.Readme{Sigs: modelSigs}
	var cards web.CardRenderer
	if fn := cfg.Env["TRUSTLAYER_CARDS_FUNCTION"]; fn != "" {
		cards = webcardlambda.Renderer{Lambda: awsrest.NewLambda(awsCfg), Function: fn}
	} else {
		log.Warn("TRUSTLAYER_CARDS_FUNCTION unset: repository pages with a README.md answer 503")
	}
	site, err := web.New(web.Services{
		Identity:   ident,
		Orgs:       orgSvc,
		OrgAuth:    orgSvc,
		ModelSigs:  web.ModelSigs{Sigs: modelSigs, Index: index},
		OrgRoles:   orgs,
		Repos:      repos,
		Namespaces: repoStore,
		Keys:       &keyring.Service{Store: keyringddb.Store{Table: table}, Emails: users, Audit: table, Log: log},
		// Cards are rendered by the cards function (TRUSTLAYER_CARDS_FUNCTION),
		// which links goldmark and bluemonday so that this function does not.
		Files: web.IndexTree{Service: index, Cards: cards},
		Commits: &commitverify.Service{Keys: keyringddb.Store{Table: table}, Store: commitverifyddb.Store{Table: table},
			Repos: repos, Lookup: repos, Refs: gitrefddb.Store{Table: table}, Log: log},
	}, web.Config{SecureCookies: !strings.HasPrefix(cfg.PublicURL, "http://"), PublicURL: cfg.PublicURL, Log: log})
	if err != nil {
		return err
	}
	return serve.HTTP(cfg, log, site)
}
