//! Evaluating the warning rules over one day's facts. Pure: the caller
//! gathers the facts (penalties of the look-back, licences of the
//! look-ahead, grade changes between final runs, rectification orders) and
//! stores what is raised; a warning is identified by (rule, subject,
//! occasion), so evaluating a day twice, or the same occasion on a later
//! day, raises the same warnings and the store keeps the first.

use std::collections::BTreeMap;

use jiff::Span;

use super::rules::{RuleKind, WarningRules};
use crate::Date;
use crate::calendar::Calendar;

/// A penalty not withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyFact {
    pub record_id: i64,
    pub subject_id: i64,
    pub department_id: Option<i64>,
    pub decision_no: String,
    pub decision_date: Date,
}

/// A licence not withdrawn, with the end of its validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceFact {
    pub record_id: i64,
    pub subject_id: i64,
    pub department_id: Option<i64>,
    pub decision_no: String,
    pub valid_to: Date,
}

/// A subject's grades in a scheme's latest final run and the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeChange {
    pub scheme: String,
    pub scheme_name: String,
    pub run_id: i64,
    pub subject_id: i64,
    /// The department of the subject's latest record.
    pub department_id: Option<i64>,
    pub before: String,
    pub after: String,
    /// Ranks in the scheme's bands (0: the best).
    pub before_rank: usize,
    pub after_rank: usize,
}

/// An inspection that ordered rectification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectificationFact {
    pub draw_id: i64,
    pub subject_id: i64,
    pub subject_code: String,
    /// The matter's department.
    pub department_id: i64,
    pub matter_name: String,
    pub inspected_on: Date,
}

/// What the rules look at on a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub penalties: Vec<PenaltyFact>,
    pub licences: Vec<LicenceFact>,
    pub grade_changes: Vec<GradeChange>,
    pub rectifications: Vec<RectificationFact>,
}

/// A warning raised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Raised {
    pub rule: String,
    pub subject_id: i64,
    /// What it is about: `record:<id>`, `record:<id>:<valid to>`,
    /// `run:<id>`, `draw:<id>` (unique with rule and subject).
    pub occasion: String,
    pub department_id: Option<i64>,
    /// In Chinese, for the department and the subject.
    pub detail: String,
}

/// The first day of a look-back of `months` that ends on `day` (inclusive).
pub fn months_back(day: Date, months: u32) -> Date {
    day.checked_sub(Span::new().months(i64::from(months))).and_then(|d| d.tomorrow()).unwrap_or(Date::MIN)
}

/// The warnings the rules raise on `day`, sorted.
pub fn evaluate(rules: &WarningRules, facts: &Facts, day: Date, calendar: &Calendar) -> Vec<Raised> {
    let mut out = Vec::new();
    for rule in &rules.rules {
        let raise = |subject_id, occasion: String, department_id, detail: String| Raised {
            rule: rule.code.clone(),
            subject_id,
            occasion,
            department_id,
            detail,
        };
        match rule.kind {
            RuleKind::PenaltiesWithin { count, months } => {
                let from = months_back(day, months);
                let mut by_subject: BTreeMap<i64, Vec<&PenaltyFact>> = BTreeMap::new();
                for p in facts.penalties.iter().filter(|p| p.decision_date >= from && p.decision_date <= day) {
                    by_subject.entry(p.subject_id).or_default().push(p);
                }
                for (subject, ps) in by_subject {
                    if ps.len() < count as usize {
                        continue;
                    }
                    let latest = ps.iter().max_by_key(|p| (p.decision_date, p.record_id)).expect("not empty");
                    out.push(raise(
                        subject,
                        format!("record:{}", latest.record_id),
                        latest.department_id,
                        format!(
                            "{from} 至 {day} 受到行政处罚 {} 次（最近一次：{}，{}）",
                            ps.len(),
                            latest.decision_no,
                            latest.decision_date
                        ),
                    ));
                }
            }
            RuleKind::GradeDrop { steps } => {
                for g in facts.grade_changes.iter().filter(|g| g.after_rank >= g.before_rank + steps as usize) {
                    out.push(raise(
                        g.subject_id,
                        format!("run:{}", g.run_id),
                        g.department_id,
                        format!("{}信用等级由 {} 降为 {}（评价批次 #{}）", g.scheme_name, g.before, g.after, g.run_id),
                    ));
                }
            }
            RuleKind::LicenceExpiring { days } => {
                let until = day.checked_add(Span::new().days(i64::from(days))).unwrap_or(Date::MAX);
                for l in facts.licences.iter().filter(|l| l.valid_to >= day && l.valid_to <= until) {
                    out.push(raise(
                        l.subject_id,
                        format!("record:{}:{}", l.record_id, l.valid_to),
                        l.department_id,
                        format!(
                            "行政许可 {} 的有效期至 {}，尚余 {} 日",
                            l.decision_no,
                            l.valid_to,
                            (l.valid_to - day).get_days()
                        ),
                    ));
                }
            }
            RuleKind::RectificationDue { working_days } => {
                for r in &facts.rectifications {
                    let due = calendar.add_working_days(r.inspected_on, working_days).value;
                    if due <= day {
                        out.push(raise(
                            r.subject_id,
                            format!("draw:{}", r.draw_id),
                            Some(r.department_id),
                            format!(
                                "{}：{} 检查发现问题并责令整改，整改核查期限 {due} 已到（抽查 #{}）",
                                r.matter_name, r.inspected_on, r.draw_id
                            ),
                        ));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// The days the scheduler evaluates on `today`, oldest first: each day
/// after `last` (the last day evaluated), at most `catch_up` of them; only
/// `today` when nothing was evaluated before; none when `today` was.
pub fn days_due(last: Option<Date>, today: Date, catch_up: u32) -> Vec<Date> {
    let Some(last) = last else { return vec![today] };
    if last >= today {
        return vec![];
    }
    let earliest = today.checked_sub(Span::new().days(i64::from(catch_up.max(1)) - 1)).unwrap_or(today);
    let mut d = last.tomorrow().unwrap_or(today).max(earliest);
    let mut out = Vec::new();
    while d <= today {
        out.push(d);
        let Ok(next) = d.tomorrow() else { break };
        d = next;
    }
    out
}
