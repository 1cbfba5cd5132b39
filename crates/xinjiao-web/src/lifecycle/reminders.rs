//! What the records' lifecycle puts on the staff's start page and dashboard:
//! records awaiting or failing review, and open objections and repair
//! applications with their deadlines.

use xinjiao_store::{PageRequest, Store, StoreError, User};

use crate::kernel::context::{acts_for, dept_name};
use crate::kernel::state::AppState;
use crate::kernel::workplace::Case;
use crate::kernel::workplace::Reminder;

/// Reminders of a clerk's department: its records awaiting review near or
/// past their deadline, and those whose review failed (a source of the
/// workplace registry).
pub fn review_reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    let soon = rules.calendar.add_working_days(today, 2).value;
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
