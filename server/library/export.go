package library

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// SchemaVersion names the open-data format of the JSON exports
// (docs/library-data.md, docs/library.schema.json). It changes when a
// field changes meaning or goes away; adding a field does not change it.
const SchemaVersion = "polis-library/1"

// ExportDoc is a doc in one language, as /<lang>/library/<id>/export.json
// gives it.
type ExportDoc struct {
	Schema         string          `json:"schema"`
	ID             string          `json:"id"`
	URL            string          `json:"url"`
	Lang           string          `json:"lang"`
	Translated     bool            `json:"translated"`
	Languages      []string        `json:"languages"`
	Kind           string          `json:"kind"`
	Jurisdiction   string          `json:"jurisdiction"`
	Region         string          `json:"region"`
	Instrument     string          `json:"instrument"`
	Year           int             `json:"year"`
	Adopted        string          `json:"adopted,omitempty"`
	Status         string          `json:"status"`
	EntryIntoForce string          `json:"entryIntoForce,omitempty"`
	Title          string          `json:"title"`
	Short          string          `json:"short"`
	Summary        string          `json:"summary"`
	Citation       string          `json:"citation"`
	Overview       string          `json:"overview"`
	Official       []Official      `json:"official"`
	Parts          []ExportPart    `json:"parts"`
	Articles       []ExportArticle `json:"articles"`
	Covers         []Cover         `json:"covers"`
}

// ExportPart is a part heading.
type ExportPart struct {
	Anchor string `json:"anchor"`
	Label  string `json:"label"`
	Title  string `json:"title"`
}

// ExportArticle is an article.
type ExportArticle struct {
	Anchor     string   `json:"anchor"`
	Label      string   `json:"label"`
	Title      string   `json:"title"`
	Part       string   `json:"part,omitempty"`
	URL        string   `json:"url"`
	Citation   string   `json:"citation"`
	Text       string   `json:"text"`
	Commentary string   `json:"commentary,omitempty"`
	Elements   []string `json:"elements"`
}

// ExportIndex is /<lang>/library/index.json: the checklist and every doc's
// metadata, without the articles.
type ExportIndex struct {
	Schema   string          `json:"schema"`
	Lang     string          `json:"lang"`
	Elements []ExportElement `json:"elements"`
	Docs     []ExportDoc     `json:"docs"`
}

// ExportElement is a checklist element in one language.
type ExportElement struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

func (h *Handler) export(d *Doc, lang string, articles bool) ExportDoc {
	base := strings.TrimSuffix(h.Site.BaseURL, "/")
	t, ok := d.Text(lang, h.Lib.Default)
	e := ExportDoc{Schema: SchemaVersion, ID: d.ID, URL: base + "/" + lang + "/library/" + d.ID + "/", Lang: t.Lang, Translated: ok,
		Languages: h.Lib.DocLangs(d), Kind: d.Kind, Jurisdiction: d.Jurisdiction, Region: d.Region, Instrument: d.Instrument,
		Year: d.Year, Adopted: d.Adopted, Status: d.Status, EntryIntoForce: d.EntryIntoForce, Title: t.Title, Short: t.Short,
		Summary: t.Summary, Citation: t.Citation, Official: d.Official, Covers: d.Covers}
	if e.Official == nil {
		e.Official = []Official{}
	}
	if e.Covers == nil {
		e.Covers = []Cover{}
	}
	if !articles {
		return e
	}
	e.Overview = t.overviewMD
	e.Parts, e.Articles = []ExportPart{}, []ExportArticle{}
	for _, p := range t.Parts {
		e.Parts = append(e.Parts, ExportPart{p.Anchor, p.Label, p.Title})
	}
	for _, a := range t.Articles {
		ea := ExportArticle{Anchor: a.Anchor, Label: a.Label, Title: a.Title, URL: base + Permalink(lang, d.ID, a.Anchor),
			Citation: t.Citation + ", " + a.Label, Text: a.Markdown, Commentary: a.CommentMD, Elements: []string{}}
		if a.Part != nil {
			ea.Part = a.Part.Anchor
		}
		for _, el := range h.Lib.ElementsOf(d, a.Anchor) {
			ea.Elements = append(ea.Elements, el.ID)
		}
		e.Articles = append(e.Articles, ea)
	}
	return e
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*") // open data, public only
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// ExportJSON is a doc in the reader's language as JSON.
func (h *Handler) ExportJSON(w http.ResponseWriter, r *http.Request) {
	lang, d, ok := h.doc(w, r)
	if !ok {
		return
	}
	writeJSON(w, h.export(d, lang, true))
}

// Index is the whole library's metadata and the checklist as JSON.
func (h *Handler) Index(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	x := ExportIndex{Schema: SchemaVersion, Lang: lang, Docs: []ExportDoc{}}
	for _, e := range h.elements(lang) {
		x.Elements = append(x.Elements, ExportElement{e.ID, e.Name, e.Definition})
	}
	for _, d := range h.Lib.Docs {
		x.Docs = append(x.Docs, h.export(d, lang, false))
	}
	writeJSON(w, x)
}

// ExportMarkdown is a doc in the reader's language as one Markdown file:
// metadata, the articles with their citations, the checklist coverage.
func (h *Handler) ExportMarkdown(w http.ResponseWriter, r *http.Request) {
	lang, d, ok := h.doc(w, r)
	if !ok {
		return
	}
	T := func(key string) string { return h.Catalog.T(lang, key) }
	e := h.export(d, lang, true)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", e.Title)
	fmt.Fprintf(&b, "- %s: %s\n", T("libraryKind"), T("libraryKind_"+e.Kind))
	fmt.Fprintf(&b, "- %s: %s\n", T("libraryJurisdiction"), h.jurisdiction(lang, e.Jurisdiction))
	if e.Instrument != "" {
		fmt.Fprintf(&b, "- %s: %s\n", T("libraryInstrument"), e.Instrument)
	}
	fmt.Fprintf(&b, "- %s: %d\n", T("libraryYear"), e.Year)
	fmt.Fprintf(&b, "- %s: %s\n", T("libraryStatus"), T("libraryStatus_"+e.Status))
	if e.EntryIntoForce != "" {
		fmt.Fprintf(&b, "- %s: %s\n", T("libraryEntryIntoForce"), e.EntryIntoForce)
	}
	fmt.Fprintf(&b, "- %s: %s\n", T("libraryCitation"), e.Citation)
	for _, o := range e.Official {
		fmt.Fprintf(&b, "- %s (%s): %s\n", T("libraryOfficialText"), langName(o.Lang), o.URL)
	}
	fmt.Fprintf(&b, "- Polis: %s\n\n", e.URL)
	if !e.Translated {
		fmt.Fprintf(&b, "> %s\n\n", T("libraryNotTranslated"))
	}
	if d.Kind == "model-provision" {
		fmt.Fprintf(&b, "> %s\n\n", T("libraryDraftingAid"))
	} else {
		fmt.Fprintf(&b, "> %s\n\n", T("librarySummaryNote"))
	}
	fmt.Fprintf(&b, "%s\n\n", e.Summary)
	if e.Overview != "" {
		fmt.Fprintf(&b, "%s\n\n", e.Overview)
	}
	part := ""
	for _, a := range e.Articles {
		if a.Part != "" && a.Part != part {
			part = a.Part
			for _, p := range e.Parts {
				if p.Anchor == part {
					fmt.Fprintf(&b, "## %s\n\n", (&Part{Label: p.Label, Title: p.Title}).Heading())
				}
			}
		}
		fmt.Fprintf(&b, "### %s — %s\n\n%s\n\n", a.Label, a.Title, a.Text)
		if a.Commentary != "" {
			fmt.Fprintf(&b, "#### %s\n\n%s\n\n", T("libraryCommentary"), a.Commentary)
		}
		fmt.Fprintf(&b, "*%s* — %s\n\n", a.Citation, a.URL)
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+d.ID+"-"+e.Lang+`.md"`)
	w.Write([]byte(b.String()))
}
