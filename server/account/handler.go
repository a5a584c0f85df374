// Package account is the expert area's gate: applying, e-mail
// verification, vetting, login with a second factor, sessions, the
// profile, the expert directory and the staff pages that vet and manage
// accounts. Every state change is audited.
package account

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/mail"
	"github.com/polis-portal/polis/server/metrics"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/web"
)

// Policy holds the account settings.
type Policy struct {
	TwoFactorExperts bool          // experts must use TOTP too (staff always must)
	InviteSkipsQueue bool          // invited applicants are approved at verification; else they go first in the queue
	VerifyTTL        time.Duration // e-mail verification link
	InviteTTL        time.Duration
	SetupTTL         time.Duration // first-start link
}

// DefaultPolicy is the policy without settings.
var DefaultPolicy = Policy{TwoFactorExperts: true, InviteSkipsQueue: true, VerifyTTL: 48 * time.Hour, InviteTTL: 14 * 24 * time.Hour, SetupTTL: 24 * time.Hour}

// Handler serves the account and staff pages.
type Handler struct {
	Store    *store.Store
	Sessions *session.Store
	Hasher   *auth.Hasher
	Keys     *auth.Keys
	Limiter  *auth.Limiter
	Mailer   *mail.Mailer
	Web      *web.Renderer
	Catalog  *locale.Catalog
	Site     *site.Site
	Log      *slog.Logger
	Policy   Policy
	Now      func() time.Time

	// Notices counts the viewer's unread notifications for the header
	// (set by the forum; nil shows none).
	Notices func(ctx context.Context, u *store.User) int

	// Metrics counts login events (nil: not counted).
	Metrics *metrics.Registry
}

// lang returns the request's site language from the {lang} path segment;
// false (and a 404 written) when it is not one.
func (h *Handler) lang(w http.ResponseWriter, r *http.Request) (string, bool) {
	l := r.PathValue("lang")
	if !h.Site.Has(l) {
		h.notFound(w, r, h.Site.Default)
		return "", false
	}
	return l, true
}

// page builds a page for the request, with the viewer and the CSRF token.
func (h *Handler) page(r *http.Request, lang, titleKey, nav string, data any) web.Page {
	rest := strings.TrimPrefix(r.URL.Path, "/"+lang+"/")
	title := ""
	if titleKey != "" {
		title = h.Catalog.T(lang, titleKey)
	}
	p := h.Web.NewPage(lang, title, rest, false)
	p.Nav = nav
	if c := session.FromContext(r.Context()); c.LoggedIn() {
		p.User = c.User
		p.CSRF = c.CSRF
		if h.Notices != nil && c.Complete() && c.User.CanEnter() {
			p.Notices = h.Notices(r.Context(), c.User)
		}
	}
	p.Data = data
	return p
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p web.Page) {
	h.Web.Render(w, status, name, p)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, lang string) {
	h.render(w, r, http.StatusNotFound, web.PageNotFound, h.page(r, lang, "notFoundTitle", "", nil))
}

// fail logs an internal error and answers with the generic error page, or
// with the "briefly unavailable" page (503) when the database cannot be
// reached: that is not a fault in the request, and it passes.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	if store.Unavailable(err) {
		h.Log.Warn("account: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		h.Web.Unavailable(w, h.page(r, lang, "unavailableTitle", "", nil))
		return
	}
	h.Log.Error("account: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	h.render(w, r, http.StatusInternalServerError, web.PageError, h.page(r, lang, "serverErrorTitle", "", nil))
}

// Message is the data of the generic notice page.
type Message struct {
	Text   string // i18n key
	Detail string // optional extra text, already translated
	Link   string
	LinkT  string // i18n key of the link
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, lang string, status int, titleKey string, m Message) {
	h.render(w, r, status, "message", h.page(r, lang, titleKey, "", m))
}

// seeOther redirects after a successful POST (post/redirect/get).
func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// safeNext keeps a post-login destination only when it is a path on this
// site (never another host: no open redirect).
func safeNext(lang, next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/"+lang+"/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/" + lang + "/account/"
	}
	return u.RequestURI()
}

// enter starts a handler that needs access: the {lang} segment must be a
// site language and the viewer must pass require at level lv. When ok is
// false the answer has been written.
func (h *Handler) enter(w http.ResponseWriter, r *http.Request, lv level) (string, *session.Current, bool) {
	lang, ok := h.lang(w, r)
	if !ok {
		return "", nil, false
	}
	c, ok := h.require(w, r, lang, lv)
	return lang, c, ok
}

// Access levels for require.
type level int

const (
	levelSignedIn level = iota // a complete login, any status (applicants see their status)
	levelExpert                // approved expert or staff
	levelStaff                 // moderator or administrator
	levelAdmin                 // administrator
)

// require checks the viewer's access. Anonymous readers are sent to the
// login page; a login awaiting its second factor to that step; experts'
// pages send applicants to their status; staff pages answer 404 to anyone
// else, so that their existence does not leak.
func (h *Handler) require(w http.ResponseWriter, r *http.Request, lang string, lv level) (*session.Current, bool) {
	c := session.FromContext(r.Context())
	if !c.LoggedIn() && session.DatabaseDown(r.Context()) {
		h.Web.Unavailable(w, h.page(r, lang, "unavailableTitle", "", nil))
		return nil, false
	}
	if !c.LoggedIn() {
		if lv >= levelStaff {
			h.notFound(w, r, lang)
			return nil, false
		}
		seeOther(w, r, "/"+lang+"/account/login?next="+url.QueryEscape(r.URL.RequestURI()))
		return nil, false
	}
	if !c.SecondFactor {
		if lv >= levelStaff {
			h.notFound(w, r, lang)
			return nil, false
		}
		seeOther(w, r, "/"+lang+"/account/login/2fa")
		return nil, false
	}
	switch lv {
	case levelExpert:
		if !c.User.CanEnter() {
			seeOther(w, r, "/"+lang+"/account/")
			return nil, false
		}
	case levelStaff:
		if !c.User.CanEnter() || !c.User.IsStaff() {
			h.notFound(w, r, lang)
			return nil, false
		}
	case levelAdmin:
		if !c.User.CanEnter() || c.User.Role != store.RoleAdministrator {
			h.notFound(w, r, lang)
			return nil, false
		}
	}
	return c, true
}

// needsTOTP reports whether the user must have a second factor to enter.
func (h *Handler) needsTOTP(u *store.User) bool {
	if u.IsStaff() {
		return true
	}
	return u.CanEnter() && h.Policy.TwoFactorExperts
}

// audit appends a security event; a failure to audit is logged loudly but
// does not undo what was done.
func (h *Handler) audit(ctx context.Context, r *http.Request, actor int64, action string, target int64, detail string) {
	if h.Metrics != nil && strings.HasPrefix(action, "login.") {
		h.Metrics.Add("polis_login_events_total", "Login steps by outcome (success, failure, lockout, …).",
			metrics.Labels("event", strings.TrimPrefix(action, "login.")), 1)
	}
	err := h.Store.Audit(ctx, store.AuditEntry{At: h.Now().Unix(), ActorID: actor, Action: action, TargetID: target, Detail: detail, IP: session.ClientIP(r)})
	if err != nil {
		h.Log.Error("audit write failed", "action", action, "err", err)
	}
}

// link makes an absolute link for mail.
func (h *Handler) link(path string) string {
	return strings.TrimSuffix(h.Site.BaseURL, "/") + path
}

// sendMail sends a message in the recipient's language.
func (h *Handler) sendMail(ctx context.Context, to, lang, subjectKey, bodyKey string, data map[string]any) error {
	return h.Mailer.Send(ctx, to, h.Catalog.T(lang, subjectKey), h.Catalog.T(lang, bodyKey, data))
}

var errForm = errors.New("form has errors")
