package store

import (
	"context"
	"fmt"
)

// IndexedPost is what search needs of a forum post: its text and where
// it stands (thread, community), for the posts that readers may see.
type IndexedPost struct {
	ID         int64
	ThreadID   int64
	Seq        int
	CategoryID int64
	Title      string // the thread's
	Lang       string
	Body       string // Markdown
	CreatedAt  int64
}

// PostScope selects posts for the index: by ids, by thread, by category,
// or all of them in pages of ids after AfterID.
type PostScope struct {
	IDs        []int64
	ThreadID   int64
	CategoryID int64
	AfterID    int64
	Limit      int
}

// IndexablePosts returns the visible posts (not deleted or hidden, in a
// thread that is not hidden) of a scope, in id order.
func (s *Store) IndexablePosts(ctx context.Context, sc PostScope) ([]IndexedPost, error) {
	q := `SELECT p.id, p.thread_id, p.seq, t.category_id, t.title, p.lang, p.body, p.created_at
		FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id
		WHERE p.deleted_at = 0 AND p.hidden_at = 0 AND t.hidden_at = 0`
	var args []any
	switch {
	case len(sc.IDs) > 0:
		q, args = inList(q+` AND p.id IN (%s)`, 1, int64sAny(sc.IDs))
	case sc.ThreadID != 0:
		q += ` AND p.thread_id = $1`
		args = append(args, sc.ThreadID)
	case sc.CategoryID != 0:
		q += ` AND t.category_id = $1`
		args = append(args, sc.CategoryID)
	default:
		q += ` AND p.id > $1`
		args = append(args, sc.AfterID)
	}
	q += ` ORDER BY p.id`
	if sc.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, sc.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: indexable posts: %w", err)
	}
	defer rows.Close()
	var out []IndexedPost
	for rows.Next() {
		var p IndexedPost
		if err := rows.Scan(&p.ID, &p.ThreadID, &p.Seq, &p.CategoryID, &p.Title, &p.Lang, &p.Body, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: indexable posts: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PostIDs returns the ids of every post (visible or not) of a thread or a
// category: what the index must drop or replace when it changes.
func (s *Store) PostIDs(ctx context.Context, threadID, categoryID int64) ([]int64, error) {
	q, arg := `SELECT id FROM forum_posts WHERE thread_id = $1`, threadID
	if categoryID != 0 {
		q, arg = `SELECT p.id FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id WHERE t.category_id = $1`, categoryID
	}
	rows, err := s.db.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, fmt.Errorf("store: post ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
