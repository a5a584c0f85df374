package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/store"
)

// BenchmarkLoginPassword is the password step of a login through the whole
// handler chain: limiter, argon2id check with the default parameters
// (auth.DefaultParams), session creation (issue 4).
func BenchmarkLoginPassword(b *testing.B) {
	t := b
	as := newAccountServer(t)
	as.acc.Hasher = auth.NewHasher(auth.DefaultParams, 4)
	as.member(t, "bench@police.example", store.RoleExpert, goodPassword)
	h := as.srv.Config.Handler
	form := url.Values{"email": {"bench@police.example"}, "password": {goodPassword}}.Encode()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/en/account/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("login: %d", rec.Code)
		}
	}
}

// BenchmarkAuthenticatedPage renders the account page for a signed-in
// expert: session lookup, user and groups, template (issue 4).
func BenchmarkAuthenticatedPage(b *testing.B) {
	t := b
	as := newAccountServer(t)
	_, secret := as.member(t, "bench@police.example", store.RoleExpert, goodPassword)
	c := as.client(t)
	c.login("bench@police.example", goodPassword, secret)
	cookie := &http.Cookie{Name: "polis_session", Value: c.cookie()}
	h := as.srv.Config.Handler
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/en/account/", nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Errorf("account page: %d", rec.Code)
				return
			}
		}
	})
}
