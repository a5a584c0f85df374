package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Practice is an item of the knowledge base: a best-practice document, a
// tool or a training offer, with its texts in each language it has.
type Practice struct {
	ID          int64
	Slug        string
	Kind        string // guide, report, standard, checklist, tool, training
	Audience    string // public, experts
	Topics      []string
	SourceLangs []string // languages the source itself is published in
	Source      Source
	Tool        *ToolInfo     `json:",omitempty"`
	Training    *TrainingInfo `json:",omitempty"`
	Date        string        // YYYY-MM-DD
	SeedHash    string
	UpdatedAt   int64
	UpdatedBy   int64 // 0: the seed files
	Texts       map[string]PracticeText
}

// Source is where an item's facts come from.
type Source struct {
	Organisation string
	Symbol       string
	Year         int
	Title        string
	URL          string
}

// ToolInfo describes a tool, factually.
type ToolInfo struct {
	Purpose    string
	Licence    string // free, free-law-enforcement, commercial, unknown
	Obtain     string
	Platforms  []string
	Maintainer string
	Training   []string // slugs of related training
}

// TrainingInfo describes a course.
type TrainingInfo struct {
	Provider string
	Format   string // online, in-person, blended, unknown
	Level    string // introductory, intermediate, advanced, unknown
	Audience string
	Cost     string // free, paid, unknown
}

// PracticeText is an item's text in one language (body in Markdown).
type PracticeText struct {
	Title   string
	Summary string
	Body    string
}

// details is what the details column holds.
type details struct {
	Tool     *ToolInfo     `json:",omitempty"`
	Training *TrainingInfo `json:",omitempty"`
}

const practiceColumns = `id, slug, kind, audience, topics, source_langs, source_org, source_symbol, source_year, source_title,
	source_url, details, date, seed_hash, updated_at, COALESCE(updated_by, 0)`

func scanPractice(row interface{ Scan(...any) error }) (*Practice, error) {
	p := Practice{Texts: map[string]PracticeText{}}
	var topics, langs, det string
	if err := row.Scan(&p.ID, &p.Slug, &p.Kind, &p.Audience, &topics, &langs, &p.Source.Organisation, &p.Source.Symbol,
		&p.Source.Year, &p.Source.Title, &p.Source.URL, &det, &p.Date, &p.SeedHash, &p.UpdatedAt, &p.UpdatedBy); err != nil {
		return nil, err
	}
	p.Topics, p.SourceLangs = splitList(topics), splitList(langs)
	var d details
	if err := json.Unmarshal([]byte(det), &d); err != nil {
		return nil, fmt.Errorf("details of %s: %w", p.Slug, err)
	}
	p.Tool, p.Training = d.Tool, d.Training
	return &p, nil
}

// PracticeFilter selects items. Audiences is required: it is the viewer's
// access, applied in the query.
type PracticeFilter struct {
	Audiences []string // e.g. ["public"] for visitors, ["public", "experts"] for experts
	Kinds     []string // any of these kinds; none: all
	Topic     string
	Lang      string // the source is available in this language
	Year      int
	Slug      string
	Brief     bool // texts without their bodies: for lists, which show titles and summaries
}

// Practices lists the items the filter selects, with their texts, newest
// source first, then by slug.
func (s *Store) Practices(ctx context.Context, f PracticeFilter) ([]*Practice, error) {
	if len(f.Audiences) == 0 {
		return nil, nil
	}
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var aud []string
	for _, a := range f.Audiences {
		aud = append(aud, arg(a))
	}
	conds = append(conds, "audience IN ("+strings.Join(aud, ", ")+")")
	if len(f.Kinds) > 0 {
		var ks []string
		for _, k := range f.Kinds {
			ks = append(ks, arg(k))
		}
		conds = append(conds, "kind IN ("+strings.Join(ks, ", ")+")")
	}
	if f.Topic != "" {
		conds = append(conds, "(',' || topics || ',') LIKE ('%,' || "+arg(f.Topic)+" || ',%')")
	}
	if f.Lang != "" {
		conds = append(conds, "(',' || source_langs || ',') LIKE ('%,' || "+arg(f.Lang)+" || ',%')")
	}
	if f.Year != 0 {
		conds = append(conds, "source_year = "+arg(f.Year))
	}
	if f.Slug != "" {
		conds = append(conds, "slug = "+arg(f.Slug))
	}
	where := strings.Join(conds, " AND ")
	rows, err := s.query(ctx, `SELECT `+practiceColumns+` FROM practices WHERE `+where+` ORDER BY source_year DESC, slug`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: practices: %w", err)
	}
	var out []*Practice
	byID := map[int64]*Practice{}
	for rows.Next() {
		p, err := scanPractice(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: practices: %w", err)
		}
		out = append(out, p)
		byID[p.ID] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: practices: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	body := "body"
	if f.Brief {
		body = "''"
	}
	rows, err = s.query(ctx, `SELECT practice_id, lang, title, summary, `+body+` FROM practice_texts
		WHERE practice_id IN (SELECT id FROM practices WHERE `+where+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: practice texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var lang string
		var t PracticeText
		if err := rows.Scan(&id, &lang, &t.Title, &t.Summary, &t.Body); err != nil {
			return nil, fmt.Errorf("store: practice texts: %w", err)
		}
		if p := byID[id]; p != nil {
			p.Texts[lang] = t
		}
	}
	return out, rows.Err()
}

// PracticeBySlug returns one item if its audience is among audiences, or
// ErrNotFound (also when it exists for another audience).
func (s *Store) PracticeBySlug(ctx context.Context, slug string, audiences []string) (*Practice, error) {
	ps, err := s.Practices(ctx, PracticeFilter{Audiences: audiences, Slug: slug})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, ErrNotFound
	}
	return ps[0], nil
}

// PracticeSlugBySeedHash returns the slug of the entry loaded from the
// seed or file whose hash is given, or ErrNotFound.
func (s *Store) PracticeSlugBySeedHash(ctx context.Context, hash string) (string, error) {
	var slug string
	err := s.queryRow(ctx, `SELECT slug FROM practices WHERE seed_hash = $1`, hash).Scan(&slug)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: practice by seed hash: %w", err)
	}
	return slug, nil
}

// SavePractice creates p (ID 0) or replaces it with its texts, and keeps
// the new state as a revision by saver (0: the seed) with a note.
func (s *Store) SavePractice(ctx context.Context, p *Practice, saver int64, note string) error {
	det, err := json.Marshal(details{Tool: p.Tool, Training: p.Training})
	if err != nil {
		return err
	}
	state, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.withChange(ctx, ChangePractice, func() any { return p.Slug }, func(tx *sql.Tx) error {
		args := []any{p.Slug, p.Kind, p.Audience, strings.Join(p.Topics, ","), strings.Join(p.SourceLangs, ","), p.Source.Organisation,
			p.Source.Symbol, p.Source.Year, p.Source.Title, p.Source.URL, string(det), p.Date, p.SeedHash, p.UpdatedAt, nullID(saver)}
		if p.ID == 0 {
			err = tx.QueryRowContext(ctx, `INSERT INTO practices (slug, kind, audience, topics, source_langs, source_org, source_symbol,
				source_year, source_title, source_url, details, date, seed_hash, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`, args...).Scan(&p.ID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE practices SET slug = $1, kind = $2, audience = $3, topics = $4, source_langs = $5,
				source_org = $6, source_symbol = $7, source_year = $8, source_title = $9, source_url = $10, details = $11, date = $12,
				seed_hash = $13, updated_at = $14, updated_by = $15 WHERE id = $16`, append(args, p.ID)...)
		}
		if err != nil {
			if isUniqueViolation(err) {
				return ErrDuplicate
			}
			return err
		}
		p.UpdatedBy = saver
		if _, err := tx.ExecContext(ctx, `DELETE FROM practice_texts WHERE practice_id = $1`, p.ID); err != nil {
			return err
		}
		for lang, t := range p.Texts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO practice_texts (practice_id, lang, title, summary, body) VALUES ($1, $2, $3, $4, $5)`,
				p.ID, lang, t.Title, t.Summary, t.Body); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO practice_revisions (practice_id, saved_at, saved_by, note, state) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, p.UpdatedAt, nullID(saver), note, string(state))
		return err
	})
}

// PracticeRevision is one saved state of an item.
type PracticeRevision struct {
	ID      int64
	SavedAt int64
	SavedBy string // the saver's name; "" for the seed
	Note    string
	State   *Practice
}

// PracticeRevisions lists an item's saved states, newest first.
func (s *Store) PracticeRevisions(ctx context.Context, practiceID int64) ([]PracticeRevision, error) {
	rows, err := s.query(ctx, `SELECT r.id, r.saved_at, COALESCE(u.full_name, ''), r.note, r.state FROM practice_revisions r
		LEFT JOIN users u ON u.id = r.saved_by WHERE r.practice_id = $1 ORDER BY r.id DESC`, practiceID)
	if err != nil {
		return nil, fmt.Errorf("store: practice revisions: %w", err)
	}
	defer rows.Close()
	var out []PracticeRevision
	for rows.Next() {
		var r PracticeRevision
		var state string
		if err := rows.Scan(&r.ID, &r.SavedAt, &r.SavedBy, &r.Note, &state); err != nil {
			return nil, fmt.Errorf("store: practice revisions: %w", err)
		}
		r.State = &Practice{}
		if err := json.Unmarshal([]byte(state), r.State); err != nil {
			return nil, fmt.Errorf("store: practice revision %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
