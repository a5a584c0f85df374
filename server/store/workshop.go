package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Workshop is an online workshop with its texts, sessions and material.
type Workshop struct {
	ID              int64
	Slug            string
	StartsAt        int64
	EndsAt          int64
	InvitedOnly     bool
	CategoryID      int64
	InvitedGroup    int64
	RegisteredGroup int64
	SummaryPublic   bool
	SummaryAt       int64
	CreatedBy       int64
	CreatedAt       int64
	Texts           map[string]WorkshopText
	Sessions        []WorkshopSession
	Materials       []Material
}

// WorkshopText is a workshop's text in one language (Markdown except the
// title).
type WorkshopText struct {
	Title       string
	Description string
	Agenda      string
	Summary     string
}

// WorkshopSession is a session with its discussion thread.
type WorkshopSession struct {
	ID       int64
	Title    string
	StartsAt int64
	ThreadID int64
}

// Material is keynote material: a link or a stored document.
type Material struct {
	ID     int64
	Title  string
	URL    string
	SHA256 string
	Name   string
	Size   int64
	MIME   string
}

// Group slugs of a workshop's audiences.
func workshopGroups(slug string) (invited, registered string) {
	return "ws-" + slug + "-invited", "ws-" + slug + "-registered"
}

// CreateWorkshop creates a workshop with its community and its two groups
// in one transaction. The community is readable by every expert, or only
// by the invited; threads are started by staff (one per session) and
// answered by those registered.
func (s *Store) CreateWorkshop(ctx context.Context, w *Workshop) error {
	defer s.forgetCategories()
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		inv, reg := workshopGroups(w.Slug)
		title := w.Texts["en"].Title
		for _, t := range w.Texts {
			if title == "" {
				title = t.Title
			}
		}
		for _, g := range []struct {
			slug, name string
			id         *int64
		}{{inv, "Workshop (invited): " + title, &w.InvitedGroup}, {reg, "Workshop (registered): " + title, &w.RegisteredGroup}} {
			if err := tx.QueryRowContext(ctx, `INSERT INTO groups (slug, name) VALUES ($1, $2) RETURNING id`, g.slug, g.name).Scan(g.id); err != nil {
				if isUniqueViolation(err) {
					return ErrDuplicate
				}
				return err
			}
		}
		read := AudienceExperts
		if w.InvitedOnly {
			read = AudienceGroups
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO forum_categories (slug, position, read_audience, start_audience, reply_audience, created_at)
			VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM forum_categories), $2, 'staff', 'groups', $3) RETURNING id`,
			"workshop-"+w.Slug, read, w.CreatedAt).Scan(&w.CategoryID); err != nil {
			if isUniqueViolation(err) {
				return ErrDuplicate
			}
			return err
		}
		grants := [][2]any{{AccessReply, w.RegisteredGroup}}
		if w.InvitedOnly {
			grants = append(grants, [2]any{AccessRead, w.InvitedGroup})
		}
		for _, g := range grants {
			if _, err := tx.ExecContext(ctx, `INSERT INTO forum_category_groups (category_id, access, group_id) VALUES ($1, $2, $3)`, w.CategoryID, g[0], g[1]); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO workshops (slug, starts_at, ends_at, invited_only, category_id, invited_group, registered_group, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, w.Slug, w.StartsAt, w.EndsAt, boolInt(w.InvitedOnly), w.CategoryID,
			w.InvitedGroup, w.RegisteredGroup, w.CreatedBy, w.CreatedAt).Scan(&w.ID); err != nil {
			if isUniqueViolation(err) {
				return ErrDuplicate
			}
			return err
		}
		return saveWorkshopTexts(ctx, tx, w)
	})
}

// UpdateWorkshop saves a workshop's dates and texts; the community's names
// follow the titles.
func (s *Store) UpdateWorkshop(ctx context.Context, w *Workshop) error {
	defer s.forgetCategories()
	return s.withChange(ctx, ChangeWorkshop, func() any { return w.Slug }, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE workshops SET starts_at = $1, ends_at = $2, summary_public = $3, summary_at = $4 WHERE id = $5`,
			w.StartsAt, w.EndsAt, boolInt(w.SummaryPublic), w.SummaryAt, w.ID); err != nil {
			return err
		}
		return saveWorkshopTexts(ctx, tx, w)
	})
}

func saveWorkshopTexts(ctx context.Context, tx *sql.Tx, w *Workshop) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM workshop_texts WHERE workshop_id = $1`, w.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM forum_category_texts WHERE category_id = $1`, w.CategoryID); err != nil {
		return err
	}
	for lang, t := range w.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workshop_texts (workshop_id, lang, title, description, agenda, summary) VALUES ($1, $2, $3, $4, $5, $6)`,
			w.ID, lang, t.Title, t.Description, t.Agenda, t.Summary); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO forum_category_texts (category_id, lang, name, description) VALUES ($1, $2, $3, '')`,
			w.CategoryID, lang, t.Title); err != nil {
			return err
		}
	}
	return nil
}

const workshopColumns = `id, slug, starts_at, ends_at, invited_only, category_id, invited_group, registered_group,
	summary_public, summary_at, created_by, created_at`

func scanWorkshop(row interface{ Scan(...any) error }) (*Workshop, error) {
	w := Workshop{Texts: map[string]WorkshopText{}}
	var invited, public int
	if err := row.Scan(&w.ID, &w.Slug, &w.StartsAt, &w.EndsAt, &invited, &w.CategoryID, &w.InvitedGroup, &w.RegisteredGroup,
		&public, &w.SummaryAt, &w.CreatedBy, &w.CreatedAt); err != nil {
		return nil, err
	}
	w.InvitedOnly, w.SummaryPublic = invited == 1, public == 1
	return &w, nil
}

// Workshops lists every workshop by start, with texts (not sessions or
// material). Callers decide who sees which.
func (s *Store) Workshops(ctx context.Context) ([]*Workshop, error) {
	rows, err := s.query(ctx, `SELECT `+workshopColumns+` FROM workshops ORDER BY starts_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: workshops: %w", err)
	}
	var out []*Workshop
	byID := map[int64]*Workshop{}
	for rows.Next() {
		w, err := scanWorkshop(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: workshops: %w", err)
		}
		out = append(out, w)
		byID[w.ID] = w
	}
	rows.Close()
	rows, err = s.query(ctx, `SELECT workshop_id, lang, title, description, agenda, summary FROM workshop_texts`)
	if err != nil {
		return nil, fmt.Errorf("store: workshop texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var lang string
		var t WorkshopText
		if err := rows.Scan(&id, &lang, &t.Title, &t.Description, &t.Agenda, &t.Summary); err != nil {
			return nil, fmt.Errorf("store: workshop texts: %w", err)
		}
		if w := byID[id]; w != nil {
			w.Texts[lang] = t
		}
	}
	return out, rows.Err()
}

// WorkshopBySlug returns a workshop with texts, sessions and material.
func (s *Store) WorkshopBySlug(ctx context.Context, slug string) (*Workshop, error) {
	all, err := s.Workshops(ctx)
	if err != nil {
		return nil, err
	}
	var w *Workshop
	for _, x := range all {
		if x.Slug == slug {
			w = x
		}
	}
	if w == nil {
		return nil, ErrNotFound
	}
	rows, err := s.query(ctx, `SELECT id, title, starts_at, thread_id FROM workshop_sessions WHERE workshop_id = $1 ORDER BY starts_at, id`, w.ID)
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	for rows.Next() {
		var ss WorkshopSession
		if err := rows.Scan(&ss.ID, &ss.Title, &ss.StartsAt, &ss.ThreadID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: sessions: %w", err)
		}
		w.Sessions = append(w.Sessions, ss)
	}
	rows.Close()
	rows, err = s.query(ctx, `SELECT id, title, url, sha256, name, size, mime FROM workshop_materials WHERE workshop_id = $1 ORDER BY id`, w.ID)
	if err != nil {
		return nil, fmt.Errorf("store: materials: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Material
		if err := rows.Scan(&m.ID, &m.Title, &m.URL, &m.SHA256, &m.Name, &m.Size, &m.MIME); err != nil {
			return nil, fmt.Errorf("store: materials: %w", err)
		}
		w.Materials = append(w.Materials, m)
	}
	return w, rows.Err()
}

// AddWorkshopSession adds a session and its discussion thread (with its
// opening post) in one transaction.
func (s *Store) AddWorkshopSession(ctx context.Context, workshopID int64, ss *WorkshopSession, t *Thread, p *Post) error {
	return s.withChange(ctx, ChangeThread, func() any { return t.ID }, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO forum_threads (category_id, title, author_id, lang, sensitivity, created_at, last_post_at, closed)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`, t.CategoryID, t.Title, t.AuthorID, t.Lang, t.Sensitivity, t.CreatedAt, boolInt(t.Closed)).Scan(&t.ID); err != nil {
			return err
		}
		p.ThreadID = t.ID
		if err := addPost(ctx, tx, p, true); err != nil {
			return err
		}
		ss.ThreadID = t.ID
		return tx.QueryRowContext(ctx, `INSERT INTO workshop_sessions (workshop_id, title, starts_at, thread_id) VALUES ($1, $2, $3, $4) RETURNING id`,
			workshopID, ss.Title, ss.StartsAt, ss.ThreadID).Scan(&ss.ID)
	})
}

// AddMaterial adds a link or a document to a workshop.
func (s *Store) AddMaterial(ctx context.Context, workshopID int64, m *Material) error {
	return s.insertReturning(ctx, `INSERT INTO workshop_materials (workshop_id, title, url, sha256, name, size, mime) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		[]any{workshopID, m.Title, m.URL, m.SHA256, m.Name, m.Size, m.MIME}, &m.ID)
}

// SetWorkshopThreadsClosed opens or closes every session thread of a
// workshop: open while it runs, read-only before and after.
func (s *Store) SetWorkshopThreadsClosed(ctx context.Context, workshopID int64, closed bool) error {
	_, err := s.exec(ctx, `UPDATE forum_threads SET closed = $1 WHERE closed <> $1 AND id IN (SELECT thread_id FROM workshop_sessions WHERE workshop_id = $2)`,
		boolInt(closed), workshopID)
	if err != nil {
		return fmt.Errorf("store: workshop threads: %w", err)
	}
	return nil
}

// AddToGroup puts a user in a group (registration, invitation).
func (s *Store) AddToGroup(ctx context.Context, userID, groupID int64) error {
	_, err := s.exec(ctx, `INSERT INTO user_groups (user_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, userID, groupID)
	if err != nil {
		return fmt.Errorf("store: add to group: %w", err)
	}
	return nil
}

// RemoveFromGroup takes a user out of a group.
func (s *Store) RemoveFromGroup(ctx context.Context, userID, groupID int64) error {
	if _, err := s.exec(ctx, `DELETE FROM user_groups WHERE user_id = $1 AND group_id = $2`, userID, groupID); err != nil {
		return fmt.Errorf("store: remove from group: %w", err)
	}
	return nil
}

// GroupMembers lists the users of a group by name.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]*User, error) {
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM users WHERE id IN (SELECT user_id FROM user_groups WHERE group_id = $1) ORDER BY full_name`, groupID)
	return scanUsers(rows, err, "group members")
}
