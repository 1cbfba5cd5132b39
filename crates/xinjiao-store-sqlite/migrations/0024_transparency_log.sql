-- The transparency log (issue 16). Append-only: triggers refuse every
-- update and delete. log_entries holds one row per leaf (idx from 0): the
-- entry bytes hashed into the leaf, the salt and the canonical content the
-- entry commits to, and what it is about. log_hashes holds the hash of
-- every complete subtree, level by level (level 0: the leaves' hashes):
-- what tiles serve and proofs read. log_checkpoints keeps every signed
-- checkpoint. See docs/transparency.md.
CREATE TABLE log_entries (
    idx INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    object TEXT NOT NULL,
    record_id INTEGER,
    entry BLOB NOT NULL,
    salt BLOB NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX log_entries_record ON log_entries(record_id, idx) WHERE record_id IS NOT NULL;
CREATE INDEX log_entries_object ON log_entries(object, idx);
CREATE TABLE log_hashes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE log_checkpoints (
    size INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_hashes_no_update BEFORE UPDATE ON log_hashes BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_hashes_no_delete BEFORE DELETE ON log_hashes BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints BEGIN
    SELECT RAISE(ABORT, 'the log is append-only');
END;
