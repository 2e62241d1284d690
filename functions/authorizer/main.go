// Command authorizer is the one access decision: the API Gateway HTTP API
// Lambda authorizer (payload 2.0, simple responses), the REST API TOKEN and
// REQUEST authorizer, and, off Lambda, a forward-auth endpoint for nginx,
// Traefik and Envoy.
package main

import (
	"context"
	"log/slog"

	"net/http"

	"github.com/hubsec/trustlayer/internal/authz"
	"github.com/hubsec/trustlayer/internal/identity"
	"github.com/hubsec/trustlayer/internal/identity/identityddb"
	"github.com/hubsec/trustlayer/internal/org/orgddb"
	"github.com/hubsec/trustlayer/internal/platform/awsconfig"
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/ddb"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/repo/repoddb"
)

func main() {
	serve.Main("authorizer", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	tokens := identityddb.Store{Table: table}
	a := &authz.Authorizer{
		Auth:  &identity.Service{Store: tokens, Log: log, CodePepper: []byte(cfg.TokenPepper)},
		Facts: authz.JoinFacts(orgddb.Store{Table: table}, repoddb.Store{Table: table}),
		Touch: tokens,
		Log:   log,
	}
	mux := http.NewServeMux()
	mux.Handle("/auth", a.ForwardAuth(""))                 // nginx auth_request, Traefik ForwardAuth
	mux.Handle("/ext-authz/", a.ForwardAuth("/ext-authz")) // Envoy ext_authz (path_prefix: /ext-authz)
	return serve.Event(cfg, log, a.HandleLambda, mux)
}
