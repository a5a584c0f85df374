package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/store"
)

// accountPage is the data of the account page.
type accountPage struct {
	Form         applyForm // the profile, in the application's fields
	Listed       bool
	OSCE, Others []Choice
	Expertise    []string
	Languages    []Choice
	CountryName  string
	Saved        bool
	CanInvite    bool
	TwoFactor    bool
}

// Show is the account page: the application's status for applicants, the
// profile and the account's tools for members.
func (h *Handler) Show(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "account", h.page(r, lang, "accountTitle", "", h.accountPage(lang, c.User, r.URL.Query().Get("saved") == "1", nil)))
}

func (h *Handler) accountPage(lang string, u *store.User, saved bool, errs map[string]string) accountPage {
	osce, others := Countries(lang)
	if errs == nil {
		errs = map[string]string{}
	}
	return accountPage{
		Form: applyForm{FullName: u.FullName, Email: u.Email, Organisation: u.Organisation, Country: u.Country,
			Function: u.Function, Expertise: u.Expertise, Languages: u.Languages, Errors: errs},
		Listed: u.Listed, OSCE: osce, Others: others, Expertise: Expertise, Languages: Languages(),
		CountryName: CountryName(lang, u.Country), Saved: saved, CanInvite: u.CanEnter(), TwoFactor: u.TOTPSecret != "",
	}
}

// SaveProfile saves the member's profile and directory listing choice.
func (h *Handler) SaveProfile(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	p := store.Profile{FullName: v("full_name"), Organisation: v("organisation"), Country: strings.ToUpper(v("country")),
		Function: v("function"), Expertise: filterKnown(r.PostForm["expertise"], Expertise),
		Languages: filterKnown(r.PostForm["languages"], WorkingLanguages), Listed: r.PostFormValue("listed") == "yes", Lang: lang}
	errs := map[string]string{}
	textField(errs, "full_name", p.FullName, 2, 200)
	textField(errs, "organisation", p.Organisation, 2, 200)
	textField(errs, "function", p.Function, 2, 200)
	if !validCountry(p.Country) {
		errs["country"] = "errChoose"
	}
	if len(errs) > 0 {
		u := *c.User
		u.FullName, u.Organisation, u.Country, u.Function, u.Expertise, u.Languages, u.Listed = p.FullName, p.Organisation, p.Country, p.Function, p.Expertise, p.Languages, p.Listed
		h.render(w, r, http.StatusUnprocessableEntity, "account", h.page(r, lang, "accountTitle", "", h.accountPage(lang, &u, false, errs)))
		return
	}
	if err := h.Store.UpdateProfile(r.Context(), c.User.ID, p); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "profile.update", c.User.ID, "")
	seeOther(w, r, "/"+lang+"/account/?saved=1")
}

// sessionsPage lists the member's sessions.
type sessionsPage struct {
	Sessions []*store.Session
	Current  string
	Ended    int
}

// SessionsShow lists the active sessions.
func (h *Handler) SessionsShow(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	list, err := h.Store.UserSessions(r.Context(), c.User.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.render(w, r, http.StatusOK, "sessions", h.page(r, lang, "sessionsTitle", "", sessionsPage{Sessions: list, Current: c.Hash}))
}

// EndSessions signs out of other devices (scope=others) or of all of them,
// this one included (scope=all).
func (h *Handler) EndSessions(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	keep := c.Hash
	if r.PostFormValue("scope") == "all" {
		keep = ""
	}
	n, err := h.Store.DeleteUserSessions(r.Context(), c.User.ID, keep)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "sessions.end", c.User.ID, fmt.Sprintf("%s: %d ended", r.PostFormValue("scope"), n))
	if keep == "" {
		h.Sessions.End(w, r)
		seeOther(w, r, "/"+lang+"/account/login")
		return
	}
	seeOther(w, r, "/"+lang+"/account/sessions")
}

// passwordPage is the data of the password page.
type passwordPage struct {
	Errors      map[string]string
	Done        bool
	MinPassword int
}

// PasswordShow shows the change-password form.
func (h *Handler) PasswordShow(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "password", h.page(r, lang, "passwordTitle", "", passwordPage{Errors: map[string]string{}, Done: r.URL.Query().Get("done") == "1", MinPassword: auth.MinPasswordLength}))
}

// ChangePassword checks the current password, sets the new one and ends
// every other session.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	ctx := r.Context()
	errs := map[string]string{}
	good, _, err := h.Hasher.Verify(ctx, r.PostFormValue("current"), c.User.PasswordHash)
	if errors.Is(err, auth.ErrBusy) {
		h.busy(w, r, lang)
		return
	}
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if !good {
		errs["current"] = "errCurrentPassword"
		h.audit(ctx, r, c.User.ID, "password.change_refused", c.User.ID, "")
	} else if key := passwordError(r.PostFormValue("password"), r.PostFormValue("password2"), c.User.Email); key != "" {
		errs["password"] = key
	}
	if len(errs) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "password", h.page(r, lang, "passwordTitle", "", passwordPage{Errors: errs, MinPassword: auth.MinPasswordLength}))
		return
	}
	hash, err := h.Hasher.Hash(ctx, r.PostFormValue("password"))
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if err := h.Store.SetPasswordHash(ctx, c.User.ID, hash); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.Store.DeleteUserSessions(ctx, c.User.ID, c.Hash)
	h.audit(ctx, r, c.User.ID, "password.change", c.User.ID, "other sessions ended")
	seeOther(w, r, "/"+lang+"/account/password?done=1")
}

// Data sends everything Polis holds about the member as JSON, without
// secrets (password hash, TOTP secret).
func (h *Handler) Data(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	ctx := r.Context()
	u := c.User
	sessions, err := h.Store.UserSessions(ctx, u.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	events, err := h.Store.AuditLog(ctx, store.AuditFilter{UserID: u.ID, Limit: 10000})
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	type sessionOut struct {
		Started, LastSeen int64
		IP, UserAgent     string
	}
	type eventOut struct {
		At             int64
		Action, Detail string
		IP             string
	}
	posts, err := h.Store.PostsByAuthor(ctx, u.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	drafts, err := h.Store.LibraryDrafts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	out := struct {
		Email, FullName, Organisation, Country, Function, Justification string
		Expertise, Languages, Groups                                    []string
		Role, Status, StatusReason                                      string
		ListedInDirectory, TwoFactor                                    bool
		CreatedAt, VerifiedAt, DecidedAt, DeletionRequestedAt           int64
		Handle, ForumMail                                               string
		Sessions                                                        []sessionOut
		SecurityEvents                                                  []eventOut
		ForumPosts                                                      []store.AuthoredPost
		LibraryDrafts                                                   []store.LibraryDraft
	}{LibraryDrafts: drafts, Handle: u.Handle, ForumMail: u.NotifyEmail, ForumPosts: posts, Email: u.Email, FullName: u.FullName, Organisation: u.Organisation, Country: u.Country, Function: u.Function,
		Justification: u.Justification, Expertise: u.Expertise, Languages: u.Languages, Groups: u.Groups, Role: u.Role,
		Status: u.Status, StatusReason: u.StatusReason, ListedInDirectory: u.Listed, TwoFactor: u.TOTPSecret != "",
		CreatedAt: u.CreatedAt, VerifiedAt: u.VerifiedAt, DecidedAt: u.DecidedAt, DeletionRequestedAt: u.DeletionAt}
	for _, s := range sessions {
		out.Sessions = append(out.Sessions, sessionOut{s.CreatedAt, s.LastSeen, s.IP, s.UserAgent})
	}
	for _, e := range events {
		out.SecurityEvents = append(out.SecurityEvents, eventOut{e.At, e.Action, e.Detail, e.IP})
	}
	h.audit(ctx, r, u.ID, "data.export", u.ID, "")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="polis-my-data.json"`)
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// RequestDeletion records the member's request that the account be deleted;
// administrators see it in the user list.
func (h *Handler) RequestDeletion(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		seeOther(w, r, "/"+lang+"/account/")
		return
	}
	if err := h.Store.RequestDeletion(r.Context(), c.User.ID, h.Now().Unix()); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "account.deletion_request", c.User.ID, "")
	h.message(w, r, lang, http.StatusOK, "deletionTitle", Message{Text: "deletionText", Link: "/" + lang + "/account/", LinkT: "accountTitle"})
}

// invitePage is the data of the invitation page.
type invitePage struct {
	Email string
	Link  string
	Error string
	Days  int
}

// InviteShow shows the invitation form (experts and staff).
func (h *Handler) InviteShow(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.enter(w, r, levelExpert)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "invite", h.page(r, lang, "inviteTitle", "", invitePage{Days: int(h.Policy.InviteTTL.Hours() / 24)}))
}

// Invite creates a single-use, expiring invitation for one named address,
// mails it, and shows the link once.
func (h *Handler) Invite(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelExpert)
	if !ok {
		return
	}
	ctx := r.Context()
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	p := invitePage{Email: email, Days: int(h.Policy.InviteTTL.Hours() / 24)}
	if !validEmail(email) {
		p.Error = "errEmail"
		h.render(w, r, http.StatusUnprocessableEntity, "invite", h.page(r, lang, "inviteTitle", "", p))
		return
	}
	token, hash := auth.NewToken()
	now := h.Now()
	if err := h.Store.CreateToken(ctx, &store.Token{Hash: hash, Kind: store.TokenInvite, Email: email, CreatedBy: c.User.ID,
		CreatedAt: now.Unix(), ExpiresAt: now.Add(h.Policy.InviteTTL).Unix()}); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	p.Link = h.link("/" + lang + "/account/apply?invite=" + url.QueryEscape(token))
	if err := h.sendMail(ctx, email, lang, "mailInviteSubject", "mailInviteBody", map[string]any{"Name": c.User.FullName, "Link": p.Link, "Days": p.Days}); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(ctx, r, c.User.ID, "invite.create", 0, email)
	h.render(w, r, http.StatusOK, "invite", h.page(r, lang, "inviteTitle", "", p))
}

// directoryPage is the data of the expert directory.
type directoryPage struct {
	Experts                  []*store.User
	Country, Expertise, Lang string
	Countries                []Choice
	ExpertiseKeys            []string
	Languages                []Choice
	CountryNames, LangNames  map[string]string
}

// Directory is the expert directory: vetted experts who chose to be listed,
// filtered by country, expertise and working language. Experts only.
func (h *Handler) Directory(w http.ResponseWriter, r *http.Request) {
	lang, _, ok := h.enter(w, r, levelExpert)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := store.UserFilter{Status: store.StatusApproved, Listed: true, Country: strings.ToUpper(q.Get("country")),
		Expertise: q.Get("expertise"), Language: q.Get("language"), Limit: 500}
	if f.Country != "" && !validCountry(f.Country) {
		f.Country = ""
	}
	list, err := h.Store.Users(r.Context(), f)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	var experts []*store.User
	for _, u := range list {
		if u.Role != store.RoleApplicant {
			experts = append(experts, u)
		}
	}
	osce, others := Countries(lang)
	p := directoryPage{Experts: experts, Country: f.Country, Expertise: f.Expertise, Lang: f.Language,
		Countries: append(osce, others...), ExpertiseKeys: Expertise, Languages: Languages(),
		CountryNames: map[string]string{}, LangNames: map[string]string{}}
	for _, c := range p.Countries {
		p.CountryNames[c.Code] = c.Name
	}
	for _, l := range p.Languages {
		p.LangNames[l.Code] = l.Name
	}
	h.render(w, r, http.StatusOK, "directory", h.page(r, lang, "directoryTitle", "menuExperts", p))
}

// SetupShow shows the first-start form that creates the first
// administrator, reached by the one-time link `polis serve` prints.
func (h *Handler) SetupShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	token := r.URL.Query().Get("token")
	if _, err := h.Store.PeekToken(r.Context(), auth.HashToken(token), store.TokenSetup, h.Now().Unix()); err != nil {
		h.message(w, r, lang, http.StatusNotFound, "setupInvalidTitle", Message{Text: "setupInvalidText"})
		return
	}
	osce, others := Countries(lang)
	h.render(w, r, http.StatusOK, "setup", h.page(r, lang, "setupTitle", "", setupPage{Token: token, OSCE: osce, Others: others, Form: applyForm{Errors: map[string]string{}}, MinPassword: auth.MinPasswordLength}))
}

type setupPage struct {
	Token        string
	Form         applyForm
	OSCE, Others []Choice
	MinPassword  int
}

// Setup creates the first administrator, who then must enrol a second
// factor before anything else.
func (h *Handler) Setup(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	token := r.PostFormValue("token")
	if _, err := h.Store.PeekToken(ctx, auth.HashToken(token), store.TokenSetup, h.Now().Unix()); err != nil {
		h.message(w, r, lang, http.StatusNotFound, "setupInvalidTitle", Message{Text: "setupInvalidText"})
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := applyForm{FullName: v("full_name"), Email: strings.ToLower(v("email")), Organisation: v("organisation"), Country: strings.ToUpper(v("country")), Errors: map[string]string{}}
	textField(f.Errors, "full_name", f.FullName, 2, 200)
	textField(f.Errors, "organisation", f.Organisation, 2, 200)
	if !validEmail(f.Email) {
		f.Errors["email"] = "errEmail"
	}
	if !validCountry(f.Country) {
		f.Errors["country"] = "errChoose"
	}
	if key := passwordError(r.PostFormValue("password"), r.PostFormValue("password2"), f.Email); key != "" {
		f.Errors["password"] = key
	}
	if len(f.Errors) > 0 {
		osce, others := Countries(lang)
		h.render(w, r, http.StatusUnprocessableEntity, "setup", h.page(r, lang, "setupTitle", "", setupPage{Token: token, Form: f, OSCE: osce, Others: others, MinPassword: auth.MinPasswordLength}))
		return
	}
	hash, err := h.Hasher.Hash(ctx, r.PostFormValue("password"))
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if _, err := h.Store.UseToken(ctx, auth.HashToken(token), store.TokenSetup, h.Now().Unix()); err != nil {
		h.message(w, r, lang, http.StatusNotFound, "setupInvalidTitle", Message{Text: "setupInvalidText"})
		return
	}
	now := h.Now().Unix()
	u := &store.User{Email: f.Email, FullName: f.FullName, Organisation: f.Organisation, Country: f.Country, Function: "administrator",
		Role: store.RoleAdministrator, Status: store.StatusApproved, PasswordHash: hash, Lang: lang, CreatedAt: now}
	if err := h.Store.CreateUser(ctx, u); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.Store.MarkVerified(ctx, u.ID, now)
	h.audit(ctx, r, u.ID, "setup.administrator", u.ID, "")
	if _, err := h.Sessions.Start(w, r, u.ID, false); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	seeOther(w, r, "/"+lang+"/account/2fa")
}
