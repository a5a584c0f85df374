package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Roles, from least to most trusted.
const (
	RoleApplicant     = "applicant"
	RoleExpert        = "expert"
	RoleModerator     = "moderator"
	RoleAdministrator = "administrator"
)

// Account statuses.
const (
	StatusUnverified = "unverified" // applied, e-mail not yet confirmed
	StatusPending    = "pending"    // in the vetting queue
	StatusApproved   = "approved"
	StatusRejected   = "rejected"
	StatusSuspended  = "suspended"
)

// ErrDuplicate is returned when a unique value (an e-mail address) is taken.
var ErrDuplicate = errors.New("store: already exists")

// User is an account.
type User struct {
	ID            int64
	Email         string
	FullName      string
	Organisation  string
	Country       string
	Function      string
	Expertise     []string
	Languages     []string
	Justification string
	Role          string
	Status        string
	StatusReason  string
	PasswordHash  string
	TOTPSecret    string // sealed
	TOTPLastStep  int64
	Listed        bool
	Lang          string
	QueuePriority int
	InvitedBy     int64
	CreatedAt     int64
	VerifiedAt    int64
	DecidedAt     int64
	DecidedBy     int64
	DeletionAt    int64
	Handle        string   // for @mentions, unique
	NotifyEmail   string   // forum notifications by mail: immediate, daily, off
	DigestAt      int64    // when the last daily digest was sent
	Groups        []string // group slugs, filled by UserGroups
}

// IsStaff reports whether the user is a moderator or an administrator.
func (u *User) IsStaff() bool {
	return u.Role == RoleModerator || u.Role == RoleAdministrator
}

// CanEnter reports whether the user may use the expert area: approved and
// at least an expert. Pending and rejected accounts only see their status.
func (u *User) CanEnter() bool {
	return u.Status == StatusApproved && u.Role != RoleApplicant
}

const userColumns = `id, email, full_name, organisation, country, job_function, expertise, languages,
	justification, role, status, status_reason, password_hash, totp_secret, totp_last_step, listed, lang,
	queue_priority, COALESCE(invited_by, 0), created_at, verified_at, decided_at, COALESCE(decided_by, 0),
	deletion_requested_at, COALESCE(handle, ''), notify_email, digest_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var expertise, languages string
	var listed int
	err := row.Scan(&u.ID, &u.Email, &u.FullName, &u.Organisation, &u.Country, &u.Function, &expertise, &languages,
		&u.Justification, &u.Role, &u.Status, &u.StatusReason, &u.PasswordHash, &u.TOTPSecret, &u.TOTPLastStep,
		&listed, &u.Lang, &u.QueuePriority, &u.InvitedBy, &u.CreatedAt, &u.VerifiedAt, &u.DecidedAt, &u.DecidedBy,
		&u.DeletionAt, &u.Handle, &u.NotifyEmail, &u.DigestAt)
	if err != nil {
		return nil, err
	}
	u.Expertise = splitList(expertise)
	u.Languages = splitList(languages)
	u.Listed = listed == 1
	return &u, nil
}

// scanUsers reads every user of a query's rows (err is the query's own).
func scanUsers(rows *sql.Rows, err error, what string) ([]*User, error) {
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateUser inserts u and sets its ID. A taken e-mail gives ErrDuplicate.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	err := s.insertReturning(ctx, `INSERT INTO users (email, full_name, organisation, country, job_function,
		expertise, languages, justification, role, status, password_hash, listed, lang, queue_priority, invited_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		[]any{u.Email, u.FullName, u.Organisation, u.Country, u.Function, strings.Join(u.Expertise, ","),
			strings.Join(u.Languages, ","), u.Justification, u.Role, u.Status, u.PasswordHash, boolInt(u.Listed),
			u.Lang, u.QueuePriority, nullID(u.InvitedBy), u.CreatedAt}, &u.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("store: create user: %w", err)
	}
	return s.setHandle(ctx, u)
}

// setHandle gives a new account its @handle: made from the name, or the
// name with "-<id>" when taken (a suffix names never produce, so it is
// free).
func (s *Store) setHandle(ctx context.Context, u *User) error {
	base := HandleFor(u.FullName)
	for _, h := range []string{base, base + "-" + strconv.FormatInt(u.ID, 10)} {
		_, err := s.exec(ctx, `UPDATE users SET handle = $1 WHERE id = $2`, h, u.ID)
		if err == nil {
			u.Handle = h
			return nil
		}
		if !isUniqueViolation(err) {
			return fmt.Errorf("store: handle: %w", err)
		}
	}
	return fmt.Errorf("store: handle for user %d: no free handle", u.ID)
}

// HandleFor makes a handle from a name: lower-case ASCII letters and
// digits, words joined by dots, accents dropped ("Élodie Durand" →
// "elodie.durand"). Names with no Latin letters give "expert".
func HandleFor(name string) string {
	var words []string
	for _, w := range strings.Fields(norm.NFD.String(strings.ToLower(name))) {
		var b strings.Builder
		for _, r := range w {
			if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				b.WriteRune(r)
			}
		}
		if b.Len() > 0 {
			words = append(words, b.String())
		}
	}
	h := strings.Join(words, ".")
	if len(h) > 24 {
		h = strings.TrimRight(h[:24], ".")
	}
	if len(h) < 2 {
		return "expert"
	}
	return h
}

// SetNotifyEmail sets how forum notifications reach the member by mail.
func (s *Store) SetNotifyEmail(ctx context.Context, id int64, mode string) error {
	return s.exec1(ctx, "notify email", `UPDATE users SET notify_email = $1 WHERE id = $2`, mode, id)
}

// UsersByHandles returns the accounts with the given handles.
func (s *Store) UsersByHandles(ctx context.Context, handles []string) ([]*User, error) {
	if len(handles) == 0 {
		return nil, nil
	}
	q, args := inList(`SELECT `+userColumns+` FROM users WHERE handle IN (%s)`, 1, stringsAny(handles))
	rows, err := s.query(ctx, q, args...)
	return scanUsers(rows, err, "users by handle")
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "duplicate key value")
}

// UserByID returns a user or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns a user by (lower-cased) e-mail or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, strings.ToLower(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: user by e-mail: %w", err)
	}
	return u, nil
}

// UserFilter selects users for the staff list and the expert directory.
type UserFilter struct {
	Status    string
	Role      string
	Country   string
	Expertise string
	Language  string
	Query     string // in name, e-mail or organisation
	Listed    bool   // only those who chose to be listed
	Limit     int
	Offset    int
}

// Users lists users matching f, newest first (the vetting queue: invited
// first, then oldest first when Status is pending).
func (s *Store) Users(ctx context.Context, f UserFilter) ([]*User, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Role != "" {
		add("role = $%d", f.Role)
	}
	if f.Country != "" {
		add("country = $%d", f.Country)
	}
	if f.Expertise != "" {
		add("(',' || expertise || ',') LIKE ('%%,' || $%d || ',%%')", f.Expertise)
	}
	if f.Language != "" {
		add("(',' || languages || ',') LIKE ('%%,' || $%d || ',%%')", f.Language)
	}
	if f.Query != "" {
		add("(LOWER(full_name) LIKE $%[1]d OR email LIKE $%[1]d OR LOWER(organisation) LIKE $%[1]d)", "%"+strings.ToLower(f.Query)+"%")
	}
	if f.Listed {
		where = append(where, "listed = 1")
	}
	q := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Status == StatusPending {
		q += " ORDER BY queue_priority DESC, verified_at, id"
	} else {
		q += " ORDER BY full_name, id"
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	args = append(args, limit, f.Offset)
	q += fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	rows, err := s.query(ctx, q, args...)
	return scanUsers(rows, err, "users")
}

// CountUsers counts users with a status and role ("" for any).
func (s *Store) CountUsers(ctx context.Context, status, role string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE ($1 = '' OR status = $1) AND ($2 = '' OR role = $2)`,
		status, role).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// SetUserStatus records a vetting decision or a suspension.
func (s *Store) SetUserStatus(ctx context.Context, id int64, status, role, reason string, by, at int64) error {
	return s.exec1(ctx, "set user status", `UPDATE users SET status = $1, role = $2, status_reason = $3,
		decided_by = $4, decided_at = $5 WHERE id = $6`, status, role, reason, nullID(by), at, id)
}

// MarkVerified moves an unverified applicant into the vetting queue.
func (s *Store) MarkVerified(ctx context.Context, id, at int64) error {
	return s.exec1(ctx, "mark verified", `UPDATE users SET status = $1, verified_at = $2 WHERE id = $3 AND status = $4`,
		StatusPending, at, id, StatusUnverified)
}

// SetPasswordHash replaces a user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return s.exec1(ctx, "set password", `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, id)
}

// SetTOTP sets (or, with "", clears) the sealed TOTP secret.
func (s *Store) SetTOTP(ctx context.Context, id int64, sealed string) error {
	return s.exec1(ctx, "set totp", `UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2`, sealed, id)
}

// UseTOTPStep records the time step of an accepted code, only if it is later
// than the last one: false means the code was already used (a replay).
func (s *Store) UseTOTPStep(ctx context.Context, id, step int64) (bool, error) {
	res, err := s.exec(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, id)
	if err != nil {
		return false, fmt.Errorf("store: use totp step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Profile is what a user may change about themselves.
type Profile struct {
	FullName, Organisation, Country, Function string
	Expertise, Languages                      []string
	Listed                                    bool
	Lang                                      string
}

// UpdateProfile saves a user's own profile.
func (s *Store) UpdateProfile(ctx context.Context, id int64, p Profile) error {
	return s.exec1(ctx, "update profile", `UPDATE users SET full_name = $1, organisation = $2, country = $3,
		job_function = $4, expertise = $5, languages = $6, listed = $7, lang = $8 WHERE id = $9`,
		p.FullName, p.Organisation, p.Country, p.Function, strings.Join(p.Expertise, ","),
		strings.Join(p.Languages, ","), boolInt(p.Listed), p.Lang, id)
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, id int64, role string) error {
	return s.exec1(ctx, "set role", `UPDATE users SET role = $1 WHERE id = $2`, role, id)
}

// RequestDeletion records that the user asked for their account to go.
func (s *Store) RequestDeletion(ctx context.Context, id, at int64) error {
	return s.exec1(ctx, "request deletion", `UPDATE users SET deletion_requested_at = $1 WHERE id = $2`, at, id)
}

// exec1 runs a statement that must change exactly one row.
func (s *Store) exec1(ctx context.Context, what, q string, args ...any) error {
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Group is a named group of users.
type Group struct {
	ID   int64
	Slug string
	Name string
}

// Groups lists all groups.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	rows, err := s.query(ctx, `SELECT id, slug, name FROM groups ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: groups: %w", err)
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.ID, &g.Slug, &g.Name); err != nil {
			return nil, fmt.Errorf("store: groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// CreateGroup adds a group.
func (s *Store) CreateGroup(ctx context.Context, slug, name string) (int64, error) {
	var id int64
	err := s.insertReturning(ctx, `INSERT INTO groups (slug, name) VALUES ($1, $2) RETURNING id`, []any{slug, name}, &id)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, ErrDuplicate
		}
		return 0, fmt.Errorf("store: create group: %w", err)
	}
	return id, nil
}

// UserGroups returns the slugs of a user's groups.
func (s *Store) UserGroups(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.query(ctx, `SELECT g.slug FROM groups g JOIN user_groups ug ON ug.group_id = g.id
		WHERE ug.user_id = $1 ORDER BY g.slug`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user groups: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			return nil, err
		}
		out = append(out, slug)
	}
	return out, rows.Err()
}

// SetUserGroups replaces a user's groups with the given group IDs.
func (s *Store) SetUserGroups(ctx context.Context, userID int64, groupIDs []int64) error {
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_groups WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, g := range groupIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_groups (user_id, group_id) VALUES ($1, $2)`, userID, g); err != nil {
				return err
			}
		}
		return nil
	})
}

// VetterCountries returns the countries a vetter is limited to (none: all).
func (s *Store) VetterCountries(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.query(ctx, `SELECT country FROM vetter_countries WHERE user_id = $1 ORDER BY country`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: vetter countries: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetVetterCountries replaces the countries a vetter is limited to.
func (s *Store) SetVetterCountries(ctx context.Context, userID int64, countries []string) error {
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM vetter_countries WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, c := range countries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO vetter_countries (user_id, country) VALUES ($1, $2)`, userID, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// WithTx runs fn in a transaction, committing when it returns nil.
func (s *Store) WithTx(ctx context.Context, fn func(*sql.Tx) error) error {
	defer s.lockWrites()()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
