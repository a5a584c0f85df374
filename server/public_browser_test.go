package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/polis-portal/polis/server/browsertest"
	"github.com/polis-portal/polis/server/sitetest"
)

// neutralSite stands in for the neutral page "Leave this site" goes to, so
// that the test needs no network.
func neutralSite(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><html lang=en><title>Weather</title><p id=neutral>%s</p>", r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// quickExitSite builds the site with "Leave this site" pointing at neutral.
func quickExitSite(t *testing.T, neutral string) *httptest.Server {
	t.Helper()
	root, public := sitetest.BuildVariant(t, func(src string) {
		cfg := filepath.Join(src, "config.toml")
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b = regexp.MustCompile(`quickExitURL = "[^"]*"`).ReplaceAll(b, []byte(`quickExitURL = "`+neutral+`/weather"`))
		os.WriteFile(cfg, b, 0o644)
	})
	ts := newTestServerFor(t, root, public)
	srv := httptest.NewServer(ts.handler)
	t.Cleanup(srv.Close)
	return srv
}

func historyURLs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	h, err := chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, e := range h.Entries {
		urls = append(urls, e.URL)
	}
	return urls
}

// TestBrowserQuickExit: the button and Escape pressed twice both replace
// the page with the neutral site; the Polis page is gone from the history,
// so Back leads to where the reader was before (issue 3).
func TestBrowserQuickExit(t *testing.T) {
	neutral := neutralSite(t)
	polis := quickExitSite(t, neutral.URL)
	for _, how := range []string{"button", "keyboard"} {
		t.Run(how, func(t *testing.T) {
			ctx := browsertest.New(t, 60*time.Second)
			if err := chromedp.Do(ctx,
				chromedp.Navigate(neutral.URL+"/before"),
				chromedp.Navigate(polis.URL+"/en/topics/sextortion/"),
				chromedp.WaitVisible(chromedp.CSS(`#quick-exit`)),
			); err != nil {
				t.Fatal(err)
			}
			// Still on screen and on top after scrolling to the end.
			browsertest.Eval[any](t, ctx, `window.scrollTo(0, document.body.scrollHeight)`)
			onTop := browsertest.Eval[bool](t, ctx, `(() => {
				const b = document.querySelector('#quick-exit').getBoundingClientRect();
				const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
				return b.top >= 0 && b.bottom <= innerHeight && hit !== null && hit.closest('#quick-exit') !== null;
			})()`)
			if !onTop {
				t.Error("the quick-exit button is hidden or covered after scrolling")
			}
			var leave chromedp.Action[chromedp.Void]
			if how == "button" {
				leave = chromedp.Click(chromedp.CSS(`#quick-exit`))
			} else {
				leave = chromedp.KeyEvent(kb.Escape + kb.Escape)
			}
			if err := chromedp.Do(ctx, leave); err != nil {
				t.Fatal(err)
			}
			browsertest.WaitFor(t, ctx, `location.pathname === "/weather" && document.querySelector("#neutral") !== null`, 10*time.Second)
			if got := browsertest.Text(t, ctx, `#neutral`); got != "/weather" {
				t.Errorf("landed on %q, want the neutral page", got)
			}
			for _, u := range historyURLs(t, ctx) {
				if strings.HasPrefix(u, polis.URL) {
					t.Errorf("the Polis page is still in the history: %v", historyURLs(t, ctx))
				}
			}
			// Back, as the reader would press it. (chromedp's NavigateBack
			// waits for a load event that a page restored from the
			// back-forward cache never fires.)
			browsertest.Eval[any](t, ctx, `history.back()`)
			browsertest.WaitFor(t, ctx, `location.pathname !== "/weather"`, 10*time.Second)
			if got := browsertest.Eval[string](t, ctx, `location.href`); got != neutral.URL+"/before" {
				t.Errorf("Back went to %s, want the page before Polis", got)
			}
		})
	}
	// One Escape alone does nothing: people press it to close things.
	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(polis.URL+"/en/"),
		chromedp.WaitVisible(chromedp.CSS(`#quick-exit`)),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Sleep(1200*time.Millisecond),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Sleep(300*time.Millisecond),
	); err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Eval[string](t, ctx, `location.pathname`); got != "/en/" {
		t.Errorf("two slow Escapes left the site (now at %s)", got)
	}
}

// TestBrowserCountryPickerWithoutJavaScript picks a country on the French
// help page with scripts disabled and lands on its section (issue 3).
func TestBrowserCountryPickerWithoutJavaScript(t *testing.T) {
	ts := newTestServer(t)
	srv := httptest.NewServer(ts.handler)
	defer srv.Close()
	ctx := browsertest.New(t, 60*time.Second)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/fr/help/"),
		chromedp.WaitVisible(chromedp.CSS(`select#country`)),
		chromedp.SetValue(chromedp.CSS(`select#country`), "ch"),
		chromedp.Click(chromedp.CSS(`.country-picker button`)),
	); err != nil {
		t.Fatal(err)
	}
	// The page's own scripts stay off; the test reads the location through
	// the DevTools protocol.
	browsertest.WaitFor(t, ctx, `location.hash === "#country-ch" && document.readyState === "complete"`, 10*time.Second)
	if got := browsertest.Eval[string](t, ctx, `location.pathname + location.hash`); got != "/fr/help/#country-ch" {
		t.Errorf("landed on %s", got)
	}
	if h := browsertest.Text(t, ctx, `#country-ch h3`); h != "Suisse" {
		t.Errorf("target section heading %q", h)
	}
	if !browsertest.Eval[bool](t, ctx, `(() => { const r = document.querySelector('#country-ch').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; })()`) {
		t.Error("the chosen country is not scrolled into view")
	}
}

// TestBrowserLanguageSwitchKeepsThePage (issue 3).
func TestBrowserLanguageSwitchKeepsThePage(t *testing.T) {
	ts := newTestServer(t)
	srv := httptest.NewServer(ts.handler)
	defer srv.Close()
	ctx := browsertest.New(t, 60*time.Second)
	steps := []struct{ from, to, want string }{
		{"/fr/topics/sextortion/", "ru", "/ru/topics/sextortion/"},
		{"/ru/topics/sextortion/", "de", "/de/topics/sextortion/"},
		{"/de/help/", "es", "/es/help/"},
		{"/es/glossary/", "it", "/it/glossary/"},
	}
	for _, s := range steps {
		if err := chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+s.from),
			chromedp.Click(chromedp.CSS(`nav.langswitch a[hreflang="`+s.to+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+s.to+`"] h1`)),
		); err != nil {
			t.Fatalf("%s → %s: %v", s.from, s.to, err)
		}
		if got := browsertest.Eval[string](t, ctx, `location.pathname`); got != s.want {
			t.Errorf("%s → %s: at %s, want %s", s.from, s.to, got, s.want)
		}
	}
}

// TestBrowserSmallScreenAndZoom: at 320 CSS pixels (a small phone) and at
// the equivalent of 200% zoom, nothing scrolls sideways and the quick exit
// stays visible (issue 3, WCAG 1.4.4 and 1.4.10).
func TestBrowserSmallScreenAndZoom(t *testing.T) {
	ts := newTestServer(t)
	srv := httptest.NewServer(ts.handler)
	defer srv.Close()
	ctx := browsertest.New(t, 90*time.Second)
	for _, vp := range []struct {
		w, h  int64
		scale float64
	}{{320, 640, 1}, {640, 400, 2}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h, chromedp.EmulateScale(vp.scale))); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/ru/", "/de/help/", "/fr/glossary/", "/es/topics/how-to-report/", "/it/nowhere"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p), chromedp.WaitVisible(chromedp.CSS(`#quick-exit`))); err != nil {
				t.Fatal(err)
			}
			overflow := browsertest.Eval[float64](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
			if overflow > 0 {
				t.Errorf("%s at %dpx: scrolls sideways by %.0fpx", p, vp.w, overflow)
			}
			if !browsertest.Eval[bool](t, ctx, `(() => { const b = document.querySelector('#quick-exit').getBoundingClientRect(); return b.width > 0 && b.right <= innerWidth && b.top >= 0; })()`) {
				t.Errorf("%s at %dpx: quick exit off screen", p, vp.w)
			}
		}
	}
}

// axeViolation is what axe-core reports per broken rule.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// TestBrowserAccessibility runs axe-core (WCAG 2.0/2.1 A and AA rules and
// best practices) in headless Chromium on one page of each type in every
// language: zero violations (issue 3).
func TestBrowserAccessibility(t *testing.T) {
	axe := axeScript(t)
	ts := newTestServer(t)
	srv := httptest.NewServer(ts.handler)
	defer srv.Close()
	pages := []string{"", "parents/", "teens/", "topics/", "topics/grooming/", "help/", "glossary/", "about/", "news/", "news/2026-11-polis-opens/", "privacy/", "no-such-page"}
	checkAxe(t, axe, srv.URL, ts.h.Site.Codes(), pages)
}

// axeScript returns axe-core's source, or skips (fails under CI) without it.
func axeScript(t *testing.T) []byte {
	t.Helper()
	axe, err := os.ReadFile(filepath.Join(sitetest.Root(t), "tests", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core missing (npm ci --prefix tests): %v", err)
		}
		t.Skipf("axe-core not installed (npm ci --prefix tests): %v", err)
	}
	return axe
}

// checkAxe runs axe-core on every page in every language: zero violations.
// A session cookie, when given, signs the browser in first.
func checkAxe(t *testing.T, axe []byte, base string, langs, pages []string, session ...string) {
	t.Helper()
	ctx := browsertest.New(t, 5*time.Minute)
	if len(session) > 0 {
		setSession(t, ctx, base, session[0])
	}
	for _, lang := range langs {
		for _, p := range pages {
			target := "/" + lang + "/" + p
			if err := chromedp.Do(ctx, chromedp.Navigate(base+target), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
				t.Fatal(err)
			}
			runAxe(t, ctx, axe, target)
		}
	}
}

// runAxe runs axe-core on the page the browser shows: zero violations.
func runAxe(t *testing.T, ctx context.Context, axe []byte, target string) {
	t.Helper()
	run := `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
		.then(r => JSON.stringify(r.violations))`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](string(axe))); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", target, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: %s (%s) at %v", target, v.ID, v.Help, where)
	}
}
