-- Credit reports issued (issue 16): one row per PDF, appended in the same
-- transaction as its report.issued leaf of the transparency log. The PDF
-- itself is not kept: whoever holds it proves it by its SHA-256.
-- Append-only.
CREATE TABLE reports (
    number TEXT PRIMARY KEY,
    subject_key TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    edition TEXT NOT NULL CHECK (edition IN ('public', 'full')),
    as_of TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    sha256 BLOB NOT NULL UNIQUE,
    data_version INTEGER NOT NULL,
    leaf_index INTEGER NOT NULL UNIQUE,
    pages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    digests TEXT NOT NULL
);
CREATE INDEX reports_subject ON reports(subject_key, issued_at);
CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports BEGIN
    SELECT RAISE(ABORT, 'reports are append-only');
END;
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports BEGIN
    SELECT RAISE(ABORT, 'reports are append-only');
END;
