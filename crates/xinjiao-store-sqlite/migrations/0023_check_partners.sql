-- Lists and measures (issue 15), credit checks: partner systems (banks,
-- tendering platforms, other agencies) with an API token limited to their
-- scenarios. Only the token's SHA-256 is kept. Each check is an event
-- (credit_check.made), not a row here.
CREATE TABLE check_partners (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    scenarios TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
