-- Credit risk monitoring and reminders (issue 14): the warnings raised by the
-- daily evaluation of rules/warnings.toml (one per rule, subject and
-- occasion), the days evaluated, each department's reminder channels (WeCom
-- group robot, e-mail) and the outbox of messages to them.
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    subject_id INTEGER NOT NULL REFERENCES subjects(id),
    occasion TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    detail TEXT NOT NULL,
    raised_on TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    feedback TEXT,
    feedback_at TEXT,
    feedback_by TEXT,
    UNIQUE (rule, subject_id, occasion)
);
CREATE INDEX warnings_department ON warnings(department_id, id);
CREATE INDEX warnings_subject ON warnings(subject_id, id);
CREATE TABLE monitoring_days (
    day TEXT PRIMARY KEY,
    evaluated_at TEXT NOT NULL,
    raised INTEGER NOT NULL,
    rules_version INTEGER NOT NULL
);
CREATE TABLE reminder_channels (
    department_id INTEGER PRIMARY KEY REFERENCES departments(id),
    wecom_webhook TEXT NOT NULL,
    email_to TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
-- state: pending, sending (claimed by a sender), sent, failed (no attempt
-- left), uncertain (the server stopped while sending: resent only by hand).
-- next_attempt_at: seconds since the epoch.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
