package serve

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/logging"
)

// Main is every function's main: it loads the configuration (the needs name
// the settings this function requires), builds the logger, calls run and
// exits in one place, printing a configuration problem in plain words.
func Main(name string, needs []config.Need, run func(context.Context, *config.Config, *slog.Logger) error) {
	cfg, err := config.Load(name, os.Environ(), needs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := logging.New(os.Stderr, cfg.LogLevel, name)
	slog.SetDefault(log)
	if err := run(context.Background(), cfg, log); err != nil {
		log.Error("function stopped", "err", err)
		os.Exit(1)
	}
}
