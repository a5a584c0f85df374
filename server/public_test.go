package server

import (
	"html"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/polis-portal/polis/server/sitetest"
)

// TestHelpCountryPicker: the help page's GET form lands on the country's
// section, without JavaScript (issue 3).
func TestHelpCountryPicker(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct{ target, want string }{
		{"/fr/help/go?country=be", "/fr/help/#country-be"},
		{"/de/help/go?country=AT", "/de/help/#country-at"},
		{"/ru/help/go?country=", "/ru/help/"},
		{"/en/help/go?country=%3Cscript%3E", "/en/help/"},
		{"/en/help/go?country=gb%23x", "/en/help/"},
		{"/es/help/go", "/es/help/"},
	}
	for _, tt := range tests {
		res := ts.do(t, "GET", tt.target, nil, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tt.want {
			t.Errorf("%s: %d → %q, want 303 → %q", tt.target, res.StatusCode, res.Header.Get("Location"), tt.want)
		}
	}
	if res := ts.do(t, "GET", "/xx/help/go?country=fr", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown language: %d, want 404", res.StatusCode)
	}
	// The page the form lives on has a section for every country it offers.
	page, _ := os.ReadFile(filepath.Join(ts.h.Config.Public, "fr", "help", "index.html"))
	for _, code := range []string{"be", "fr", "ch", "ca", "lu", "mc"} {
		if !strings.Contains(string(page), `id="country-`+code+`"`) || !strings.Contains(string(page), `<option value="`+code+`">`) {
			t.Errorf("French help page lacks %s", code)
		}
	}
}

// TestPageMissingInOneLanguage: with the German grooming page removed, its
// German address explains in German that it is not translated and links to
// the versions that exist; the other languages' switchers lead there
// (issue 3).
func TestPageMissingInOneLanguage(t *testing.T) {
	root, public := sitetest.BuildVariant(t, func(src string) {
		if err := os.Remove(filepath.Join(src, "content", "de", "topics", "grooming.md")); err != nil {
			t.Fatal(err)
		}
	})
	ts := newTestServerFor(t, root, public)
	res := ts.do(t, "GET", "/de/topics/grooming/", nil, nil)
	body := readBody(t, res)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
	for _, want := range []string{
		`<html lang="de"`,
		html.EscapeString(ts.h.Catalog.T("de", "notTranslatedTitle")),
		`<a href="/en/topics/grooming/" hreflang="en" lang="en">English</a>`,
		`<a href="/fr/topics/grooming/" hreflang="fr" lang="fr">Français</a>`,
		`<a href="/ru/topics/grooming/" hreflang="ru" lang="ru">Русский</a>`,
		`<a href="/en/topics/grooming/" lang="en" hreflang="en">`, // the switcher keeps the page
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(body, `hreflang="de" lang="de">Deutsch</a></li>`) {
		t.Error("the notice offers the missing German version")
	}
	en, _ := os.ReadFile(filepath.Join(public, "en", "topics", "grooming", "index.html"))
	if !strings.Contains(string(en), `<a href="/de/topics/grooming/" lang="de" hreflang="de">Deutsch</a>`) {
		t.Error("English page's switcher does not lead to the German address")
	}
	if strings.Contains(string(en), `<link rel="alternate" hreflang="de"`) {
		t.Error("English page declares a German alternate that does not exist")
	}
	// A path that exists nowhere is a plain 404.
	body = readBody(t, ts.do(t, "GET", "/de/topics/nothing-here/", nil, nil))
	if !strings.Contains(body, html.EscapeString(ts.h.Catalog.T("de", "notFoundTitle"))) {
		t.Error("unknown path is not a plain 404")
	}
}

// TestEveryPublicPageServedWithoutCookieUnderCSP fetches every page Hugo
// wrote through the server (issue 3: no cookie for anonymous visitors).
func TestEveryPublicPageServedWithoutCookieUnderCSP(t *testing.T) {
	ts := newTestServer(t)
	public := ts.h.Config.Public
	n := 0
	filepath.WalkDir(public, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "_server") || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(public, p)
		target := "/" + filepath.ToSlash(rel)
		target = strings.TrimSuffix(target, "index.html")
		res := ts.do(t, "GET", target, map[string]string{"Accept-Encoding": "gzip"}, nil)
		n++
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", target, res.StatusCode)
		}
		if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s: sets a cookie %q", target, c)
		}
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: no CSP", target)
		}
		return nil
	})
	if n < 100 {
		t.Errorf("only %d files served", n)
	}
}
