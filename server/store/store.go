// Package store is Polis's database: database/sql over SQLite (pure Go, no
// cgo) by default, with numbered migrations embedded in the binary. Queries
// use $n placeholders and portable types so that a PostgreSQL backend can be
// added by choosing another driver in Open.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("store: not found")

//go:embed migrations
var migrations embed.FS

// Store is the open database.
type Store struct {
	db      *sql.DB // reads (and, on PostgreSQL, writes)
	w       *sql.DB // writes: on SQLite one connection of its own, on PostgreSQL db
	dialect string

	// wmu serialises writes to SQLite within this process. SQLite allows
	// one writer at a time; without this, concurrent writers wait in
	// SQLite's busy handler, which sleeps in growing steps and made 16
	// concurrent posters manage about 120 posts/s. Queued on a mutex they
	// take turns at once.
	wmu sync.Mutex

	cats categoryCache

	stmts  sync.Map // query text → *sql.Stmt
	nstmts atomic.Int32

	signal chan struct{} // see ChangeSignal
}

// maxStatements bounds the statement cache; queries past it (there should
// be none: queries are constants or IN lists of bounded length) run
// unprepared.
const maxStatements = 512

// prepared returns the cached prepared statement for q, preparing it on
// first use. Preparing is most of the cost of a small SQLite query (the
// parser ran at 40% of a thread page's database time), and database/sql
// re-prepares a cached statement on each pooled connection by itself.
func (s *Store) prepared(ctx context.Context, q string) *sql.Stmt {
	return s.prepare(ctx, s.db, q, q)
}

// preparedWrite is prepared for the write connection (on SQLite a
// connection of its own, whose statements are cached apart).
func (s *Store) preparedWrite(ctx context.Context, q string) *sql.Stmt {
	if s.w == s.db {
		return s.prepared(ctx, q)
	}
	return s.prepare(ctx, s.w, "\x00w"+q, q)
}

func (s *Store) prepare(ctx context.Context, db *sql.DB, key, q string) *sql.Stmt {
	if st, ok := s.stmts.Load(key); ok {
		return st.(*sql.Stmt)
	}
	if s.nstmts.Load() >= maxStatements {
		return nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	if prev, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	s.nstmts.Add(1)
	return st
}

// query runs a reading query through the statement cache.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, q, args...)
}

// queryRow runs a one-row query through the statement cache.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, q, args...)
}

// lockWrites takes the write lock (SQLite only) and returns its release.
// Callers hold it for a whole transaction and must not nest it.
func (s *Store) lockWrites() func() {
	if s.dialect != "sqlite" {
		return func() {}
	}
	s.wmu.Lock()
	return s.wmu.Unlock
}

// exec runs one writing statement under the write lock.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	defer s.lockWrites()()
	if st := s.preparedWrite(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.w.ExecContext(ctx, q, args...)
}

// insertReturning runs one writing statement that returns a row (INSERT …
// RETURNING) under the write lock, scanning the row into dest.
func (s *Store) insertReturning(ctx context.Context, q string, args []any, dest ...any) error {
	defer s.lockWrites()()
	if st := s.preparedWrite(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...).Scan(dest...)
	}
	return s.w.QueryRowContext(ctx, q, args...).Scan(dest...)
}

// queryWrite runs a writing statement that returns rows (UPDATE …
// RETURNING); the caller holds the write lock.
func (s *Store) queryWrite(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.w.QueryContext(ctx, q, args...)
}

// SQLiteDSN returns the DSN for a SQLite database file, with the settings
// every connection needs: WAL so readers never block the writer, a busy
// timeout instead of immediate "database is locked" errors, foreign keys, and
// write transactions that take the lock up front (no deadlocks on upgrade).
func SQLiteDSN(file string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + file + "?" + q.Encode()
}

// Open opens the database at dsn and applies any pending migrations. The
// choice of driver is made here and nowhere else.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var s *Store
	switch {
	case strings.HasPrefix(dsn, "file:"):
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		// SQLite allows one writer at a time; a small pool keeps readers
		// concurrent without piling up writers on the busy timeout.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
		// Writes have a connection of their own. When writers shared the
		// readers' pool, a writer holding the write lock queued for a
		// connection behind dozens of readers, and every other writer
		// queued behind it: under 200 users a thread view (which records
		// the reading position) waited most of a second.
		w, err := sql.Open("sqlite", dsn)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		s = &Store{db: db, w: w, dialect: "sqlite", signal: make(chan struct{}, 1)}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", withConnectTimeout(dsn))
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		// PostgreSQL takes concurrent writers itself; the pool is sized
		// for a server's requests and the indexer, well under the
		// database's max_connections (100 by default) for two or three
		// servers. A connection that failed is replaced, so the server
		// recovers by itself when the database comes back.
		db.SetMaxOpenConns(24)
		db.SetMaxIdleConns(12)
		db.SetConnMaxIdleTime(5 * time.Minute)
		db.SetConnMaxLifetime(time.Hour)
		s = &Store{db: db, w: db, dialect: "postgres", signal: make(chan struct{}, 1)}
	default:
		return nil, fmt.Errorf("store: unsupported database DSN: want file:… (SQLite) or postgres://… (PostgreSQL)")
	}
	if err := s.Ping(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// withConnectTimeout bounds how long opening a connection may take when the
// DSN does not say: without it a database host that drops packets (rather
// than refusing) holds each request until the kernel gives up, minutes
// later, where the reader should get a quick "try again" page.
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Has("connect_timeout") {
		return dsn // pgx reports a malformed DSN itself
	}
	q := u.Query()
	q.Set("connect_timeout", "5")
	u.RawQuery = q.Encode()
	return u.String()
}

// Close closes the database and its prepared statements.
func (s *Store) Close() error {
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	err := s.db.Close()
	if s.w != s.db {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Ping checks that the database answers, for reading and for writing.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	return s.w.PingContext(ctx)
}

// migration is one numbered file of SQL.
type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrations() ([]migration, error) {
	dir := path.Join("migrations", s.dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("store: migration %s: want NNNN_name.sql", name)
		}
		b, err := migrations.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected number %d (append-only, no gaps)", m.name, i+1)
		}
	}
	return ms, nil
}

// Migrate applies the embedded migrations that the database has not seen,
// each in its own transaction that also records its version, so a crash or
// a failing migration leaves the database at the last complete version.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := s.migrations()
	if err != nil {
		return err
	}
	return s.migrate(ctx, ms)
}

func (s *Store) migrate(ctx context.Context, ms []migration) error {
	if s.dialect == "postgres" {
		// Servers starting at once on one database take turns: a session
		// lock, held on one connection for the whole run.
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7061327)`); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7061327)`)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	// Checked inside the transaction: two servers starting at once on one
	// database apply each migration once.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	return nil
}

// Version returns the highest migration applied.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: version: %w", err)
	}
	return int(v.Int64), nil
}

// Stats is the connection pool's state, for the metrics.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// BackupTo writes a consistent copy of a SQLite database into file (which
// must not exist) while the server runs: SQLite's VACUUM INTO reads one
// snapshot and writes a compact database. PostgreSQL is backed up with its
// own tools (pg_dump; docs/deployment.md).
func (s *Store) BackupTo(ctx context.Context, file string) error {
	if s.dialect != "sqlite" {
		return fmt.Errorf("store: backup: use pg_dump for PostgreSQL")
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, file); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}
