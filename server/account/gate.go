package account

import (
	"context"
	"net/http"

	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/web"
)

// The gate: what other features of the expert area (the forum, the
// workshops) use to check access and to answer the same way the account
// pages do. There is one gate, so every feature treats anonymous readers,
// unfinished logins, applicants and staff pages alike.

// Level is an access level for Enter.
type Level = level

// Access levels for Enter.
const (
	LevelSignedIn = levelSignedIn
	LevelExpert   = levelExpert
	LevelStaff    = levelStaff
	LevelAdmin    = levelAdmin
)

// Enter checks the {lang} segment and the viewer's access at level lv;
// when ok is false the answer (a login redirect or a 404) has been written.
func (h *Handler) Enter(w http.ResponseWriter, r *http.Request, lv Level) (string, *session.Current, bool) {
	return h.enter(w, r, lv)
}

// Lang checks the {lang} segment of a page open to everyone; when ok is
// false a 404 has been written.
func (h *Handler) Lang(w http.ResponseWriter, r *http.Request) (string, bool) { return h.lang(w, r) }

// Indexable gives a public page its canonical link and its versions in
// every language (rest is the path after /<lang>/).
func (h *Handler) Indexable(p web.Page, lang, rest string) web.Page {
	q := h.Web.NewPage(lang, p.Title, rest, true)
	p.Canonical, p.Alternates = q.Canonical, q.Alternates
	return p
}

// Page builds a page whose title is an i18n key.
func (h *Handler) Page(r *http.Request, lang, titleKey, nav string, data any) web.Page {
	return h.page(r, lang, titleKey, nav, data)
}

// PageTitled builds a page whose title is already text (a thread's title).
func (h *Handler) PageTitled(r *http.Request, lang, title, nav string, data any) web.Page {
	p := h.page(r, lang, "", nav, data)
	p.Title = title
	return p
}

// Render writes a page.
func (h *Handler) Render(w http.ResponseWriter, r *http.Request, status int, name string, p web.Page) {
	h.render(w, r, status, name, p)
}

// NotFound answers with the themed 404 page: also the answer for anything
// the viewer may not see, so that its existence does not leak.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request, lang string) {
	h.notFound(w, r, lang)
}

// Fail logs an internal error and answers with the generic error page.
func (h *Handler) Fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	h.fail(w, r, lang, err)
}

// ShowMessage answers with the generic notice page.
func (h *Handler) ShowMessage(w http.ResponseWriter, r *http.Request, lang string, status int, titleKey string, m Message) {
	h.message(w, r, lang, status, titleKey, m)
}

// AuditEvent appends to the audit log.
func (h *Handler) AuditEvent(ctx context.Context, r *http.Request, actor int64, action string, target int64, detail string) {
	h.audit(ctx, r, actor, action, target, detail)
}

// SeeOther redirects after a successful POST.
func SeeOther(w http.ResponseWriter, r *http.Request, to string) { seeOther(w, r, to) }
