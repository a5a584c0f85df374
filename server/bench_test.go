package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmarks
// measure the handler rather than a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func benchHandler(b *testing.B, h http.Handler, target string) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
}

// BenchmarkStaticPage serves the English home page through the complete
// middleware chain (access log to a text logger, recover, security headers,
// body limit, static handler) in process (issue 2; budget: at least 0.8x a
// bare FileServer).
func BenchmarkStaticPage(b *testing.B) {
	d := newDeps(b, io.Discard)
	h, err := New(d)
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, h, "/en/")
}

// BenchmarkBareFileServer is the baseline: Go's http.FileServer on the same
// folder with no middleware.
func BenchmarkBareFileServer(b *testing.B) {
	d := newDeps(b, io.Discard)
	benchHandler(b, http.FileServer(http.Dir(d.Config.Public)), "/en/")
}

// BenchmarkLoopback sends real HTTP requests over 127.0.0.1 with 32
// keep-alive clients to Polis and to the bare FileServer, and reports
// requests per second and the 99th percentile latency of each (budget:
// at least 20,000 req/s and p99 under 5 ms for Polis).
func BenchmarkLoopback(b *testing.B) {
	d := newDeps(b, io.Discard)
	polis, err := New(d)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"polis", polis},
		{"fileserver", http.FileServer(http.Dir(d.Config.Public))},
	} {
		b.Run(tc.name, func(b *testing.B) { loopback(b, tc.h, "/en/", 32) })
	}
}

// loopback plays b.N requests against h over real sockets from a number of
// concurrent clients and reports req/s and the 99th percentile latency.
// newReq, when given, makes each request (a form post, a cookie); by
// default it is a GET of target.
func loopback(b *testing.B, h http.Handler, target string, clients int, newReq ...func(base string, i int) *http.Request) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	// Browsers ask for gzip; the client reads the bytes as sent, so that
	// decompression in this process does not count against the server.
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var (
		mu      sync.Mutex
		lat     []time.Duration
		next    = make(chan struct{}, clients)
		wg      sync.WaitGroup
		fails   int
		counter atomic.Int64
	)
	b.ResetTimer()
	start := time.Now()
	go func() {
		for range b.N {
			next <- struct{}{}
		}
		close(next)
	}()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for range next {
				t0 := time.Now()
				var req *http.Request
				if len(newReq) > 0 {
					req = newReq[0](srv.URL, int(counter.Add(1)))
				} else {
					req, _ = http.NewRequest("GET", srv.URL+target, nil)
				}
				req.Header.Set("Accept-Encoding", "gzip")
				res, err := client.Do(req)
				if err != nil {
					mu.Lock()
					fails++
					mu.Unlock()
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 400 {
					mu.Lock()
					fails++
					mu.Unlock()
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if fails > 0 {
		b.Fatalf("%d requests failed", fails)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
