package server

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/loadgen"
	"github.com/polis-portal/polis/server/store"
)

// TestLoadGenerator runs the load test's generator briefly against a
// real server: every kind of action happens and succeeds, members are
// really signed in (their replies are in the database), and the
// generator refuses other machines and databases holding real accounts
// (issue 9).
func TestLoadGenerator(t *testing.T) {
	for _, bad := range []string{"http://192.0.2.10:8080/", "https://127.0.0.1/", "http://example.org/", "ftp://127.0.0.1/"} {
		if _, err := loadgen.CheckTarget(bad); err == nil {
			t.Errorf("target %s accepted", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:8080/", "http://localhost:9/", "http://[::1]:8080/"} {
		if _, err := loadgen.CheckTarget(good); err != nil {
			t.Errorf("target %s refused: %v", good, err)
		}
	}

	as := newAccountServer(t)
	ctx := context.Background()
	fx, err := loadgen.Prepare(ctx, as.deps.Store, as.acc.Keys, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.Threads) != 20 {
		t.Fatalf("%d threads prepared", len(fx.Threads))
	}
	// Prepared again (a second run): the same members and threads, with
	// new two-step secrets.
	fx2, err := loadgen.Prepare(ctx, as.deps.Store, as.acc.Keys, 4)
	if err != nil || len(fx2.Threads) != 20 || fx2.Accounts[0].Email != fx.Accounts[0].Email ||
		!slices.Equal(slices.Sorted(slices.Values(fx2.Threads)), slices.Sorted(slices.Values(fx.Threads))) {
		t.Fatalf("second prepare: %v", err)
	}
	fx = fx2
	target, _ := loadgen.CheckTarget(as.srv.URL + "/")
	rep, err := loadgen.Run(ctx, loadgen.Config{Targets: []*url.URL{target}, Users: 4, Duration: 2 * time.Second, MaxRequests: 100000}, fx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 {
		t.Errorf("%d errors: %v", rep.Errors, rep.Samples)
	}
	for _, s := range rep.Actions {
		if s.Count == 0 {
			t.Errorf("no %s in the run", s.Action)
		}
	}
	var out strings.Builder
	rep.Markdown(&out)
	if !strings.Contains(out.String(), "| member reply |") || !strings.Contains(out.String(), "0 errors") {
		t.Errorf("report:\n%s", out.String())
	}
	replies := 0
	for _, id := range fx.Threads {
		th, err := as.deps.Store.ThreadByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		replies += th.PostCount - 50
	}
	if replies == 0 || replies != rep.Actions[3].Count {
		t.Errorf("%d replies in the database, %d acknowledged", replies, rep.Actions[3].Count)
	}

	// A database with a real account is refused, wherever the account
	// comes in the list (here after 120 synthetic ones).
	if _, err := loadgen.Prepare(ctx, as.deps.Store, as.acc.Keys, 120); err != nil {
		t.Fatal(err)
	}
	hash, _ := as.acc.Hasher.Hash(ctx, goodPassword)
	if err := as.deps.Store.CreateUser(ctx, &store.User{Email: "real@police.example", FullName: "Real", Role: store.RoleExpert,
		Status: store.StatusApproved, PasswordHash: hash, Lang: "en", CreatedAt: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := loadgen.Prepare(ctx, as.deps.Store, as.acc.Keys, 4); !errors.Is(err, loadgen.ErrNotThrowaway) {
		t.Errorf("prepare on a database with a real account: %v", err)
	}
}
