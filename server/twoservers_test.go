package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/storetest"
)

// TestTwoServersShareOnePostgres: two servers on one PostgreSQL database,
// each with its own data folder and search index. A session made on one
// is valid on the other; a post written on one is readable on the other at
// once and searchable there within two seconds (the change feed); a
// suspension on one ends the member's sessions on both (issue 9).
func TestTwoServersShareOnePostgres(t *testing.T) {
	dsn := storetest.DSN(t, storetest.Postgres)
	a := newAccountServerOn(t, dsn)
	b := newAccountServerOn(t, dsn)
	a.searchable(t)
	b.searchable(t)

	// Members and a community, made through server A's store.
	expertID, secret := a.member(t, "expert@unit.example", store.RoleExpert, goodPassword)
	_, modSecret := a.member(t, "mod@unit.example", store.RoleModerator, goodPassword)
	a.openCategory(t)

	// Log in on A; the same cookie on B.
	onA := a.client(t)
	onA.login("expert@unit.example", goodPassword, secret)
	onB := b.client(t)
	ub, _ := url.Parse(b.srv.URL)
	onB.http.Jar.SetCookies(ub, []*http.Cookie{{Name: "polis_session", Value: onA.cookie()}})
	if st, body, _ := onB.get("/en/account/"); st != 200 || !strings.Contains(body, "Test expert") {
		t.Fatalf("session from A on B: %d", st)
	}

	// A thread started on A is readable on B at once.
	tok := onA.csrf("/en/forum/c/open/new")
	st, _, h := onA.post("/en/forum/c/open/new", url.Values{"title": {"Handover of seized devices"}, "body": {"The kangarooish checklist for handover."},
		"lang": {"en"}, "csrf": {tok}})
	if st != http.StatusSeeOther {
		t.Fatalf("new thread on A: %d", st)
	}
	thread := h.Get("Location")
	if st, body, _ := onB.get(thread); st != 200 || !strings.Contains(body, "kangarooish checklist") {
		t.Fatalf("thread from A on B: %d", st)
	}
	// …and searchable on B within two seconds.
	deadline := time.Now().Add(2 * time.Second)
	for onB.search("kangarooish").Total != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the post from A was not searchable on B within two seconds")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A moderator on B suspends the expert: the session ends on A too.
	mod := b.client(t)
	mod.login("mod@unit.example", goodPassword, modSecret)
	tok = mod.csrf("/en/staff/users/" + itoa(expertID))
	if st, _, _ := mod.post("/en/staff/users/"+itoa(expertID)+"/suspend", url.Values{"reason": {"test"}, "csrf": {tok}}); st != http.StatusSeeOther {
		t.Fatalf("suspend on B: %d", st)
	}
	for _, cl := range []*client{onA, onB} {
		if st, _, h := cl.get("/en/account/"); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/account/login") {
			t.Errorf("suspended member still inside on %s: %d", cl.as.srv.URL, st)
		}
	}
}

// openCategory makes the community "open", where every expert reads,
// starts threads and replies.
func (as *accountServer) openCategory(t testing.TB) *store.Category {
	t.Helper()
	c := &store.Category{Slug: "open", Audience: map[string]string{store.AccessRead: store.AudienceExperts, store.AccessStart: store.AudienceExperts,
		store.AccessReply: store.AudienceExperts}, Texts: map[string]store.CategoryText{"en": {Name: "Open"}}, CreatedAt: as.now.Unix()}
	if err := as.deps.Store.SaveCategory(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}
