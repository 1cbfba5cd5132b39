//! Penalties already in the platform as credit events: each scheme's
//! mapping rules (`[[version.mapping]]`: texts in the violation type or legal
//! basis, penalty classes) turn a penalty into an item of the version in
//! force on its decision date — unless the department named the item
//! (评价事项代码), which that item's scheme takes as given. The event keeps the record's decision number
//! as its source; the record's withdrawal or repair voids it from that day.

use jiff::civil::Date;

use super::engine::CreditEvent;
use super::scheme::{Evaluates, Scheme};

/// What the mapping needs of a penalty record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyFacts<'a> {
    pub record_id: i64,
    pub decision_no: &'a str,
    /// The subject is a natural person.
    pub person: bool,
    /// 违法行为类型.
    pub violation: &'a str,
    /// 处罚依据.
    pub basis: &'a str,
    /// 处罚类别, each.
    pub classes: Vec<&'a str>,
    pub decided: Date,
    /// The day it was published (the platform knew it).
    pub known_from: Date,
    /// The day it was withdrawn or repaired, if it was.
    pub void_from: Option<Date>,
    /// 处罚有效期, the last day of the penalty.
    pub until: Option<Date>,
    /// 评价事项代码 the department gave: that item, in the scheme that has it
    /// (other schemes still map the penalty by their rules).
    pub item: Option<&'a str>,
}

/// The credit events a penalty makes: (scheme code, event), one per scheme
/// that evaluates its kind of subject and maps it to an item.
pub fn penalty_events(schemes: &[Scheme], p: &PenaltyFacts) -> Vec<(String, CreditEvent)> {
    schemes
        .iter()
        .filter(|s| (s.evaluates == Evaluates::Persons) == p.person)
        .filter_map(|s| {
            let v = s.version_on(p.decided);
            let named = p.item.and_then(|code| v.item(code)).filter(|i| i.points.is_some());
            let item = named.or_else(|| v.map_penalty(p.violation, p.basis, &p.classes))?;
            Some((
                s.code.clone(),
                CreditEvent {
                    source: p.decision_no.to_string(),
                    item: item.code.clone(),
                    points: None,
                    date: p.decided,
                    known_from: p.known_from,
                    void_from: p.void_from,
                    penalty_until: p.until,
                    record_id: Some(p.record_id),
                },
            ))
        })
        .collect()
}
