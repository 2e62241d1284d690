// Command uploads serves the Git LFS batch API (presigned S3 URLs, the
// verify action) and the repository file list with scan status, which
// queues scans for files that have none.
package main

import (
	"context"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/files/filesgit"
	"github.com/hubsec/trustlayer/shared/files/fileshttp"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/lfs/lfsddb"
	"github.com/hubsec/trustlayer/shared/lfs/lfshttp"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigddb"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigfiles"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsighook"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigremote"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
	"github.com/hubsec/trustlayer/shared/scan/sqsqueue"
)

func main() {
	serve.Main("uploads", []config.Need{config.NeedTable, config.NeedBucket, config.NeedScanner, config.NeedPublicURL}, run)
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
	chunk, err := lfs.ParseChunkSize(cfg.Env["LFS_MULTIPART_CHUNK_SIZE"])
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	orgs := orgddb.Store{Table: table}
	repos := &repo.Service{Store: repoddb.Store{Table: table}, Orgs: orgs, Log: log}
	objects := s3objects.New(awsconfig.S3(awsCfg), cfg.Bucket)
	scans := scanddb.Store{Table: table}
	queue := sqsqueue.Queue{Client: sqsqueue.New(awsCfg), URL: cfg.ScanQueue}
	svc := &lfs.Service{
		Repos:     repos,
		Files:     lfsddb.Files{Table: table},
		Objects:   objects,
		Multipart: objects,
		ChunkSize: chunk,
		Scans:     scans,
		Queue:     queue,
		Settings:  settings,
		Bucket:    cfg.Bucket,
		PublicURL: cfg.PublicURL,
		Log:       log,
	}
	// The commit API: commits signed with the service's SSH key, pushed
	// through the gateway with the caller's credential.
	var git files.Git
	if key := cfg.Env["TRUSTLAYER_SERVICE_SIGNING_KEY"]; key != "" {
		f, err := os.CreateTemp("", "service-signing-key-*")
		if err != nil {
			return err
		}
		if _, err := f.WriteString(strings.TrimSpace(key) + "\n"); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		git = &filesgit.Committer{BaseURL: cfg.PublicURL, KeyFile: f.Name(), Name: "trustlayer", Email: "noreply@trustlayer.invalid", Timeout: 5 * time.Minute}
	} else {
		log.Warn("TRUSTLAYER_SERVICE_SIGNING_KEY unset: the commit API answers 503")
	}
	index := &files.Service{Git: git, Verifier: svc, PublicURL: cfg.PublicURL, Store: filesddb.Store{Table: table}, Refs: gitrefddb.Store{Table: table}, Repos: repos, Objects: objects, LFS: lfsddb.Files{Table: table},
		Results: scans, Reports: objects, Scans: scans, Queue: queue, Settings: settings, Bucket: cfg.Bucket, Log: log,
		Cards: filesddb.Store{Table: table}, Verifications: verifications{commitverifyddb.Store{Table: table}},
		Manifests: githookaws.Manifests{Client: awsconfig.S3(awsCfg), Bucket: cfg.Bucket}}
	// Model signatures (model.sig) are verified as each pushed commit is
	// indexed; keyless ones offline against the trusted root, by the
	// keyless function (TRUSTLAYER_KEYLESS_FUNCTION), which links
	// sigstore-go so that this function does not. Without it a keyless
	// bundle is recorded invalid ("not configured").
	var keyless modelsig.SigstoreVerifier
	if fn := cfg.Env["TRUSTLAYER_KEYLESS_FUNCTION"]; fn != "" {
		keyless = modelsigremote.Verifier{Lambda: awsrest.NewLambda(awsCfg), Function: fn}
	} else {
		log.Warn("TRUSTLAYER_KEYLESS_FUNCTION unset: keyless (Sigstore) model signatures are recorded invalid")
	}
	sigs := &modelsig.Service{Store: modelsigddb.Store{Table: table}, Sigstore: keyless, Log: log}
	index.AfterIndex = append(index.AfterIndex, modelsigfiles.Recorder{Sigs: sigs}.AfterIndex)
	index.ModelSignatures = modelsigfiles.Readme{Sigs: sigs}
	// The git server's calls are signed with the hook key (HookSecret).
	hookKey, err := githookaws.LoadKey(ctx, awsCfg, cfg.Env)
	if err != nil {
		return err
	}
	if hookKey == nil {
		log.Warn("no hook key (TRUSTLAYER_HOOK_SECRET_ARN): every call of the git server is refused")
	}
	hook := githookhttp.Guard{Key: hookKey, Log: log}
	sigHook := &modelsighook.Hook{Sigs: sigs, Repos: repos, Files: index}
	return serve.HTTP(cfg, log, lfshttp.Handler(svc, log, func(mux *http.ServeMux) {
		fileshttp.Register(mux, index, log, hook)
		modelsighook.RegisterHook(mux, sigHook, log, hook)
	}))
}

// verifications reads the signature records the commits function wrote
// at pre-receive, for the provenance of a card's evaluation results.
type verifications struct{ store commitverifyddb.Store }

func (v verifications) Verifications(ctx context.Context, repoID string, ids []string) (map[string]files.Verification, error) {
	recs, err := v.store.Records(ctx, repoID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]files.Verification, len(recs))
	for id, rec := range recs {
		fv := files.Verification{Status: string(rec.Status), Reason: string(rec.Reason)}
		if rec.SignerKeyID != "" || rec.SignerFingerprint != "" {
			fv.Signer = &files.Signer{Type: string(rec.SignatureType), KeyID: rec.SignerKeyID, Fingerprint: rec.SignerFingerprint}
			if rec.Verified {
				fv.Signer.AccountID = rec.AccountID
				if c := rec.Committer; c != nil {
					fv.Signer.Name, fv.Signer.Email = c.Name, c.Email
				}
			}
		}
		out[id] = fv
	}
	return out, nil
}
