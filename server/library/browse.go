package library

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
)

// filters are the list's query parameters, each checked against what
// exists (anything else is dropped, never echoed).
type filters struct {
	Kind, Jurisdiction, Region, Element, Lang string
	Year                                      int
}

func (h *Handler) readFilters(q url.Values) filters {
	f := filters{Kind: q.Get("kind"), Jurisdiction: q.Get("jurisdiction"), Region: q.Get("region"), Element: q.Get("element"), Lang: q.Get("lang")}
	if !slices.Contains(Kinds, f.Kind) {
		f.Kind = ""
	}
	if !slices.Contains(Regions, f.Region) {
		f.Region = ""
	}
	if h.Lib.Element(f.Element) == nil {
		f.Element = ""
	}
	if !slices.Contains(h.Lib.Langs, f.Lang) {
		f.Lang = ""
	}
	known := false
	for _, d := range h.Lib.Docs {
		known = known || d.Jurisdiction == f.Jurisdiction
	}
	if !known {
		f.Jurisdiction = ""
	}
	if y, err := strconv.Atoi(q.Get("year")); err == nil && y >= 1900 && y <= 2100 {
		f.Year = y
	}
	return f
}

// dimension names one filter, so that each facet can be counted under all
// the other filters.
type dimension int

const (
	dimNone dimension = iota
	dimKind
	dimJurisdiction
	dimRegion
	dimYear
	dimElement
	dimLang
)

// match reports whether d passes the filters, ignoring one dimension.
func (f filters) match(d *Doc, ignore dimension) bool {
	switch {
	case ignore != dimKind && f.Kind != "" && d.Kind != f.Kind,
		ignore != dimJurisdiction && f.Jurisdiction != "" && d.Jurisdiction != f.Jurisdiction,
		ignore != dimRegion && f.Region != "" && d.Region != f.Region,
		ignore != dimYear && f.Year != 0 && d.Year != f.Year,
		ignore != dimElement && f.Element != "" && len(d.CoversOf(f.Element)) == 0,
		ignore != dimLang && f.Lang != "" && d.Texts[f.Lang] == nil:
		return false
	}
	return true
}

// facet is one choice of a filter: its value, its name for the reader and
// the number of docs it would give.
type facet struct {
	Value, Name string
	Count       int
}

// List is /<lang>/library/: the docs, filtered by kind, jurisdiction,
// region, year, checklist element and language (a GET form, so it works
// without JavaScript), with counts for every choice.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	f := h.readFilters(r.URL.Query())
	count := func(dim dimension, value func(*Doc) []string) map[string]int {
		n := map[string]int{}
		for _, d := range h.Lib.Docs {
			if f.match(d, dim) {
				for _, v := range value(d) {
					n[v]++
				}
			}
		}
		return n
	}
	one := func(s string) []string { return []string{s} }
	kinds := count(dimKind, func(d *Doc) []string { return one(d.Kind) })
	juris := count(dimJurisdiction, func(d *Doc) []string { return one(d.Jurisdiction) })
	regions := count(dimRegion, func(d *Doc) []string { return one(d.Region) })
	years := count(dimYear, func(d *Doc) []string { return one(strconv.Itoa(d.Year)) })
	elems := count(dimElement, func(d *Doc) []string {
		var out []string
		for _, e := range h.Lib.Elements {
			if len(d.CoversOf(e.ID)) > 0 {
				out = append(out, e.ID)
			}
		}
		return out
	})
	langs := count(dimLang, func(d *Doc) []string { return h.Lib.DocLangs(d) })

	d := struct {
		F             filters
		Groups        []group
		Total         int
		Kinds         []facet
		Jurisdictions []facet
		Regions       []facet
		Years         []facet
		Elements      []facet
		Langs         []facet
	}{F: f}
	for _, k := range Kinds {
		d.Kinds = append(d.Kinds, facet{k, h.Catalog.T(lang, "libraryKind_"+k), kinds[k]})
	}
	for _, rg := range Regions {
		d.Regions = append(d.Regions, facet{rg, h.Catalog.T(lang, "libraryRegion_"+rg), regions[rg]})
	}
	for code, n := range juris {
		d.Jurisdictions = append(d.Jurisdictions, facet{code, h.jurisdiction(lang, code), n})
	}
	sort.Slice(d.Jurisdictions, func(i, j int) bool { return d.Jurisdictions[i].Name < d.Jurisdictions[j].Name })
	for y, n := range years {
		d.Years = append(d.Years, facet{y, y, n})
	}
	sort.Slice(d.Years, func(i, j int) bool { return d.Years[i].Value > d.Years[j].Value })
	for _, e := range h.Lib.Elements {
		d.Elements = append(d.Elements, facet{e.ID, h.element(e, lang).Name, elems[e.ID]})
	}
	for _, l := range h.Lib.Langs {
		d.Langs = append(d.Langs, facet{l, langName(l), langs[l]})
	}
	for _, doc := range h.Lib.Docs {
		if !f.match(doc, dimNone) {
			continue
		}
		d.Total++
		if n := len(d.Groups); n == 0 || d.Groups[n-1].Kind != doc.Kind {
			d.Groups = append(d.Groups, group{Kind: doc.Kind})
		}
		g := &d.Groups[len(d.Groups)-1]
		g.Docs = append(g.Docs, h.view(doc, lang))
	}
	h.Gate.Render(w, r, http.StatusOK, "library", h.page(r, lang, h.Catalog.T(lang, "libraryTitle"), d, true))
}

// group is the docs of one kind.
type group struct {
	Kind string
	Docs []docView
}
