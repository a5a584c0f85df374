package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/locale"
	"github.com/polis-portal/polis/server/site"
	"github.com/polis-portal/polis/server/sitetest"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/storetest"
	"github.com/polis-portal/polis/server/web"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sitetest.Cleanup()
	os.Exit(code)
}

// testServer is the real server over the real built site, a real SQLite
// file and a real Bleve index, all in temporary folders.
type testServer struct {
	handler http.Handler
	h       *handler
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newDeps(tb testing.TB, logOut io.Writer) Deps {
	tb.Helper()
	return newDepsFor(tb, sitetest.Root(tb), sitetest.Built(tb), logOut)
}

// newDepsFor serves the site whose sources are in root, built into public.
func newDepsFor(tb testing.TB, root, public string, logOut io.Writer) Deps {
	tb.Helper()
	return newDepsDSN(tb, root, public, logOut, "")
}

// newDepsDSN is newDepsFor on the database dsn ("" makes a new one).
func newDepsDSN(tb testing.TB, root, public string, logOut io.Writer, dsn string) Deps {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(logOut, nil))
	s, err := site.Load(root)
	if err != nil {
		tb.Fatal(err)
	}
	data := tb.TempDir()
	// SQLite in the data folder, where tests that read it look; or a new
	// PostgreSQL database when the tests run on PostgreSQL.
	switch {
	case dsn != "":
	case storetest.Backend() == storetest.Postgres:
		dsn = storetest.DSN(tb, storetest.Postgres)
	default:
		dsn = store.SQLiteDSN(filepath.Join(data, "polis.db"))
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	idx, err := search.Open(filepath.Join(data, "index"), log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { idx.Close() })
	cat, err := locale.Load(filepath.Join(root, "i18n"), s.Codes(), s.Default, log)
	if err != nil {
		tb.Fatal(err)
	}
	rd, err := web.Load(public, s, cat, log)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Default()
	cfg.Site, cfg.Public, cfg.Data, cfg.DB = root, public, data, dsn
	return Deps{Config: cfg, Site: s, Catalog: cat, Web: rd, Store: st, Index: idx, Log: log}
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerFor(t, sitetest.Root(t), sitetest.Built(t))
}

func newTestServerFor(t *testing.T, root, public string) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	d := newDepsFor(t, root, public, logs)
	hd, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{Deps: d}
	return &testServer{handler: hd, h: h, logs: logs}
}

func (ts *testServer) do(t *testing.T, method, target string, header map[string]string, body io.Reader) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ts.handler.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRootRedirectsByAcceptLanguage (issue 2 acceptance).
func TestRootRedirectsByAcceptLanguage(t *testing.T) {
	ts := newTestServer(t)
	tests := map[string]string{
		"en":             "/en/",
		"fr-CH,fr;q=0.9": "/fr/",
		"ru":             "/ru/",
		"ja":             "/en/",
		"":               "/en/",
	}
	for al, want := range tests {
		res := ts.do(t, "GET", "/", map[string]string{"Accept-Language": al}, nil)
		if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
			t.Errorf("Accept-Language %q: status %d, want 302 or 303", al, res.StatusCode)
		}
		if got := res.Header.Get("Location"); got != want {
			t.Errorf("Accept-Language %q: Location %q, want %q", al, got, want)
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept-Language") {
			t.Errorf("Accept-Language %q: no Vary: Accept-Language", al)
		}
	}
}

// TestHomePagesPerLanguage: each home page is served in its language.
func TestHomePagesPerLanguage(t *testing.T) {
	ts := newTestServer(t)
	for _, lang := range ts.h.Site.Codes() {
		res := ts.do(t, "GET", "/"+lang+"/", nil, nil)
		body := readBody(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("/%s/: status %d", lang, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("/%s/: Content-Type %q", lang, ct)
		}
		if !strings.Contains(body, `<html lang="`+lang+`"`) {
			t.Errorf("/%s/: no <html lang=%q>", lang, lang)
		}
		if !strings.Contains(body, html.EscapeString(ts.h.Catalog.T(lang, "siteTagline"))) {
			t.Errorf("/%s/: tagline not in its language", lang)
		}
	}
}

// wantSecurityHeaders are on every response, static or dynamic.
var wantSecurityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"X-Frame-Options":         "DENY",
}

// TestSecurityHeadersEverywhere (issue 2 acceptance): static pages and
// assets, redirects, server-rendered 404s, health checks and errors.
func TestSecurityHeadersEverywhere(t *testing.T) {
	ts := newTestServer(t)
	css := findFile(t, ts.h.Config.Public, "css", ".css")
	for _, target := range []string{"/", "/en/", "/fr/index.xml", css, "/ru/no-such-page", "/healthz", "/readyz", "/fr", "/robots.txt"} {
		res := ts.do(t, "GET", target, nil, nil)
		for name, want := range wantSecurityHeaders {
			if got := res.Header.Get(name); !strings.Contains(got, want) {
				t.Errorf("%s: %s = %q, want it to contain %q", target, name, got, want)
			}
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, part := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, part) {
				t.Errorf("%s: CSP lacks %q", target, part)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
			t.Errorf("%s: CSP is not strict: %q", target, csp)
		}
		if s := res.Header.Get("Server"); s != "" {
			t.Errorf("%s: Server header %q reveals the software", target, s)
		}
		if c := res.Header.Get("Set-Cookie"); c != "" {
			t.Errorf("%s: anonymous response sets a cookie: %q", target, c)
		}
	}
}

func findFile(t *testing.T, public, dir, ext string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(public, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ext) {
			return "/" + dir + "/" + e.Name()
		}
	}
	t.Fatalf("no %s file in %s", ext, dir)
	return ""
}

// TestStaticServing: types, caching, compression, revalidation, and what is
// never served (issue 2).
func TestStaticServing(t *testing.T) {
	ts := newTestServer(t)
	css := findFile(t, ts.h.Config.Public, "css", ".css")

	res := ts.do(t, "GET", css, nil, nil)
	if ct := res.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("css Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("fingerprinted css Cache-Control %q, want long-lived immutable", cc)
	}
	res = ts.do(t, "GET", "/en/", nil, nil)
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("html Cache-Control %q, want revalidation", cc)
	}
	plain := readBody(t, res)
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on html")
	}
	res = ts.do(t, "GET", "/en/", map[string]string{"If-None-Match": etag}, nil)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
	if ct := ts.do(t, "GET", "/en/index.xml", nil, nil).Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("RSS Content-Type %q", ct)
	}

	// Compression: the gzip body is the same page, and caches are told.
	res = ts.do(t, "GET", "/en/", map[string]string{"Accept-Encoding": "br, gzip"}, nil)
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Error("gzip response without Vary: Accept-Encoding")
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if string(unz) != plain {
		t.Error("gzip body differs from the plain page")
	}
	if res.Header.Get("ETag") == etag {
		t.Error("gzip and plain bodies share an ETag")
	}
	res = ts.do(t, "GET", "/en/", map[string]string{"Accept-Encoding": "gzip;q=0"}, nil)
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}

	// Never served: folder listings, dotfiles, the server shells, paths
	// escaping the folder.
	for _, target := range []string{"/css/", "/.polis-build", "/en/_server/shell.html", "/en/_server/", "/%2e%2e/config.toml", "/en/%2e%2e/%2e%2e/go.mod"} {
		res := ts.do(t, "GET", target, nil, nil)
		body := readBody(t, res)
		if res.StatusCode == 200 {
			t.Errorf("%s: served (%d bytes)", target, len(body))
		}
		if strings.Contains(body, "[[") || strings.Contains(body, "<pre>") {
			t.Errorf("%s: leaks a shell or a listing", target)
		}
	}

	// A folder without its slash redirects; the query is kept.
	res = ts.do(t, "GET", "/fr?x=1", nil, nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/fr/?x=1" {
		t.Errorf("/fr?x=1: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res = ts.do(t, "POST", "/en/", nil, strings.NewReader("x"))
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to a static page: %d, want 405", res.StatusCode)
	}
	res = ts.do(t, "HEAD", "/en/", nil, nil)
	if res.StatusCode != 200 || readBody(t, res) != "" {
		t.Errorf("HEAD /en/: %d", res.StatusCode)
	}
}

// TestNotFoundIsThemedPerLanguage: a 404 speaks the language of its path
// (or the reader's), inside the site's chrome (issue 2).
func TestNotFoundIsThemedPerLanguage(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct{ target, al, lang string }{
		{"/fr/nulle-part", "", "fr"},
		{"/ru/nowhere", "en", "ru"},
		{"/en/nowhere", "ru", "en"},
		{"/nowhere", "ru-RU", "ru"},
		{"/nowhere", "", "en"},
	}
	for _, tt := range tests {
		res := ts.do(t, "GET", tt.target, map[string]string{"Accept-Language": tt.al}, nil)
		body := readBody(t, res)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d", tt.target, res.StatusCode)
		}
		if !strings.Contains(body, `<html lang="`+tt.lang+`"`) {
			t.Errorf("%s: not in %s", tt.target, tt.lang)
		}
		for _, want := range []string{
			"<h1>" + html.EscapeString(ts.h.Catalog.T(tt.lang, "notFoundTitle")) + "</h1>",
			html.EscapeString(ts.h.Catalog.T(tt.lang, "mainNavigation")), // the site's navigation
			html.EscapeString(ts.h.Catalog.T(tt.lang, "skipToContent")),  // and its skip link
			`href="/` + tt.lang + `/"`,               // home link in that language
			`rel="stylesheet" href="/css/`,           // the site's CSS
			`<meta name="robots" content="noindex">`, // not to be indexed
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: missing %q", tt.target, want)
			}
		}
		if strings.Contains(body, "[[") || strings.Contains(body, "]]") {
			t.Errorf("%s: unfilled placeholder in page", tt.target)
		}
	}
}

// TestPanicGivesGenericErrorAndLogsCause: a panicking handler answers with
// the themed error page, which reveals nothing, and the cause is logged.
func TestPanicGivesGenericErrorAndLogsCause(t *testing.T) {
	logs := &syncBuffer{}
	d := newDeps(t, logs)
	h := &handler{Deps: d}
	boom := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("secret internal detail 42")
	})
	rec := httptest.NewRecorder()
	h.middleware(boom).ServeHTTP(rec, httptest.NewRequest("GET", "/fr/x", nil))
	res := rec.Result()
	body := readBody(t, res)
	if res.StatusCode != 500 {
		t.Errorf("status %d, want 500", res.StatusCode)
	}
	if strings.Contains(body, "secret internal detail") || strings.Contains(body, "goroutine") {
		t.Error("error page leaks the panic")
	}
	if !strings.Contains(body, html.EscapeString(d.Catalog.T("fr", "serverErrorTitle"))) {
		t.Error("error page is not the French themed page")
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("error page without security headers")
	}
	if !strings.Contains(logs.String(), "secret internal detail 42") || !strings.Contains(logs.String(), "stack=") {
		t.Error("panic cause and stack not logged")
	}
}

// TestBodyLimit: bodies over the limit are refused before a handler runs.
func TestBodyLimit(t *testing.T) {
	d := newDeps(t, io.Discard)
	h := &handler{Deps: d}
	var read int
	sink := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read = len(b)
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		}
	})
	big := bytes.Repeat([]byte("x"), int(d.Config.MaxBodyBytes)+1)
	rec := httptest.NewRecorder()
	h.middleware(sink).ServeHTTP(rec, httptest.NewRequest("POST", "/x", bytes.NewReader(big)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared oversize body: %d", rec.Code)
	}
	// Chunked (no length given): cut off by MaxBytesReader.
	req := httptest.NewRequest("POST", "/x", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	h.middleware(sink).ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || int64(read) > d.Config.MaxBodyBytes {
		t.Errorf("chunked oversize body: %d, read %d", rec.Code, read)
	}
}

// TestHealthAndReadiness.
func TestHealthAndReadiness(t *testing.T) {
	ts := newTestServer(t)
	if res := ts.do(t, "GET", "/healthz", nil, nil); res.StatusCode != 200 || readBody(t, res) != "ok\n" {
		t.Errorf("healthz: %d", res.StatusCode)
	}
	if res := ts.do(t, "GET", "/readyz", nil, nil); res.StatusCode != 200 {
		t.Errorf("readyz: %d", res.StatusCode)
	}
	ts.h.Store.Close()
	if res := ts.do(t, "GET", "/readyz", nil, nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d, want 503", res.StatusCode)
	}
}
