package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/search/glossary"
	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/forum"
	"github.com/polis-portal/polis/server/indexer"
	"github.com/polis-portal/polis/server/library"
	"github.com/polis-portal/polis/server/mail"
	"github.com/polis-portal/polis/server/metrics"
	"github.com/polis-portal/polis/server/practice"
	"github.com/polis-portal/polis/server/searchpage"
	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/sitetest"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/workshop"
)

// accountServer is the real server with accounts, over httptest.
type accountServer struct {
	srv      *httptest.Server
	deps     Deps
	acc      *account.Handler
	forum    *forum.Handler
	workshop *workshop.Handler
	practice *practice.Handler
	library  *library.Handler
	indexer  *indexer.Indexer
	logs     *syncBuffer // everything the server logged
	now      time.Time
}

func newAccountServer(t testing.TB) *accountServer { return newAccountServerOn(t, "") }

// newAccountServerOn is newAccountServer on a given database (dsn; ""
// makes a new one of the tests' backend), with its own data folder and
// search index: two of them on one database are two servers.
func newAccountServerOn(t testing.TB, dsn string) *accountServer {
	t.Helper()
	logs := &syncBuffer{}
	d := newDepsDSN(t, sitetest.Root(t), sitetest.Built(t), logs, dsn)
	keys, _ := auth.NewKeys([]byte(strings.Repeat("s", 64)))
	as := &accountServer{deps: d, now: time.Now(), logs: logs}
	clock := func() time.Time { return as.now }
	d.Sessions = session.NewStore(d.Store, session.Config{})
	d.Sessions.Now = clock
	lim := auth.NewLimiter(d.Store)
	lim.Now = clock
	as.acc = &account.Handler{Store: d.Store, Sessions: d.Sessions, Hasher: auth.NewHasher(auth.Params{Memory: 19 * 1024, Time: 2, Threads: 1}, 4),
		Keys: keys, Limiter: lim, Web: d.Web, Catalog: d.Catalog, Site: d.Site, Log: d.Log, Policy: account.DefaultPolicy, Now: clock,
		Mailer: &mail.Mailer{Store: d.Store, Log: d.Log, Now: clock}}
	d.Account = as.acc
	d.Metrics = metrics.New()
	as.acc.Metrics = d.Metrics
	as.forum = &forum.Handler{Gate: as.acc, Store: d.Store, Files: &attachment.Store{Dir: filepath.Join(t.TempDir(), "attachments")},
		Catalog: d.Catalog, Site: d.Site, Mailer: as.acc.Mailer, Log: d.Log, Limits: forum.DefaultLimits, Now: clock}
	as.acc.Notices = as.forum.Notices
	d.Forum = as.forum
	as.workshop = &workshop.Handler{Gate: as.acc, Store: d.Store, Files: as.forum.Files, Catalog: d.Catalog, Site: d.Site, Log: d.Log,
		FileBytes: forum.DefaultLimits.FileBytes, Now: clock}
	d.Workshop = as.workshop
	as.practice = &practice.Handler{Gate: as.acc, Store: d.Store, Catalog: d.Catalog, Site: d.Site, Log: d.Log, Now: clock}
	seeds, err := practice.LoadSeeds(filepath.Join(d.Config.Site, "content"), d.Site.Codes())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := practice.Sync(context.Background(), d.Store, seeds, as.now, d.Log); err != nil {
		t.Fatal(err)
	}
	if cps, err := practice.LoadContactPoints(filepath.Join(d.Config.Site, "content", "_experts", "contact-points.toml")); err == nil {
		as.practice.Contacts = cps
	}
	d.Practice = as.practice
	gl, err := glossary.Load(filepath.Join(d.Config.Site, "content", "_data", "glossary.toml"))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Load(filepath.Join(d.Config.Site, "content"), d.Site.Codes(), gl)
	if err != nil {
		t.Fatal(err)
	}
	as.library = &library.Handler{Gate: as.acc, Lib: lib, Matcher: library.NewMatcher(lib, gl), Store: d.Store, Catalog: d.Catalog,
		Site: d.Site, Log: d.Log, Now: clock}
	d.Library = as.library
	as.indexer = &indexer.Indexer{Index: d.Index, Store: d.Store, Library: lib, Glossary: gl, Site: d.Site, Public: d.Config.Public, Log: d.Log}
	d.Index.Text = as.indexer.Text
	d.Search = &searchpage.Handler{Gate: as.acc, Index: d.Index, Glossary: gl, Catalog: d.Catalog, Site: d.Site, Log: d.Log}
	as.deps = d
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	as.srv = httptest.NewServer(h)
	t.Cleanup(as.srv.Close)
	return as
}

// client is one browser: cookies kept, redirects not followed.
type client struct {
	t    testing.TB
	as   *accountServer
	http *http.Client
}

func (as *accountServer) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, as: as, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (int, string, http.Header) {
	c.t.Helper()
	res, err := c.http.Get(c.as.srv.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (c *client) post(path string, form url.Values, header ...string) (int, string, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.as.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (c *client) cookie() string {
	u, _ := url.Parse(c.as.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "polis_session" {
			return ck.Value
		}
	}
	return ""
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's token from a page.
func (c *client) csrf(path string) string {
	c.t.Helper()
	_, body, _ := c.get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// member creates an approved account with TOTP directly in the store.
func (as *accountServer) member(t testing.TB, email, role, password string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	hash, _ := as.acc.Hasher.Hash(ctx, password)
	u := &store.User{Email: email, FullName: "Test " + role, Organisation: "Example Unit", Country: "FR", Function: "Analyst",
		Role: role, Status: store.StatusApproved, PasswordHash: hash, Lang: "en", CreatedAt: as.now.Unix(), Listed: true,
		Expertise: []string{"digital-forensics"}, Languages: []string{"en", "fr"}}
	if err := as.deps.Store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	secret, _, _ := auth.NewTOTP("Polis", email)
	as.deps.Store.SetTOTP(ctx, u.ID, as.acc.Keys.Seal(secret))
	return u.ID, secret
}

// login signs in with password and TOTP at the server's current time.
func (c *client) login(email, password, secret string) {
	c.t.Helper()
	st, _, h := c.post("/en/account/login", url.Values{"email": {email}, "password": {password}})
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/en/account/login/2fa") {
		c.t.Fatalf("password step: %d → %s", st, h.Get("Location"))
	}
	token := c.csrf("/en/account/login/2fa")
	st, body, h := c.post("/en/account/login/2fa", url.Values{"code": {auth.TOTPCode(secret, c.as.now)}, "csrf": {token}})
	if st != http.StatusSeeOther {
		c.t.Fatalf("second step: %d %s", st, body)
	}
}

const goodPassword = "violet stapler tundra harbour"

// TestAccountEndToEnd: apply → verify → approve → enrol TOTP → log in with
// password and code → experts-only page (issue 4 acceptance).
func TestAccountEndToEnd(t *testing.T) {
	as := newAccountServer(t)
	ctx := context.Background()
	_, modSecret := as.member(t, "mod@hotline.example", store.RoleModerator, goodPassword)

	// Apply.
	app := as.client(t)
	form := url.Values{"full_name": {"Amira Example"}, "email": {"amira@police.example"}, "organisation": {"Example Cybercrime Unit"},
		"country": {"BE"}, "function": {"Investigator"}, "expertise": {"victim-identification"}, "languages": {"fr", "en"},
		"justification": {"I identify victims in seized material and need to exchange methods."},
		"password":      {goodPassword}, "password2": {goodPassword}, "terms": {"yes"}}
	st, body, _ := app.post("/en/account/apply", form)
	if st != 200 || !strings.Contains(body, "Check your e-mail") {
		t.Fatalf("apply: %d", st)
	}
	if c := app.cookie(); c != "" {
		t.Error("applying set a session cookie")
	}
	// A pending applicant cannot reach the expert area.
	// Verify through the link in the outbox.
	mails, _ := as.deps.Store.Outbox(ctx, "amira@police.example", 10)
	if len(mails) != 1 {
		t.Fatalf("%d mails to the applicant", len(mails))
	}
	m := regexp.MustCompile(`/en/account/verify\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mails[0].Body)
	if m == nil {
		t.Fatalf("no verification link in %q", mails[0].Body)
	}
	if st, _, _ := app.get("/en/account/verify?token=" + m[1]); st != 200 {
		t.Fatalf("verify page: %d", st)
	}
	if st, body, _ := app.post("/en/account/verify", url.Values{"token": {m[1]}}); st != 200 || !strings.Contains(body, "Address confirmed") {
		t.Fatalf("verify: %d", st)
	}
	if st, _, _ := app.post("/en/account/verify", url.Values{"token": {m[1]}}); st != 404 {
		t.Errorf("verification token reused: %d", st)
	}
	u, _ := as.deps.Store.UserByEmail(ctx, "amira@police.example")
	if u.Status != store.StatusPending {
		t.Fatalf("status after verification: %s", u.Status)
	}

	// A pending applicant can log in only to see the status.
	st, _, h := app.post("/en/account/login", url.Values{"email": {"amira@police.example"}, "password": {goodPassword}})
	if st != http.StatusSeeOther || h.Get("Location") != "/en/account/" {
		t.Fatalf("applicant login: %d → %s", st, h.Get("Location"))
	}
	if _, body, _ := app.get("/en/account/"); !strings.Contains(body, "waiting for vetting") {
		t.Error("applicant does not see the pending status")
	}
	if st, _, h := app.get("/en/experts/"); st != http.StatusSeeOther || h.Get("Location") != "/en/account/" {
		t.Errorf("pending applicant reached the directory: %d", st)
	}
	if st, _, _ := app.get("/en/staff/"); st != 404 {
		t.Errorf("applicant sees the staff page: %d", st)
	}

	// The moderator approves.
	mod := as.client(t)
	mod.login("mod@hotline.example", goodPassword, modSecret)
	_, queue, _ := mod.get("/en/staff/")
	if !strings.Contains(queue, "Amira Example") {
		t.Fatal("applicant not in the vetting queue")
	}
	token := csrfField.FindStringSubmatch(queue)[1]
	if st, _, _ := mod.post("/en/staff/users/"+itoa(u.ID)+"/decide", url.Values{"decision": {"approve"}, "csrf": {token}}); st != http.StatusSeeOther {
		t.Fatalf("approve: %d", st)
	}
	if mails, _ := as.deps.Store.Outbox(ctx, "amira@police.example", 10); len(mails) != 2 || !strings.Contains(mails[0].Subject, "approved") {
		t.Error("approval not mailed")
	}

	// The expert logs in again: TOTP enrolment is required first.
	app = as.client(t)
	st, _, h = app.post("/en/account/login", url.Values{"email": {"amira@police.example"}, "password": {goodPassword}})
	if st != http.StatusSeeOther || h.Get("Location") != "/en/account/2fa" {
		t.Fatalf("login without 2FA: %d → %s", st, h.Get("Location"))
	}
	if st, _, h := app.get("/en/experts/"); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/2fa") {
		t.Errorf("expert area reached before the second factor: %d %s", st, h.Get("Location"))
	}
	_, page, _ := app.get("/en/account/2fa")
	pending := regexp.MustCompile(`name="pending" value="([^"]+)"`).FindStringSubmatch(page)
	secret := regexp.MustCompile(`<code>([A-Z2-7]+)</code>`).FindStringSubmatch(page)
	if pending == nil || secret == nil || !strings.Contains(page, "<svg") {
		t.Fatal("enrolment page lacks the QR code or the secret")
	}
	before := app.cookie()
	st, page, _ = app.post("/en/account/2fa", url.Values{"pending": {pending[1]}, "code": {auth.TOTPCode(secret[1], as.now)}, "csrf": {csrfField.FindStringSubmatch(page)[1]}})
	if st != 200 || strings.Count(page, "<li><code>") != 10 {
		t.Fatalf("enrolment: %d, recovery codes shown: %d", st, strings.Count(page, "<li><code>"))
	}
	if app.cookie() == before {
		t.Error("session identifier not replaced after the second factor")
	}
	st, dir, h := app.get("/en/experts/")
	if st != 200 || !strings.Contains(dir, "Test moderator") {
		t.Fatalf("directory: %d", st)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("logged-in page Cache-Control %q", h.Get("Cache-Control"))
	}

	// Log out; the old cookie no longer opens anything.
	old := app.cookie()
	app.post("/en/account/logout", url.Values{"csrf": {app.csrf("/en/account/")}})
	replay := as.client(t)
	u2, _ := url.Parse(as.srv.URL)
	replay.http.Jar.SetCookies(u2, []*http.Cookie{{Name: "polis_session", Value: old}})
	if st, _, _ := replay.get("/en/experts/"); st != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: %d", st)
	}

	// Log in with password and code; the same code again is a replay.
	as.now = as.now.Add(31 * time.Second)
	app = as.client(t)
	app.login("amira@police.example", goodPassword, secret[1])
	if st, _, _ := app.get("/en/experts/"); st != 200 {
		t.Errorf("after login with TOTP: %d", st)
	}
	other := as.client(t)
	other.post("/en/account/login", url.Values{"email": {"amira@police.example"}, "password": {goodPassword}})
	tok := other.csrf("/en/account/login/2fa")
	st, body, _ = other.post("/en/account/login/2fa", url.Values{"code": {auth.TOTPCode(secret[1], as.now)}, "csrf": {tok}})
	if st == http.StatusSeeOther || !strings.Contains(body, "already been used") {
		t.Errorf("replayed TOTP code accepted: %d", st)
	}
	st, _, _ = other.post("/en/account/login/2fa", url.Values{"code": {"000000"}, "csrf": {tok}})
	if st == http.StatusSeeOther {
		t.Error("wrong TOTP code accepted")
	}

	// The moderator suspends her: the live session ends at once.
	token = mod.csrf("/en/staff/users/" + itoa(u.ID))
	if st, _, _ := mod.post("/en/staff/users/"+itoa(u.ID)+"/suspend", url.Values{"reason": {"test"}, "csrf": {token}}); st != http.StatusSeeOther {
		t.Fatalf("suspend: %d", st)
	}
	if st, _, h := app.get("/en/experts/"); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/login") {
		t.Errorf("suspended user still inside: %d %s", st, h.Get("Location"))
	}
	// Experts and applicants do not see staff pages.
	entries, _ := as.deps.Store.AuditLog(ctx, store.AuditFilter{UserID: u.ID, Limit: 100})
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	for _, want := range []string{"apply", "email.verify", "vetting.approve", "2fa.enrol", "login.success", "logout", "login.2fa_replay", "account.suspend"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestLoginNegatives: same answer for an unknown e-mail and a wrong
// password; lockout; a forged cross-site POST and a missing CSRF token are
// refused; idle expiry ends the session (issue 4).
func TestLoginNegatives(t *testing.T) {
	as := newAccountServer(t)
	_, secret := as.member(t, "expert@police.example", store.RoleExpert, goodPassword)
	c := as.client(t)
	st1, unknown, _ := c.post("/en/account/login", url.Values{"email": {"nobody@police.example"}, "password": {goodPassword}})
	st2, wrong, _ := c.post("/en/account/login", url.Values{"email": {"expert@police.example"}, "password": {"not the password at all"}})
	if st1 != st2 || !strings.Contains(unknown, "Wrong e-mail address or password") || !strings.Contains(wrong, "Wrong e-mail address or password") {
		t.Errorf("unknown e-mail (%d) and wrong password (%d) answer differently", st1, st2)
	}
	if strings.ReplaceAll(unknown, "nobody@police.example", "X") != strings.ReplaceAll(wrong, "expert@police.example", "X") {
		t.Error("the two failure pages differ beyond the echoed address")
	}
	for range 5 {
		c.post("/en/account/login", url.Values{"email": {"expert@police.example"}, "password": {"still not the password"}})
	}
	if st, body, _ := c.post("/en/account/login", url.Values{"email": {"expert@police.example"}, "password": {goodPassword}}); st != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Errorf("no lockout: %d", st)
	}
	as.now = as.now.Add(2 * time.Hour)

	// A forged cross-site form is refused before any handler runs.
	if st, _, _ := c.post("/en/account/login", url.Values{"email": {"expert@police.example"}, "password": {goodPassword}}, "Sec-Fetch-Site", "cross-site"); st != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", st)
	}
	if st, _, _ := c.post("/en/account/login", url.Values{"email": {"expert@police.example"}, "password": {goodPassword}}, "Origin", "https://evil.example"); st != http.StatusForbidden {
		t.Errorf("POST from another origin: %d, want 403", st)
	}
	c.login("expert@police.example", goodPassword, secret)
	if st, _, _ := c.post("/en/account/sessions", url.Values{"scope": {"all"}}); st != http.StatusForbidden {
		t.Errorf("logged-in POST without CSRF token: %d, want 403", st)
	}
	if st, _, _ := c.post("/en/account/sessions", url.Values{"scope": {"all"}, "csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("logged-in POST with a wrong token: %d, want 403", st)
	}
	if st, _, _ := c.get("/en/staff/"); st != 404 {
		t.Errorf("expert sees the staff page: %d, want 404", st)
	}
	if st, _, _ := c.get("/en/experts/"); st != 200 {
		t.Fatalf("expert directory: %d", st)
	}
	as.now = as.now.Add(31 * time.Minute)
	if st, _, _ := c.get("/en/experts/"); st != http.StatusSeeOther {
		t.Errorf("session survived 31 idle minutes: %d", st)
	}

	// Absolute timeout: active every 20 minutes for 11 h 40 min, the session
	// still ends once 12 hours have passed.
	c.login("expert@police.example", goodPassword, secret)
	for i := range 35 {
		as.now = as.now.Add(20 * time.Minute)
		if st, _, h := c.get("/en/experts/"); st != 200 {
			t.Fatalf("active session ended early, step %d: %d %s", i, st, h.Get("Location"))
		}
	}
	as.now = as.now.Add(25 * time.Minute)
	if st, _, _ := c.get("/en/experts/"); st != http.StatusSeeOther {
		t.Errorf("session outlived the 12-hour absolute timeout: %d", st)
	}
}

// TestSetupInvitationAndAdminPages: the one-time setup link makes the first
// administrator, who must enrol TOTP; an expert's invitation lets a named
// address skip the queue once; the outbox and the audit log (and its CSV
// export) are for administrators only (issue 4).
func TestSetupInvitationAndAdminPages(t *testing.T) {
	as := newAccountServer(t)
	ctx := context.Background()

	// First start: a setup token, as polis serve prints it.
	token, hash := auth.NewToken()
	as.deps.Store.CreateToken(ctx, &store.Token{Hash: hash, Kind: store.TokenSetup, CreatedAt: as.now.Unix(), ExpiresAt: as.now.Add(time.Hour).Unix()})
	admin := as.client(t)
	if st, _, _ := admin.get("/en/account/setup?token=wrong"); st != 404 {
		t.Errorf("setup with a wrong token: %d", st)
	}
	form := url.Values{"token": {token}, "full_name": {"Ada Admin"}, "email": {"ada@polis.example"}, "organisation": {"Polis"}, "country": {"AT"},
		"password": {goodPassword}, "password2": {goodPassword}}
	st, _, h := admin.post("/en/account/setup", form)
	if st != http.StatusSeeOther || h.Get("Location") != "/en/account/2fa" {
		t.Fatalf("setup: %d → %s", st, h.Get("Location"))
	}
	if st, _, _ := as.client(t).post("/en/account/setup", form); st != 404 {
		t.Errorf("setup token reused: %d", st)
	}
	if st, _, _ := admin.get("/en/staff/audit"); st != 404 {
		t.Errorf("administrator reached staff pages before enrolling TOTP: %d", st)
	}
	_, page, _ := admin.get("/en/account/2fa")
	pending := regexp.MustCompile(`name="pending" value="([^"]+)"`).FindStringSubmatch(page)[1]
	secret := regexp.MustCompile(`<code>([A-Z2-7]+)</code>`).FindStringSubmatch(page)[1]
	admin.post("/en/account/2fa", url.Values{"pending": {pending}, "code": {auth.TOTPCode(secret, as.now)}, "csrf": {csrfField.FindStringSubmatch(page)[1]}})

	// An expert invites a colleague.
	_, expertSecret := as.member(t, "expert@police.example", store.RoleExpert, goodPassword)
	ex := as.client(t)
	ex.login("expert@police.example", goodPassword, expertSecret)
	st, page, _ = ex.post("/en/account/invite", url.Values{"email": {"colleague@police.example"}, "csrf": {ex.csrf("/en/account/invite")}})
	link := regexp.MustCompile(`/en/account/apply\?invite=([A-Za-z0-9_-]+)`).FindStringSubmatch(page)
	if st != 200 || link == nil {
		t.Fatalf("invite: %d", st)
	}
	guest := as.client(t)
	if _, body, _ := guest.get("/en/account/apply?invite=" + link[1]); !strings.Contains(body, `value="colleague@police.example"`) {
		t.Error("invitation does not fill in the address")
	}
	apply := url.Values{"invite": {link[1]}, "full_name": {"Colleague"}, "email": {"colleague@police.example"}, "organisation": {"Unit"},
		"country": {"IT"}, "function": {"Analyst"}, "expertise": {"legislation"}, "languages": {"it"},
		"justification": {"Invited to help with legislation questions in the forum."}, "password": {goodPassword}, "password2": {goodPassword}, "terms": {"yes"}}
	wrong := url.Values{}
	for k, v := range apply {
		wrong[k] = v
	}
	wrong.Set("email", "someone-else@police.example")
	if st, _, _ := guest.post("/en/account/apply", wrong); st != http.StatusUnprocessableEntity {
		t.Errorf("invitation used for another address: %d", st)
	}
	guest.post("/en/account/apply", apply)
	if st, _, _ := guest.post("/en/account/apply", apply); st == 200 {
		if n, _ := as.deps.Store.CountUsers(ctx, "", ""); n != 3 {
			t.Errorf("invitation used twice: %d users", n)
		}
	}
	mails, _ := as.deps.Store.Outbox(ctx, "colleague@police.example", 10)
	var verify string
	for _, m := range mails {
		if v := regexp.MustCompile(`verify\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body); v != nil {
			verify = v[1]
		}
	}
	guest.post("/en/account/verify", url.Values{"token": {verify}})
	if u, _ := as.deps.Store.UserByEmail(ctx, "colleague@police.example"); u == nil || u.Status != store.StatusApproved || u.Role != store.RoleExpert {
		t.Errorf("invited applicant not approved at verification: %+v", u)
	}

	// Administrator-only pages.
	for _, p := range []string{"/en/staff/outbox", "/en/staff/audit", "/en/staff/audit.csv"} {
		if st, _, _ := ex.get(p); st != 404 {
			t.Errorf("expert got %s: %d", p, st)
		}
		if st, _, _ := admin.get(p); st != 200 {
			t.Errorf("administrator got %s: %d", p, st)
		}
	}
	_, csv, h := admin.get("/en/staff/audit.csv")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(csv, "invite.create") || !strings.Contains(csv, "setup.administrator") {
		t.Errorf("audit export: %q", h.Get("Content-Type"))
	}
}

// TestRejectedUserPasswordChangeAndData: a rejected account sees only its
// status; changing the password ends the other sessions; the data download
// holds the profile but no secret (issue 4).
func TestRejectedUserPasswordChangeAndData(t *testing.T) {
	as := newAccountServer(t)
	ctx := context.Background()
	rid, rsecret := as.member(t, "rejected@police.example", store.RoleExpert, goodPassword)
	as.deps.Store.SetUserStatus(ctx, rid, store.StatusRejected, store.RoleApplicant, "not law enforcement", 0, as.now.Unix())
	r := as.client(t)
	r.login("rejected@police.example", goodPassword, rsecret)
	if st, _, h := r.get("/en/experts/"); st != http.StatusSeeOther || h.Get("Location") != "/en/account/" {
		t.Errorf("rejected user reached the directory: %d", st)
	}
	if _, body, _ := r.get("/en/account/"); !strings.Contains(body, "not approved") || !strings.Contains(body, "not law enforcement") {
		t.Error("rejected user does not see the decision and its reason")
	}

	_, secret := as.member(t, "expert@police.example", store.RoleExpert, goodPassword)
	a, b := as.client(t), as.client(t)
	a.login("expert@police.example", goodPassword, secret)
	as.now = as.now.Add(31 * time.Second)
	b.login("expert@police.example", goodPassword, secret)
	newPassword := "quiet lantern orchard meadow"
	st, _, _ := a.post("/en/account/password", url.Values{"current": {"wrong current password"}, "password": {newPassword}, "password2": {newPassword}, "csrf": {a.csrf("/en/account/password")}})
	if st != http.StatusUnprocessableEntity {
		t.Errorf("password change with a wrong current password: %d", st)
	}
	st, _, _ = a.post("/en/account/password", url.Values{"current": {goodPassword}, "password": {newPassword}, "password2": {newPassword}, "csrf": {a.csrf("/en/account/password")}})
	if st != http.StatusSeeOther {
		t.Fatalf("password change: %d", st)
	}
	if st, _, _ := b.get("/en/experts/"); st != http.StatusSeeOther {
		t.Errorf("other session survived the password change: %d", st)
	}
	if st, _, _ := a.get("/en/experts/"); st != 200 {
		t.Errorf("the changing session was ended: %d", st)
	}

	st, data, h := a.get("/en/account/data.json")
	if st != 200 || !strings.Contains(h.Get("Content-Disposition"), "attachment") || !strings.Contains(data, `"Email": "expert@police.example"`) {
		t.Fatalf("data download: %d %q", st, h.Get("Content-Disposition"))
	}
	for _, secretPart := range []string{"argon2id", secret, "PasswordHash", "TOTPSecret"} {
		if strings.Contains(data, secretPart) {
			t.Errorf("data download contains %q", secretPart)
		}
	}
}

// TestVetterLimitedToCountries: a moderator limited to Austria sees and may
// decide only Austrian applications; a rejection needs a reason and is
// mailed and audited (issue 4).
func TestVetterLimitedToCountries(t *testing.T) {
	as := newAccountServer(t)
	ctx := context.Background()
	modID, modSecret := as.member(t, "vetter@hotline.example", store.RoleModerator, goodPassword)
	as.deps.Store.SetVetterCountries(ctx, modID, []string{"AT"})
	pending := func(email, country string) int64 {
		u := &store.User{Email: email, FullName: "Applicant " + country, Organisation: "Unit", Country: country, Function: "Analyst",
			Role: store.RoleApplicant, Status: store.StatusPending, PasswordHash: "x", Lang: "de", CreatedAt: as.now.Unix()}
		if err := as.deps.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	at, fr := pending("at@police.example", "AT"), pending("fr@police.example", "FR")
	mod := as.client(t)
	mod.login("vetter@hotline.example", goodPassword, modSecret)
	_, queue, _ := mod.get("/en/staff/")
	if !strings.Contains(queue, "Applicant AT") || strings.Contains(queue, "Applicant FR") {
		t.Error("the limited vetter's queue is not limited to Austria")
	}
	token := csrfField.FindStringSubmatch(queue)[1]
	if st, _, _ := mod.post("/en/staff/users/"+itoa(fr)+"/decide", url.Values{"decision": {"approve"}, "csrf": {token}}); st != 404 {
		t.Errorf("vetter decided outside their countries: %d", st)
	}
	if st, _, _ := mod.post("/en/staff/users/"+itoa(at)+"/decide", url.Values{"decision": {"reject"}, "csrf": {token}}); st != http.StatusUnprocessableEntity {
		t.Errorf("rejection without a reason: %d", st)
	}
	if st, _, _ := mod.post("/en/staff/users/"+itoa(at)+"/decide", url.Values{"decision": {"reject"}, "reason": {"not a practitioner"}, "csrf": {token}}); st != http.StatusSeeOther {
		t.Fatalf("rejection: %d", st)
	}
	u, _ := as.deps.Store.UserByID(ctx, at)
	if u.Status != store.StatusRejected || u.StatusReason != "not a practitioner" {
		t.Errorf("after rejection: %s %q", u.Status, u.StatusReason)
	}
	if m, _ := as.deps.Store.Outbox(ctx, "at@police.example", 5); len(m) != 1 || !strings.Contains(m[0].Body, "not a practitioner") {
		t.Error("rejection not mailed with its reason")
	}
	if f, _ := as.deps.Store.UserByID(ctx, fr); f.Status != store.StatusPending {
		t.Error("the French application changed")
	}
	if e, _ := as.deps.Store.AuditLog(ctx, store.AuditFilter{Action: "vetting.reject"}); len(e) != 1 || e[0].ActorID != modID {
		t.Error("rejection not audited with the vetter")
	}
}
