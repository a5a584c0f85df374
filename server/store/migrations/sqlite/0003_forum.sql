-- The expert forum (issue 5): categories with audiences, threads, posts
-- with their edit history, reading positions, bookmarks, drafts, watches,
-- flags, notifications and document attachments. Times are Unix seconds.

-- A handle for @mentions, unique, made from the name when the account is
-- created ("jean.dupont"); "-<id>" is appended on a clash.
ALTER TABLE users ADD COLUMN handle TEXT;
UPDATE users SET handle = 'expert-' || id;
CREATE UNIQUE INDEX users_handle ON users (handle);
-- How forum notifications reach the member by e-mail: immediate, daily
-- (one digest a day) or off.
ALTER TABLE users ADD COLUMN notify_email TEXT NOT NULL DEFAULT 'daily';
ALTER TABLE users ADD COLUMN digest_at INTEGER NOT NULL DEFAULT 0;

-- Categories are the topic communities. Each right (read, start a thread,
-- reply) has an audience: experts (every approved expert), groups (the
-- groups listed in forum_category_groups for that right) or staff.
-- Staff may always do everything, to moderate.
CREATE TABLE forum_categories (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    position        INTEGER NOT NULL DEFAULT 0,
    read_audience   TEXT NOT NULL DEFAULT 'experts',
    start_audience  TEXT NOT NULL DEFAULT 'experts',
    reply_audience  TEXT NOT NULL DEFAULT 'experts',
    created_at      INTEGER NOT NULL
);
CREATE TABLE forum_category_texts (
    category_id  INTEGER NOT NULL REFERENCES forum_categories(id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (category_id, lang)
);
CREATE TABLE forum_category_groups (
    category_id  INTEGER NOT NULL REFERENCES forum_categories(id) ON DELETE CASCADE,
    access       TEXT NOT NULL,                    -- read, start, reply
    group_id     INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (category_id, access, group_id)
);

CREATE TABLE forum_threads (
    id            INTEGER PRIMARY KEY,
    category_id   INTEGER NOT NULL REFERENCES forum_categories(id),
    title         TEXT NOT NULL,
    author_id     INTEGER NOT NULL REFERENCES users(id),
    lang          TEXT NOT NULL,
    sensitivity   TEXT NOT NULL DEFAULT '',        -- '', do-not-forward, restricted
    created_at    INTEGER NOT NULL,
    last_post_at  INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL DEFAULT 0,      -- highest post number given out
    post_count    INTEGER NOT NULL DEFAULT 0,      -- posts neither deleted nor hidden
    pinned        INTEGER NOT NULL DEFAULT 0,
    locked        INTEGER NOT NULL DEFAULT 0,      -- frozen: no replies, edits or flags but by staff
    closed        INTEGER NOT NULL DEFAULT 0,      -- discussion over: no new replies
    hidden_at     INTEGER NOT NULL DEFAULT 0,      -- hidden by staff: only staff see it
    hidden_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX forum_threads_category ON forum_threads (category_id, pinned, last_post_at);

-- Posts are numbered 1, 2, 3… within their thread (seq): the order readers
-- see, the anchor #p<seq> and the "last read" position.
CREATE TABLE forum_posts (
    id            INTEGER PRIMARY KEY,
    thread_id     INTEGER NOT NULL REFERENCES forum_threads(id),
    seq           INTEGER NOT NULL,
    author_id     INTEGER NOT NULL REFERENCES users(id),
    lang          TEXT NOT NULL,
    body          TEXT NOT NULL,                   -- Markdown as written
    html          TEXT NOT NULL,                   -- rendered and sanitised once, on write
    reply_to      INTEGER,                         -- the post answered (with a quote)
    created_at    INTEGER NOT NULL,
    edited_at     INTEGER NOT NULL DEFAULT 0,
    deleted_at    INTEGER NOT NULL DEFAULT 0,      -- soft delete: the trace stays
    deleted_by    INTEGER REFERENCES users(id),
    hidden_at     INTEGER NOT NULL DEFAULT 0,
    hidden_by     INTEGER REFERENCES users(id),
    hidden_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (thread_id, seq)
);
CREATE INDEX forum_posts_author ON forum_posts (author_id, created_at);

-- Every earlier version of an edited post, visible to its author and staff.
CREATE TABLE forum_revisions (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES forum_posts(id),
    body       TEXT NOT NULL,                      -- the text before this edit
    edited_by  INTEGER NOT NULL REFERENCES users(id),
    edited_at  INTEGER NOT NULL,
    reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX forum_revisions_post ON forum_revisions (post_id, id);

CREATE TABLE forum_attachments (
    post_id     INTEGER NOT NULL REFERENCES forum_posts(id),
    sha256      TEXT NOT NULL,                     -- the file in data/attachments
    name        TEXT NOT NULL,                     -- the name given, for the download
    size        INTEGER NOT NULL,
    kind        TEXT NOT NULL,                     -- pdf, odt, docx, txt, csv
    mime        TEXT NOT NULL,
    PRIMARY KEY (post_id, sha256)
);

CREATE TABLE forum_reads (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    thread_id  INTEGER NOT NULL REFERENCES forum_threads(id),
    last_seq   INTEGER NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);

CREATE TABLE forum_bookmarks (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    post_id     INTEGER NOT NULL REFERENCES forum_posts(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, post_id)
);

-- Unsent text, kept on the server: one per member and place
-- ("thread:12" for a reply, "category:3" for a new thread).
CREATE TABLE forum_drafts (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    place       TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    lang        TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, place)
);

-- Watching a thread or category notifies of every new post; muting one
-- silences it (even mentions from a muted thread).
CREATE TABLE forum_watches (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target     TEXT NOT NULL,                      -- thread, category
    target_id  INTEGER NOT NULL,
    level      TEXT NOT NULL,                      -- watch, mute
    PRIMARY KEY (user_id, target, target_id)
);
CREATE INDEX forum_watches_target ON forum_watches (target, target_id);

CREATE TABLE forum_flags (
    id           INTEGER PRIMARY KEY,
    post_id      INTEGER NOT NULL REFERENCES forum_posts(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    reason       TEXT NOT NULL,                    -- inappropriate, outdated, personal-data, off-topic
    note         TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER NOT NULL DEFAULT 0,
    resolved_by  INTEGER REFERENCES users(id),
    outcome      TEXT NOT NULL DEFAULT ''          -- hidden, kept, edited
);
CREATE INDEX forum_flags_open ON forum_flags (resolved_at, created_at);
CREATE UNIQUE INDEX forum_flags_once ON forum_flags (post_id, user_id) WHERE resolved_at = 0;

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                     -- reply, mention, watched, moderation
    actor_id    INTEGER REFERENCES users(id),
    thread_id   INTEGER REFERENCES forum_threads(id),
    post_id     INTEGER REFERENCES forum_posts(id),
    detail      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    read_at     INTEGER NOT NULL DEFAULT 0,
    emailed_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
