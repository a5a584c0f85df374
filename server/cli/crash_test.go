package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/polis-portal/polis/search"
	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/sitetest"
	"github.com/polis-portal/polis/server/store"
	"github.com/polis-portal/polis/server/storetest"
)

// childEnv makes this test binary run `polis <args>` as the real binary
// does (see TestMain): the crash test needs a server in a process of its
// own, to kill.
const childEnv = "POLIS_TEST_CHILD"

// TestCrashDuringPostWrites kills `polis serve` with SIGKILL in the middle
// of 1,000 concurrent replies, on SQLite and on PostgreSQL (issue 9). After
// a restart every acknowledged reply is in the database exactly once, the
// thread's numbering has no holes or repeats and agrees with its counters,
// and the search index holds exactly the database's posts.
func TestCrashDuringPostWrites(t *testing.T) {
	for _, backend := range []string{storetest.SQLite, storetest.Postgres} {
		t.Run(backend, func(t *testing.T) { crashDuringPostWrites(t, backend) })
	}
}

func crashDuringPostWrites(t *testing.T, backend string) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	dsn := storetest.DSN(t, backend)
	if backend == storetest.SQLite {
		dsn = "" // the server's own: polis.db in the data folder
	}
	dbDSN := dsn
	if dbDSN == "" {
		dbDSN = store.SQLiteDSN(filepath.Join(data, "polis.db"))
	}

	// An administrator with two-step verification, a category and a
	// thread, written before the server starts.
	master, err := ensureSecret(filepath.Join(data, "secrets", "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := auth.NewKeys(master)
	st, err := store.Open(ctx, dbDSN)
	if err != nil {
		t.Fatal(err)
	}
	const password = "violet stapler tundra harbour"
	hash, err := auth.NewHasher(auth.Params{Memory: 19 * 1024, Time: 2, Threads: 1}, 1).Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	admin := &store.User{Email: "admin@unit.example", FullName: "Ada Admin", Organisation: "Example Unit", Country: "AT", Role: store.RoleAdministrator,
		Status: store.StatusApproved, PasswordHash: hash, Lang: "en", CreatedAt: now}
	if err := st.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	secret, _, _ := auth.NewTOTP("Polis", admin.Email)
	if err := st.SetTOTP(ctx, admin.ID, keys.Seal(secret)); err != nil {
		t.Fatal(err)
	}
	cat := &store.Category{Slug: "open", Audience: map[string]string{store.AccessRead: store.AudienceExperts, store.AccessStart: store.AudienceExperts,
		store.AccessReply: store.AudienceExperts}, Texts: map[string]store.CategoryText{"en": {Name: "Open"}}, CreatedAt: now}
	if err := st.SaveCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	th := &store.Thread{CategoryID: cat.ID, Title: "Crash test", AuthorID: admin.ID, Lang: "en", CreatedAt: now}
	if err := st.CreateThread(ctx, th, &store.Post{AuthorID: admin.ID, Lang: "en", Body: "Opening post", HTML: "<p>Opening post</p>", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}

	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--site", sitetest.Root(t), "--public", sitetest.Built(t),
		"--posts-per-minute", "100000", "--posts-per-day", "100000"}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}
	srv := startChild(t, args)

	// Sign in, then send 1,000 replies at once and kill the server once a
	// good part of them has been acknowledged.
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConnsPerHost: 1000}}
	thread := srv.url + "en/forum/t/" + strconv.FormatInt(th.ID, 10)
	csrf := childLogin(t, cl, srv.url, thread, admin.Email, password, secret)
	const replies = 1000
	var (
		mu    sync.Mutex
		acked []int
		sent  sync.WaitGroup
		other atomic.Int32
	)
	start := make(chan struct{})
	reply := thread + "/reply"
	for i := range replies {
		sent.Add(1)
		go func() {
			defer sent.Done()
			<-start
			form := url.Values{"body": {fmt.Sprintf("Crash reply %04d", i)}, "lang": {"en"}, "csrf": {csrf}}
			res, err := cl.PostForm(reply, form)
			if err != nil {
				return // the server died before answering: not acknowledged
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusSeeOther {
				mu.Lock()
				acked = append(acked, i)
				mu.Unlock()
			} else {
				other.Add(1)
			}
		}()
	}
	close(start)
	// The database is watched from outside the server: the kill comes
	// when about a quarter of the replies are written.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Millisecond) {
		got, err := st.ThreadByID(ctx, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PostCount > replies/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d replies written in 60s", got.PostCount-1)
		}
	}
	srv.kill()
	st.Close()
	sent.Wait()
	if n := other.Load(); n != 0 {
		t.Errorf("%d replies answered with something other than 303 before the kill", n)
	}
	if len(acked) == replies {
		t.Fatal("every reply was acknowledged before the kill: the crash came too late to test anything")
	}
	if len(acked) == 0 {
		t.Fatal("no reply was acknowledged before the kill: the crash came too early to test anything")
	}

	// Restart; wait until the index has applied the whole change feed.
	srv = startChild(t, args)
	waitFeedApplied(t, srv.url)
	srv.stop(t)

	st, err = store.Open(ctx, dbDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var posts []*store.Post
	for {
		page, _, err := st.Posts(ctx, th.ID, store.PostFilter{Limit: 500, Offset: len(posts), WithSource: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		posts = append(posts, page...)
	}
	count := map[int]int{}
	for _, p := range posts[1:] {
		n, err := strconv.Atoi(strings.TrimPrefix(p.Body, "Crash reply "))
		if err != nil {
			t.Fatalf("unexpected post %q", p.Body)
		}
		count[n]++
	}
	for _, i := range acked {
		if count[i] != 1 {
			t.Errorf("acknowledged reply %d is in the database %d times", i, count[i])
		}
	}
	for i, c := range count {
		if c > 1 {
			t.Errorf("reply %d is in the database %d times", i, c)
		}
	}
	for i, p := range posts {
		if p.Seq != i+1 {
			t.Fatalf("post %d has number %d: the numbering has a hole or a repeat", i+1, p.Seq)
		}
	}
	got, err := st.ThreadByID(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PostCount != len(posts) || got.LastSeq != len(posts) {
		t.Errorf("thread counters: %d posts, last number %d; the database holds %d", got.PostCount, got.LastSeq, len(posts))
	}

	idx, err := search.Open(filepath.Join(data, "index"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	indexed, err := idx.IDs("post")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range posts {
		want = append(want, search.ID("post", "en", strconv.FormatInt(p.ID, 10)))
	}
	slices.Sort(indexed)
	slices.Sort(want)
	if !slices.Equal(indexed, want) {
		t.Errorf("the index holds %d posts, the database %d", len(indexed), len(want))
	}
	if len(posts) == replies+1 {
		t.Error("every reply was written before the kill: the crash did not interrupt the writes")
	}
	t.Logf("%s: %d of %d replies acknowledged before the kill, %d in the database after the restart", backend, len(acked), replies, len(posts)-1)
}

// child is `polis serve` in a process of its own.
type child struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan struct{}
}

// startChild starts this test binary as `polis <args>` and waits until it
// listens.
func startChild(t *testing.T, args []string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], args...), logs: &syncBuffer{}, done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), childEnv+"=1")
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(c.logs.String()); m != nil {
			c.url = m[1]
			return c
		}
		select {
		case <-c.done:
			t.Fatalf("polis serve exited before listening:\n%s", c.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("polis serve did not start:\n%s", c.logs)
		}
	}
}

// kill ends the server at once (SIGKILL: no shutdown of any kind).
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop asks the server to shut down (SIGTERM) and waits for a clean exit.
func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("polis serve did not shut down within 30s")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("polis serve exited with %d:\n%s", code, c.logs)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// childLogin signs in with password and TOTP code and returns the
// session's CSRF token, as a form on page shows it.
func childLogin(t *testing.T, cl *http.Client, base, page, email, password, secret string) string {
	t.Helper()
	res, err := cl.PostForm(base+"en/account/login", url.Values{"email": {email}, "password": {password}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	res, err = cl.Get(base + "en/account/login/2fa")
	if err != nil {
		t.Fatal(err)
	}
	token := func() string {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := csrfField.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no CSRF token on %s (%d)", res.Request.URL, res.StatusCode)
		}
		return string(m[1])
	}
	res, err = cl.PostForm(base+"en/account/login/2fa", url.Values{"code": {auth.TOTPCode(secret, time.Now())}, "csrf": {token()}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second step: %v %v", res, err)
	}
	res.Body.Close()
	if res, err = cl.Get(page); err != nil {
		t.Fatal(err)
	}
	return token()
}

// waitFeedApplied waits until the server's search index has applied every
// change in the feed, as its metrics say.
func waitFeedApplied(t *testing.T, base string) {
	t.Helper()
	lag := regexp.MustCompile(`(?m)^polis_search_feed_lag (\d+)`)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(base + "metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if m := lag.FindSubmatch(b); m != nil && string(m[1]) == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the search index did not catch up within 60s:\n%s", b)
		}
	}
}

// TestServeRefusesUnwritableDataFolder: a data folder that cannot be
// written stops `polis serve` at once with a line that names the folder
// and says what to do, and leaves the database in it as it was (issue 9).
func TestServeRefusesUnwritableDataFolder(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	st, err := store.Open(ctx, store.SQLiteDSN(filepath.Join(data, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Email: "kept@unit.example", FullName: "Kept", Role: store.RoleExpert, Status: store.StatusApproved, Lang: "en", CreatedAt: 1}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Read-only for the server: by its mode, or, since root writes
	// whatever the mode says, by the immutable attribute.
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", data).CombinedOutput(); err != nil {
			t.Skipf("running as root and the immutable attribute is unavailable here (%v: %s)", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", data).Run() })
	} else {
		os.Chmod(data, 0o500)
		t.Cleanup(func() { os.Chmod(data, 0o700) })
	}

	env, _, errb := testEnv(nil)
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--site", sitetest.Root(t), "--public", sitetest.Built(t)}
	if code := Main(ctx, env, args); code != 1 {
		t.Fatalf("serve on a read-only data folder exited with %d:\n%s", code, errb)
	}
	if msg := errb.String(); !strings.Contains(msg, "folder "+data+" cannot be written") || !strings.Contains(msg, "write access") {
		t.Errorf("error: %s", msg)
	}

	if os.Geteuid() == 0 {
		exec.Command("chattr", "-i", data).Run()
	} else {
		os.Chmod(data, 0o700)
	}
	st, err = store.Open(ctx, store.SQLiteDSN(filepath.Join(data, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByEmail(ctx, "kept@unit.example"); err != nil {
		t.Errorf("the database lost its user: %v", err)
	}
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".polis-write-check") {
			t.Errorf("probe file left behind: %s", e.Name())
		}
	}
}

// TestGracefulShutdown: a request in flight when the server is told to
// stop is answered in full; new connections are refused; the server exits
// 0 and its index opens again as it was left (issue 9).
func TestGracefulShutdown(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	base, _, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", data, "--site", sitetest.Root(t), "--public", sitetest.Built(t)}, nil)
	u, _ := url.Parse(base)

	// A login form whose body arrives in two parts, the second after the
	// shutdown has begun: the handler is running (reading the body) when
	// the server is told to stop.
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := url.Values{"email": {"nobody@unit.example"}, "password": {"not the password at all"}}.Encode()
	fmt.Fprintf(conn, "POST /en/account/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		u.Host, len(body), body[:10])
	time.Sleep(200 * time.Millisecond)
	exited := make(chan int, 1)
	go func() { exited <- stop() }()
	time.Sleep(500 * time.Millisecond)
	if _, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		t.Error("a new connection was accepted during the shutdown")
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	page, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode >= 500 || !strings.Contains(string(page), "</html>") {
		t.Errorf("the request in flight: %d, %d bytes, %v", res.StatusCode, len(page), err)
	}
	if code := <-exited; code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	idx, err := search.Open(filepath.Join(data, "index"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if idx.Fresh {
		t.Error("the index was not closed cleanly: it opened as new")
	}
}
