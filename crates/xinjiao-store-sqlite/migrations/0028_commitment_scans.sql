-- The scan of a commitment signed on paper at a service window (issue 17),
-- kept with its digest; like the signed text, never changed.
CREATE TABLE commitment_scans (
    commitment_id INTEGER PRIMARY KEY REFERENCES commitments(id),
    filename TEXT NOT NULL,
    content BLOB NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TRIGGER commitment_scans_immutable BEFORE UPDATE ON commitment_scans BEGIN
    SELECT RAISE(ABORT, 'a commitment scan is immutable');
END;
CREATE TRIGGER commitment_scans_no_delete BEFORE DELETE ON commitment_scans BEGIN
    SELECT RAISE(ABORT, 'commitment scans are append-only');
END;
CREATE INDEX commitments_concluded ON commitments(concluded_on);
