package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/polis-portal/polis/server/browsertest"
	"github.com/polis-portal/polis/server/store"
)

// setSession makes the browser the member whose session cookie this is.
func setSession(t *testing.T, ctx context.Context, base, value string) {
	t.Helper()
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "polis_session", Value: value, URL: base + "/", Path: "/",
		HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
		t.Fatal(err)
	}
}

// textOf is the text of the first element matching css (read in one
// evaluation, so a page that is still settling cannot swap the node).
func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return browsertest.Eval[string](t, ctx, `(document.querySelector(`+"`"+css+"`"+`) || {textContent: ""}).textContent`)
}

// TestBrowserForumFlow: in headless Chromium, an expert starts a thread
// mentioning a colleague; the colleague sees the notification, replies
// with a quote; the first expert flags the reply; a moderator hides it
// from the queue; the flagger is told (issue 5 acceptance).
func TestBrowserForumFlow(t *testing.T) {
	f := newForumFixture(t)
	ctx := browsertest.New(t, 2*time.Minute)
	base := f.as.srv.URL
	e, v, mod := f.users["expert"], f.users["videxpert"], f.users["moderator"]
	as := func(u *forumUser) { setSession(t, ctx, base, u.c.cookie()) }

	// Start a thread with a mention.
	as(e)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/en/forum/c/open/new"),
		chromedp.WaitVisible(chromedp.CSS(`#title`)),
		chromedp.SendKeys(chromedp.CSS(`#title`), "Hash sets for known material"),
		chromedp.SendKeys(chromedp.CSS(`#body`), "Which hash sets do you share with hotlines? @"+v.handle+" may know."),
		chromedp.Click(chromedp.CSS(`button[value="post"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname.startsWith("/en/forum/t/") && document.querySelector("#p1 .post-body") !== null`, 10*time.Second)
	if got := textOf(t, ctx, `#p1 .mention`); got != "@"+v.handle {
		t.Errorf("mention rendered as %q", got)
	}

	// The colleague sees the notification and replies with a quote.
	as(v)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/forum/")); err != nil {
		t.Fatal(err)
	}
	if badge := textOf(t, ctx, `.usernav .badge`); !strings.HasPrefix(badge, "1") {
		t.Errorf("header badge %q", badge)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.usernav a[href="/en/forum/notifications"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/en/forum/notifications" && document.querySelector(".notices li.unread") !== null`, 10*time.Second)
	if got := textOf(t, ctx, `.notices li`); !strings.Contains(got, "You were mentioned") || !strings.Contains(got, "Hash sets for known material") {
		t.Errorf("notification %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.notices li a`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("#p1 .post-actions a[href*='quote=']") !== null`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#p1 .post-actions a[href*='quote=']`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("#body") && document.querySelector("#body").value.startsWith("> @`+e.handle+`")`, 10*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#body`), "We share PhotoDNA and MD5 sets through the national hotline."),
		chromedp.Click(chromedp.CSS(`button[value="post"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("#p2 blockquote") !== null && location.hash === "#p2"`, 10*time.Second)

	// The first expert is told of the reply, and flags it.
	as(e)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/forum/notifications")); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `.notices li`); !strings.Contains(got, "A reply to you") {
		t.Errorf("reply notification %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.notices li a`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("#p2 a[href$='/flag']") !== null`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#p2 a[href$='/flag']`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("input[name='reason'][value='outdated']") !== null`, 10*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name="reason"][value="outdated"]`)),
		chromedp.SendKeys(chromedp.CSS(`#note`), "Hash formats changed since"),
		chromedp.Click(chromedp.CSS(`main form button`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("main") && document.querySelector("main").textContent.includes("moderators will look")`, 10*time.Second)

	// A moderator hides it from the queue, with a reason.
	as(mod)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/staff/flags")); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `.flag`); !strings.Contains(got, "Outdated") || !strings.Contains(got, "Hash formats changed since") {
		t.Errorf("queue %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`.flag input[name="reason"]`), "Superseded by the 2026 guidance"),
		chromedp.Click(chromedp.CSS(`.flag button[value="hide"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/en/staff/flags" && document.querySelector(".flag") === null`, 10*time.Second)

	// The flagger is told; the reply is hidden from experts.
	as(e)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/forum/notifications")); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `.notices`); !strings.Contains(got, "the post you flagged was hidden") {
		t.Errorf("moderation outcome not shown: %q", got)
	}
}

// TestBrowserForumAccessible runs axe-core on the forum's and the
// workshops' pages for a signed-in moderator (who sees every control), in
// every language.
func TestBrowserForumAccessible(t *testing.T) {
	axe := axeScript(t)
	f := newForumFixture(t)
	mod := f.users["moderator"]
	th := id(f.threads["open"].ID)
	mod.send("/en/forum/t/"+th+"/reply", forumForm("A reply with a [link](https://example.org), a table\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
	mod.send("/en/staff/workshops", forumForm("", "slug", "ws-a11y", "starts", "2030-01-01T09:00", "ends", "2030-01-01T12:00", "title_en", "Accessible workshop"))
	addPractice(t, f.as, "zebra-tool", "tool", "experts", map[string]store.PracticeText{
		"en": {Title: "Zebra sorter", Summary: "Sorts files.", Body: "A tool body with a [link](https://example.org)."}})
	pages := []string{"practices/", "practices/zebra-tool/", "practices/contact-points/", "staff/practices/", "staff/practices/zebra-tool", "forum/", "forum/c/open", "forum/t/" + th, "forum/c/open/new", "forum/notifications", "forum/bookmarks",
		"forum/p/" + id(f.posts["open"].ID) + "/flag", "staff/flags", "staff/categories", "workshops/", "workshops/ws-a11y", "staff/workshops", "staff/workshops/ws-a11y"}
	checkAxe(t, axe, f.as.srv.URL, f.as.deps.Site.Codes(), pages, mod.c.cookie())
}
