package locale_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/sitetest"
)

func load(t *testing.T) (*locale.Catalog, *site.Site, *bytes.Buffer) {
	t.Helper()
	root := sitetest.Root(t)
	s, err := site.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, err := locale.Load(filepath.Join(root, "i18n"), s.Codes(), s.Default, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c, s, &logs
}

// TestPluralsFromTheSiteFiles loads the site's real i18n/ folder with
// nicksnyder/go-i18n (Hugo uses a fork) and checks that plural forms and
// the Hugo-style {{ .Count }} come out right in each language (issue 2).
func TestPluralsFromTheSiteFiles(t *testing.T) {
	c, _, logs := load(t)
	tests := []struct {
		lang  string
		count int
		want  string
	}{
		{"en", 1, "Available in 1 language."},
		{"en", 3, "Available in 3 languages."},
		{"fr", 0, "Disponible en 0 langue."},
		{"fr", 1, "Disponible en 1 langue."},
		{"fr", 6, "Disponible en 6 langues."},
		{"ru", 1, "Доступен на 1 языке."},
		{"ru", 21, "Доступен на 21 языке."},
		{"ru", 3, "Доступен на 3 языках."},
		{"ru", 5, "Доступен на 5 языках."},
		{"ru", 11, "Доступен на 11 языках."},
		{"de", 1, "Verfügbar in 1 Sprache."},
		{"de", 6, "Verfügbar in 6 Sprachen."},
		{"it", 6, "Disponibile in 6 lingue."},
		{"es", 1, "Disponible en 1 idioma."},
		{"es", 6, "Disponible en 6 idiomas."},
	}
	for _, tt := range tests {
		if got := c.T(tt.lang, "languagesAvailable", tt.count); got != tt.want {
			t.Errorf("T(%s, languagesAvailable, %d) = %q, want %q", tt.lang, tt.count, got, tt.want)
		}
	}
	for _, tt := range []struct {
		lang  string
		count int
		want  string
	}{
		{"ru", 1, "1 служба"}, {"ru", 2, "2 службы"}, {"ru", 5, "5 служб"}, {"ru", 22, "22 службы"},
		{"de", 2, "2 Angebote"}, {"en", 1, "1 service"},
	} {
		if got := c.T(tt.lang, "countryServices", tt.count); got != tt.want {
			t.Errorf("T(%s, countryServices, %d) = %q, want %q", tt.lang, tt.count, got, tt.want)
		}
	}
	if logs.Len() > 0 {
		t.Errorf("unexpected warnings: %s", logs)
	}
}

// TestPlainKeysAndFallback: plain strings per language; an unknown key is
// visible as such and logged, never an empty string.
func TestPlainKeysAndFallback(t *testing.T) {
	c, _, logs := load(t)
	if got := c.T("fr", "notFoundTitle"); got != "Page introuvable" {
		t.Errorf("fr notFoundTitle = %q", got)
	}
	if got := c.T("ru", "notFoundTitle"); got != "Страница не найдена" {
		t.Errorf("ru notFoundTitle = %q", got)
	}
	if got := c.T("xx", "notFoundTitle"); got != "Page not found" {
		t.Errorf("unknown language should fall back to English, got %q", got)
	}
	if got := c.T("fr", "noSuchKey"); got != "[i18n] noSuchKey" {
		t.Errorf("missing key = %q", got)
	}
	if !strings.Contains(logs.String(), "noSuchKey") {
		t.Error("missing key not logged")
	}
}

// TestEveryKeyInEveryLanguage: all i18n files of the configured languages
// define the same keys, with the same plural tables (issue 2, issue 3).
func TestEveryKeyInEveryLanguage(t *testing.T) {
	root := sitetest.Root(t)
	s, err := site.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for _, lang := range s.Codes() {
		b, err := os.ReadFile(filepath.Join(root, "i18n", lang+".toml"))
		if err != nil {
			t.Fatalf("i18n file for %s: %v", lang, err)
		}
		var m map[string]any
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.toml: %v", lang, err)
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s.toml: %s is empty", lang, k)
				}
			case map[string]any:
				if _, ok := v["other"]; !ok {
					t.Errorf("%s.toml: %s has no 'other' form", lang, k)
				}
			default:
				t.Errorf("%s.toml: %s has unexpected type %T", lang, k, v)
			}
			keys[lang] = append(keys[lang], k)
		}
		sort.Strings(keys[lang])
	}
	ref := keys[s.Default]
	for lang, ks := range keys {
		if strings.Join(ks, ",") == strings.Join(ref, ",") {
			continue
		}
		missing, extra := diff(ref, ks), diff(ks, ref)
		t.Errorf("%s.toml: missing %v, extra %v compared with %s.toml", lang, missing, extra, s.Default)
	}
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// TestMatchAcceptLanguage picks the reader's language (issue 2).
func TestMatchAcceptLanguage(t *testing.T) {
	c, _, _ := load(t)
	tests := map[string]string{
		"en":                      "en",
		"fr-CH,fr;q=0.9":          "fr",
		"ru":                      "ru",
		"ru-RU,ru;q=0.9,en;q=0.8": "ru",
		"fr-CA":                   "fr",
		"ja":                      "en",
		"":                        "en",
		"de-DE,fr;q=0.5":          "de",
		"pt-BR,fr;q=0.5":          "fr",
		"de-AT":                   "de",
		"it-CH":                   "it",
		"es-419":                  "es",
		"es-MX,es;q=0.9,en;q=0.5": "es",
		"zz;;;;garbage":           "en",
		"*":                       "en",
	}
	for header, want := range tests {
		if got := c.Match(header); got != want {
			t.Errorf("Match(%q) = %q, want %q", header, got, want)
		}
	}
}
