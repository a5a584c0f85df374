package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server/indexer"
	"github.com/polis-portal/polis/server/store"
)

// searchable builds the fixture's index from every collection and follows
// the change feed until the test ends, as the server does.
func (as *accountServer) searchable(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := as.indexer.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		as.indexer.Follow(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// apiSearch calls /api/search as the client and decodes the answer.
type apiAnswer struct {
	Total  int
	Hits   []struct{ ID, Type, Language, Title, URL, Snippet string }
	Facets map[string][]struct {
		Value string
		Count int
	}
	DidYouMean string
	Expanded   []string
}

func (c *client) search(q string) apiAnswer {
	c.t.Helper()
	st, body, _ := c.get("/api/search?lang=en&q=" + url.QueryEscape(q))
	if st != 200 {
		c.t.Fatalf("api search %q: %d %s", q, st, body)
	}
	var a apiAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		c.t.Fatalf("api search %q: %v", q, err)
	}
	return a
}

func (c *client) suggest(q string) []string {
	c.t.Helper()
	_, body, _ := c.get("/api/search/suggest?q=" + url.QueryEscape(q))
	var a struct{ Suggestions []string }
	json.Unmarshal([]byte(body), &a)
	return a.Suggestions
}

// TestSearchAccessThroughEveryPath: a word found only in an experts-only
// practice, a group-only forum post or a staff-only post gives visitors
// (and experts outside the group) nothing through the HTML page, the JSON
// API, the facets, the suggestions and "did you mean" (issue 8).
func TestSearchAccessThroughEveryPath(t *testing.T) {
	f := newForumFixture(t)
	as := f.as
	addPractice(t, as, "okapi-method", "guide", "experts", map[string]store.PracticeText{
		"en": {Title: "Quagmirix method for analysts", Summary: "Experts only.", Body: "The quagmirix triage."}})
	as.searchable(t)
	anon := as.client(t)
	expert, vid, mod := f.users["expert"], f.users["videxpert"], f.users["moderator"]
	for _, c := range []struct {
		word   string
		can    []*client
		cannot []*client
	}{
		{"quagmirix", []*client{expert.c, vid.c, mod.c}, []*client{anon}},
		{"zebragroup", []*client{vid.c, mod.c}, []*client{anon, expert.c}},     // the "group" community
		{"zebrastaffroom", []*client{mod.c}, []*client{anon, expert.c, vid.c}}, // the staff community
	} {
		for _, cl := range c.cannot {
			a := cl.search(c.word)
			if a.Total != 0 || len(a.Hits) != 0 || a.DidYouMean != "" || len(a.Facets["type"]) != 0 {
				t.Errorf("%s is visible through the API: %+v", c.word, a)
			}
			if a := cl.search(c.word[:len(c.word)-1] + "q"); a.DidYouMean != "" {
				t.Errorf("%s: a misspelling is corrected towards it: %q", c.word, a.DidYouMean)
			}
			if s := cl.suggest(c.word[:5]); len(s) != 0 {
				t.Errorf("%s: suggested %v", c.word, s)
			}
			_, page, _ := cl.get("/en/search?q=" + c.word)
			if strings.Contains(strings.ToLower(page), c.word) && strings.Count(strings.ToLower(page), c.word) > 2 {
				t.Errorf("%s shows on the search page", c.word)
			}
			if !strings.Contains(page, as.deps.Catalog.T("en", "searchCount", 0)) {
				t.Errorf("%s: the page does not say zero results", c.word)
			}
		}
		for _, cl := range c.can {
			if a := cl.search(c.word); a.Total != 1 {
				t.Errorf("%s: %d hits for a reader who may read it", c.word, a.Total)
			}
			if a := cl.search(c.word[:len(c.word)-1] + "q"); a.DidYouMean != c.word {
				t.Errorf("%s: did you mean %q", c.word, a.DidYouMean)
			}
		}
	}
	// Forum hits point into the thread, in the reader's language.
	a := mod.c.search("zebrastaffroom")
	if len(a.Hits) != 1 || !strings.HasPrefix(a.Hits[0].URL, "/en/forum/t/") || !strings.Contains(a.Hits[0].URL, "#p1") {
		t.Errorf("post hit: %+v", a.Hits)
	}
}

// TestSearchPageWorksWithoutJavaScript: the page is a GET form; results
// have language badges and marked snippets; facets narrow by adding a
// filter to the query; "only my language" keeps the reader's; did-you-mean
// links the corrected query; the help page documents the syntax (issue 8).
func TestSearchPageWorksWithoutJavaScript(t *testing.T) {
	as := newAccountServer(t)
	as.searchable(t)
	c := as.client(t)
	st, body, h := c.get("/en/search?q=grooming")
	if st != 200 || h.Get("Set-Cookie") != "" {
		t.Fatalf("search page: %d", st)
	}
	for _, want := range []string{`<form class="search-form" role="search"`, `name="q" value="grooming"`, "<mark>", `class="badge lang" lang="fr"`,
		`href="/en/search?q=grooming&#43;type%3Alibrary"`, "online grooming"} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %s", want)
		}
	}
	// The glossary widens the query: French and Russian texts are found
	// for an English word, and the page says so.
	a := c.search("grooming")
	langs := map[string]bool{}
	for _, h := range a.Hits {
		langs[h.Language] = true
	}
	if len(a.Expanded) == 0 || a.Total < 10 {
		t.Errorf("grooming: %d hits, expanded %v", a.Total, a.Expanded)
	}
	all := c.search("grooming lang:ru")
	if all.Total == 0 {
		t.Error("no Russian document for grooming")
	}
	// Only my language.
	_, body, _ = c.get("/fr/search?q=grooming&mine=1")
	if strings.Contains(body, `class="badge lang" lang="en"`) || !strings.Contains(body, `class="badge lang" lang="fr"`) {
		t.Error("only-my-language shows other languages")
	}
	// A facet link narrows; the active filter's link takes it away.
	_, body, _ = c.get("/en/search?q=grooming+type%3Alibrary")
	if !strings.Contains(body, `aria-current="true"`) || strings.Contains(body, `class="badge">Page</span>`) {
		t.Error("type facet not applied")
	}
	// Did you mean.
	_, body, _ = c.get("/en/search?q=hotlnes")
	if !strings.Contains(body, as.deps.Catalog.T("en", "searchDidYouMean")) || !strings.Contains(body, `href="/en/search?q=hotline`) {
		t.Error("no correction for hotlnes")
	}
	// Date order and pages.
	_, p1, _ := c.get("/en/search?q=child&page=1")
	_, p2, _ := c.get("/en/search?q=child&page=2")
	if !strings.Contains(p1, `rel="next"`) || !strings.Contains(p2, `rel="prev"`) || p1 == p2 {
		t.Error("pagination")
	}
	if st, _, _ := c.get("/en/search?q=child&page=9999"); st != 200 {
		t.Errorf("deep page: %d", st)
	}
	// The help page.
	st, body, _ = c.get("/de/search/help")
	if st != 200 || !strings.Contains(body, "year:2011..2014") || !strings.Contains(body, as.deps.Catalog.T("de", "searchHelpTitle")) {
		t.Errorf("help: %d", st)
	}
	// Hostile input is text.
	st, body, _ = c.get("/en/search?q=" + url.QueryEscape(`<script>alert(1)</script> "`+strings.Repeat("x", 3000)))
	if st != 200 || strings.Contains(body, "<script>alert(1)") {
		t.Errorf("hostile query: %d", st)
	}
}

// TestSearchFollowsChanges: a new forum post, an edit, a hidden post and a
// staff edit of a practice are searchable (or gone) within a second
// (issue 8).
func TestSearchFollowsChanges(t *testing.T) {
	f := newForumFixture(t)
	as := f.as
	as.searchable(t)
	mod := f.users["moderator"]
	th := id(f.threads["open"].ID)
	eventually := func(what, q string, want int) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for {
			if a := mod.c.search(q); a.Total == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q not at %d hits within a second", what, q, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if st, _, _ := mod.send("/en/forum/t/"+th+"/reply", forumForm("A reply about the wombatique triage.")); st != 303 {
		t.Fatalf("reply: %d", st)
	}
	eventually("new post", "wombatique", 1)
	p := lastPost(t, f, "/en/forum/t/"+th)
	if st, _, _ := mod.send("/en/forum/p/"+id(p.ID)+"/edit", forumForm("Now about the platypusine method.", "reason", "clarity")); st != 303 {
		t.Fatalf("edit: %d", st)
	}
	eventually("edited post (new text)", "platypusine", 1)
	eventually("edited post (old text)", "wombatique", 0)
	if st, _, _ := mod.send("/en/forum/p/"+id(p.ID)+"/moderate", url.Values{"action": {"hide"}, "reason": {"test"}}); st != 303 {
		t.Fatalf("hide: %d", st)
	}
	eventually("hidden post", "platypusine", 0)
	// A staff edit of a practice.
	addPractice(t, as, "zebra-guide", "guide", "public", map[string]store.PracticeText{
		"en": {Title: "Zebra guide", Summary: "About echidnarian methods.", Body: "Body."}})
	eventually("practice", "echidnarian", 1)
}

// TestSearchRebuildAfterDeletingTheIndex: the index is derived; deleted,
// it comes back with the same documents when the server starts again
// (issue 8).
func TestSearchRebuildAfterDeletingTheIndex(t *testing.T) {
	f := newForumFixture(t)
	as := f.as
	as.searchable(t)
	before := f.users["moderator"].c.search("zebraopen")
	n1, _ := as.deps.Index.DocCount()
	if before.Total != 1 || n1 < 500 {
		t.Fatalf("before: %d hits, %d documents", before.Total, n1)
	}
	dir := filepath.Join(as.deps.Config.Data, "index2")
	idx, err := search.Open(dir, as.deps.Log)
	if err != nil {
		t.Fatal(err)
	}
	ix := &indexer.Indexer{Index: idx, Store: as.indexer.Store, Library: as.indexer.Library, Glossary: as.indexer.Glossary,
		Site: as.indexer.Site, Public: as.indexer.Public, Log: as.indexer.Log}
	if err := ix.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	// Deleted: opened again, it is fresh, rebuilt with every document.
	idx, err = search.Open(dir, as.deps.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if !idx.Fresh {
		t.Fatal("a deleted index is not fresh")
	}
	ix.Index = idx
	if err := ix.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	n2, _ := idx.DocCount()
	res, err := idx.Search(context.Background(), search.Request{Query: search.Parse("zebraopen"), Audiences: []string{search.Public, search.Experts, search.Staff}, Size: 5})
	if err != nil || n2 != n1 || res.Total != 1 {
		t.Errorf("rebuilt: %d documents (had %d), %d hits", n2, n1, res.Total)
	}
}

// TestMetrics: /metrics shows request counts and latencies by route (the
// pattern, never a path with an id), search latency, the index's size and
// feed lag, the database pool and login events, to allowed addresses only
// (issue 9).
func TestMetrics(t *testing.T) {
	f := newForumFixture(t)
	as := f.as
	as.searchable(t)
	c := as.client(t)
	c.get("/en/")
	c.get("/en/forum/t/" + id(f.threads["open"].ID))
	c.get("/api/search?q=grooming")
	c.post("/en/account/login", url.Values{"email": {"nobody@unit.example"}, "password": {"wrong password here"}})
	st, body, _ := c.get("/metrics")
	if st != 200 {
		t.Fatalf("/metrics: %d", st)
	}
	for _, want := range []string{`polis_http_requests_total{route="GET /{lang}/forum/t/{id}",method="GET",code="303"}`,
		`polis_http_request_duration_seconds_bucket{route="GET /api/search",le="+Inf"}`, `polis_search_documents `,
		`polis_search_feed_lag 0`, `polis_db_connections{state="open"}`, `polis_login_events_total{event="failure"} 1`,
		`polis_http_requests_total{route="static"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "/en/forum/t/"+id(f.threads["open"].ID)) || strings.Contains(body, "nobody@") {
		t.Error("/metrics shows a path with an id or an address")
	}
	// Another address: the same 404 as for anything that does not exist.
	as.deps.Config.MetricsAllow = "10.0.0.0/8"
	h, _ := New(as.deps)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 || strings.Contains(rec.Body.String(), "polis_") {
		t.Errorf("/metrics from a foreign address: %d", rec.Code)
	}
}
