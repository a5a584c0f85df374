-- The best-practice knowledge base (issue 6): documents, tools, training
-- and their texts per language. The database is the source of truth; the
-- Markdown files in content/<lang>/practices/ are the curated seed, loaded
-- at start (see server/practice). Every change is kept as a revision with
-- who made it.

CREATE TABLE practices (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,                 -- guide, report, standard, checklist, tool, training
    audience        TEXT NOT NULL,                 -- public, experts
    topics          TEXT NOT NULL DEFAULT '',      -- comma-separated keys of the controlled list
    source_langs    TEXT NOT NULL DEFAULT '',      -- languages the source is published in
    source_org      TEXT NOT NULL,
    source_symbol   TEXT NOT NULL DEFAULT '',
    source_year     INTEGER NOT NULL,
    source_title    TEXT NOT NULL,
    source_url      TEXT NOT NULL,
    details         TEXT NOT NULL DEFAULT '{}',    -- JSON: the tool's or the course's own fields
    date            TEXT NOT NULL,                 -- YYYY-MM-DD, when the entry was written or reviewed
    seed_hash       TEXT NOT NULL DEFAULT '',      -- hash of the seed files last loaded; '' for items made on the web
    updated_at      INTEGER NOT NULL,
    updated_by      INTEGER REFERENCES users(id)   -- NULL: loaded from the seed files
);
CREATE INDEX practices_kind ON practices (audience, kind);

CREATE TABLE practice_texts (
    practice_id  INTEGER NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    body         TEXT NOT NULL,                    -- Markdown
    PRIMARY KEY (practice_id, lang)
);

-- Each save keeps the whole new state (metadata as JSON, texts as JSON),
-- who saved it and why, so any version can be shown or restored.
CREATE TABLE practice_revisions (
    id           INTEGER PRIMARY KEY,
    practice_id  INTEGER NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    saved_at     INTEGER NOT NULL,
    saved_by     INTEGER REFERENCES users(id),     -- NULL: the seed
    note         TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL                     -- JSON of the item and its texts
);
CREATE INDEX practice_revisions_item ON practice_revisions (practice_id, id);
