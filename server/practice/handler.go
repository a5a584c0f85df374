package practice

import (
	"context"
	"encoding/xml"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/web"
)

// Handler serves the knowledge base.
type Handler struct {
	Gate    *account.Handler
	Store   *store.Store
	Catalog *locale.Catalog
	Site    *site.Site
	Log     *slog.Logger
	Now     func() time.Time

	Contacts []ContactPoint // the experts' table of national contact points

	bodies sync.Map // "slug\x00lang\x00updated" → rendered body

	relMu   sync.Mutex
	related map[string]relatedList // audiences → the items "related" is chosen from
}

// relatedList is the brief list of every item an audience may read, kept
// for relatedTTL: an item page picks its related items from it, and
// loading it for each page view was a sixth of the server's time under
// load. An edit shows in the related lists within relatedTTL.
type relatedList struct {
	at    time.Time
	items []*store.Practice
}

const relatedTTL = 2 * time.Second

func (h *Handler) relatedFrom(ctx context.Context, aud []string) ([]*store.Practice, error) {
	key := strings.Join(aud, ",")
	now := time.Now()
	h.relMu.Lock()
	l, ok := h.related[key]
	h.relMu.Unlock()
	if ok && now.Sub(l.at) < relatedTTL {
		return l.items, nil
	}
	items, err := h.Store.Practices(ctx, store.PracticeFilter{Audiences: aud, Brief: true})
	if err != nil {
		return nil, err
	}
	h.relMu.Lock()
	if h.related == nil {
		h.related = map[string]relatedList{}
	}
	h.related[key] = relatedList{at: now, items: items}
	h.relMu.Unlock()
	return items, nil
}

// audiences is what the viewer may read: experts (and staff) read both.
func audiences(r *http.Request) []string {
	if c := session.FromContext(r.Context()); c.Complete() && c.User.CanEnter() {
		return []string{"public", "experts"}
	}
	return []string{"public"}
}

func isExpert(r *http.Request) bool { return len(audiences(r)) == 2 }

// itemView is an item in the reader's language (or the nearest there is).
type itemView struct {
	*store.Practice
	store.PracticeText
	TextLang   string // the language of the text shown
	Translated bool   // the text is in the reader's language
	URL        string
}

// text picks the item's text in lang, else in the default language.
func (h *Handler) view(p *store.Practice, lang string) itemView {
	v := itemView{Practice: p, URL: "/" + lang + "/practices/" + p.Slug + "/"}
	if t, ok := p.Texts[lang]; ok {
		v.PracticeText, v.TextLang, v.Translated = t, lang, true
		return v
	}
	for _, l := range append([]string{h.Site.Default}, h.Site.Codes()...) {
		if t, ok := p.Texts[l]; ok {
			v.PracticeText, v.TextLang = t, l
			break
		}
	}
	return v
}

// filters are the list's query parameters, checked against the
// vocabularies (anything else is ignored, never echoed).
type filters struct {
	Kind, Topic, Audience, Lang, Sort string
	Year                              int
}

func readFilters(r *http.Request, expert bool) filters {
	q := r.URL.Query()
	f := filters{Kind: q.Get("kind"), Topic: q.Get("topic"), Audience: q.Get("audience"), Lang: q.Get("lang"), Sort: q.Get("sort")}
	if !slices.Contains(Kinds, f.Kind) && f.Kind != "documents" {
		f.Kind = ""
	}
	if !slices.Contains(Topics, f.Topic) {
		f.Topic = ""
	}
	if !expert || (f.Audience != "public" && f.Audience != "experts") {
		f.Audience = ""
	}
	if !langPattern.MatchString(f.Lang) {
		f.Lang = ""
	}
	if f.Sort != "title" {
		f.Sort = ""
	}
	if y, err := strconv.Atoi(q.Get("year")); err == nil && y > 1980 && y < 2100 {
		f.Year = y
	}
	return f
}

// facet is one choice of a filter with the number of items it gives.
type facet struct {
	Value string
	Count int
}

// List is /<lang>/practices/: the items the viewer may read, filtered by
// kind, topic, audience (experts), source language and year, without
// JavaScript (a GET form), with counts per kind and topic.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	expert := isExpert(r)
	f := readFilters(r, expert)
	aud := audiences(r)
	if f.Audience != "" {
		aud = []string{f.Audience}
	}
	pf := store.PracticeFilter{Audiences: aud, Topic: f.Topic, Lang: f.Lang, Year: f.Year, Brief: true}
	switch f.Kind {
	case "":
	case "documents":
		pf.Kinds = DocKinds
	default:
		pf.Kinds = []string{f.Kind}
	}
	items, err := h.Store.Practices(r.Context(), pf)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	// The facets count within what the viewer may read, under the other
	// filters; they never count what the viewer cannot see.
	all, err := h.Store.Practices(r.Context(), store.PracticeFilter{Audiences: aud, Lang: f.Lang, Year: f.Year, Brief: true})
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	kinds, topics, years, langs := map[string]int{}, map[string]int{}, map[int]int{}, map[string]int{}
	for _, p := range all {
		kinds[p.Kind]++
		for _, t := range p.Topics {
			topics[t]++
		}
		years[p.Source.Year]++
		for _, l := range p.SourceLangs {
			langs[l]++
		}
	}
	views := make([]itemView, 0, len(items))
	for _, p := range items {
		views = append(views, h.view(p, lang))
	}
	if f.Sort == "title" {
		// Titles sort as the reader's language sorts them.
		col := collate.New(language.Make(lang), collate.IgnoreCase)
		sort.SliceStable(views, func(i, j int) bool { return col.CompareString(views[i].Title, views[j].Title) < 0 })
	}
	d := struct {
		Items       []itemView
		F           filters
		Expert      bool
		Kinds       []facet
		Topics      []facet
		Years       []int
		SourceLangs []facet
	}{Items: views, F: f, Expert: expert}
	for _, k := range Kinds {
		d.Kinds = append(d.Kinds, facet{k, kinds[k]})
	}
	for _, t := range Topics {
		d.Topics = append(d.Topics, facet{t, topics[t]})
	}
	for y := range years {
		d.Years = append(d.Years, y)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(d.Years)))
	for l, n := range langs {
		d.SourceLangs = append(d.SourceLangs, facet{l, n})
	}
	sort.Slice(d.SourceLangs, func(i, j int) bool { return d.SourceLangs[i].Value < d.SourceLangs[j].Value })
	p := h.Gate.Page(r, lang, "practicesTitle", "menuPractices", d)
	if !expert && r.URL.RawQuery == "" {
		p = h.Gate.Indexable(p, lang, "practices/")
	}
	h.Gate.Render(w, r, http.StatusOK, "practices", p)
}

// Item is one entry's page: metadata, text, source, related items and
// the languages it is written in. What the viewer may not read is 404.
func (h *Handler) Item(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	aud := audiences(r)
	p, err := h.Store.PracticeBySlug(ctx, r.PathValue("slug"), aud)
	if err == store.ErrNotFound {
		h.Gate.NotFound(w, r, lang)
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	v := h.view(p, lang)
	// Related: the items sharing most topics, that the viewer may read.
	others, err := h.relatedFrom(ctx, aud)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	type scored struct {
		itemView
		n int
	}
	var rel []scored
	for _, o := range others {
		if o.ID == p.ID {
			continue
		}
		n := 0
		for _, t := range o.Topics {
			if slices.Contains(p.Topics, t) {
				n++
			}
		}
		if n > 0 {
			rel = append(rel, scored{h.view(o, lang), n})
		}
	}
	sort.SliceStable(rel, func(i, j int) bool { return rel[i].n > rel[j].n })
	var related []itemView
	for i := 0; i < len(rel) && i < 5; i++ {
		related = append(related, rel[i].itemView)
	}
	var versions []web.Alternate
	for _, l := range h.Site.Languages {
		if _, ok := p.Texts[l.Code]; ok && l.Code != lang {
			versions = append(versions, web.Alternate{Lang: l.Code, Name: l.Name, URL: "/" + l.Code + "/practices/" + p.Slug + "/"})
		}
	}
	var training []itemView
	if p.Tool != nil {
		for _, slug := range p.Tool.Training {
			if t, err := h.Store.PracticeBySlug(ctx, slug, aud); err == nil {
				training = append(training, h.view(t, lang))
			}
		}
	}
	page := h.Gate.PageTitled(r, lang, v.Title, "menuPractices", struct {
		Item     itemView
		Body     template.HTML
		Related  []itemView
		Versions []web.Alternate
		Training []itemView
		Expert   bool
		Staff    bool
	}{v, h.body(p, v), related, versions, training, isExpert(r), isStaff(r)})
	if p.Audience == "public" && !isExpert(r) {
		page = h.Gate.Indexable(page, lang, "practices/"+p.Slug+"/")
	}
	h.Gate.Render(w, r, http.StatusOK, "practice", page)
}

func isStaff(r *http.Request) bool {
	c := session.FromContext(r.Context())
	return c.Complete() && c.User.CanEnter() && c.User.IsStaff()
}

// body renders an item's Markdown once per version and language.
func (h *Handler) body(p *store.Practice, v itemView) template.HTML {
	key := p.Slug + "\x00" + v.TextLang + "\x00" + strconv.FormatInt(p.UpdatedAt, 10)
	if b, ok := h.bodies.Load(key); ok {
		return b.(template.HTML)
	}
	html, err := markdown.Render([]byte(v.Body), markdown.Options{IDPrefix: "doc-"})
	if err != nil {
		h.Log.Error("practice: render", "slug", p.Slug, "err", err)
		return ""
	}
	h.bodies.Store(key, html)
	return html
}

// Feed is the RSS feed of the public items in a language, newest entry
// first. Feeds are read by programs without a session, so they only ever
// carry public items.
func (h *Handler) Feed(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	items, err := h.Store.Practices(r.Context(), store.PracticeFilter{Audiences: []string{"public"}, Brief: true})
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Date > items[j].Date })
	base := strings.TrimSuffix(h.Site.BaseURL, "/")
	type rssItem struct {
		Title       string `xml:"title"`
		Link        string `xml:"link"`
		GUID        string `xml:"guid"`
		PubDate     string `xml:"pubDate"`
		Description string `xml:"description"`
	}
	type channel struct {
		Title       string    `xml:"title"`
		Link        string    `xml:"link"`
		Description string    `xml:"description"`
		Language    string    `xml:"language"`
		Items       []rssItem `xml:"item"`
	}
	ch := channel{Title: h.Catalog.T(lang, "practicesTitle") + " · Polis", Link: base + "/" + lang + "/practices/",
		Description: h.Catalog.T(lang, "practicesIntro"), Language: lang}
	for _, p := range items {
		v := h.view(p, lang)
		d, _ := time.Parse("2006-01-02", p.Date)
		ch.Items = append(ch.Items, rssItem{Title: v.Title, Link: base + v.URL, GUID: base + "/" + lang + "/practices/" + p.Slug + "/",
			PubDate: d.Format(time.RFC1123Z), Description: v.Summary})
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	enc.Encode(struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Channel channel  `xml:"channel"`
	}{Version: "2.0", Channel: ch})
}

// Sitemap lists the public items' pages in a language, for search engines.
func (h *Handler) Sitemap(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	items, err := h.Store.Practices(r.Context(), store.PracticeFilter{Audiences: []string{"public"}, Brief: true})
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	base := strings.TrimSuffix(h.Site.BaseURL, "/")
	type loc struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
	urls := []loc{{Loc: base + "/" + lang + "/practices/"}}
	for _, p := range items {
		urls = append(urls, loc{Loc: base + "/" + lang + "/practices/" + url.PathEscape(p.Slug) + "/", LastMod: p.Date})
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	enc.Encode(struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		URLs    []loc    `xml:"url"`
	}{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", URLs: urls})
}
