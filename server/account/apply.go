package account

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/store"
)

// applyForm is the application form, as typed.
type applyForm struct {
	FullName, Email, Organisation, Country, Function, Justification string
	Expertise, Languages                                            []string
	Terms                                                           bool
	Invite                                                          string
	Errors                                                          map[string]string // field → i18n key
}

// applyPage is the data of the application page.
type applyPage struct {
	Form         applyForm
	OSCE, Others []Choice
	Expertise    []string
	Languages    []Choice
	MinPassword  int
}

func (h *Handler) applyPage(lang string, f applyForm) applyPage {
	osce, others := Countries(lang)
	return applyPage{Form: f, OSCE: osce, Others: others, Expertise: Expertise, Languages: Languages(), MinPassword: auth.MinPasswordLength}
}

// ApplyShow shows the application form; an invitation link fills in the
// invited address.
func (h *Handler) ApplyShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	f := applyForm{Invite: r.URL.Query().Get("invite")}
	if f.Invite != "" {
		t, err := h.Store.PeekToken(r.Context(), auth.HashToken(f.Invite), store.TokenInvite, h.Now().Unix())
		if err != nil {
			h.message(w, r, lang, http.StatusNotFound, "inviteInvalidTitle", Message{Text: "inviteInvalidText", Link: "/" + lang + "/account/apply", LinkT: "applyTitle"})
			return
		}
		f.Email = t.Email
	}
	h.render(w, r, http.StatusOK, "apply", h.page(r, lang, "applyTitle", "", h.applyPage(lang, f)))
}

// Apply takes an application: the account waits unverified until its
// address is confirmed, then in the vetting queue.
func (h *Handler) Apply(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f, password := readApplyForm(r)
	var invite *store.Token
	if f.Invite != "" {
		t, err := h.Store.PeekToken(ctx, auth.HashToken(f.Invite), store.TokenInvite, h.Now().Unix())
		if err != nil || !strings.EqualFold(t.Email, f.Email) {
			f.Errors["email"] = "errInviteEmail"
		} else {
			invite = t
		}
	}
	if len(f.Errors) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "apply", h.page(r, lang, "applyTitle", "", h.applyPage(lang, f)))
		return
	}
	hash, err := h.Hasher.Hash(ctx, password)
	if errors.Is(err, auth.ErrBusy) {
		h.busy(w, r, lang)
		return
	}
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	u := &store.User{Email: f.Email, FullName: f.FullName, Organisation: f.Organisation, Country: f.Country,
		Function: f.Function, Expertise: f.Expertise, Languages: f.Languages, Justification: f.Justification,
		Role: store.RoleApplicant, Status: store.StatusUnverified, PasswordHash: hash, Lang: lang, CreatedAt: h.Now().Unix()}
	if invite != nil {
		// The invitation is used now, once; the applicant goes first.
		if _, err := h.Store.UseToken(ctx, invite.Hash, store.TokenInvite, h.Now().Unix()); err != nil {
			f.Errors["email"] = "errInviteEmail"
			h.render(w, r, http.StatusUnprocessableEntity, "apply", h.page(r, lang, "applyTitle", "", h.applyPage(lang, f)))
			return
		}
		u.InvitedBy = invite.CreatedBy
		u.QueuePriority = 1
	}
	err = h.Store.CreateUser(ctx, u)
	if errors.Is(err, store.ErrDuplicate) {
		// Say nothing on the page about whether the address has an account;
		// tell the address's owner instead.
		h.sendMail(ctx, f.Email, lang, "mailDuplicateSubject", "mailDuplicateBody", map[string]any{"Login": h.link("/" + lang + "/account/login")})
		h.audit(ctx, r, 0, "apply.duplicate", 0, f.Email)
		h.message(w, r, lang, http.StatusOK, "applyDoneTitle", Message{Text: "applyDoneText"})
		return
	}
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	detail := ""
	if invite != nil {
		detail = "invited"
		h.audit(ctx, r, u.ID, "invite.use", invite.CreatedBy, "")
	}
	h.audit(ctx, r, u.ID, "apply", u.ID, detail)
	if err := h.sendVerification(ctx, u); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.message(w, r, lang, http.StatusOK, "applyDoneTitle", Message{Text: "applyDoneText"})
}

// sendVerification mails a single-use link that confirms the address.
func (h *Handler) sendVerification(ctx context.Context, u *store.User) error {
	token, hash := auth.NewToken()
	now := h.Now()
	if err := h.Store.CreateToken(ctx, &store.Token{Hash: hash, Kind: store.TokenVerify, UserID: u.ID, Email: u.Email,
		CreatedAt: now.Unix(), ExpiresAt: now.Add(h.Policy.VerifyTTL).Unix()}); err != nil {
		return err
	}
	link := h.link("/" + u.Lang + "/account/verify?token=" + url.QueryEscape(token))
	return h.sendMail(ctx, u.Email, u.Lang, "mailVerifySubject", "mailVerifyBody", map[string]any{"Name": u.FullName, "Link": link, "Hours": int(h.Policy.VerifyTTL.Hours())})
}

func readApplyForm(r *http.Request) (applyForm, string) {
	r.ParseForm()
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := applyForm{
		FullName: v("full_name"), Email: strings.ToLower(v("email")), Organisation: v("organisation"),
		Country: strings.ToUpper(v("country")), Function: v("function"), Justification: v("justification"),
		Expertise: filterKnown(r.PostForm["expertise"], Expertise), Languages: filterKnown(r.PostForm["languages"], WorkingLanguages),
		Terms: r.PostFormValue("terms") == "yes", Invite: v("invite"), Errors: map[string]string{},
	}
	password := r.PostFormValue("password")
	textField(f.Errors, "full_name", f.FullName, 2, 200)
	textField(f.Errors, "organisation", f.Organisation, 2, 200)
	textField(f.Errors, "function", f.Function, 2, 200)
	textField(f.Errors, "justification", f.Justification, 20, 2000)
	if !validEmail(f.Email) {
		f.Errors["email"] = "errEmail"
	}
	if !validCountry(f.Country) {
		f.Errors["country"] = "errChoose"
	}
	if len(f.Expertise) == 0 {
		f.Errors["expertise"] = "errChooseOne"
	}
	if len(f.Languages) == 0 {
		f.Errors["languages"] = "errChooseOne"
	}
	if !f.Terms {
		f.Errors["terms"] = "errTerms"
	}
	if key := passwordError(password, r.PostFormValue("password2"), f.Email); key != "" {
		f.Errors["password"] = key
	}
	return f, password
}

// textField checks a required text's length in characters.
func textField(errs map[string]string, name, value string, minLen, maxLen int) {
	n := utf8.RuneCountInString(value)
	switch {
	case n == 0:
		errs[name] = "errRequired"
	case n < minLen:
		errs[name] = "errTooShort"
	case n > maxLen:
		errs[name] = "errTooLong"
	}
}

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

// passwordError returns the i18n key of what is wrong with a new password.
func passwordError(password, confirm, email string) string {
	switch err := auth.CheckPassword(password, email); {
	case errors.Is(err, auth.ErrPasswordShort):
		return "errPasswordShort"
	case errors.Is(err, auth.ErrPasswordCommon):
		return "errPasswordCommon"
	case errors.Is(err, auth.ErrPasswordPersonal):
		return "errPasswordPersonal"
	}
	if password != confirm {
		return "errPasswordMismatch"
	}
	return ""
}

// busy answers when too many password checks are running.
func (h *Handler) busy(w http.ResponseWriter, r *http.Request, lang string) {
	w.Header().Set("Retry-After", "5")
	h.message(w, r, lang, http.StatusServiceUnavailable, "busyTitle", Message{Text: "busyText"})
}

// VerifyShow asks the reader to confirm the address: a link in a mail must
// not change anything by being fetched (mail scanners fetch links).
func (h *Handler) VerifyShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	token := r.URL.Query().Get("token")
	if _, err := h.Store.PeekToken(r.Context(), auth.HashToken(token), store.TokenVerify, h.Now().Unix()); err != nil {
		h.message(w, r, lang, http.StatusNotFound, "verifyInvalidTitle", Message{Text: "verifyInvalidText"})
		return
	}
	h.render(w, r, http.StatusOK, "verify", h.page(r, lang, "verifyTitle", "", map[string]string{"Token": token}))
}

// Verify uses the token: the application enters the vetting queue, or an
// invited applicant is approved at once when the policy says so.
func (h *Handler) Verify(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	t, err := h.Store.UseToken(ctx, auth.HashToken(r.PostFormValue("token")), store.TokenVerify, h.Now().Unix())
	if err != nil {
		h.message(w, r, lang, http.StatusNotFound, "verifyInvalidTitle", Message{Text: "verifyInvalidText"})
		return
	}
	u, err := h.Store.UserByID(ctx, t.UserID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if err := h.Store.MarkVerified(ctx, u.ID, h.Now().Unix()); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(ctx, r, u.ID, "email.verify", u.ID, "")
	if u.InvitedBy != 0 && h.Policy.InviteSkipsQueue {
		if err := h.Store.SetUserStatus(ctx, u.ID, store.StatusApproved, store.RoleExpert, "invited", u.InvitedBy, h.Now().Unix()); err != nil {
			h.fail(w, r, lang, err)
			return
		}
		h.audit(ctx, r, u.InvitedBy, "vetting.approve", u.ID, "invitation")
		h.message(w, r, lang, http.StatusOK, "verifiedTitle", Message{Text: "verifiedInvitedText", Link: "/" + lang + "/account/login", LinkT: "loginTitle"})
		return
	}
	h.message(w, r, lang, http.StatusOK, "verifiedTitle", Message{Text: "verifiedText", Link: "/" + lang + "/account/login", LinkT: "loginTitle"})
}
