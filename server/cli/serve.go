package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server"
	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/forum"
	"github.com/polis-portal/polis/server/indexer"
	"github.com/polis-portal/polis/server/library"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/mail"
	"github.com/polis-portal/polis/server/metrics"
	"github.com/polis-portal/polis/server/practice"
	"github.com/polis-portal/polis/server/searchpage"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/web"
	"github.com/polis-portal/polis/server/workshop"
)

func runServe(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "serve", "Build the site when public/ is missing or older than its sources, open (creating\non first run) the data folder with the SQLite database and the search index, and\nserve Polis until interrupted.")
	cfg.Bind(fs, "addr", "data", "db", "site", "public", "attachments", "accounts", "forum", "ops")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := settle(fs, &cfg, env); err != nil {
		return err
	}
	log := newLogger(env.Stderr)

	s, err := loadSite(cfg, log)
	if err != nil {
		return err
	}

	for _, dir := range []string{cfg.Data, cfg.Attachments} {
		if err := checkWritable(dir); err != nil {
			return err
		}
	}
	master, err := ensureSecret(filepath.Join(cfg.Data, "secrets", "session.key"))
	if err != nil {
		return err
	}
	keys, err := auth.NewKeys(master)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dsnFor(cfg))
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
	sessions := session.NewStore(st, session.Config{Secure: cfg.SecureCookies, Idle: cfg.SessionIdle, Absolute: cfg.SessionMax})
	policy := account.DefaultPolicy
	policy.TwoFactorExperts = cfg.ExpertsTOTP
	policy.InviteSkipsQueue = cfg.InviteSkipsQueue
	reg := metrics.New()
	acc := &account.Handler{Metrics: reg,
		Store: st, Sessions: sessions, Hasher: auth.NewHasher(auth.DefaultParams, 4), Keys: keys,
		Limiter: auth.NewLimiter(st), Web: rd, Catalog: cat, Site: s, Log: log, Policy: policy, Now: time.Now,
		Mailer: &mail.Mailer{Store: st, Log: log, Now: time.Now, SMTP: mail.SMTP{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom,
			Username: cfg.SMTPUser, Password: env.Getenv("POLIS_SMTP_PASSWORD")}},
	}
	fh := newForum(cfg, acc)
	ph := &practice.Handler{Gate: acc, Store: st, Catalog: cat, Site: s, Log: log, Now: time.Now}
	if ph.Contacts, err = practice.LoadContactPoints(filepath.Join(cfg.Site, "content", "_experts", "contact-points.toml")); err != nil {
		log.Error("national contact points not loaded", "err", err)
	}
	if err := seedPractices(ctx, cfg, s, st, log); err != nil {
		return err
	}
	gl, err := glossary.Load(filepath.Join(cfg.Site, "content", "_data", "glossary.toml"))
	if err != nil {
		return err
	}
	lh := newLibrary(cfg, acc, gl)
	ix := &indexer.Indexer{Index: idx, Store: st, Library: lh.Lib, Glossary: gl, Site: s, Public: cfg.Public, Log: log}
	idx.Text = ix.Text
	sh := &searchpage.Handler{Gate: acc, Index: idx, Glossary: gl, Catalog: cat, Site: s, Log: log, Metrics: reg}
	wh := &workshop.Handler{Gate: acc, Store: st, Files: fh.Files, Catalog: cat, Site: s, Log: log, FileBytes: fh.Limits.FileBytes, Now: time.Now}
	h, err := server.New(server.Deps{Config: cfg, Site: s, Catalog: cat, Web: rd, Store: st, Index: idx, Log: log, Sessions: sessions,
		Account: acc, Forum: fh, Workshop: wh, Practice: ph, Library: lh, Search: sh, Metrics: reg})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	log.Info("listening", "url", base+"/", "data", cfg.Data)
	if err := printSetupLink(ctx, env, st, base, s.Default); err != nil {
		return err
	}
	ictx, stopIndexer := context.WithCancel(ctx)
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		runIndexer(ictx, ix, st, log)
	}()
	go sweepSessions(ctx, sessions, log)
	go fh.RunDigests(ctx)
	go wh.Run(ctx)
	err = server.Run(ctx, ln, h, log)
	stopIndexer()
	<-indexed // the follower stops after its current batch; then the index closes
	return err
}

// newForum makes the forum's handler from the settings; it shares the
// account handler's store, mail and gate, and tells the gate how to count
// unread notifications for the header.
func newForum(cfg config.Config, acc *account.Handler) *forum.Handler {
	limits := forum.DefaultLimits
	limits.PostBytes = cfg.PostKB << 10
	limits.PostsPerMinute = cfg.PostsPerMinute
	limits.PostsPerDay = cfg.PostsPerDay
	limits.FileBytes = cfg.FileMB << 20
	limits.FilesPerPost = cfg.FilesPerPost
	fh := &forum.Handler{Gate: acc, Store: acc.Store, Files: &attachment.Store{Dir: cfg.Attachments},
		Catalog: acc.Catalog, Site: acc.Site, Mailer: acc.Mailer, Log: acc.Log, Limits: limits, Now: acc.Now}
	acc.Notices = fh.Notices
	return fh
}

// seedPractices loads the knowledge base's seed files into the database.
// Files with problems are named in the log and left out; the others load.
func seedPractices(ctx context.Context, cfg config.Config, s *site.Site, st *store.Store, log *slog.Logger) error {
	seeds, err := practice.LoadSeeds(filepath.Join(cfg.Site, "content"), s.Codes())
	if err != nil {
		log.Error("practice seed files have problems; those items are not loaded", "err", err)
	}
	added, updated, err := practice.Sync(ctx, st, seeds, time.Now(), log)
	if err != nil {
		return fmt.Errorf("practice seed: %w", err)
	}
	log.Info("practice seed loaded", "items", len(seeds), "added", added, "updated", updated)
	return nil
}

// newLibrary loads the model-legislation library. Files with problems are
// named in the log and left out; the others are served.
func newLibrary(cfg config.Config, acc *account.Handler, gl *glossary.Glossary) *library.Handler {
	content := filepath.Join(cfg.Site, "content")
	lib, err := library.Load(content, acc.Site.Codes(), gl)
	if err != nil {
		acc.Log.Error("library content has problems; those documents are not served", "err", err)
	}
	acc.Log.Info("library loaded", "documents", len(lib.Docs), "elements", len(lib.Elements))
	return &library.Handler{Gate: acc, Lib: lib, Matcher: library.NewMatcher(lib, gl), Store: acc.Store, Catalog: acc.Catalog,
		Site: acc.Site, Log: acc.Log, Now: acc.Now}
}

// changeFeedKeep is how long the change feed keeps a row: a server whose
// index is older rebuilds it when it starts.
const changeFeedKeep = 30 * 24 * time.Hour

// runIndexer brings the search index up to date (a full rebuild on first
// start or after a mapping change), then follows the change feed until
// the server stops; searches are answered meanwhile from what is there.
func runIndexer(ctx context.Context, ix *indexer.Indexer, st *store.Store, log *slog.Logger) {
	if err := ix.Start(ctx); err != nil {
		log.Error("search index could not be brought up to date", "err", err)
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := st.PruneChanges(ctx, time.Now().Add(-changeFeedKeep).Unix()); err != nil && ctx.Err() == nil {
				log.Warn("change feed: prune", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	ix.Follow(ctx)
}

// dsnFor is the database the settings name: SQLite in the data folder by
// default, or a given file or DSN.
func dsnFor(cfg config.Config) string {
	switch {
	case cfg.DB == "":
		return store.SQLiteDSN(filepath.Join(cfg.Data, "polis.db"))
	case filepath.Ext(cfg.DB) == ".db":
		return store.SQLiteDSN(cfg.DB)
	}
	return cfg.DB
}

// printSetupLink prints, while no administrator exists, a one-time link
// that creates the first one. It goes to standard output for the operator,
// never to the log, and is never a fixed default password.
func printSetupLink(ctx context.Context, env *Env, st *store.Store, base, lang string) error {
	n, err := st.CountUsers(ctx, "", store.RoleAdministrator)
	if err != nil || n > 0 {
		return err
	}
	token, hash := auth.NewToken()
	now := time.Now()
	if err := st.CreateToken(ctx, &store.Token{Hash: hash, Kind: store.TokenSetup, CreatedAt: now.Unix(),
		ExpiresAt: now.Add(account.DefaultPolicy.SetupTTL).Unix()}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nNo administrator exists yet. Open this one-time link within 24 hours to create the first one:\n\n  %s/%s/account/setup?token=%s\n\n", base, lang, token)
	return nil
}

// sweepSessions deletes expired sessions every ten minutes.
func sweepSessions(ctx context.Context, s *session.Store, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sweep(ctx); err != nil {
				log.Warn("session sweep", "err", err)
			}
		}
	}
}

// loadSite reads the site's settings and builds it into the public folder
// when that is missing or older than its sources.
func loadSite(cfg config.Config, log *slog.Logger) (*site.Site, error) {
	s, err := site.Load(cfg.Site)
	if err != nil {
		return nil, err
	}
	stale, err := site.Stale(cfg.Site, cfg.Public)
	if err != nil {
		return nil, err
	}
	if !stale {
		log.Info("site is up to date", "public", cfg.Public)
		return s, nil
	}
	start := time.Now()
	log.Info("building site", "public", cfg.Public)
	if err := site.Build(cfg.Site, cfg.Public, site.BuildOptions{}); err != nil {
		return nil, err
	}
	log.Info("site built", "duration", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// checkWritable creates dir if needed and makes sure a file can be written
// and flushed there, before anything is opened in it: a read-only folder
// or a full disk is then one clear line at start, not a database error at
// the first post. The probe is as large as a few database pages, so a
// disk with a few bytes left does not pass for writable.
func checkWritable(dir string) error {
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".polis-write-check-*"); err == nil {
			_, err = f.Write(make([]byte, 64<<10))
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			os.Remove(f.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("folder %s cannot be written (%w): Polis keeps its database, search index, secrets and attachments there; give the user running Polis write access to it, or free disk space", dir, err)
	}
	return nil
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
