-- The licence a commitment obtained (issue 17): named by staff after the
-- matter is granted, so that a broken or false commitment can revoke it (as
-- a correction of that licence record).
ALTER TABLE commitments ADD COLUMN licence_record_id INTEGER REFERENCES records(id);
