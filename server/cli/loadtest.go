package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/loadgen"
	"github.com/polis-portal/polis/server/store"
)

// runLoadtest is `polis loadtest`: the load test of docs/performance.md,
// against servers on this machine that share its data folder's database.
func runLoadtest(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "loadtest", "Write synthetic members, a category and threads into the database of a throw-away\ndata folder (it refuses one with other accounts), sign the members in on the servers\ngiven, and have them browse, search, read and reply at once for a while. Prints the\nthroughput and latencies as a Markdown table. Loopback targets only.")
	cfg.Bind(fs, "data", "db")
	targets := fs.String("target", "http://127.0.0.1:8080/", "the servers' base URLs, comma-separated; members are spread over them")
	users := fs.Int("users", 200, fmt.Sprintf("concurrent users (at most %d)", loadgen.MaxUsers))
	duration := fs.Duration("duration", time.Minute, fmt.Sprintf("how long to measure (at most %v)", loadgen.MaxDuration))
	maxRequests := fs.Int64("max-requests", 5_000_000, "stop after this many requests even before the duration")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, env.Getenv); err != nil {
		return err
	}
	run := loadgen.Config{Users: *users, Duration: *duration, MaxRequests: *maxRequests, Progress: env.Stderr}
	for _, t := range strings.Split(*targets, ",") {
		u, err := loadgen.CheckTarget(strings.TrimSpace(t))
		if err != nil {
			return err
		}
		run.Targets = append(run.Targets, u)
	}
	if *users < 1 || *users > loadgen.MaxUsers || *duration <= 0 || *duration > loadgen.MaxDuration || *maxRequests < 1 {
		return fmt.Errorf("loadtest: want --users 1…%d, --duration up to %v and --max-requests of at least 1", loadgen.MaxUsers, loadgen.MaxDuration)
	}
	master, err := os.ReadFile(filepath.Join(cfg.Data, "secrets", "session.key"))
	if err != nil {
		return fmt.Errorf("loadtest: the servers' key (start a server on this data folder once first): %w", err)
	}
	keys, err := auth.NewKeys(master)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dsnFor(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	began := time.Now()
	fx, err := loadgen.Prepare(ctx, st, keys, *users)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "loadtest: %d members and %d threads ready in %v; signing in on %s\n", len(fx.Accounts), len(fx.Threads),
		time.Since(began).Round(time.Millisecond), hosts(run.Targets))
	rep, err := loadgen.Run(ctx, run, fx)
	if err != nil {
		return err
	}
	rep.Markdown(env.Stdout)
	if rep.Errors > 0 {
		return fmt.Errorf("loadtest: %d requests failed", rep.Errors)
	}
	return nil
}

func hosts(us []*url.URL) string {
	var s []string
	for _, u := range us {
		s = append(s, u.Host)
	}
	return strings.Join(s, ", ")
}
