-- An evaluation reads a scheme's credit events by ranges of subjects: a
-- covering index in that order (no lookup of each row in the table, no
-- sort). Measured with 10,000,000 events: 0.86 s instead of 1.8 s per
-- 100,000 subjects (BENCHMARKS.md).
CREATE INDEX credit_events_read ON credit_events(scheme, subject_id, event_date, id, item, points, known_from, void_from, basis);
