-- Organisation (issue 4): divisions, departments, accounts and records
-- attributed to departments, monthly declarations of decisions made, the
-- responsibility table, and documents and news published on the portal.

-- Administrative divisions: the city and its county-level divisions.
CREATE TABLE divisions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT REFERENCES divisions(code),
    sort INTEGER NOT NULL
);

-- Departments: sections (科室) and directly affiliated units of a bureau, and
-- the county bureaus themselves. kind: section | unit | bureau.
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    division_code TEXT NOT NULL REFERENCES divisions(code),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sort INTEGER NOT NULL
);

ALTER TABLE users ADD COLUMN department_id INTEGER REFERENCES departments(id);
ALTER TABLE submissions ADD COLUMN department_id INTEGER REFERENCES departments(id);

-- The department a record belongs to (set when it is created), and the day
-- (China time) it was made public: a fact, while its deadline is derived from
-- the rules at read time.
ALTER TABLE records ADD COLUMN department_id INTEGER REFERENCES departments(id);
ALTER TABLE records ADD COLUMN published_on TEXT;
UPDATE records SET published_on = date(created_at, '+8 hours');
-- Covers the rate computation (a scan of one date range).
CREATE INDEX records_rates ON records(decision_date, kind, department_id, published_on);

-- A department's monthly declaration of the decisions it made (应报送数).
CREATE TABLE declarations (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    due INTEGER NOT NULL,
    declared_at TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    PRIMARY KEY (department_id, month, kind)
);

-- The responsibility table (责任表): who answers for each category of credit information.
CREATE TABLE responsibilities (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    person TEXT NOT NULL,
    post TEXT NOT NULL,
    sort INTEGER NOT NULL
);

-- Policy documents, credit-work news and public commitments (M2).
-- kind: policy | news | commitment. published_on is NULL while a draft.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    published_on TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX documents_published ON documents(published_on DESC, id DESC);
