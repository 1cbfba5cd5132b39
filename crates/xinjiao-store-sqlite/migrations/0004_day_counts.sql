-- Records counted by decision date, kind, department (0: none) and publication
-- day: what the three rates need, a few rows per day instead of one per
-- record. Maintained by the store code in the same transaction as the records
-- (a department and a publication day never change; a new version may move a
-- record to another decision date). Derived data: not dumped, rebuilt on restore.
CREATE TABLE record_day_counts (
    decision_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    department_id INTEGER NOT NULL,
    published_on TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (decision_date, kind, department_id, published_on)
) WITHOUT ROWID;
INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
SELECT decision_date, kind, coalesce(department_id, 0), published_on, count(*)
FROM records GROUP BY 1, 2, 3, 4;
