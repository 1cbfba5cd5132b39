-- Lists and measures (issue 15), the lists themselves: entries (proposed,
-- reviewed, in public notice, listed, ended) of each list of rules/lists/,
-- and the objections filed against an entry during its notice. Whether an
-- entry is public on a day is derived from its state and days, never
-- stored; shown_until is the last day the confirmation announced.
CREATE TABLE list_entries (
    id INTEGER PRIMARY KEY,
    list_code TEXT NOT NULL,
    list_version INTEGER NOT NULL,
    criterion INTEGER NOT NULL,
    origin TEXT NOT NULL,
    party_type TEXT NOT NULL,
    party TEXT NOT NULL,
    party_name TEXT NOT NULL,
    subject_id INTEGER REFERENCES subjects(id),
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    state TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by TEXT,
    review_note TEXT,
    notice_from TEXT,
    listed_on TEXT,
    shown_until TEXT,
    ended_on TEXT,
    end_kind TEXT,
    end_note TEXT
);
CREATE INDEX list_entries_list ON list_entries(list_code, state, id);
CREATE INDEX list_entries_party ON list_entries(party_type, party);
CREATE INDEX list_entries_subject ON list_entries(subject_id);
CREATE TABLE list_objections (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES list_entries(id),
    objector TEXT NOT NULL,
    filed_via TEXT NOT NULL,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    acknowledged_at TEXT,
    extended_at TEXT,
    extension_reason TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    decided_by TEXT
);
CREATE INDEX list_objections_entry ON list_objections(entry_id);
