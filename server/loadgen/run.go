package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polis-portal/polis/server/auth"
)

// Bounds: the load test is for this machine, for a while.
const (
	MaxUsers    = 1000
	MaxDuration = 10 * time.Minute
)

// Config is one run.
type Config struct {
	Targets     []*url.URL // servers, loopback only; members are spread over them as a load balancer would
	Users       int        // concurrent people
	Duration    time.Duration
	MaxRequests int64         // the run stops at this many requests even before Duration
	Timeout     time.Duration // per request
	Progress    io.Writer     // a line every ten seconds; nil for none
}

// Actions, with their share of what each person does next. Readers far
// outnumber writers on a portal like this; the forum's own limit (six
// posts a minute per member) bounds the replies further.
const (
	ActPage   = "anonymous page view"
	ActSearch = "anonymous search"
	ActThread = "member thread view"
	ActPost   = "member reply"
)

var mix = []struct {
	act    string
	weight int
}{{ActPage, 40}, {ActSearch, 25}, {ActThread, 30}, {ActPost, 5}}

// postGap is how long a member waits between two replies: just over the
// forum's default of six a minute, so that the run measures the server,
// not its rate limit.
const postGap = 10500 * time.Millisecond

// queries are searches people type, in the site's languages.
var queries = []struct{ lang, q string }{
	{"en", "grooming"}, {"en", "report hotline"}, {"en", "evidence handover"}, {"en", "victim identification"},
	{"en", "\"mutual assistance\""}, {"en", "school parents"}, {"en", "training type:practice"}, {"en", "sextortion"},
	{"fr", "signaler"}, {"fr", "protection des enfants"}, {"de", "Meldestelle"}, {"de", "Eltern Schule"},
	{"es", "denuncia"}, {"it", "segnalazione"}, {"ru", "помощь"}, {"en", "lanzarote convention"},
	{"en", "forensic triage"}, {"en", "takedown notice"}, {"fr", "grooming"}, {"en", "helpline counselling"},
}

// CheckTarget parses a server's base URL and refuses anything but this
// machine.
func CheckTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("loadgen: target %q: want http://127.0.0.1:PORT/", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return nil, fmt.Errorf("loadgen: target %q is not this machine: the load test sends traffic to loopback addresses only", raw)
	}
	u.Path, u.RawQuery = "/", ""
	return u, nil
}

// Stats are one action's figures.
type Stats struct {
	Action   string
	Count    int
	Errors   int
	P50, P99 time.Duration
	Max      time.Duration
}

// Report is a run's outcome.
type Report struct {
	Targets  int
	Users    int
	Elapsed  time.Duration
	Requests int
	Errors   int
	Actions  []Stats
	All      Stats
	Samples  []string // the first few errors, for the reader to look at
	LoginP50 time.Duration
}

// Throughput is requests per second over the measured time.
func (r *Report) Throughput() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// member is one signed-in person.
type member struct {
	acct     Account
	base     *url.URL
	client   *http.Client // redirects not followed: forms answer 303
	browse   *http.Client // redirects followed, as a browser does (a thread opens at the first unread post)
	csrf     string
	lastPost time.Time
}

// sample is one request's outcome.
type sample struct {
	act  string
	took time.Duration
	err  string // empty when the answer was the expected one
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Run signs every member in, then for cfg.Duration has each of them do one
// action after another, without pause, and returns the figures. Logins
// happen before the clock starts.
func Run(ctx context.Context, cfg Config, fx *Fixture) (*Report, error) {
	if len(cfg.Targets) == 0 || cfg.Users < 1 || cfg.Users > MaxUsers || cfg.Users > len(fx.Accounts) {
		return nil, fmt.Errorf("loadgen: want 1 to %d users (prepared: %d) and a target", MaxUsers, len(fx.Accounts))
	}
	if cfg.Duration <= 0 || cfg.Duration > MaxDuration {
		return nil, fmt.Errorf("loadgen: want a duration up to %v", MaxDuration)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	transport := &http.Transport{MaxIdleConns: 4 * cfg.Users, MaxIdleConnsPerHost: 4 * cfg.Users, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	anon := &http.Client{Transport: transport, Timeout: cfg.Timeout, CheckRedirect: noRedirect}

	pages, err := sitemapPaths(ctx, anon, cfg.Targets[0])
	if err != nil {
		return nil, err
	}

	// Sign in, a few at a time (password hashing is the server's
	// heaviest work, and not what this run measures).
	members := make([]*member, cfg.Users)
	logins := make([]time.Duration, cfg.Users)
	var (
		wg     sync.WaitGroup
		gate   = make(chan struct{}, 8)
		mu     sync.Mutex
		failed error
	)
	for i := range members {
		jar, _ := cookiejar.New(nil)
		m := &member{acct: fx.Accounts[i], base: cfg.Targets[i%len(cfg.Targets)],
			client: &http.Client{Transport: transport, Timeout: cfg.Timeout, Jar: jar, CheckRedirect: noRedirect},
			browse: &http.Client{Transport: transport, Timeout: cfg.Timeout, Jar: jar}}
		members[i] = m
		wg.Add(1)
		go func() {
			defer wg.Done()
			gate <- struct{}{}
			defer func() { <-gate }()
			began := time.Now()
			err := m.login(ctx, fx.Threads[i%len(fx.Threads)])
			logins[i] = time.Since(began)
			if err != nil {
				mu.Lock()
				failed = fmt.Errorf("loadgen: %s: %w", m.acct.Email, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		return nil, failed
	}

	var requests atomic.Int64
	results := make([][]sample, cfg.Users)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	began := time.Now()
	stopProgress := progress(cfg.Progress, began, &requests)
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			out := make([]sample, 0, 4096)
			for runCtx.Err() == nil && requests.Add(1) <= cfg.MaxRequests {
				act := pick(rng)
				if act == ActPost && time.Since(m.lastPost) < postGap {
					act = ActThread
				}
				s := m.do(runCtx, anon, act, rng, pages, fx.Threads, cfg.Targets[rng.IntN(len(cfg.Targets))])
				if runCtx.Err() != nil && s.err != "" {
					break // cut off by the end of the run: not the server's error
				}
				out = append(out, s)
			}
			results[i] = out
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	stopProgress()
	return report(cfg, results, elapsed, logins), nil
}

func pick(rng *rand.Rand) string {
	n := rng.IntN(100)
	for _, m := range mix {
		if n < m.weight {
			return m.act
		}
		n -= m.weight
	}
	return mix[0].act
}

// do performs one action and times it. Anonymous actions go to anonBase
// (a load balancer spreads them too); members stay on their server.
func (m *member) do(ctx context.Context, anon *http.Client, act string, rng *rand.Rand, pages []string, threads []int64, anonBase *url.URL) sample {
	thread := "en/forum/t/" + strconv.FormatInt(threads[rng.IntN(len(threads))], 10)
	began := time.Now()
	var err error
	switch act {
	case ActPage:
		err = fetch(ctx, anon, "GET", anonBase.String()+strings.TrimPrefix(pages[rng.IntN(len(pages))], "/"), nil, http.StatusOK)
	case ActSearch:
		q := queries[rng.IntN(len(queries))]
		err = fetch(ctx, anon, "GET", anonBase.String()+q.lang+"/search?q="+url.QueryEscape(q.q), nil, http.StatusOK)
	case ActThread:
		err = fetch(ctx, m.browse, "GET", m.base.String()+thread, nil, http.StatusOK)
	case ActPost:
		body := url.Values{"body": {"Load reply: " + sentence(rng, 12)}, "lang": {"en"}, "csrf": {m.csrf}}
		err = fetch(ctx, m.client, "POST", m.base.String()+thread+"/reply", body, http.StatusSeeOther)
		m.lastPost = time.Now()
	}
	s := sample{act: act, took: time.Since(began)}
	if err != nil {
		s.err = act + ": " + err.Error()
	}
	return s
}

// fetch sends one request, reads the whole answer and checks its status.
func fetch(ctx context.Context, c *http.Client, method, target string, form url.Values, want int) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	// Asked for explicitly, compressed answers are not unpacked by the
	// client: the server does its share of the work, and the load
	// generator, on the same two cores, does not spend them unpacking.
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d", method, req.URL.Path, res.StatusCode, want)
	}
	return nil
}

// login signs in with password and TOTP code and keeps the session's CSRF
// token from a thread page.
func (m *member) login(ctx context.Context, thread int64) error {
	base := m.base.String()
	if err := fetch(ctx, m.client, "POST", base+"en/account/login", url.Values{"email": {m.acct.Email}, "password": {m.acct.Password}}, http.StatusSeeOther); err != nil {
		return err
	}
	token, err := m.token(ctx, base+"en/account/login/2fa")
	if err != nil {
		return err
	}
	code := auth.TOTPCode(m.acct.Secret, time.Now())
	if err := fetch(ctx, m.client, "POST", base+"en/account/login/2fa", url.Values{"code": {code}, "csrf": {token}}, http.StatusSeeOther); err != nil {
		return fmt.Errorf("second step: %w", err)
	}
	m.csrf, err = m.token(ctx, base+"en/forum/t/"+strconv.FormatInt(thread, 10))
	return err
}

func (m *member) token(ctx context.Context, page string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", page, nil)
	res, err := m.browse.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	found := csrfField.FindSubmatch(b)
	if res.StatusCode != http.StatusOK || found == nil {
		return "", fmt.Errorf("no form on %s (%d)", req.URL.Path, res.StatusCode)
	}
	return string(found[1]), nil
}

var locTag = regexp.MustCompile(`<loc>([^<]+)</loc>`)

// sitemapPaths lists the site's pages from its sitemap (Hugo writes one
// per language and an index of them).
func sitemapPaths(ctx context.Context, c *http.Client, base *url.URL) ([]string, error) {
	var paths []string
	queue := []string{"/sitemap.xml"}
	seen := map[string]bool{}
	for len(queue) > 0 && len(paths) < 5000 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		req, _ := http.NewRequestWithContext(ctx, "GET", base.String()+strings.TrimPrefix(p, "/"), nil)
		res, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("loadgen: sitemap: %w", err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("loadgen: sitemap %s: %d %v", p, res.StatusCode, err)
		}
		for _, m := range locTag.FindAllSubmatch(b, -1) {
			u, err := url.Parse(string(m[1]))
			if err != nil {
				continue
			}
			if strings.HasSuffix(u.Path, "sitemap.xml") {
				queue = append(queue, u.Path)
			} else {
				paths = append(paths, u.Path)
			}
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("loadgen: the sitemap lists no pages")
	}
	return paths, nil
}

// progress prints a line every ten seconds until stopped.
func progress(w io.Writer, began time.Time, requests *atomic.Int64) func() {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "loadgen: %3.0fs, %d requests\n", time.Since(began).Seconds(), requests.Load())
			}
		}
	}()
	return func() { close(done) }
}

// report sums the samples up.
func report(cfg Config, results [][]sample, elapsed time.Duration, logins []time.Duration) *Report {
	r := &Report{Targets: len(cfg.Targets), Users: cfg.Users, Elapsed: elapsed}
	by := map[string][]time.Duration{}
	errs := map[string]int{}
	var all []time.Duration
	for _, rs := range results {
		for _, s := range rs {
			by[s.act] = append(by[s.act], s.took)
			all = append(all, s.took)
			if s.err != "" {
				errs[s.act]++
				r.Errors++
				if len(r.Samples) < 10 {
					r.Samples = append(r.Samples, s.err)
				}
			}
		}
	}
	r.Requests = len(all)
	for _, m := range mix {
		r.Actions = append(r.Actions, stats(m.act, by[m.act], errs[m.act]))
	}
	r.All = stats("all", all, r.Errors)
	slices.Sort(logins)
	r.LoginP50 = logins[len(logins)/2]
	return r
}

func stats(act string, ds []time.Duration, errors int) Stats {
	s := Stats{Action: act, Count: len(ds), Errors: errors}
	if len(ds) == 0 {
		return s
	}
	slices.Sort(ds)
	s.P50 = ds[len(ds)/2]
	s.P99 = ds[min(len(ds)-1, len(ds)*99/100)]
	s.Max = ds[len(ds)-1]
	return s
}

// Markdown writes the report as a table for docs/performance.md.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "%d server(s), %d concurrent users, %.1f s measured: %d requests, %.0f req/s, %d errors (median login %v, before the clock)\n\n",
		r.Targets, r.Users, r.Elapsed.Seconds(), r.Requests, r.Throughput(), r.Errors, r.LoginP50.Round(time.Millisecond))
	fmt.Fprintln(w, "| action | requests | req/s | p50 | p99 | max | errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, s := range append(r.Actions, r.All) {
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %d |\n", s.Action, s.Count, float64(s.Count)/r.Elapsed.Seconds(),
			ms(s.P50), ms(s.P99), ms(s.Max), s.Errors)
	}
	for _, e := range r.Samples {
		fmt.Fprintf(w, "\nerror: %s", e)
	}
	if len(r.Samples) > 0 {
		fmt.Fprintln(w)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
