package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: get setting %q: %w", key, err)
	}
	return v, nil
}

// SetSettingOnce stores value under key unless the key already has a value,
// and returns the value that is stored afterwards. It is how first-start
// facts (the instance identifier, when it was created) are recorded once.
func (s *Store) SetSettingOnce(ctx context.Context, key, value string) (string, error) {
	now := time.Now().UTC().Format(time.RFC3339)
	if _, err := s.exec(ctx,
		`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		key, value, now); err != nil {
		return "", fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return s.Setting(ctx, key)
}
