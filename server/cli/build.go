package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/site"
)

func runBuild(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "build", "Render the site (content, i18n, themes, config.toml) with the Hugo compiled into\npolis, into the public folder or the folder given by --public.")
	cfg.Bind(fs, "site", "public")
	baseURL := fs.String("base-url", "", "absolute URL the site is served at; overrides config.toml's baseURL")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, env.Getenv); err != nil {
		return err
	}
	cfg.Addr = ""
	if err := cfg.Validate(); err != nil {
		return err
	}
	start := time.Now()
	if err := site.Build(cfg.Site, cfg.Public, site.BuildOptions{BaseURL: *baseURL}); err != nil {
		return err
	}
	rel, err := filepath.Rel(cfg.Site, cfg.Public)
	if err != nil {
		rel = cfg.Public
	}
	fmt.Fprintf(env.Stdout, "built %s in %s\n", rel, time.Since(start).Round(time.Millisecond))
	return nil
}
