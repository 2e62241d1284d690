// Command repos is the repository function: create, delete and move
// (/api/repos/...), repo info and settings (/api/{models,datasets,spaces}/...).
package main

import (
	"context"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigddb"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsighttp"
	"github.com/hubsec/trustlayer/shared/org"
	"log/slog"
	"net/http"

	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/repo/repohttp"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

func main() {
	serve.Main("repos", []config.Need{config.NeedTable, config.NeedBucket, config.NeedPublicURL}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	svc := &repo.Service{Store: repoddb.Store{Table: table}, Orgs: orgddb.Store{Table: table}, Audit: table, Log: log}
	// The repo info's sha, siblings and securityRepoStatus come from the
	// file index (read only: the uploads function writes it).
	index := &files.Service{Store: filesddb.Store{Table: table}, Cards: filesddb.Store{Table: table}, Refs: gitrefddb.Store{Table: table}, Results: scanddb.Store{Table: table},
		Bucket: cfg.Bucket, Log: log}
	// Model signatures: status per commit, trusted signers per namespace.
	sigAPI := &modelsighttp.API{Sigs: &modelsig.Service{Store: modelsigddb.Store{Table: table}, Log: log}, Repos: svc, Index: index,
		Orgs: &org.Service{Store: orgddb.Store{Table: table}, Audit: table, Log: log}, Log: log}
	ext := repohttp.Extension{Register: func(mux *http.ServeMux) { modelsighttp.Register(mux, sigAPI) },
		ModelSignature: func(ctx context.Context, r repo.Repo, commit string) (any, error) {
			s, err := sigAPI.Summary(ctx, r, commit)
			if s == nil || err != nil {
				return nil, err
			}
			return s, nil
		}}
	return serve.HTTP(cfg, log, repohttp.HandlerWith(svc, log, cfg.PublicURL, index, ext))
}
