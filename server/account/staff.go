package account

import (
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/store"
)

// queuePage is the vetting queue.
type queuePage struct {
	Applicants   []*store.User
	Limited      []string // the vetter's countries, when limited
	CountryNames map[string]string
}

// Queue lists verified applications waiting for a decision, invited ones
// first, then oldest first; a vetter limited to some countries sees only
// theirs.
func (h *Handler) Queue(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelStaff)
	if !ok {
		return
	}
	ctx := r.Context()
	limited, err := h.Store.VetterCountries(ctx, c.User.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	list, err := h.Store.Users(ctx, store.UserFilter{Status: store.StatusPending, Limit: 500})
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	p := queuePage{Limited: limited, CountryNames: map[string]string{}}
	for _, u := range list {
		if len(limited) == 0 || slices.Contains(limited, u.Country) {
			p.Applicants = append(p.Applicants, u)
			p.CountryNames[u.Country] = CountryName(lang, u.Country)
		}
	}
	h.render(w, r, http.StatusOK, "staff_queue", h.page(r, lang, "queueTitle", "", p))
}

// Decide approves or rejects an application (a reason is required to
// reject) and tells the applicant by mail.
func (h *Handler) Decide(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelStaff)
	if !ok {
		return
	}
	ctx := r.Context()
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	limited, err := h.Store.VetterCountries(ctx, c.User.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if u.Status != store.StatusPending || (len(limited) > 0 && !slices.Contains(limited, u.Country)) {
		h.notFound(w, r, lang)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	now := h.Now().Unix()
	switch r.PostFormValue("decision") {
	case "approve":
		if err := h.Store.SetUserStatus(ctx, u.ID, store.StatusApproved, store.RoleExpert, reason, c.User.ID, now); err != nil {
			h.fail(w, r, lang, err)
			return
		}
		h.audit(ctx, r, c.User.ID, "vetting.approve", u.ID, reason)
		h.sendMail(ctx, u.Email, u.Lang, "mailApprovedSubject", "mailApprovedBody", map[string]any{"Name": u.FullName, "Link": h.link("/" + u.Lang + "/account/login")})
	case "reject":
		if reason == "" {
			h.message(w, r, lang, http.StatusUnprocessableEntity, "queueTitle", Message{Text: "errReasonRequired", Link: "/" + lang + "/staff/", LinkT: "queueTitle"})
			return
		}
		if err := h.Store.SetUserStatus(ctx, u.ID, store.StatusRejected, store.RoleApplicant, reason, c.User.ID, now); err != nil {
			h.fail(w, r, lang, err)
			return
		}
		h.audit(ctx, r, c.User.ID, "vetting.reject", u.ID, reason)
		h.sendMail(ctx, u.Email, u.Lang, "mailRejectedSubject", "mailRejectedBody", map[string]any{"Name": u.FullName, "Reason": reason})
	default:
		seeOther(w, r, "/"+lang+"/staff/")
		return
	}
	seeOther(w, r, "/"+lang+"/staff/")
}

// target loads the user named by the {id} path segment.
func (h *Handler) target(w http.ResponseWriter, r *http.Request, lang string) (*store.User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.notFound(w, r, lang)
		return nil, false
	}
	u, err := h.Store.UserByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w, r, lang)
		return nil, false
	}
	if err != nil {
		h.fail(w, r, lang, err)
		return nil, false
	}
	return u, true
}

// usersPage is the staff user list.
type usersPage struct {
	Users               []*store.User
	Query, Status, Role string
	Country             string
	Statuses, Roles     []string
	CountryNames        map[string]string
}

// Users lists accounts with filters.
func (h *Handler) Users(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.enter(w, r, levelStaff)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := store.UserFilter{Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Role: q.Get("role"), Country: strings.ToUpper(q.Get("country")), Limit: 500}
	statuses := []string{store.StatusUnverified, store.StatusPending, store.StatusApproved, store.StatusRejected, store.StatusSuspended}
	roles := []string{store.RoleApplicant, store.RoleExpert, store.RoleModerator, store.RoleAdministrator}
	if !slices.Contains(statuses, f.Status) {
		f.Status = ""
	}
	if !slices.Contains(roles, f.Role) {
		f.Role = ""
	}
	list, err := h.Store.Users(r.Context(), f)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	p := usersPage{Users: list, Query: f.Query, Status: f.Status, Role: f.Role, Country: f.Country, Statuses: statuses, Roles: roles, CountryNames: map[string]string{}}
	for _, u := range list {
		p.CountryNames[u.Country] = CountryName(lang, u.Country)
	}
	h.render(w, r, http.StatusOK, "staff_users", h.page(r, lang, "usersTitle", "", p))
}

// userPage is one account as staff see it.
type userPage struct {
	U           *store.User
	CountryName string
	Groups      []store.Group
	UserGroups  []string
	Vetter      []string
	Events      []store.AuditEntry
	IsAdmin     bool
	Roles       []string
	Self        bool
}

// User shows one account with the actions staff may take.
func (h *Handler) User(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelStaff)
	if !ok {
		return
	}
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	ctx := r.Context()
	groups, err := h.Store.Groups(ctx)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	ug, _ := h.Store.UserGroups(ctx, u.ID)
	vetter, _ := h.Store.VetterCountries(ctx, u.ID)
	events, _ := h.Store.AuditLog(ctx, store.AuditFilter{UserID: u.ID, Limit: 50})
	p := userPage{U: u, CountryName: CountryName(lang, u.Country), Groups: groups, UserGroups: ug, Vetter: vetter, Events: events,
		IsAdmin: c.User.Role == store.RoleAdministrator, Self: c.User.ID == u.ID,
		Roles: []string{store.RoleExpert, store.RoleModerator, store.RoleAdministrator}}
	h.render(w, r, http.StatusOK, "staff_user", h.page(r, lang, "userTitle", "", p))
}

// SetRole changes an account's role (administrators only, never their
// own). The account's sessions end: a change of privilege takes a new
// login.
func (h *Handler) SetRole(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	role := r.PostFormValue("role")
	if u.ID == c.User.ID || !slices.Contains([]string{store.RoleExpert, store.RoleModerator, store.RoleAdministrator}, role) || u.Status != store.StatusApproved {
		seeOther(w, r, "/"+lang+"/staff/users/"+strconv.FormatInt(u.ID, 10))
		return
	}
	ctx := r.Context()
	if err := h.Store.SetRole(ctx, u.ID, role); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.Store.DeleteUserSessions(ctx, u.ID, "")
	h.audit(ctx, r, c.User.ID, "role.change", u.ID, u.Role+" → "+role)
	seeOther(w, r, "/"+lang+"/staff/users/"+strconv.FormatInt(u.ID, 10))
}

// SetGroups replaces an account's groups (administrators only).
func (h *Handler) SetGroups(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	ctx := r.Context()
	all, err := h.Store.Groups(ctx)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	r.ParseForm()
	var ids []int64
	var slugs []string
	for _, g := range all {
		if slices.Contains(r.PostForm["group"], g.Slug) {
			ids = append(ids, g.ID)
			slugs = append(slugs, g.Slug)
		}
	}
	if err := h.Store.SetUserGroups(ctx, u.ID, ids); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(ctx, r, c.User.ID, "groups.change", u.ID, strings.Join(slugs, ","))
	seeOther(w, r, "/"+lang+"/staff/users/"+strconv.FormatInt(u.ID, 10))
}

// SetVetterCountries limits a moderator's vetting to some countries.
func (h *Handler) SetVetterCountries(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	var codes []string
	for _, f := range strings.FieldsFunc(strings.ToUpper(r.PostFormValue("countries")), func(r rune) bool { return r == ',' || r == ' ' }) {
		if validCountry(f) && !slices.Contains(codes, f) {
			codes = append(codes, f)
		}
	}
	if err := h.Store.SetVetterCountries(r.Context(), u.ID, codes); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "vetter.countries", u.ID, strings.Join(codes, ","))
	seeOther(w, r, "/"+lang+"/staff/users/"+strconv.FormatInt(u.ID, 10))
}

// Suspend suspends an account with a reason and ends all its sessions at
// once; moderators cannot suspend staff.
func (h *Handler) Suspend(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelStaff)
	if !ok {
		return
	}
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	back := "/" + lang + "/staff/users/" + strconv.FormatInt(u.ID, 10)
	if u.ID == c.User.ID || (u.IsStaff() && c.User.Role != store.RoleAdministrator) {
		h.notFound(w, r, lang)
		return
	}
	if reason == "" {
		h.message(w, r, lang, http.StatusUnprocessableEntity, "userTitle", Message{Text: "errReasonRequired", Link: back, LinkT: "userTitle"})
		return
	}
	ctx := r.Context()
	if err := h.Store.SetUserStatus(ctx, u.ID, store.StatusSuspended, u.Role, reason, c.User.ID, h.Now().Unix()); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	n, _ := h.Store.DeleteUserSessions(ctx, u.ID, "")
	h.audit(ctx, r, c.User.ID, "account.suspend", u.ID, reason+" ("+strconv.FormatInt(n, 10)+" sessions ended)")
	h.sendMail(ctx, u.Email, u.Lang, "mailSuspendedSubject", "mailSuspendedBody", map[string]any{"Name": u.FullName, "Reason": reason})
	seeOther(w, r, back)
}

// Reinstate lifts a suspension (administrators only).
func (h *Handler) Reinstate(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	u, ok := h.target(w, r, lang)
	if !ok {
		return
	}
	if u.Status == store.StatusSuspended {
		if err := h.Store.SetUserStatus(r.Context(), u.ID, store.StatusApproved, u.Role, "", c.User.ID, h.Now().Unix()); err != nil {
			h.fail(w, r, lang, err)
			return
		}
		h.audit(r.Context(), r, c.User.ID, "account.reinstate", u.ID, "")
	}
	seeOther(w, r, "/"+lang+"/staff/users/"+strconv.FormatInt(u.ID, 10))
}

// CreateGroup adds a named group (administrators only).
func (h *Handler) CreateGroup(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	slug := slugify(name)
	if slug == "" || len(name) > 100 {
		seeOther(w, r, "/"+lang+"/staff/users")
		return
	}
	if _, err := h.Store.CreateGroup(r.Context(), slug, name); err != nil && !errors.Is(err, store.ErrDuplicate) {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "group.create", 0, slug)
	seeOther(w, r, r.PostFormValue("back"))
}

func slugify(s string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			sb.WriteRune(r)
			dash = false
		case !dash && sb.Len() > 0:
			sb.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(sb.String(), "-")
}

// Outbox shows the mail Polis has sent or kept (administrators only).
func (h *Handler) Outbox(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	mails, err := h.Store.Outbox(r.Context(), strings.TrimSpace(r.URL.Query().Get("to")), 200)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.render(w, r, http.StatusOK, "staff_outbox", h.page(r, lang, "outboxTitle", "", mails))
}

// Audit shows the audit log (administrators only).
func (h *Handler) Audit(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	f := auditFilter(r)
	entries, err := h.Store.AuditLog(r.Context(), f)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.render(w, r, http.StatusOK, "staff_audit", h.page(r, lang, "auditTitle", "", map[string]any{"Entries": entries, "Action": f.Action}))
}

func auditFilter(r *http.Request) store.AuditFilter {
	uid, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
	return store.AuditFilter{Action: r.URL.Query().Get("action"), UserID: uid, Limit: 500}
}

// AuditExport sends the audit log as CSV (administrators only); the export
// is itself audited.
func (h *Handler) AuditExport(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelAdmin)
	if !ok {
		return
	}
	f := auditFilter(r)
	f.Limit = 10000
	entries, err := h.Store.AuditLog(r.Context(), f)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "audit.export", 0, strconv.Itoa(len(entries))+" entries")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="polis-audit.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time_utc", "actor", "action", "target", "detail", "ip"})
	for _, e := range entries {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), time.Unix(e.At, 0).UTC().Format(time.RFC3339), csvSafe(e.Actor),
			e.Action, csvSafe(e.Target), csvSafe(e.Detail), e.IP})
	}
	cw.Flush()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
