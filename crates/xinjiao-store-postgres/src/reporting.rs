//! The PostgreSQL backend of the rows behind the three reporting rates ([`xinjiao_store::ReportingStore`]).

use super::records::{RECORD_COLS, SUBMISSION_COLS, record_row, submission_row};
use super::*;

/// Deadlines as three parallel arrays (`$1`, `$2`, `$3`), unpacked by [`DEADLINES_CTE`].
pub(crate) fn deadline_arrays(deadlines: &[Deadline]) -> (Vec<&'static str>, Vec<String>, Vec<String>) {
    let kinds = deadlines.iter().map(|d| d.kind.as_str()).collect();
    let dates = deadlines.iter().map(|d| d.decision_date.to_string()).collect();
    let ends = deadlines.iter().map(|d| d.deadline.to_string()).collect();
    (kinds, dates, ends)
}

/// The table `d(kind, dd, deadline)` of the deadlines passed as `$1..$3`.
pub(crate) const DEADLINES_CTE: &str = "WITH d(kind, dd, deadline) AS (
    SELECT k, dd::date, dl::date FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, dd, dl))";

impl ReportingStore for PgStore {
    fn record_rate_rows(&self, from: Date, to: Date, deadlines: &[Deadline]) -> Result<Vec<RecordRateRow>> {
        let (kinds, dates, ends) = deadline_arrays(deadlines);
        let days = self.rows(
            &format!(
                "{DEADLINES_CTE}
                 SELECT c.department_id, c.decision_date::text, c.kind, sum(c.n)::bigint,
                        coalesce(sum(c.n) FILTER (WHERE c.published_on <= d.deadline), 0)::bigint
                 FROM d JOIN record_day_counts c ON c.decision_date = d.dd AND c.kind = d.kind
                 WHERE d.dd >= $4::text::date AND d.dd <= $5::text::date
                 GROUP BY c.decision_date, c.kind, c.department_id"
            ),
            &[&kinds, &dates, &ends, &from.to_string(), &to.to_string()],
            |r| Ok((r.get(0), r.get(1), record_kind(r.get(2))?, r.get::<_, i64>(3) as u64, r.get::<_, i64>(4) as u64)),
        )?;
        Ok(xinjiao_store::fold_days_to_months(days))
    }

    fn submission_rate_rows(&self, from: Date, to: Date) -> Result<Vec<SubmissionRateRow>> {
        self.rows(
            "SELECT department_id, to_char(at AT TIME ZONE 'UTC' + INTERVAL '8 hours', 'YYYY-MM'),
                    sum(n_rows - n_unchanged)::bigint, sum(n_rows - n_unchanged - n_rejected)::bigint
             FROM submissions
             WHERE dry_run = 0 AND (at AT TIME ZONE 'UTC' + INTERVAL '8 hours')::date BETWEEN $1::text::date AND $2::text::date
             GROUP BY 1, 2",
            &[&from.to_string(), &to.to_string()],
            |r| {
                let m: &str = r.get(1);
                Ok(SubmissionRateRow {
                    department_id: r.get(0),
                    month: Month::parse(m).ok_or_else(|| bad(format!("month {m}")))?,
                    rows_submitted: r.get::<_, i64>(2) as u64,
                    rows_passed: r.get::<_, i64>(3) as u64,
                })
            },
        )
    }

    fn late_records(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        deadlines: &[Deadline],
        limit: u32,
    ) -> Result<Vec<LateRecord>> {
        let (kinds, dates, ends) = deadline_arrays(deadlines);
        let depts: Option<Vec<i64>> = departments.map(<[i64]>::to_vec);
        let fallback = to;
        self.with(|c| {
            c.query(
                &format!(
                    "{DEADLINES_CTE}
                     SELECT {RECORD_COLS}, d.deadline::text
                     FROM d JOIN records r ON r.decision_date = d.dd AND r.kind = d.kind
                          JOIN subjects s ON s.id = r.subject_id
                     WHERE d.dd >= $4::text::date AND d.dd <= $5::text::date AND r.published_on > d.deadline
                       AND ($6::bigint[] IS NULL OR r.department_id = ANY($6))
                     ORDER BY r.published_on - d.deadline DESC, r.decision_date, r.id
                     LIMIT $7"
                ),
                &[&kinds, &dates, &ends, &from.to_string(), &to.to_string(), &depts, &i64::from(limit)],
            )
            .map_err(err)?
            .iter()
            .map(|r| {
                let deadline: Option<&str> = r.get(19);
                Ok(LateRecord {
                    row: record_row(r)?,
                    deadline: deadline.map(parse_date).transpose()?.unwrap_or(fallback),
                })
            })
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
        let depts: Option<Vec<i64>> = departments.map(<[i64]>::to_vec);
        self.rows(
            &format!(
                "SELECT {SUBMISSION_COLS} FROM submissions
                 WHERE n_rejected > 0 AND dry_run = 0
                   AND (at AT TIME ZONE 'UTC' + INTERVAL '8 hours')::date BETWEEN $1::text::date AND $2::text::date
                   AND ($3::bigint[] IS NULL OR department_id = ANY($3))
                 ORDER BY id DESC LIMIT $4"
            ),
            &[&from.to_string(), &to.to_string(), &depts, &i64::from(limit)],
            submission_row,
        )
    }
}
