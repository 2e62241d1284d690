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
	"github.com/hubsec/trustlayer/internal/platform/config"
	"github.com/hubsec/trustlayer/internal/platform/serve"
	"github.com/hubsec/trustlayer/internal/wire"
)

func main() {
	serve.Main("authorizer", []config.Need{config.NeedTable}, run)
}

func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	awsCfg, err := wire.AWS(ctx)
	if err != nil {
		return err
	}
	svc, store := wire.Identity(cfg, awsCfg, log, nil)
	a := &authz.Authorizer{Auth: svc, Facts: wire.Facts(cfg, awsCfg), Touch: store, Log: log}
	mux := http.NewServeMux()
	mux.Handle("/auth", a.ForwardAuth(""))                 // nginx auth_request, Traefik ForwardAuth
	mux.Handle("/ext-authz/", a.ForwardAuth("/ext-authz")) // Envoy ext_authz (path_prefix: /ext-authz)
	return serve.Event(cfg, log, a.HandleEvent, mux)
}
