package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Token kinds.
const (
	TokenVerify = "verify" // confirms an applicant's e-mail address
	TokenSetup  = "setup"  // creates the first administrator
	TokenInvite = "invite" // lets a named e-mail apply past the queue
)

// Token is a single-use, expiring token; only its hash is stored.
type Token struct {
	Hash      string
	Kind      string
	UserID    int64
	Email     string
	CreatedBy int64
	CreatedAt int64
	ExpiresAt int64
	UsedAt    int64
}

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t *Token) error {
	_, err := s.exec(ctx, `INSERT INTO tokens (hash, kind, user_id, email, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.Hash, t.Kind, nullID(t.UserID), t.Email, nullID(t.CreatedBy), t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("store: create token: %w", err)
	}
	return nil
}

// PeekToken returns a valid (unused, unexpired) token of a kind without
// using it, or ErrNotFound.
func (s *Store) PeekToken(ctx context.Context, hash, kind string, now int64) (*Token, error) {
	var t Token
	err := s.queryRow(ctx, `SELECT hash, kind, COALESCE(user_id, 0), email, COALESCE(created_by, 0), created_at, expires_at, used_at
		FROM tokens WHERE hash = $1 AND kind = $2 AND used_at = 0 AND expires_at > $3`, hash, kind, now).
		Scan(&t.Hash, &t.Kind, &t.UserID, &t.Email, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &t.UsedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: token: %w", err)
	}
	return &t, nil
}

// UseToken marks a valid token used and returns it; a token used, expired
// or unknown gives ErrNotFound. Only one caller can use a token.
func (s *Store) UseToken(ctx context.Context, hash, kind string, now int64) (*Token, error) {
	t, err := s.PeekToken(ctx, hash, kind, now)
	if err != nil {
		return nil, err
	}
	res, err := s.exec(ctx, `UPDATE tokens SET used_at = $1 WHERE hash = $2 AND used_at = 0`, now, hash)
	if err != nil {
		return nil, fmt.Errorf("store: use token: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, ErrNotFound
	}
	t.UsedAt = now
	return t, nil
}

// CountTokens counts valid tokens of a kind.
func (s *Store) CountTokens(ctx context.Context, kind string, now int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM tokens WHERE kind = $1 AND used_at = 0 AND expires_at > $2`, kind, now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count tokens: %w", err)
	}
	return n, nil
}

// ReplaceRecoveryCodes stores a new set of hashed recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2)`, userID, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseRecoveryCode spends one unused recovery code; false if there is none
// with that hash.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string, now int64) (bool, error) {
	res, err := s.exec(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND hash = $3 AND used_at = 0`,
		now, userID, hash)
	if err != nil {
		return false, fmt.Errorf("store: use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at = 0`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: recovery codes: %w", err)
	}
	return n, nil
}
