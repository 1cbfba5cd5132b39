-- The evaluation benchmark's set (BENCHMARKS.md, issue 13): on top of a demo
-- database (`xinjiao demo --subjects 1000000 --records 1000000 --seed 7`),
-- subjects up to 1,000,000 in all and ten road-transport credit events for
-- each of them (10,000,000), spread over 2025 and known ten days after they
-- happen: bonuses (RT-B01, 1–5 points) on 3 in 10, small deductions
-- (RT-03, RT-06) on most of the rest, larger ones (RT-01, RT-05) on 1 in 10,
-- a serious act (RT-S01) on about 1 in 1,000 subjects. Written for both
-- SQLite (3.40+, whose shell has generate_series) and PostgreSQL; the
-- values are a function of the subject id and the event's number only, so
-- both backends get the same set. scripts/bench fills in EVENT_DATE and
-- KNOWN_FROM, and drops the column lists of the table aliases for SQLite.
INSERT INTO subjects (public_key, identity_key, kind, name, name_norm, created_at, updated_at)
SELECT 'BENCH' || (1000000 + g.value), 'bench:' || g.value, 'organization', '评测主体' || g.value, '评测主体' || g.value,
       '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'
FROM generate_series(1, 1000000 - (SELECT count(*) FROM subjects)) AS g(value);

INSERT INTO credit_events (scheme, subject_id, item, points, event_date, basis, known_from, created_at, created_by)
SELECT 'road-transport', e.id, e.item,
       CASE WHEN e.item = 'RT-B01' THEN 10 + (e.id + e.k) % 41 END,
       EVENT_DATE(e.day), 'BENCH-' || e.id || '-' || e.k, KNOWN_FROM(e.day), '2026-01-01T00:00:00Z', 'bench'
FROM (
    SELECT s.id, k.value AS k, (s.id * 31 + k.value * 37) % 355 AS day,
           CASE WHEN k.value = 1 AND s.id % 997 = 0 THEN 'RT-S01'
                ELSE CASE (s.id * 7 + k.value * 13) % 10
                         WHEN 0 THEN 'RT-01' WHEN 1 THEN 'RT-05' WHEN 2 THEN 'RT-06' WHEN 3 THEN 'RT-06'
                         WHEN 4 THEN 'RT-B01' WHEN 5 THEN 'RT-B01' WHEN 6 THEN 'RT-B01' ELSE 'RT-03' END
           END AS item
    FROM subjects s, generate_series(1, 10) AS k(value)
) e;
