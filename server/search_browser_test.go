package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/polis-portal/polis/server/browsertest"
)

// TestBrowserSearch: a visitor searches from the header's box with scripts
// off (a plain GET form), narrows by a facet, and the page passes axe-core
// in every language (issue 8).
func TestBrowserSearch(t *testing.T) {
	axe := axeScript(t)
	as := newAccountServer(t)
	as.searchable(t)
	ctx := browsertest.New(t, 3*time.Minute)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(as.srv.URL+"/fr/"),
		chromedp.WaitVisible(chromedp.CSS(`#site-q`)),
		chromedp.SetValue(chromedp.CSS(`#site-q`), "pédopiégeage"),
		chromedp.Click(chromedp.CSS(`form.searchbox button`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/fr/search" && document.readyState === "complete"`, 10*time.Second)
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("ol.results li").length`); n == 0 {
		t.Fatal("no results for pédopiégeage")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`aside.facets a[href*="type%3Alibrary"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.search.includes("type%3Alibrary") && document.readyState === "complete"`, 10*time.Second)
	badges := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("ol.results .meta .badge:first-child")].map(b => b.textContent)`)
	for _, b := range badges {
		if b != as.deps.Catalog.T("fr", "searchType_library") {
			t.Errorf("after the legislation facet: a %q result", b)
		}
	}
	if len(badges) == 0 || strings.TrimSpace(textOf(t, ctx, `p[role=status]`)) == "" {
		t.Error("no results after the facet")
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, axe, as.srv.URL, as.deps.Site.Codes(), []string{"search?q=grooming", "search?q=zzzzqqq", "search/help"})
}
