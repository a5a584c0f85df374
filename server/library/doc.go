package library

import (
	"html/template"
	"net/http"
	"slices"

	"github.com/polis-portal/polis/server/web"
)

// articleView is an article as a page shows it.
type articleView struct {
	*Article
	URL       string // its permalink
	Checklist string // the checklist page, where the element chips point
	Citation  string // to copy
	Elements  []elementView
	Related   []relatedView
	NRelated  int
	Cover     []coverView // per element: the paragraphs this article covers
}

// relatedView is the provisions of other docs on one element.
type relatedView struct {
	Element elementView
	Refs    []refView
}

// coverView is one element an article addresses, with the paragraph.
type coverView struct {
	Element  elementView
	Label    string // "Article 20(1)(e)"
	Optional bool
	Source   string
}

func (h *Handler) article(d *Doc, t *Text, a *Article, lang string, related bool) articleView {
	v := articleView{Article: a, URL: Permalink(lang, d.ID, a.Anchor), Checklist: "/" + lang + "/library/checklist/",
		Citation: t.Citation + ", " + a.Label}
	for _, e := range h.Lib.ElementsOf(d, a.Anchor) {
		v.Elements = append(v.Elements, h.element(e, lang))
	}
	for _, c := range d.Covers {
		if c.Article == a.Anchor {
			v.Cover = append(v.Cover, coverView{Element: h.element(h.Lib.Element(c.Element), lang), Label: Label(a.Label, c.Paragraph),
				Optional: c.Optional, Source: c.Source})
		}
	}
	if related {
		for _, g := range h.Lib.Related(d, a.Anchor) {
			v.Related = append(v.Related, relatedView{Element: h.element(g.Element, lang), Refs: h.refs(g.Refs, lang)})
			v.NRelated += len(g.Refs)
		}
	}
	return v
}

// partView is a part with its articles, or the articles of a doc that has
// no parts (Label empty).
type partView struct {
	Anchor, Heading string
	Articles        []articleView
}

// docPage is the data of an instrument's page.
type docPage struct {
	Doc      docView
	Parts    []partView
	Versions []web.Alternate
	Official []officialView
	Coverage []coverageRow // every checklist element: the provisions, or none
}

type officialView struct {
	Official
	LangName string
}

// coverageRow is one checklist element and the doc's provisions for it.
type coverageRow struct {
	Element elementView
	Refs    []refView
}

// Doc is an instrument's page: metadata, official texts, language
// versions, the checklist coverage, contents, overview and every article
// with its permalink, citation and related provisions in other docs.
func (h *Handler) Doc(w http.ResponseWriter, r *http.Request) {
	lang, d, ok := h.doc(w, r)
	if !ok {
		return
	}
	v := h.view(d, lang)
	p := docPage{Doc: v, Versions: h.versions(d, lang, "")}
	for _, o := range d.Official {
		p.Official = append(p.Official, officialView{o, langName(o.Lang)})
	}
	p.Parts = h.parts(d, v.T, lang, true)
	for _, e := range h.Lib.Elements {
		var refs []Ref
		for _, c := range d.CoversOf(e.ID) {
			refs = append(refs, Ref{d, c})
		}
		p.Coverage = append(p.Coverage, coverageRow{Element: h.element(e, lang), Refs: h.refs(refs, lang)})
	}
	h.Gate.Render(w, r, http.StatusOK, "library_doc", h.page(r, lang, v.T.Title, p, true))
}

// parts groups a text's articles under their parts.
func (h *Handler) parts(d *Doc, t *Text, lang string, related bool) []partView {
	var out []partView
	for _, a := range t.Articles {
		if len(out) == 0 || (a.Part != nil && out[len(out)-1].Anchor != a.Part.Anchor) {
			pv := partView{}
			if a.Part != nil {
				pv = partView{Anchor: a.Part.Anchor, Heading: a.Part.Heading()}
			}
			out = append(out, pv)
		}
		out[len(out)-1].Articles = append(out[len(out)-1].Articles, h.article(d, t, a, lang, related))
	}
	return out
}

// doc reads the {lang} and {id} segments; an unknown doc is a 404.
func (h *Handler) doc(w http.ResponseWriter, r *http.Request) (string, *Doc, bool) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return "", nil, false
	}
	d := h.Lib.Doc(r.PathValue("id"))
	if d == nil {
		h.Gate.NotFound(w, r, lang)
		return "", nil, false
	}
	return lang, d, true
}

// articlePage is the data of an article's permalink page.
type articlePage struct {
	Doc        docView
	Article    articleView
	Versions   []web.Alternate
	Prev, Next *Article
}

// Article is an article's permalink, /<lang>/library/<id>/<anchor>: the
// provision alone, its citation, the checklist elements it addresses, the
// related provisions of other docs, and its other language versions.
func (h *Handler) Article(w http.ResponseWriter, r *http.Request) {
	lang, d, ok := h.doc(w, r)
	if !ok {
		return
	}
	v := h.view(d, lang)
	a := v.T.Article(r.PathValue("anchor"))
	if a == nil {
		h.Gate.NotFound(w, r, lang)
		return
	}
	p := articlePage{Doc: v, Article: h.article(d, v.T, a, lang, true), Versions: h.versions(d, lang, a.Anchor)}
	i := slices.Index(v.T.Articles, a)
	if i > 0 {
		p.Prev = v.T.Articles[i-1]
	}
	if i+1 < len(v.T.Articles) {
		p.Next = v.T.Articles[i+1]
	}
	h.Gate.Render(w, r, http.StatusOK, "library_article", h.page(r, lang, a.Label+" — "+a.Title+" · "+v.T.Short, p, true))
}

// Slash sends /<lang>/library/<id> to the doc's page.
func (h *Handler) Slash(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
}

// row is one article of a side-by-side view: the same anchor in each
// language.
type row struct {
	Anchor string
	Part   string // set on the first article of a part: the part's heading
	Cells  [2]cell
}

type cell struct {
	Lang    string
	Heading string
	Body    template.HTML
	Comment template.HTML
	Missing bool
}

// Languages is /<lang>/library/<id>/languages?a=en&b=fr: two language
// versions of a doc, article next to article.
func (h *Handler) Languages(w http.ResponseWriter, r *http.Request) {
	lang, d, ok := h.doc(w, r)
	if !ok {
		return
	}
	langs := h.Lib.DocLangs(d)
	q := r.URL.Query()
	a, b := q.Get("a"), q.Get("b")
	if !slices.Contains(langs, a) {
		a = h.Lib.Default
	}
	if !slices.Contains(langs, b) || b == a {
		b = ""
		// The reader's language if the doc has it, else the next there is.
		if lang != a && slices.Contains(langs, lang) {
			b = lang
		}
		for _, l := range langs {
			if b == "" && l != a {
				b = l
			}
		}
	}
	data := struct {
		Doc   docView
		A, B  string
		Langs []facet
		Rows  []row
		Names [2]string
	}{Doc: h.view(d, lang), A: a, B: b}
	for _, l := range langs {
		data.Langs = append(data.Langs, facet{Value: l, Name: langName(l)})
	}
	if b != "" {
		ta, tb := d.Texts[a], d.Texts[b]
		data.Names = [2]string{langName(a), langName(b)}
		var part *Part
		for _, art := range ta.Articles {
			rw := row{Anchor: art.Anchor}
			if art.Part != nil && art.Part != part {
				part = art.Part
				rw.Part = part.Heading()
			}
			for i, t := range []*Text{ta, tb} {
				x := t.Article(art.Anchor)
				if x == nil {
					rw.Cells[i] = cell{Lang: t.Lang, Missing: true}
					continue
				}
				rw.Cells[i] = cell{Lang: t.Lang, Heading: x.Label + " — " + x.Title, Body: x.Body, Comment: x.Commentary}
			}
			data.Rows = append(data.Rows, rw)
		}
	}
	title := h.Catalog.T(lang, "libraryLanguagesTitle") + ": " + data.Doc.T.Short
	h.Gate.Render(w, r, http.StatusOK, "library_languages", h.page(r, lang, title, data, false))
}
