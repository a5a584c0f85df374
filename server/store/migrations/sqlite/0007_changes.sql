-- The change feed (issue 8; issue 9 relies on it for several servers).
-- Every write that changes what search shows records a row here in the
-- same transaction. Each server's index follows the feed from the last row
-- it applied (kept inside the index), so an edit is searchable within a
-- second, a server that was down catches up when it starts, and a crash
-- never leaves the index behind the database for good.

CREATE TABLE changes (
    id      INTEGER PRIMARY KEY,
    entity  TEXT NOT NULL,      -- post, thread, category, practice, workshop
    key     TEXT NOT NULL,      -- the entity's id or slug
    at      INTEGER NOT NULL
);
