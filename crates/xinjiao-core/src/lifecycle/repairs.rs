//! Credit repair (信用修复): deadlines from `rules/repair.toml`, who may apply
//! when, and the states of an application. An approved repair ends the
//! record's publication at once; a repair revoked because the commitment
//! proved false restores it.

use jiff::civil::Date;

use crate::calendar::Calendar;

/// The embedded default rule file.
pub const EMBEDDED: &str = include_str!("../../../../rules/repair.toml");

/// Working days to accept an application and to decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairRules {
    pub accept_days: u32,
    pub decide_days: u32,
}

impl RepairRules {
    pub fn embedded() -> RepairRules {
        RepairRules::parse(EMBEDDED).expect("embedded repair rules are valid")
    }

    pub fn parse(text: &str) -> Result<RepairRules, String> {
        let [accept_days, decide_days] = crate::rulefile::working_days(text, ["accept", "decide"])?;
        Ok(RepairRules { accept_days, decide_days })
    }

    pub fn accept_by(&self, filed: Date, cal: &Calendar) -> Date {
        cal.add_working_days(filed, self.accept_days).value
    }

    pub fn decide_by(&self, filed: Date, cal: &Calendar) -> Date {
        cal.add_working_days(filed, self.decide_days).value
    }
}

/// Whether a record may be repaired on `today`: a penalty, still public, whose
/// minimum period has passed (a penalty with no repair date is never
/// repaired early). The error says why not, in Chinese.
pub fn can_apply(
    is_penalty: bool,
    repairable_from: Option<Date>,
    public_until: Option<Date>,
    today: Date,
) -> Result<(), String> {
    if !is_penalty {
        return Err("只有行政处罚信息可以申请信用修复。".into());
    }
    if public_until.is_some_and(|u| u <= today) {
        return Err("该记录已不在公示期内，无需修复。".into());
    }
    match repairable_from {
        Some(d) if d > today => Err(format!("最短公示期未满，自 {d} 起可以申请信用修复。")),
        Some(_) => Ok(()),
        None => Err("该记录的最短公示期与最长公示期相同，期满自动停止公示，不适用提前信用修复。".into()),
    }
}

/// Where a repair application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairStatus {
    Filed,
    Accepted,
    Approved,
    Refused,
    /// Approved, then revoked because the commitment proved false.
    Revoked,
}

impl RepairStatus {
    const ALL: [RepairStatus; 5] = [
        RepairStatus::Filed,
        RepairStatus::Accepted,
        RepairStatus::Approved,
        RepairStatus::Refused,
        RepairStatus::Revoked,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RepairStatus::Filed => "filed",
            RepairStatus::Accepted => "accepted",
            RepairStatus::Approved => "approved",
            RepairStatus::Refused => "refused",
            RepairStatus::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<RepairStatus> {
        RepairStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            RepairStatus::Filed => "已提交，待受理",
            RepairStatus::Accepted => "已受理，审核中",
            RepairStatus::Approved => "修复成功，已停止公示",
            RepairStatus::Refused => "不予修复",
            RepairStatus::Revoked => "修复已撤销（承诺不实），恢复公示",
        }
    }
    /// Waiting for the department (accept or decide).
    pub fn is_open(self) -> bool {
        matches!(self, RepairStatus::Filed | RepairStatus::Accepted)
    }
    /// Blocks a new application for the same record.
    pub fn is_pending_or_done(self) -> bool {
        matches!(self, RepairStatus::Filed | RepairStatus::Accepted | RepairStatus::Approved)
    }
}

/// What staff do with an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairAction {
    Accept,
    Approve(String),
    Refuse(String),
    Revoke(String),
}

impl RepairAction {
    pub fn apply(&self, from: RepairStatus) -> Result<RepairStatus, &'static str> {
        use RepairStatus::*;
        match (self, from) {
            (RepairAction::Accept, Filed) => Ok(Accepted),
            (RepairAction::Refuse(_), Filed | Accepted) => Ok(Refused),
            (RepairAction::Approve(_), Accepted) => Ok(Approved),
            (RepairAction::Approve(_), Filed) => Err("请先受理该申请"),
            (RepairAction::Revoke(_), Approved) => Ok(Revoked),
            (RepairAction::Revoke(_), _) => Err("只能撤销已批准的修复"),
            _ => Err("该申请已办结"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligibility_deadlines_and_states() {
        let d = |s: &str| -> Date { s.parse().unwrap() };
        assert!(can_apply(true, Some(d("2026-08-10")), Some(d("2027-05-10")), d("2026-08-10")).is_ok());
        // No repair date: the minimum period reaches the maximum (rules/disclosure.toml).
        assert!(
            can_apply(true, None, Some(d("2027-05-10")), d("2026-08-10")).unwrap_err().contains("不适用提前信用修复")
        );
        assert!(
            can_apply(true, Some(d("2026-08-10")), Some(d("2027-05-10")), d("2026-08-09"))
                .unwrap_err()
                .contains("2026-08-10")
        );
        assert!(
            can_apply(true, Some(d("2026-08-10")), Some(d("2027-05-10")), d("2027-05-10")).is_err(),
            "no longer public"
        );
        assert!(can_apply(false, None, None, d("2026-08-10")).is_err());
        let r = RepairRules::embedded();
        let cal = Calendar::embedded();
        assert_eq!(r.accept_by(d("2024-09-27"), &cal), d("2024-10-08"));
        use RepairStatus::*;
        let why = || "理由".to_string();
        assert_eq!(RepairAction::Accept.apply(Filed), Ok(Accepted));
        assert!(RepairAction::Approve(why()).apply(Filed).is_err());
        assert_eq!(RepairAction::Approve(why()).apply(Accepted), Ok(Approved));
        assert_eq!(RepairAction::Refuse(why()).apply(Filed), Ok(Refused));
        assert_eq!(RepairAction::Revoke(why()).apply(Approved), Ok(Revoked));
        assert!(RepairAction::Revoke(why()).apply(Refused).is_err());
        assert!(RepairAction::Accept.apply(Approved).is_err());
        assert!(Approved.is_pending_or_done() && !Refused.is_pending_or_done() && !Revoked.is_pending_or_done());
    }
}
