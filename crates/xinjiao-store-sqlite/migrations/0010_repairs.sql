-- Credit repair applications (信用修复, issue 5): the subject applies with its
-- signed repair commitment and evidence; the department accepts and decides.
-- An approved repair ends the record's publication (records.repaired_on); a
-- repair revoked because the commitment proved false restores it.
CREATE TABLE repairs (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    department_id INTEGER REFERENCES departments(id),
    commitment_by TEXT NOT NULL,
    evidence TEXT NOT NULL,
    evidence_name TEXT,
    evidence_file BLOB,
    status TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    accepted_at TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    decided_by TEXT,
    revoked_at TEXT,
    revoke_reason TEXT
);
CREATE INDEX repairs_record ON repairs(record_id);
CREATE INDEX repairs_subject ON repairs(subject_id);
ALTER TABLE records ADD COLUMN repaired_on TEXT;
