package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Audiences of a category right.
const (
	AudienceExperts = "experts" // every approved expert
	AudienceGroups  = "groups"  // the groups listed for that right
	AudienceStaff   = "staff"   // moderators and administrators
)

// Category rights.
const (
	AccessRead  = "read"
	AccessStart = "start"
	AccessReply = "reply"
)

// ErrClosed is returned when a post is added to a thread that is closed,
// locked or hidden.
var ErrClosed = errors.New("store: thread closed")

// Category is a topic community of the forum.
type Category struct {
	ID        int64
	Slug      string
	Position  int
	Audience  map[string]string   // access → audience
	Groups    map[string][]string // access → group slugs (audience "groups")
	Texts     map[string]CategoryText
	CreatedAt int64
}

// CategoryText is a category's name and description in one language.
type CategoryText struct {
	Name        string
	Description string
}

// categoriesTTL bounds how long a server trusts its cached categories.
// Changes made through this process clear the cache at once; the TTL is
// for changes made by another server on the same database.
const categoriesTTL = 2 * time.Second

// categoryCache holds the categories, which every forum request needs
// (access is decided from them) and which change rarely.
type categoryCache struct {
	mu   sync.Mutex
	list []*Category
	at   time.Time
}

func (s *Store) forgetCategories() {
	s.cats.mu.Lock()
	s.cats.list = nil
	s.cats.mu.Unlock()
}

// Categories lists every category in staff's order, with texts and groups.
// The list is small; callers decide access from it. It comes from a
// short-lived cache: callers must not change what it returns.
func (s *Store) Categories(ctx context.Context) ([]*Category, error) {
	s.cats.mu.Lock()
	if s.cats.list != nil && time.Since(s.cats.at) < categoriesTTL {
		list := s.cats.list
		s.cats.mu.Unlock()
		return list, nil
	}
	s.cats.mu.Unlock()
	list, err := s.loadCategories(ctx)
	if err != nil {
		return nil, err
	}
	s.cats.mu.Lock()
	s.cats.list, s.cats.at = list, time.Now()
	s.cats.mu.Unlock()
	return list, nil
}

func (s *Store) loadCategories(ctx context.Context) ([]*Category, error) {
	rows, err := s.query(ctx, `SELECT id, slug, position, read_audience, start_audience, reply_audience, created_at
		FROM forum_categories ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	var out []*Category
	byID := map[int64]*Category{}
	for rows.Next() {
		c := &Category{Audience: map[string]string{}, Groups: map[string][]string{}, Texts: map[string]CategoryText{}}
		var read, start, reply string
		if err := rows.Scan(&c.ID, &c.Slug, &c.Position, &read, &start, &reply, &c.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: categories: %w", err)
		}
		c.Audience[AccessRead], c.Audience[AccessStart], c.Audience[AccessReply] = read, start, reply
		out = append(out, c)
		byID[c.ID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	rows, err = s.query(ctx, `SELECT category_id, lang, name, description FROM forum_category_texts`)
	if err != nil {
		return nil, fmt.Errorf("store: category texts: %w", err)
	}
	for rows.Next() {
		var id int64
		var lang string
		var t CategoryText
		if err := rows.Scan(&id, &lang, &t.Name, &t.Description); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: category texts: %w", err)
		}
		if c := byID[id]; c != nil {
			c.Texts[lang] = t
		}
	}
	rows.Close()
	rows, err = s.query(ctx, `SELECT cg.category_id, cg.access, g.slug FROM forum_category_groups cg
		JOIN groups g ON g.id = cg.group_id ORDER BY g.slug`)
	if err != nil {
		return nil, fmt.Errorf("store: category groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var access, slug string
		if err := rows.Scan(&id, &access, &slug); err != nil {
			return nil, fmt.Errorf("store: category groups: %w", err)
		}
		if c := byID[id]; c != nil {
			c.Groups[access] = append(c.Groups[access], slug)
		}
	}
	return out, rows.Err()
}

// SaveCategory creates c (ID 0) or replaces its settings, texts and
// groups. A taken slug gives ErrDuplicate.
func (s *Store) SaveCategory(ctx context.Context, c *Category) error {
	defer s.forgetCategories()
	return s.withChange(ctx, ChangeCategory, func() any { return c.ID }, func(tx *sql.Tx) error {
		var err error
		if c.ID == 0 {
			err = tx.QueryRowContext(ctx, `INSERT INTO forum_categories (slug, position, read_audience, start_audience, reply_audience, created_at)
				VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM forum_categories), $2, $3, $4, $5) RETURNING id, position`,
				c.Slug, c.Audience[AccessRead], c.Audience[AccessStart], c.Audience[AccessReply], c.CreatedAt).Scan(&c.ID, &c.Position)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE forum_categories SET slug = $1, read_audience = $2, start_audience = $3, reply_audience = $4 WHERE id = $5`,
				c.Slug, c.Audience[AccessRead], c.Audience[AccessStart], c.Audience[AccessReply], c.ID)
		}
		if err != nil {
			if isUniqueViolation(err) {
				return ErrDuplicate
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM forum_category_texts WHERE category_id = $1`, c.ID); err != nil {
			return err
		}
		for lang, t := range c.Texts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO forum_category_texts (category_id, lang, name, description) VALUES ($1, $2, $3, $4)`,
				c.ID, lang, t.Name, t.Description); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM forum_category_groups WHERE category_id = $1`, c.ID); err != nil {
			return err
		}
		for access, slugs := range c.Groups {
			for _, slug := range slugs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO forum_category_groups (category_id, access, group_id)
					SELECT $1, $2, id FROM groups WHERE slug = $3`, c.ID, access, slug); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// MoveCategory swaps a category with its neighbour above (up) or below.
func (s *Store) MoveCategory(ctx context.Context, id int64, up bool) error {
	defer s.forgetCategories()
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT position FROM forum_categories WHERE id = $1`, id).Scan(&pos); err != nil {
			return err
		}
		q := `SELECT id, position FROM forum_categories WHERE position > $1 ORDER BY position LIMIT 1`
		if up {
			q = `SELECT id, position FROM forum_categories WHERE position < $1 ORDER BY position DESC LIMIT 1`
		}
		var other int64
		var otherPos int
		if err := tx.QueryRowContext(ctx, q, pos).Scan(&other, &otherPos); errors.Is(err, sql.ErrNoRows) {
			return nil // already first or last
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE forum_categories SET position = $1 WHERE id = $2`, otherPos, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE forum_categories SET position = $1 WHERE id = $2`, pos, other)
		return err
	})
}

// CategoryStats are the visible threads and posts of a category.
type CategoryStats struct {
	Threads    int
	Posts      int
	LastPostAt int64
	Unread     int // threads with posts the viewer has not read
}

// CategoryStats counts, for the given categories, the threads and posts a
// viewer sees (hidden threads only for staff) and the viewer's unread
// threads.
func (s *Store) CategoryStats(ctx context.Context, ids []int64, userID int64, staff bool) (map[int64]CategoryStats, error) {
	out := map[int64]CategoryStats{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args := inList(`SELECT t.category_id, COUNT(*), COALESCE(SUM(t.post_count), 0), COALESCE(MAX(t.last_post_at), 0),
			COALESCE(SUM(CASE WHEN t.last_seq > COALESCE(r.last_seq, 0) THEN 1 ELSE 0 END), 0)
		FROM forum_threads t LEFT JOIN forum_reads r ON r.thread_id = t.id AND r.user_id = $1
		WHERE ($2 = 1 OR t.hidden_at = 0) AND t.category_id IN (%s) GROUP BY t.category_id`, 3, int64sAny(ids))
	rows, err := s.query(ctx, q, append([]any{userID, boolInt(staff)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: category stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st CategoryStats
		if err := rows.Scan(&id, &st.Threads, &st.Posts, &st.LastPostAt, &st.Unread); err != nil {
			return nil, fmt.Errorf("store: category stats: %w", err)
		}
		out[id] = st
	}
	return out, rows.Err()
}

// Thread is a discussion in a category.
type Thread struct {
	ID           int64
	CategoryID   int64
	Title        string
	AuthorID     int64
	Lang         string
	Sensitivity  string
	CreatedAt    int64
	LastPostAt   int64
	LastSeq      int
	PostCount    int
	Pinned       bool
	Locked       bool
	Closed       bool
	HiddenAt     int64
	HiddenReason string

	AuthorName string // filled by lists
	LastRead   int    // the viewer's last read post number, filled by lists
}

// Unread is the number of posts after the viewer's last read one.
func (t *Thread) Unread() int { return max(t.LastSeq-t.LastRead, 0) }

const threadColumns = `t.id, t.category_id, t.title, t.author_id, t.lang, t.sensitivity, t.created_at, t.last_post_at,
	t.last_seq, t.post_count, t.pinned, t.locked, t.closed, t.hidden_at, t.hidden_reason`

func scanThread(row interface{ Scan(...any) error }, extra ...any) (*Thread, error) {
	var t Thread
	var pinned, locked, closed int
	dest := []any{&t.ID, &t.CategoryID, &t.Title, &t.AuthorID, &t.Lang, &t.Sensitivity, &t.CreatedAt, &t.LastPostAt,
		&t.LastSeq, &t.PostCount, &pinned, &locked, &closed, &t.HiddenAt, &t.HiddenReason}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	t.Pinned, t.Locked, t.Closed = pinned == 1, locked == 1, closed == 1
	return &t, nil
}

// ThreadByID returns a thread or ErrNotFound. Access is the caller's.
func (s *Store) ThreadByID(ctx context.Context, id int64) (*Thread, error) {
	t, err := scanThread(s.queryRow(ctx, `SELECT `+threadColumns+` FROM forum_threads t WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: thread %d: %w", id, err)
	}
	return t, nil
}

// ThreadFilter selects threads for a viewer.
type ThreadFilter struct {
	Categories []int64 // the categories the viewer may read: required
	UserID     int64   // the viewer, for unread counts
	Staff      bool    // staff also see hidden threads
	Lang       string  // only threads started in this language
	Limit      int
	Offset     int
}

// Threads lists threads, pinned first, then by latest activity, and the
// total the filter matches.
func (s *Store) Threads(ctx context.Context, f ThreadFilter) ([]*Thread, int, error) {
	if len(f.Categories) == 0 {
		return nil, 0, nil
	}
	where, args := inList(`($1 = 1 OR t.hidden_at = 0) AND ($2 = '' OR t.lang = $2) AND t.category_id IN (%s)`, 3, int64sAny(f.Categories))
	args = append([]any{boolInt(f.Staff), f.Lang}, args...)
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM forum_threads t WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: threads: %w", err)
	}
	n := len(args)
	rows, err := s.query(ctx, `SELECT `+threadColumns+`, u.full_name, COALESCE(r.last_seq, 0)
		FROM forum_threads t JOIN users u ON u.id = t.author_id
		LEFT JOIN forum_reads r ON r.thread_id = t.id AND r.user_id = $`+strconv.Itoa(n+1)+`
		WHERE `+where+` ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC
		LIMIT $`+strconv.Itoa(n+2)+` OFFSET $`+strconv.Itoa(n+3), append(args, f.UserID, limitOr(f.Limit, 30), f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: threads: %w", err)
	}
	defer rows.Close()
	var out []*Thread
	for rows.Next() {
		var name string
		var lastRead int
		t, err := scanThread(rows, &name, &lastRead)
		if err != nil {
			return nil, 0, fmt.Errorf("store: threads: %w", err)
		}
		t.AuthorName, t.LastRead = name, lastRead
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// Post is one message in a thread.
type Post struct {
	ID           int64
	ThreadID     int64
	Seq          int
	AuthorID     int64
	Lang         string
	Body         string
	HTML         string
	ReplyTo      int64
	CreatedAt    int64
	EditedAt     int64
	DeletedAt    int64
	DeletedBy    int64
	HiddenAt     int64
	HiddenBy     int64
	HiddenReason string
	Attachments  []Attachment

	AuthorName    string // filled by Posts and PostByID
	AuthorHandle  string
	AuthorOrg     string
	AuthorCountry string
}

// Visible reports whether readers who are not staff see the post's text.
func (p *Post) Visible() bool { return p.DeletedAt == 0 && p.HiddenAt == 0 }

// Attachment is a document attached to a post.
type Attachment struct {
	PostID int64
	SHA256 string
	Name   string
	Size   int64
	Kind   string
	MIME   string
}

const postColumns = `p.id, p.thread_id, p.seq, p.author_id, p.lang, p.body, p.html, COALESCE(p.reply_to, 0), p.created_at,
	p.edited_at, p.deleted_at, COALESCE(p.deleted_by, 0), p.hidden_at, COALESCE(p.hidden_by, 0), p.hidden_reason,
	u.full_name, COALESCE(u.handle, ''), u.organisation, u.country`

func scanPost(row interface{ Scan(...any) error }) (*Post, error) {
	var p Post
	err := row.Scan(&p.ID, &p.ThreadID, &p.Seq, &p.AuthorID, &p.Lang, &p.Body, &p.HTML, &p.ReplyTo, &p.CreatedAt,
		&p.EditedAt, &p.DeletedAt, &p.DeletedBy, &p.HiddenAt, &p.HiddenBy, &p.HiddenReason,
		&p.AuthorName, &p.AuthorHandle, &p.AuthorOrg, &p.AuthorCountry)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PostByID returns a post with its attachments, or ErrNotFound.
func (s *Store) PostByID(ctx context.Context, id int64) (*Post, error) {
	p, err := scanPost(s.queryRow(ctx, `SELECT `+postColumns+` FROM forum_posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: post %d: %w", id, err)
	}
	if err := s.fillAttachments(ctx, []*Post{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// PostFilter selects a page of a thread's posts.
type PostFilter struct {
	Lang       string // only posts tagged with this language
	Limit      int
	Offset     int
	Total      int  // the thread's number of posts when known (its last number): saves counting without a language filter
	WithSource bool // also load each post's Markdown
}

// Posts lists a thread's posts in order, with the total the filter
// matches. Deleted and hidden posts are listed too, so that the numbering
// has no holes; templates show their trace instead of their text.
func (s *Store) Posts(ctx context.Context, threadID int64, f PostFilter) ([]*Post, int, error) {
	total := f.Total
	if total == 0 || f.Lang != "" {
		if err := s.queryRow(ctx, `SELECT COUNT(*) FROM forum_posts WHERE thread_id = $1 AND ($2 = '' OR lang = $2)`,
			threadID, f.Lang).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("store: posts: %w", err)
		}
	}
	cols := postColumns
	if !f.WithSource {
		// The Markdown is only needed to edit or quote one post.
		cols = strings.Replace(postColumns, "p.body", "''", 1)
	}
	rows, err := s.query(ctx, `SELECT `+cols+` FROM forum_posts p JOIN users u ON u.id = p.author_id
		WHERE p.thread_id = $1 AND ($2 = '' OR p.lang = $2) ORDER BY p.seq LIMIT $3 OFFSET $4`,
		threadID, f.Lang, limitOr(f.Limit, 50), f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: posts: %w", err)
	}
	defer rows.Close()
	var out []*Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("store: posts: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: posts: %w", err)
	}
	if len(out) == 0 {
		return out, total, nil
	}
	// The page's attachments by the range of its numbers: one short query
	// whatever the page size.
	byID := make(map[int64]*Post, len(out))
	for _, p := range out {
		byID[p.ID] = p
	}
	arows, err := s.query(ctx, `SELECT a.post_id, a.sha256, a.name, a.size, a.kind, a.mime FROM forum_attachments a
		JOIN forum_posts p ON p.id = a.post_id WHERE p.thread_id = $1 AND p.seq BETWEEN $2 AND $3 ORDER BY a.name`,
		threadID, out[0].Seq, out[len(out)-1].Seq)
	if err != nil {
		return nil, 0, fmt.Errorf("store: attachments: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var a Attachment
		if err := arows.Scan(&a.PostID, &a.SHA256, &a.Name, &a.Size, &a.Kind, &a.MIME); err != nil {
			return nil, 0, fmt.Errorf("store: attachments: %w", err)
		}
		if p := byID[a.PostID]; p != nil { // a language filter may leave some out
			p.Attachments = append(p.Attachments, a)
		}
	}
	return out, total, arows.Err()
}

// AuthoredPost is one of a member's posts, for their data export.
type AuthoredPost struct {
	ID, ThreadID        int64
	Thread              string
	Seq                 int
	Lang, Body          string
	CreatedAt, EditedAt int64
	Deleted, Hidden     bool
}

// PostsByAuthor lists everything a member wrote in the forum, oldest first.
func (s *Store) PostsByAuthor(ctx context.Context, userID int64) ([]AuthoredPost, error) {
	rows, err := s.query(ctx, `SELECT p.id, p.thread_id, t.title, p.seq, p.lang, p.body, p.created_at, p.edited_at, p.deleted_at, p.hidden_at
		FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id WHERE p.author_id = $1 ORDER BY p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: posts by author: %w", err)
	}
	defer rows.Close()
	var out []AuthoredPost
	for rows.Next() {
		var a AuthoredPost
		var deleted, hidden int64
		if err := rows.Scan(&a.ID, &a.ThreadID, &a.Thread, &a.Seq, &a.Lang, &a.Body, &a.CreatedAt, &a.EditedAt, &deleted, &hidden); err != nil {
			return nil, fmt.Errorf("store: posts by author: %w", err)
		}
		a.Deleted, a.Hidden = deleted != 0, hidden != 0
		out = append(out, a)
	}
	return out, rows.Err()
}

// PostOffset is how many posts of the thread come before seq (with the
// language filter), to find the page a post is on.
func (s *Store) PostOffset(ctx context.Context, threadID int64, seq int, lang string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM forum_posts WHERE thread_id = $1 AND seq < $2 AND ($3 = '' OR lang = $3)`,
		threadID, seq, lang).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: post offset: %w", err)
	}
	return n, nil
}

func (s *Store) fillAttachments(ctx context.Context, posts []*Post) error {
	if len(posts) == 0 {
		return nil
	}
	byID := make(map[int64]*Post, len(posts))
	ids := make([]int64, 0, len(posts))
	for _, p := range posts {
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	q, args := inList(`SELECT post_id, sha256, name, size, kind, mime FROM forum_attachments WHERE post_id IN (%s) ORDER BY name`, 1, int64sAny(ids))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.PostID, &a.SHA256, &a.Name, &a.Size, &a.Kind, &a.MIME); err != nil {
			return fmt.Errorf("store: attachments: %w", err)
		}
		byID[a.PostID].Attachments = append(byID[a.PostID].Attachments, a)
	}
	return rows.Err()
}

// CreateThread inserts t with its first post p, setting both IDs.
func (s *Store) CreateThread(ctx context.Context, t *Thread, p *Post) error {
	return s.withChange(ctx, ChangeThread, func() any { return t.ID }, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO forum_threads (category_id, title, author_id, lang, sensitivity, created_at, last_post_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			t.CategoryID, t.Title, t.AuthorID, t.Lang, t.Sensitivity, t.CreatedAt).Scan(&t.ID); err != nil {
			return err
		}
		p.ThreadID = t.ID
		if err := addPost(ctx, tx, p, false); err != nil {
			return err
		}
		t.LastSeq, t.PostCount, t.LastPostAt = 1, 1, t.CreatedAt
		return nil
	})
}

// AddPost appends p to its thread, numbering it after the thread's last
// post in the same transaction, so that concurrent writers never share a
// number. Unless force is set (staff), a closed, locked or hidden thread
// refuses it with ErrClosed.
func (s *Store) AddPost(ctx context.Context, p *Post, force bool) error {
	return s.withChange(ctx, ChangePost, func() any { return p.ID }, func(tx *sql.Tx) error { return addPost(ctx, tx, p, force) })
}

func addPost(ctx context.Context, tx *sql.Tx, p *Post, force bool) error {
	// The UPDATE takes the thread's row (SQLite: the database) for writing
	// before the number is read, which is what serialises writers.
	err := tx.QueryRowContext(ctx, `UPDATE forum_threads SET last_seq = last_seq + 1, post_count = post_count + 1, last_post_at = $1
		WHERE id = $2 AND ($3 = 1 OR (closed = 0 AND locked = 0 AND hidden_at = 0)) RETURNING last_seq`,
		p.CreatedAt, p.ThreadID, boolInt(force)).Scan(&p.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrClosed
	}
	if err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO forum_posts (thread_id, seq, author_id, lang, body, html, reply_to, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.ThreadID, p.Seq, p.AuthorID, p.Lang, p.Body, p.HTML, nullID(p.ReplyTo), p.CreatedAt).Scan(&p.ID); err != nil {
		return err
	}
	for i := range p.Attachments {
		a := &p.Attachments[i]
		a.PostID = p.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO forum_attachments (post_id, sha256, name, size, kind, mime) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING`, p.ID, a.SHA256, a.Name, a.Size, a.Kind, a.MIME); err != nil {
			return err
		}
	}
	return nil
}

// AddAttachment links a stored document to an existing post.
func (s *Store) AddAttachment(ctx context.Context, postID int64, a Attachment) error {
	_, err := s.exec(ctx, `INSERT INTO forum_attachments (post_id, sha256, name, size, kind, mime) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, postID, a.SHA256, a.Name, a.Size, a.Kind, a.MIME)
	if err != nil {
		return fmt.Errorf("store: attachment: %w", err)
	}
	return nil
}

// EditPost replaces a post's text, keeping the previous text as a
// revision with who changed it, when and why.
func (s *Store) EditPost(ctx context.Context, postID int64, body, html, lang string, by, at int64, reason string) error {
	return s.withChange(ctx, ChangePost, func() any { return postID }, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO forum_revisions (post_id, body, edited_by, edited_at, reason)
			SELECT id, body, $1, $2, $3 FROM forum_posts WHERE id = $4 AND deleted_at = 0`, by, at, reason, postID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE forum_posts SET body = $1, html = $2, lang = $3, edited_at = $4 WHERE id = $5`, body, html, lang, at, postID)
		return err
	})
}

// Revision is an earlier version of a post.
type Revision struct {
	ID       int64
	Body     string
	EditedBy string // the editor's name
	EditedAt int64
	Reason   string
}

// Revisions lists a post's earlier versions, oldest first.
func (s *Store) Revisions(ctx context.Context, postID int64) ([]Revision, error) {
	rows, err := s.query(ctx, `SELECT r.id, r.body, u.full_name, r.edited_at, r.reason FROM forum_revisions r
		JOIN users u ON u.id = r.edited_by WHERE r.post_id = $1 ORDER BY r.id`, postID)
	if err != nil {
		return nil, fmt.Errorf("store: revisions: %w", err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		if err := rows.Scan(&r.ID, &r.Body, &r.EditedBy, &r.EditedAt, &r.Reason); err != nil {
			return nil, fmt.Errorf("store: revisions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeletePost marks a post deleted; its text stays in the database (and in
// its revisions) for staff, and the thread shows a trace.
func (s *Store) DeletePost(ctx context.Context, postID, by, at int64) error {
	return s.setPostState(ctx, postID, `deleted_at = $1, deleted_by = $2`, `deleted_at = 0`, []any{at, by})
}

// HidePost hides a post from everyone but staff, with the reason.
func (s *Store) HidePost(ctx context.Context, postID, by, at int64, reason string) error {
	return s.setPostState(ctx, postID, `hidden_at = $1, hidden_by = $2, hidden_reason = $3`, `hidden_at = 0`, []any{at, by, reason})
}

// RestorePost shows a hidden post again.
func (s *Store) RestorePost(ctx context.Context, postID int64) error {
	return s.withChange(ctx, ChangePost, func() any { return postID }, func(tx *sql.Tx) error {
		var threadID int64
		err := tx.QueryRowContext(ctx, `UPDATE forum_posts SET hidden_at = 0, hidden_by = NULL, hidden_reason = ''
			WHERE id = $1 AND hidden_at <> 0 RETURNING thread_id`, postID).Scan(&threadID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // not hidden: nothing to do
		}
		if err != nil {
			return err
		}
		return recount(ctx, tx, threadID)
	})
}

// setPostState applies set to a post when cond holds and recounts its
// thread's visible posts.
func (s *Store) setPostState(ctx context.Context, postID int64, set, cond string, args []any) error {
	return s.withChange(ctx, ChangePost, func() any { return postID }, func(tx *sql.Tx) error {
		var threadID int64
		n := strconv.Itoa(len(args) + 1)
		err := tx.QueryRowContext(ctx, `UPDATE forum_posts SET `+set+` WHERE id = $`+n+` AND `+cond+` RETURNING thread_id`,
			append(args, postID)...).Scan(&threadID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return recount(ctx, tx, threadID)
	})
}

func recount(ctx context.Context, tx *sql.Tx, threadID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE forum_threads SET post_count =
		(SELECT COUNT(*) FROM forum_posts WHERE thread_id = $1 AND deleted_at = 0 AND hidden_at = 0) WHERE id = $1`, threadID)
	return err
}

// Thread states staff can set.
const (
	ThreadPinned = "pinned"
	ThreadLocked = "locked"
	ThreadClosed = "closed"
)

// SetThreadState sets or clears pinned, locked or closed.
func (s *Store) SetThreadState(ctx context.Context, threadID int64, state string, on bool) error {
	switch state {
	case ThreadPinned, ThreadLocked, ThreadClosed:
	default:
		return fmt.Errorf("store: unknown thread state %q", state)
	}
	return s.exec1(ctx, "thread state", `UPDATE forum_threads SET `+state+` = $1 WHERE id = $2`, boolInt(on), threadID)
}

// HideThread hides a thread from everyone but staff (at 0 restores it).
func (s *Store) HideThread(ctx context.Context, threadID, at int64, reason string) error {
	return s.updateThread(ctx, threadID, `UPDATE forum_threads SET hidden_at = $1, hidden_reason = $2 WHERE id = $3`, at, reason, threadID)
}

// MoveThread puts a thread in another category.
func (s *Store) MoveThread(ctx context.Context, threadID, categoryID int64) error {
	return s.updateThread(ctx, threadID, `UPDATE forum_threads SET category_id = $1 WHERE id = $2`, categoryID, threadID)
}

// updateThread changes one thread in a way search must follow (who may
// read its posts), recording the change.
func (s *Store) updateThread(ctx context.Context, threadID int64, q string, args ...any) error {
	return s.withChange(ctx, ChangeThread, func() any { return threadID }, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// SetSensitivity changes a thread's sensitivity label.
func (s *Store) SetSensitivity(ctx context.Context, threadID int64, label string) error {
	return s.exec1(ctx, "sensitivity", `UPDATE forum_threads SET sensitivity = $1 WHERE id = $2`, label, threadID)
}

// PostsSince counts a member's posts since a time, for posting limits.
func (s *Store) PostsSince(ctx context.Context, userID, since int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM forum_posts WHERE author_id = $1 AND created_at >= $2`, userID, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: posts since: %w", err)
	}
	return n, nil
}

const markReadSQL = `INSERT INTO forum_reads (user_id, thread_id, last_seq) VALUES ($1, $2, $3)
	ON CONFLICT (user_id, thread_id) DO UPDATE SET last_seq = CASE WHEN excluded.last_seq > forum_reads.last_seq
		THEN excluded.last_seq ELSE forum_reads.last_seq END`

// MarkRead moves a member's reading position in a thread forward (never
// back).
func (s *Store) MarkRead(ctx context.Context, userID, threadID int64, seq int) error {
	_, err := s.exec(ctx, markReadSQL, userID, threadID, seq)
	if err != nil {
		return fmt.Errorf("store: mark read: %w", err)
	}
	return nil
}

// LastRead returns a member's reading position in a thread (0: unread).
func (s *Store) LastRead(ctx context.Context, userID, threadID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT last_seq FROM forum_reads WHERE user_id = $1 AND thread_id = $2`, userID, threadID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: last read: %w", err)
	}
	return n, nil
}

// ToggleBookmark adds or removes a bookmark and reports whether the post
// is now bookmarked.
func (s *Store) ToggleBookmark(ctx context.Context, userID, postID, at int64) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM forum_bookmarks WHERE user_id = $1 AND post_id = $2`, userID, postID)
	if err != nil {
		return false, fmt.Errorf("store: bookmark: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, nil
	}
	if _, err := s.exec(ctx, `INSERT INTO forum_bookmarks (user_id, post_id, created_at) VALUES ($1, $2, $3)`, userID, postID, at); err != nil {
		return false, fmt.Errorf("store: bookmark: %w", err)
	}
	return true, nil
}

// Bookmark is a bookmarked post with its thread.
type Bookmark struct {
	PostID      int64
	Seq         int
	ThreadID    int64
	ThreadTitle string
	AuthorName  string
	CreatedAt   int64
}

// Bookmarks lists a member's bookmarks in the categories they may read,
// on threads they may see and posts that are still visible.
func (s *Store) Bookmarks(ctx context.Context, userID int64, categories []int64, staff bool) ([]Bookmark, error) {
	if len(categories) == 0 {
		return nil, nil
	}
	q, args := inList(`SELECT p.id, p.seq, t.id, t.title, u.full_name, b.created_at FROM forum_bookmarks b
		JOIN forum_posts p ON p.id = b.post_id JOIN forum_threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id
		WHERE b.user_id = $1 AND ($2 = 1 OR (t.hidden_at = 0 AND p.hidden_at = 0)) AND p.deleted_at = 0 AND t.category_id IN (%s)
		ORDER BY b.created_at DESC`, 3, int64sAny(categories))
	rows, err := s.query(ctx, q, append([]any{userID, boolInt(staff)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: bookmarks: %w", err)
	}
	defer rows.Close()
	var out []Bookmark
	for rows.Next() {
		var b Bookmark
		if err := rows.Scan(&b.PostID, &b.Seq, &b.ThreadID, &b.ThreadTitle, &b.AuthorName, &b.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: bookmarks: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BookmarkedIn returns which of a thread's posts the member bookmarked.
func (s *Store) BookmarkedIn(ctx context.Context, userID, threadID int64) (map[int64]bool, error) {
	rows, err := s.query(ctx, `SELECT b.post_id FROM forum_bookmarks b JOIN forum_posts p ON p.id = b.post_id
		WHERE b.user_id = $1 AND p.thread_id = $2`, userID, threadID)
	if err != nil {
		return nil, fmt.Errorf("store: bookmarked: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: bookmarked: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Draft is unsent text kept on the server.
type Draft struct {
	Place     string
	Title     string
	Body      string
	Lang      string
	UpdatedAt int64
}

// SaveDraft keeps (replaces) a member's draft for a place.
func (s *Store) SaveDraft(ctx context.Context, userID int64, d Draft) error {
	_, err := s.exec(ctx, `INSERT INTO forum_drafts (user_id, place, title, body, lang, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id, place) DO UPDATE SET title = excluded.title, body = excluded.body, lang = excluded.lang, updated_at = excluded.updated_at`,
		userID, d.Place, d.Title, d.Body, d.Lang, d.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: save draft: %w", err)
	}
	return nil
}

// DraftFor returns a member's draft for a place, or ErrNotFound.
func (s *Store) DraftFor(ctx context.Context, userID int64, place string) (*Draft, error) {
	d := Draft{Place: place}
	err := s.queryRow(ctx, `SELECT title, body, lang, updated_at FROM forum_drafts WHERE user_id = $1 AND place = $2`,
		userID, place).Scan(&d.Title, &d.Body, &d.Lang, &d.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: draft: %w", err)
	}
	return &d, nil
}

// DeleteDraft removes a draft once its text is posted.
func (s *Store) DeleteDraft(ctx context.Context, userID int64, place string) error {
	if _, err := s.exec(ctx, `DELETE FROM forum_drafts WHERE user_id = $1 AND place = $2`, userID, place); err != nil {
		return fmt.Errorf("store: delete draft: %w", err)
	}
	return nil
}

// Watch levels.
const (
	WatchOn   = "watch"
	WatchMute = "mute"
)

// SetWatch sets a member's watch level on a thread or category; an empty
// level goes back to the default (notified of replies and mentions only).
func (s *Store) SetWatch(ctx context.Context, userID int64, target string, targetID int64, level string) error {
	var err error
	if level == "" {
		_, err = s.exec(ctx, `DELETE FROM forum_watches WHERE user_id = $1 AND target = $2 AND target_id = $3`, userID, target, targetID)
	} else {
		_, err = s.exec(ctx, `INSERT INTO forum_watches (user_id, target, target_id, level) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, target, target_id) DO UPDATE SET level = excluded.level`, userID, target, targetID, level)
	}
	if err != nil {
		return fmt.Errorf("store: watch: %w", err)
	}
	return nil
}

// Watches returns the levels set on a thread and its category, by user.
func (s *Store) Watches(ctx context.Context, threadID, categoryID int64) (thread, category map[int64]string, err error) {
	rows, err := s.query(ctx, `SELECT user_id, target, level FROM forum_watches
		WHERE (target = 'thread' AND target_id = $1) OR (target = 'category' AND target_id = $2)`, threadID, categoryID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: watches: %w", err)
	}
	defer rows.Close()
	thread, category = map[int64]string{}, map[int64]string{}
	for rows.Next() {
		var uid int64
		var target, level string
		if err := rows.Scan(&uid, &target, &level); err != nil {
			return nil, nil, fmt.Errorf("store: watches: %w", err)
		}
		if target == "thread" {
			thread[uid] = level
		} else {
			category[uid] = level
		}
	}
	return thread, category, rows.Err()
}

// WatchLevel returns a member's level on one target ("" for the default).
func (s *Store) WatchLevel(ctx context.Context, userID int64, target string, targetID int64) (string, error) {
	var level string
	err := s.queryRow(ctx, `SELECT level FROM forum_watches WHERE user_id = $1 AND target = $2 AND target_id = $3`,
		userID, target, targetID).Scan(&level)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: watch level: %w", err)
	}
	return level, nil
}

// Flag reasons.
var FlagReasons = []string{"inappropriate", "outdated", "personal-data", "off-topic"}

// Flag is a member's report on a post.
type Flag struct {
	ID        int64
	PostID    int64
	UserID    int64
	Reason    string
	Note      string
	CreatedAt int64

	Flagger     string // filled by OpenFlags
	ThreadID    int64
	ThreadTitle string
	Seq         int
	Author      string
	AuthorID    int64
	Excerpt     string // the post's Markdown
	HiddenAt    int64
}

// AddFlag records a flag; a member's second open flag on the same post
// gives ErrDuplicate.
func (s *Store) AddFlag(ctx context.Context, f *Flag) error {
	err := s.insertReturning(ctx, `INSERT INTO forum_flags (post_id, user_id, reason, note, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		[]any{f.PostID, f.UserID, f.Reason, f.Note, f.CreatedAt}, &f.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("store: flag: %w", err)
	}
	return nil
}

// OpenFlags lists unresolved flags, oldest first, with the post flagged.
func (s *Store) OpenFlags(ctx context.Context) ([]Flag, error) {
	rows, err := s.query(ctx, `SELECT f.id, f.post_id, f.user_id, f.reason, f.note, f.created_at, fu.full_name,
			t.id, t.title, p.seq, au.full_name, p.author_id, p.body, p.hidden_at
		FROM forum_flags f JOIN forum_posts p ON p.id = f.post_id JOIN forum_threads t ON t.id = p.thread_id
		JOIN users fu ON fu.id = f.user_id JOIN users au ON au.id = p.author_id
		WHERE f.resolved_at = 0 ORDER BY f.created_at, f.id`)
	if err != nil {
		return nil, fmt.Errorf("store: open flags: %w", err)
	}
	defer rows.Close()
	var out []Flag
	for rows.Next() {
		var f Flag
		if err := rows.Scan(&f.ID, &f.PostID, &f.UserID, &f.Reason, &f.Note, &f.CreatedAt, &f.Flagger,
			&f.ThreadID, &f.ThreadTitle, &f.Seq, &f.Author, &f.AuthorID, &f.Excerpt, &f.HiddenAt); err != nil {
			return nil, fmt.Errorf("store: open flags: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ResolveFlags closes every open flag on a post with an outcome, and
// returns the members who flagged it.
func (s *Store) ResolveFlags(ctx context.Context, postID, by, at int64, outcome string) ([]int64, error) {
	defer s.lockWrites()()
	rows, err := s.queryWrite(ctx, `UPDATE forum_flags SET resolved_at = $1, resolved_by = $2, outcome = $3
		WHERE post_id = $4 AND resolved_at = 0 RETURNING user_id`, at, by, outcome, postID)
	if err != nil {
		return nil, fmt.Errorf("store: resolve flags: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: resolve flags: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// CountOpenFlags is the length of the moderation queue.
func (s *Store) CountOpenFlags(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(DISTINCT post_id) FROM forum_flags WHERE resolved_at = 0`).Scan(&n)
	return n, err
}

// Notification kinds.
const (
	NoticeReply      = "reply"
	NoticeMention    = "mention"
	NoticeWatched    = "watched"
	NoticeModeration = "moderation"
)

// Notification tells a member of something in the forum.
type Notification struct {
	ID        int64
	UserID    int64
	Kind      string
	ActorID   int64
	ThreadID  int64
	PostID    int64
	Detail    string // for moderation: the outcome key
	CreatedAt int64
	ReadAt    int64
	EmailedAt int64

	Actor       string // filled by Notifications
	ThreadTitle string
	Seq         int
}

// AddNotifications inserts notifications in one transaction.
func (s *Store) AddNotifications(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	return s.WithTx(ctx, func(tx *sql.Tx) error {
		for i := range ns {
			n := &ns[i]
			if err := tx.QueryRowContext(ctx, `INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id, detail, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
				n.UserID, n.Kind, nullID(n.ActorID), nullID(n.ThreadID), nullID(n.PostID), n.Detail, n.CreatedAt).Scan(&n.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// NoticeFilter selects a member's notifications. Only notifications about
// threads in the given categories (those the member may read now) and not
// hidden from them are returned or counted; notifications without a
// thread always are.
type NoticeFilter struct {
	UserID     int64
	Categories []int64
	Staff      bool
	Unread     bool // only unread
	NotEmailed bool // only those not yet sent by mail
	Limit      int
}

func noticeWhere(f NoticeFilter) (string, []any) {
	cats := f.Categories
	if len(cats) == 0 {
		cats = []int64{0} // no category: only thread-less notifications pass
	}
	where, args := inList(`n.user_id = $1 AND ($2 = 0 OR n.read_at = 0) AND ($3 = 0 OR n.emailed_at = 0)
		AND (n.thread_id IS NULL OR (t.category_id IN (%s) AND ($4 = 1 OR t.hidden_at = 0)))
		AND (n.post_id IS NULL OR $4 = 1 OR (p.hidden_at = 0 AND p.deleted_at = 0) OR n.kind = 'moderation')`, 5, int64sAny(cats))
	return where, append([]any{f.UserID, boolInt(f.Unread), boolInt(f.NotEmailed), boolInt(f.Staff)}, args...)
}

const noticeFrom = ` FROM notifications n LEFT JOIN forum_threads t ON t.id = n.thread_id LEFT JOIN forum_posts p ON p.id = n.post_id
	LEFT JOIN users a ON a.id = n.actor_id`

// Notifications lists a member's notifications, newest first.
func (s *Store) Notifications(ctx context.Context, f NoticeFilter) ([]Notification, error) {
	where, args := noticeWhere(f)
	rows, err := s.query(ctx, `SELECT n.id, n.user_id, n.kind, COALESCE(n.actor_id, 0), COALESCE(n.thread_id, 0),
			COALESCE(n.post_id, 0), n.detail, n.created_at, n.read_at, n.emailed_at, COALESCE(a.full_name, ''), COALESCE(t.title, ''), COALESCE(p.seq, 0)`+
		noticeFrom+` WHERE `+where+` ORDER BY n.id DESC LIMIT `+strconv.Itoa(limitOr(f.Limit, 50)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &n.ActorID, &n.ThreadID, &n.PostID, &n.Detail, &n.CreatedAt, &n.ReadAt,
			&n.EmailedAt, &n.Actor, &n.ThreadTitle, &n.Seq); err != nil {
			return nil, fmt.Errorf("store: notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// CountNotifications counts what Notifications would list, without limit.
func (s *Store) CountNotifications(ctx context.Context, f NoticeFilter) (int, error) {
	where, args := noticeWhere(f)
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*)`+noticeFrom+` WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count notifications: %w", err)
	}
	return n, nil
}

// MarkNotificationsRead marks a member's notifications read: the given
// ones, or all when ids is empty.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID, at int64, ids ...int64) error {
	var err error
	if len(ids) == 0 {
		_, err = s.exec(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at = 0`, at, userID)
	} else {
		q, args := inList(`UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at = 0 AND id IN (%s)`, 3, int64sAny(ids))
		_, err = s.exec(ctx, q, append([]any{at, userID}, args...)...)
	}
	if err != nil {
		return fmt.Errorf("store: mark notifications: %w", err)
	}
	return nil
}

// ReadThread records that a member has read a thread up to post seq: the
// reading position moves forward (never back) and the notifications about
// those posts are marked read, in one write (a thread view is the most
// frequent write of all, and on SQLite writes take turns).
func (s *Store) ReadThread(ctx context.Context, userID, threadID int64, seq int, at int64) error {
	err := s.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, markReadSQL, userID, threadID, seq); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND thread_id = $3 AND read_at = 0
			AND (post_id IS NULL OR post_id IN (SELECT id FROM forum_posts WHERE thread_id = $3 AND seq <= $4))`, at, userID, threadID, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: read thread: %w", err)
	}
	return nil
}

// MarkEmailed records that notifications went out by mail.
func (s *Store) MarkEmailed(ctx context.Context, at int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	q, args := inList(`UPDATE notifications SET emailed_at = $1 WHERE id IN (%s)`, 2, int64sAny(ids))
	if _, err := s.exec(ctx, q, append([]any{at}, args...)...); err != nil {
		return fmt.Errorf("store: mark emailed: %w", err)
	}
	return nil
}

// DigestDue lists members on the daily digest whose last digest is older
// than before and who have unread notifications not yet mailed.
func (s *Store) DigestDue(ctx context.Context, before int64) ([]*User, error) {
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM users WHERE notify_email = 'daily' AND digest_at < $1
		AND status = 'approved' AND EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = users.id AND n.read_at = 0 AND n.emailed_at = 0)`, before)
	return scanUsers(rows, err, "digest due")
}

// SetDigestAt records when a member's digest was sent.
func (s *Store) SetDigestAt(ctx context.Context, userID, at int64) error {
	return s.exec1(ctx, "digest at", `UPDATE users SET digest_at = $1 WHERE id = $2`, at, userID)
}

// inList expands the one %s in q into $first, $first+1, … for each value.
func inList(q string, first int, values []any) (string, []any) {
	ph := make([]string, len(values))
	for i := range values {
		ph[i] = "$" + strconv.Itoa(first+i)
	}
	return fmt.Sprintf(q, strings.Join(ph, ", ")), values
}

func int64sAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func limitOr(limit, def int) int {
	if limit <= 0 || limit > 1000 {
		return def
	}
	return limit
}
