-- Graded supervision (issue 14): the inspection matters (随机抽查事项清单),
-- the inspector roster (执法检查人员名录库) with declared conflicts of
-- interest, and "双随机、一公开" draws: each plan with its frozen population,
-- shares, eligible roster and commitment; its run with the public value,
-- the revealed secret, the seed and the drawn subjects with their inspectors.
CREATE TABLE inspection_matters (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    legal_basis TEXT NOT NULL,
    scheme TEXT NOT NULL,
    priority TEXT NOT NULL,
    times_a_year INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE inspectors (
    id INTEGER PRIMARY KEY,
    certificate TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    active INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE inspector_conflicts (
    certificate TEXT NOT NULL REFERENCES inspectors(certificate),
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    reason TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    PRIMARY KEY (certificate, subject_id)
);
CREATE TABLE draws (
    id INTEGER PRIMARY KEY,
    matter_id INTEGER NOT NULL REFERENCES inspection_matters(id),
    as_of TEXT NOT NULL,
    population TEXT NOT NULL,
    population_hash TEXT NOT NULL,
    shares TEXT NOT NULL,
    overridden TEXT NOT NULL,
    inspectors_per_subject INTEGER NOT NULL,
    roster TEXT NOT NULL,
    commitment TEXT NOT NULL,
    secret TEXT NOT NULL,
    public_value_source TEXT NOT NULL,
    public_value TEXT,
    seed TEXT,
    run_at TEXT,
    run_by TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE draw_results (
    draw_id INTEGER NOT NULL REFERENCES draws(id),
    position INTEGER NOT NULL,
    subject_code TEXT NOT NULL,
    grade TEXT,
    inspectors TEXT NOT NULL,
    short INTEGER NOT NULL,
    PRIMARY KEY (draw_id, position)
);
