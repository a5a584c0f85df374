package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/polis-portal/polis/server/browsertest"
	"github.com/polis-portal/polis/server/library"
)

// TestBrowserLibraryPermalinkAndCompare: a drafter opens an instrument,
// follows an article's permalink, copies its citation, and compares two
// countries on "knowing possession" with the form (issue 7 acceptance).
func TestBrowserLibraryPermalinkAndCompare(t *testing.T) {
	as := newAccountServer(t)
	ctx := browsertest.New(t, 90*time.Second)
	base := as.srv.URL
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/en/library/"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/en/library/lanzarote/"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/en/library/lanzarote/"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/en/library/lanzarote/" && document.readyState === "complete"`, 10*time.Second)
	// The contents link to the article's anchor on the page…
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav.toc a[href="#art-20"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.hash === "#art-20"`, 5*time.Second)
	// …and the pilcrow to its permalink.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#art-20 a.permalink`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/en/library/lanzarote/art-20" && document.readyState === "complete"`, 10*time.Second)
	if h1 := textOf(t, ctx, "h1"); !strings.HasPrefix(h1, "Article 20") {
		t.Errorf("permalink h1 %q", h1)
	}
	cite := browsertest.Eval[string](t, ctx, `document.querySelector("input.copy-source").value`)
	if !strings.Contains(cite, "CETS No. 201") || !strings.HasSuffix(cite, "Article 20") {
		t.Errorf("citation %q", cite)
	}
	// With scripts on, the copy button shows and puts the citation on the
	// clipboard.
	if !browsertest.Eval[bool](t, ctx, `!document.querySelector("button[data-copy]").hidden`) {
		t.Error("the copy button stays hidden with JavaScript")
	}

	// Compare two countries on knowing possession, without JavaScript.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/en/library/compare/"),
		chromedp.WaitVisible(chromedp.CSS(`select#c-element`)),
		chromedp.SetValue(chromedp.CSS(`select#c-element`), "possession"),
		chromedp.Click(chromedp.CSS(`input[name="doc"][value="de-stgb"]`)),
		chromedp.Click(chromedp.CSS(`input[name="doc"][value="fr-code-penal"]`)),
		chromedp.Click(chromedp.CSS(`form.compare-form button[type="submit"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.search.includes("element=possession") && document.readyState === "complete"`, 10*time.Second)
	cols := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll(".compare-col h3")].map(h => h.textContent.trim())`)
	if len(cols) != 2 {
		t.Fatalf("columns %v, want the two countries", cols)
	}
	lib := as.library.Lib
	for i, id := range []string{"de-stgb", "fr-code-penal"} {
		d := lib.Doc(id)
		if cols[i] != d.Texts["en"].Short {
			t.Errorf("column %d is %q, want %q", i, cols[i], d.Texts["en"].Short)
		}
		link := library.Permalink("en", id, d.CoversOf("possession")[0].Article)
		if !browsertest.Eval[bool](t, ctx, `!!document.querySelector('#col-`+id+` a[href="`+link+`"]')`) {
			t.Errorf("%s: no link to its possession provision %s", id, link)
		}
	}
	// Side by side on a wide screen: the two columns sit next to each other.
	if !browsertest.Eval[bool](t, ctx, `(() => { const c = document.querySelectorAll(".compare-col"); return c[0].getBoundingClientRect().top === c[1].getBoundingClientRect().top })()`) {
		t.Error("the columns are not side by side")
	}
}

// TestBrowserLibraryAccessible runs axe-core on the library's pages in
// every language: list, instrument, permalink, both side-by-side views,
// matrix, checklist and the self-assessment form.
func TestBrowserLibraryAccessible(t *testing.T) {
	axe := axeScript(t)
	as := newAccountServer(t)
	pages := []string{"library/", "library/lanzarote/", "library/polis-model-law/art-7", "library/de-stgb/", "library/lanzarote/languages?a=en&b=ru",
		"library/compare/?element=possession&doc=de-stgb&doc=fr-code-penal", "library/matrix/", "library/checklist/", "library/assess/"}
	checkAxe(t, axe, as.srv.URL, as.deps.Site.Codes(), pages)

	// The self-assessment's result with its gap report, in every language.
	ctx := browsertest.New(t, 3*time.Minute)
	for _, lang := range as.deps.Site.Codes() {
		if err := chromedp.Do(ctx,
			chromedp.Navigate(as.srv.URL+"/"+lang+"/library/assess/"),
			chromedp.WaitVisible(chromedp.CSS(`textarea#a-draft`)),
			chromedp.SetValue(chromedp.CSS(`textarea#a-draft`), draftEN),
			chromedp.Click(chromedp.CSS(`input[name="covered"][value="production"]`)),
			chromedp.Click(chromedp.CSS(`form.assess-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`section.report`)),
		); err != nil {
			t.Fatal(err)
		}
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("article.gap").length`); n != len(as.library.Lib.Elements)-1 {
			t.Errorf("%s: %d gaps", lang, n)
		}
		runAxe(t, ctx, axe, "/"+lang+"/library/assess/ (result)")
	}
}
