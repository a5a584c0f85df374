-- Drafts saved from the model-legislation library's self-assessment
-- (issue 7). Nothing a visitor pastes is stored: a row exists only when a
-- signed-in member chose to save, and only that member can read it.

CREATE TABLE library_drafts (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    lang        TEXT NOT NULL,                -- the draft's language
    body        TEXT NOT NULL,                -- the draft as pasted
    covered     TEXT NOT NULL DEFAULT '',     -- comma-separated checklist elements the drafter marked
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX library_drafts_user ON library_drafts (user_id, updated_at);
