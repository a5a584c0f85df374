package store

import (
	"context"
	"fmt"
)

// Mail is a message in the outbox.
type Mail struct {
	ID        int64
	To        string
	Subject   string
	Body      string
	CreatedAt int64
	SentAt    int64
	Error     string
}

// QueueMail stores an outgoing message and returns its ID.
func (s *Store) QueueMail(ctx context.Context, m *Mail) error {
	err := s.insertReturning(ctx, `INSERT INTO outbox (to_addr, subject, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		[]any{m.To, m.Subject, m.Body, m.CreatedAt}, &m.ID)
	if err != nil {
		return fmt.Errorf("store: queue mail: %w", err)
	}
	return nil
}

// MarkMailSent records the outcome of sending a message.
func (s *Store) MarkMailSent(ctx context.Context, id, at int64, sendErr string) error {
	return s.exec1(ctx, "mark mail", `UPDATE outbox SET sent_at = $1, error = $2 WHERE id = $3`, at, sendErr, id)
}

// Outbox lists messages, newest first, optionally only those to one address.
func (s *Store) Outbox(ctx context.Context, to string, limit int) ([]Mail, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.query(ctx, `SELECT id, to_addr, subject, body, created_at, sent_at, error FROM outbox
		WHERE ($1 = '' OR to_addr = $1) ORDER BY id DESC LIMIT $2`, to, limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		var m Mail
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.CreatedAt, &m.SentAt, &m.Error); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
