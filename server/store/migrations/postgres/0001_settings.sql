-- PostgreSQL version of ../sqlite/0001_settings.sql (same tables, columns and indexes;
-- BIGINT for SQLite's INTEGER, identity columns for its row ids).
-- Facts about this installation that must survive restarts: when it was
-- created, its instance identifier, later the one-time setup state.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
