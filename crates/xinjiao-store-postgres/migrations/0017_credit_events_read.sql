-- An evaluation reads a scheme's credit events by ranges of subjects: an
-- index in that order, covering the columns it reads (BENCHMARKS.md).
CREATE INDEX credit_events_read ON credit_events(scheme, subject_id, event_date, id)
    INCLUDE (item, points, known_from, void_from, basis);
