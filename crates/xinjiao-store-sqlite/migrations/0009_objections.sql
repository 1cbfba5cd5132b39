-- Credit objections (信用异议, issue 5): a subject objects to one of its
-- records with reasons and attachments; the owning department acknowledges,
-- may extend once, and decides (upheld or rejected, with reasons). While an
-- objection is open the record is marked "异议处理中" on the portal.
CREATE TABLE objections (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    department_id INTEGER REFERENCES departments(id),
    reasons TEXT NOT NULL,
    status TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    acknowledged_at TEXT,
    extended_at TEXT,
    extension_reason TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    decided_by TEXT
);
CREATE INDEX objections_record ON objections(record_id);
CREATE INDEX objections_subject ON objections(subject_id);
CREATE TABLE objection_attachments (
    id INTEGER PRIMARY KEY,
    objection_id INTEGER NOT NULL REFERENCES objections(id),
    filename TEXT NOT NULL,
    content BLOB NOT NULL
);
