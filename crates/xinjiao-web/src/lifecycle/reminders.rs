//! What the records' lifecycle puts on the staff's start page and dashboard:
//! records awaiting or failing review, and open objections and repair
//! applications with their deadlines.

use xinjiao_store::{PageRequest, Store, StoreError, User};

use crate::kernel::context::{acts_for, dept_name};
use crate::kernel::state::AppState;
use crate::kernel::workplace::Badge;
use crate::kernel::workplace::Case;
use crate::kernel::workplace::Reminder;

/// Reminders of a clerk's department: its records awaiting review near or
/// past their deadline, and those whose review failed (a source of the
/// workplace registry).
pub fn review_reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    let soon = rules.soon(today);
    let mut out = Vec::new();
    // Only the department's records awaiting or failing review (not its newest
    // records at large, which could hide older pending ones).
    let mut waiting = Vec::new();
    for state in ["pending", "rejected"] {
        let f = xinjiao_store::RecordFilter {
            department_id: Some(dept),
            review_state: Some(state.to_string()),
            ..Default::default()
        };
        waiting.extend(store.list_records(&f, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?.items);
    }
    for r in &waiting {
        match r.review_state.as_deref() {
            Some("pending") => {
                let deadline = rules.publication.deadline(r.kind, r.decision_date, &rules.calendar).value;
                if today > deadline || deadline <= soon {
                    out.push(Reminder {
                        level: if today > deadline { "overdue" } else { "soon" },
                        text: format!("{}（{}）待审核，公示期限 {deadline}", r.decision_no, r.kind.label()),
                        href: format!("/console/records/{}", r.id),
                    });
                }
            }
            Some("rejected") => out.push(Reminder {
                level: "overdue",
                text: format!(
                    "{}（{}）审核未通过：{}。请更正后重新报送",
                    r.decision_no,
                    r.kind.label(),
                    r.review_reason.clone().unwrap_or_default()
                ),
                href: format!("/console/records/{}", r.id),
            }),
            _ => {}
        }
    }
    Ok(out)
}

/// The name of `department` as the dashboard lists it.
fn department_name(departments: &[xinjiao_store::Department], department: Option<i64>) -> String {
    department.map_or_else(|| "未归属部门".to_string(), |d| dept_name(departments, d))
}

/// Open objections that `user` acts for (a case source of the workplace registry).
pub fn objection_cases(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Case>, StoreError> {
    let objections =
        store.objections(&xinjiao_store::ObjectionFilter { open_only: true, ..Default::default() }, 500)?;
    let departments = store.departments()?;
    Ok(objections
        .iter()
        .filter(|o| acts_for(user, o.department_id))
        .map(|o| {
            let v = super::subject::objection_view(st, o);
            Case {
                what: "信用异议",
                decision_no: o.decision_no.clone(),
                department: department_name(&departments, o.department_id),
                status: v.status,
                deadline: if v.acknowledged { v.decide_by } else { v.acknowledge_by },
                overdue: v.overdue,
                href: "/console/objections",
            }
        })
        .collect())
}

/// Open repair applications that `user` acts for (a case source of the workplace registry).
pub fn repair_cases(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Case>, StoreError> {
    let repairs = store.repairs(&xinjiao_store::RepairFilter::default(), 500)?;
    let departments = store.departments()?;
    Ok(repairs
        .iter()
        .filter(|r| r.status.is_open() && acts_for(user, r.department_id))
        .map(|r| {
            let v = super::subject::repair_view(st, r);
            Case {
                what: "信用修复",
                decision_no: r.decision_no.clone(),
                department: department_name(&departments, r.department_id),
                status: v.status,
                deadline: if r.accepted_at.is_some() { v.decide_by } else { v.accept_by },
                overdue: v.overdue,
                href: "/console/repairs",
            }
        })
        .collect())
}

/// The latest decision date of a `kind` record whose publication deadline
/// is before `today` (records decided on or before it and still unpublished
/// are overdue).
fn overdue_cutoff(
    st: &AppState,
    kind: xinjiao_core::RecordKind,
    today: xinjiao_core::Date,
) -> Option<xinjiao_core::Date> {
    let rules = st.rules.read().expect("rules");
    let mut d = today;
    // Deadlines grow with the decision date, so the first day back whose
    // deadline has passed is the latest; 7 working days never span 90 days.
    for _ in 0..90 {
        d = d.yesterday().ok()?;
        if rules.publication.deadline(kind, d, &rules.calendar).value < today {
            return Some(d);
        }
    }
    None
}

/// Counts behind the console's 发布前审核 entry: records awaiting review
/// (a coordinator: all; a clerk: the department's, with those sent back),
/// and how many of them are past their publication deadline.
pub fn review_badges(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Badge>, StoreError> {
    if !user.role.oversees() && user.department_id.is_none() {
        return Ok(vec![]);
    }
    let department_id = if user.role.oversees() { None } else { user.department_id };
    let states: &[&str] = if user.role.oversees() { &["pending"] } else { &["pending", "rejected"] };
    let today = st.today();
    let (mut waiting, mut overdue) = (0, 0);
    for state in states {
        let f =
            xinjiao_store::RecordFilter { department_id, review_state: Some(state.to_string()), ..Default::default() };
        waiting += store.list_records(&f, PageRequest::new(1, 1))?.total;
        for kind in [xinjiao_core::RecordKind::License, xinjiao_core::RecordKind::Penalty] {
            let Some(cutoff) = overdue_cutoff(st, kind, today) else { continue };
            let f = xinjiao_store::RecordFilter { kind: Some(kind), date_to: Some(cutoff), ..f.clone() };
            overdue += store.list_records(&f, PageRequest::new(1, 1))?.total;
        }
    }
    Ok(vec![
        Badge {
            n: waiting, what: if user.role.oversees() { "条待审核" } else { "条待审核或被退回" }, urgent: false
        },
        Badge { n: overdue, what: "条已超公示期限", urgent: true },
    ])
}

/// Counts of open cases and of those past a deadline.
fn case_badges(cases: &[Case], what: &'static str) -> Vec<Badge> {
    vec![
        Badge { n: cases.len() as u64, what, urgent: false },
        Badge { n: cases.iter().filter(|c| c.overdue).count() as u64, what: "件已超期", urgent: true },
    ]
}

/// Counts behind the console's 信用异议 entry.
pub fn objection_badges(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Badge>, StoreError> {
    Ok(case_badges(&objection_cases(st, store, user)?, "件待处理"))
}

/// Counts behind the console's 信用修复 entry.
pub fn repair_badges(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Badge>, StoreError> {
    Ok(case_badges(&repair_cases(st, store, user)?, "件待处理"))
}
