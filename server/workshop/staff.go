package workshop

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/forum"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// formTime is how dates travel in forms (datetime-local), always in UTC.
const formTime = "2006-01-02T15:04"

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)

// editor is the data of the staff's workshop page.
type editor struct {
	W        *store.Workshop // nil for a new one
	Langs    []string
	Starts   string
	Ends     string
	Invited  []*store.User
	Members  []*store.User // registered
	Error    string
	ErrorArg any
}

// StaffList lists the workshops for staff, with the form for a new one.
func (h *Handler) StaffList(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.Gate.Enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	h.showList(w, r, lang, editor{Langs: h.Site.Codes()}, http.StatusOK)
}

func (h *Handler) showList(w http.ResponseWriter, r *http.Request, lang string, e editor, status int) {
	all, err := h.Store.Workshops(r.Context())
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	var list []view
	for _, ws := range all {
		list = append(list, h.view(ws, lang, nil))
	}
	h.Gate.Render(w, r, status, "staff_workshops", h.Gate.Page(r, lang, "workshopsStaff", "", struct {
		List []view
		Form editor
	}{list, e}))
}

// Create announces a new workshop.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	ws := &store.Workshop{Slug: strings.TrimSpace(r.PostFormValue("slug")), InvitedOnly: r.PostFormValue("invited_only") == "on",
		CreatedBy: c.User.ID, CreatedAt: h.Now().Unix(), Texts: map[string]store.WorkshopText{}}
	e := editor{Langs: h.Site.Codes(), Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends")}
	key := h.readForm(r, ws, &e)
	if key == "" && !slugPattern.MatchString(ws.Slug) {
		key = "forumErrSlug"
	}
	if key == "" {
		err := h.Store.CreateWorkshop(r.Context(), ws)
		if errors.Is(err, store.ErrDuplicate) {
			key = "forumErrSlugTaken"
		} else if err != nil {
			h.Gate.Fail(w, r, lang, err)
			return
		}
	}
	if key != "" {
		e.Error = key
		e.W = ws
		h.showList(w, r, lang, e, http.StatusUnprocessableEntity)
		return
	}
	h.Gate.AuditEvent(r.Context(), r, c.User.ID, "workshop.create", 0, ws.Slug)
	account.SeeOther(w, r, "/"+lang+"/staff/workshops/"+ws.Slug)
}

// readForm fills dates and texts from the editor's form and returns an
// i18n key when something is wrong.
func (h *Handler) readForm(r *http.Request, ws *store.Workshop, e *editor) string {
	start, err1 := time.Parse(formTime, e.Starts)
	end, err2 := time.Parse(formTime, e.Ends)
	for _, l := range h.Site.Codes() {
		t := store.WorkshopText{Title: strings.TrimSpace(r.PostFormValue("title_" + l)), Description: r.PostFormValue("description_" + l),
			Agenda: r.PostFormValue("agenda_" + l), Summary: r.PostFormValue("summary_" + l)}
		if t.Title != "" {
			ws.Texts[l] = t
		}
	}
	switch {
	case err1 != nil || err2 != nil:
		return "workshopErrDates"
	case !end.After(start):
		return "workshopErrDates"
	case ws.Texts[h.Site.Default].Title == "":
		return "workshopErrTitle"
	}
	ws.StartsAt, ws.EndsAt = start.Unix(), end.Unix()
	return ""
}

// Edit is the staff's page for one workshop: texts, dates, summary,
// sessions, material and invitations.
func (h *Handler) Edit(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.Gate.Enter(w, r, account.LevelStaff)
	if !ok {
		return
	}
	ws, err := h.Store.WorkshopBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.Gate.NotFound(w, r, lang)
		return
	}
	h.showEdit(w, r, lang, ws, "", nil, http.StatusOK)
}

func (h *Handler) showEdit(w http.ResponseWriter, r *http.Request, lang string, ws *store.Workshop, key string, arg any, status int) {
	ctx := r.Context()
	invited, err := h.Store.GroupMembers(ctx, ws.InvitedGroup)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	members, err := h.Store.GroupMembers(ctx, ws.RegisteredGroup)
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	e := editor{W: ws, Langs: h.Site.Codes(), Starts: time.Unix(ws.StartsAt, 0).UTC().Format(formTime),
		Ends: time.Unix(ws.EndsAt, 0).UTC().Format(formTime), Invited: invited, Members: members, Error: key, ErrorArg: arg}
	t, _ := h.text(ws, lang)
	h.Gate.Render(w, r, status, "staff_workshop", h.Gate.PageTitled(r, lang, t.Title, "", e))
}

// staffWorkshop loads the {slug} workshop for a staff POST.
func (h *Handler) staffWorkshop(w http.ResponseWriter, r *http.Request) (string, *store.User, *store.Workshop, bool) {
	lang, c, ok := h.Gate.Enter(w, r, account.LevelStaff)
	if !ok {
		return "", nil, nil, false
	}
	ws, err := h.Store.WorkshopBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.Gate.NotFound(w, r, lang)
		return "", nil, nil, false
	}
	return lang, c.User, ws, true
}

// Save stores the texts, dates and summary; "public" puts the summary on
// the public site.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) {
	lang, u, ws, ok := h.staffWorkshop(w, r)
	if !ok {
		return
	}
	e := editor{Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends")}
	ws.Texts = map[string]store.WorkshopText{}
	if key := h.readForm(r, ws, &e); key != "" {
		h.showEdit(w, r, lang, ws, key, nil, http.StatusUnprocessableEntity)
		return
	}
	hasSummary := false
	for _, t := range ws.Texts {
		hasSummary = hasSummary || strings.TrimSpace(t.Summary) != ""
	}
	ws.SummaryPublic = r.PostFormValue("public") == "on" && hasSummary
	switch {
	case hasSummary && ws.SummaryAt == 0:
		ws.SummaryAt = h.Now().Unix()
	case !hasSummary:
		ws.SummaryAt = 0
	}
	if err := h.Store.UpdateWorkshop(r.Context(), ws); err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	h.Gate.AuditEvent(r.Context(), r, u.ID, "workshop.save", 0, fmt.Sprintf("%s public=%v", ws.Slug, ws.SummaryPublic))
	h.sync(r.Context(), ws)
	account.SeeOther(w, r, "/"+lang+"/staff/workshops/"+ws.Slug)
}

// AddSession adds a session with its discussion thread, opened by staff.
func (h *Handler) AddSession(w http.ResponseWriter, r *http.Request) {
	lang, u, ws, ok := h.staffWorkshop(w, r)
	if !ok {
		return
	}
	title := strings.TrimSpace(r.PostFormValue("title"))
	start, err := time.Parse(formTime, r.PostFormValue("starts"))
	intro := strings.TrimSpace(r.PostFormValue("intro"))
	if title == "" || err != nil || intro == "" {
		h.showEdit(w, r, lang, ws, "workshopErrSession", nil, http.StatusUnprocessableEntity)
		return
	}
	html, err := markdown.Render([]byte(intro), markdown.Options{IDPrefix: "s" + fmt.Sprint(h.Now().UnixNano()) + "-"})
	if err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	now := h.Now().Unix()
	t := &store.Thread{CategoryID: ws.CategoryID, Title: title, AuthorID: u.ID, Lang: lang, CreatedAt: now, Closed: h.state(ws) != "running"}
	p := &store.Post{AuthorID: u.ID, Lang: lang, Body: intro, HTML: string(html), CreatedAt: now}
	ss := &store.WorkshopSession{Title: title, StartsAt: start.Unix()}
	if err := h.Store.AddWorkshopSession(r.Context(), ws.ID, ss, t, p); err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	h.Gate.AuditEvent(r.Context(), r, u.ID, "workshop.session", 0, ws.Slug+": "+title)
	account.SeeOther(w, r, "/"+lang+"/staff/workshops/"+ws.Slug)
}

// AddMaterial adds keynote material: a link (http or https) or a document
// checked like forum attachments (no images, ever).
func (h *Handler) AddMaterial(w http.ResponseWriter, r *http.Request) {
	lang, u, ws, ok := h.staffWorkshop(w, r)
	if !ok {
		return
	}
	m := &store.Material{Title: strings.TrimSpace(r.PostFormValue("title")), URL: strings.TrimSpace(r.PostFormValue("url"))}
	if m.Title == "" {
		h.showEdit(w, r, lang, ws, "workshopErrMaterial", nil, http.StatusUnprocessableEntity)
		return
	}
	if m.URL != "" {
		if pu, err := url.Parse(m.URL); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			h.showEdit(w, r, lang, ws, "workshopErrMaterial", nil, http.StatusUnprocessableEntity)
			return
		}
	} else {
		f, fh, err := r.FormFile("files")
		if err != nil {
			h.showEdit(w, r, lang, ws, "workshopErrMaterial", nil, http.StatusUnprocessableEntity)
			return
		}
		saved, err := h.Files.Save(f, attachment.Limits{MaxBytes: h.FileBytes})
		f.Close()
		name := forum.CleanName(fh.Filename)
		if err != nil {
			h.showEdit(w, r, lang, ws, forum.FileErrorKey(err), map[string]any{"Name": name, "Count": h.FileBytes >> 20}, http.StatusUnprocessableEntity)
			return
		}
		m.SHA256, m.Name, m.Size, m.MIME = saved.SHA256, forum.WithExtension(name, string(saved.Kind)), saved.Size, saved.MIME
	}
	if err := h.Store.AddMaterial(r.Context(), ws.ID, m); err != nil {
		h.Gate.Fail(w, r, lang, err)
		return
	}
	h.Gate.AuditEvent(r.Context(), r, u.ID, "workshop.material", 0, ws.Slug+": "+m.Title)
	account.SeeOther(w, r, "/"+lang+"/staff/workshops/"+ws.Slug)
}

// Invite adds experts, by e-mail address, to those who may see an
// invitation-only workshop.
func (h *Handler) Invite(w http.ResponseWriter, r *http.Request) {
	lang, u, ws, ok := h.staffWorkshop(w, r)
	if !ok {
		return
	}
	var unknown []string
	for _, addr := range strings.FieldsFunc(r.PostFormValue("emails"), func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == ' ' }) {
		invitee, err := h.Store.UserByEmail(r.Context(), strings.TrimSpace(addr))
		if err != nil || !invitee.CanEnter() {
			unknown = append(unknown, addr)
			continue
		}
		if err := h.Store.AddToGroup(r.Context(), invitee.ID, ws.InvitedGroup); err != nil {
			h.Gate.Fail(w, r, lang, err)
			return
		}
		h.Gate.AuditEvent(r.Context(), r, u.ID, "workshop.invite", invitee.ID, ws.Slug)
	}
	if len(unknown) > 0 {
		h.showEdit(w, r, lang, ws, "workshopErrInvite", map[string]any{"Emails": strings.Join(unknown, ", ")}, http.StatusUnprocessableEntity)
		return
	}
	account.SeeOther(w, r, "/"+lang+"/staff/workshops/"+ws.Slug)
}
