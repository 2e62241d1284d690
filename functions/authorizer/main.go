// Command authorizer is the one access decision: the API Gateway HTTP API
// Lambda authorizer (payload 2.0, simple responses), the REST API TOKEN and
// REQUEST authorizer, and, off Lambda, a forward-auth endpoint for nginx,
// Traefik and Envoy.
package main

import (
	"context"
	"log/slog"

	"net/http"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
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
	ids := &identity.Service{Store: tokens, Log: log, CodePepper: []byte(cfg.TokenPepper), Approvals: tokens}
	a := &authz.Authorizer{
		Auth:      ids,
		Facts:     authz.JoinFacts(orgddb.Store{Table: table}, repoddb.Store{Table: table}),
		Touch:     tokens,
		Approvals: ids,
		Log:       log,
	}
	mux := http.NewServeMux()
	// One endpoint per gateway, each reading only what its gateway sets
	// (README, "Forward-auth").
	mux.Handle("/auth", a.NginxAuth())                   // nginx auth_request
	mux.Handle("/auth/nginx", a.NginxAuth())             // nginx auth_request
	mux.Handle("/auth/traefik", a.TraefikAuth())         // Traefik ForwardAuth
	mux.Handle("/ext-authz/", a.EnvoyAuth("/ext-authz")) // Envoy ext_authz (path_prefix: /ext-authz)
	return serve.Event(cfg, log, a.HandleEvent, mux)
}
