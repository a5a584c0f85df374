package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkLibraryPages serves the library's heaviest public pages in
// process, through the whole middleware chain (issue 7): the Lanzarote
// Convention with all its articles and related provisions, an article's
// permalink, the coverage matrix and a self-assessment of the English
// sample draft.
func BenchmarkLibraryPages(b *testing.B) {
	as := newAccountServer(b)
	h := as.srv.Config.Handler
	for _, c := range []struct{ name, method, path, form string }{
		{"instrument", "GET", "/en/library/lanzarote/", ""},
		{"permalink", "GET", "/en/library/lanzarote/art-20", ""},
		{"matrix", "GET", "/en/library/matrix/", ""},
		{"assess", "POST", "/en/library/assess/", url.Values{"draft": {draftEN}}.Encode()},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.form))
				if c.form != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", c.path, rec.Code)
				}
			}
		})
	}
}
