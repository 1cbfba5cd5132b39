-- Disclosure windows (issue 5): derived from each record and the rules
-- (rules/disclosure.toml for penalties, the validity of licences), stored so
-- that public lists filter in SQL, and recomputed when the rules change.
-- window_rules: fingerprint of the rules used; NULL: to be computed.
-- Whether a record is public on a day is derived at query time:
-- public_until IS NULL OR public_until > the day.
ALTER TABLE records ADD COLUMN severity TEXT;
ALTER TABLE records ADD COLUMN public_until TEXT;
ALTER TABLE records ADD COLUMN repairable_from TEXT;
ALTER TABLE records ADD COLUMN window_rules TEXT;
CREATE INDEX records_stale_windows ON records(id) WHERE window_rules IS NULL;
