-- Subject self-service (issue 5): a penalty's credit-repair notice carries a
-- one-time claim code ("两书同达") with which the subject activates its account
-- without a phone call. Codes and session tokens are stored as SHA-256 hashes.
CREATE TABLE subject_accounts (
    subject_id BIGINT PRIMARY KEY REFERENCES subjects(id),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    activated_by TEXT NOT NULL
);
CREATE TABLE claim_codes (
    code_hash TEXT PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES subjects(id),
    record_id BIGINT REFERENCES records(id),
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX claim_codes_subject ON claim_codes(subject_id);
CREATE TABLE subject_sessions (
    token_hash TEXT PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES subjects(id),
    expires_at TIMESTAMPTZ NOT NULL
);
