package forum

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/store"
)

// categoryView is a category as a reader sees it.
type categoryView struct {
	*store.Category
	store.CategoryText
	Stats    store.CategoryStats
	CanStart bool
}

// Index lists the categories the viewer may read, with their activity.
func (h *Handler) Index(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	stats, err := h.Store.CategoryStats(r.Context(), v.readable, v.u.ID, v.staff())
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	var cats []categoryView
	for _, c := range v.cats {
		cats = append(cats, categoryView{Category: c, CategoryText: h.categoryName(c, v.lang), Stats: stats[c.ID],
			CanStart: Can(v.u, c, store.AccessStart)})
	}
	h.Gate.Render(w, r, http.StatusOK, "forum_index", h.Gate.Page(r, v.lang, "forumTitle", "", struct {
		Categories []categoryView
		Staff      bool
	}{cats, v.staff()}))
}

// Category lists a category's threads, pinned first, then by activity,
// optionally only those started in one language.
func (h *Handler) Category(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	c := v.categoryBySlug(r.PathValue("slug"))
	if c == nil {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	const perPage = 30
	page := pageNumber(r)
	lang := r.URL.Query().Get("lang")
	if !slices.Contains(account.WorkingLanguages, lang) {
		lang = ""
	}
	threads, total, err := h.Store.Threads(r.Context(), store.ThreadFilter{Categories: []int64{c.ID}, UserID: v.u.ID,
		Staff: v.staff(), Lang: lang, Limit: perPage, Offset: (page - 1) * perPage})
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	watch, err := h.Store.WatchLevel(r.Context(), v.u.ID, "category", c.ID)
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	text := h.categoryName(c, v.lang)
	p := h.Gate.PageTitled(r, v.lang, text.Name, "", struct {
		Category categoryView
		Threads  []*store.Thread
		Pager    pager
		Lang     string
		Langs    []account.Choice
		Watch    string
	}{categoryView{Category: c, CategoryText: text, CanStart: Can(v.u, c, store.AccessStart)}, threads,
		newPager(r, page, total, perPage), lang, account.Languages(), watch})
	h.Gate.Render(w, r, http.StatusOK, "forum_category", p)
}

// pager is a list's page links.
type pager struct {
	Page, Pages int
	Prev, Next  string // links, empty at the ends
}

func newPager(r *http.Request, page, total, perPage int) pager {
	p := pager{Page: page, Pages: max((total+perPage-1)/perPage, 1)}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}
