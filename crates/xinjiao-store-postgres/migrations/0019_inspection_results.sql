-- The results of inspections of drawn subjects (issue 14): one per drawn
-- subject, public once entered; the publication deadline is derived from the
-- inspection day and rules/inspection.toml when read.
CREATE TABLE inspection_results (
    draw_id BIGINT NOT NULL REFERENCES draws(id),
    subject_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    findings TEXT NOT NULL,
    inspected_on DATE NOT NULL,
    entered_at TIMESTAMPTZ NOT NULL,
    entered_by TEXT NOT NULL,
    PRIMARY KEY (draw_id, subject_code)
);
