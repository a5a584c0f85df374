// Package forum is the expert forum: topic communities (categories) with
// audiences, threads of Markdown posts with edit history, drafts, reading
// positions, bookmarks, document attachments, flags and moderation, and
// notifications in the app and by mail.
//
// Access is decided in one place, Can, from the category's audience for
// each right; every list, count and notification query takes the list of
// categories the viewer may read, so what a viewer may not read is neither
// shown nor counted. A thread the viewer may not read answers 404, like one
// that does not exist.
package forum

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/mail"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
)

// Limits are the forum's settings.
type Limits struct {
	PostBytes      int   // largest post, in bytes of Markdown
	TitleRunes     int   // longest thread title
	PostsPerMinute int   // a member's posts in any minute
	PostsPerDay    int   // a member's posts in any 24 hours
	FileBytes      int64 // largest attachment
	FilesPerPost   int
	PageSize       int // posts per thread page
}

// DefaultLimits are the limits without settings.
var DefaultLimits = Limits{PostBytes: 64 << 10, TitleRunes: 150, PostsPerMinute: 6, PostsPerDay: 200,
	FileBytes: 10 << 20, FilesPerPost: 3, PageSize: 50}

// Sensitivity labels a thread may carry, shown as a banner.
var Sensitivities = []string{"", "do-not-forward", "law-enforcement-only"}

// Handler serves the forum.
type Handler struct {
	Gate    *account.Handler // access checks and page rendering, shared with the account pages
	Store   *store.Store
	Files   *attachment.Store
	Catalog *locale.Catalog
	Site    *site.Site
	Mailer  *mail.Mailer
	Log     *slog.Logger
	Limits  Limits
	Now     func() time.Time
}

// Can reports whether u may use a right (read, start, reply) in c. Staff
// may do everything, to moderate; starting and replying need reading too.
func Can(u *store.User, c *store.Category, access string) bool {
	if u == nil || !u.CanEnter() || c == nil {
		return false
	}
	if u.IsStaff() {
		return true
	}
	if access != store.AccessRead && !Can(u, c, store.AccessRead) {
		return false
	}
	switch c.Audience[access] {
	case store.AudienceExperts:
		return true
	case store.AudienceGroups:
		for _, g := range c.Groups[access] {
			if slices.Contains(u.Groups, g) {
				return true
			}
		}
	}
	return false
}

// viewer is a request's reader with the categories they may read.
type viewer struct {
	lang     string
	c        *session.Current
	u        *store.User
	cats     []*store.Category // readable, in staff's order
	readable []int64
}

func (v *viewer) staff() bool { return v.u.IsStaff() }

func (v *viewer) category(id int64) *store.Category {
	for _, c := range v.cats {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (v *viewer) categoryBySlug(slug string) *store.Category {
	for _, c := range v.cats {
		if c.Slug == slug {
			return c
		}
	}
	return nil
}

// enter admits an approved expert (or staff) and loads what they may read;
// when ok is false the answer has been written.
func (h *Handler) enter(w http.ResponseWriter, r *http.Request, lv account.Level) (*viewer, bool) {
	lang, c, ok := h.Gate.Enter(w, r, lv)
	if !ok {
		return nil, false
	}
	v := &viewer{lang: lang, c: c, u: c.User}
	cats, err := h.Store.Categories(r.Context())
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return nil, false
	}
	for _, cat := range cats {
		if Can(v.u, cat, store.AccessRead) {
			v.cats = append(v.cats, cat)
			v.readable = append(v.readable, cat.ID)
		}
	}
	return v, true
}

// Readable returns the IDs of the categories u may read; the header's
// notification count and other features use it.
func (h *Handler) Readable(ctx context.Context, u *store.User) ([]int64, error) {
	cats, err := h.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, c := range cats {
		if Can(u, c, store.AccessRead) {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// thread loads the {id} thread if the viewer may read it; otherwise it
// answers 404, the same as for a thread that does not exist.
func (h *Handler) thread(w http.ResponseWriter, r *http.Request, v *viewer) (*store.Thread, *store.Category, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.Gate.NotFound(w, r, v.lang)
		return nil, nil, false
	}
	return h.threadByID(w, r, v, id)
}

func (h *Handler) threadByID(w http.ResponseWriter, r *http.Request, v *viewer, id int64) (*store.Thread, *store.Category, bool) {
	t, err := h.Store.ThreadByID(r.Context(), id)
	if err != nil && err != store.ErrNotFound {
		h.Gate.Fail(w, r, v.lang, err)
		return nil, nil, false
	}
	var cat *store.Category
	if t != nil {
		cat = v.category(t.CategoryID)
	}
	if t == nil || cat == nil || (t.HiddenAt != 0 && !v.staff()) {
		h.Gate.NotFound(w, r, v.lang)
		return nil, nil, false
	}
	return t, cat, true
}

// post loads the {id} post with its thread if the viewer may read them.
// Deleted and hidden posts are found too; callers decide what may be done.
func (h *Handler) post(w http.ResponseWriter, r *http.Request, v *viewer) (*store.Post, *store.Thread, *store.Category, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.Gate.NotFound(w, r, v.lang)
		return nil, nil, nil, false
	}
	p, err := h.Store.PostByID(r.Context(), id)
	if err == store.ErrNotFound {
		h.Gate.NotFound(w, r, v.lang)
		return nil, nil, nil, false
	}
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return nil, nil, nil, false
	}
	t, cat, ok := h.threadByID(w, r, v, p.ThreadID)
	if !ok {
		return nil, nil, nil, false
	}
	if p.HiddenAt != 0 && !v.staff() && p.AuthorID != v.u.ID {
		h.Gate.NotFound(w, r, v.lang)
		return nil, nil, nil, false
	}
	return p, t, cat, true
}

// categoryName is a category's name in lang, or in the default language
// when it has none there.
func (h *Handler) categoryName(c *store.Category, lang string) store.CategoryText {
	if t, ok := c.Texts[lang]; ok && t.Name != "" {
		return t
	}
	return c.Texts[h.Site.Default]
}

// audit records a forum action with its reason.
func (h *Handler) audit(r *http.Request, v *viewer, action string, target int64, detail string) {
	h.Gate.AuditEvent(r.Context(), r, v.u.ID, action, target, detail)
}

func threadURL(lang string, id int64) string {
	return "/" + lang + "/forum/t/" + strconv.FormatInt(id, 10)
}

// postURL links to a post on the page of its thread where it is.
func (h *Handler) postURL(lang string, threadID int64, seq int) string {
	u := threadURL(lang, threadID)
	if page := (seq-1)/h.Limits.PageSize + 1; page > 1 {
		u += "?page=" + strconv.Itoa(page)
	}
	return u + "#p" + strconv.Itoa(seq)
}
