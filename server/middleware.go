package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/session"
	"github.com/polis-portal/polis/server/store"
)

// contentSecurityPolicy allows nothing from another host, no inline script
// or style, no plugins, no framing, and forms that post only to Polis.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// securityHeaders sets the headers every response carries, static or not.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps how much of a request body a handler can read.
func limitBody(limit, uploadLimit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		max := limit
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			max = uploadLimit // forms with files (forum attachments)
		}
		if r.ContentLength > max {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into the generic error page and logs the cause
// with its stack. http.ErrAbortHandler is passed on: it means "drop the
// connection", not a bug.
func (h *handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.Log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				h.serverError(w, r)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// accessLog writes one structured line per request. The query string is
// left out: later features carry tokens there.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// session loads the reader's login state. Responses to a signed-in reader
// are never stored (Cache-Control: no-store), whatever the handler set.
func (h *handler) session(next http.Handler) http.Handler {
	if h.Sessions == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := h.Sessions.Load(r)
		switch {
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			return // the client went away: nobody to answer, nothing to log
		case store.Unavailable(err):
			h.Log.Warn("session: database unavailable", "err", err)
			r = r.WithContext(session.WithDatabaseDown(r.Context()))
		case err != nil:
			h.Log.Error("session: load", "err", err)
			h.serverError(w, r)
			return
		}
		if c != nil {
			r = r.WithContext(session.WithCurrent(r.Context(), c))
			w = &noStoreWriter{ResponseWriter: w}
		}
		next.ServeHTTP(w, r)
	})
}

// csrfToken refuses a state-changing request from a signed-in reader that
// does not carry the session's token (form field csrf or header
// X-Csrf-Token), compared in constant time. Cross-origin protection, outside
// this, already refused cross-site requests; the token also covers browsers
// and proxies that send neither Sec-Fetch-Site nor Origin.
func (h *handler) csrfToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if c := session.FromContext(r.Context()); c.LoggedIn() {
			token := r.Header.Get("X-Csrf-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(token), []byte(c.CSRF)) != 1 {
				h.Log.Warn("csrf: token missing or wrong", "path", r.URL.Path, "user", c.User.ID)
				h.forbidden(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// noStoreWriter sets Cache-Control: no-store as the response starts.
type noStoreWriter struct {
	http.ResponseWriter
	wrote bool
}

func (n *noStoreWriter) WriteHeader(code int) {
	if !n.wrote {
		n.wrote = true
		n.ResponseWriter.Header().Set("Cache-Control", "no-store")
	}
	n.ResponseWriter.WriteHeader(code)
}

func (n *noStoreWriter) Write(b []byte) (int, error) {
	if !n.wrote {
		n.WriteHeader(http.StatusOK)
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (n *noStoreWriter) Unwrap() http.ResponseWriter { return n.ResponseWriter }
