-- The scan of a commitment signed on paper at a service window (issue 17),
-- kept with its digest; like the signed text, never changed.
CREATE TABLE commitment_scans (
    commitment_id BIGINT PRIMARY KEY REFERENCES commitments(id),
    filename TEXT NOT NULL,
    content BYTEA NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TRIGGER commitment_scans_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON commitment_scans
    FOR EACH STATEMENT EXECUTE FUNCTION xinjiao_append_only();
CREATE INDEX commitments_concluded ON commitments(concluded_on);
-- Integers are BIGINT in this backend, as everywhere else (0027 used
-- INTEGER for these; the installation dump and restore read and write i64).
ALTER TABLE commitments ALTER COLUMN template_version TYPE BIGINT, ALTER COLUMN public TYPE BIGINT;
ALTER TABLE education_acks ALTER COLUMN material_version TYPE BIGINT;
