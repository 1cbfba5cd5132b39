//! Gathers the counts behind the three reporting rates from a store, month by
//! month and department by department. The rates themselves are defined in
//! `xinjiao_core::rates`; deadlines come from the rules (calendar and
//! publication periods) passed in, so a newly loaded calendar year changes
//! every figure at once.

use std::collections::BTreeMap;

use xinjiao_core::calendar::Calendar;
use xinjiao_core::period::Month;
use xinjiao_core::publication::PublicationRules;
use xinjiao_core::rates::{MonthCounts, RateCounts};
use xinjiao_core::{Date, RecordKind};

use crate::{Deadline, DocumentFilter, PageRequest, Result, Store};

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
