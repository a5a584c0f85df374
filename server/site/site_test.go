package site_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/sitetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sitetest.Cleanup()
	os.Exit(code)
}

// TestLoadReadsLanguagesInOrder checks the language list that the server
// takes from config.toml (issue 2).
func TestLoadReadsLanguagesInOrder(t *testing.T) {
	s, err := site.Load(sitetest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	codes := s.Codes()
	if len(codes) < 3 || codes[0] != "en" {
		t.Fatalf("languages = %v, want en first and at least en, fr, ru", codes)
	}
	for _, want := range []string{"en", "fr", "ru"} {
		if !s.Has(want) {
			t.Errorf("language %q missing from %v", want, codes)
		}
	}
	if s.Has("xx") {
		t.Error("Has(xx) = true")
	}
	if s.Default != "en" {
		t.Errorf("default = %q, want en", s.Default)
	}
}

// TestBuildRendersEveryLanguageWithAlternates builds the real site with the
// real Hugo into a temporary folder (issue 2): each language has its home
// page in that language, with <html lang> and hreflang links to the others,
// and its server shell.
func TestBuildRendersEveryLanguageWithAlternates(t *testing.T) {
	public := sitetest.Built(t)
	s, err := site.Load(sitetest.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range s.Codes() {
		b, err := os.ReadFile(filepath.Join(public, lang, "index.html"))
		if err != nil {
			t.Fatalf("%s home page: %v", lang, err)
		}
		page := string(b)
		if !strings.Contains(page, `<html lang="`+lang+`"`) {
			t.Errorf("%s home page: no <html lang=%q>", lang, lang)
		}
		for _, other := range s.Codes() {
			want := `<link rel="alternate" hreflang="` + other + `" href="` + s.BaseURL + other + `/">`
			if !strings.Contains(page, want) {
				t.Errorf("%s home page: missing alternate %s", lang, want)
			}
		}
		if !strings.Contains(page, `hreflang="x-default"`) {
			t.Errorf("%s home page: no x-default alternate", lang)
		}
		if strings.Contains(page, `name="generator"`) {
			t.Errorf("%s home page: carries a generator (version) banner", lang)
		}
		shell, err := os.ReadFile(filepath.Join(public, lang, "_server", "shell.html"))
		if err != nil {
			t.Fatalf("%s server shell: %v", lang, err)
		}
		if !strings.Contains(string(shell), `[[ template "main" . ]]`) {
			t.Errorf("%s server shell has no main placeholder", lang)
		}
	}
	// The pages are really translated: the tagline differs per language.
	tagline := regexp.MustCompile(`<span class="brand-tagline">([^<]+)</span>`)
	seen := map[string]string{}
	for _, lang := range s.Codes() {
		b, _ := os.ReadFile(filepath.Join(public, lang, "index.html"))
		m := tagline.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no tagline", lang)
		}
		if prev, ok := seen[string(m[1])]; ok {
			t.Errorf("%s and %s share the tagline %q", lang, prev, m[1])
		}
		seen[string(m[1])] = lang
	}
}

// TestBuildFailsOnMalformedFrontMatterNamingTheFile: a broken content file
// stops the build with a message that names it (issue 2).
func TestBuildFailsOnMalformedFrontMatterNamingTheFile(t *testing.T) {
	src := sitetest.CopySite(t)
	bad := filepath.Join(src, "content", "fr", "broken-page.md")
	if err := os.WriteFile(bad, []byte("---\ntitle: \"unterminated\ndescription: [\n---\nBody.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := site.Build(src, filepath.Join(t.TempDir(), "public"), site.BuildOptions{})
	if err == nil {
		t.Fatal("build succeeded with malformed front matter")
	}
	if !strings.Contains(err.Error(), "broken-page.md") {
		t.Errorf("error does not name the file: %v", err)
	}
}

// TestStaleFollowsSources: public/ is stale when missing, fresh after a
// build, and stale again when any source is newer (issue 2).
func TestStaleFollowsSources(t *testing.T) {
	src := sitetest.CopySite(t)
	out := filepath.Join(t.TempDir(), "public")
	mustStale := func(want bool, when string) {
		t.Helper()
		got, err := site.Stale(src, out)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: Stale = %v, want %v", when, got, want)
		}
	}
	mustStale(true, "before any build")
	if err := site.Build(src, out, site.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	mustStale(false, "right after a build")
	for _, rel := range []string{"content/en/_index.md", "i18n/fr.toml", "config.toml", "themes/polis/assets/css/main.css"} {
		future := time.Now().Add(time.Hour)
		if err := os.Chtimes(filepath.Join(src, rel), future, future); err != nil {
			t.Fatal(err)
		}
		mustStale(true, "after touching "+rel)
		if err := site.Build(src, out, site.BuildOptions{}); err != nil {
			t.Fatal(err)
		}
		// The stamp is written now, which is before the future time.
		past := time.Now().Add(-time.Hour)
		os.Chtimes(filepath.Join(src, rel), past, past)
		mustStale(false, "after rebuilding for "+rel)
	}
	if err := os.Remove(filepath.Join(out, ".polis-build")); err != nil {
		t.Fatal(err)
	}
	mustStale(true, "after an interrupted build (no stamp)")
}
