// Command cards renders model cards (README.md markdown) to sanitised HTML
// for the web function (webcardlambda), which invokes it once per commit
// and instance. It reads and writes nothing.
//
// It is a function of its own so that goldmark and bluemonday, and their
// package init, are not part of every web cold start: most pages render
// no card.
package main

import (
	"context"
	"log/slog"

	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/serve"
	"github.com/hubsec/trustlayer/shared/web/webcard"
	"github.com/hubsec/trustlayer/shared/web/webcardlambda"
)

func main() {
	serve.Main("cards", nil, run)
}

func run(_ context.Context, cfg *config.Config, log *slog.Logger) error {
	return serve.Event(cfg, log, webcardlambda.Handler(webcard.RenderCard), nil)
}
