package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/polis-portal/polis/server/storetest"
)

func openTemp(t *testing.T, file string) *Store {
	t.Helper()
	return openDSN(t, SQLiteDSN(file))
}

func openDSN(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachBackend runs f on SQLite and on PostgreSQL (issue 9: the store's
// tests run on both; the PostgreSQL run skips locally without
// POLIS_TEST_POSTGRES, never under CI).
func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	for _, b := range []string{storetest.SQLite, storetest.Postgres} {
		t.Run(b, func(t *testing.T) { f(t, storetest.DSN(t, b)) })
	}
}

// tableExists asks the database's catalogue.
func tableExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE name = $1`
	if s.dialect == "postgres" {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_name = $1`
	}
	var n int
	if err := s.db.QueryRowContext(context.Background(), q, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestMigrateFreshAndAgain applies the migrations to a new database file,
// then opens it again: nothing is applied twice and the data stays
// (issue 2).
func TestMigrateFreshAndAgain(t *testing.T) { eachBackend(t, testMigrateFreshAndAgain) }

func testMigrateFreshAndAgain(t *testing.T, dsn string) {
	ctx := context.Background()
	s := openDSN(t, dsn)
	ms, err := s.migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != len(ms) || v == 0 {
		t.Fatalf("version after fresh migrate = %d, want %d", v, len(ms))
	}
	if _, err := s.SetSettingOnce(ctx, "created_at", "first"); err != nil {
		t.Fatal(err)
	}
	if s.dialect == "sqlite" {
		var mode string
		if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q (%v), want wal", mode, err)
		}
	}
	s.Close()

	s2 := openDSN(t, dsn)
	v2, err := s2.Version(ctx)
	if err != nil || v2 != v {
		t.Fatalf("version after reopen = %d (%v), want %d", v2, err, v)
	}
	var n int
	if err := s2.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Errorf("schema_migrations rows = %d (%v), want %d", n, err, len(ms))
	}
	got, err := s2.SetSettingOnce(ctx, "created_at", "second")
	if err != nil || got != "first" {
		t.Errorf("setting after reopen = %q (%v), want the first value kept", got, err)
	}
}

// TestFailedMigrationRollsBackWhole: a migration that fails half way leaves
// neither its tables nor its version behind, and later ones are not run.
func TestFailedMigrationRollsBackWhole(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) { testFailedMigrationRollsBackWhole(t, openDSN(t, dsn)) })
}

func testFailedMigrationRollsBackWhole(t *testing.T, s *Store) {
	ctx := context.Background()
	ms, err := s.migrations()
	if err != nil {
		t.Fatal(err)
	}
	next := len(ms) + 1
	bad := append(ms,
		migration{version: next, name: "bad", sql: `CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);`},
		migration{version: next + 1, name: "after", sql: `CREATE TABLE after_bad (id INTEGER);`},
	)
	err = s.migrate(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("migrate = %v, want an error naming the bad migration", err)
	}
	v, _ := s.Version(ctx)
	if v != len(ms) {
		t.Errorf("version = %d, want %d", v, len(ms))
	}
	for _, table := range []string{"half_done", "after_bad"} {
		if tableExists(t, s, table) {
			t.Errorf("table %s exists after a failed migration", table)
		}
	}
}

// TestConcurrentOpenMigratesOnce: servers starting together on one
// database file apply each migration exactly once.
func TestConcurrentOpenMigratesOnce(t *testing.T) { eachBackend(t, testConcurrentOpenMigratesOnce) }

func testConcurrentOpenMigratesOnce(t *testing.T, dsn string) {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := openDSN(t, dsn)
	ms, _ := s.migrations()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Errorf("schema_migrations rows = %d (%v), want %d", n, err, len(ms))
	}
}

func TestSettingNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		s := openDSN(t, dsn)
		if _, err := s.Setting(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Setting(nope) = %v, want ErrNotFound", err)
		}
	})
}

func TestOpenRejectsUnknownDSN(t *testing.T) {
	if _, err := Open(context.Background(), "mysql://x"); err == nil {
		t.Error("Open accepted an unsupported DSN")
	}
}

// TestAuditLogIsAppendOnly: the database itself refuses to change or delete
// audit entries (issue 4).
func TestAuditLogIsAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) { testAuditLogIsAppendOnly(t, openDSN(t, dsn)) })
}

func testAuditLogIsAppendOnly(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.Audit(ctx, AuditEntry{At: 1, Action: "login.failure", Detail: "x@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE audit_log SET detail = 'forged'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE on the audit log: %v", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
		t.Error("DELETE on the audit log succeeded")
	}
	if e, _ := s.AuditLog(ctx, AuditFilter{}); len(e) != 1 || e[0].Detail != "x@example.org" {
		t.Errorf("audit log after the attempts: %+v", e)
	}
}
