//! The evaluation engine: a subject's credit events and earlier results,
//! graded by a scheme as of a day. Pure and deterministic: no clock, no IO;
//! evaluating as of a past day uses only what was known that day and the
//! scheme version then in force, and gives the same answer every time.

use jiff::civil::Date;

use super::scheme::{Cycle, Points, Scheme, SchemeVersion};

/// A credit event: something that scores under an item of a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditEvent {
    /// Where it comes from: a record's decision number, a report number.
    pub source: String,
    pub item: String,
    /// The points, for an item with a range (ignored for fixed items).
    pub points: Option<Points>,
    /// When it happened (the decision date of a penalty).
    pub date: Date,
    /// The first day the platform knew it.
    pub known_from: Date,
    /// The first day it no longer counts (its record withdrawn, repaired or corrected).
    pub void_from: Option<Date>,
    /// The last day of the penalty it comes from (the serious rule's "as long as the penalty lasts").
    pub penalty_until: Option<Date>,
    /// The record it comes from (a penalty), so that explanations link to it.
    pub record_id: Option<i64>,
}

impl CreditEvent {
    /// Whether it counts as of `day`: known, not void, and happened by then.
    pub fn counts_on(&self, day: Date) -> bool {
        self.known_from <= day && self.date <= day && self.void_from.is_none_or(|v| day < v)
    }
}

/// An earlier final result of the same subject and scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub cycle_year: i16,
    pub grade: String,
}

/// An event as it counted: its item and points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub source: String,
    /// The record it comes from, if any.
    pub record_id: Option<i64>,
    pub item: String,
    pub item_name: String,
    pub date: Date,
    pub points: Points,
    pub demerits: i64,
}

/// A special rule that changed the result, and why (in Chinese).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleApplied {
    /// `bonus_cap`, `floor`, `first_time`, `first_time_deduction`,
    /// `one_step_up`, `serious`.
    pub rule: &'static str,
    pub why: String,
}

/// A subject's evaluation in a cycle as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub scheme: String,
    pub version: String,
    pub cycle: Cycle,
    pub as_of: Date,
    pub score: Points,
    pub demerits: i64,
    pub grade: String,
    /// The grade the score and demerits alone give (before special rules).
    pub banded_grade: String,
    pub items: Vec<Applied>,
    pub rules: Vec<RuleApplied>,
    /// Conditions of the scheme's 不良记录 that hold, in Chinese.
    pub bad_record: Vec<String>,
    /// The last day the result is valid.
    pub valid_until: Date,
}

/// Why an event could not be evaluated (an input error, not a rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub source: String,
    pub message: String,
}

/// Evaluates a subject in `cycle` of `scheme` as of `as_of`, from all its
/// known events (of any cycle: a serious act reaches across cycles) and its
/// earlier final results. The version used is the one in force on the
/// earlier of `as_of` and the cycle's last day.
pub fn evaluate(
    scheme: &Scheme,
    cycle: Cycle,
    events: &[CreditEvent],
    prior: &[Prior],
    as_of: Date,
) -> Result<Evaluation, EventError> {
    let v = scheme.version_on(as_of.min(cycle.last));
    let mut counted: Vec<&CreditEvent> =
        events.iter().filter(|e| e.counts_on(as_of) && e.date >= cycle.first && e.date <= cycle.last).collect();
    counted.sort_by(|a, b| a.date.cmp(&b.date).then(a.source.cmp(&b.source)));
    let mut items = Vec::new();
    for e in &counted {
        items.push(apply(v, e)?);
    }
    let mut rules = Vec::new();
    let bonus: i64 = items.iter().map(|a| a.points.0.max(0)).sum();
    let deductions: i64 = items.iter().map(|a| a.points.0.min(0)).sum();
    let mut score = v.base.0 + bonus.min(v.bonus_cap.0) + deductions;
    if bonus > v.bonus_cap.0 {
        rules.push(RuleApplied {
            rule: "bonus_cap",
            why: format!("加分合计 {}，超过加分上限 {}，按上限计", Points(bonus), v.bonus_cap),
        });
    }
    if score < v.floor.0 {
        rules.push(RuleApplied {
            rule: "floor", why: format!("扣分后低于 {} 分，按 {} 分计", v.floor, v.floor)
        });
        score = v.floor.0;
    }
    let score = Points(score);
    let demerits: i64 = items.iter().map(|a| a.demerits).sum();
    let banded = v.band(score, demerits).map(|b| b.grade.clone()).unwrap_or_else(|| worst(v));
    let mut grade = banded.clone();
    let rank = |g: &str| v.rank(g).unwrap_or(usize::MAX);

    // A first-time subject: the default grade, or no better than the
    // default with a deduction.
    if prior.is_empty() {
        if items.is_empty() {
            grade = v.default_grade.clone();
            rules.push(RuleApplied {
                rule: "first_time",
                why: format!("首次评价且本周期无信用事项，按默认等级 {} 评定", v.default_grade),
            });
        } else if let Some(cap) = &v.default_grade_with_deduction
            && deductions < 0
            && rank(&grade) < rank(cap)
        {
            rules.push(RuleApplied {
                rule: "first_time_deduction",
                why: format!("首次评价且有扣分事项，等级不高于 {cap}"),
            });
            grade = cap.clone();
        }
    }
    // At most `max_steps_up` steps above the previous cycle's final grade.
    if v.max_steps_up > 0
        && let Some(p) = prior.iter().find(|p| p.cycle_year == cycle.year - 1)
        && let Some(prev) = v.rank(&p.grade)
        && rank(&grade) + (v.max_steps_up as usize) < prev
    {
        let limit = v.bands[prev - v.max_steps_up as usize].grade.clone();
        rules.push(RuleApplied {
            rule: "one_step_up",
            why: format!(
                "上一周期为 {}，每周期至多上升 {} 级，本周期评为 {limit}（按分数为 {grade}）",
                p.grade, v.max_steps_up
            ),
        });
        grade = limit;
    }
    // A serious dishonest act: the serious grade at once, for its period.
    if let Some(s) = &v.serious {
        let mut hits: Vec<(&CreditEvent, Date)> = events
            .iter()
            .filter(|e| e.counts_on(as_of) && v.item(&e.item).is_some_and(|i| i.serious))
            .filter_map(|e| {
                let by_months = e.date.checked_add(jiff::Span::new().months(s.months)).ok()?.yesterday().ok()?;
                let until = match (s.at_least_penalty, e.penalty_until) {
                    (true, Some(p)) => by_months.max(p),
                    _ => by_months,
                };
                (as_of <= until).then_some((e, until))
            })
            .collect();
        hits.sort_by_key(|h| std::cmp::Reverse(h.1));
        if let Some((e, until)) = hits.first() {
            rules.push(RuleApplied {
                rule: "serious",
                why: format!(
                    "严重失信行为（{}，{}）：直接评为 {}，至 {until}{}",
                    e.source,
                    e.date,
                    s.grade,
                    if s.at_least_penalty { "（不短于处罚期限）" } else { "" }
                ),
            });
            grade = s.grade.clone();
        }
    }
    let bad_record = bad_record(v, &items, &grade, prior, cycle);
    let valid_until = as_of
        .checked_add(jiff::Span::new().months(v.valid_months))
        .ok()
        .and_then(|d| d.yesterday().ok())
        .unwrap_or(as_of);
    Ok(Evaluation {
        scheme: scheme.code.clone(),
        version: v.id.clone(),
        cycle,
        as_of,
        score,
        demerits,
        grade,
        banded_grade: banded,
        items,
        rules,
        bad_record,
        valid_until,
    })
}

/// The worst grade of a version.
fn worst(v: &SchemeVersion) -> String {
    v.bands.last().map(|b| b.grade.clone()).unwrap_or_default()
}

/// An event's item and points under `v`.
fn apply(v: &SchemeVersion, e: &CreditEvent) -> Result<Applied, EventError> {
    let err = |message: String| EventError { source: e.source.clone(), message };
    let item = v.item(&e.item).ok_or_else(|| err(format!("评价事项代码“{}”不在 {} 版事项目录中", e.item, v.id)))?;
    let points = match (item.points, item.range, e.points) {
        (Some(p), _, _) => p,
        (None, Some((lo, hi)), Some(p)) if p >= lo && p <= hi => p,
        (None, Some((lo, hi)), Some(p)) => {
            return Err(err(format!("事项“{}”的分值应在 {lo} 到 {hi} 之间（收到 {p}）", item.name)));
        }
        (None, Some((lo, hi)), None) => {
            return Err(err(format!("事项“{}”须给出分值（{lo} 到 {hi}）", item.name)));
        }
        (None, None, _) => return Err(err(format!("事项“{}”没有分值", item.name))),
    };
    Ok(Applied {
        source: e.source.clone(),
        record_id: e.record_id,
        item: item.code.clone(),
        item_name: item.name.clone(),
        date: e.date,
        points,
        demerits: item.demerits,
    })
}

/// The 不良记录 conditions that hold.
fn bad_record(v: &SchemeVersion, items: &[Applied], grade: &str, prior: &[Prior], cycle: Cycle) -> Vec<String> {
    let mut out = Vec::new();
    let lowest = worst(v);
    if let Some(n) = v.bad_record.lowest_cycles_in_a_row
        && grade == lowest
        && (1..n as i16).all(|k| prior.iter().any(|p| p.cycle_year == cycle.year - k && p.grade == lowest))
    {
        out.push(format!("连续 {n} 个周期评为 {lowest}"));
    }
    if let (Some(to), Some(n)) = (v.bad_record.drops_to, v.bad_record.drops) {
        // The running score through the cycle, with bonuses up to the cap.
        let (mut bonus, mut score, mut above, mut drops) = (0i64, v.base.0, v.base > to, 0u32);
        for a in items {
            if a.points.0 > 0 {
                let add = a.points.0.min(v.bonus_cap.0 - bonus).max(0);
                bonus += add;
                score += add;
            } else {
                score = (score + a.points.0).max(v.floor.0);
            }
            if above && Points(score) <= to {
                drops += 1;
            }
            above = Points(score) > to;
        }
        if drops >= n {
            out.push(format!("一个周期内 {drops} 次降至 {to} 分及以下"));
        }
    }
    out
}

/// The grade of a joint venture (联合体): its lowest member's.
pub fn joint_venture_grade<'a>(v: &SchemeVersion, members: &[&'a str]) -> Option<&'a str> {
    members.iter().copied().max_by_key(|g| v.rank(g).unwrap_or(usize::MAX))
}
