-- Uploads that only validated ("仅校验") are kept for their diagnostics but
-- are not submissions: the pass rate leaves them out.
ALTER TABLE submissions ADD COLUMN dry_run BIGINT NOT NULL DEFAULT 0;
