//! Credit objections (信用异议): deadlines from `rules/objections.toml` and
//! the states an objection goes through.

use jiff::civil::Date;

use crate::calendar::Calendar;

/// The embedded default rule file.
pub const EMBEDDED: &str = include_str!("../../../../rules/objections.toml");

/// Working days to acknowledge, to decide, and by how much a decision may be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectionRules {
    pub acknowledge_days: u32,
    pub decide_days: u32,
    pub extension_days: u32,
}

impl ObjectionRules {
    pub fn embedded() -> ObjectionRules {
        ObjectionRules::parse(EMBEDDED).expect("embedded objection rules are valid")
    }

    pub fn parse(text: &str) -> Result<ObjectionRules, String> {
        let [acknowledge_days, decide_days, extension_days] =
            crate::rulefile::working_days(text, ["acknowledge", "decide", "extension"])?;
        Ok(ObjectionRules { acknowledge_days, decide_days, extension_days })
    }

    /// The last day to acknowledge an objection filed on `filed`.
    pub fn acknowledge_by(&self, filed: Date, cal: &Calendar) -> Date {
        cal.add_working_days(filed, self.acknowledge_days).value
    }

    /// The last day to decide it, extended or not.
    pub fn decide_by(&self, filed: Date, extended: bool, cal: &Calendar) -> Date {
        let days = self.decide_days + if extended { self.extension_days } else { 0 };
        cal.add_working_days(filed, days).value
    }
}

/// Where an objection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectionStatus {
    /// 已提交: filed, not yet acknowledged.
    Filed,
    /// 已受理
    Acknowledged,
    /// 异议成立: the record is to be corrected or withdrawn.
    Upheld,
    /// 异议不成立
    Rejected,
}

impl ObjectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionStatus::Filed => "filed",
            ObjectionStatus::Acknowledged => "acknowledged",
            ObjectionStatus::Upheld => "upheld",
            ObjectionStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<ObjectionStatus> {
        [ObjectionStatus::Filed, ObjectionStatus::Acknowledged, ObjectionStatus::Upheld, ObjectionStatus::Rejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ObjectionStatus::Filed => "已提交，待受理",
            ObjectionStatus::Acknowledged => "已受理，处理中",
            ObjectionStatus::Upheld => "异议成立",
            ObjectionStatus::Rejected => "异议不成立",
        }
    }
    /// Still being handled: the record shows "异议处理中".
    pub fn is_open(self) -> bool {
        matches!(self, ObjectionStatus::Filed | ObjectionStatus::Acknowledged)
    }
}

/// What staff do with an objection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectionAction {
    Acknowledge,
    /// Extend the decision deadline once, with a reason.
    Extend(String),
    Uphold(String),
    Reject(String),
}

impl ObjectionAction {
    /// The status after this action from `from`, or why it is not allowed.
    pub fn apply(&self, from: ObjectionStatus, extended: bool) -> Result<ObjectionStatus, &'static str> {
        use ObjectionStatus::*;
        match (self, from) {
            (_, Upheld | Rejected) => Err("该异议已办结"),
            (ObjectionAction::Acknowledge, Filed) => Ok(Acknowledged),
            (ObjectionAction::Acknowledge, _) => Err("该异议已受理"),
            (_, Filed) => Err("请先受理该异议"),
            (ObjectionAction::Extend(_), Acknowledged) if extended => Err("处理期限只能延长一次"),
            (ObjectionAction::Extend(_), Acknowledged) => Ok(Acknowledged),
            (ObjectionAction::Uphold(_), Acknowledged) => Ok(Upheld),
            (ObjectionAction::Reject(_), Acknowledged) => Ok(Rejected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_and_states() {
        let r = ObjectionRules::embedded();
        let cal = Calendar::embedded();
        let d = |s: &str| -> Date { s.parse().unwrap() };
        // Filed on Friday 2024-09-27: the National Day holiday and make-up days count.
        assert_eq!(r.acknowledge_by(d("2024-09-27"), &cal), d("2024-09-29"));
        assert_eq!(r.decide_by(d("2024-09-27"), false, &cal), d("2024-10-10"));
        assert_eq!(r.decide_by(d("2024-09-27"), true, &cal), d("2024-10-16"));
        use ObjectionStatus::*;
        let reason = || "理由".to_string();
        assert_eq!(ObjectionAction::Acknowledge.apply(Filed, false), Ok(Acknowledged));
        assert!(ObjectionAction::Reject(reason()).apply(Filed, false).is_err(), "acknowledge first");
        assert_eq!(ObjectionAction::Extend(reason()).apply(Acknowledged, false), Ok(Acknowledged));
        assert!(ObjectionAction::Extend(reason()).apply(Acknowledged, true).is_err(), "once");
        assert_eq!(ObjectionAction::Uphold(reason()).apply(Acknowledged, true), Ok(Upheld));
        assert!(ObjectionAction::Reject(reason()).apply(Upheld, false).is_err());
        assert!(Filed.is_open() && Acknowledged.is_open() && !Rejected.is_open());
        assert!(ObjectionRules::parse("[working_days]\nacknowledge = 0\ndecide = 5\nextension = 5\n").is_err());
    }
}
