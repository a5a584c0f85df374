package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Change is one row of the change feed: an entity whose searchable state
// changed.
type Change struct {
	ID     int64
	Entity string
	Key    string
	At     int64
}

// Change feed entities.
const (
	ChangePost     = "post"
	ChangeThread   = "thread"
	ChangeCategory = "category"
	ChangePractice = "practice"
	ChangeWorkshop = "workshop"
)

// recordChange appends to the change feed inside a write's transaction.
func recordChange(ctx context.Context, tx *sql.Tx, entity string, key any) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO changes (entity, key, at) VALUES ($1, $2, $3)`,
		entity, fmt.Sprint(key), time.Now().Unix()); err != nil {
		return fmt.Errorf("change feed: %w", err)
	}
	return nil
}

// withChange runs fn in a transaction that also records a change, then
// wakes this process's followers of the feed.
func (s *Store) withChange(ctx context.Context, entity string, key func() any, fn func(*sql.Tx) error) error {
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return recordChange(ctx, tx, entity, key())
	})
	if err == nil {
		s.changed()
	}
	return err
}

// changed wakes a follower waiting on ChangeSignal, without blocking.
func (s *Store) changed() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// ChangeSignal receives a value soon after this process records a change;
// other processes' changes are found by polling Changes.
func (s *Store) ChangeSignal() <-chan struct{} { return s.signal }

// Changes returns up to limit changes after id, oldest first.
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	rows, err := s.query(ctx, `SELECT id, entity, key, at FROM changes WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.ID, &c.Entity, &c.Key, &c.At); err != nil {
			return nil, fmt.Errorf("store: changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChangeBounds returns the oldest and newest change ids (0, 0 when the
// feed is empty).
func (s *Store) ChangeBounds(ctx context.Context) (oldest, newest int64, err error) {
	var lo, hi sql.NullInt64
	if err := s.queryRow(ctx, `SELECT MIN(id), MAX(id) FROM changes`).Scan(&lo, &hi); err != nil {
		return 0, 0, fmt.Errorf("store: change bounds: %w", err)
	}
	return lo.Int64, hi.Int64, nil
}

// PruneChanges deletes changes older than before (unix seconds). A server
// whose index is older than the feed's oldest row rebuilds its index.
func (s *Store) PruneChanges(ctx context.Context, before int64) error {
	_, err := s.exec(ctx, `DELETE FROM changes WHERE at < $1`, before)
	return err
}
