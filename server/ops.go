package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/polis-portal/polis/server/metrics"
)

// routeKey holds, for one request, the route pattern the mux chose.
type routeKey struct{}

// measure counts requests and their latency by route. The route is the
// mux's pattern ("GET /{lang}/forum/t/{id}"), never the path, so that
// series stay few and no identifier or query reaches the metrics.
func (h *handler) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := new(string)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, route)))
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		name := *route
		if name == "" {
			name = "unmatched"
		}
		h.Metrics.Add("polis_http_requests_total", "HTTP requests by route, method and status.",
			metrics.Labels("route", name, "method", r.Method, "code", strconv.Itoa(status)), 1)
		h.Metrics.Observe("polis_http_request_duration_seconds", "HTTP request latency by route.", metrics.Labels("route", name), time.Since(start))
	})
}

// routed records the mux's pattern for measure; it wraps the mux itself,
// where the request is the one the mux saw.
func routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = r.Pattern
			if r.Pattern == "/" {
				*p = "static"
			}
		}
	})
}

// registerGauges adds the values read when /metrics is asked for.
func (h *handler) registerGauges() {
	h.Metrics.Gauge("polis_db_connections", "Database pool connections by state.", func() []metrics.Sample {
		st := h.Store.Stats()
		return []metrics.Sample{{Labels: metrics.Labels("state", "open"), Value: float64(st.OpenConnections)},
			{Labels: metrics.Labels("state", "in_use"), Value: float64(st.InUse)}, {Labels: metrics.Labels("state", "idle"), Value: float64(st.Idle)}}
	})
	h.Metrics.Gauge("polis_db_waits", "Requests that waited for a database connection, since start.", func() []metrics.Sample {
		st := h.Store.Stats()
		return []metrics.Sample{{Value: float64(st.WaitCount)}}
	})
	h.Metrics.Gauge("polis_search_documents", "Documents in the search index.", func() []metrics.Sample {
		n, err := h.Index.DocCount()
		if err != nil {
			return nil
		}
		return []metrics.Sample{{Value: float64(n)}}
	})
	h.Metrics.Gauge("polis_search_feed_lag", "Change-feed rows the search index has not applied yet.", func() []metrics.Sample {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, newest, err := h.Store.ChangeBounds(ctx)
		if err != nil {
			return nil
		}
		cursor, err := h.Index.Cursor()
		if err != nil {
			return nil
		}
		return []metrics.Sample{{Value: float64(max(newest-cursor, 0))}}
	})
}

// metricsPage is /metrics, for the addresses allowed to read it (the
// others get the 404 everyone gets for what does not exist).
func (h *handler) metricsPage(w http.ResponseWriter, r *http.Request) {
	if !allowed(r.RemoteAddr, h.Config.MetricsNets()) {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	h.Metrics.Write(w)
}

// allowed reports whether the connection's address is in one of nets.
// The connection's own address counts, never a forwarded header.
func allowed(remote string, nets []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return slices.ContainsFunc(nets, func(p netip.Prefix) bool { return p.Contains(ip) })
}
