package server

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkSearchPage serves the search page for an anonymous reader over
// the real site's index (pages, practices, library, glossary), with the
// queries the load test types: facets, snippets and did-you-mean included.
func BenchmarkSearchPage(b *testing.B) {
	as := newAccountServer(b)
	if err := as.indexer.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	qs := []string{"grooming", "report hotline", "evidence handover", "victim identification", "signaler", "Meldestelle", "lanzarote convention", "помощь"}
	h := as.srv.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/en/search?q="+url.QueryEscape(qs[i%len(qs)]), nil))
		if rec.Code != 200 {
			b.Fatalf("search page: %d", rec.Code)
		}
		i++
	}
}
