-- Every credit repair application carries a repair commitment (issue 17):
-- kept in `commitments` (type `repair`) with the application it belongs
-- to; revoking the repair for a false commitment finds it false.
ALTER TABLE commitments ADD COLUMN repair_id BIGINT REFERENCES repairs(id);
CREATE INDEX commitments_repair ON commitments(repair_id);
