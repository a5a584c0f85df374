package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/importer"
	"github.com/polis-portal/polis/server/indexer"
	"github.com/polis-portal/polis/server/library"
	"github.com/polis-portal/polis/server/practice"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
)

// runIndex is `polis index --rebuild`: the search index is derived data,
// deleted and built again from the content files and the database.
func runIndex(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "index", "Delete the search index in the data folder and build it again from the content files and the\ndatabase (the server also does this by itself when the index is missing, damaged or of an older\nmapping). Stop the server first: the index is open while it runs.")
	cfg.Bind(fs, "data", "db", "site", "public")
	rebuild := fs.Bool("rebuild", false, "delete the index and build it again")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*rebuild {
		fs.Usage()
		return errUsage
	}
	if err := settle(fs, &cfg, env); err != nil {
		return err
	}
	log := newLogger(env.Stderr)
	s, err := loadSite(cfg, log)
	if err != nil {
		return err
	}
	if err := checkWritable(cfg.Data); err != nil {
		return err
	}
	st, err := store.Open(ctx, dsnFor(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	dir := filepath.Join(cfg.Data, "index")
	idx, err := search.Recreate(dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	content := filepath.Join(cfg.Site, "content")
	gl, err := glossary.Load(filepath.Join(content, "_data", "glossary.toml"))
	if err != nil {
		return err
	}
	lib, err := library.Load(content, s.Codes(), gl)
	if err != nil {
		log.Error("library content has problems; those documents are not indexed", "err", err)
	}
	ix := &indexer.Indexer{Index: idx, Store: st, Library: lib, Glossary: gl, Site: s, Public: cfg.Public, Log: log}
	start := time.Now()
	if err := ix.Rebuild(ctx); err != nil {
		return err
	}
	n, _ := idx.DocCount()
	fmt.Fprintf(env.Stdout, "search index rebuilt: %d documents in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// settle takes the environment's settings for the flags not given on the
// command line and validates the whole.
func settle(fs *flag.FlagSet, cfg *config.Config, env *Env) error {
	if err := config.ApplyEnv(fs, env.Getenv); err != nil {
		return err
	}
	return cfg.Validate()
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runImport is `polis import [--lang xx] [--audience …] [--topic …] PATH…`.
func runImport(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "import", "Add documents from files and folders to the best-practice knowledge base: Markdown, plain text,\nHTML and PDF. Each file becomes an entry of kind \"document\" (the server indexes it within a\nsecond). A file imported before (same content) is skipped. Files that cannot be read are\nnamed and skipped; the exit status is 1 if any failed.\n\nUsage: polis import [flags] PATH...")
	cfg.Bind(fs, "data", "db", "site")
	lang := fs.String("lang", "", "the documents' language (ISO 639-1); empty: detect it per file")
	audience := fs.String("audience", "experts", "who may read them: public or experts")
	var topics stringList
	fs.Var(&topics, "topic", "a knowledge-base topic (repeatable): "+strings.Join(practice.Topics, ", "))
	timeout := fs.Duration("pdf-timeout", 30*time.Second, "longest time to read one PDF")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	paths := fs.Args()
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "polis import: name at least one file or folder")
		fs.Usage()
		return errUsage
	}
	if err := settle(fs, &cfg, env); err != nil {
		return err
	}
	if *audience != "public" && *audience != "experts" {
		return fmt.Errorf("--audience must be public or experts, not %q", *audience)
	}
	for _, t := range topics {
		if !contains(practice.Topics, t) {
			return fmt.Errorf("--topic %q is not one of %s", t, strings.Join(practice.Topics, ", "))
		}
	}
	s, err := site.Load(cfg.Site)
	if err != nil {
		return err
	}
	if *lang != "" && !contains(langCodes(), *lang) {
		return fmt.Errorf("--lang %q is not an ISO 639-1 language code", *lang)
	}
	if err := checkWritable(cfg.Data); err != nil {
		return err
	}
	st, err := store.Open(ctx, dsnFor(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	opt := importer.Options{Lang: *lang, Audience: *audience, Topics: topics, Default: s.Default, Now: time.Now,
		PDF: importer.ChildPDF(self, []string{pdfChildCommand}, nil, *timeout)}

	files, results := importer.Files(paths)
	bar := newProgress(env.Stdout, len(files)+len(results))
	for _, r := range results {
		bar.done(r)
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		bar.done(importer.File(ctx, st, f, opt))
	}
	bar.finish()
	imported, skipped, failed := importer.Summary(bar.results)
	fmt.Fprintf(env.Stdout, "%d imported, %d skipped (imported before), %d failed\n", imported, skipped, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(bar.results))
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// langCodes are the languages a document may be declared in.
func langCodes() []string {
	return strings.Fields(`en fr de it ru es uk pl nl pt ro tr sv fi da no is el hu cs sk sl hr sr bs bg mk sq lt lv et be ka hy az kk ky uz tg mn ar he`)
}

// progress reports an import: on a terminal one line redrawn with counts
// and rate, else one line per file.
type progress struct {
	w       io.Writer
	tty     bool
	total   int
	start   time.Time
	results []importer.Result
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) done(r importer.Result) {
	p.results = append(p.results, r)
	if !p.tty {
		fmt.Fprintln(p.w, r)
		return
	}
	if r.Status == importer.Failed {
		fmt.Fprintf(p.w, "\r\033[K%s\n", r)
	}
	imported, skipped, failed := importer.Summary(p.results)
	n := len(p.results)
	width := 30
	filled := width * n / max(p.total, 1)
	rate := float64(n) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d · %.1f files/s · %d imported, %d skipped, %d failed",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), n, p.total, rate, imported, skipped, failed)
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// pdfChildCommand is the hidden subcommand that reads one PDF in a
// process of its own (see importer.ChildPDF).
const pdfChildCommand = "__pdftext"

// runPDFChild is the child's side. Its memory is capped where the system
// allows.
func runPDFChild(_ context.Context, env *Env, args []string) error {
	limitMemory()
	if len(args) != 1 {
		return fmt.Errorf("usage: polis %s FILE", pdfChildCommand)
	}
	return importer.ServeChild(env.Stdout, args[0])
}
