package server

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/polis-portal/polis/server/browsertest"
)

// TestBrowserLanguageSwitcher loads the French home page in headless
// Chromium, switches to Russian with the switcher, and checks that the page
// and its text changed language (issue 2 acceptance).
func TestBrowserLanguageSwitcher(t *testing.T) {
	ts := newTestServer(t)
	srv := httptest.NewServer(ts.handler)
	defer srv.Close()
	ctx := browsertest.New(t, 60*time.Second)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/fr/"),
		chromedp.WaitVisible(chromedp.CSS(`nav.langswitch`)),
	); err != nil {
		t.Fatal(err)
	}
	lang := browsertest.Eval[string](t, ctx, `document.documentElement.lang`)
	tagline := browsertest.Text(t, ctx, `.brand-tagline`)
	if lang != "fr" || tagline != ts.h.Catalog.T("fr", "siteTagline") {
		t.Fatalf("French home: lang %q, tagline %q", lang, tagline)
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav.langswitch a[hreflang="ru"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ru"] .brand-tagline`)),
	); err != nil {
		t.Fatal(err)
	}
	lang = browsertest.Eval[string](t, ctx, `document.documentElement.lang`)
	url := browsertest.Eval[string](t, ctx, `location.pathname`)
	if lang != "ru" || url != "/ru/" {
		t.Errorf("after switching: lang %q at %s", lang, url)
	}
	if got := browsertest.Text(t, ctx, `.brand-tagline`); got != ts.h.Catalog.T("ru", "siteTagline") {
		t.Errorf("tagline after switching = %q", got)
	}
	if nav := browsertest.Text(t, ctx, `nav.site-nav`); !strings.Contains(nav, ts.h.Catalog.T("ru", "menuHome")) {
		t.Errorf("navigation after switching = %q", nav)
	}
}

// TestBrowserServerPageWearsTheTheme: on a server-rendered page the site's
// stylesheet loads under the CSP, and the switcher leads to the same path in
// the other language.
func TestBrowserServerPageWearsTheTheme(t *testing.T) {
	ts := newTestServer(t)
	srv := httptest.NewServer(ts.handler)
	defer srv.Close()
	ctx := browsertest.New(t, 60*time.Second)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/fr/page-absente"),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
	); err != nil {
		t.Fatal(err)
	}
	if h1 := browsertest.Text(t, ctx, `h1`); h1 != ts.h.Catalog.T("fr", "notFoundTitle") {
		t.Errorf("h1 = %q", h1)
	}
	// The stylesheet applied: the skip link is positioned off screen.
	if !browsertest.Eval[bool](t, ctx, `getComputedStyle(document.querySelector('.skip-link')).position === 'absolute'`) {
		t.Error("the site's stylesheet did not apply on a server page")
	}
	if href := browsertest.Eval[string](t, ctx, `document.querySelector('nav.langswitch a[hreflang="ru"]').getAttribute('href')`); href != "/ru/" {
		t.Errorf("switcher on an error page links to %q, want /ru/", href)
	}
}
