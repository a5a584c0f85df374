package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/polis-portal/polis/server/library"
	"github.com/polis-portal/polis/server/sitetest"
)

// The sample drafts are synthetic and benign: a few articles of an
// imaginary law, in English and in French.
const (
	draftEN = `Draft Law on the Protection of Children from Sexual Exploitation Online

Article 1. In this Law, "child sexual abuse material" means any material, including written material, audio recordings and computer-generated images, that depicts a child engaged in real or simulated sexually explicit conduct.

Article 2. A person who produces child sexual abuse material commits an offence. A person who distributes, offers or makes available such material commits an offence.

Article 3. A person who knowingly possesses child sexual abuse material commits an offence.

Article 4. An adult who, through information and communication technologies, proposes to meet a child for sexual purposes commits an offence.`

	draftFR = `Projet de loi relatif à la protection des enfants contre l'exploitation sexuelle en ligne

Article 1er. Le fait de détenir une image ou une représentation d'un mineur présentant un caractère pornographique est puni de cinq ans d'emprisonnement.

Article 2. Le fait de diffuser une telle image, par quelque moyen que ce soit, est puni des mêmes peines.

Article 3. Le fait pour un majeur de faire des propositions sexuelles à un mineur en utilisant un moyen de communication électronique est puni de deux ans d'emprisonnement.`
)

// TestLibraryBrowsing: the list and its filters (a GET form), with counts
// that follow the other filters; a filter value that does not exist is
// dropped, not echoed (issue 7).
func TestLibraryBrowsing(t *testing.T) {
	as := newAccountServer(t)
	c := as.client(t)
	lib := as.library.Lib
	count := func(n int) string { return as.deps.Catalog.T("en", "libraryCount", n) }

	st, body, _ := c.get("/en/library/")
	if st != 200 || !strings.Contains(body, count(len(lib.Docs))) || !strings.Contains(body, `rel="canonical"`) {
		t.Fatalf("library list: %d", st)
	}
	for _, id := range []string{"lanzarote", "opsc", "polis-model-law", "de-stgb"} {
		if !strings.Contains(body, `/en/library/`+id+`/`) {
			t.Errorf("list lacks %s", id)
		}
	}
	national := 0
	for _, d := range lib.Docs {
		if d.Kind == "national-law" {
			national++
		}
	}
	for _, c2 := range []struct {
		query string
		want  int
		has   []string
		hasnt []string
	}{
		{"kind=national-law", national, []string{"/en/library/de-stgb/"}, []string{"/en/library/lanzarote/"}},
		{"jurisdiction=COE", 2, []string{"/en/library/lanzarote/", "/en/library/budapest/"}, []string{"/en/library/opsc/"}},
		{"region=africa", 1, []string{"/en/library/malabo/"}, []string{"/en/library/lanzarote/"}},
		{"year=2011", -1, []string{"/en/library/eu-directive-2011-93/"}, []string{"/en/library/opsc/"}},
		{"element=data-preservation&kind=regional-instrument", -1, []string{"/en/library/budapest/"}, []string{"/en/library/lanzarote/"}},
		{"lang=ru", -1, []string{"/en/library/lanzarote/"}, []string{"/en/library/de-stgb/"}},
		{"kind=<script>&jurisdiction=XX&element=nope", len(lib.Docs), nil, []string{"<script>", "nope"}},
	} {
		st, body, _ := c.get("/en/library/?" + c2.query)
		if st != 200 || strings.Contains(body, `rel="canonical"`) {
			t.Errorf("%s: %d (a filtered list is not canonical)", c2.query, st)
		}
		list := body[strings.Index(body, `role="status"`):]
		if c2.want >= 0 && !strings.Contains(body, count(c2.want)) {
			t.Errorf("%s: want %q", c2.query, count(c2.want))
		}
		for _, s := range c2.has {
			if !strings.Contains(list, s) {
				t.Errorf("%s: lacks %s", c2.query, s)
			}
		}
		for _, s := range c2.hasnt {
			if strings.Contains(list, s) {
				t.Errorf("%s: shows %s", c2.query, s)
			}
		}
	}
	// The kind facet counts under the other filters: with region=africa,
	// only the Malabo Convention's kind has a document.
	_, body, _ = c.get("/en/library/?region=africa")
	if !strings.Contains(body, `value="regional-instrument">Regional instrument (1)`) || !strings.Contains(body, `value="national-law">National law (0)`) {
		t.Error("kind facet not counted under the region filter")
	}
	// Every site language has the page, in its language.
	for _, lang := range as.deps.Site.Codes() {
		st, body, _ := c.get("/" + lang + "/library/")
		if st != 200 || !strings.Contains(body, as.deps.Catalog.T(lang, "libraryTitle")) {
			t.Errorf("/%s/library/: %d", lang, st)
		}
	}
}

// TestLibraryPermalinks: instrument pages with their contents, anchors,
// citations and related provisions; each article's permalink page; the
// language versions; what does not exist is 404 (issue 7).
func TestLibraryPermalinks(t *testing.T) {
	as := newAccountServer(t)
	c := as.client(t)
	st, body, _ := c.get("/en/library/lanzarote/")
	if st != 200 {
		t.Fatalf("lanzarote: %d", st)
	}
	cite := html.EscapeString(as.library.Lib.Doc("lanzarote").Texts["en"].Citation + ", Article 20")
	for _, want := range []string{`id="art-20"`, `id="art-23"`, `href="#art-20"`, `href="/en/library/lanzarote/art-20"`, cite,
		`/en/library/budapest/art-9`, `hreflang="fr"`, `/en/library/lanzarote/languages`, `export.json`, `export.md`} {
		if !strings.Contains(body, want) {
			t.Errorf("lanzarote page lacks %s", want)
		}
	}
	// The permalink: the article alone, its citation, related provisions
	// in other documents (the possession provisions of other instruments),
	// its other language versions, the neighbours.
	st, body, _ = c.get("/en/library/lanzarote/art-20")
	if st != 200 {
		t.Fatalf("art-20: %d", st)
	}
	for _, want := range []string{"<h1", "Article 20", cite, `href="/en/library/budapest/art-9"`, `href="/en/library/eu-directive-2011-93/art-5"`,
		`href="/fr/library/lanzarote/art-20"`, `href="/ru/library/lanzarote/art-20"`, `rel="next"`, `rel="canonical"`, "Knowing possession"} {
		if !strings.Contains(body, want) {
			t.Errorf("art-20 page lacks %q", want)
		}
	}
	// The French permalink is in French; a language without a summary says
	// so and links the versions that exist.
	_, body, _ = c.get("/fr/library/lanzarote/art-20")
	if !strings.Contains(body, "Article 20") || !strings.Contains(body, `lang="fr"`) || strings.Contains(body, as.deps.Catalog.T("fr", "libraryNotTranslated")) {
		t.Error("French permalink not in French")
	}
	_, body, _ = c.get("/de/library/lanzarote/art-20")
	if !strings.Contains(body, as.deps.Catalog.T("de", "libraryNotTranslated")) || !strings.Contains(body, `href="/fr/library/lanzarote/art-20"`) {
		t.Error("German permalink lacks the missing-translation note")
	}
	for _, path := range []string{"/en/library/no-such-law/", "/en/library/lanzarote/art-999", "/en/library/no-such-law/art-1", "/xx/library/", "/en/library/lanzarote/ART-20"} {
		if st, _, _ := c.get(path); st != 404 {
			t.Errorf("%s: %d, want 404", path, st)
		}
	}
	if st, _, h := c.get("/en/library/lanzarote"); st != http.StatusMovedPermanently || h.Get("Location") != "/en/library/lanzarote/" {
		t.Errorf("slash redirect: %d %s", st, h.Get("Location"))
	}
	// Every article of every document answers at its permalink, in the
	// default language, with its anchor on the document's page.
	for _, d := range as.library.Lib.Docs {
		_, page, _ := c.get("/en/library/" + d.ID + "/")
		for _, a := range d.Texts["en"].Articles {
			if !strings.Contains(page, `id="`+a.Anchor+`"`) {
				t.Errorf("%s: no anchor %s", d.ID, a.Anchor)
			}
		}
		a := d.Texts["en"].Articles[len(d.Texts["en"].Articles)-1]
		if st, _, _ := c.get(library.Permalink("en", d.ID, a.Anchor)); st != 200 {
			t.Errorf("%s: %d", library.Permalink("en", d.ID, a.Anchor), st)
		}
	}
	// The model provisions carry the drafting-aid warning and commentaries.
	_, body, _ = c.get("/en/library/polis-model-law/")
	if !strings.Contains(body, as.deps.Catalog.T("en", "libraryDraftingAid")) || !strings.Contains(body, as.deps.Catalog.T("en", "libraryCommentary")) {
		t.Error("model provisions lack the warning or the commentary")
	}
}

// cellsOf returns the text of each <td> of each body row of the first
// table in page.
func cellsOf(page string) [][]string {
	var rows [][]string
	body := page[strings.Index(page, "<tbody>"):]
	body = body[:strings.Index(body, "</tbody>")]
	td := regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	tag := regexp.MustCompile(`<[^>]+>`)
	for _, tr := range regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		var cells []string
		for _, m := range td.FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, html.UnescapeString(strings.TrimSpace(tag.ReplaceAllString(m[1], " "))))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestLibrarySideBySide: two language versions aligned article by article,
// and one checklist element across chosen documents (issue 7).
func TestLibrarySideBySide(t *testing.T) {
	as := newAccountServer(t)
	c := as.client(t)
	lz := as.library.Lib.Doc("lanzarote")
	st, body, _ := c.get("/en/library/lanzarote/languages?a=en&b=fr")
	if st != 200 {
		t.Fatalf("languages: %d", st)
	}
	var rows [][]string
	for _, r := range cellsOf(body) {
		if len(r) == 2 {
			rows = append(rows, r)
		}
	}
	if len(rows) != len(lz.Texts["en"].Articles) {
		t.Fatalf("%d aligned rows, want one per article (%d)", len(rows), len(lz.Texts["en"].Articles))
	}
	for i, a := range lz.Texts["en"].Articles {
		fr := lz.Texts["fr"].Article(a.Anchor)
		if !strings.Contains(rows[i][0], a.Label) || !strings.Contains(rows[i][1], fr.Label) || !strings.Contains(rows[i][1], firstWords(fr.Title)) {
			t.Errorf("row %d does not align %s with its French version", i, a.Anchor)
		}
	}
	// Without a choice, the second column is the reader's language.
	_, body, _ = c.get("/ru/library/lanzarote/languages")
	if !strings.Contains(body, `value="ru" lang="ru" selected`) {
		t.Error("Russian reader does not get Russian beside English")
	}
	// A doc in one language has nothing to set side by side.
	_, body, _ = c.get("/en/library/de-stgb/languages")
	if !strings.Contains(body, as.deps.Catalog.T("en", "libraryOneLanguage")) {
		t.Error("one-language doc")
	}

	// One element across two countries: their possession provisions next
	// to each other, each linking to its permalink.
	st, body, _ = c.get("/en/library/compare/?element=possession&doc=de-stgb&doc=fr-code-penal")
	if st != 200 {
		t.Fatalf("compare: %d", st)
	}
	de, fr := as.library.Lib.Doc("de-stgb"), as.library.Lib.Doc("fr-code-penal")
	for _, d := range []*library.Doc{de, fr} {
		cv := d.CoversOf("possession")
		if len(cv) == 0 {
			t.Fatalf("%s has no possession claim", d.ID)
		}
		if !strings.Contains(body, `href="`+library.Permalink("en", d.ID, cv[0].Article)+`"`) || !strings.Contains(body, `id="col-`+d.ID+`"`) {
			t.Errorf("compare lacks %s's provision", d.ID)
		}
	}
	if strings.Contains(body, `id="col-lanzarote"`) {
		t.Error("compare shows a document not chosen")
	}
	// Without chosen documents: every document with a provision, up to
	// twelve, with a note when there are more.
	_, body, _ = c.get("/en/library/compare/?element=grooming")
	n := 0
	for _, d := range as.library.Lib.Docs {
		covers := len(d.CoversOf("grooming")) > 0
		if covers {
			n++
		}
		if has := strings.Contains(body, `id="col-`+d.ID+`"`); has != (covers && n <= 12) {
			t.Errorf("grooming compare: %s shown=%v", d.ID, has)
		}
	}
	if tooMany := strings.Contains(body, as.deps.Catalog.T("en", "libraryCompareTooMany")); tooMany != (n > 12) {
		t.Errorf("%d documents on grooming; the note on the limit shown=%v", n, tooMany)
	}
	// A national law without a claim says "not assessed", never "no".
	var unassessed *library.Doc
	for _, d := range as.library.Lib.Docs {
		if d.Kind == "national-law" && len(d.CoversOf("sextortion")) == 0 {
			unassessed = d
			break
		}
	}
	if unassessed != nil {
		_, body, _ = c.get("/en/library/compare/?element=sextortion&doc=" + unassessed.ID)
		if !strings.Contains(body, as.deps.Catalog.T("en", "libraryNotAssessed")) {
			t.Error("unassessed national law not marked so")
		}
	}
}

func firstWords(s string) string {
	f := strings.Fields(s)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

// TestLibraryMatrixAndCSV: the coverage matrix links every claim to its
// provision, and its CSV has the same cells (issue 7).
func TestLibraryMatrixAndCSV(t *testing.T) {
	as := newAccountServer(t)
	c := as.client(t)
	lib := as.library.Lib
	st, body, _ := c.get("/en/library/matrix/")
	if st != 200 {
		t.Fatalf("matrix: %d", st)
	}
	rows := cellsOf(body)
	if len(rows) != len(lib.Docs) {
		t.Fatalf("%d matrix rows, want %d", len(rows), len(lib.Docs))
	}
	for _, d := range lib.Docs {
		for _, cv := range d.Covers {
			if !strings.Contains(body, `href="`+library.Permalink("en", d.ID, cv.Article)+`"`) {
				t.Errorf("matrix: no link to %s/%s", d.ID, cv.Article)
			}
		}
	}
	st, body, h := c.get("/en/library/matrix.csv")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %s", st, h.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(lib.Docs)+1 || len(recs[0]) != 5+len(lib.Elements) {
		t.Fatalf("csv: %d rows × %d columns", len(recs), len(recs[0]))
	}
	col := map[string]int{}
	for i, e := range lib.Elements {
		col[e.ID] = 5 + i
		if recs[0][5+i] != e.Name["en"] {
			t.Errorf("csv header %d: %q", 5+i, recs[0][5+i])
		}
	}
	byID := map[string][]string{}
	for _, r := range recs[1:] {
		byID[r[0]] = r
	}
	if got := byID["lanzarote"][col["possession"]]; got != "Article 20(1)(e)" {
		t.Errorf("lanzarote × possession: %q", got)
	}
	for _, d := range lib.Docs {
		for _, e := range lib.Elements {
			cell := byID[d.ID][col[e.ID]]
			switch covered := len(d.CoversOf(e.ID)) > 0; {
			case covered && (cell == "" || cell == "Not assessed"):
				t.Errorf("%s × %s: claim missing from the csv", d.ID, e.ID)
			case !covered && d.Kind == "national-law" && cell != "Not assessed":
				t.Errorf("%s × %s: %q, want Not assessed", d.ID, e.ID, cell)
			case !covered && d.Kind != "national-law" && cell != "":
				t.Errorf("%s × %s: %q, want empty", d.ID, e.ID, cell)
			}
		}
	}
	// The kind filter applies to both.
	_, body, _ = c.get("/en/library/matrix.csv?kind=international-instrument")
	if recs, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll(); len(recs) != 3 {
		t.Errorf("filtered csv: %d rows", len(recs))
	}
	// The checklist lists, per element, the instruments that require it,
	// read from their claims.
	_, body, _ = c.get("/en/library/checklist/")
	req, _ := lib.RequiredBy("possession")
	for _, r := range req {
		if !strings.Contains(body, library.Permalink("en", r.Doc.ID, r.Cover.Article)) {
			t.Errorf("checklist: possession lacks %s", r.Doc.ID)
		}
	}
}

// multipartForm builds a multipart body with fields and one file.
func multipartForm(t *testing.T, fields url.Values, fileName string, file []byte) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write(file)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func (c *client) postMultipart(path, contentType string, body io.Reader) (int, string, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.as.srv.URL+path, body)
	req.Header.Set("Content-Type", contentType)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// gapIDs returns the ids of the gap report's elements, and those marked
// as suggested.
func gapIDs(body string) (gaps, suggested []string) {
	for _, m := range regexp.MustCompile(`<article class="gap" id="gap-([a-z-]+)"><h4>[^<]*(<span class="badge suggested">)?`).FindAllStringSubmatch(body, -1) {
		gaps = append(gaps, m[1])
		if m[2] != "" {
			suggested = append(suggested, m[1])
		}
	}
	return gaps, suggested
}

// TestLibrarySelfAssessment: a draft in English and one in French get
// suggestions from their words (inflected forms too), the gap report
// names what requires each gap and the model provisions; the report
// downloads as Markdown; a text file can be uploaded; bad input keeps the
// text; nothing a visitor pastes is stored or logged (issue 7).
func TestLibrarySelfAssessment(t *testing.T) {
	as := newAccountServer(t)
	c := as.client(t)
	if st, body, h := c.get("/en/library/assess/"); st != 200 || !strings.Contains(body, `name="draft"`) || h.Get("Set-Cookie") != "" {
		t.Fatalf("assess form: %d", st)
	}
	// English: the drafter marks production only.
	st, body, h := c.post("/en/library/assess/", url.Values{"draft": {draftEN}, "title": {"Sample draft"}, "covered": {"production"}})
	if st != 200 || h.Get("Set-Cookie") != "" || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Fatalf("assess: %d cookie=%q cache=%q", st, h.Get("Set-Cookie"), h.Get("Cache-Control"))
	}
	gaps, suggested := gapIDs(body)
	for _, want := range []string{"possession", "distribution", "grooming", "csam-definition"} {
		if !contains(suggested, want) {
			t.Errorf("English draft: %s not suggested (suggested %v)", want, suggested)
		}
	}
	for _, not := range []string{"sextortion", "confiscation", "legal-persons", "data-preservation"} {
		if contains(suggested, not) || !contains(gaps, not) {
			t.Errorf("English draft: %s suggested, or not a gap", not)
		}
	}
	if contains(gaps, "production") || len(gaps) != len(as.library.Lib.Elements)-1 {
		t.Errorf("the marked element is a gap, or gaps are missing: %v", gaps)
	}
	// The words found are shown in context, and the draft comes back in the
	// form so that the drafter can go on.
	if !strings.Contains(body, "<mark>possesses</mark>") || !strings.Contains(body, "Draft Law on the Protection of Children") {
		t.Error("evidence or the draft missing from the page")
	}
	// The gap report names the instruments that require a gap and the
	// model provisions to consider.
	model := as.library.Lib.ModelFor("confiscation")[0]
	req, _ := as.library.Lib.RequiredBy("confiscation")
	gap := body[strings.Index(body, `id="gap-confiscation"`):]
	gap = gap[:strings.Index(gap, "</article>")]
	if !strings.Contains(gap, library.Permalink("en", model.Doc.ID, model.Cover.Article)) || !strings.Contains(gap, library.Permalink("en", req[0].Doc.ID, req[0].Cover.Article)) {
		t.Errorf("confiscation gap lacks the model provision or the instrument")
	}
	if !strings.Contains(body, "Language of the draft: English (detected)") && !strings.Contains(body, "English (detected)") {
		t.Error("the draft's language was not detected")
	}

	// French: detected, inflected and elided forms matched ("détenir",
	// "d'un mineur", "diffuser").
	_, body, _ = c.post("/fr/library/assess/", url.Values{"draft": {draftFR}})
	_, suggested = gapIDs(body)
	for _, want := range []string{"possession", "distribution", "grooming"} {
		if !contains(suggested, want) {
			t.Errorf("French draft: %s not suggested (suggested %v)", want, suggested)
		}
	}
	if !strings.Contains(body, "(détectée)") && !strings.Contains(body, as.deps.Catalog.T("fr", "libraryAssessDetected")) {
		t.Error("French draft's language not detected")
	}

	// The gap report as Markdown, from the same form: the title, the gaps
	// with their model provisions; never the draft's text.
	st, md, h := c.post("/en/library/assess/report.md", url.Values{"draft": {draftEN}, "title": {"Sample draft"}, "covered": {"production", "possession"}})
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/markdown") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("report.md: %d %s", st, h.Get("Content-Type"))
	}
	if !strings.HasPrefix(md, "# Gap report: Sample draft") || !strings.Contains(md, "## Gaps to consider") || !strings.Contains(md, "### Confiscation") ||
		!strings.Contains(md, library.Permalink("en", model.Doc.ID, model.Cover.Article)) || strings.Contains(md, "### Knowing possession") ||
		strings.Contains(md, "Draft Law on the Protection") {
		t.Errorf("report.md:\n%s", md)
	}

	// A text file instead of pasting.
	ct, buf := multipartForm(t, url.Values{"lang": {"en"}}, "draft-law.txt", []byte("\ufeff"+draftEN))
	st, body, _ = c.postMultipart("/en/library/assess/", ct, buf)
	if _, s := gapIDs(body); st != 200 || !contains(s, "possession") || !strings.Contains(body, "draft-law") {
		t.Errorf("uploaded text file: %d, suggested %v", st, s)
	}
	// Not a text file: a clear error, and what was typed is still there.
	ct, buf = multipartForm(t, url.Values{"draft": {"My typed words stay"}, "title": {"Kept title"}}, "draft.docx", []byte("PK\x03\x04\x00\x00binary"))
	st, body, _ = c.postMultipart("/en/library/assess/", ct, buf)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, as.deps.Catalog.T("en", "libraryAssessErrNotText")) || !strings.Contains(body, "My typed words stay") || !strings.Contains(body, "Kept title") {
		t.Errorf("binary file: %d", st)
	}
	st, body, _ = c.post("/en/library/assess/", url.Values{"draft": {"   "}, "covered": {"grooming"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, as.deps.Catalog.T("en", "libraryAssessErrEmpty")) || !regexp.MustCompile(`value="grooming" checked`).MatchString(body) {
		t.Errorf("empty draft: %d", st)
	}
	// A visitor cannot save; a cross-site form is refused.
	if st, _, h := c.post("/en/library/assess/save", url.Values{"draft": {draftEN}}); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/account/login") {
		t.Errorf("visitor save: %d %s", st, h.Get("Location"))
	}
	if st, _, _ := c.post("/en/library/assess/", url.Values{"draft": {draftEN}}, "Sec-Fetch-Site", "cross-site"); st != http.StatusForbidden {
		t.Errorf("cross-site assessment: %d", st)
	}

	// Nothing pasted is stored or logged: a unique word in the draft is in
	// no table, no database file and no log line.
	const marker = "zyxwvquokkamarker"
	c.post("/en/library/assess/", url.Values{"draft": {draftEN + "\n" + marker}, "title": {marker}})
	c.post("/en/library/assess/report.md", url.Values{"draft": {draftEN + "\n" + marker}, "title": {marker}})
	if strings.Contains(as.logs.String(), marker) {
		t.Error("the draft reached the log")
	}
	var n int
	if err := as.deps.Store.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	drafts, _ := as.deps.Store.LibraryDrafts(t.Context(), 1)
	n = len(drafts)
	files, _ := filepath.Glob(filepath.Join(as.deps.Config.Data, "polis.db*"))
	for _, f := range files {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds the draft", filepath.Base(f))
		}
	}
	if n != 0 {
		t.Errorf("%d drafts stored for a visitor's checks", n)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestLibrarySavedDrafts: a signed-in expert saves a draft with their
// marks, opens it again, and deletes it; nobody else can open, overwrite
// or delete it; a forged form is refused (issue 7).
func TestLibrarySavedDrafts(t *testing.T) {
	f := newForumFixture(t)
	owner, other := f.users["expert"], f.users["expert2"]
	st, _, h := owner.send("/en/library/assess/save", url.Values{"draft": {draftEN}, "title": {"Owner's draft"}, "lang": {"en"}, "covered": {"grooming"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/en/library/assess/saved/") {
		t.Fatalf("save: %d %s", st, h.Get("Location"))
	}
	loc := h.Get("Location")
	draftID := strings.TrimPrefix(loc, "/en/library/assess/saved/")
	st, body, _ := owner.c.get(loc)
	if st != 200 || !strings.Contains(body, "Owner&#39;s draft") || !regexp.MustCompile(`value="grooming" checked`).MatchString(body) ||
		!strings.Contains(body, `name="draft_id" value="`+draftID+`"`) {
		t.Fatalf("saved draft: %d", st)
	}
	if _, body, _ := owner.c.get("/en/library/assess/"); !strings.Contains(body, loc) {
		t.Error("the saved list lacks the draft")
	}
	// Someone else: 404 to open; an update or delete of that id is 404 and
	// changes nothing.
	if st, _, _ := other.c.get(loc); st != 404 {
		t.Errorf("other expert opens the draft: %d", st)
	}
	if st, _, _ := other.send("/en/library/assess/save", url.Values{"draft": {"overwritten"}, "draft_id": {draftID}}); st != 404 {
		t.Errorf("other expert overwrites: %d", st)
	}
	if st, _, _ := other.send(loc+"/delete", nil); st != 404 {
		t.Errorf("other expert deletes: %d", st)
	}
	if _, body, _ := other.c.get("/en/library/assess/"); strings.Contains(body, loc) {
		t.Error("another expert's list shows the draft")
	}
	if st, _, h := f.as.client(t).get(loc); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/account/login") {
		t.Errorf("visitor opens a saved draft: %d", st)
	}
	// A forged form (no CSRF token) is refused.
	if st, _, _ := owner.c.post(loc+"/delete", url.Values{}); st != http.StatusForbidden {
		t.Errorf("delete without token: %d", st)
	}
	// The owner updates it, then deletes it.
	if st, _, _ := owner.send("/en/library/assess/save", url.Values{"draft": {draftEN + "\nArticle 5."}, "draft_id": {draftID}, "title": {"Renamed"}}); st != http.StatusSeeOther {
		t.Errorf("owner update: %d", st)
	}
	if _, body, _ := owner.c.get(loc); !strings.Contains(body, "Renamed") || !strings.Contains(body, "Article 5.") {
		t.Error("update not kept")
	}
	// The member's data download includes their saved drafts.
	if _, data, _ := owner.c.get("/en/account/data.json"); !strings.Contains(data, `"LibraryDrafts"`) || !strings.Contains(data, "Renamed") {
		t.Error("the data download lacks the saved draft")
	}
	if st, _, _ := owner.send(loc+"/delete", nil); st != http.StatusSeeOther {
		t.Errorf("owner delete: %d", st)
	}
	if st, _, _ := owner.c.get(loc); st != 404 {
		t.Errorf("deleted draft: %d", st)
	}
}

// TestLibraryExports: each document as JSON in the documented open-data
// format and as Markdown; the whole library's index (issue 7).
func TestLibraryExports(t *testing.T) {
	as := newAccountServer(t)
	c := as.client(t)
	schema := readSchema(t)
	for _, d := range as.library.Lib.Docs {
		st, body, h := c.get("/fr/library/" + d.ID + "/export.json")
		if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("%s json: %d", d.ID, st)
		}
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		var e library.ExportDoc
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("%s json: %v", d.ID, err)
		}
		if e.Schema != library.SchemaVersion || e.ID != d.ID || len(e.Articles) != len(d.Texts["en"].Articles) || (e.Lang == "fr") != (d.Texts["fr"] != nil) {
			t.Errorf("%s json: schema %q, %d articles, lang %s", d.ID, e.Schema, len(e.Articles), e.Lang)
		}
		checkRequired(t, d.ID, schema, body)
		for _, a := range e.Articles {
			if !strings.HasSuffix(a.URL, library.Permalink("fr", d.ID, a.Anchor)) || a.Text == "" || a.Citation == "" {
				t.Errorf("%s/%s: url, text or citation missing", d.ID, a.Anchor)
			}
		}
		st, md, _ := c.get("/en/library/" + d.ID + "/export.md")
		if st != 200 || !strings.HasPrefix(md, "# "+d.Texts["en"].Title) || !strings.Contains(md, d.Texts["en"].Citation+", "+d.Texts["en"].Articles[0].Label) {
			t.Errorf("%s markdown: %d", d.ID, st)
		}
	}
	_, body, _ := c.get("/en/library/index.json")
	var x library.ExportIndex
	if err := json.Unmarshal([]byte(body), &x); err != nil || len(x.Docs) != len(as.library.Lib.Docs) || len(x.Elements) != len(as.library.Lib.Elements) {
		t.Errorf("index.json: %v, %d docs", err, len(x.Docs))
	}
}

// readSchema reads the required fields of docs/library.schema.json: the
// document's, and each article's.
func readSchema(t *testing.T) map[string][]string {
	b, err := os.ReadFile(filepath.Join(sitetest.Root(t), "docs", "library.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Required   []string
		Properties struct {
			Articles struct {
				Items struct{ Required []string }
			}
		}
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("library.schema.json: %v", err)
	}
	return map[string][]string{"doc": s.Required, "article": s.Properties.Articles.Items.Required}
}

// checkRequired checks that an export has every field the schema requires.
func checkRequired(t *testing.T, id string, schema map[string][]string, body string) {
	var raw map[string]json.RawMessage
	json.Unmarshal([]byte(body), &raw)
	for _, k := range schema["doc"] {
		if _, ok := raw[k]; !ok {
			t.Errorf("%s: export lacks required %q", id, k)
		}
	}
	var arts []map[string]json.RawMessage
	json.Unmarshal(raw["articles"], &arts)
	for _, a := range arts {
		for _, k := range schema["article"] {
			if _, ok := a[k]; !ok {
				t.Errorf("%s: article lacks required %q", id, k)
			}
		}
	}
}
