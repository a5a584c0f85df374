-- Accounts for vetted experts and staff (issue 4). Times are Unix seconds
-- (INTEGER here, BIGINT in PostgreSQL) so that every dialect compares them
-- the same way.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,          -- lower-cased
    full_name       TEXT NOT NULL,
    organisation    TEXT NOT NULL,
    country         TEXT NOT NULL,                 -- ISO 3166-1 alpha-2
    job_function    TEXT NOT NULL,
    expertise       TEXT NOT NULL DEFAULT '',      -- comma-separated keys
    languages       TEXT NOT NULL DEFAULT '',      -- comma-separated BCP 47 tags
    justification   TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL,                 -- applicant, expert, moderator, administrator
    status          TEXT NOT NULL,                 -- unverified, pending, approved, rejected, suspended
    status_reason   TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL,
    totp_secret     TEXT NOT NULL DEFAULT '',      -- sealed with the data folder's key
    totp_last_step  INTEGER NOT NULL DEFAULT 0,    -- refuses a replayed code
    listed          INTEGER NOT NULL DEFAULT 0,    -- shown in the expert directory
    lang            TEXT NOT NULL DEFAULT 'en',    -- language for mail
    queue_priority  INTEGER NOT NULL DEFAULT 0,    -- invited applicants go first
    invited_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    verified_at     INTEGER NOT NULL DEFAULT 0,
    decided_at      INTEGER NOT NULL DEFAULT 0,
    decided_by      INTEGER REFERENCES users(id),
    deletion_requested_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_status ON users (status, queue_priority, created_at);

-- Named groups ("victim identification", "hotline analysts") that later
-- limit forum categories and documents.
CREATE TABLE groups (
    id    INTEGER PRIMARY KEY,
    slug  TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL
);
CREATE TABLE user_groups (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
-- Vetters may be limited to some countries; none listed means all.
CREATE TABLE vetter_countries (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    country  TEXT NOT NULL,
    PRIMARY KEY (user_id, country)
);

-- Server-side sessions: the cookie holds a random identifier; only its
-- SHA-256 is stored, so a copy of the database opens no session.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    second_factor INTEGER NOT NULL DEFAULT 0,      -- 1 once the second factor is done
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use tokens (e-mail verification, first-start setup, invitations):
-- only the hash is stored.
CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,                     -- verify, setup, invite
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash     TEXT NOT NULL,
    used_at  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, hash)
);

-- Outgoing mail. Without SMTP it stays here for administrators to read.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);

-- Failed logins per account and per address, for growing delays.
CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,                -- "email:<addr>" or "ip:<addr>"
    failures      INTEGER NOT NULL,
    last_failure  INTEGER NOT NULL,
    locked_until  INTEGER NOT NULL DEFAULT 0
);

-- Security events: append-only.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor_id  INTEGER,                             -- who did it (NULL: anonymous or the system)
    action    TEXT NOT NULL,
    target_id INTEGER,                             -- whom it concerned
    detail    TEXT NOT NULL DEFAULT '',
    ip        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
