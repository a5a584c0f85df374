package account

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/store"
)

// loginPage is the data of the login page.
type loginPage struct {
	Email   string
	Next    string
	Error   string // i18n key
	Minutes int    // for a lockout
}

// LoginShow shows the login form.
func (h *Handler) LoginShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	if c := session.FromContext(r.Context()); c.Complete() {
		seeOther(w, r, safeNext(lang, r.URL.Query().Get("next")))
		return
	}
	h.render(w, r, http.StatusOK, "login", h.page(r, lang, "loginTitle", "", loginPage{Next: r.URL.Query().Get("next")}))
}

// Login checks the password. Unknown addresses and wrong passwords get the
// same answer in the same time; failures count per account and per address
// with growing lockouts; the session identifier is new at every login.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	next := r.PostFormValue("next")
	ip := session.ClientIP(r)
	keys := auth.LimitKeys(email, ip)
	show := func(status int, errKey string, minutes int) {
		h.render(w, r, status, "login", h.page(r, lang, "loginTitle", "", loginPage{Email: email, Next: next, Error: errKey, Minutes: minutes}))
	}

	u, err := h.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, lang, err)
		return
	}
	var uid int64
	hash := ""
	if u != nil {
		uid, hash = u.ID, u.PasswordHash
	}
	if wait, err := h.Limiter.Locked(ctx, keys...); err != nil {
		h.fail(w, r, lang, err)
		return
	} else if wait > 0 {
		h.audit(ctx, r, 0, "login.locked", uid, email)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		show(http.StatusTooManyRequests, "errLocked", int(wait.Minutes())+1)
		return
	}
	good, rehash, err := h.Hasher.Verify(ctx, password, hash)
	if errors.Is(err, auth.ErrBusy) {
		h.busy(w, r, lang)
		return
	}
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if !good {
		locked, err := h.Limiter.Fail(ctx, keys...)
		if err != nil {
			h.fail(w, r, lang, err)
			return
		}
		h.audit(ctx, r, 0, "login.failure", uid, email)
		if locked {
			h.audit(ctx, r, 0, "login.lockout", uid, email)
		}
		show(http.StatusOK, "errLogin", 0)
		return
	}
	h.Limiter.Succeed(ctx, email)
	if rehash {
		if nh, err := h.Hasher.Hash(ctx, password); err == nil {
			h.Store.SetPasswordHash(ctx, u.ID, nh)
		}
	}
	switch u.Status {
	case store.StatusSuspended:
		h.audit(ctx, r, u.ID, "login.refused", u.ID, "suspended")
		h.message(w, r, lang, http.StatusForbidden, "suspendedTitle", Message{Text: "suspendedText"})
		return
	case store.StatusUnverified:
		h.message(w, r, lang, http.StatusForbidden, "unverifiedTitle", Message{Text: "unverifiedText"})
		return
	}
	needSecond := u.TOTPSecret != "" || h.needsTOTP(u)
	if _, err := h.Sessions.Start(w, r, u.ID, !needSecond); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	switch {
	case u.TOTPSecret != "":
		h.audit(ctx, r, u.ID, "login.password", u.ID, "")
		seeOther(w, r, "/"+lang+"/account/login/2fa?next="+neturl.QueryEscape(next))
	case needSecond:
		h.audit(ctx, r, u.ID, "login.password", u.ID, "must enrol 2fa")
		seeOther(w, r, "/"+lang+"/account/2fa")
	default:
		h.audit(ctx, r, u.ID, "login.success", u.ID, "password only")
		seeOther(w, r, safeNext(lang, next))
	}
}

// SecondShow asks for the TOTP code (or a recovery code).
func (h *Handler) SecondShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	c := session.FromContext(r.Context())
	switch {
	case !c.LoggedIn():
		seeOther(w, r, "/"+lang+"/account/login")
	case c.Complete():
		seeOther(w, r, safeNext(lang, r.URL.Query().Get("next")))
	case c.User.TOTPSecret == "":
		seeOther(w, r, "/"+lang+"/account/2fa")
	default:
		h.render(w, r, http.StatusOK, "login2fa", h.page(r, lang, "secondTitle", "", loginPage{Next: r.URL.Query().Get("next")}))
	}
}

// Second checks the code. A code is good once: the time step it matched
// must be later than the last one used, so a replayed code fails.
func (h *Handler) Second(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	c := session.FromContext(ctx)
	if !c.LoggedIn() || c.User.TOTPSecret == "" {
		seeOther(w, r, "/"+lang+"/account/login")
		return
	}
	u := c.User
	next := r.PostFormValue("next")
	code := strings.TrimSpace(r.PostFormValue("code"))
	keys := []string{"2fa:" + strconv.FormatInt(u.ID, 10)}
	show := func(status int, errKey string, minutes int) {
		h.render(w, r, status, "login2fa", h.page(r, lang, "secondTitle", "", loginPage{Next: next, Error: errKey, Minutes: minutes}))
	}
	if wait, err := h.Limiter.Locked(ctx, keys...); err != nil {
		h.fail(w, r, lang, err)
		return
	} else if wait > 0 {
		h.audit(ctx, r, u.ID, "login.locked", u.ID, "second factor")
		show(http.StatusTooManyRequests, "errLocked", int(wait.Minutes())+1)
		return
	}
	method, good, err := h.checkSecond(r, u, code)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	if !good {
		if locked, _ := h.Limiter.Fail(ctx, keys...); locked {
			h.audit(ctx, r, u.ID, "login.lockout", u.ID, "second factor")
		}
		h.audit(ctx, r, u.ID, "login.2fa_failure", u.ID, method)
		show(http.StatusOK, "errCode", 0)
		return
	}
	h.Store.ClearLoginFailures(ctx, keys[0])
	// A new identifier now that the login is complete.
	if _, err := h.Sessions.Start(w, r, u.ID, true); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(ctx, r, u.ID, "login.success", u.ID, method)
	seeOther(w, r, safeNext(lang, next))
}

// checkSecond checks a TOTP code or, when it looks like one, a recovery
// code. It reports which was tried.
func (h *Handler) checkSecond(r *http.Request, u *store.User, code string) (method string, good bool, err error) {
	ctx := r.Context()
	if len(code) > 8 {
		used, err := h.Store.UseRecoveryCode(ctx, u.ID, h.Keys.HashRecoveryCode(code), h.Now().Unix())
		if used {
			h.audit(ctx, r, u.ID, "2fa.recovery_used", u.ID, "")
		}
		return "recovery code", used, err
	}
	secret, err := h.Keys.Open(u.TOTPSecret)
	if err != nil {
		return "totp", false, err
	}
	step, ok := auth.CheckTOTP(secret, code, h.Now())
	if !ok {
		return "totp", false, nil
	}
	fresh, err := h.Store.UseTOTPStep(ctx, u.ID, step)
	if err == nil && !fresh {
		h.audit(ctx, r, u.ID, "login.2fa_replay", u.ID, "")
	}
	return "totp", fresh, err
}

// twoFactorPage is the data of the 2FA page.
type twoFactorPage struct {
	Enabled   bool
	Pending   string        // sealed secret being enrolled
	QR        template.HTML // inline SVG
	Secret    string        // for typing into an app by hand
	Codes     []string      // recovery codes, shown once
	CodesLeft int
	Error     string
	Required  bool
}

// TwoFactorShow shows enrolment (a new secret with its QR code) or, when
// enrolled, the state and the recovery codes left. A login that must enrol
// before it is complete lands here.
func (h *Handler) TwoFactorShow(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	c := session.FromContext(r.Context())
	if !c.LoggedIn() {
		seeOther(w, r, "/"+lang+"/account/login")
		return
	}
	if c.User.TOTPSecret != "" {
		if !c.SecondFactor {
			seeOther(w, r, "/"+lang+"/account/login/2fa")
			return
		}
		left, err := h.Store.RecoveryCodesLeft(r.Context(), c.User.ID)
		if err != nil {
			h.fail(w, r, lang, err)
			return
		}
		h.render(w, r, http.StatusOK, "twofactor", h.page(r, lang, "twoFactorTitle", "", twoFactorPage{Enabled: true, CodesLeft: left}))
		return
	}
	p, err := h.newEnrolment(c.User, "")
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	p.Required = h.needsTOTP(c.User)
	h.render(w, r, http.StatusOK, "twofactor", h.page(r, lang, "twoFactorTitle", "", p))
}

// newEnrolment makes a secret, sealed with the user's ID so that it cannot
// be replayed into another account's form.
func (h *Handler) newEnrolment(u *store.User, errKey string) (twoFactorPage, error) {
	secret, otpURL, err := auth.NewTOTP("Polis", u.Email)
	if err != nil {
		return twoFactorPage{}, err
	}
	qr, err := auth.QRCodeSVG(otpURL)
	if err != nil {
		return twoFactorPage{}, err
	}
	return twoFactorPage{Pending: h.Keys.Seal(fmt.Sprintf("%d:%s", u.ID, secret)), QR: qr, Secret: secret, Error: errKey}, nil
}

// TwoFactorEnrol confirms enrolment with a first code, stores the secret,
// and shows ten recovery codes once. The login becomes complete with a new
// session identifier.
func (h *Handler) TwoFactorEnrol(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	c := session.FromContext(ctx)
	if !c.LoggedIn() || c.User.TOTPSecret != "" {
		seeOther(w, r, "/"+lang+"/account/2fa")
		return
	}
	u := c.User
	opened, err := h.Keys.Open(r.PostFormValue("pending"))
	uidText, secret, found := strings.Cut(opened, ":")
	if err != nil || !found || uidText != strconv.FormatInt(u.ID, 10) {
		h.audit(ctx, r, u.ID, "2fa.enrol_refused", u.ID, "bad pending secret")
		seeOther(w, r, "/"+lang+"/account/2fa")
		return
	}
	step, good := auth.CheckTOTP(secret, r.PostFormValue("code"), h.Now())
	if !good {
		p := twoFactorPage{Pending: r.PostFormValue("pending"), Secret: secret, Error: "errCode", Required: h.needsTOTP(u)}
		if qr, err := auth.QRCodeSVG(otpauthURL(u.Email, secret)); err == nil {
			p.QR = qr
		}
		h.render(w, r, http.StatusOK, "twofactor", h.page(r, lang, "twoFactorTitle", "", p))
		return
	}
	if err := h.Store.SetTOTP(ctx, u.ID, h.Keys.Seal(secret)); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.Store.UseTOTPStep(ctx, u.ID, step)
	codes, err := h.newRecoveryCodes(r, u.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(ctx, r, u.ID, "2fa.enrol", u.ID, "")
	if _, err := h.Sessions.Start(w, r, u.ID, true); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	// The page is rendered for the new session (its CSRF token).
	fresh, err := h.Sessions.Load(requestWithCookie(r, w, h.Sessions.CookieName()))
	if err == nil && fresh != nil {
		r = r.WithContext(session.WithCurrent(ctx, fresh))
	}
	h.audit(ctx, r, u.ID, "login.success", u.ID, "totp enrolment")
	h.render(w, r, http.StatusOK, "twofactor", h.page(r, lang, "twoFactorTitle", "", twoFactorPage{Enabled: true, Codes: codes, CodesLeft: len(codes)}))
}

// otpauthURL rebuilds the enrolment URL of a secret for the QR code.
func otpauthURL(email, secret string) string {
	q := neturl.Values{"algorithm": {"SHA1"}, "digits": {"6"}, "issuer": {"Polis"}, "period": {"30"}, "secret": {secret}}
	u := neturl.URL{Scheme: "otpauth", Host: "totp", Path: "/Polis:" + email, RawQuery: q.Encode()}
	return u.String()
}

func (h *Handler) newRecoveryCodes(r *http.Request, uid int64) ([]string, error) {
	codes := auth.NewRecoveryCodes(10)
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = h.Keys.HashRecoveryCode(c)
	}
	return codes, h.Store.ReplaceRecoveryCodes(r.Context(), uid, hashes)
}

// RecoveryCodes replaces the recovery codes with ten new ones.
func (h *Handler) RecoveryCodes(w http.ResponseWriter, r *http.Request) {
	lang, c, ok := h.enter(w, r, levelSignedIn)
	if !ok {
		return
	}
	if c.User.TOTPSecret == "" {
		seeOther(w, r, "/"+lang+"/account/2fa")
		return
	}
	codes, err := h.newRecoveryCodes(r, c.User.ID)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	h.audit(r.Context(), r, c.User.ID, "2fa.recovery_regenerate", c.User.ID, "")
	h.render(w, r, http.StatusOK, "twofactor", h.page(r, lang, "twoFactorTitle", "", twoFactorPage{Enabled: true, Codes: codes, CodesLeft: len(codes)}))
}

// Logout ends the session on the server and clears the cookie.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.lang(w, r)
	if !ok {
		return
	}
	c := session.FromContext(r.Context())
	if c.LoggedIn() {
		h.audit(r.Context(), r, c.User.ID, "logout", c.User.ID, "")
	}
	if err := h.Sessions.End(w, r); err != nil {
		h.fail(w, r, lang, err)
		return
	}
	seeOther(w, r, "/"+lang+"/")
}

// requestWithCookie returns r carrying the session cookie just set on w,
// so the rest of the request sees the new session.
func requestWithCookie(r *http.Request, w http.ResponseWriter, name string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	for _, line := range w.Header().Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == name {
			r2.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	return r2
}
