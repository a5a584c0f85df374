package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/polis-portal/polis/search/textlang"
	"github.com/polis-portal/polis/server/practice"
	"github.com/polis-portal/polis/server/store"
)

// Options are the settings of an import.
type Options struct {
	Lang     string   // the documents' language; "" detects it
	Audience string   // public or experts
	Topics   []string // the knowledge base's topics
	Default  string   // the language assumed when detection fails
	// PDF extracts a PDF's text away from this process (see PDFText);
	// nil extracts it here.
	PDF func(ctx context.Context, path string) (Extracted, error)
	Now func() time.Time
}

// Result is what became of one file.
type Result struct {
	Path   string
	Slug   string
	Status string // imported, skipped (imported before), failed
	Note   string // e.g. the language assumed
	Err    error
}

// Statuses of a Result.
const (
	Imported = "imported"
	Skipped  = "skipped"
	Failed   = "failed"
)

// Files lists the files of the given paths (folders recursively, hidden
// files left out), in order; a path that cannot be read is a failed
// result.
func Files(paths []string) ([]string, []Result) {
	var files []string
	var failed []Result
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			failed = append(failed, Result{Path: p, Status: Failed, Err: err})
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				failed = append(failed, Result{Path: path, Status: Failed, Err: err})
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			failed = append(failed, Result{Path: p, Status: Failed, Err: err})
		}
	}
	sort.Strings(files)
	return files, failed
}

// File imports one file into the knowledge base.
func File(ctx context.Context, st *store.Store, path string, opt Options) Result {
	res := Result{Path: path, Status: Failed}
	b, err := readFile(path)
	if err != nil {
		res.Err = err
		return res
	}
	kind := Kind(path, b[:min(len(b), 8)])
	if kind == "" {
		res.Err = ErrUnsupported
		return res
	}
	sum := sha256.Sum256(b)
	hash := "import:" + hex.EncodeToString(sum[:])
	if slug, err := st.PracticeSlugBySeedHash(ctx, hash); err == nil {
		res.Status, res.Slug = Skipped, slug
		return res
	} else if !errors.Is(err, store.ErrNotFound) {
		res.Err = err
		return res
	}
	var e Extracted
	switch kind {
	case "markdown":
		e, err = Markdown(b)
	case "text":
		e, err = Text(b)
	case "html":
		e, err = HTML(b)
	case "pdf":
		if opt.PDF != nil {
			e, err = opt.PDF(ctx, path)
		} else {
			e, err = PDFText(b)
		}
	}
	if err == nil && strings.TrimSpace(e.Text) == "" {
		err = errors.New("no text in the file")
	}
	if err != nil {
		res.Err = err
		return res
	}
	lang := opt.Lang
	if lang == "" {
		if lang = textlang.Detect(e.Title + "\n" + e.Text); lang == "" {
			lang = opt.Default
			res.Note = "language not detected; " + lang + " assumed (use --lang)"
		}
	}
	now := opt.Now()
	year := now.Year()
	if info, err := os.Stat(path); err == nil {
		year = info.ModTime().Year()
	}
	body := e.Text
	if !e.Markdown {
		body = escapeMarkdown(e.Text)
	}
	p := &store.Practice{
		Slug: slugFor(e.Title, sum[:]), Kind: "document", Audience: opt.Audience, Topics: opt.Topics, SourceLangs: []string{lang},
		Source: store.Source{Title: filepath.Base(path), Year: year}, Date: now.Format("2006-01-02"), SeedHash: hash,
		UpdatedAt: now.Unix(),
		Texts:     map[string]store.PracticeText{lang: {Title: shorten(e.Title, 200), Summary: summary(e.Text), Body: body}},
	}
	if problems := practice.Check(p, lang); len(problems) > 0 {
		var msgs []string
		for _, pr := range problems {
			msgs = append(msgs, pr.Msg)
		}
		res.Err = errors.New(strings.Join(msgs, "; "))
		return res
	}
	if err := st.SavePractice(ctx, p, 0, "import: "+filepath.Base(path)); err != nil {
		res.Err = err
		return res
	}
	res.Status, res.Slug = Imported, p.Slug
	return res
}

// summary is the start of the text, for the knowledge base's lists.
func summary(s string) string {
	first, _, _ := strings.Cut(s, "\n\n")
	return shorten(oneLine(first), 300)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugFor makes an address from the title (ASCII, accents removed) and the
// start of the file's hash, so that two files with one title differ.
func slugFor(title string, sum []byte) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	ascii, _, _ := transform.String(t, strings.ToLower(title))
	s := strings.Trim(nonSlug.ReplaceAllString(ascii, "-"), "-")
	if len(s) > 60 {
		s = strings.Trim(s[:60], "-")
	}
	h := hex.EncodeToString(sum)[:8]
	if s == "" {
		return "document-" + h
	}
	return s + "-" + h
}

// markdownSpecial are the characters that would make plain text into
// Markdown markup.
var markdownSpecial = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`,
	`#`, `\#`, `|`, `\|`, `~`, `\~`, `!`, `\!`)

var listStart = regexp.MustCompile(`(?m)^(\s*)([0-9]+)([.)])`)
var bulletStart = regexp.MustCompile(`(?m)^(\s*)([-+=])`)

// escapeMarkdown keeps plain text as it is when read as Markdown.
func escapeMarkdown(s string) string {
	s = markdownSpecial.Replace(s)
	s = listStart.ReplaceAllString(s, `$1$2\$3`)
	return bulletStart.ReplaceAllString(s, `$1\$2`)
}

// Summary of a run, for the command's last line.
func Summary(results []Result) (imported, skipped, failed int) {
	for _, r := range results {
		switch r.Status {
		case Imported:
			imported++
		case Skipped:
			skipped++
		default:
			failed++
		}
	}
	return
}

// String describes a result in one line.
func (r Result) String() string {
	s := r.Status + ": " + r.Path
	if r.Slug != "" {
		s += " → " + r.Slug
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}
