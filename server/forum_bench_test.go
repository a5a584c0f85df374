package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// benchPostBody is a typical post: a few paragraphs, a list, a link and a
// quotation, about 900 bytes of Markdown.
const benchPostBody = `Thanks for the question. In our unit we triage devices on site in three steps:

1. isolate the phone from the network (Faraday bag, flight mode when it is safe);
2. photograph the screen state and note the time source;
3. take a logical extraction first, and a physical one only back at the lab.

> Do you keep the device powered during transport?

Yes, with a power bank inside the bag, because a reboot can lock the data behind the passcode again.
The **ISO/IEC 27037** guidelines describe identification, collection and preservation of digital evidence;
see [the standard's page](https://www.iso.org/standard/44381.html) for the scope.

We log every step in the case file with the tool version used, so that the chain of custody can be shown in court.`

// forumBench is a thread of 50 posts and a signed-in expert.
func forumBench(b *testing.B) (*forumFixture, *store.Thread, *forumUser) {
	f := newForumFixture(b)
	ctx := context.Background()
	th := f.threads["open"]
	html, err := markdown.Render([]byte(benchPostBody), markdown.Options{IDPrefix: "bench-"})
	if err != nil {
		b.Fatal(err)
	}
	for range 49 {
		p := &store.Post{ThreadID: th.ID, AuthorID: f.users["videxpert"].id, Lang: "en", Body: benchPostBody, HTML: string(html), CreatedAt: f.as.now.Unix()}
		if err := f.as.deps.Store.AddPost(ctx, p, false); err != nil {
			b.Fatal(err)
		}
	}
	return f, th, f.users["expert"]
}

// BenchmarkForumThreadPage serves a thread page of 50 posts to a signed-in
// expert over loopback, from 16 and from 32 concurrent clients (budget:
// ≥ 2,000 req/s, p99 < 25 ms).
func BenchmarkForumThreadPage(b *testing.B) {
	f, th, e := forumBench(b)
	cookie := e.c.cookie()
	path := "/en/forum/t/" + id(th.ID)
	if _, body, _ := e.c.get(path); strings.Count(body, `<li class="post`) != 50 {
		b.Fatal("the page does not show 50 posts")
	}
	for _, clients := range []int{16, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			loopback(b, f.as.srv.Config.Handler, path, clients, func(base string, _ int) *http.Request {
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				req.AddCookie(&http.Cookie{Name: "polis_session", Value: cookie})
				return req
			})
		})
	}
}

// BenchmarkForumPost posts replies to one thread over loopback from 16
// members at once, through the whole handler: session, CSRF, limits,
// Markdown, the numbered insert and notifications (budget: ≥ 500 posts/s).
func BenchmarkForumPost(b *testing.B) {
	f, th, _ := forumBench(b)
	f.as.forum.Limits.PostsPerMinute, f.as.forum.Limits.PostsPerDay = 1<<30, 1<<30
	var writers []*forumUser
	for i := range 16 {
		email := fmt.Sprintf("bench%d@unit.example", i)
		uid, secret := f.as.member(b, email, store.RoleExpert, goodPassword)
		c := f.as.client(b)
		c.login(email, goodPassword, secret)
		writers = append(writers, &forumUser{id: uid, c: c, token: c.csrf("/en/account/")})
	}
	// The thread's author watches it, so every post also makes a notification.
	path := "/en/forum/t/" + id(th.ID) + "/reply"
	loopback(b, f.as.srv.Config.Handler, path, 16, func(base string, i int) *http.Request {
		u := writers[i%len(writers)]
		form := url.Values{"body": {fmt.Sprintf("%s\n\nPost %d.", benchPostBody, i)}, "lang": {"en"}, "csrf": {u.token}}
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "polis_session", Value: u.c.cookie()})
		return req
	})
}
