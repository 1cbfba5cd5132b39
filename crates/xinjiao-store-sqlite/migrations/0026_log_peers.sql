-- Transparency (issue 16): other installations whose logs this one watches.
-- Each row keeps the key trusted for the peer and the audit state of the
-- last clean audit (advanced only then), with the outcome of the latest.
CREATE TABLE log_peers (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    vkey TEXT NOT NULL,
    state TEXT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'ok', 'finding', 'unreachable')),
    code TEXT,
    message TEXT,
    size INTEGER,
    checked_at TEXT,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);
