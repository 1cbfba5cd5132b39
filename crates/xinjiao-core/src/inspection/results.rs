//! Inspection results (检查结果): what an inspection of a drawn subject
//! found, and the deadline for publishing it (`rules/inspection.toml`,
//! working days from the inspection).

use crate::Date;
use crate::calendar::Calendar;

/// What an inspection found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// 未发现问题.
    Clean,
    /// 发现问题，责令整改.
    Rectification,
    /// 发现问题，已立案查处.
    Case,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Clean, Outcome::Rectification, Outcome::Case];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::Rectification => "rectification",
            Outcome::Case => "case",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Clean => "未发现问题",
            Outcome::Rectification => "发现问题，责令整改",
            Outcome::Case => "发现问题，已立案查处",
        }
    }

    /// By its code or its Chinese label.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s || o.label() == s)
    }

    /// Findings must be described unless nothing was found.
    pub fn needs_findings(self) -> bool {
        self != Outcome::Clean
    }
}

/// The last day a result of an inspection on `inspected_on` may be
/// published: `days` working days later.
pub fn publish_by(calendar: &Calendar, inspected_on: Date, days: u32) -> Date {
    calendar.add_working_days(inspected_on, days).value
}

/// Why a result cannot be entered as given (a Chinese message).
pub fn check_result(
    outcome: Outcome,
    findings: &str,
    inspected_on: Date,
    draw_run_on: Date,
    today: Date,
) -> Result<(), String> {
    if inspected_on < draw_run_on {
        return Err(format!("检查日期 {inspected_on} 早于抽取日期 {draw_run_on}"));
    }
    if inspected_on > today {
        return Err(format!("检查日期 {inspected_on} 晚于今天（{today}）"));
    }
    if outcome.needs_findings() && findings.trim().is_empty() {
        return Err(format!("“{}”须写明发现的问题", outcome.label()));
    }
    if findings.chars().count() > 2_000 {
        return Err("检查情况至多 2000 个字符".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_deadlines_and_checks() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(Outcome::parse(o.label()), Some(o));
        }
        assert_eq!(Outcome::parse("ok"), None);
        let cal = Calendar::embedded();
        // 2025-09-26 (Friday) + 20 working days, over the National Day holiday
        // (10-01 to 10-08 off, 09-28 and 10-11 worked).
        let d = publish_by(&cal, Date::constant(2025, 9, 26), 20);
        assert_eq!(d, cal.add_working_days(Date::constant(2025, 9, 26), 20).value);
        assert!(d > Date::constant(2025, 10, 24), "{d}: the holiday is not counted");
        let (run, today) = (Date::constant(2026, 11, 2), Date::constant(2026, 11, 20));
        assert!(check_result(Outcome::Clean, "", Date::constant(2026, 11, 5), run, today).is_ok());
        assert!(
            check_result(Outcome::Case, " ", Date::constant(2026, 11, 5), run, today).unwrap_err().contains("须写明")
        );
        assert!(
            check_result(Outcome::Clean, "", Date::constant(2026, 11, 1), run, today).unwrap_err().contains("早于")
        );
        assert!(
            check_result(Outcome::Clean, "", Date::constant(2026, 11, 21), run, today).unwrap_err().contains("晚于")
        );
        assert!(check_result(Outcome::Rectification, &"问".repeat(2001), run, run, today).is_err());
    }
}
