package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/sitetest"
	"github.com/polis-portal/polis/server/store"
)

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

func testEnv(vars map[string]string) (*Env, *syncBuffer, *syncBuffer) {
	out, errb := &syncBuffer{}, &syncBuffer{}
	return &Env{Stdout: out, Stderr: errb, Getenv: func(k string) string { return vars[k] }}, out, errb
}

var listening = regexp.MustCompile(`msg=listening url=(http://[^ ]+/)`)

// startServe runs `polis serve` with args until the returned stop is called;
// it returns the URL the server logged and its log.
func startServe(t *testing.T, args []string, vars map[string]string) (url string, logs *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env, _, errb := testEnv(vars)
	done := make(chan int, 1)
	go func() { done <- Main(ctx, env, append([]string{"serve"}, args...)) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listening.FindStringSubmatch(errb.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited with %d before listening:\n%s", code, errb)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not shut down within 20s")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return url, errb, stop
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

func get(t *testing.T, url, acceptLanguage string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestServeFirstAndSecondStart runs `polis serve` as a newcomer would: the
// first start builds the site and creates the data folder; the second start
// reuses the site, the database and the index (issue 2 acceptance).
func TestServeFirstAndSecondStart(t *testing.T) {
	src := sitetest.CopySite(t)
	data := filepath.Join(t.TempDir(), "data")
	public := filepath.Join(t.TempDir(), "public")
	args := []string{"--addr", "127.0.0.1:0", "--site", src, "--data", data, "--public", public}

	url, logs, stop := startServe(t, args, nil)
	if !strings.Contains(logs.String(), "building site") {
		t.Errorf("first start did not build the site:\n%s", logs)
	}
	for al, want := range map[string]string{"en": "/en/", "fr-CH,fr;q=0.9": "/fr/", "ru": "/ru/"} {
		res, _ := get(t, url, al)
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
			t.Errorf("GET / (%s): %d → %q, want 302 → %s", al, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	for _, lang := range []string{"en", "fr", "ru"} {
		res, body := get(t, url+lang+"/", "")
		if res.StatusCode != 200 || !strings.Contains(body, `<html lang="`+lang+`"`) {
			t.Errorf("GET /%s/: %d", lang, res.StatusCode)
		}
		for _, other := range []string{"en", "fr", "ru"} {
			if !strings.Contains(body, `hreflang="`+other+`"`) {
				t.Errorf("GET /%s/: no hreflang link to %s", lang, other)
			}
		}
	}
	for _, p := range []string{"polis.db", "index/index_meta.json", "secrets/session.key"} {
		if _, err := os.Stat(filepath.Join(data, p)); err != nil {
			t.Errorf("data folder: %v", err)
		}
	}
	if st, err := os.Stat(filepath.Join(data, "secrets", "session.key")); err == nil && st.Mode().Perm() != 0o600 {
		t.Errorf("session key mode %v, want 0600", st.Mode().Perm())
	}
	key1, _ := os.ReadFile(filepath.Join(data, "secrets", "session.key"))
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d after SIGINT-like cancel:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Error("no graceful shutdown logged")
	}
	created := setting(t, data, "created_at")
	stamp, err := os.Stat(filepath.Join(public, ".polis-build"))
	if err != nil {
		t.Fatal(err)
	}

	// Second start: nothing changed.
	url, logs, stop = startServe(t, args, nil)
	if strings.Contains(logs.String(), "building site") || !strings.Contains(logs.String(), "site is up to date") {
		t.Errorf("second start rebuilt the site:\n%s", logs)
	}
	if strings.Contains(logs.String(), "rebuilding") {
		t.Errorf("second start rebuilt the search index:\n%s", logs)
	}
	if res, _ := get(t, url+"fr/", ""); res.StatusCode != 200 {
		t.Errorf("second start: GET /fr/ = %d", res.StatusCode)
	}
	stop()
	if got := setting(t, data, "created_at"); got != created {
		t.Errorf("database was recreated: created_at %q, then %q", created, got)
	}
	if st, _ := os.Stat(filepath.Join(public, ".polis-build")); !st.ModTime().Equal(stamp.ModTime()) {
		t.Error("public/ was rebuilt on the second start")
	}
	if key2, _ := os.ReadFile(filepath.Join(data, "secrets", "session.key")); !bytes.Equal(key1, key2) {
		t.Error("the session key changed between starts")
	}
}

func setting(t *testing.T, data, key string) string {
	t.Helper()
	st, err := store.Open(context.Background(), store.SQLiteDSN(filepath.Join(data, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Setting(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestServeTakesSettingsFromEnvironment: POLIS_ADDR and POLIS_DATA apply
// when no flag is given.
func TestServeTakesSettingsFromEnvironment(t *testing.T) {
	src := sitetest.CopySite(t)
	data := filepath.Join(t.TempDir(), "envdata")
	vars := map[string]string{
		"POLIS_ADDR":   "127.0.0.1:0",
		"POLIS_DATA":   data,
		"POLIS_SITE":   src,
		"POLIS_PUBLIC": filepath.Join(t.TempDir(), "public"),
	}
	url, _, stop := startServe(t, nil, vars)
	if res, _ := get(t, url+"healthz", ""); res.StatusCode != 200 {
		t.Errorf("healthz: %d", res.StatusCode)
	}
	stop()
	if _, err := os.Stat(filepath.Join(data, "polis.db")); err != nil {
		t.Errorf("POLIS_DATA not used: %v", err)
	}
}

// TestBuildCommand: `polis build` writes the site, and names the file when
// the front matter is malformed (issue 2 acceptance).
func TestBuildCommand(t *testing.T) {
	src := sitetest.CopySite(t)
	out := filepath.Join(t.TempDir(), "site")
	env, stdout, stderr := testEnv(nil)
	if code := Main(context.Background(), env, []string{"build", "--site", src, "--public", out}); code != 0 {
		t.Fatalf("build exited %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout.String(), "built ") {
		t.Errorf("stdout = %q", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "ru", "index.html")); err != nil {
		t.Error(err)
	}

	if err := os.WriteFile(filepath.Join(src, "content", "ru", "bad-front-matter.md"), []byte("---\ntitle: [unclosed\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env, _, stderr = testEnv(nil)
	if code := Main(context.Background(), env, []string{"build", "--site", src, "--public", out}); code != 1 {
		t.Errorf("build with a malformed file exited %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "bad-front-matter.md") {
		t.Errorf("error does not name the file: %s", stderr)
	}
}

// TestHelpAndUsage: every command has --help; mistakes exit 2.
func TestHelpAndUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--help"}, "Usage: polis build"},
		{[]string{"serve", "--help"}, "Usage: polis serve"},
		{[]string{"help", "serve"}, "Usage: polis serve"},
	} {
		env, _, stderr := testEnv(nil)
		if code := Main(context.Background(), env, tt.args); code != 0 {
			t.Errorf("%v exited %d", tt.args, code)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v printed %q", tt.args, stderr)
		}
	}
	env, stdout, _ := testEnv(nil)
	if code := Main(context.Background(), env, []string{"help"}); code != 0 || !strings.Contains(stdout.String(), "serve") {
		t.Errorf("help: %d %q", code, stdout)
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"serve", "--no-such-flag"}, {"build", "extra"}} {
		env, _, _ := testEnv(nil)
		if code := Main(context.Background(), env, args); code != 2 {
			t.Errorf("%v exited %d, want 2", args, code)
		}
	}
	env, _, stderr := testEnv(nil)
	if code := Main(context.Background(), env, []string{"serve", "--addr", "nonsense", "--site", sitetest.Root(t)}); code != 1 || !strings.Contains(stderr.String(), "--addr") {
		t.Errorf("bad --addr: %d %q", code, stderr)
	}
}

// TestUserCommands: create-admin reads the password from standard input,
// list shows the account, reset-2fa clears the second factor and ends the
// sessions; each is audited (issue 4).
func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	env, out, errb := testEnv(nil)
	env.Stdin = strings.NewReader("violet stapler tundra harbour\n")
	args := []string{"user", "create-admin", "--data", data, "--email", "Admin@Polis.example", "--name", "Ada Admin", "--country", "AT"}
	if code := Main(context.Background(), env, args); code != 0 {
		t.Fatalf("create-admin exited %d: %s", code, errb)
	}
	env, out, _ = testEnv(nil)
	env.Stdin = strings.NewReader("password1234\n")
	weak := []string{"user", "create-admin", "--data", data, "--email", "b@polis.example", "--name", "B", "--country", "AT"}
	if code := Main(context.Background(), env, weak); code != 1 {
		t.Errorf("a common password was accepted (exit %d)", code)
	}
	env, out, _ = testEnv(nil)
	if code := Main(context.Background(), env, []string{"user", "list", "--data", data}); code != 0 || !strings.Contains(out.String(), "admin@polis.example") || !strings.Contains(out.String(), "administrator") {
		t.Errorf("list: %d %q", code, out)
	}
	st, err := store.Open(context.Background(), store.SQLiteDSN(filepath.Join(data, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _ := st.UserByEmail(context.Background(), "admin@polis.example")
	st.SetTOTP(context.Background(), u.ID, "sealed-secret")
	st.CreateSession(context.Background(), &store.Session{IDHash: "h", UserID: u.ID, CSRF: "c", CreatedAt: 1, LastSeen: 1})
	env, out, _ = testEnv(nil)
	if code := Main(context.Background(), env, []string{"user", "reset-2fa", "--data", data, "--email", "admin@polis.example"}); code != 0 || !strings.Contains(out.String(), "1 sessions ended") {
		t.Errorf("reset-2fa: %d %q", code, out)
	}
	u, _ = st.UserByEmail(context.Background(), "admin@polis.example")
	if u.TOTPSecret != "" {
		t.Error("TOTP secret kept after reset-2fa")
	}
	log, _ := st.AuditLog(context.Background(), store.AuditFilter{UserID: u.ID})
	if len(log) != 2 {
		t.Errorf("%d audit entries, want create and reset", len(log))
	}
}
