//! Reporting (报送考核): the rows behind the three rates — deadlines computed
//! from the rules in Rust and joined in SQL to `record_day_counts` — their
//! month counts, and [`ReportingStore`].

use std::collections::BTreeMap;

use xinjiao_core::Date;
use xinjiao_core::calendar::Calendar;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::reporting::period::Month;
use xinjiao_core::reporting::publication::PublicationRules;
use xinjiao_core::reporting::rates::{MonthCounts, RateCounts};

use crate::*;

/// The deadline of records of `kind` decided on `decision_date`, computed by
/// the caller from the rules and passed to the store, which joins it in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub kind: RecordKind,
    pub decision_date: Date,
    pub deadline: Date,
}

/// Reported and on-time counts of one department, month (of decision) and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRateRow {
    pub department_id: Option<i64>,
    pub month: Month,
    pub kind: RecordKind,
    pub reported: u64,
    pub on_time: u64,
}

/// Submitted rows of one department and month (of submission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmissionRateRow {
    pub department_id: Option<i64>,
    pub month: Month,
    /// Rows submitted, rejected ones included, rows identical to stored records excluded.
    pub rows_submitted: u64,
    /// Rows that passed validation.
    pub rows_passed: u64,
}

/// A record made public after its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateRecord {
    pub row: crate::RecordRow,
    pub deadline: Date,
}

/// Adds per-day counts `(department id or 0, decision date YYYY-MM-DD, kind,
/// reported, on time)` into per-month rows: backends aggregate by day in index
/// order (cheap) and fold the days here.
pub fn fold_days_to_months(days: impl IntoIterator<Item = (i64, String, RecordKind, u64, u64)>) -> Vec<RecordRateRow> {
    let mut acc: std::collections::BTreeMap<(i64, Month, &'static str), RecordRateRow> = Default::default();
    for (dept, date, kind, reported, on_time) in days {
        let Some(month) = date.get(..7).and_then(Month::parse) else { continue };
        let row = acc.entry((dept, month, kind.as_str())).or_insert(RecordRateRow {
            department_id: (dept != 0).then_some(dept),
            month,
            kind,
            reported: 0,
            on_time: 0,
        });
        row.reported += reported;
        row.on_time += on_time;
    }
    acc.into_values().collect()
}

/// The deadline of every kind of record for every decision date in `from..=to`.
pub fn deadlines(from: Date, to: Date, calendar: &Calendar, rules: &PublicationRules) -> Vec<Deadline> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        for kind in [RecordKind::License, RecordKind::Penalty] {
            out.push(Deadline { kind, decision_date: d, deadline: rules.deadline(kind, d, calendar).value });
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

/// Counts of every department (and of unattributed records) for every month
/// in `from..=to`: decisions and documents by the month of their decision or
/// issue date, submissions by the month they were made in.
pub fn month_counts(
    store: &dyn Store,
    calendar: &Calendar,
    rules: &PublicationRules,
    from: Month,
    to: Month,
) -> Result<Vec<MonthCounts>> {
    let (first, last) = (from.first_day(), to.last_day());
    let mut acc: BTreeMap<(Option<i64>, Month), RateCounts> = BTreeMap::new();
    let mut reported: BTreeMap<(i64, Month, RecordKind), u64> = BTreeMap::new();
    for r in store.record_rate_rows(first, last, &deadlines(first, last, calendar, rules))? {
        let c = acc.entry((r.department_id, r.month)).or_default();
        c.reported += r.reported;
        c.published += r.reported;
        c.published_on_time += r.on_time;
        match r.department_id {
            Some(d) => *reported.entry((d, r.month, r.kind)).or_default() += r.reported,
            // Nobody declares for records without a department.
            None => c.undeclared += 1,
        }
    }
    let mut declared = std::collections::BTreeSet::new();
    for d in store.declarations(from, to)? {
        acc.entry((Some(d.department_id), d.month)).or_default().due += d.due.max(0) as u64;
        declared.insert((d.department_id, d.month, d.kind));
    }
    for (key, n) in &reported {
        if *n > 0 && !declared.contains(key) {
            acc.entry((Some(key.0), key.1)).or_default().undeclared += 1;
        }
    }
    for s in store.submission_rate_rows(first, last)? {
        let c = acc.entry((s.department_id, s.month)).or_default();
        c.rows_submitted += s.rows_submitted;
        c.rows_first_pass += s.rows_passed;
    }
    let filter =
        DocumentFilter { published_only: true, issued_from: Some(first), issued_to: Some(last), ..Default::default() };
    let mut page = 1;
    loop {
        let docs = store.documents(&filter, PageRequest::new(page, PageRequest::MAX_PER_PAGE))?;
        for doc in &docs.items {
            let c = acc.entry((Some(doc.department_id), Month::of(doc.issue_date))).or_default();
            c.published += 1;
            let deadline = rules.document_deadline(doc.issue_date, calendar).value;
            if doc.published_on.is_some_and(|p| p <= deadline) {
                c.published_on_time += 1;
            }
        }
        if page >= docs.n_pages() {
            break;
        }
        page += 1;
    }
    Ok(acc.into_iter().map(|((department_id, month), counts)| MonthCounts { department_id, month, counts }).collect())
}

/// The rows behind the three reporting rates and their drill-downs.
pub trait ReportingStore: Send + Sync {
    /// Reported and on-time counts of records decided in `from..=to`, by
    /// department, month of decision and kind. A record is on time when it was
    /// published on or before the deadline that `deadlines` gives for its kind
    /// and decision date. `deadlines` must cover every day of the range:
    /// records of a (kind, day) without an entry are not counted.
    fn record_rate_rows(&self, from: Date, to: Date, deadlines: &[Deadline]) -> Result<Vec<RecordRateRow>>;

    /// Submitted and passed rows of submissions made in `from..=to` (China time), by department and month.
    fn submission_rate_rows(&self, from: Date, to: Date) -> Result<Vec<SubmissionRateRow>>;

    /// Records decided in `from..=to` (of the given departments, or all)
    /// published after their deadline, most overdue first, at most `limit`
    /// (`deadlines` as for [`Store::record_rate_rows`]).
    fn late_records(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        deadlines: &[Deadline],
        limit: u32,
    ) -> Result<Vec<LateRecord>>;

    /// Submissions made in `from..=to` (of the given departments, or all) with rejected rows, newest first.
    fn rejected_submissions(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        limit: u32,
    ) -> Result<Vec<Submission>>;
}
