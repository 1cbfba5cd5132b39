-- Credit reports issued (issue 16): one row per PDF, appended in the same
-- transaction as its report.issued leaf of the transparency log. The PDF
-- itself is not kept: whoever holds it proves it by its SHA-256.
-- Append-only.
CREATE TABLE reports (
    number TEXT PRIMARY KEY,
    subject_key TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    edition TEXT NOT NULL CHECK (edition IN ('public', 'full')),
    as_of DATE NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    issued_by TEXT NOT NULL,
    sha256 BYTEA NOT NULL UNIQUE,
    data_version BIGINT NOT NULL,
    leaf_index BIGINT NOT NULL UNIQUE,
    pages BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    digests TEXT NOT NULL
);
CREATE INDEX reports_subject ON reports(subject_key, issued_at);
CREATE TRIGGER reports_append_only BEFORE UPDATE OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION xinjiao_append_only();
