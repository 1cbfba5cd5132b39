-- Subjects (信用主体). identity_key: USCC, or document type and number of a natural person.
CREATE TABLE subjects (
    id INTEGER PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    identity_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    uscc TEXT,
    id_doc_no TEXT,
    legal_rep TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX subjects_uscc ON subjects(uscc);

-- Substring search over names: trigram index (queries of 3+ characters).
-- Maintained by the store code, in bulk at the end of each write (no triggers:
-- FTS5 flushes its pending index at every statement savepoint, which makes
-- per-row trigger maintenance slow in large imports).
CREATE VIRTUAL TABLE subjects_fts USING fts5(
    name_norm, content='subjects', content_rowid='id', tokenize='trigram'
);

-- Records: one row per natural key, pointing at its current version.
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    authority_code TEXT NOT NULL,
    decision_no TEXT NOT NULL,
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    authority_name TEXT NOT NULL,
    decision_date TEXT NOT NULL,
    summary TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, authority_code, decision_no),
    -- Parent key of the co-located tables (see ARCHITECTURE.md, scale-out plan).
    UNIQUE (authority_code, id)
);
-- A subject's records of one kind, newest first (profile pages); kind is in the
-- key so that the planner never prefers records_kind_date and scans a kind.
CREATE INDEX records_subject ON records(subject_id, kind, decision_date DESC, id DESC);
CREATE INDEX records_kind_date ON records(kind, decision_date DESC, id DESC);
CREATE INDEX records_authority ON records(authority_code, decision_date DESC);

-- Every version of every record; never updated or deleted.
CREATE TABLE record_versions (
    authority_code TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (record_id, version),
    FOREIGN KEY (authority_code, record_id) REFERENCES records(authority_code, id)
) WITHOUT ROWID;
CREATE TRIGGER record_versions_no_update BEFORE UPDATE ON record_versions BEGIN
    SELECT RAISE(ABORT, 'record versions are immutable');
END;
CREATE TRIGGER record_versions_no_delete BEFORE DELETE ON record_versions BEGIN
    SELECT RAISE(ABORT, 'record versions are immutable');
END;

-- The append-only event log: who, when, what, why.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    -- The record's authority ('' for events not about a record): the
    -- distribution column of the scale-out plan.
    authority_code TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_id INTEGER,
    record_id INTEGER,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX events_record ON events(authority_code, record_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    n_accepted INTEGER NOT NULL,
    n_unchanged INTEGER NOT NULL,
    n_rejected INTEGER NOT NULL,
    report_json TEXT NOT NULL,
    file BLOB NOT NULL
);
CREATE INDEX submissions_user ON submissions(user_id, id DESC);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
