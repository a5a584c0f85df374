package library

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/web"
)

// Handler serves the library. Everything in it is public except the
// drafts a member saved, which only that member can open.
type Handler struct {
	Gate    *account.Handler
	Lib     *Library
	Matcher *Matcher
	Store   *store.Store
	Catalog *locale.Catalog
	Site    *site.Site
	Log     *slog.Logger
	Now     func() time.Time
}

// Nav is the main-menu entry of the library's pages.
const nav = "menuLibrary"

// docView is a doc as a page shows it: in the reader's language, or in the
// default language with a note.
type docView struct {
	*Doc
	T            *Text
	Translated   bool
	URL          string
	Jurisdiction string // named in the reader's language
	Langs        []string
	Elements     int // checklist elements it addresses
}

func (h *Handler) view(d *Doc, lang string) docView {
	t, ok := d.Text(lang, h.Lib.Default)
	v := docView{Doc: d, T: t, Translated: ok, URL: "/" + lang + "/library/" + d.ID + "/",
		Jurisdiction: h.jurisdiction(lang, d.Jurisdiction), Langs: h.Lib.DocLangs(d)}
	seen := map[string]bool{}
	for _, c := range d.Covers {
		seen[c.Element] = true
	}
	v.Elements = len(seen)
	return v
}

// jurisdiction names a country (CLDR, via x/text) or an organisation
// (i18n) in lang.
func (h *Handler) jurisdiction(lang, code string) string {
	if slices.Contains(Organisations, code) {
		return h.Catalog.T(lang, "libraryJurisdiction_"+code)
	}
	return account.CountryName(lang, code)
}

// langName names a language in that language ("Français").
func langName(code string) string {
	if n := display.Self.Name(language.Make(code)); n != "" {
		return n
	}
	return code
}

// versions links the doc's other language versions, optionally to an
// anchor or sub-path.
func (h *Handler) versions(d *Doc, lang, rest string) []web.Alternate {
	var out []web.Alternate
	for _, l := range h.Site.Languages {
		if l.Code != lang && d.Texts[l.Code] != nil {
			out = append(out, web.Alternate{Lang: l.Code, Name: l.Name, URL: "/" + l.Code + "/library/" + d.ID + "/" + rest})
		}
	}
	return out
}

// elementView is a checklist element in the reader's language.
type elementView struct {
	ID, Name, Definition string
}

func (h *Handler) elements(lang string) []elementView {
	out := make([]elementView, 0, len(h.Lib.Elements))
	for _, e := range h.Lib.Elements {
		out = append(out, h.element(e, lang))
	}
	return out
}

func (h *Handler) element(e *Element, lang string) elementView {
	v := elementView{ID: e.ID, Name: e.Name[lang], Definition: e.Definition[lang]}
	if v.Name == "" {
		v.Name, v.Definition = e.Name[h.Lib.Default], e.Definition[h.Lib.Default]
	}
	return v
}

// refView is a provision another page points to.
type refView struct {
	DocID, DocShort, DocTitle string
	DocLang                   string // the language of DocShort and Label
	Kind                      string
	Jurisdiction              string
	Label                     string // "Article 20(1)(e)"
	Title                     string // the article's title
	URL                       string
	Optional                  bool
	Source                    string
}

func (h *Handler) ref(r Ref, lang string) refView {
	t, _ := r.Doc.Text(lang, h.Lib.Default)
	v := refView{DocID: r.Doc.ID, DocShort: t.Short, DocTitle: t.Title, DocLang: t.Lang, Kind: r.Doc.Kind,
		Jurisdiction: h.jurisdiction(lang, r.Doc.Jurisdiction), URL: Permalink(lang, r.Doc.ID, r.Cover.Article),
		Optional: r.Cover.Optional, Source: r.Cover.Source}
	if a := t.Article(r.Cover.Article); a != nil {
		v.Label, v.Title = Label(a.Label, r.Cover.Paragraph), a.Title
	}
	return v
}

func (h *Handler) refs(rs []Ref, lang string) []refView {
	out := make([]refView, 0, len(rs))
	for _, r := range rs {
		out = append(out, h.ref(r, lang))
	}
	return out
}

// page builds a library page; public pages without a query are indexable
// (canonical link and the page in every language).
func (h *Handler) page(r *http.Request, lang, title string, data any, indexable bool) web.Page {
	p := h.Gate.PageTitled(r, lang, title, nav, data)
	if indexable && r.URL.RawQuery == "" {
		p = h.Gate.Indexable(p, lang, trimLang(r.URL.Path, lang))
	}
	return p
}

func trimLang(path, lang string) string {
	if len(path) > len(lang)+2 {
		return path[len(lang)+2:]
	}
	return ""
}

// member returns the signed-in member who may save drafts, or nil.
func member(r *http.Request) *store.User {
	if c := session.FromContext(r.Context()); c.Complete() && c.User.CanEnter() {
		return c.User
	}
	return nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
