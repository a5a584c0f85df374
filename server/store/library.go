package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// LibraryDraft is a draft law a member saved from the library's
// self-assessment, with the checklist elements they marked as covered.
type LibraryDraft struct {
	ID        int64
	UserID    int64
	Title     string
	Lang      string
	Body      string
	Covered   []string
	CreatedAt int64
	UpdatedAt int64
}

// SaveLibraryDraft inserts d (ID 0) or updates the member's own draft d.ID;
// updating someone else's draft is ErrNotFound.
func (s *Store) SaveLibraryDraft(ctx context.Context, d *LibraryDraft) error {
	covered := strings.Join(d.Covered, ",")
	if d.ID == 0 {
		err := s.insertReturning(ctx, `INSERT INTO library_drafts (user_id, title, lang, body, covered, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, []any{d.UserID, d.Title, d.Lang, d.Body, covered, d.UpdatedAt}, &d.ID)
		if err != nil {
			return fmt.Errorf("store: save library draft: %w", err)
		}
		d.CreatedAt = d.UpdatedAt
		return nil
	}
	return s.exec1(ctx, "save library draft", `UPDATE library_drafts SET title = $1, lang = $2, body = $3, covered = $4, updated_at = $5
		WHERE id = $6 AND user_id = $7`, d.Title, d.Lang, d.Body, covered, d.UpdatedAt, d.ID, d.UserID)
}

// LibraryDraft returns draft id if it belongs to userID.
func (s *Store) LibraryDraft(ctx context.Context, id, userID int64) (*LibraryDraft, error) {
	d := &LibraryDraft{}
	var covered string
	err := s.queryRow(ctx, `SELECT id, user_id, title, lang, body, covered, created_at, updated_at FROM library_drafts
		WHERE id = $1 AND user_id = $2`, id, userID).Scan(&d.ID, &d.UserID, &d.Title, &d.Lang, &d.Body, &covered, &d.CreatedAt, &d.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: library draft %d: %w", id, err)
	}
	d.Covered = splitList(covered)
	return d, nil
}

// LibraryDrafts lists a member's drafts, most recently saved first.
func (s *Store) LibraryDrafts(ctx context.Context, userID int64) ([]LibraryDraft, error) {
	rows, err := s.query(ctx, `SELECT id, user_id, title, lang, body, covered, created_at, updated_at FROM library_drafts
		WHERE user_id = $1 ORDER BY updated_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: library drafts: %w", err)
	}
	defer rows.Close()
	var out []LibraryDraft
	for rows.Next() {
		var d LibraryDraft
		var covered string
		if err := rows.Scan(&d.ID, &d.UserID, &d.Title, &d.Lang, &d.Body, &covered, &d.CreatedAt, &d.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store: library drafts: %w", err)
		}
		d.Covered = splitList(covered)
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteLibraryDraft deletes the member's own draft.
func (s *Store) DeleteLibraryDraft(ctx context.Context, id, userID int64) error {
	return s.exec1(ctx, "delete library draft", `DELETE FROM library_drafts WHERE id = $1 AND user_id = $2`, id, userID)
}
