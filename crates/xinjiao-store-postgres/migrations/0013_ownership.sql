-- Ownership and reviewed changes (issue 10).
-- The decision-authority codes (决定机关统一社会信用代码) a division's or a
-- department's clerks may submit records under, from the organisation file:
-- codes separated by single spaces; empty: none.
ALTER TABLE divisions ADD COLUMN authority_codes TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN authority_codes TEXT NOT NULL DEFAULT '';
-- A new version of a published record of a department that reviews before
-- publication waits for review: the record's columns keep the approved
-- version (what the public sees) and pending_version names the waiting one.
ALTER TABLE records ADD COLUMN pending_version BIGINT;
-- The history of a subject's name (events about the subject itself).
CREATE INDEX events_subject ON events(subject_id, id) WHERE record_id IS NULL;
