-- Facts about this installation that must survive restarts: when it was
-- created, its instance identifier, later the one-time setup state.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
