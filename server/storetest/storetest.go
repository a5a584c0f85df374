// Package storetest gives tests the DSN of a fresh database of the backend they run
// on: SQLite in a temporary file by default; PostgreSQL when
// POLIS_TEST_BACKEND=postgres, as a new database in the server that
// POLIS_TEST_POSTGRES names (an administrator DSN such as
// postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable). Without
// that server the PostgreSQL tests skip, except under CI, where they fail.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Backends.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Backend is the backend the tests run on.
func Backend() string {
	if os.Getenv("POLIS_TEST_BACKEND") == Postgres {
		return Postgres
	}
	return SQLite
}

// DSN makes a new, empty database of the backend and returns its DSN; the
// database is dropped when the test ends.
func DSN(t testing.TB, backend string) string {
	t.Helper()
	if backend == SQLite {
		// As store.SQLiteDSN writes it (this package may not import store,
		// whose own tests use it).
		return "file:" + filepath.Join(t.TempDir(), "polis.db") +
			"?_pragma=journal_mode%28WAL%29&_pragma=busy_timeout%2810000%29&_pragma=foreign_keys%281%29&_pragma=synchronous%28NORMAL%29&_txlock=immediate"
	}
	admin := os.Getenv("POLIS_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("storetest: POLIS_TEST_POSTGRES is not set and CI is: the PostgreSQL tests must run")
		}
		t.Skip("storetest: POLIS_TEST_POSTGRES not set; skipping the PostgreSQL run")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "polis_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
