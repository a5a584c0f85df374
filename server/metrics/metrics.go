// Package metrics keeps the server's counters and latency histograms and
// writes them in Prometheus's text format for /metrics: requests and their
// latency by route, search latency, the search index's size and its lag
// behind the change feed, the database pool, logins. It is small on
// purpose: a registry of named series with fixed labels, no dependency.
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// latencyBuckets are the histogram bounds, in seconds.
var latencyBuckets = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Registry holds the series.
type Registry struct {
	mu     sync.Mutex
	counts map[string]map[string]float64 // name → labels → value
	hists  map[string]map[string]*hist
	help   map[string]string
	gauges []gauge
}

type hist struct {
	buckets []uint64
	sum     float64
	count   uint64
}

type gauge struct {
	name, help string
	read       func() []Sample
}

// Sample is a gauge's value with its labels ("" for none), as
// `key="value"` pairs.
type Sample struct {
	Labels string
	Value  float64
}

// New makes an empty registry.
func New() *Registry {
	return &Registry{counts: map[string]map[string]float64{}, hists: map[string]map[string]*hist{}, help: map[string]string{}}
}

// Labels writes label pairs: Labels("route", "/x", "code", "200").
func Labels(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", kv[i], kv[i+1])
	}
	return b.String()
}

// Add adds to a counter. Like every method, it does nothing on a nil
// registry, so parts built without metrics (tests) need no special case.
func (r *Registry) Add(name, help, labels string, v float64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts[name] == nil {
		r.counts[name] = map[string]float64{}
		r.help[name] = help
	}
	r.counts[name][labels] += v
}

// Observe records a duration in a histogram.
func (r *Registry) Observe(name, help, labels string, d time.Duration) {
	if r == nil {
		return
	}
	s := d.Seconds()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hists[name] == nil {
		r.hists[name] = map[string]*hist{}
		r.help[name] = help
	}
	h := r.hists[name][labels]
	if h == nil {
		h = &hist{buckets: make([]uint64, len(latencyBuckets))}
		r.hists[name][labels] = h
	}
	for i, le := range latencyBuckets {
		if s <= le {
			h.buckets[i]++
		}
	}
	h.sum += s
	h.count++
}

// Gauge registers a value read when the metrics are written.
func (r *Registry) Gauge(name, help string, read func() []Sample) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges = append(r.gauges, gauge{name, help, read})
}

// Write writes every series in Prometheus's text format.
func (r *Registry) Write(w io.Writer) {
	if r == nil {
		return
	}
	r.mu.Lock()
	names := make([]string, 0, len(r.counts)+len(r.hists))
	for n := range r.counts {
		names = append(names, n)
	}
	for n := range r.hists {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "# HELP %s %s\n", n, r.help[n])
		if c, ok := r.counts[n]; ok {
			fmt.Fprintf(w, "# TYPE %s counter\n", n)
			for _, l := range sortedKeys(c) {
				fmt.Fprintf(w, "%s%s %g\n", n, braces(l), c[l])
			}
			continue
		}
		fmt.Fprintf(w, "# TYPE %s histogram\n", n)
		hs := r.hists[n]
		for _, l := range sortedKeys(hs) {
			h := hs[l]
			sep := ""
			if l != "" {
				sep = ","
			}
			for i, le := range latencyBuckets {
				fmt.Fprintf(w, "%s_bucket{%s%sle=\"%g\"} %d\n", n, l, sep, le, h.buckets[i])
			}
			fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", n, l, sep, h.count)
			fmt.Fprintf(w, "%s_sum%s %g\n%s_count%s %d\n", n, braces(l), h.sum, n, braces(l), h.count)
		}
	}
	gauges := append([]gauge{}, r.gauges...)
	r.mu.Unlock()
	for _, g := range gauges {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		for _, s := range g.read() {
			if math.IsNaN(s.Value) {
				continue
			}
			fmt.Fprintf(w, "%s%s %g\n", g.name, braces(s.Labels), s.Value)
		}
	}
}

func braces(l string) string {
	if l == "" {
		return ""
	}
	return "{" + l + "}"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
