-- Objections to evaluation results (issue 13): during a result's comment
-- period (初评公示) the subject objects; the coordinator acknowledges,
-- may extend once, and upholds or rejects, as for objections to records.
CREATE TABLE result_objections (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES evaluation_runs(id),
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    reasons TEXT NOT NULL,
    status TEXT NOT NULL,
    extended INTEGER NOT NULL DEFAULT 0,
    filed_at TEXT NOT NULL,
    acknowledged_at TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    decided_by TEXT
);
CREATE INDEX result_objections_run ON result_objections(run_id, subject_id);
