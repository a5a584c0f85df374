// Package browsertest starts the system's headless Chromium for tests,
// driven with chromedp. Without Chromium a test is skipped locally, but
// fails when CI is set: CI must run the browser tests.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian's chromium package installs the browser.
const ExecPath = "/usr/bin/chromium"

// New returns a chromedp context for one fresh browser with an empty
// profile, closed when the test ends. Every run is bounded in time.
func New(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if os.Getenv("POLIS_TEST_BACKEND") == "postgres" {
		// The browser checks what a person sees; they run once, in the
		// SQLite run. The PostgreSQL run is about the database.
		t.Skip("browsertest: browser tests run in the SQLite run only")
	}
	path := ExecPath
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			path = p
		} else if os.Getenv("CI") != "" {
			t.Fatalf("browsertest: Chromium not found at %s and CI is set", ExecPath)
		} else {
			t.Skipf("browsertest: Chromium not found at %s; skipping outside CI", ExecPath)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1024, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now so that a failure to launch is reported here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start Chromium: %v", err)
	}
	return ctx
}

// Eval evaluates a JavaScript expression in the page and returns its value.
func Eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("browsertest: evaluate %q: %v", expr, err)
	}
	return v
}

// Text returns the visible text of the first element matching a CSS
// selector.
func Text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("browsertest: text of %s: %v", css, err)
	}
	return v
}

// WaitFor evaluates a JavaScript predicate until it is true, across page
// loads (chromedp's Poll and Wait actions stop at a navigation), or fails
// the test after timeout.
func WaitFor(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("browsertest: %s not true after %s (last error: %v)", expr, timeout, last)
}
