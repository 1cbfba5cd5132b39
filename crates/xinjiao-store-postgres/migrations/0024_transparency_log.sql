-- The transparency log (issue 16). Append-only: triggers refuse every
-- update and delete. log_entries holds one row per leaf (idx from 0): the
-- entry bytes hashed into the leaf, the salt and the canonical content the
-- entry commits to, and what it is about. log_hashes holds the hash of
-- every complete subtree, level by level (level 0: the leaves' hashes):
-- what tiles serve and proofs read. log_checkpoints keeps every signed
-- checkpoint. See docs/transparency.md. Appends are serialised by a
-- transaction-level advisory lock (see transparency.rs).
CREATE TABLE log_entries (
    idx BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    event TEXT NOT NULL,
    object TEXT NOT NULL,
    record_id BIGINT,
    entry BYTEA NOT NULL,
    salt BYTEA NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX log_entries_record ON log_entries(record_id, idx) WHERE record_id IS NOT NULL;
CREATE INDEX log_entries_object ON log_entries(object, idx);
CREATE TABLE log_hashes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE log_checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION xinjiao_append_only();
CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION xinjiao_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION xinjiao_append_only();
