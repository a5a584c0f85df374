// Package server is Polis's HTTP server: the route table, the middleware
// every response passes through, and the run loop with graceful shutdown.
// Features live in their own packages; this one wires them together.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/forum"
	"github.com/polis-portal/polis/server/library"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/metrics"
	"github.com/polis-portal/polis/server/practice"
	"github.com/polis-portal/polis/server/searchpage"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/static"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/web"
	"github.com/polis-portal/polis/server/workshop"
)

// Deps are the parts the server is built from, opened by the caller.
type Deps struct {
	Config  config.Config
	Site    *site.Site
	Catalog *locale.Catalog
	Web     *web.Renderer
	Store   *store.Store
	Index   *search.Index
	Log     *slog.Logger

	Sessions *session.Store      // nil: no accounts (tests of the public site)
	Account  *account.Handler    // the account and staff pages
	Forum    *forum.Handler      // the expert forum (needs Account)
	Workshop *workshop.Handler   // online workshops (needs Account)
	Practice *practice.Handler   // the best-practice knowledge base (needs Account)
	Library  *library.Handler    // the model-legislation library (needs Account)
	Search   *searchpage.Handler // search pages and API (needs Account)
	Metrics  *metrics.Registry   // nil: a new one
}

// handler holds what the route handlers need; nothing comes from globals.
type handler struct {
	Deps
	static *static.Handler
}

// New returns the complete HTTP handler: routes wrapped in middleware.
func New(d Deps) (http.Handler, error) {
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	h := &handler{Deps: d}
	h.registerGauges()
	st, err := static.New(d.Config.Public, http.HandlerFunc(h.notFound))
	if err != nil {
		return nil, err
	}
	h.static = st
	return h.middleware(routed(h.routes())), nil
}

// routes is the whole route table.
func (h *handler) routes() *http.ServeMux {
	mux := http.NewServeMux()

	// Operations.
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("GET /metrics", h.metricsPage)

	// The root picks the reader's language.
	mux.HandleFunc("GET /{$}", h.languageRedirect)

	// Public pages that need the server.
	mux.HandleFunc("GET /{lang}/help/go", h.helpCountry)

	if a := h.Account; a != nil {
		// Applying and verifying the address.
		mux.HandleFunc("GET /{lang}/account/apply", a.ApplyShow)
		mux.HandleFunc("POST /{lang}/account/apply", a.Apply)
		mux.HandleFunc("GET /{lang}/account/verify", a.VerifyShow)
		mux.HandleFunc("POST /{lang}/account/verify", a.Verify)
		mux.HandleFunc("GET /{lang}/account/setup", a.SetupShow)
		mux.HandleFunc("POST /{lang}/account/setup", a.Setup)

		// Logging in and out.
		mux.HandleFunc("GET /{lang}/account/login", a.LoginShow)
		mux.HandleFunc("POST /{lang}/account/login", a.Login)
		mux.HandleFunc("GET /{lang}/account/login/2fa", a.SecondShow)
		mux.HandleFunc("POST /{lang}/account/login/2fa", a.Second)
		mux.HandleFunc("POST /{lang}/account/logout", a.Logout)

		// The member's own account.
		mux.HandleFunc("GET /{lang}/account/{$}", a.Show)
		mux.HandleFunc("POST /{lang}/account/profile", a.SaveProfile)
		mux.HandleFunc("GET /{lang}/account/2fa", a.TwoFactorShow)
		mux.HandleFunc("POST /{lang}/account/2fa", a.TwoFactorEnrol)
		mux.HandleFunc("POST /{lang}/account/2fa/recovery", a.RecoveryCodes)
		mux.HandleFunc("GET /{lang}/account/sessions", a.SessionsShow)
		mux.HandleFunc("POST /{lang}/account/sessions", a.EndSessions)
		mux.HandleFunc("GET /{lang}/account/password", a.PasswordShow)
		mux.HandleFunc("POST /{lang}/account/password", a.ChangePassword)
		mux.HandleFunc("GET /{lang}/account/data.json", a.Data)
		mux.HandleFunc("POST /{lang}/account/delete", a.RequestDeletion)
		mux.HandleFunc("GET /{lang}/account/invite", a.InviteShow)
		mux.HandleFunc("POST /{lang}/account/invite", a.Invite)

		// The expert directory.
		mux.HandleFunc("GET /{lang}/experts/{$}", a.Directory)

		// Staff: vetting, users, groups, outbox, audit.
		mux.HandleFunc("GET /{lang}/staff/{$}", a.Queue)
		mux.HandleFunc("POST /{lang}/staff/users/{id}/decide", a.Decide)
		mux.HandleFunc("GET /{lang}/staff/users", a.Users)
		mux.HandleFunc("GET /{lang}/staff/users/{id}", a.User)
		mux.HandleFunc("POST /{lang}/staff/users/{id}/role", a.SetRole)
		mux.HandleFunc("POST /{lang}/staff/users/{id}/groups", a.SetGroups)
		mux.HandleFunc("POST /{lang}/staff/users/{id}/vetter", a.SetVetterCountries)
		mux.HandleFunc("POST /{lang}/staff/users/{id}/suspend", a.Suspend)
		mux.HandleFunc("POST /{lang}/staff/users/{id}/reinstate", a.Reinstate)
		mux.HandleFunc("POST /{lang}/staff/groups", a.CreateGroup)
		mux.HandleFunc("GET /{lang}/staff/outbox", a.Outbox)
		mux.HandleFunc("GET /{lang}/staff/audit", a.Audit)
		mux.HandleFunc("GET /{lang}/staff/audit.csv", a.AuditExport)
	}

	if f := h.Forum; f != nil {
		// Reading.
		mux.HandleFunc("GET /{lang}/forum/{$}", f.Index)
		mux.HandleFunc("GET /{lang}/forum/c/{slug}", f.Category)
		mux.HandleFunc("GET /{lang}/forum/t/{id}", f.Thread)
		mux.HandleFunc("GET /{lang}/forum/p/{id}/history", f.History)
		mux.HandleFunc("GET /{lang}/forum/p/{id}/files/{sha}", f.Attachment)
		mux.HandleFunc("GET /{lang}/forum/bookmarks", f.Bookmarks)
		mux.HandleFunc("GET /{lang}/forum/notifications", f.NotificationsPage)

		// Writing.
		mux.HandleFunc("GET /{lang}/forum/c/{slug}/new", f.NewThreadShow)
		mux.HandleFunc("POST /{lang}/forum/c/{slug}/new", f.NewThread)
		mux.HandleFunc("POST /{lang}/forum/t/{id}/reply", f.Reply)
		mux.HandleFunc("GET /{lang}/forum/p/{id}/edit", f.EditShow)
		mux.HandleFunc("POST /{lang}/forum/p/{id}/edit", f.Edit)
		mux.HandleFunc("POST /{lang}/forum/p/{id}/delete", f.Delete)
		mux.HandleFunc("GET /{lang}/forum/p/{id}/flag", f.FlagShow)
		mux.HandleFunc("POST /{lang}/forum/p/{id}/flag", f.Flag)
		mux.HandleFunc("POST /{lang}/forum/p/{id}/bookmark", f.Bookmark)
		mux.HandleFunc("POST /{lang}/forum/c/{slug}/watch", f.Watch)
		mux.HandleFunc("POST /{lang}/forum/t/{id}/watch", f.Watch)
		mux.HandleFunc("POST /{lang}/forum/notifications/read", f.MarkNoticesRead)
		mux.HandleFunc("POST /{lang}/forum/notifications/mode", f.NotifyMode)

		// Moderation and the communities (staff).
		mux.HandleFunc("POST /{lang}/forum/p/{id}/moderate", f.ModeratePost)
		mux.HandleFunc("POST /{lang}/forum/t/{id}/moderate", f.ModerateThread)
		mux.HandleFunc("GET /{lang}/staff/flags", f.Flags)
		mux.HandleFunc("GET /{lang}/staff/categories", f.StaffCategories)
		mux.HandleFunc("POST /{lang}/staff/categories", f.SaveCategory)
		mux.HandleFunc("GET /{lang}/staff/categories/{id}", f.EditCategoryShow)
		mux.HandleFunc("POST /{lang}/staff/categories/{id}/move", f.MoveCategory)
	}

	if p := h.Practice; p != nil {
		// The knowledge base: public items for everyone, experts-only
		// items for experts; feed and sitemap carry public items only.
		mux.HandleFunc("GET /{lang}/practices/{$}", p.List)
		mux.HandleFunc("GET /{lang}/practices/index.xml", p.Feed)
		mux.HandleFunc("GET /{lang}/practices/sitemap.xml", p.Sitemap)
		mux.HandleFunc("GET /{lang}/practices/contact-points/{$}", p.ContactPoints)
		mux.HandleFunc("GET /{lang}/practices/{slug}/{$}", p.Item)
		mux.HandleFunc("GET /{lang}/practices/{slug}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		})
		// Staff edit items on the web; each save is a revision.
		mux.HandleFunc("GET /{lang}/staff/practices/{$}", p.EditShow)
		mux.HandleFunc("POST /{lang}/staff/practices/{$}", p.Save)
		mux.HandleFunc("GET /{lang}/staff/practices/{slug}", p.EditShow)
		mux.HandleFunc("POST /{lang}/staff/practices/{slug}", p.Save)
	}

	if l := h.Library; l != nil {
		// The model-legislation library: public, except a member's saved
		// drafts, which only their owner can open.
		mux.HandleFunc("GET /{lang}/library/{$}", l.List)
		mux.HandleFunc("GET /{lang}/library/index.json", l.Index)
		mux.HandleFunc("GET /{lang}/library/checklist/{$}", l.Checklist)
		mux.HandleFunc("GET /{lang}/library/matrix/{$}", l.Matrix)
		mux.HandleFunc("GET /{lang}/library/matrix.csv", l.MatrixCSV)
		mux.HandleFunc("GET /{lang}/library/compare/{$}", l.Compare)
		// The draft self-assessment: nothing pasted is kept unless saved.
		mux.HandleFunc("GET /{lang}/library/assess/{$}", l.AssessShow)
		mux.HandleFunc("POST /{lang}/library/assess/{$}", l.Assess)
		mux.HandleFunc("POST /{lang}/library/assess/report.md", l.Report)
		mux.HandleFunc("POST /{lang}/library/assess/save", l.Save)
		mux.HandleFunc("GET /{lang}/library/assess/saved/{draft}", l.Saved)
		mux.HandleFunc("POST /{lang}/library/assess/saved/{draft}/delete", l.Delete)
		// An instrument, its articles' permalinks, its language versions
		// side by side, its exports.
		mux.HandleFunc("GET /{lang}/library/{id}", l.Slash)
		mux.HandleFunc("GET /{lang}/library/{id}/{$}", l.Doc)
		mux.HandleFunc("GET /{lang}/library/{id}/languages", l.Languages)
		mux.HandleFunc("GET /{lang}/library/{id}/export.json", l.ExportJSON)
		mux.HandleFunc("GET /{lang}/library/{id}/export.md", l.ExportMarkdown)
		mux.HandleFunc("GET /{lang}/library/{id}/{anchor}", l.Article)
	}

	if s := h.Search; s != nil {
		// Search: every request searches with the viewer's audiences.
		mux.HandleFunc("GET /{lang}/search", s.Page)
		mux.HandleFunc("GET /{lang}/search/help", s.Help)
		mux.HandleFunc("GET /api/search", s.API)
		mux.HandleFunc("GET /api/search/suggest", s.Suggest)
	}

	if ws := h.Workshop; ws != nil {
		mux.HandleFunc("GET /{lang}/workshops/{$}", ws.List)
		mux.HandleFunc("GET /{lang}/workshops/calendar.ics", ws.Calendar)
		mux.HandleFunc("GET /{lang}/workshops/{slug}", ws.Show)
		mux.HandleFunc("GET /{lang}/workshops/{slug}/summary", ws.Summary)
		mux.HandleFunc("GET /{lang}/workshops/{slug}/files/{id}", ws.Material)
		mux.HandleFunc("POST /{lang}/workshops/{slug}/{action}", ws.Register)
		mux.HandleFunc("GET /{lang}/staff/workshops", ws.StaffList)
		mux.HandleFunc("POST /{lang}/staff/workshops", ws.Create)
		mux.HandleFunc("GET /{lang}/staff/workshops/{slug}", ws.Edit)
		mux.HandleFunc("POST /{lang}/staff/workshops/{slug}", ws.Save)
		mux.HandleFunc("POST /{lang}/staff/workshops/{slug}/sessions", ws.AddSession)
		mux.HandleFunc("POST /{lang}/staff/workshops/{slug}/materials", ws.AddMaterial)
		mux.HandleFunc("POST /{lang}/staff/workshops/{slug}/invite", ws.Invite)
	}

	// Everything else is Hugo's public site, with a themed 404.
	mux.Handle("/", h.static)
	return mux
}

// middleware wraps the routes, outermost first: access log, panic recovery,
// security headers, request body limit, cross-origin protection, session,
// per-session CSRF token.
func (h *handler) middleware(next http.Handler) http.Handler {
	next = h.csrfToken(next)
	next = h.session(next)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.forbidden))
	next = cop.Handler(next)
	next = limitBody(h.Config.MaxBodyBytes, max(h.Config.UploadBytes(), h.Config.MaxBodyBytes), next)
	next = securityHeaders(next)
	next = h.recoverer(next)
	next = h.measure(next)
	next = accessLog(h.Log, next)
	return next
}

// languageRedirect sends "/" to the best language for the reader. The
// answer depends on Accept-Language, so caches must key on it.
func (h *handler) languageRedirect(w http.ResponseWriter, r *http.Request) {
	lang := h.Catalog.Match(r.Header.Get("Accept-Language"))
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "private, no-cache")
	http.Redirect(w, r, "/"+lang+"/", http.StatusFound)
}

// langOf returns the site language a request is in: the first path segment
// when it names one, otherwise the reader's preference.
func (h *handler) langOf(r *http.Request) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if h.Site.Has(first) {
		return first
	}
	return h.Catalog.Match(r.Header.Get("Accept-Language"))
}

// notFound answers with the themed 404 page in the request's language. When
// the same path exists in other languages, the page says that it is not
// translated yet and links to the versions that exist.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	lang := h.langOf(r)
	w.Header().Set("Cache-Control", "no-cache")
	if versions := h.otherVersions(r.URL.Path); len(versions) > 0 {
		rest := strings.TrimPrefix(r.URL.Path, "/"+lang+"/")
		p := h.Web.NewPage(lang, h.Catalog.T(lang, "notTranslatedTitle"), rest, false)
		p.Data = web.NotTranslated{Versions: versions}
		h.Web.Render(w, http.StatusNotFound, web.PageNotTranslated, p)
		return
	}
	p := h.Web.NewPage(lang, h.Catalog.T(lang, "notFoundTitle"), "", false)
	h.Web.Render(w, http.StatusNotFound, web.PageNotFound, p)
}

// otherVersions returns the languages in which a /<lang>/<rest> path that
// was not found does exist.
func (h *handler) otherVersions(urlPath string) []web.Alternate {
	first, rest, ok := strings.Cut(strings.TrimPrefix(urlPath, "/"), "/")
	if !ok || !h.Site.Has(first) || h.static == nil {
		return nil
	}
	var out []web.Alternate
	for _, l := range h.Site.Languages {
		if l.Code == first {
			continue
		}
		if p := "/" + l.Code + "/" + rest; h.static.Has(p) {
			out = append(out, web.Alternate{Lang: l.Code, Name: l.Name, URL: p})
		}
	}
	return out
}

// helpCountry answers the help directory's country picker, a plain GET form
// so that it works without JavaScript: it sends the reader to the country's
// section of the help page.
func (h *handler) helpCountry(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if !h.Site.Has(lang) {
		h.notFound(w, r)
		return
	}
	target := "/" + lang + "/help/"
	if code := strings.ToLower(r.URL.Query().Get("country")); countryCode.MatchString(code) {
		target += "#country-" + code
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// countryCode is an ISO 3166-1 alpha-2 code, lower-cased.
var countryCode = regexp.MustCompile(`^[a-z]{2}$`)

// forbidden answers a refused state-changing request (a cross-site form, a
// missing or wrong CSRF token).
func (h *handler) forbidden(w http.ResponseWriter, r *http.Request) {
	lang := h.langOf(r)
	p := h.Web.NewPage(lang, h.Catalog.T(lang, "forbiddenTitle"), "", false)
	p.Data = nil
	w.Header().Set("Cache-Control", "no-store")
	h.Web.Render(w, http.StatusForbidden, web.PageForbidden, p)
}

// serverError answers with the generic error page; the cause is logged by
// the caller, never shown.
func (h *handler) serverError(w http.ResponseWriter, r *http.Request) {
	lang := h.langOf(r)
	p := h.Web.NewPage(lang, h.Catalog.T(lang, "serverErrorTitle"), "", false)
	w.Header().Set("Cache-Control", "no-store")
	h.Web.Render(w, http.StatusInternalServerError, web.PageError, p)
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// readyz reports whether the database and the search index answer.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.Store.Ping(ctx); err != nil {
		h.Log.Warn("readyz: database", "err", err)
		http.Error(w, "database not ready", http.StatusServiceUnavailable)
		return
	}
	if _, err := h.Index.DocCount(); err != nil {
		h.Log.Warn("readyz: search index", "err", err)
		http.Error(w, "search index not ready", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Run serves on ln until ctx ends, then stops taking requests, lets the
// ones in flight finish (up to a limit) and returns.
func Run(ctx context.Context, ln net.Listener, hd http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           hd,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests keep the context's values but not its end: a shutdown
		// lets the requests in flight finish (their database calls would
		// fail on a cancelled context) instead of cutting them off.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
