// Package searchpage serves search: the page /<lang>/search (a GET form,
// so it works without JavaScript), its help, and the JSON API
// /api/search with suggestions at /api/search/suggest. Every request
// searches with the viewer's audiences (indexer.Audiences), so what a
// viewer may not read is never found, counted or suggested.
package searchpage

import (
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/indexer"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/metrics"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
)

// Handler serves search.
type Handler struct {
	Gate     *account.Handler
	Index    *search.Index
	Glossary *glossary.Glossary
	Catalog  *locale.Catalog
	Site     *site.Site
	Log      *slog.Logger
	Metrics  *metrics.Registry // nil: latencies not recorded
}

// observe records a search's latency.
func (h *Handler) observe(kind string, d time.Duration) {
	if h.Metrics != nil {
		h.Metrics.Observe("polis_search_duration_seconds", "Search latency (the index's part), by page or API.", metrics.Labels("via", kind), d)
	}
}

// pageSize is the hits on a page; maxPage bounds how deep a reader pages.
const (
	pageSize = 10
	maxPage  = 50
	maxQuery = 500
)

// viewer returns the signed-in member who may enter, or nil.
func viewer(r *http.Request) *store.User {
	if c := session.FromContext(r.Context()); c.Complete() && c.User.CanEnter() {
		return c.User
	}
	return nil
}

// request reads the query parameters into a search request for viewer.
func (h *Handler) request(r *http.Request, lang string) (search.Request, string, int) {
	v := r.URL.Query()
	q := strings.TrimSpace(v.Get("q"))
	if len(q) > maxQuery*4 {
		q = q[:maxQuery*4]
	}
	page, _ := strconv.Atoi(v.Get("page"))
	page = min(max(page, 1), maxPage)
	req := search.Request{Query: search.Parse(q), Audiences: indexer.Audiences(viewer(r)), ByDate: v.Get("sort") == "date",
		From: (page - 1) * pageSize, Size: pageSize, Facets: true, Snippets: true, Spell: true, Glossary: h.Glossary}
	if v.Get("mine") == "1" {
		req.Lang = lang
	}
	return req, q, page
}

// hitView is a hit as the page and the API show it.
type hitView struct {
	ID       string        `json:"id"`
	Type     string        `json:"type"`
	Language string        `json:"language"`
	Title    string        `json:"title"`
	URL      string        `json:"url"`
	Snippet  template.HTML `json:"snippet"`
	Summary  string        `json:"summary,omitempty"`
	Score    float64       `json:"score"`
	Date     string        `json:"date,omitempty"`
	LangName string        `json:"-"`
}

func hitsView(res *search.Result, lang string) []hitView {
	out := make([]hitView, 0, len(res.Hits))
	for _, hit := range res.Hits {
		u := hit.URL
		if !strings.HasPrefix(u, "/") {
			u = "/" + lang + "/" + u // language-neutral addresses (the forum)
		}
		v := hitView{ID: hit.ID, Type: hit.Type, Language: hit.Lang, Title: hit.Title, URL: u, Snippet: hit.Snippet,
			Summary: hit.Summary, Score: hit.Score, LangName: langName(hit.Lang)}
		if !hit.Date.IsZero() {
			v.Date = hit.Date.UTC().Format("2006-01-02")
		}
		out = append(out, v)
	}
	return out
}

func langName(code string) string {
	if n := display.Self.Name(language.Make(code)); n != "" && code != "" {
		return n
	}
	return code
}

// facetView is a facet's value as a link that narrows the query.
type facetView struct {
	Field, Value, Name string
	Count              int
	URL                string
	Active             bool
}

// filterField is the query syntax's name for each facet.
var filterField = map[string]string{"type": "type", "lang": "lang", "topics": "topic", "jurisdiction": "country", "year": "year"}

func (h *Handler) facets(res *search.Result, lang, q string, extra url.Values) map[string][]facetView {
	out := map[string][]facetView{}
	for field, vs := range res.Facets {
		name := filterField[field]
		for _, v := range vs {
			term := name + ":" + strings.ToLower(v.Value)
			active := slices.Contains(strings.Fields(strings.ToLower(q)), term)
			nq := q + " " + term
			if active {
				nq = strings.Join(slices.DeleteFunc(strings.Fields(q), func(s string) bool { return strings.EqualFold(s, term) }), " ")
			}
			out[field] = append(out[field], facetView{Field: field, Value: v.Value, Name: h.valueName(lang, field, v.Value), Count: v.Count,
				URL: searchURL(lang, strings.TrimSpace(nq), extra), Active: active})
		}
	}
	return out
}

// valueName names a facet value in the reader's language.
func (h *Handler) valueName(lang, field, v string) string {
	switch field {
	case "type":
		return h.Catalog.T(lang, "searchType_"+v)
	case "lang":
		return langName(v)
	case "topics":
		return h.Catalog.T(lang, "topic_"+v)
	case "jurisdiction":
		if len(v) == 2 {
			return account.CountryName(lang, v)
		}
		return h.Catalog.T(lang, "libraryJurisdiction_"+v)
	}
	return v
}

// searchURL is the page for a query, keeping the other settings.
func searchURL(lang, q string, extra url.Values) string {
	v := url.Values{}
	for k, vs := range extra {
		v[k] = vs
	}
	v.Set("q", q)
	return "/" + lang + "/search?" + v.Encode()
}

// pageData is the search page.
type pageData struct {
	Q          string
	Searched   bool
	Total      int
	Hits       []hitView
	Facets     map[string][]facetView
	FacetOrder []string
	DidYouMean string
	DYMURL     string
	Expanded   []string
	Mine       bool
	ByDate     bool
	Page       int
	Prev, Next string
	Took       string
	Member     bool
}

// Page is /<lang>/search.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	req, q, page := h.request(r, lang)
	extra := url.Values{}
	if r.URL.Query().Get("mine") == "1" {
		extra.Set("mine", "1")
	}
	if req.ByDate {
		extra.Set("sort", "date")
	}
	d := pageData{Q: q, Mine: extra.Get("mine") == "1", ByDate: req.ByDate, Page: page, Member: viewer(r) != nil,
		FacetOrder: []string{"type", "lang", "topics", "jurisdiction", "year"}}
	if q != "" {
		res, err := h.Index.Search(r.Context(), req)
		if err != nil {
			h.Gate.Fail(w, r, lang, err)
			return
		}
		h.observe("page", res.Took)
		d.Searched, d.Total, d.Hits = true, int(res.Total), hitsView(res, lang)
		d.Facets = h.facets(res, lang, q, extra)
		d.Took = strconv.FormatFloat(float64(res.Took.Microseconds())/1000, 'f', 1, 64)
		for _, c := range res.Expanded {
			if con := h.Glossary.Concept(c); con != nil {
				d.Expanded = append(d.Expanded, con.Terms[lang])
			}
		}
		if res.DidYouMean != "" {
			d.DidYouMean, d.DYMURL = res.DidYouMean, searchURL(lang, res.DidYouMean, extra)
		}
		pageURL := func(n int) string {
			v := url.Values{}
			for k, vs := range extra {
				v[k] = vs
			}
			v.Set("q", q)
			v.Set("page", strconv.Itoa(n))
			return "/" + lang + "/search?" + v.Encode()
		}
		if page > 1 {
			d.Prev = pageURL(page - 1)
		}
		if uint64(page*pageSize) < res.Total && page < maxPage {
			d.Next = pageURL(page + 1)
		}
	}
	title := h.Catalog.T(lang, "searchTitle")
	if q != "" {
		title = q + " · " + title
	}
	p := h.Gate.PageTitled(r, lang, title, "", d)
	w.Header().Set("Cache-Control", "private, no-cache")
	h.Gate.Render(w, r, http.StatusOK, "search", p)
}

// Help is /<lang>/search/help: the query syntax.
func (h *Handler) Help(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	p := h.Gate.Page(r, lang, "searchHelpTitle", "", nil)
	p = h.Gate.Indexable(p, lang, "search/help")
	h.Gate.Render(w, r, http.StatusOK, "search_help", p)
}

// apiResult is /api/search's answer.
type apiResult struct {
	Query      string                `json:"query"`
	Total      uint64                `json:"total"`
	Page       int                   `json:"page"`
	Hits       []hitView             `json:"hits"`
	Facets     map[string][]apiFacet `json:"facets"`
	DidYouMean string                `json:"didYouMean,omitempty"`
	Expanded   []string              `json:"expanded,omitempty"`
	TookMS     float64               `json:"tookMs"`
}

type apiFacet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// API is /api/search?q=…&lang=…: the same search as the page, as JSON;
// lang is the reader's language (for addresses and "mine=1").
func (h *Handler) API(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if !h.Site.Has(lang) {
		lang = h.Site.Default
	}
	req, q, page := h.request(r, lang)
	out := apiResult{Query: q, Page: page, Hits: []hitView{}, Facets: map[string][]apiFacet{}}
	if q != "" {
		res, err := h.Index.Search(r.Context(), req)
		if err != nil {
			h.apiFail(w, "search", err)
			return
		}
		h.observe("api", res.Took)
		out.Total, out.Hits, out.DidYouMean, out.Expanded = res.Total, hitsView(res, lang), res.DidYouMean, res.Expanded
		out.TookMS = float64(res.Took.Microseconds()) / 1000
		for f, vs := range res.Facets {
			for _, v := range vs {
				out.Facets[f] = append(out.Facets[f], apiFacet{v.Value, v.Count})
			}
		}
	}
	writeJSON(w, out)
}

// Suggest is /api/search/suggest?q=…: titles that complete what the
// reader types, among what they may read (progressive enhancement of the
// search box).
func (h *Handler) Suggest(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := v.Get("q")
	if len(q) > 200 {
		q = q[:200]
	}
	lang := ""
	if v.Get("mine") == "1" && h.Site.Has(v.Get("lang")) {
		lang = v.Get("lang")
	}
	s, err := h.Index.Suggest(r.Context(), q, indexer.Audiences(viewer(r)), lang)
	if err != nil {
		h.apiFail(w, "suggest", err)
		return
	}
	if s == nil {
		s = []string{}
	}
	writeJSON(w, map[string]any{"query": q, "suggestions": s})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "private, max-age=0")
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// apiFail answers a failed API call in JSON: 503 with Retry-After when the
// database cannot be reached (it passes), else 500 with the cause logged.
func (h *Handler) apiFail(w http.ResponseWriter, what string, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if store.Unavailable(err) {
		h.Log.Warn("search api: database unavailable", "call", what, "err", err)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"error":"%s unavailable, try again shortly"}`+"\n", what)
		return
	}
	h.Log.Error("search api failed", "call", what, "err", err)
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `{"error":"%s failed"}`+"\n", what)
}
