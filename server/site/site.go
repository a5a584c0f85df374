// Package site knows the Hugo site: it reads the language list from
// config.toml, decides whether public/ is older than its sources, and renders
// the site with the Hugo that is compiled into this binary.
package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/gohugoio/hugo/commands"
	"github.com/pelletier/go-toml/v2"
)

// Language is one configured site language.
type Language struct {
	Code   string // BCP 47 tag as used in URLs and i18n file names, e.g. "fr"
	Name   string // its own name, e.g. "Français"
	Weight int
}

// Site describes the site as config.toml configures it.
type Site struct {
	Title     string
	BaseURL   string
	Default   string     // default content language
	Languages []Language // ordered by weight, then code
}

// Load reads config.toml in dir.
func Load(dir string) (*Site, error) {
	path := filepath.Join(dir, "config.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	var raw struct {
		Title                  string `toml:"title"`
		BaseURL                string `toml:"baseURL"`
		DefaultContentLanguage string `toml:"defaultContentLanguage"`
		Languages              map[string]struct {
			LanguageName string `toml:"languageName"`
			Weight       int    `toml:"weight"`
			Disabled     bool   `toml:"disabled"`
		} `toml:"languages"`
	}
	if err := toml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("site: %s: %w", path, err)
	}
	s := &Site{Title: raw.Title, BaseURL: raw.BaseURL, Default: raw.DefaultContentLanguage}
	if s.Default == "" {
		s.Default = "en"
	}
	for code, l := range raw.Languages {
		if l.Disabled {
			continue
		}
		s.Languages = append(s.Languages, Language{Code: code, Name: l.LanguageName, Weight: l.Weight})
	}
	sort.Slice(s.Languages, func(i, j int) bool {
		a, b := s.Languages[i], s.Languages[j]
		if a.Weight != b.Weight {
			return a.Weight < b.Weight
		}
		return a.Code < b.Code
	})
	if len(s.Languages) == 0 {
		return nil, fmt.Errorf("site: %s: no [languages] configured", path)
	}
	if !s.Has(s.Default) {
		return nil, fmt.Errorf("site: %s: defaultContentLanguage %q is not among the languages", path, s.Default)
	}
	return s, nil
}

// Has reports whether code is a configured language.
func (s *Site) Has(code string) bool {
	for _, l := range s.Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Codes returns the language codes in site order.
func (s *Site) Codes() []string {
	codes := make([]string, len(s.Languages))
	for i, l := range s.Languages {
		codes[i] = l.Code
	}
	return codes
}

// stampName is written into the output folder after a successful build; its
// modification time is when the output was last known to match the sources.
const stampName = ".polis-build"

// sources are the parts of the site folder that the output depends on.
var sources = []string{"config.toml", "content", "i18n", "themes"}

// Stale reports whether the site in srcDir must be rebuilt into outDir: the
// output is missing, was never completed, or is older than a source file.
func Stale(srcDir, outDir string) (bool, error) {
	st, err := os.Stat(filepath.Join(outDir, stampName))
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("site: %w", err)
	}
	newest, err := newestSource(srcDir)
	if err != nil {
		return false, err
	}
	return newest.After(st.ModTime()), nil
}

func newestSource(srcDir string) (time.Time, error) {
	var newest time.Time
	for _, name := range sources {
		err := filepath.WalkDir(filepath.Join(srcDir, name), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if t := info.ModTime(); t.After(newest) {
				newest = t
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return time.Time{}, fmt.Errorf("site: scanning sources: %w", err)
		}
	}
	return newest, nil
}

// BuildOptions adjust a build.
type BuildOptions struct {
	BaseURL string // overrides config.toml's baseURL when set
}

// Hugo keeps process-wide state while it builds: one build at a time.
var buildMu sync.Mutex

// Build renders the site in srcDir into outDir with the Hugo compiled into
// this binary. Hugo's errors name the file and line at fault (a malformed
// front matter, a template error), and are returned as they are.
func Build(srcDir, outDir string, opts BuildOptions) error {
	srcDir, err := filepath.Abs(srcDir)
	if err != nil {
		return err
	}
	outDir, err = filepath.Abs(outDir)
	if err != nil {
		return err
	}
	args := []string{
		"build",
		"--source", srcDir,
		"--destination", outDir,
		"--cleanDestinationDir",
		"--noBuildLock",
		"--quiet",
		"--logLevel", "error",
	}
	if opts.BaseURL != "" {
		args = append(args, "--baseURL", opts.BaseURL)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	// The stamp marks a complete build: remove it first so that a build that
	// fails half way leaves the output stale, and the next start tries again.
	stamp := filepath.Join(outDir, stampName)
	if err := os.Remove(stamp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("site: %w", err)
	}
	if err := commands.Execute(args); err != nil {
		return fmt.Errorf("site: hugo build of %s: %w", srcDir, err)
	}
	if err := os.WriteFile(stamp, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	return nil
}
