package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/storetest"
)

// TestLostDatabase stops PostgreSQL under load (issue 9): while it is
// down, pages that need the database answer at once with the themed 503
// page and a Retry-After, public pages and /healthz go on working, /readyz
// says not ready, and nothing answers 500; when it returns, the server
// recovers by itself — the same session works, posts are written and the
// search index follows the change feed again.
func TestLostDatabase(t *testing.T) {
	if storetest.Backend() != storetest.Postgres {
		t.Skip("runs in the PostgreSQL run (POLIS_TEST_BACKEND=postgres)")
	}
	cl := storetest.NewCluster(t)
	as := newAccountServerOn(t, cl.DSN)
	as.searchable(t)
	_, secret := as.member(t, "expert@unit.example", store.RoleExpert, goodPassword)
	as.openCategory(t)
	e := as.client(t)
	e.login("expert@unit.example", goodPassword, secret)
	tok := e.csrf("/en/forum/c/open/new")
	st, _, h := e.post("/en/forum/c/open/new", url.Values{"title": {"Evidence handover"}, "body": {"Before the outage."}, "lang": {"en"}, "csrf": {tok}})
	if st != http.StatusSeeOther {
		t.Fatalf("new thread: %d", st)
	}
	thread := h.Get("Location")

	// Load: readers of the thread, of a public page and of the search API,
	// before, during and after the outage. Every answer is recorded.
	type answer struct {
		path   string
		status int
		took   time.Duration
		down   bool // sent while the database was stopped
	}
	var (
		mu      sync.Mutex
		answers []answer
		down    bool
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths := []string{thread, "/en/", "/api/search?lang=en&q=handover", "/en/forum/"}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[(i+n)%len(paths)]
				mu.Lock()
				wasDown := down
				mu.Unlock()
				began := time.Now()
				st, _, _ := e.get(p)
				took := time.Since(began)
				mu.Lock()
				answers = append(answers, answer{p, st, took, wasDown && down})
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)

	cl.Stop()
	mu.Lock()
	down = true
	mu.Unlock()
	time.Sleep(time.Second)

	// While down: the thread answers 503 with the themed page and a
	// Retry-After; the public home page and /healthz still work.
	began := time.Now()
	st, body, h := e.get(thread)
	if st != http.StatusServiceUnavailable || !strings.Contains(body, "Briefly unavailable") || h.Get("Retry-After") == "" {
		t.Errorf("thread while the database is down: %d, Retry-After %q\n%.400s", st, h.Get("Retry-After"), body)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("the 503 took %v: it should fail fast", took)
	}
	if st, body, _ := e.get("/fr/forum/"); st != http.StatusServiceUnavailable || !strings.Contains(body, "Momentanément indisponible") {
		t.Errorf("French forum while down: %d", st)
	}
	if st, _, _ := e.get("/en/"); st != http.StatusOK {
		t.Errorf("public home page while the database is down: %d", st)
	}
	if st, _, _ := e.get("/healthz"); st != http.StatusOK {
		t.Errorf("/healthz while the database is down: %d", st)
	}
	if st, _, _ := e.get("/readyz"); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is down: %d", st)
	}
	// Search goes on: a hit whose text is in the database (the expert's
	// post) comes without a snippet instead of failing the search, as for
	// a request whose session was loaded just before the database went.
	res, err := as.deps.Index.Search(t.Context(), search.Request{Query: search.Parse("handover"),
		Audiences: []string{search.Public, search.Experts}, Size: 10, Snippets: true})
	if err != nil || res.Total == 0 {
		t.Errorf("search while the database is down: %v, %v", res, err)
	}
	// A reply sent during the outage is refused with the 503 page, not a
	// login redirect or a 500.
	if st, body, _ := e.post(thread+"/reply", url.Values{"body": {"During the outage."}, "lang": {"en"}, "csrf": {tok}}); st != http.StatusServiceUnavailable || !strings.Contains(body, "Briefly unavailable") {
		t.Errorf("reply while the database is down: %d", st)
	}
	// A login attempt too.
	anon := as.client(t)
	if st, _, _ := anon.post("/en/account/login", url.Values{"email": {"expert@unit.example"}, "password": {goodPassword}}); st != http.StatusServiceUnavailable {
		t.Errorf("login while the database is down: %d", st)
	}

	cl.Start()
	mu.Lock()
	down = false
	mu.Unlock()

	// Recovery without a restart: the same session reads the thread again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, body, _ := e.get(thread)
		if st == http.StatusOK && strings.Contains(body, "Before the outage.") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 15s after the database returned: %d", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	if st, _, _ := e.post(thread+"/reply", url.Values{"body": {"The platypusian reply after the outage."}, "lang": {"en"}, "csrf": {tok}}); st != http.StatusSeeOther {
		t.Fatalf("reply after recovery: %d", st)
	}
	deadline = time.Now().Add(5 * time.Second)
	for e.search("platypusian").Total != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the index did not follow the change feed after the database returned")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, _, _ := e.get("/readyz"); st != http.StatusOK {
		t.Errorf("/readyz after recovery: %d", st)
	}

	// Under load: never a 500; during the outage only 200 (public pages,
	// search) and 503, each quickly.
	var during, unavailable int
	for _, a := range answers {
		if a.status >= 500 && a.status != http.StatusServiceUnavailable {
			t.Errorf("%s answered %d", a.path, a.status)
		}
		if a.down {
			during++
			if a.status == http.StatusServiceUnavailable {
				unavailable++
			}
			if a.took > 3*time.Second {
				t.Errorf("%s took %v while the database was down", a.path, a.took)
			}
		}
	}
	if during == 0 || unavailable == 0 {
		t.Errorf("the load saw %d answers during the outage, %d of them 503", during, unavailable)
	}
	t.Logf("%d answers under load, %d during the outage (%d of them 503)", len(answers), during, unavailable)
}
