package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/web"
)

func runServe(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "serve", "Build the site when public/ is missing or older than its sources, open (creating\non first run) the data folder with the SQLite database and the search index, and\nserve Polis until interrupted.")
	cfg.Bind(fs, "addr", "data", "db", "site", "public")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, env.Getenv); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(env.Stderr)

	s, err := site.Load(cfg.Site)
	if err != nil {
		return err
	}
	stale, err := site.Stale(cfg.Site, cfg.Public)
	if err != nil {
		return err
	}
	if stale {
		start := time.Now()
		log.Info("building site", "public", cfg.Public)
		if err := site.Build(cfg.Site, cfg.Public, site.BuildOptions{}); err != nil {
			return err
		}
		log.Info("site built", "duration", time.Since(start).Round(time.Millisecond))
	} else {
		log.Info("site is up to date", "public", cfg.Public)
	}

	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if _, err := ensureSecret(filepath.Join(cfg.Data, "secrets", "session.key")); err != nil {
		return err
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = store.SQLiteDSN(filepath.Join(cfg.Data, "polis.db"))
	} else if filepath.Ext(dsn) == ".db" {
		dsn = store.SQLiteDSN(dsn)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.SetSettingOnce(ctx, "created_at", time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	idx, err := search.Open(filepath.Join(cfg.Data, "index"), log)
	if err != nil {
		return err
	}
	defer idx.Close()

	cat, err := locale.Load(filepath.Join(cfg.Site, "i18n"), s.Codes(), s.Default, log)
	if err != nil {
		return err
	}
	rd, err := web.Load(cfg.Public, s, cat, log)
	if err != nil {
		return err
	}
	h, err := server.New(server.Deps{Config: cfg, Site: s, Catalog: cat, Web: rd, Store: st, Index: idx, Log: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "url", "http://"+ln.Addr().String()+"/", "data", cfg.Data)
	return server.Run(ctx, ln, h, log)
}

// ensureSecret returns the key in path, creating a random 64-byte key there
// (readable by the owner only) on first run. Keys are never committed or
// logged.
func ensureSecret(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil && len(key) == 64 {
		return key, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	if err == nil {
		return nil, fmt.Errorf("secret %s: want 64 bytes, found %d; remove it to generate a new one", path, len(key))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	key = make([]byte, 64)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	return key, f.Close()
}
