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
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
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

// Cluster is a PostgreSQL server of the test's own, which the test may stop
// and start again (the shared server of POLIS_TEST_POSTGRES must stay up
// for the other tests). It needs PostgreSQL's programs installed; without
// them the test skips, except under CI, where it fails.
type Cluster struct {
	t    testing.TB
	bin  string // PostgreSQL's bin directory
	dir  string // the cluster's folder: data, log and socket
	port int
	DSN  string // the postgres database, as its administrator
}

// NewCluster creates a cluster in a temporary folder and starts it; it is
// stopped and removed when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("storetest: PostgreSQL's programs are not installed and CI is set")
		}
		t.Skip("storetest: PostgreSQL's programs not installed; skipping")
	}
	sort.Strings(bins)
	c := &Cluster{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "polis-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: the cluster belongs to the
		// postgres user, as Debian's package creates it.
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("storetest: running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Fatalf("storetest: initdb: %v\n%s", err, out)
	}
	c.Start()
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of PostgreSQL's programs, as the postgres user when the
// test runs as root.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	name, full := filepath.Join(c.bin, prog), args
	if os.Geteuid() == 0 {
		name, full = "runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, prog)}, args...)
	}
	return exec.Command(name, full...).CombinedOutput()
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "start"); err != nil {
		c.t.Fatalf("storetest: start PostgreSQL: %v\n%s", err, out)
	}
}

// Stop stops the cluster the way an operator would (pg_ctl's fast mode:
// sessions are ended, the server shuts down cleanly) and waits for it.
func (c *Cluster) Stop() {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop"); err != nil {
		c.t.Fatalf("storetest: stop PostgreSQL: %v\n%s", err, out)
	}
}
