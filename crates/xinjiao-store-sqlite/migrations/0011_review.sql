-- Review before publication (issue 5): a department may require that a
-- reviewer approves each submitted record before it is public. Its new records
-- are stored with published_on NULL and review_state 'pending'; approval sets
-- the publication day (what the timeliness rate counts); a rejection carries a
-- reason back to the clerk, and a corrected resubmission is pending again.
ALTER TABLE departments ADD COLUMN review_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN review_state TEXT;
ALTER TABLE records ADD COLUMN review_reason TEXT;
CREATE INDEX records_review ON records(review_state) WHERE review_state IS NOT NULL;
