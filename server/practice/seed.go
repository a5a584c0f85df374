// Package practice is the best-practice knowledge base: documents, tools
// and training offers, browsed and filtered at /<lang>/practices/, each
// with its source.
//
// The database is the source of truth, because staff edit items on the
// web, `polis import` adds them from files, and several servers may share
// one database: all three need one transactional, versioned store (every
// save is a revision with who made it). The Markdown files in
// content/<lang>/practices/ are the curated seed, reviewed like code and
// validated by a test: at start the server loads a seed item that is new,
// or that changed in the files while nobody edited it on the web. Hugo
// renders none of it (a cascade in each language's _index.md), so no
// experts-only text can reach public/.
package practice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/polis-portal/polis/server/store"
)

// Controlled vocabularies.
var (
	Kinds    = []string{"guide", "report", "standard", "checklist", "document", "tool", "training"}
	DocKinds = []string{"guide", "report", "standard", "checklist", "document"}
	Topics   = []string{"victim-identification", "digital-forensics", "online-investigation", "live-streaming",
		"financial-investigation", "international-cooperation", "hotline-and-takedown", "prevention-and-awareness",
		"offender-management", "victim-support", "legislation"}
	Licences = []string{"free", "free-law-enforcement", "commercial", "unknown"}
	Formats  = []string{"online", "in-person", "blended", "unknown"}
	Levels   = []string{"introductory", "intermediate", "advanced", "unknown"}
	Costs    = []string{"free", "paid", "unknown"}
)

// frontMatter is a seed file's TOML front matter.
type frontMatter struct {
	Title          string
	Summary        string
	Kind           string
	Topics         []string
	Audience       string
	Languages      []string
	Date           toml.LocalDate
	TranslationKey string
	Source         store.Source
	Tool           *store.ToolInfo
	Training       *store.TrainingInfo
	Build          struct{ Render, List string }
}

// Seed is one item as the files describe it.
type Seed struct {
	Item  *store.Practice
	Hash  string   // of all its files
	Files []string // the files it comes from, default language first
}

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	langPattern = regexp.MustCompile(`^[a-z]{2}$`)
)

// LoadSeeds reads content/<lang>/practices/*.md for the given languages
// (the first is the default, whose file carries the item's metadata) and
// validates every file. The error lists every problem, each with its file.
func LoadSeeds(contentDir string, langs []string) ([]Seed, error) {
	var problems []string
	fail := func(file, format string, args ...any) {
		problems = append(problems, file+": "+fmt.Sprintf(format, args...))
	}
	type version struct {
		file string
		fm   frontMatter
		body string
		raw  []byte
	}
	bySlug := map[string]map[string]version{}
	for _, lang := range langs {
		files, _ := filepath.Glob(filepath.Join(contentDir, lang, "practices", "*.md"))
		for _, file := range files {
			name := filepath.Base(file)
			if name == "_index.md" {
				continue
			}
			slug := strings.TrimSuffix(name, ".md")
			raw, err := os.ReadFile(file)
			if err != nil {
				fail(file, "%v", err)
				continue
			}
			fm, body, err := parseFile(raw)
			if err != nil {
				fail(file, "%v", err)
				continue
			}
			if bySlug[slug] == nil {
				bySlug[slug] = map[string]version{}
			}
			bySlug[slug][lang] = version{file, fm, body, raw}
		}
	}
	slugs := make([]string, 0, len(bySlug))
	for slug := range bySlug {
		slugs = append(slugs, slug)
	}
	sort.Strings(slugs)
	var seeds []Seed
	for _, slug := range slugs {
		versions := bySlug[slug]
		def, ok := versions[langs[0]]
		if !ok {
			for _, v := range versions {
				fail(v.file, "no %s version: the item's metadata lives in content/%s/practices/%s.md", langs[0], langs[0], slug)
				break
			}
			continue
		}
		before := len(problems)
		if !slugPattern.MatchString(slug) {
			fail(def.file, "the file name must be lower-case words joined by hyphens")
		}
		checkMeta(def.file, slug, def.fm, def.body, fail)
		item := &store.Practice{Slug: slug, Kind: def.fm.Kind, Audience: def.fm.Audience, Topics: def.fm.Topics,
			SourceLangs: def.fm.Languages, Source: def.fm.Source, Tool: def.fm.Tool, Training: def.fm.Training,
			Date: def.fm.Date.String(), Texts: map[string]store.PracticeText{}}
		h := sha256.New()
		seed := Seed{Item: item}
		for _, lang := range langs {
			v, ok := versions[lang]
			if !ok {
				continue
			}
			if lang != langs[0] {
				checkTranslation(v.file, slug, def.fm, v.fm, v.body, fail)
			}
			item.Texts[lang] = store.PracticeText{Title: v.fm.Title, Summary: v.fm.Summary, Body: v.body}
			h.Write([]byte(lang + "\x00"))
			h.Write(v.raw)
			seed.Files = append(seed.Files, v.file)
		}
		seed.Hash = hex.EncodeToString(h.Sum(nil))
		if len(problems) == before {
			seeds = append(seeds, seed)
		}
	}
	if len(problems) > 0 {
		return seeds, errors.New("practice seed files:\n  " + strings.Join(problems, "\n  "))
	}
	return seeds, nil
}

// parseFile splits "+++\n<toml>\n+++\n<body>".
func parseFile(raw []byte) (frontMatter, string, error) {
	var fm frontMatter
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	if !strings.HasPrefix(text, "+++\n") {
		return fm, "", errors.New("front matter must start with a +++ line")
	}
	head, body, ok := strings.Cut(text[4:], "\n+++\n")
	if !ok {
		return fm, "", errors.New("front matter has no closing +++ line")
	}
	dec := toml.NewDecoder(bytes.NewReader([]byte(head)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fm); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fm, "", fmt.Errorf("front matter line %d, column %d: %v", row+1, col, de)
		}
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return fm, "", fmt.Errorf("front matter: unknown field: %s", sm.String())
		}
		return fm, "", fmt.Errorf("front matter: %v", err)
	}
	return fm, strings.TrimSpace(body), nil
}

// checkMeta validates the default language's file, which holds the item.
func checkMeta(file, slug string, fm frontMatter, body string, fail func(file, format string, args ...any)) {
	item := &store.Practice{Slug: slug, Kind: fm.Kind, Audience: fm.Audience, Topics: fm.Topics, SourceLangs: fm.Languages,
		Source: fm.Source, Tool: fm.Tool, Training: fm.Training, Date: fm.Date.String(),
		Texts: map[string]store.PracticeText{"": {Title: fm.Title, Summary: fm.Summary, Body: body}}}
	if fm.Date.Year < 2000 {
		item.Date = ""
	}
	for _, p := range Check(item, "") {
		fail(file, "%s", p.Msg)
	}
	if fm.Audience == "experts" && (fm.Build.Render != "never" || fm.Build.List != "never") {
		fail(file, "an experts-only item needs [build] render = \"never\" and list = \"never\", so that Hugo never publishes it")
	}
	if fm.TranslationKey != "practice-"+slug {
		fail(file, "translationKey must be %q", "practice-"+slug)
	}
}

// checkTranslation validates another language's file: its own texts, and
// the same audience and publication rule as the item.
func checkTranslation(file, slug string, def, fm frontMatter, body string, fail func(file, format string, args ...any)) {
	if strings.TrimSpace(fm.Title) == "" || strings.TrimSpace(fm.Summary) == "" || body == "" {
		fail(file, "a translation needs title, summary and a body")
	}
	if fm.TranslationKey != "practice-"+slug {
		fail(file, "translationKey must be %q", "practice-"+slug)
	}
	if fm.Audience != def.Audience {
		fail(file, "audience %q differs from the item's (%q)", fm.Audience, def.Audience)
	}
	if def.Audience == "experts" && (fm.Build.Render != "never" || fm.Build.List != "never") {
		fail(file, "a translation of an experts-only item needs [build] render = \"never\" and list = \"never\"")
	}
}

// Sync brings the database in line with the seed files: an item that is
// not there is added; an item whose files changed is updated unless staff
// edited it on the web since (then the web version is kept, and logged).
func Sync(ctx context.Context, st *store.Store, seeds []Seed, now time.Time, log *slog.Logger) (added, updated int, err error) {
	all := []string{"public", "experts"}
	for _, s := range seeds {
		cur, err := st.PracticeBySlug(ctx, s.Item.Slug, all)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.Item.SeedHash, s.Item.UpdatedAt = s.Hash, now.Unix()
			err := st.SavePractice(ctx, s.Item, 0, "seed: "+strings.Join(s.Files, ", "))
			if errors.Is(err, store.ErrDuplicate) {
				continue // another server sharing the database added it first
			}
			if err != nil {
				return added, updated, err
			}
			added++
		case err != nil:
			return added, updated, err
		case cur.SeedHash == s.Hash:
		case cur.UpdatedBy != 0:
			log.Info("practice: seed files changed, but the item was edited on the web since; keeping the web version", "slug", s.Item.Slug)
		default:
			s.Item.ID, s.Item.SeedHash, s.Item.UpdatedAt = cur.ID, s.Hash, now.Unix()
			if err := st.SavePractice(ctx, s.Item, 0, "seed: "+strings.Join(s.Files, ", ")); err != nil {
				return added, updated, err
			}
			updated++
		}
	}
	return added, updated, nil
}
