package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LoginFailures is the failure count kept per account or address.
type LoginFailures struct {
	Key         string
	Failures    int
	LastFailure int64
	LockedUntil int64
}

// LoginFailuresFor returns the counters for key (zero when none).
func (s *Store) LoginFailuresFor(ctx context.Context, key string) (LoginFailures, error) {
	f := LoginFailures{Key: key}
	err := s.queryRow(ctx, `SELECT failures, last_failure, locked_until FROM login_failures WHERE key = $1`, key).
		Scan(&f.Failures, &f.LastFailure, &f.LockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("store: login failures: %w", err)
	}
	return f, nil
}

// SaveLoginFailures stores the counters for f.Key.
func (s *Store) SaveLoginFailures(ctx context.Context, f LoginFailures) error {
	_, err := s.exec(ctx, `INSERT INTO login_failures (key, failures, last_failure, locked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure, locked_until = excluded.locked_until`,
		f.Key, f.Failures, f.LastFailure, f.LockedUntil)
	if err != nil {
		return fmt.Errorf("store: save login failures: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets the counters for key after a good login.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}
