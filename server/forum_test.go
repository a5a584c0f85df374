package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// forumUser is a signed-in member with their browser and CSRF token.
type forumUser struct {
	id     int64
	email  string
	handle string
	c      *client
	token  string
}

// forumFixture is a forum with four communities whose audiences differ,
// one thread in each (started by the administrator, with a document), and
// members of every role.
type forumFixture struct {
	as      *accountServer
	users   map[string]*forumUser
	cats    map[string]*store.Category
	threads map[string]*store.Thread
	posts   map[string]*store.Post // first post of each thread
	hidden  *store.Thread          // a hidden thread in "open"
}

func newForumFixture(t testing.TB) *forumFixture {
	t.Helper()
	as := newAccountServer(t)
	ctx := context.Background()
	st := as.deps.Store
	as.forum.Limits.PostsPerMinute = 1000 // the matrix posts a lot in one minute; limits have their own test
	f := &forumFixture{as: as, users: map[string]*forumUser{}, cats: map[string]*store.Category{},
		threads: map[string]*store.Thread{}, posts: map[string]*store.Post{}}
	gid, err := st.CreateGroup(ctx, "vid", "Victim identification")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct{ name, role string }{
		{"expert", store.RoleExpert}, {"videxpert", store.RoleExpert}, {"expert2", store.RoleExpert},
		{"moderator", store.RoleModerator}, {"administrator", store.RoleAdministrator},
	} {
		email := m.name + "@unit.example"
		id, secret := as.member(t, email, m.role, goodPassword)
		if m.name == "videxpert" {
			if err := st.SetUserGroups(ctx, id, []int64{gid}); err != nil {
				t.Fatal(err)
			}
		}
		c := as.client(t)
		c.login(email, goodPassword, secret)
		u, _ := st.UserByID(ctx, id)
		f.users[m.name] = &forumUser{id: id, email: email, handle: u.Handle, c: c, token: c.csrf("/en/account/")}
	}
	aud := func(read, start, reply string) map[string]string {
		return map[string]string{store.AccessRead: read, store.AccessStart: start, store.AccessReply: reply}
	}
	vid := []string{"vid"}
	for _, c := range []*store.Category{
		{Slug: "open", Audience: aud("experts", "experts", "experts")},
		{Slug: "group", Audience: aud("groups", "groups", "groups"), Groups: map[string][]string{"read": vid, "start": vid, "reply": vid}},
		{Slug: "staffroom", Audience: aud("staff", "staff", "staff")},
		{Slug: "announce", Audience: aud("experts", "staff", "groups"), Groups: map[string][]string{"reply": vid}},
	} {
		c.Texts = map[string]store.CategoryText{"en": {Name: "Community " + c.Slug, Description: "About " + c.Slug}}
		c.CreatedAt = as.now.Unix()
		if err := st.SaveCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
		f.cats[c.Slug] = c
		doc, err := as.forum.Files.Save(strings.NewReader("Agenda for the "+c.Slug+" meeting\nItem one\n"), attachment.Limits{MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		th, p := f.seedThread(t, c, "Secret-"+c.Slug+" methods", "First post in "+c.Slug+" with the word zebra"+c.Slug)
		f.threads[c.Slug], f.posts[c.Slug] = th, p
		if err := addAttachment(st, p, doc); err != nil {
			t.Fatal(err)
		}
		p.Attachments = []store.Attachment{{SHA256: doc.SHA256}}
	}
	f.hidden, _ = f.seedThread(t, f.cats["open"], "Hidden thread title", "Hidden thread text")
	if err := st.HideThread(ctx, f.hidden.ID, as.now.Unix(), "test"); err != nil {
		t.Fatal(err)
	}
	return f
}

// addAttachment links a stored document to an existing post.
func addAttachment(st *store.Store, p *store.Post, doc attachment.Saved) error {
	return st.AddAttachment(context.Background(), p.ID, store.Attachment{SHA256: doc.SHA256, Name: "agenda.txt", Size: doc.Size, Kind: string(doc.Kind), MIME: doc.MIME})
}

func (f *forumFixture) seedThread(t testing.TB, c *store.Category, title, body string) (*store.Thread, *store.Post) {
	t.Helper()
	html, err := markdown.Render([]byte(body), markdown.Options{IDPrefix: "seed-"})
	if err != nil {
		t.Fatal(err)
	}
	now := f.as.now.Unix()
	th := &store.Thread{CategoryID: c.ID, Title: title, AuthorID: f.users["administrator"].id, Lang: "en", CreatedAt: now}
	p := &store.Post{AuthorID: th.AuthorID, Lang: "en", Body: body, HTML: string(html), CreatedAt: now}
	if err := f.as.deps.Store.CreateThread(context.Background(), th, p); err != nil {
		t.Fatal(err)
	}
	return th, p
}

// send posts a form with the member's CSRF token.
func (u *forumUser) send(path string, form url.Values) (int, string, http.Header) {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", u.token)
	return u.c.post(path, form)
}

// sendFiles posts a multipart form with files, as the browser does for the
// post editor.
func (u *forumUser) sendFiles(path string, form url.Values, files map[string][]byte) (int, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	form.Set("csrf", u.token)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, content := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write(content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", u.c.as.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := u.c.http.Do(req)
	if err != nil {
		u.c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func id(n int64) string { return fmt.Sprint(n) }

// TestForumAccessMatrix walks every role × community audience × action and
// checks the answer, including direct addresses of threads, posts and
// documents the viewer may not read: those answer 404, exactly like ones
// that do not exist.
func TestForumAccessMatrix(t *testing.T) {
	f := newForumFixture(t)
	// Who may read, start and reply in each community (written out, not
	// computed with the code under test).
	type rights struct{ read, start, reply []string }
	all := []string{"expert", "videxpert", "moderator", "administrator"}
	staff := []string{"moderator", "administrator"}
	vidStaff := []string{"videxpert", "moderator", "administrator"}
	want := map[string]rights{
		"open":      {all, all, all},
		"group":     {vidStaff, vidStaff, vidStaff},
		"staffroom": {staff, staff, staff},
		"announce":  {all, staff, vidStaff},
	}
	in := func(list []string, who string) bool {
		for _, x := range list {
			if x == who {
				return true
			}
		}
		return false
	}
	for _, who := range all {
		u := f.users[who]
		_, index, _ := u.c.get("/en/forum/")
		for slug, r := range want {
			th, p := f.threads[slug], f.posts[slug]
			canRead := in(r.read, who)
			t.Run(who+"/"+slug, func(t *testing.T) {
				if got := strings.Contains(index, "Community "+slug); got != canRead {
					t.Errorf("forum index lists %s: %v, want %v", slug, got, canRead)
				}
				code := func(ok bool, yes int) int {
					if ok {
						return yes
					}
					return 404
				}
				checks := []struct {
					what string
					got  int
					want int
				}{}
				add := func(what string, got, want int) {
					checks = append(checks, struct {
						what      string
						got, want int
					}{what, got, want})
				}
				st, body, _ := u.c.get("/en/forum/c/" + slug)
				add("category page", st, code(canRead, 200))
				if canRead != strings.Contains(body, th.Title) && st == 200 {
					t.Errorf("category page shows the thread: %v", !canRead)
				}
				st, body, _ = u.c.get("/en/forum/t/" + id(th.ID))
				add("thread page", st, code(canRead, 200))
				if !canRead && strings.Contains(body, "zebra"+slug) {
					t.Error("thread text leaked")
				}
				st, _, _ = u.c.get("/en/forum/p/" + id(p.ID) + "/files/" + p.Attachments[0].SHA256)
				add("document", st, code(canRead, 200))
				st, _, _ = u.c.get("/en/forum/c/" + slug + "/new")
				add("new thread form", st, code(in(r.start, who), 200))
				st, _, _ = u.send("/en/forum/c/"+slug+"/new", url.Values{"title": {"New by " + who}, "body": {"Hello"}, "lang": {"en"}})
				add("start thread", st, code(in(r.start, who), 303))
				st, _, _ = u.send("/en/forum/t/"+id(th.ID)+"/reply", url.Values{"body": {"Reply by " + who}, "lang": {"en"}})
				add("reply", st, code(in(r.reply, who), 303))
				st, _, _ = u.send("/en/forum/p/"+id(p.ID)+"/bookmark", nil)
				add("bookmark", st, code(canRead, 303))
				st, _, _ = u.send("/en/forum/p/"+id(p.ID)+"/flag", url.Values{"reason": {"outdated"}})
				add("flag", st, code(canRead && who != "administrator", 200)) // not one's own post
				st, _, _ = u.send("/en/forum/t/"+id(th.ID)+"/watch", url.Values{"level": {"watch"}})
				add("watch", st, code(canRead, 303))
				st, _, _ = u.get2("/en/forum/p/" + id(p.ID) + "/history")
				add("history of another's post", st, code(in(staff, who) && canRead, 200))
				st, _, _ = u.send("/en/forum/t/"+id(th.ID)+"/moderate", url.Values{"action": {"pin"}, "reason": {"test"}})
				add("moderate thread", st, code(in(staff, who), 303))
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
					}
				}
			})
		}
		// The hidden thread: staff only, by every path.
		st, body, _ := u.c.get("/en/forum/t/" + id(f.hidden.ID))
		wantHidden := 404
		if in(staff, who) {
			wantHidden = 200
		}
		if st != wantHidden {
			t.Errorf("%s: hidden thread: %d, want %d", who, st, wantHidden)
		}
		_, body, _ = u.c.get("/en/forum/c/open")
		if got := strings.Contains(body, "Hidden thread title"); got != in(staff, who) {
			t.Errorf("%s: hidden thread listed: %v", who, got)
		}
		// Staff pages answer 404 to experts.
		for _, path := range []string{"/en/staff/flags", "/en/staff/categories"} {
			st, _, _ := u.c.get(path)
			want := 404
			if in(staff, who) {
				want = 200
			}
			if st != want {
				t.Errorf("%s: %s: %d, want %d", who, path, st, want)
			}
		}
	}
	// A post or thread number that does not exist answers like a hidden one.
	e := f.users["expert"]
	for _, path := range []string{"/en/forum/t/999999", "/en/forum/t/abc", "/en/forum/p/999999/edit", "/en/forum/c/nope"} {
		if st, _, _ := e.c.get(path); st != 404 {
			t.Errorf("%s: %d", path, st)
		}
	}
	// Visitors and applicants are sent to log in or to their status, for
	// every forum address alike (so nothing about a thread leaks).
	anon := f.as.client(t)
	for _, path := range []string{"/en/forum/", "/en/forum/t/" + id(f.threads["staffroom"].ID), "/en/forum/t/999999", "/en/forum/notifications"} {
		st, _, h := anon.get(path)
		if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/en/account/login") {
			t.Errorf("visitor %s: %d → %s", path, st, h.Get("Location"))
		}
	}
	if st, _, _ := anon.post("/en/forum/t/"+id(f.threads["open"].ID)+"/reply", url.Values{"body": {"x"}, "lang": {"en"}}); st != http.StatusSeeOther {
		t.Errorf("visitor reply: %d", st)
	}
	// A forged form (no or a wrong CSRF token) changes nothing.
	before, _ := f.as.deps.Store.ThreadByID(context.Background(), f.threads["open"].ID)
	if st, _, _ := e.c.post("/en/forum/t/"+id(f.threads["open"].ID)+"/reply", url.Values{"body": {"forged"}, "lang": {"en"}, "csrf": {"wrong"}}); st != http.StatusForbidden {
		t.Errorf("forged reply: %d", st)
	}
	after, _ := f.as.deps.Store.ThreadByID(context.Background(), f.threads["open"].ID)
	if after.LastSeq != before.LastSeq {
		t.Error("a forged reply was stored")
	}
}

// get2 is a GET by the member (named apart from send for readability).
func (u *forumUser) get2(path string) (int, string, http.Header) { return u.c.get(path) }

var seqAnchor = regexp.MustCompile(`id="p(\d+)"`)

// TestForumPostingFlow: start a thread with a draft and a preview, reply
// with a quote and a mention, see the notification and the unread count,
// edit with history, delete softly, and read by language and page.
func TestForumPostingFlow(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	e, v, mod := f.users["expert"], f.users["videxpert"], f.users["moderator"]
	open := f.cats["open"]

	// A draft is kept on the server and comes back with the form.
	st, body, _ := e.send("/en/forum/c/open/new", url.Values{"title": {"Triage of seized devices"}, "body": {"Draft text *here*"}, "lang": {"en"}, "action": {"draft"}})
	if st != 200 || !strings.Contains(body, "Your draft is kept") {
		t.Fatalf("draft: %d", st)
	}
	if _, body, _ := e.c.get("/en/forum/c/open/new"); !strings.Contains(body, "Draft text *here*") || !strings.Contains(body, `value="Triage of seized devices"`) {
		t.Error("the draft did not come back")
	}
	// The preview renders without posting.
	st, body, _ = e.send("/en/forum/c/open/new", url.Values{"title": {"Triage of seized devices"}, "body": {"Preview **bold**"}, "lang": {"en"}, "action": {"preview"}})
	if st != 200 || !strings.Contains(body, "<strong>bold</strong>") {
		t.Fatalf("preview: %d", st)
	}
	if ths, _, _ := f.as.deps.Store.Threads(ctx, store.ThreadFilter{Categories: []int64{open.ID}}); len(ths) != 1 {
		t.Fatalf("preview posted: %d threads", len(ths))
	}
	// Bad input gets a clear error and keeps the text.
	st, body, _ = e.send("/en/forum/c/open/new", url.Values{"title": {""}, "body": {"Kept text"}, "lang": {"en"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Give the thread a title") || !strings.Contains(body, "Kept text") {
		t.Errorf("empty title: %d", st)
	}
	st, body, _ = e.send("/en/forum/c/open/new", url.Values{"title": {"T"}, "body": {"Kept text"}, "lang": {"xx"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose the language") {
		t.Errorf("bad language: %d", st)
	}
	st, _, h := e.send("/en/forum/c/open/new", url.Values{"title": {"Triage of seized devices"}, "body": {"How do you triage phones on site? Footnote[^1].\n\n[^1]: A note."},
		"lang": {"en"}, "sensitivity": {"do-not-forward"}})
	if st != http.StatusSeeOther {
		t.Fatalf("start thread: %d", st)
	}
	threadPath := h.Get("Location")
	if _, err := f.as.deps.Store.DraftFor(ctx, e.id, "category:"+id(open.ID)); err != store.ErrNotFound {
		t.Error("the draft outlived the post")
	}
	_, body, _ = e.c.get(threadPath)
	if !strings.Contains(body, "Experts only — do not forward") {
		t.Error("no sensitivity banner")
	}
	m := regexp.MustCompile(`\?quote=(\d+)#reply`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no quote link")
	}
	firstPost := m[1]

	// Another expert replies with a quote and mentions the moderator.
	_, body, _ = v.c.get(threadPath + "?quote=" + firstPost)
	if !strings.Contains(body, "&gt; @"+e.handle) {
		t.Fatalf("the reply form does not quote the post")
	}
	st, _, h = v.send(threadPath+"/reply", url.Values{"body": {"> @" + e.handle + ":\n> How do you triage phones on site?\n\nWe use a write blocker. cc @" + mod.handle},
		"lang": {"en"}, "reply_to": {firstPost}})
	if st != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "#p2") {
		t.Fatalf("reply: %d → %s", st, h.Get("Location"))
	}
	// The author and the moderator are told; the header shows the count.
	_, body, _ = e.c.get("/en/forum/")
	if !regexp.MustCompile(`Notifications <span class="badge unread">1<`).MatchString(body) {
		t.Errorf("the author's header shows no unread notification")
	}
	_, body, _ = mod.c.get("/en/forum/notifications")
	if !strings.Contains(body, "You were mentioned") || !strings.Contains(body, "Triage of seized devices") {
		t.Errorf("the mention did not reach the moderator")
	}
	_, body, _ = e.c.get("/en/forum/notifications")
	if !strings.Contains(body, "A reply to you") {
		t.Error("the reply did not reach the author")
	}
	// Reading the thread marks its notifications read.
	e.c.get(threadPath)
	if n := f.as.forum.Notices(ctx, mustUser(t, f, e.id)); n != 0 {
		t.Errorf("%d unread after reading the thread", n)
	}

	// Edit with history: the author sees it, other experts do not.
	p2 := lastPost(t, f, threadPath)
	st, _, _ = v.send("/en/forum/p/"+id(p2.ID)+"/edit", url.Values{"body": {"We use a hardware write blocker."}, "lang": {"en"}, "reason": {"precision"}})
	if st != http.StatusSeeOther {
		t.Fatalf("edit: %d", st)
	}
	_, body, _ = v.c.get("/en/forum/p/" + id(p2.ID) + "/history")
	if !strings.Contains(body, "We use a write blocker.") || !strings.Contains(body, "precision") {
		t.Error("history lacks the earlier version")
	}
	if st, _, _ := e.c.get("/en/forum/p/" + id(p2.ID) + "/history"); st != 404 {
		t.Errorf("another expert reads the history: %d", st)
	}
	if st, _, _ := e.send("/en/forum/p/"+id(p2.ID)+"/edit", url.Values{"body": {"hijack"}, "lang": {"en"}}); st != 404 {
		t.Errorf("another expert edits: %d", st)
	}
	if st, body, _ := mod.c.get("/en/forum/p/" + id(p2.ID) + "/history"); st != 200 || !strings.Contains(body, "We use a write blocker.") {
		t.Errorf("staff cannot read the history: %d", st)
	}

	// Soft delete leaves a trace; staff still read the text.
	if st, _, _ := v.send("/en/forum/p/"+id(p2.ID)+"/delete", nil); st != http.StatusSeeOther {
		t.Fatalf("delete: %d", st)
	}
	_, body, _ = e.c.get(threadPath)
	if !strings.Contains(body, "This post was deleted.") || strings.Contains(body, "hardware write blocker") {
		t.Error("deleted post: no trace, or the text is still shown")
	}
	if _, body, _ := mod.c.get(threadPath); !strings.Contains(body, "hardware write blocker") {
		t.Error("staff no longer see the deleted text")
	}

	// Language tags and the filter.
	v.send(threadPath+"/reply", url.Values{"body": {"Nous utilisons un bloqueur d'écriture."}, "lang": {"fr"}})
	_, body, _ = e.c.get(threadPath + "?lang=fr")
	if !strings.Contains(body, "bloqueur") || strings.Contains(body, "How do you triage") {
		t.Error("the language filter does not filter")
	}

	// The member's data export holds what they wrote, deleted posts too;
	// the directory shows handles to mention.
	if _, data, _ := v.c.get("/en/account/data.json"); !strings.Contains(data, "We use a hardware write blocker.") || !strings.Contains(data, `"Deleted": true`) {
		t.Error("the data export lacks the member's posts")
	}
	if _, body, _ := e.c.get("/en/experts/"); !strings.Contains(body, "@"+mod.handle) {
		t.Error("the directory does not show handles")
	}

	// Bookmarks list only what the member may still read.
	e.send("/en/forum/p/"+firstPost+"/bookmark", nil)
	if _, body, _ := e.c.get("/en/forum/bookmarks"); !strings.Contains(body, "Triage of seized devices") {
		t.Error("bookmark missing")
	}
}

// TestForumPagesAndUnread: a long thread is paged, and a returning reader
// is taken to the first post they have not read.
func TestForumPagesAndUnread(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	e := f.users["expert"]
	th := f.threads["open"]
	for i := 2; i <= 60; i++ {
		p := &store.Post{ThreadID: th.ID, AuthorID: f.users["videxpert"].id, Lang: "en", Body: fmt.Sprintf("post %d", i), HTML: fmt.Sprintf("<p>post number %d</p>", i), CreatedAt: f.as.now.Unix()}
		if err := f.as.deps.Store.AddPost(ctx, p, false); err != nil {
			t.Fatal(err)
		}
	}
	path := "/en/forum/t/" + id(th.ID)
	_, body, _ := e.c.get(path)
	if got := len(seqAnchor.FindAllString(body, -1)); got != 50 {
		t.Errorf("first page has %d posts, want 50", got)
	}
	if !strings.Contains(body, `rel="next"`) {
		t.Error("no link to the next page")
	}
	_, body, _ = e.c.get(path + "?page=2")
	if got := len(seqAnchor.FindAllString(body, -1)); got != 10 || !strings.Contains(body, "post number 60") {
		t.Errorf("second page has %d posts", got)
	}
	for i := 61; i <= 62; i++ {
		p := &store.Post{ThreadID: th.ID, AuthorID: f.users["videxpert"].id, Lang: "en", Body: "new", HTML: fmt.Sprintf("<p>post number %d</p>", i), CreatedAt: f.as.now.Unix()}
		f.as.deps.Store.AddPost(ctx, p, false)
	}
	st, _, h := e.c.get(path)
	if st != http.StatusFound || h.Get("Location") != path+"?page=2#p61" {
		t.Errorf("returning reader: %d → %s, want the first unread post", st, h.Get("Location"))
	}
	_, body, _ = e.c.get(path + "?page=2")
	if !strings.Contains(body, `class="post unread" id="p61"`) || strings.Contains(body, `class="post unread" id="p60"`) {
		t.Error("unread markers wrong")
	}
	_, body, _ = e.c.get("/en/forum/c/open")
	if strings.Contains(body, `badge unread`) {
		t.Error("the thread still counts unread posts after reading")
	}
}

func mustUser(t *testing.T, f *forumFixture, uid int64) *store.User {
	u, err := f.as.deps.Store.UserByID(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	u.Groups, _ = f.as.deps.Store.UserGroups(context.Background(), uid)
	return u
}

// lastPost returns the newest post of the thread at path.
func lastPost(t *testing.T, f *forumFixture, path string) *store.Post {
	var tid int64
	fmt.Sscanf(path[strings.LastIndex(path, "/")+1:], "%d", &tid)
	posts, _, err := f.as.deps.Store.Posts(context.Background(), tid, store.PostFilter{Limit: 1000, WithSource: true})
	if err != nil || len(posts) == 0 {
		t.Fatal("no posts", err)
	}
	return posts[len(posts)-1]
}

// TestForumModeration: a flag reaches the queue; hiding the post closes
// the flag, tells the author and the flagger, and is audited with its
// reason; lock, close, move and pin change what members can do.
func TestForumModeration(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	e, v, mod := f.users["expert"], f.users["videxpert"], f.users["moderator"]
	th := f.threads["open"]
	path := "/en/forum/t/" + id(th.ID)
	e.send(path+"/reply", url.Values{"body": {"Here is a home address: 1 Example Street"}, "lang": {"en"}})
	p := lastPost(t, f, path)

	if st, body, _ := v.send("/en/forum/p/"+id(p.ID)+"/flag", url.Values{"reason": {"personal-data"}, "note": {"an address"}}); st != 200 || !strings.Contains(body, "moderators will look") {
		t.Fatalf("flag: %d", st)
	}
	if st, _, _ := v.send("/en/forum/p/"+id(p.ID)+"/flag", url.Values{"reason": {"nonsense"}}); st != http.StatusUnprocessableEntity {
		t.Errorf("unknown flag reason: %d", st)
	}
	_, body, _ := mod.c.get("/en/staff/flags")
	if !strings.Contains(body, "Personal data") || !strings.Contains(body, "an address") || !strings.Contains(body, "1 Example Street") {
		t.Fatal("the flag is not in the queue")
	}
	// A reason is required.
	if st, _, _ := mod.send("/en/forum/p/"+id(p.ID)+"/moderate", url.Values{"action": {"hide"}}); st != http.StatusUnprocessableEntity {
		t.Errorf("hide without reason: %d", st)
	}
	if st, _, _ := mod.send("/en/forum/p/"+id(p.ID)+"/moderate", url.Values{"action": {"hide"}, "reason": {"personal data of a third party"}, "back": {"/en/staff/flags"}}); st != http.StatusSeeOther {
		t.Fatalf("hide: %d", st)
	}
	if _, body, _ := mod.c.get("/en/staff/flags"); strings.Contains(body, "1 Example Street") {
		t.Error("the flag is still open")
	}
	if _, body, _ := v.c.get(path); strings.Contains(body, "1 Example Street") || !strings.Contains(body, "hidden by the moderators") {
		t.Error("the hidden post is still shown to experts")
	}
	if _, body, _ := e.c.get("/en/forum/notifications"); !strings.Contains(body, "your post was hidden") {
		t.Error("the author was not told")
	}
	if _, body, _ := v.c.get("/en/forum/notifications"); !strings.Contains(body, "the post you flagged was hidden") {
		t.Error("the flagger was not told")
	}
	entries, _ := f.as.deps.Store.AuditLog(ctx, store.AuditFilter{Action: "forum.post.hide"})
	if len(entries) != 1 || !strings.Contains(entries[0].Detail, "personal data of a third party") || entries[0].ActorID != mod.id {
		t.Errorf("audit: %+v", entries)
	}
	// Restore.
	mod.send("/en/forum/p/"+id(p.ID)+"/moderate", url.Values{"action": {"restore"}, "reason": {"address removed by author"}})
	if _, body, _ := v.c.get(path); !strings.Contains(body, "1 Example Street") {
		t.Error("restore did not show the post again")
	}

	// Lock: no replies from experts (clear message, text kept), staff still can.
	mod.send(path+"/moderate", url.Values{"action": {"lock"}, "reason": {"cooling down"}})
	st, body, _ := e.send(path+"/reply", url.Values{"body": {"My kept reply"}, "lang": {"en"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "locked") || !strings.Contains(body, "My kept reply") {
		t.Errorf("reply to a locked thread: %d", st)
	}
	if st, _, _ := mod.send(path+"/reply", url.Values{"body": {"Staff note"}, "lang": {"en"}}); st != http.StatusSeeOther {
		t.Errorf("staff reply to a locked thread: %d", st)
	}
	mod.send(path+"/moderate", url.Values{"action": {"unlock"}, "reason": {"ok"}})
	mod.send(path+"/moderate", url.Values{"action": {"close"}, "reason": {"concluded"}})
	if st, body, _ := e.send(path+"/reply", url.Values{"body": {"late"}, "lang": {"en"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "closed") {
		t.Errorf("reply to a closed thread: %d", st)
	}
	// Move to the staff room: experts lose it (404), staff follow it.
	mod.send(path+"/moderate", url.Values{"action": {"move"}, "category": {id(f.cats["staffroom"].ID)}, "reason": {"internal"}})
	if st, _, _ := e.c.get(path); st != 404 {
		t.Errorf("moved thread still readable by an expert: %d", st)
	}
	// A notification about it no longer shows or counts for the expert.
	if n := f.as.forum.Notices(ctx, mustUser(t, f, e.id)); n != 0 {
		t.Errorf("expert still counts %d notifications from a thread they cannot read", n)
	}
	if _, body, _ := e.c.get("/en/forum/notifications"); strings.Contains(body, "Secret-open") {
		t.Error("a notification names a thread the expert can no longer read")
	}
	for _, action := range []string{"forum.thread.lock", "forum.thread.close", "forum.thread.move"} {
		if es, _ := f.as.deps.Store.AuditLog(ctx, store.AuditFilter{Action: action}); len(es) != 1 {
			t.Errorf("%s audited %d times", action, len(es))
		}
	}
	// Suspending the author from the post ends their sessions.
	if st, _, _ := mod.send("/en/staff/users/"+id(e.id)+"/suspend", url.Values{"reason": {"repeated personal data"}}); st != http.StatusSeeOther {
		t.Fatalf("suspend: %d", st)
	}
	if st, _, _ := e.c.get("/en/forum/"); st != http.StatusSeeOther {
		t.Errorf("suspended member still in: %d", st)
	}
}

// TestForumMentionsRespectAccess: a mention of someone who cannot read
// the community tells them nothing; muting silences a thread.
func TestForumMentionsRespectAccess(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	e, v, e2 := f.users["expert"], f.users["videxpert"], f.users["expert2"]
	// In the group-only community, mentioning the expert outside the group.
	path := "/en/forum/t/" + id(f.threads["group"].ID)
	if st, _, _ := v.send(path+"/reply", url.Values{"body": {"Asking @" + e.handle + " about zebragroup"}, "lang": {"en"}}); st != http.StatusSeeOther {
		t.Fatalf("reply: %d", st)
	}
	ns, _ := f.as.deps.Store.Notifications(ctx, store.NoticeFilter{UserID: e.id, Categories: []int64{f.cats["open"].ID, f.cats["group"].ID, f.cats["staffroom"].ID, f.cats["announce"].ID}})
	if len(ns) != 0 {
		t.Errorf("the expert was notified of a community they cannot read: %+v", ns)
	}
	// Muting a thread silences mentions there.
	open := "/en/forum/t/" + id(f.threads["open"].ID)
	e2.send(open+"/watch", url.Values{"level": {"mute"}})
	v.send(open+"/reply", url.Values{"body": {"@" + e2.handle + " what do you think?"}, "lang": {"en"}})
	if n := f.as.forum.Notices(ctx, mustUser(t, f, e2.id)); n != 0 {
		t.Errorf("muted thread still notifies: %d", n)
	}
	// Watching a category notifies of every new post in it.
	e.send("/en/forum/c/open/watch", url.Values{"level": {"watch"}})
	v.send(open+"/reply", url.Values{"body": {"Another post"}, "lang": {"en"}})
	if n := f.as.forum.Notices(ctx, mustUser(t, f, e.id)); n != 1 {
		t.Errorf("watching the category: %d notifications, want 1", n)
	}
}

// TestForumMail: immediate notices and the daily digest go through the
// outbox and carry no forum text.
func TestForumMail(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	e, v, e2 := f.users["expert"], f.users["videxpert"], f.users["expert2"]
	st := f.as.deps.Store
	st.SetNotifyEmail(ctx, e.id, "immediate")
	st.SetNotifyEmail(ctx, e2.id, "daily")
	open := "/en/forum/t/" + id(f.threads["open"].ID)
	v.send(open+"/reply", url.Values{"body": {"Confidential zebra text for @" + e.handle + " and @" + e2.handle}, "lang": {"en"}})
	mails, _ := st.Outbox(ctx, e.email, 10)
	if len(mails) != 1 || !strings.Contains(mails[0].Body, "/en/forum/notifications") {
		t.Fatalf("immediate mail: %+v", mails)
	}
	if strings.Contains(mails[0].Body, "zebra") || strings.Contains(mails[0].Body, "Secret-open") {
		t.Error("the mail carries forum text")
	}
	if mails, _ := st.Outbox(ctx, e2.email, 10); len(mails) != 0 {
		t.Error("the digest member got an immediate mail")
	}
	if err := f.as.forum.SendDigests(ctx); err != nil {
		t.Fatal(err)
	}
	mails, _ = st.Outbox(ctx, e2.email, 10)
	if len(mails) != 1 || !strings.Contains(mails[0].Body, "1 unread notification") || strings.Contains(mails[0].Body, "zebra") {
		t.Fatalf("digest: %+v", mails)
	}
	// Not twice in a day, even with new notifications.
	v.send(open+"/reply", url.Values{"body": {"Again @" + e2.handle}, "lang": {"en"}})
	f.as.forum.SendDigests(ctx)
	if mails, _ := st.Outbox(ctx, e2.email, 10); len(mails) != 1 {
		t.Errorf("%d digests in one day", len(mails))
	}
	f.as.now = f.as.now.Add(25 * 3600 * 1e9)
	f.as.forum.SendDigests(ctx)
	if mails, _ := st.Outbox(ctx, e2.email, 10); len(mails) != 2 {
		t.Errorf("%d digests after a day", len(mails))
	}
}

// TestForumAttachments: documents are accepted by content and served as
// downloads; images are refused with the reason, and the text is kept.
func TestForumAttachments(t *testing.T) {
	f := newForumFixture(t)
	e, v := f.users["expert"], f.users["videxpert"]
	path := "/en/forum/t/" + id(f.threads["open"].ID)
	csv := []byte("country;unit\nFR;OCRVP\nBE;FCCU\n")
	st, body := e.sendFiles(path+"/reply", url.Values{"body": {"Contact list attached"}, "lang": {"en"}}, map[string][]byte{"units.csv": csv})
	if st != http.StatusSeeOther {
		t.Fatalf("reply with a CSV: %d %s", st, body)
	}
	p := lastPost(t, f, path)
	if len(p.Attachments) != 1 || p.Attachments[0].Kind != "csv" || p.Attachments[0].Name != "units.csv" {
		t.Fatalf("attachments: %+v", p.Attachments)
	}
	res, err := v.c.http.Get(f.as.srv.URL + "/en/forum/p/" + id(p.ID) + "/files/" + p.Attachments[0].SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	h := res.Header
	if !bytes.Equal(got, csv) || h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Errorf("download: %q %v", got, h)
	}
	// A wrong hash on a real post is not found.
	if st, _, _ := v.c.get("/en/forum/p/" + id(p.ID) + "/files/" + strings.Repeat("0", 64)); st != 404 {
		t.Errorf("unknown document: %d", st)
	}

	// Images are refused whatever their name, with the reason; the text stays.
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	for name, content := range map[string][]byte{"minutes.pdf": png, "photo.png": png, "notes.txt": []byte("GIF89a" + strings.Repeat("\x00", 32))} {
		before := lastPost(t, f, path).Seq
		st, body := e.sendFiles(path+"/reply", url.Values{"body": {"My text about " + name}, "lang": {"en"}}, map[string][]byte{name: content})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "never accepts images") || !strings.Contains(body, "My text about "+name) {
			t.Errorf("%s: %d, want the image refusal with the text kept", name, st)
		}
		if lastPost(t, f, path).Seq != before {
			t.Errorf("%s: a post was stored", name)
		}
	}
	// Other kinds are refused with their own reason; too many files too.
	if st, body := e.sendFiles(path+"/reply", url.Values{"body": {"x"}, "lang": {"en"}}, map[string][]byte{"tool.exe": []byte("MZ\x90\x00binary")}); st != 422 || !strings.Contains(body, "not one of the accepted kinds") {
		t.Errorf("executable: %d", st)
	}
	many := map[string][]byte{}
	for i := range 4 {
		many[fmt.Sprintf("n%d.txt", i)] = []byte(fmt.Sprintf("note %d\n", i))
	}
	if st, body := e.sendFiles(path+"/reply", url.Values{"body": {"x"}, "lang": {"en"}}, many); st != 422 || !strings.Contains(body, "at most 3 documents") {
		t.Errorf("four files: %d", st)
	}
	// Stored by content hash in the data folder.
	if _, err := f.as.forum.Files.Open(p.Attachments[0].SHA256); err != nil {
		t.Errorf("stored file: %v", err)
	}
}

// TestForumHostileMarkdown posts hostile text through the real server and
// checks the page that shows it: no markup from the author survives.
func TestForumHostileMarkdown(t *testing.T) {
	f := newForumFixture(t)
	e := f.users["expert"]
	path := "/en/forum/t/" + id(f.threads["open"].ID)
	hostile := "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n" +
		"[data](data:text/html;base64,PHNjcmlwdD4=)\n\n![pic](https://example.org/a.png)\n\n<a href=\"https://example.org\" onclick=\"x()\">a</a>\n\n" +
		"<iframe src=\"https://example.org\"></iframe>\n\n[ok](https://example.org/page)"
	if st, _, _ := e.send(path+"/reply", url.Values{"body": {hostile}, "lang": {"en"}}); st != http.StatusSeeOther {
		t.Fatalf("reply: %d", st)
	}
	p := lastPost(t, f, path)
	_, body, _ := e.c.get(path)
	i := strings.Index(body, `id="p`+fmt.Sprint(p.Seq)+`"`)
	post := body[i:]
	post = post[:strings.Index(post, "</article>")]
	// The author's markup may show as text (escaped), never as markup.
	for _, bad := range []string{"<script", "<img", "<iframe", `href="javascript:`, `href="data:`} {
		if strings.Contains(post, bad) {
			t.Errorf("rendered post contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`<[^>]*\s(on[a-z]+|src|style)=`).FindString(post); m != "" {
		t.Errorf("rendered post has a tag with %q", m)
	}
	if !strings.Contains(post, "&lt;script&gt;") {
		t.Error("raw HTML is neither escaped nor shown")
	}
	if !strings.Contains(post, `href="https://example.org/page" rel="nofollow noopener noreferrer"`) && !strings.Contains(post, `rel="nofollow noopener noreferrer" href="https://example.org/page"`) {
		t.Errorf("the safe link is missing or lacks rel: %s", post)
	}
}

// TestForumConcurrentWriters: 50 members post to one thread at once
// through the server; nothing is lost, every post has its own number, the
// numbers have no gap, and each writer's posts keep their order.
func TestForumConcurrentWriters(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	th := f.threads["open"]
	const writers, each = 50, 4
	users := make([]*forumUser, writers)
	for i := range users {
		email := fmt.Sprintf("writer%d@unit.example", i)
		uid, secret := f.as.member(t, email, store.RoleExpert, goodPassword)
		c := f.as.client(t)
		c.login(email, goodPassword, secret)
		users[i] = &forumUser{id: uid, email: email, c: c, token: c.csrf("/en/account/")}
	}
	path := "/en/forum/t/" + id(th.ID) + "/reply"
	errs := make(chan string, writers*each)
	start := make(chan struct{})
	done := make(chan struct{})
	for i, u := range users {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			for k := range each {
				form := url.Values{"body": {fmt.Sprintf("writer %d post %d", i, k)}, "lang": {"en"}, "csrf": {u.token}}
				req, _ := http.NewRequest("POST", f.as.srv.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := u.c.http.Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusSeeOther {
					errs <- fmt.Sprintf("writer %d post %d: %d", i, k, res.StatusCode)
				}
			}
		}()
	}
	began := time.Now()
	close(start)
	for range users {
		<-done
	}
	t.Logf("%d posts by %d concurrent writers in %v", writers*each, writers, time.Since(began))
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	posts, total, err := f.as.deps.Store.Posts(ctx, th.ID, store.PostFilter{Limit: 1000, WithSource: true})
	if err != nil {
		t.Fatal(err)
	}
	if total != 1+writers*each {
		t.Fatalf("%d posts, want %d", total, 1+writers*each)
	}
	seen := map[string]int{}
	for i, p := range posts {
		if p.Seq != i+1 {
			t.Fatalf("post %d has number %d: gap or duplicate", i+1, p.Seq)
		}
		seen[p.Body] = p.Seq
	}
	for i := range writers {
		prev := 0
		for k := range each {
			seq, ok := seen[fmt.Sprintf("writer %d post %d", i, k)]
			if !ok {
				t.Errorf("writer %d post %d lost", i, k)
				continue
			}
			if seq <= prev {
				t.Errorf("writer %d: post %d numbered %d before an earlier post (%d)", i, k, seq, prev)
			}
			prev = seq
		}
	}
	got, _ := f.as.deps.Store.ThreadByID(ctx, th.ID)
	if got.LastSeq != 1+writers*each || got.PostCount != 1+writers*each {
		t.Errorf("thread counters: last %d, count %d", got.LastSeq, got.PostCount)
	}
}

// forumForm is a reply form (body in English), with extra key/value pairs.
func forumForm(body string, kv ...string) url.Values {
	form := url.Values{"lang": {"en"}}
	if body != "" {
		form.Set("body", body)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return form
}

// TestForumLimitsAndCategoryForm: the posting limits answer with a clear
// message and keep the text; a community needs a name and a description
// in every site language; moderators create and order communities.
func TestForumLimitsAndCategoryForm(t *testing.T) {
	f := newForumFixture(t)
	e, mod := f.users["expert"], f.users["moderator"]
	f.as.forum.Limits.PostsPerMinute = 2
	path := "/en/forum/t/" + id(f.threads["open"].ID) + "/reply"
	for i := range 2 {
		if st, _, _ := e.send(path, forumForm(fmt.Sprintf("post %d", i))); st != http.StatusSeeOther {
			t.Fatalf("post %d: %d", i, st)
		}
	}
	st, body, _ := e.send(path, forumForm("third post kept"))
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "2 times a minute") || !strings.Contains(body, "third post kept") {
		t.Errorf("rate limit: %d", st)
	}
	f.as.now = f.as.now.Add(61 * time.Second)
	long := strings.Repeat("x", f.as.forum.Limits.PostBytes+1)
	if st, body, _ := e.send(path, forumForm(long)); st != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 64 KB") {
		t.Errorf("size limit: %d", st)
	}

	form := url.Values{"slug": {"training"}, "audience_read": {"experts"}, "audience_start": {"experts"}, "audience_reply": {"experts"}}
	for _, l := range f.as.deps.Site.Codes() {
		form.Set("name_"+l, "Training "+l)
		if l != "ru" {
			form.Set("description_"+l, "Courses "+l)
		}
	}
	if st, body, _ := mod.send("/en/staff/categories", form); st != 422 || !strings.Contains(body, "every language") {
		t.Errorf("category without a Russian description: %d", st)
	}
	form.Set("description_ru", "Курсы")
	if st, _, _ := mod.send("/en/staff/categories", form); st != http.StatusSeeOther {
		t.Fatalf("category: %d", st)
	}
	if st, _, _ := e.send("/en/staff/categories", form); st != 404 {
		t.Errorf("expert creating a category: %d", st)
	}
	cats, _ := f.as.deps.Store.Categories(context.Background())
	last := cats[len(cats)-1]
	if last.Slug != "training" || last.Texts["ru"].Description != "Курсы" {
		t.Fatalf("saved category: %+v", last)
	}
	mod.send("/en/staff/categories/"+id(last.ID)+"/move", url.Values{"dir": {"up"}})
	cats, _ = f.as.deps.Store.Categories(context.Background())
	if cats[len(cats)-2].Slug != "training" {
		t.Error("moving up did not change the order")
	}
	if _, body, _ := e.c.get("/ru/forum/"); !strings.Contains(body, "Курсы") {
		t.Error("the Russian description is not shown")
	}
}
