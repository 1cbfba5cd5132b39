//! Publication deadlines: how many working days after its decision a record
//! must be public, from `rules/publication.toml`, and the deadline on the
//! working-day calendar.

use jiff::civil::Date;

use crate::calendar::{Answer, Calendar, CalendarError};
use crate::records::fields::RecordKind;

/// The embedded default rule file.
pub const EMBEDDED: &str = include_str!("../../../../rules/publication.toml");

/// The publication-deadline rule in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationRules {
    pub version: i64,
    pub source: String,
    pub license_days: u32,
    pub penalty_days: u32,
    /// Policy documents, news and commitments, from their issue date.
    pub document_days: u32,
    /// Withdrawing a record, from the decision that changed or revoked it.
    pub withdrawal_days: u32,
}

impl PublicationRules {
    pub fn embedded() -> PublicationRules {
        PublicationRules::parse(EMBEDDED).expect("embedded publication rules are valid")
    }

    pub fn parse(text: &str) -> Result<PublicationRules, CalendarError> {
        let err = |m: String| CalendarError { code: "publication.format", message: m };
        let [license_days, penalty_days, document_days, withdrawal_days] =
            crate::rulefile::working_days(text, ["license", "penalty", "document", "withdrawal"]).map_err(err)?;
        let t: toml::Table = text.parse().map_err(|e| err(format!("不是有效的 TOML：{e}")))?;
        Ok(PublicationRules {
            version: t.get("version").and_then(toml::Value::as_integer).unwrap_or(0),
            source: t.get("source").and_then(toml::Value::as_str).unwrap_or("").to_string(),
            license_days,
            penalty_days,
            document_days,
            withdrawal_days,
        })
    }

    pub fn days(&self, kind: RecordKind) -> u32 {
        match kind {
            RecordKind::License => self.license_days,
            RecordKind::Penalty => self.penalty_days,
        }
    }

    /// The last day on which a record decided on `decision_date` may be made public.
    pub fn deadline(&self, kind: RecordKind, decision_date: Date, calendar: &Calendar) -> Answer<Date> {
        calendar.add_working_days(decision_date, self.days(kind))
    }

    /// The last day on which a document issued on `issue_date` may be made public.
    pub fn document_deadline(&self, issue_date: Date, calendar: &Calendar) -> Answer<Date> {
        calendar.add_working_days(issue_date, self.document_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_calendar() {
        let rules = PublicationRules::embedded();
        let cal = Calendar::embedded();
        assert_eq!(rules.days(RecordKind::Penalty), 7);
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(rules.deadline(RecordKind::Penalty, d("2024-09-27"), &cal).value, d("2024-10-12"));
        assert_eq!(rules.deadline(RecordKind::License, d("2026-02-12"), &cal).value, d("2026-02-28"));
        assert!(rules.deadline(RecordKind::License, d("2026-12-28"), &cal).provisional);
        assert_eq!(rules.document_deadline(d("2024-04-30"), &cal).value, d("2024-05-13"));
    }

    #[test]
    fn bad_rule_files_are_refused() {
        assert!(PublicationRules::parse("[working_days]\nlicense = 7\n").is_err());
        assert!(
            PublicationRules::parse("[working_days]\nlicense = 0\npenalty = 7\ndocument = 7\nwithdrawal = 3\n")
                .is_err()
        );
        assert!(PublicationRules::parse("[working_days]\nlicense = 5\npenalty = 20\n").is_err(), "document missing");
        let r = PublicationRules::parse("[working_days]\nlicense = 5\npenalty = 20\ndocument = 3\nwithdrawal = 2\n")
            .unwrap();
        assert_eq!((r.days(RecordKind::License), r.days(RecordKind::Penalty), r.document_days), (5, 20, 3));
        assert_eq!(r.withdrawal_days, 2);
    }
}
