// Command keyless verifies keyless (Sigstore) model signatures offline
// with sigstore-go against the trusted root (modelsigstore): the uploads
// function invokes it, synchronously, only for a pushed model.sig that is
// a Sigstore bundle (modelsigremote). It reads and writes nothing else:
// no table, no bucket, no network.
//
// It is a function of its own so that sigstore-go's ~550 packages, and
// their package init, are not part of every uploads cold start.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/shared/modelsig/modelsigremote"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigstore"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/serve"
)

func main() {
	serve.Main("keyless", nil, run)
}

func run(_ context.Context, cfg *config.Config, log *slog.Logger) error {
	// The root is parsed, and the verifier built, on the first bundle:
	// not part of the cold-start init.
	v, err := modelsigstore.LazyFromEnv()
	if err != nil {
		return err
	}
	return serve.Event(cfg, log, modelsigremote.Handler(v), nil)
}
