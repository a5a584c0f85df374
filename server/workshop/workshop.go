// Package workshop runs the online workshops of MC.DEC/9/07, paragraph
// 12: staff announce a workshop with its agenda and keynote material,
// experts register, each session has a discussion thread that is open
// while the workshop runs and read-only before and after, and staff
// publish a summary with recommendations, which may be made public.
//
// A workshop's discussions live in a forum community of its own whose
// audiences are two groups (the invited, the registered), so the forum's
// access check (forum.Can) decides who sees and who writes here too.
package workshop

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/forum"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/store"
)

// Handler serves the workshop pages.
type Handler struct {
	Gate      *account.Handler
	Store     *store.Store
	Files     *attachment.Store
	Catalog   *locale.Catalog
	Site      *site.Site
	Log       *slog.Logger
	FileBytes int64 // largest document
	Now       func() time.Time
}

// view is a workshop as one reader sees it, in their language.
type view struct {
	*store.Workshop
	store.WorkshopText
	TextLang    string // the language the text is in (may differ from the page's)
	Description template.HTML
	Agenda      template.HTML
	Summary     template.HTML
	State       string // coming, running, past
	Registered  bool
	CanRegister bool
	URL         string
}

// state tells where a workshop is in time.
func (h *Handler) state(w *store.Workshop) string {
	now := h.Now().Unix()
	switch {
	case now < w.StartsAt:
		return "coming"
	case now < w.EndsAt:
		return "running"
	}
	return "past"
}

// text picks a workshop's text in lang, else in the default language, else
// any, and says which language it is in.
func (h *Handler) text(w *store.Workshop, lang string) (store.WorkshopText, string) {
	if t, ok := w.Texts[lang]; ok && t.Title != "" {
		return t, lang
	}
	if t, ok := w.Texts[h.Site.Default]; ok {
		return t, h.Site.Default
	}
	for l, t := range w.Texts {
		return t, l
	}
	return store.WorkshopText{}, lang
}

func (h *Handler) view(w *store.Workshop, lang string, u *store.User) view {
	t, tl := h.text(w, lang)
	v := view{Workshop: w, WorkshopText: t, TextLang: tl, State: h.state(w), URL: "/" + lang + "/workshops/" + w.Slug,
		Description: render(t.Description), Agenda: render(t.Agenda), Summary: render(t.Summary)}
	if u != nil {
		v.Registered = inGroup(u, "ws-"+w.Slug+"-registered")
		v.CanRegister = v.State != "past"
	}
	return v
}

// render turns staff's Markdown into safe HTML (the same renderer and
// sanitiser as forum posts).
func render(src string) template.HTML {
	if src == "" {
		return ""
	}
	html, err := markdown.Render([]byte(src), markdown.Options{IDPrefix: "ws-"})
	if err != nil {
		return ""
	}
	return html
}

func inGroup(u *store.User, slug string) bool {
	for _, g := range u.Groups {
		if g == slug {
			return true
		}
	}
	return false
}

// reader returns the signed-in expert, or nil for anyone else; workshop
// lists and public summaries do not require a login.
func reader(r *http.Request) *store.User {
	c := session.FromContext(r.Context())
	if c.Complete() && c.User.CanEnter() {
		return c.User
	}
	return nil
}

// visible returns the workshops u may see (all of them are checked with
// the forum's access rule on their community); nil u sees none.
func (h *Handler) visible(ctx context.Context, u *store.User) ([]*store.Workshop, map[int64]bool, error) {
	all, err := h.Store.Workshops(ctx)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		return nil, map[int64]bool{}, nil
	}
	cats, err := h.Store.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]*store.Category{}
	for _, c := range cats {
		byID[c.ID] = c
	}
	var out []*store.Workshop
	ok := map[int64]bool{}
	for _, w := range all {
		if forum.Can(u, byID[w.CategoryID], store.AccessRead) {
			out = append(out, w)
			ok[w.ID] = true
		}
	}
	return out, ok, nil
}

// List shows the calendar to experts (coming, running, past) and, to
// everyone, the summaries published on the public site.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	u := reader(r)
	mine, _, err := h.visible(ctx, u)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	all, err := h.Store.Workshops(ctx)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	var coming, past, public []view
	for _, ws := range mine {
		if v := h.view(ws, lang, u); v.State == "past" {
			past = append([]view{v}, past...) // newest first
		} else {
			coming = append(coming, v)
		}
	}
	for _, ws := range all {
		if ws.SummaryPublic {
			public = append([]view{h.view(ws, lang, nil)}, public...)
		}
	}
	p := h.Gate.Page(r, lang, "workshopsTitle", "", struct {
		Expert       bool
		Coming, Past []view
		Public       []view
	}{u != nil, coming, past, public})
	if u == nil {
		// The list of public summaries is a public page: indexable, in
		// every language.
		p = h.Gate.Indexable(p, lang, "workshops/")
	}
	h.Gate.Render(w, r, http.StatusOK, "workshops", p)
}

// Show is a workshop's page for the experts who may see it.
func (h *Handler) Show(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	ws, ok := h.find(w, r, lang, c.User)
	if !ok {
		return
	}
	ctx := r.Context()
	h.sync(ctx, ws)
	v := h.view(ws, lang, c.User)
	type sessionView struct {
		store.WorkshopSession
		URL string
	}
	var sessions []sessionView
	for _, s := range ws.Sessions {
		sessions = append(sessions, sessionView{s, "/" + lang + "/forum/t/" + strconv.FormatInt(s.ThreadID, 10)})
	}
	h.Gate.Render(w, r, http.StatusOK, "workshop", h.Gate.PageTitled(r, lang, v.Title, "", struct {
		W        view
		Sessions []sessionView
		Staff    bool
	}{v, sessions, c.User.IsStaff()}))
}

// find loads the {slug} workshop if u may see it; otherwise it answers 404.
func (h *Handler) find(w http.ResponseWriter, r *http.Request, lang string, u *store.User) (*store.Workshop, bool) {
	ws, err := h.Store.WorkshopBySlug(r.Context(), r.PathValue("slug"))
	if err == store.ErrNotFound {
		h.Gate.NotFound(w, r, lang)
		return nil, false
	}
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return nil, false
	}
	_, ok, err := h.visible(r.Context(), u)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return nil, false
	}
	if !ok[ws.ID] {
		h.Gate.NotFound(w, r, lang)
		return nil, false
	}
	return ws, true
}

// Register adds the viewer to the workshop's participants, who may write
// in its threads while it runs; Unregister takes them out.
func (h *Handler) Register(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	ws, ok := h.find(w, r, lang, c.User)
	if !ok {
		return
	}
	ctx := r.Context()
	var err error
	switch r.PathValue("action") {
	case "register":
		if h.state(ws) == "past" {
			h.Gate.ShowMessage(w, r, lang, http.StatusUnprocessableEntity, "workshopsTitle",
				account.Message{Text: "workshopOver", Link: "/" + lang + "/workshops/" + ws.Slug, LinkT: "workshopBack"})
			return
		}
		err = h.Store.AddToGroup(ctx, c.User.ID, ws.RegisteredGroup)
	case "unregister":
		err = h.Store.RemoveFromGroup(ctx, c.User.ID, ws.RegisteredGroup)
	default:
		h.Gate.NotFound(w, r, lang)
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	account.SeeOther(w, r, "/"+lang+"/workshops/"+ws.Slug)
}

// Summary shows a workshop's summary and recommendations: to everyone
// once staff made it public, otherwise to the experts who may see the
// workshop.
func (h *Handler) Summary(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.Gate.Lang(w, r)
	if !ok {
		return
	}
	ws, err := h.Store.WorkshopBySlug(r.Context(), r.PathValue("slug"))
	if err != nil && err != store.ErrNotFound {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	u := reader(r)
	allowed := ws != nil && ws.SummaryAt != 0 && ws.SummaryPublic
	if ws != nil && ws.SummaryAt != 0 && !allowed && u != nil {
		_, ok, err := h.visible(r.Context(), u)
		if err != nil {
			h.Gate.Fail(w, r, lang, err)
			return
		}
		allowed = ok[ws.ID]
	}
	if !allowed {
		h.Gate.NotFound(w, r, lang)
		return
	}
	v := h.view(ws, lang, nil)
	p := h.Gate.PageTitled(r, lang, v.Title, "", v)
	if ws.SummaryPublic {
		p = h.Gate.Indexable(p, lang, "workshops/"+ws.Slug+"/summary")
	}
	h.Gate.Render(w, r, http.StatusOK, "workshop_summary", p)
}

// Material serves a workshop's document as a download, to those who may
// see the workshop.
func (h *Handler) Material(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	ws, ok := h.find(w, r, lang, c.User)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, m := range ws.Materials {
		if m.ID == id && m.SHA256 != "" {
			f, err := h.Files.Open(m.SHA256)
			if err != nil {
				h.Gate.Fail(w, r, lang, err)
				return
			}
			defer f.Close()
			forum.ServeDocument(w, r, f, m.Name, m.MIME)
			return
		}
	}
	h.Gate.NotFound(w, r, lang)
}

// Calendar exports the workshops the expert may see as iCalendar.
func (h *Handler) Calendar(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	mine, _, err := h.visible(r.Context(), c.User)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	base := h.Site.BaseURL
	var events []Event
	for _, ws := range mine {
		t, _ := h.text(ws, lang)
		events = append(events, Event{UID: "workshop-" + strconv.FormatInt(ws.ID, 10) + "@polis", Start: time.Unix(ws.StartsAt, 0),
			End: time.Unix(ws.EndsAt, 0), Summary: t.Title, Description: markdown.Excerpt([]byte(t.Description), 500),
			URL: trimSlash(base) + "/" + lang + "/workshops/" + ws.Slug})
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="polis-workshops.ics"`)
	w.Write([]byte(ICalendar(events, h.Now())))
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// sync opens a workshop's threads while it runs and closes them before
// and after.
func (h *Handler) sync(ctx context.Context, ws *store.Workshop) {
	if err := h.Store.SetWorkshopThreadsClosed(ctx, ws.ID, h.state(ws) != "running"); err != nil {
		h.Log.Warn("workshop: sync threads", "workshop", ws.Slug, "err", err)
	}
}

// Sync brings every workshop's threads in line with the clock.
func (h *Handler) Sync(ctx context.Context) error {
	all, err := h.Store.Workshops(ctx)
	if err != nil {
		return err
	}
	for _, ws := range all {
		h.sync(ctx, ws)
	}
	return nil
}

// Run syncs the workshops' threads every 30 seconds until ctx ends.
func (h *Handler) Run(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if err := h.Sync(ctx); err != nil {
			h.Log.Error("workshop: sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
