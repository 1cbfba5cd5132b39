-- Commitments (issue 17): credit commitments as signed, their state, and
-- integrity-education acknowledgements. What was signed (type, matter,
-- template version, text, signer, time) never changes.
CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    kind TEXT NOT NULL,
    matter TEXT,
    template_version INTEGER NOT NULL,
    text TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    signed_via TEXT NOT NULL CHECK (signed_via IN ('account', 'window', 'association')),
    association TEXT,
    public INTEGER NOT NULL CHECK (public IN (0, 1)),
    department_id INTEGER REFERENCES departments(id),
    state TEXT NOT NULL,
    decided_on TEXT,
    due TEXT,
    concluded_on TEXT,
    concluded_by TEXT,
    note TEXT
);
CREATE INDEX commitments_subject ON commitments(subject_id, id);
CREATE INDEX commitments_state ON commitments(state, due);
CREATE TRIGGER commitments_signed_text BEFORE UPDATE OF subject_id, kind, matter, template_version, text, signed_at, signed_by, signed_via ON commitments BEGIN
    SELECT RAISE(ABORT, 'a signed commitment is immutable');
END;
CREATE TRIGGER commitments_no_delete BEFORE DELETE ON commitments BEGIN
    SELECT RAISE(ABORT, 'commitments are append-only');
END;
CREATE TABLE education_acks (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    material TEXT NOT NULL,
    material_version INTEGER NOT NULL,
    acknowledged_at TEXT NOT NULL,
    UNIQUE (subject_id, material, material_version)
);
