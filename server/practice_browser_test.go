package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/polis-portal/polis/server/browsertest"
	"github.com/polis-portal/polis/server/store"
)

// TestBrowserPracticesWithoutJavaScript filters the catalogue with scripts
// disabled (a plain GET form) and opens an item (issue 6).
func TestBrowserPracticesWithoutJavaScript(t *testing.T) {
	f := newForumFixture(t)
	addPractice(t, f.as, "zebra-guide", "guide", "public", map[string]store.PracticeText{
		"en": {Title: "Zebra guide for hotlines", Summary: "Public zebra summary.", Body: "Public zebra body."}})
	addPractice(t, f.as, "zebra-report", "report", "public", map[string]store.PracticeText{
		"en": {Title: "Zebra annual report", Summary: "A report.", Body: "Report body."}})
	ctx := browsertest.New(t, 60*time.Second)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(f.as.srv.URL+"/en/practices/"),
		chromedp.WaitVisible(chromedp.CSS(`select#f-kind`)),
		chromedp.SetValue(chromedp.CSS(`select#f-kind`), "report"),
		chromedp.Click(chromedp.CSS(`form.filters button`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.search.includes("kind=report") && document.readyState === "complete"`, 10*time.Second)
	list := textOf(t, ctx, `ul.practices`)
	if !strings.Contains(list, "Zebra annual report") || strings.Contains(list, "Zebra guide") {
		t.Fatalf("filtered list: %q", list)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`ul.practices a[href$='/zebra-report/']`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/en/practices/zebra-report/" && document.readyState === "complete"`, 10*time.Second)
	if h1 := textOf(t, ctx, `h1`); h1 != "Zebra annual report" {
		t.Errorf("item page h1 %q", h1)
	}
}
