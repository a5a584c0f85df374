package search

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/search/glossary"
)

// testDocs is a small benign corpus in the six languages, with the
// audiences the access tests need.
var testDocs = []Doc{
	{ID: "practice:en:1", Type: "practice", Lang: "en", Title: "Investigating online grooming", Body: "Investigators describe how offenders groom children through chat applications, and how evidence is preserved.", URL: "/en/practices/grooming/", Topics: []string{"online-investigation"}, Year: 2019, Audience: []string{Public}},
	{ID: "practice:fr:2", Type: "practice", Lang: "fr", Title: "Sécurité des enfants en ligne", Body: "La sollicitation d'enfants à des fins sexuelles commence souvent par des messages flatteurs. Les enquêteurs conservent les preuves.", URL: "/fr/practices/securite/", Topics: []string{"prevention-and-awareness"}, Year: 2021, Audience: []string{Public}},
	{ID: "practice:de:3", Type: "practice", Lang: "de", Title: "Ermittlungen bei Missbrauchsdarstellungen", Body: "Die Ermittler sichern Beweismittel auf den Geräten der Beschuldigten und melden die Kinder den Behörden.", URL: "/de/practices/ermittlungen/", Topics: []string{"digital-forensics"}, Year: 2020, Audience: []string{Public}},
	{ID: "practice:it:4", Type: "practice", Lang: "it", Title: "Adescamento di minorenni", Body: "Le indagini sull'adescamento dei minorenni richiedono la conservazione delle prove digitali.", URL: "/it/practices/adescamento/", Topics: []string{"online-investigation"}, Year: 2018, Audience: []string{Public}},
	{ID: "practice:ru:5", Type: "practice", Lang: "ru", Title: "Расследования в интернете", Body: "Следователи собирают доказательства и защищают детей от груминга. Онлайн-груминг начинается с доверия.", URL: "/ru/practices/rassledovaniya/", Topics: []string{"online-investigation"}, Year: 2022, Audience: []string{Public}},
	{ID: "practice:es:6", Type: "practice", Lang: "es", Title: "Protección de los niños", Body: "Los investigadores protegen a los niños y conservan las pruebas de los delitos cometidos en línea.", URL: "/es/practices/proteccion/", Topics: []string{"victim-support"}, Year: 2017, Audience: []string{Public}},
	{ID: "library:en:7", Type: "library", Kind: "national-law", Lang: "en", Title: "Section 15A — Sexual communication with a child", Body: "An adult who communicates with a child for sexual gratification commits an offence.", URL: "/en/library/gb/s-15a", Jurisdiction: "GB", Year: 2015, Audience: []string{Public}},
	{ID: "library:en:8", Type: "library", Kind: "regional-instrument", Lang: "en", Title: "Article 23 — Solicitation of children for sexual purposes", Body: "Requires States to criminalise the proposal of an adult to meet a child for sexual purposes.", URL: "/en/library/lanzarote/art-23", Jurisdiction: "COE", Year: 2007, Audience: []string{Public}},
	{ID: "post:en:9", Type: "post", Lang: "en", Title: "Xylophonic method for hash sets", Body: "Our unit uses the xylophonic method to deduplicate hash sets before review.", URL: "/en/forum/t/1", Topics: []string{"digital-forensics"}, Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Audience: []string{Experts, Staff}},
	{ID: "post:en:10", Type: "post", Lang: "en", Title: "Group-only quokkanese notes", Body: "Notes on the quokkanese triage for the victim identification group.", URL: "/en/forum/t/2", Date: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Audience: []string{Group("vid"), Staff}},
	{ID: "post:en:11", Type: "post", Lang: "en", Title: "Evidence preservation requests", Body: "Preservation requests to providers must be sent quickly; evidence disappears.", URL: "/en/forum/t/3", Date: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), Audience: []string{Public}},
}

func testIndex(t *testing.T, docs ...Doc) *Index {
	t.Helper()
	idx, err := Open(filepath.Join(t.TempDir(), "index"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Put(docs...); err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for _, d := range docs {
		byID[d.ID] = d.Body
	}
	idx.Text = func(_ context.Context, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = byID[id]
		}
		return out, nil
	}
	return idx
}

func testGlossary(t *testing.T) *glossary.Glossary {
	g, err := glossary.Load(filepath.Join("..", "content", "_data", "glossary.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var (
	visitor = []string{Public}
	expert  = []string{Public, Experts}
	vidUser = []string{Public, Experts, Group("vid")}
	staff   = []string{Public, Experts, Staff}
)

func ids(t *testing.T, idx *Index, q string, auds []string, opts ...func(*Request)) []string {
	t.Helper()
	r := Request{Query: Parse(q), Audiences: auds, Size: 20}
	for _, o := range opts {
		o(&r)
	}
	res, err := idx.Search(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	if int(res.Total) != len(res.Hits) {
		t.Errorf("%q: total %d, %d hits", q, res.Total, len(res.Hits))
	}
	return out
}

// TestInflectedQueries: an inflected query finds the document in each of
// the six languages, written with other forms of the word (issue 8).
func TestInflectedQueries(t *testing.T) {
	idx := testIndex(t, testDocs...)
	for _, c := range []struct{ q, want string }{
		{"investigation", "practice:en:1"},  // investigating, investigators
		{"enquêteur", "practice:fr:2"},      // enquêteurs
		{"Ermittler", "practice:de:3"},      // Ermittlungen? the body has "Ermittler"
		{"indagine", "practice:it:4"},       // indagini
		{"расследование", "practice:ru:5"},  // расследования
		{"investigador", "practice:es:6"},   // investigadores
		{"preuve", "practice:fr:2"},         // preuves
		{"доказательство", "practice:ru:5"}, // доказательства
		{"niño", "practice:es:6"},           // niños
		{"minorenne", "practice:it:4"},      // minorenni
	} {
		if got := ids(t, idx, c.q, visitor); !slices.Contains(got, c.want) {
			t.Errorf("%q found %v, want %s", c.q, got, c.want)
		}
	}
}

// TestAccentsAndPhrasesAndFilters: accents do not matter; phrases match
// words in order; -words exclude; field filters narrow (issue 8).
func TestAccentsAndPhrasesAndFilters(t *testing.T) {
	idx := testIndex(t, testDocs...)
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"securite", []string{"practice:fr:2"}},
		{"sécurité", []string{"practice:fr:2"}},
		{"proteccion ninos", []string{"practice:es:6"}},
		{`"evidence preservation"`, []string{"post:en:11"}},
		{`"preservation evidence"`, nil},
		{"evidence", []string{"post:en:11", "practice:en:1"}},
		{"evidence -requests", []string{"practice:en:1"}},
		{`evidence -"preservation requests"`, []string{"practice:en:1"}},
		{"type:law child", []string{"library:en:7", "library:en:8"}},
		{"type:national-law child", []string{"library:en:7"}},
		{"country:coe child", []string{"library:en:8"}},
		{"year:2010..2016 child", []string{"library:en:7"}},
		{"year:2015", []string{"library:en:7"}},
		{"lang:fr enfants", []string{"practice:fr:2"}},
		{"topic:digital-forensics", []string{"practice:de:3"}},
		{"the of and", nil},
	} {
		if got := ids(t, idx, c.q, visitor); !slices.Equal(got, c.want) {
			t.Errorf("%q found %v, want %v", c.q, got, c.want)
		}
	}
}

// TestCrossLanguageExpansion: the glossary widens "grooming" to its terms
// in every language, and the French term back to English (issue 8).
func TestCrossLanguageExpansion(t *testing.T) {
	idx := testIndex(t, testDocs...)
	g := testGlossary(t)
	withGlossary := func(r *Request) { r.Glossary = g }
	got := ids(t, idx, "grooming", visitor, withGlossary)
	for _, want := range []string{"practice:en:1", "practice:fr:2", "practice:ru:5", "library:en:8"} {
		if !slices.Contains(got, want) {
			t.Errorf("grooming with the glossary: %v lacks %s", got, want)
		}
	}
	if got := ids(t, idx, "grooming", visitor); slices.Contains(got, "practice:fr:2") {
		t.Error("without the glossary, grooming found the French text")
	}
	got = ids(t, idx, "sollicitation d'enfants à des fins sexuelles", visitor, withGlossary)
	if !slices.Contains(got, "practice:en:1") || !slices.Contains(got, "practice:fr:2") {
		t.Errorf("the French term: %v", got)
	}
	// The switch to the reader's language.
	if got := ids(t, idx, "grooming", visitor, withGlossary, func(r *Request) { r.Lang = "fr" }); !slices.Equal(got, []string{"practice:fr:2"}) {
		t.Errorf("only French: %v", got)
	}
	// The written form ranks first.
	res, _ := idx.Search(context.Background(), Request{Query: Parse("grooming"), Audiences: visitor, Size: 5, Glossary: g})
	if res.Hits[0].Lang != "en" || !slices.Contains(res.Expanded, "online-grooming") {
		t.Errorf("first hit %s, expanded %v", res.Hits[0].ID, res.Expanded)
	}
}

// TestAccessEverywhere: a word only in an experts-only or a group-only
// document gives nothing to those who may not read it — hits, total,
// facets, snippets, did-you-mean and suggestions (issue 8).
func TestAccessEverywhere(t *testing.T) {
	idx := testIndex(t, testDocs...)
	ctx := context.Background()
	search := func(q string, auds []string) *Result {
		res, err := idx.Search(ctx, Request{Query: Parse(q), Audiences: auds, Size: 10, Facets: true, Snippets: true, Spell: true})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, c := range []struct {
		word    string
		allowed [][]string
		denied  [][]string
	}{
		{"xylophonic", [][]string{expert, vidUser, staff}, [][]string{visitor}},
		{"quokkanese", [][]string{vidUser, staff}, [][]string{visitor, expert}},
	} {
		for _, auds := range c.denied {
			res := search(c.word, auds)
			if res.Total != 0 || len(res.Hits) != 0 || res.DidYouMean != "" {
				t.Errorf("%s for %v: %d hits, did you mean %q", c.word, auds, res.Total, res.DidYouMean)
			}
			for f, vs := range res.Facets {
				if len(vs) > 0 {
					t.Errorf("%s for %v: facet %s %v", c.word, auds, f, vs)
				}
			}
			// A misspelling must not be corrected towards it either.
			if dym := search(c.word[:len(c.word)-1]+"x", auds).DidYouMean; dym != "" {
				t.Errorf("%s for %v: did you mean %q", c.word, auds, dym)
			}
			if s, _ := idx.Suggest(ctx, c.word[:4], auds, ""); len(s) > 0 {
				t.Errorf("%s for %v: suggestions %v", c.word, auds, s)
			}
		}
		for _, auds := range c.allowed {
			res := search(c.word, auds)
			if res.Total != 1 || !strings.Contains(string(res.Hits[0].Snippet), "<mark>") {
				t.Errorf("%s for %v: %d hits, hits %+v", c.word, auds, res.Total, res.Hits)
			}
			if dym := search(c.word[:len(c.word)-1]+"x", auds).DidYouMean; dym != c.word {
				t.Errorf("%s for %v: did you mean %q", c.word, auds, dym)
			}
			if s, _ := idx.Suggest(ctx, c.word[:4], auds, ""); len(s) != 1 {
				t.Errorf("%s for %v: suggestions %v", c.word, auds, s)
			}
		}
	}
	// Totals and facets count what the viewer reads: three posts, one
	// of them public.
	if n := search("type:post", visitor).Total; n != 1 {
		t.Errorf("visitor sees %d posts", n)
	}
	if n := search("type:post", staff).Total; n != 3 {
		t.Errorf("staff see %d posts", n)
	}
	if _, err := idx.Search(ctx, Request{Query: Parse("evidence")}); err == nil {
		t.Error("a search without audiences ran")
	}
}

// TestSnippetsFacetsSortAndPages: snippets mark the words found and escape
// the rest; facets count; by date puts the newest first; pages split.
func TestSnippetsFacetsSortAndPages(t *testing.T) {
	hostile := Doc{ID: "post:en:99", Type: "post", Lang: "en", Title: "<script>alert(1)</script> evidence", Body: "<b>bold</b> evidence & more <img src=x onerror=alert(1)>", URL: "/en/forum/t/99", Audience: []string{Public}}
	idx := testIndex(t, append(testDocs, hostile)...)
	ctx := context.Background()
	res, err := idx.Search(ctx, Request{Query: Parse("evidence"), Audiences: visitor, Size: 10, Snippets: true, Facets: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		s := string(h.Snippet)
		if !strings.Contains(s, "<mark>evidence</mark>") && !strings.Contains(s, "<mark>Evidence</mark>") {
			t.Errorf("%s: snippet %q", h.ID, s)
		}
		if strings.Contains(s, "<b>") || strings.Contains(s, "<img") {
			t.Errorf("%s: snippet not escaped: %q", h.ID, s)
		}
	}
	if f := res.Facets["type"]; len(f) != 2 || f[0] != (FacetValue{"post", 2}) {
		t.Errorf("type facet %v", f)
	}
	res, _ = idx.Search(ctx, Request{Query: Parse("type:post"), Audiences: staff, Size: 10, ByDate: true})
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.ID)
	}
	if !slices.Equal(got, []string{"post:en:11", "post:en:10", "post:en:9", "post:en:99"}) {
		t.Errorf("by date: %v", got)
	}
	p1, _ := idx.Search(ctx, Request{Query: Parse("type:post"), Audiences: staff, Size: 2, ByDate: true})
	p2, _ := idx.Search(ctx, Request{Query: Parse("type:post"), Audiences: staff, Size: 2, From: 2, ByDate: true})
	if p1.Total != 4 || len(p1.Hits) != 2 || p2.Hits[0].ID != "post:en:9" {
		t.Errorf("pages: %v / %v", p1.Hits, p2.Hits)
	}
	if p1.Hits[0].Title != "Evidence preservation requests" || p1.Hits[0].URL != "/en/forum/t/3" || p1.Hits[0].Date.Month() != 5 {
		t.Errorf("stored fields: %+v", p1.Hits[0])
	}
}

// TestUpdatesAndDeletes: a replaced document is found by its new text and
// not its old; a deleted one is gone, with the caches of older segments.
func TestUpdatesAndDeletes(t *testing.T) {
	idx := testIndex(t, testDocs...)
	if got := ids(t, idx, "evidence", visitor); len(got) != 2 {
		t.Fatalf("before: %v", got)
	}
	changed := testDocs[10]
	changed.Body, changed.Title = "Now about wombats.", "Wombats"
	if err := idx.Put(changed); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, idx, "evidence", visitor); !slices.Equal(got, []string{"practice:en:1"}) {
		t.Errorf("after the update: %v", got)
	}
	if got := ids(t, idx, "wombat", visitor); !slices.Equal(got, []string{"post:en:11"}) {
		t.Errorf("new text: %v", got)
	}
	if err := idx.Delete("practice:en:1"); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, idx, "evidence", visitor); len(got) != 0 {
		t.Errorf("after the delete: %v", got)
	}
}

func TestParse(t *testing.T) {
	p := Parse(`online "child protection" -spam -"bad phrase" type:law lang:FR topic:x country:fr year:2011..2014 foo:bar unterminated "quote`)
	want := Parsed{Words: []string{"online", "foo:bar", "unterminated"}, Phrases: []string{"child protection", "quote"}, NotWords: []string{"spam"},
		NotPhrases: []string{"bad phrase"}, Types: []string{"library"}, Langs: []string{"fr"}, Topics: []string{"x"}, Countries: []string{"FR"},
		YearFrom: 2011, YearTo: 2014}
	if !slices.Equal(p.Words, want.Words) || !slices.Equal(p.Phrases, want.Phrases) || !slices.Equal(p.NotWords, want.NotWords) ||
		!slices.Equal(p.NotPhrases, want.NotPhrases) || !slices.Equal(p.Types, want.Types) || !slices.Equal(p.Langs, want.Langs) ||
		!slices.Equal(p.Countries, want.Countries) || p.YearFrom != 2011 || p.YearTo != 2014 {
		t.Errorf("parsed %+v", p)
	}
	if p := Parse(strings.Repeat("a ", 1000)); len(p.Words) > 250 {
		t.Errorf("a long query kept %d words", len(p.Words))
	}
}
