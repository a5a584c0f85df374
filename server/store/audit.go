package store

import (
	"context"
	"fmt"
)

// AuditEntry is one security event: who, what, when and from where.
type AuditEntry struct {
	ID       int64
	At       int64
	ActorID  int64 // 0: anonymous or the system
	Action   string
	TargetID int64
	Detail   string
	IP       string
	Actor    string // actor's e-mail, filled by AuditLog
	Target   string // target's e-mail, filled by AuditLog
}

// Audit appends an entry to the audit log, which refuses updates and
// deletes.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	_, err := s.exec(ctx, `INSERT INTO audit_log (at, actor_id, action, target_id, detail, ip) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.At, nullID(e.ActorID), e.Action, nullID(e.TargetID), e.Detail, e.IP)
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Action string
	UserID int64 // as actor or target
	Limit  int
	Before int64 // entries with an ID below this (paging); 0 for the newest
}

// AuditLog lists entries, newest first.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 200
	}
	rows, err := s.query(ctx, `SELECT a.id, a.at, COALESCE(a.actor_id, 0), a.action, COALESCE(a.target_id, 0), a.detail, a.ip,
			COALESCE(ua.email, ''), COALESCE(ut.email, '')
		FROM audit_log a
		LEFT JOIN users ua ON ua.id = a.actor_id
		LEFT JOIN users ut ON ut.id = a.target_id
		WHERE ($1 = '' OR a.action = $1) AND ($2 = 0 OR a.actor_id = $2 OR a.target_id = $2) AND ($3 = 0 OR a.id < $3)
		ORDER BY a.id DESC LIMIT $4`, f.Action, f.UserID, f.Before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Action, &e.TargetID, &e.Detail, &e.IP, &e.Actor, &e.Target); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
