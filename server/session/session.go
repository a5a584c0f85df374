// Package session keeps login sessions on the server, behind the
// gorilla/sessions Store interface. The cookie carries only a random
// identifier; the database keeps its SHA-256 with the user, the CSRF token
// and whether the second factor is done. Logging out deletes the row, so a
// replayed cookie opens nothing. Idle and absolute timeouts are enforced on
// every request.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/store"
)

// Values keys in a gorilla session.
const (
	keyUserID       = "user"
	keyCSRF         = "csrf"
	keySecondFactor = "second_factor"
	keyHash         = "hash"
)

// Store is a gorilla/sessions Store backed by the database.
type Store struct {
	db       *store.Store
	name     string
	secure   bool
	Idle     time.Duration
	Absolute time.Duration
	Now      func() time.Time
}

// Config sets the cookie and the timeouts.
type Config struct {
	Secure   bool          // served over TLS: Secure cookie with the __Host- prefix
	Idle     time.Duration // default 30 minutes
	Absolute time.Duration // default 12 hours
}

// NewStore returns the session store.
func NewStore(db *store.Store, c Config) *Store {
	s := &Store{db: db, name: "polis_session", secure: c.Secure, Idle: c.Idle, Absolute: c.Absolute, Now: time.Now}
	if c.Secure {
		s.name = "__Host-polis_session"
	}
	if s.Idle <= 0 {
		s.Idle = 30 * time.Minute
	}
	if s.Absolute <= 0 {
		s.Absolute = 12 * time.Hour
	}
	return s
}

// CookieName is the name of the session cookie.
func (s *Store) CookieName() string { return s.name }

// options sets every cookie attribute explicitly: gorilla's defaults (no
// HttpOnly, SameSite unset, a month's lifetime) are not safe here.
func (s *Store) options(maxAge int) *sessions.Options {
	return &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   s.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// Get returns the request's session (see New); gorilla's registry is not
// used, so every call reads the database.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return s.New(r, name)
}

// New loads the session named by the request's cookie, or returns a new
// empty one when there is none, it is unknown, or it has expired.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = s.options(int(s.Absolute / time.Second))
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return sess, nil
	}
	hash := auth.HashToken(c.Value)
	row, err := s.db.SessionByHash(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	now := s.Now()
	if now.Sub(time.Unix(row.LastSeen, 0)) > s.Idle || now.Sub(time.Unix(row.CreatedAt, 0)) > s.Absolute {
		s.db.DeleteSession(r.Context(), hash)
		return sess, nil
	}
	sess.ID = c.Value
	sess.IsNew = false
	sess.Values[keyUserID] = row.UserID
	sess.Values[keyCSRF] = row.CSRF
	sess.Values[keySecondFactor] = row.SecondFactor
	sess.Values[keyHash] = hash
	// Record activity, at most once a minute per session.
	if now.Unix()-row.LastSeen >= 60 {
		s.db.TouchSession(r.Context(), hash, now.Unix())
	}
	return sess, nil
}

// Save writes a session: a new one gets a fresh identifier and row; one
// with MaxAge < 0 is deleted and its cookie cleared.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if hash, ok := sess.Values[keyHash].(string); ok {
			if err := s.db.DeleteSession(r.Context(), hash); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(s.name, "", s.options(-1)))
		return nil
	}
	if !sess.IsNew {
		return nil
	}
	uid, _ := sess.Values[keyUserID].(int64)
	if uid == 0 {
		return errors.New("session: saving a session without a user")
	}
	id, hash := auth.NewToken()
	csrf := randomString()
	second, _ := sess.Values[keySecondFactor].(bool)
	now := s.Now().Unix()
	row := &store.Session{IDHash: hash, UserID: uid, CSRF: csrf, SecondFactor: second, CreatedAt: now, LastSeen: now,
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 200)}
	if err := s.db.CreateSession(r.Context(), row); err != nil {
		return err
	}
	sess.ID = id
	sess.IsNew = false
	sess.Values[keyCSRF] = csrf
	sess.Values[keyHash] = hash
	http.SetCookie(w, sessions.NewCookie(s.name, id, s.options(int(s.Absolute/time.Second))))
	return nil
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// clientIP is the address the request came from (no proxy headers are
// trusted: a deployment behind a proxy sets it up there).
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			return host[:i]
		}
	}
	return host
}

// ClientIP is the address used for audit and rate limits.
func ClientIP(r *http.Request) string { return clientIP(r) }

// Current is the request's login state.
type Current struct {
	User         *store.User
	Hash         string // the session row's key
	CSRF         string
	SecondFactor bool
}

// LoggedIn reports whether a session is present.
func (c *Current) LoggedIn() bool { return c != nil && c.User != nil }

// Complete reports whether the login is complete: a session whose second
// factor is done (or not needed).
func (c *Current) Complete() bool { return c.LoggedIn() && c.SecondFactor }

type ctxKey int

const (
	currentKey ctxKey = iota
	downKey
)

// WithDatabaseDown marks a request whose session could not be loaded
// because the database is unavailable. The request goes on as anonymous,
// so public pages still work for a signed-in reader; pages that need a
// login answer "briefly unavailable" rather than sending the reader to log
// in again.
func WithDatabaseDown(ctx context.Context) context.Context {
	return context.WithValue(ctx, downKey, true)
}

// DatabaseDown reports whether WithDatabaseDown marked the request.
func DatabaseDown(ctx context.Context) bool {
	down, _ := ctx.Value(downKey).(bool)
	return down
}

// FromContext returns the login state of a request (nil when anonymous).
func FromContext(ctx context.Context) *Current {
	c, _ := ctx.Value(currentKey).(*Current)
	return c
}

// WithCurrent attaches login state to a context.
func WithCurrent(ctx context.Context, c *Current) context.Context {
	return context.WithValue(ctx, currentKey, c)
}

// Load reads the request's session and its user. A suspended user's or a
// deleted user's session is ended on the spot.
func (s *Store) Load(r *http.Request) (*Current, error) {
	sess, err := s.New(r, s.name)
	if err != nil || sess.IsNew {
		return nil, err
	}
	uid := sess.Values[keyUserID].(int64)
	hash := sess.Values[keyHash].(string)
	u, err := s.db.UserByID(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Status == store.StatusSuspended) {
		s.db.DeleteSession(r.Context(), hash)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	groups, err := s.db.UserGroups(r.Context(), uid)
	if err != nil {
		return nil, err
	}
	u.Groups = groups
	return &Current{User: u, Hash: hash, CSRF: sess.Values[keyCSRF].(string), SecondFactor: sess.Values[keySecondFactor].(bool)}, nil
}

// Start begins a new session for user, replacing the request's current one
// if any (a new identifier at every login and privilege change: no
// fixation). secondFactor says whether the login is complete.
func (s *Store) Start(w http.ResponseWriter, r *http.Request, userID int64, secondFactor bool) (*Current, error) {
	if old := FromContext(r.Context()); old.LoggedIn() {
		if err := s.db.DeleteSession(r.Context(), old.Hash); err != nil {
			return nil, err
		}
	}
	sess := sessions.NewSession(s, s.name)
	sess.IsNew = true
	sess.Values[keyUserID] = userID
	sess.Values[keySecondFactor] = secondFactor
	if err := s.Save(r, w, sess); err != nil {
		return nil, err
	}
	return &Current{Hash: sess.Values[keyHash].(string), CSRF: sess.Values[keyCSRF].(string), SecondFactor: secondFactor}, nil
}

// End ends the request's session and clears the cookie.
func (s *Store) End(w http.ResponseWriter, r *http.Request) error {
	c := FromContext(r.Context())
	sess := sessions.NewSession(s, s.name)
	sess.Options = s.options(-1)
	if c.LoggedIn() {
		sess.Values[keyHash] = c.Hash
	}
	return s.Save(r, w, sess)
}

// Sweep deletes sessions past either timeout; the server calls it now and
// then so that the table does not grow.
func (s *Store) Sweep(ctx context.Context) error {
	now := s.Now()
	return s.db.DeleteExpiredSessions(ctx, now.Add(-s.Idle).Unix(), now.Add(-s.Absolute).Unix())
}
