-- Working-day calendar years loaded by an administrator (they take precedence
-- over the embedded rules/calendar files for the same year).
CREATE TABLE calendar_years (
    year BIGINT PRIMARY KEY,
    source_text TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    loaded_by TEXT NOT NULL
);
