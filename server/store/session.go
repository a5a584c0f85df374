package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Session is a server-side login session. IDHash is the SHA-256 of the
// identifier in the reader's cookie.
type Session struct {
	IDHash       string
	UserID       int64
	CSRF         string
	SecondFactor bool
	CreatedAt    int64
	LastSeen     int64
	IP           string
	UserAgent    string
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, ss *Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, second_factor, created_at, last_seen, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ss.IDHash, ss.UserID, ss.CSRF, boolInt(ss.SecondFactor), ss.CreatedAt, ss.LastSeen, ss.IP, ss.UserAgent)
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

const sessionColumns = `id_hash, user_id, csrf, second_factor, created_at, last_seen, ip, user_agent`

func scanSession(row interface{ Scan(...any) error }) (*Session, error) {
	var ss Session
	var sf int
	if err := row.Scan(&ss.IDHash, &ss.UserID, &ss.CSRF, &sf, &ss.CreatedAt, &ss.LastSeen, &ss.IP, &ss.UserAgent); err != nil {
		return nil, err
	}
	ss.SecondFactor = sf == 1
	return &ss, nil
}

// SessionByHash returns a session or ErrNotFound.
func (s *Store) SessionByHash(ctx context.Context, idHash string) (*Session, error) {
	ss, err := scanSession(s.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id_hash = $1`, idHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	return ss, nil
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, idHash string, at int64) error {
	_, err := s.exec(ctx, `UPDATE sessions SET last_seen = $1 WHERE id_hash = $2`, at, idHash)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user except keep (a hash, or
// "" to end them all), and returns how many ended.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keep string) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`, userID, keep)
	if err != nil {
		return 0, fmt.Errorf("store: delete user sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// UserSessions lists a user's sessions, most recent first.
func (s *Store) UserSessions(ctx context.Context, userID int64) ([]*Session, error) {
	rows, err := s.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 ORDER BY last_seen DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user sessions: %w", err)
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// DeleteExpiredSessions removes sessions idle since before idleBefore or
// created before createdBefore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore int64) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2`, idleBefore, createdBefore)
	if err != nil {
		return fmt.Errorf("store: expire sessions: %w", err)
	}
	return nil
}
