//! List entries (名单条目): the states an entry goes through — proposed,
//! reviewed, published for public notice, confirmed and listed, ended early
//! or by expiry — and the days that bound each step.
//!
//! Decisions (written into `rules/lists/*.toml`'s header as well):
//! - the notice runs from the day after publication for the list's
//!   `notice_working_days` working days; an entry can be confirmed from the
//!   working day after, and only with no objection open;
//! - a confirmed entry is shown from the day of confirmation to the day
//!   before the same date `shown_months` later (24 months: 2026-12-03 to
//!   2028-12-02); that last day is stored with the entry when it is
//!   confirmed, as the confirmation states it, so a later change of the
//!   list file does not change what was announced;
//! - expiry is derived from that day and today, never stored; repair and a
//!   decision of a court or upper authority end an entry early, stored;
//! - the reviewer is not the proposer (four eyes).

use jiff::Span;
use jiff::civil::Date;

use super::definition::ListDefinition;
use crate::calendar::Calendar;

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryState {
    /// 待审核: proposed, awaiting review.
    Proposed,
    /// 审核不通过.
    Rejected,
    /// 公示中: published for public notice, open to objections.
    Notice,
    /// 异议成立，撤销公示.
    Withdrawn,
    /// 已列入: confirmed after the notice (public until its last day).
    Listed,
    /// 已提前移出: by repair or a decision.
    Ended,
}

impl EntryState {
    pub const ALL: [EntryState; 6] = [
        EntryState::Proposed,
        EntryState::Rejected,
        EntryState::Notice,
        EntryState::Withdrawn,
        EntryState::Listed,
        EntryState::Ended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Proposed => "proposed",
            EntryState::Rejected => "rejected",
            EntryState::Notice => "notice",
            EntryState::Withdrawn => "withdrawn",
            EntryState::Listed => "listed",
            EntryState::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<EntryState> {
        EntryState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            EntryState::Proposed => "待审核",
            EntryState::Rejected => "审核不通过",
            EntryState::Notice => "公示中",
            EntryState::Withdrawn => "异议成立，已撤销",
            EntryState::Listed => "已列入",
            EntryState::Ended => "已提前移出",
        }
    }
    /// The entry still stands against its party (no new one may be proposed).
    pub fn is_open(self) -> bool {
        matches!(self, EntryState::Proposed | EntryState::Notice | EntryState::Listed)
    }
}

/// Why an entry ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndKind {
    Repair,
    Decision,
}

impl EndKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndKind::Repair => "repair",
            EndKind::Decision => "decision",
        }
    }
    pub fn parse(s: &str) -> Option<EndKind> {
        match s {
            "repair" => Some(EndKind::Repair),
            "decision" => Some(EndKind::Decision),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            EndKind::Repair => "信用修复",
            EndKind::Decision => "法院或上级机关决定",
        }
    }
}

/// What staff do with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryAction {
    /// Review passed: published for notice.
    Approve,
    Reject(String),
    /// An objection was upheld during the notice.
    Withdraw(String),
    /// The notice ended without an open objection.
    Confirm,
    End(EndKind, String),
}

impl EntryAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryAction::Approve => "approve",
            EntryAction::Reject(_) => "reject",
            EntryAction::Withdraw(_) => "withdraw",
            EntryAction::Confirm => "confirm",
            EntryAction::End(..) => "end",
        }
    }

    /// The state after this action from `from`, or why it is not allowed.
    pub fn apply(&self, from: EntryState) -> Result<EntryState, &'static str> {
        use EntryState::*;
        match (self, from) {
            (EntryAction::Approve, Proposed) => Ok(Notice),
            (EntryAction::Reject(_), Proposed) => Ok(Rejected),
            (EntryAction::Approve | EntryAction::Reject(_), _) => Err("只有待审核的条目可以审核"),
            (EntryAction::Withdraw(_), Notice) => Ok(Withdrawn),
            (EntryAction::Withdraw(_), _) => Err("只有公示中的条目可以因异议成立而撤销"),
            (EntryAction::Confirm, Notice) => Ok(Listed),
            (EntryAction::Confirm, _) => Err("只有公示中的条目可以确认列入"),
            (EntryAction::End(..), Listed) => Ok(Ended),
            (EntryAction::End(..), _) => Err("只有已列入的条目可以提前移出"),
        }
    }
}

/// The last day of the public notice of an entry published on `published`.
pub fn notice_last_day(list: &ListDefinition, published: Date, cal: &Calendar) -> Date {
    cal.add_working_days(published, list.notice_working_days).value
}

/// The last day a confirmation on `listed_on` is shown.
pub fn shown_until(list: &ListDefinition, listed_on: Date) -> Date {
    listed_on
        .checked_add(Span::new().months(i64::from(list.shown_months)))
        .and_then(|d| d.yesterday())
        .unwrap_or(Date::MAX)
}

/// Whether an entry may be confirmed on `today`: the notice is over and no
/// objection is open.
pub fn may_confirm(last_notice_day: Date, today: Date, open_objections: usize) -> Result<(), String> {
    if today <= last_notice_day {
        return Err(format!("公示期至 {last_notice_day} 届满，届满后方可确认列入"));
    }
    if open_objections > 0 {
        return Err(format!("尚有 {open_objections} 件异议未办结，办结后方可确认列入"));
    }
    Ok(())
}

/// How an entry stands in public on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicStanding {
    /// In its notice period (公示中).
    Notice,
    /// Listed and shown.
    Listed,
    /// Left the public list (expiry or early end) on this day.
    Exited(Date),
    /// Never public (proposed, rejected) or withdrawn during the notice.
    Hidden,
}

/// The public standing of an entry in `state` on `today`, from its stored days.
pub fn standing(
    state: EntryState,
    listed_on: Option<Date>,
    shown_until: Option<Date>,
    ended_on: Option<Date>,
    today: Date,
) -> PublicStanding {
    match state {
        EntryState::Notice => PublicStanding::Notice,
        EntryState::Listed => match (listed_on, shown_until) {
            (Some(from), Some(until)) if from <= today && today <= until => PublicStanding::Listed,
            (_, Some(until)) if today > until => PublicStanding::Exited(until.tomorrow().unwrap_or(until)),
            _ => PublicStanding::Hidden,
        },
        EntryState::Ended => match ended_on {
            Some(d) => PublicStanding::Exited(d),
            None => PublicStanding::Hidden,
        },
        _ => PublicStanding::Hidden,
    }
}
