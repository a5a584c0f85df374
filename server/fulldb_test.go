package server

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/storetest"
)

// TestFullDatabase fills the SQLite database while members post (issue
// 9). SQLite's max_page_count makes the database full as a full disk
// would, with the same error (SQLITE_FULL): the reply that does not fit
// gets the 503 page saying it may not have been saved, every reply
// acknowledged before is there once, the thread's counters agree, the
// database passes its integrity check, and reading goes on.
func TestFullDatabase(t *testing.T) {
	if storetest.Backend() != storetest.SQLite {
		t.Skip("SQLite's own limit; PostgreSQL's full disk is its operators' to watch")
	}
	file := filepath.Join(t.TempDir(), "polis.db")
	dsn := store.SQLiteDSN(file)
	roomy := newAccountServerOn(t, dsn)
	_, secret := roomy.member(t, "expert@unit.example", store.RoleExpert, goodPassword)
	roomy.openCategory(t)
	e := roomy.client(t)
	e.login("expert@unit.example", goodPassword, secret)
	tok := e.csrf("/en/forum/c/open/new")
	st, _, h := e.post("/en/forum/c/open/new", url.Values{"title": {"Filling up"}, "body": {"First post."}, "lang": {"en"}, "csrf": {tok}})
	if st != http.StatusSeeOther {
		t.Fatalf("new thread: %d", st)
	}
	thread := h.Get("Location")
	threadID, _ := strconv.ParseInt(strings.TrimPrefix(strings.SplitN(thread, "#", 2)[0], "/en/forum/t/"), 10, 64)
	roomy.forum.Limits.PostsPerMinute, roomy.forum.Limits.PostsPerDay = 1000, 1000

	// A second server on the same file whose connections may not let the
	// database grow more than a little.
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var pages int
	if err := raw.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	full := newAccountServerOn(t, fmt.Sprintf("%s&_pragma=max_page_count(%d)", dsn, pages+40))
	full.forum.Limits.PostsPerMinute, full.forum.Limits.PostsPerDay = 1000, 1000
	f := full.client(t)
	uf, _ := url.Parse(full.srv.URL)
	f.http.Jar.SetCookies(uf, []*http.Cookie{{Name: "polis_session", Value: e.cookie()}})

	var acked []string
	refused := ""
	for i := range 200 {
		body := strings.TrimSpace(fmt.Sprintf("Reply %03d. %s", i, strings.Repeat("A line of benign filler text for the full-disk test. ", 60)))
		st, page, _ := f.post(thread+"/reply", url.Values{"body": {body}, "lang": {"en"}, "csrf": {tok}})
		if st == http.StatusSeeOther {
			acked = append(acked, body)
			continue
		}
		if st != http.StatusServiceUnavailable || !strings.Contains(page, "Briefly unavailable") || !strings.Contains(page, "may not have been saved") {
			t.Fatalf("reply %d on a full database: %d\n%.500s", i, st, page)
		}
		refused = body
		break
	}
	if refused == "" || len(acked) == 0 {
		t.Fatalf("%d replies taken, refused %q: the database never filled", len(acked), refused)
	}
	if !strings.Contains(full.logs.String(), "database unavailable") {
		t.Error("the full database was not logged")
	}

	// Reading goes on, on the full server too.
	if st, page, _ := f.get(thread); st != http.StatusOK || !strings.Contains(page, "First post.") {
		t.Errorf("thread on the full server: %d", st)
	}
	// Every acknowledged reply is there once; the refused one is not.
	posts, _, err := roomy.deps.Store.Posts(t.Context(), threadID, store.PostFilter{Limit: 1000, WithSource: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, p := range posts {
		seen[p.Body]++
	}
	for _, b := range acked {
		if seen[b] != 1 {
			t.Errorf("acknowledged reply %.9s is there %d times", b, seen[b])
		}
	}
	if seen[refused] != 0 {
		t.Error("the refused reply was saved after all")
	}
	th, err := roomy.deps.Store.ThreadByID(t.Context(), threadID)
	if err != nil {
		t.Fatal(err)
	}
	if th.PostCount != len(posts) || len(posts) != len(acked)+1 {
		t.Errorf("thread counts %d posts; the database holds %d; %d replies were acknowledged", th.PostCount, len(posts), len(acked))
	}
	var check string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity check: %q %v", check, err)
	}
	// With room again (the first server's connections have no limit) the
	// same member posts at once.
	if st, _, _ := e.post(thread+"/reply", url.Values{"body": {"With room again."}, "lang": {"en"}, "csrf": {tok}}); st != http.StatusSeeOther {
		t.Errorf("reply with room again: %d", st)
	}
	t.Logf("%d replies fitted before the database was full", len(acked))
}
