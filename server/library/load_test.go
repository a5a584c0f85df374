package library

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polis-portal/polis/search/glossary"
)

// fixture writes a small library: a checklist of two elements and the
// given files (path under content/ → text).
func fixture(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{"_data/checklist.toml": `
[[elements]]
id = "possession"
glossary = []
[elements.name]
en = "Knowing possession"
fr = "Détention en connaissance de cause"
[elements.definition]
en = "Possessing the material knowingly is an offence."
fr = "La détention du matériel en connaissance de cause est une infraction."
[elements.terms]
en = ["possession", "possesses"]
fr = ["détention", "détenir"]

[[elements]]
id = "grooming"
glossary = []
[elements.name]
en = "Grooming"
fr = "Pédopiégeage"
[elements.definition]
en = "Soliciting a child online for sexual purposes is an offence."
fr = "La sollicitation d'un enfant en ligne à des fins sexuelles est une infraction."
[elements.terms]
en = ["solicits", "grooming", "proposes to meet"]
fr = ["sollicitation", "propositions sexuelles"]
`}
	for k, v := range files {
		all[k] = v
	}
	for name, text := range all {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodEN = `+++
title = "Example Convention"
short = "Example Convention"
summary = "A synthetic instrument for tests."
kind = "regional-instrument"
jurisdiction = "COE"
region = "europe"
instrument = "CETS No. 999"
year = 2020
status = "in-force"
citation = "Example Convention, CETS No. 999"
translationKey = "library-example"
[[official]]
lang = "en"
url = "https://example.org/text"
[[covers]]
element = "possession"
article = "art-2"
paragraph = "1(e)"
+++
An overview.

# Chapter I — Offences {#ch-1}

## Article 1 — Definitions {#art-1}

Defines the terms.

## Article 2 — Offences concerning material {#art-2}

Requires possession to be an offence.
`

const goodFR = `+++
title = "Convention exemple"
short = "Convention exemple"
summary = "Un instrument synthétique pour les tests."
citation = "Convention exemple, STCE n° 999"
translationKey = "library-example"
+++
Un aperçu.

# Chapitre I — Infractions {#ch-1}

## Article 1 — Définitions {#art-1}

Définit les termes.

## Article 2 — Infractions relatives au matériel {#art-2}

Exige que la détention soit une infraction.
`

func TestLoadFixture(t *testing.T) {
	dir := fixture(t, map[string]string{"en/library/example.md": goodEN, "fr/library/example.md": goodFR})
	l, err := Load(dir, []string{"en", "fr"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := l.Doc("example")
	if d == nil || len(d.Texts) != 2 || len(d.Texts["en"].Articles) != 2 || d.Texts["fr"].Article("art-2").Label != "Article 2" {
		t.Fatalf("loaded %+v", d)
	}
	if a := d.Texts["en"].Article("art-2"); a.Part == nil || a.Part.Anchor != "ch-1" || !strings.Contains(string(a.Body), "<p>Requires possession") {
		t.Errorf("article 2: %+v", a)
	}
	req, _ := l.RequiredBy("possession")
	if len(req) != 1 || req[0].Doc != d {
		t.Errorf("required by %v", req)
	}
}

// TestLoadNamesFileAndLine: each kind of mistake is reported with the file
// and, where it has one, the line; the other documents still load.
func TestLoadNamesFileAndLine(t *testing.T) {
	for _, c := range []struct {
		name, en, fr string
		want         string
	}{
		{"unknown element", strings.Replace(goodEN, `element = "possession"`, `element = "posession"`, 1), "",
			`example.md:17: covers: no checklist element "posession"`},
		{"claim on a missing article", strings.Replace(goodEN, `article = "art-2"`, `article = "art-9"`, 1), "",
			`example.md:18: covers: element possession points to article "art-9", which is not in this file`},
		{"repeated anchor", strings.Replace(goodEN, "{#art-1}", "{#art-2}", 1), "",
			`example.md:29: anchor {#art-2} is used twice`},
		{"heading without anchor", strings.Replace(goodEN, "## Article 1 — Definitions {#art-1}", "## Article 1 — Definitions", 1), "",
			`example.md:25: a heading must read`},
		{"heading without title", strings.Replace(goodEN, "## Article 1 — Definitions {#art-1}", "## Article 1 {#art-1}", 1), "",
			`example.md:25: an article heading needs a label and a title`},
		{"reserved anchor", strings.Replace(goodEN, "{#art-1}", "{#languages}", 1), "",
			`example.md:25: anchor {#languages} must be`},
		{"unknown field", strings.Replace(goodEN, `region = "europe"`, "region = \"europe\"\nregoin = \"x\"", 1), "",
			`unknown field`},
		{"bad TOML", strings.Replace(goodEN, `year = 2020`, `year = `, 1), "",
			`example.md:9: front matter, column 8`},
		{"http link", strings.Replace(goodEN, "https://example.org/text", "http://example.org/text", 1), "",
			`must be … absolute https`},
		{"translation lacks an article", goodEN, strings.Replace(goodFR, "## Article 1 — Définitions {#art-1}\n\nDéfinit les termes.\n", "", 1),
			`fr/library/example.md: art-1 is missing from this translation`},
		{"translation adds an article", goodEN, goodFR + "\n## Article 3 — En trop {#art-3}\n\nTexte.\n",
			`fr/library/example.md:20: art-3 is not in the en file`},
		{"translation carries metadata", goodEN, strings.Replace(goodFR, `translationKey`, "kind = \"national-law\"\ntranslationKey", 1),
			`fr/library/example.md:6: front matter, column 1: toml: unknown field`},
		{"commentary outside the model", strings.Replace(goodEN, "Defines the terms.", "Defines the terms.\n\n### Commentary\n\nWhy.", 1), "",
			`example.md:29: only the model provisions have ### headings`},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"en/library/example.md": c.en, "en/library/other.md": strings.ReplaceAll(goodEN, "library-example", "library-other")}
			if c.fr != "" {
				files["fr/library/example.md"] = c.fr
			}
			l, err := Load(fixture(t, files), []string{"en", "fr"}, nil)
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.ReplaceAll(c.want, "must be … absolute https", "")
			if !strings.Contains(err.Error(), want) || (c.name == "http link" && !strings.Contains(err.Error(), "absolute https")) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			if l.Doc("other") == nil {
				t.Error("a good document was not loaded beside the bad one")
			}
			if l.Doc("example") != nil {
				t.Error("the document with a problem was loaded")
			}
		})
	}
}

func TestModelMustCoverTheChecklist(t *testing.T) {
	model := strings.NewReplacer(`kind = "regional-instrument"`, `kind = "model-provision"`, `jurisdiction = "COE"`, `jurisdiction = "POLIS"`,
		`status = "in-force"`, `status = "model"`, "library-example", "library-model",
		"Defines the terms.", "Defines the terms.\n\n### Commentary\n\nWhy.").Replace(goodEN)
	_, err := Load(fixture(t, map[string]string{"en/library/model.md": model}), []string{"en", "fr"}, nil)
	if err == nil || !strings.Contains(err.Error(), "cover no article for checklist element grooming") ||
		!strings.Contains(err.Error(), "model provision art-2 has no commentary") {
		t.Errorf("error %v", err)
	}
}

func TestLabel(t *testing.T) {
	for _, c := range []struct{ label, para, want string }{
		{"Article 20", "", "Article 20"},
		{"Article 20", "1(e)", "Article 20(1)(e)"},
		{"Article 20", "2", "Article 20(2)"},
		{"Article 5", "(2)", "Article 5(2)"},
		{"Article 29", "3(1)(c)", "Article 29(3)(1)(c)"},
		{"Art. 202", "§ 3", "Art. 202 § 3"},
	} {
		if got := Label(c.label, c.para); got != c.want {
			t.Errorf("Label(%q, %q) = %q, want %q", c.label, c.para, got, c.want)
		}
	}
}

// TestMatcher: terms match inflected forms in the draft's language, a
// glossary concept's words count for its element, and the context is cut
// at word boundaries.
func TestMatcher(t *testing.T) {
	dir := fixture(t, map[string]string{"en/library/example.md": goodEN, "_data/glossary.toml": `
[[concepts]]
id = "online-grooming"
[concepts.terms]
en = "online grooming"
fr = "sollicitation d'enfants à des fins sexuelles"
[concepts.other]
fr = ["pédopiégeage"]
`})
	gl, err := glossary.Load(filepath.Join(dir, "_data", "glossary.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cl := strings.Replace(readFile(t, filepath.Join(dir, "_data", "checklist.toml")), "id = \"grooming\"\nglossary = []", "id = \"grooming\"\nglossary = [\"online-grooming\"]", 1)
	os.WriteFile(filepath.Join(dir, "_data", "checklist.toml"), []byte(cl), 0o644)
	l, err := Load(dir, []string{"en", "fr"}, gl)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(l, gl)
	got := m.Suggest("Whoever is found in possession of such images, or possessed them before, is punished.", "en")
	if len(got) != 1 || got[0].Element.ID != "possession" || got[0].Count != 2 {
		t.Fatalf("English: %+v", got)
	}
	if f := got[0].Found[0]; f.Match != "possession" || !strings.HasSuffix(f.Before, "found in ") {
		t.Errorf("context %+v", f)
	}
	// French: "détient" is not in the list, but "détenir" stems alike; the
	// glossary's French term for grooming matches, elided and inflected.
	got = m.Suggest("Le fait de détenir ces images, ou la sollicitation d'enfants à des fins sexuelles, est puni.", "fr")
	ids := []string{}
	for _, s := range got {
		ids = append(ids, s.Element.ID)
	}
	if strings.Join(ids, ",") != "possession,grooming" {
		t.Errorf("French: %v", ids)
	}
	if got := m.Suggest("Nothing relevant here at all.", "en"); len(got) != 0 {
		t.Errorf("false suggestion: %+v", got)
	}
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
