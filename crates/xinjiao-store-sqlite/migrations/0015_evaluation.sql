-- Credit evaluation (信用评价, issue 13): credit events the bureau imports
-- for a scheme (penalties are read from records, not copied here), and
-- evaluation runs with each subject's result and its explanation.
CREATE TABLE credit_events (
    id INTEGER PRIMARY KEY,
    scheme TEXT NOT NULL,
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    item TEXT NOT NULL,
    points INTEGER,
    event_date TEXT NOT NULL,
    basis TEXT NOT NULL,
    known_from TEXT NOT NULL,
    void_from TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (scheme, subject_id, item, event_date, basis)
);
CREATE INDEX credit_events_subject ON credit_events(subject_id);
CREATE TABLE evaluation_runs (
    id INTEGER PRIMARY KEY,
    scheme TEXT NOT NULL,
    cycle_year INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    version TEXT NOT NULL,
    final_from TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX evaluation_runs_scheme ON evaluation_runs(scheme, cycle_year);
CREATE TABLE evaluations (
    run_id INTEGER NOT NULL REFERENCES evaluation_runs(id),
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    score INTEGER NOT NULL,
    demerits INTEGER NOT NULL,
    grade TEXT NOT NULL,
    explanation TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (run_id, subject_id)
);
CREATE INDEX evaluations_subject ON evaluations(subject_id);
