-- Online workshops (issue 5; MC.DEC/9/07, paragraph 12). A workshop's
-- discussions are forum threads in a community of its own, whose audience
-- is set through two groups: the invited (who may see an invitation-only
-- workshop) and the registered (who may write in its threads). So the
-- forum's one access check covers workshops too.

CREATE TABLE workshops (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    starts_at       INTEGER NOT NULL,              -- Unix seconds, UTC
    ends_at         INTEGER NOT NULL,
    invited_only    INTEGER NOT NULL DEFAULT 0,
    category_id     INTEGER NOT NULL REFERENCES forum_categories(id),
    invited_group   INTEGER NOT NULL REFERENCES groups(id),
    registered_group INTEGER NOT NULL REFERENCES groups(id),
    summary_public  INTEGER NOT NULL DEFAULT 0,    -- the summary appears on the public site
    summary_at      INTEGER NOT NULL DEFAULT 0,    -- when the summary was published
    created_by      INTEGER NOT NULL REFERENCES users(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX workshops_start ON workshops (starts_at);

-- Title, description, agenda and summary (with recommendations) per
-- language, in Markdown.
CREATE TABLE workshop_texts (
    workshop_id  INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    agenda       TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workshop_id, lang)
);

-- Sessions, each with its discussion thread.
CREATE TABLE workshop_sessions (
    id           INTEGER PRIMARY KEY,
    workshop_id  INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    starts_at    INTEGER NOT NULL,
    thread_id    INTEGER NOT NULL REFERENCES forum_threads(id)
);

-- Keynote material: links (http and https only) and documents (checked
-- like forum attachments, stored by SHA-256).
CREATE TABLE workshop_materials (
    id           INTEGER PRIMARY KEY,
    workshop_id  INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    url          TEXT NOT NULL DEFAULT '',
    sha256       TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    mime         TEXT NOT NULL DEFAULT ''
);
