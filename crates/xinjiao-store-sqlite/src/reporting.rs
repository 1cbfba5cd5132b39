//! The SQLite backend of the rows behind the three reporting rates ([`xinjiao_store::ReportingStore`]).

use super::records::{RECORD_COLS, SUBMISSION_COLS, record_row, submission_row};
use super::*;

/// Deadlines as one JSON parameter (`?1`), unpacked by [`DEADLINES_CTE`].
pub(crate) fn deadlines_json(deadlines: &[Deadline]) -> String {
    let rows: Vec<[String; 3]> = deadlines
        .iter()
        .map(|d| [d.kind.as_str().to_string(), d.decision_date.to_string(), d.deadline.to_string()])
        .collect();
    serde_json::to_string(&rows).expect("strings serialise")
}

/// The table `d(kind, dd, deadline)` of the deadlines passed as `?1`.
pub(crate) const DEADLINES_CTE: &str = "WITH d(kind, dd, deadline) AS MATERIALIZED (
    SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))";

impl ReportingStore for SqliteStore {
    fn record_rate_rows(&self, from: Date, to: Date, deadlines: &[Deadline]) -> Result<Vec<RecordRateRow>> {
        let json = deadlines_json(deadlines);
        let days = self.read(|c| {
            c.prepare_cached(&format!(
                "{DEADLINES_CTE}
                 SELECT c.department_id, c.decision_date, c.kind, sum(c.n),
                        sum(CASE WHEN c.published_on <= d.deadline THEN c.n ELSE 0 END)
                 FROM d CROSS JOIN record_day_counts c ON c.decision_date = d.dd AND c.kind = d.kind
                 WHERE d.dd >= ?2 AND d.dd <= ?3
                 GROUP BY c.decision_date, c.kind, c.department_id"
            ))?
            .query_map(params![json, from.to_string(), to.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, kind(r.get(2)?)?, r.get::<_, i64>(3)? as u64, r.get::<_, i64>(4)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(xinjiao_store::fold_days_to_months(days))
    }

    fn submission_rate_rows(&self, from: Date, to: Date) -> Result<Vec<SubmissionRateRow>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT department_id, substr(date(at, '+8 hours'), 1, 7), sum(n_rows - n_unchanged),
                        sum(n_rows - n_unchanged - n_rejected)
                 FROM submissions WHERE dry_run = 0 AND date(at, '+8 hours') >= ?1 AND date(at, '+8 hours') <= ?2
                 GROUP BY 1, 2",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                let m: String = r.get(1)?;
                Ok(SubmissionRateRow {
                    department_id: r.get(0)?,
                    month: Month::parse(&m)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, m, rusqlite::types::Type::Text))?,
                    rows_submitted: r.get::<_, i64>(2)? as u64,
                    rows_passed: r.get::<_, i64>(3)? as u64,
                })
            })?
            .collect()
        })
    }

    fn late_records(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        deadlines: &[Deadline],
        limit: u32,
    ) -> Result<Vec<LateRecord>> {
        let json = deadlines_json(deadlines);
        let depts = departments.map(|d| serde_json::to_string(d).expect("ids serialise"));
        self.read(|c| {
            c.prepare_cached(&format!(
                "{DEADLINES_CTE}
                 SELECT {RECORD_COLS}, d.deadline
                 FROM d CROSS JOIN records r INDEXED BY records_rates ON r.decision_date = d.dd AND r.kind = d.kind
                      JOIN subjects s ON s.id = r.subject_id
                 WHERE d.dd >= ?2 AND d.dd <= ?3 AND r.published_on > d.deadline
                   AND (?4 IS NULL OR r.department_id IN (SELECT value FROM json_each(?4)))
                 ORDER BY julianday(r.published_on) - julianday(d.deadline) DESC, r.decision_date, r.id
                 LIMIT ?5"
            ))?
            .query_map(params![json, from.to_string(), to.to_string(), depts, limit], |r| {
                let deadline: Option<String> = r.get(19)?;
                Ok(LateRecord { row: record_row(r)?, deadline: deadline.map(date).transpose()?.unwrap_or(to) })
            })?
            .collect()
        })
    }

    fn rejected_submissions(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        limit: u32,
    ) -> Result<Vec<Submission>> {
        let depts = departments.map(|d| serde_json::to_string(d).expect("ids serialise"));
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {SUBMISSION_COLS} FROM submissions
                 WHERE n_rejected > 0 AND dry_run = 0 AND date(at, '+8 hours') >= ?1 AND date(at, '+8 hours') <= ?2
                   AND (?3 IS NULL OR department_id IN (SELECT value FROM json_each(?3)))
                 ORDER BY id DESC LIMIT ?4"
            ))?
            .query_map(params![from.to_string(), to.to_string(), depts, limit], submission_row)?
            .collect()
        })
    }
}
