//! What the reporting duty reminds a clerk of on the start page: months not
//! declared or not fully reported, and records published late.

use xinjiao_core::reporting::period::{Month, Period};
use xinjiao_store::{Store, StoreError, User};

use crate::kernel::state::AppState;
use crate::kernel::workplace::Reminder;

/// Reminders of a clerk's department: last month not declared, or declared
/// but not fully reported (a source of the workplace registry).
pub fn declaration_reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    let mut out = Vec::new();
    let last = Month::of(today).prev();
    let decl = store.declarations(last, last)?;
    let period = Period::containing(xinjiao_core::reporting::period::PeriodKind::Month, last);
    let lines = super::figures::fill_lines(store, &rules, period, Some(&[dept]))?;
    if !decl.iter().any(|d| d.department_id == dept) {
        out.push(Reminder {
            level: "soon",
            text: format!("尚未申报 {last} 的应报送数（行政许可、行政处罚决定数）"),
            href: format!("/console/declarations?month={last}"),
        });
    }
    for l in lines.iter().filter(|l| l.declared.is_some_and(|d| (l.reported as i64) < d)) {
        out.push(Reminder {
            level: "overdue",
            text: format!(
                "{} {}：申报 {} 条，已报送 {} 条，尚缺 {} 条",
                l.month,
                l.kind.label(),
                l.declared.unwrap_or(0),
                l.reported,
                l.declared.unwrap_or(0) - l.reported as i64
            ),
            href: format!("/console/dashboard/drill?what=fill&by=department&key={dept}&period=month&at={last}"),
        });
    }
    Ok(out)
}

/// Reminders of a clerk's department: records published late in the last 30
/// days (a source of the workplace registry).
pub fn late_reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    let mut out = Vec::new();
    let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    let from_decisions = from.checked_sub(jiff::Span::new().days(60)).unwrap_or(from);
    let deadlines = xinjiao_store::reporting::deadlines(from_decisions, today, &rules.calendar, &rules.publication);
    for l in store
        .late_records(Some(&[dept]), from_decisions, today, &deadlines, 20)?
        .iter()
        .filter(|l| l.row.published_on.is_some_and(|p| p >= from))
    {
        out.push(Reminder {
            level: "late",
            text: format!(
                "{}（{}）公示期限 {}，实际公示 {}，已超期",
                l.row.decision_no,
                l.row.kind.label(),
                l.deadline,
                l.row.published_on.map_or_else(String::new, |p| p.to_string())
            ),
            href: format!("/console/records/{}", l.row.id),
        });
    }
    Ok(out)
}
