//! Tables of cases per warning rule, the scheduler's days and the retry policy.

use super::rules::{OutboxRules, RuleKind, WarningRule, WarningRules};
use super::warnings::*;
use crate::Date;
use crate::calendar::Calendar;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn only(kind: RuleKind) -> WarningRules {
    WarningRules {
        rules: vec![WarningRule { code: "r".into(), name: "规则".into(), kind }],
        ..WarningRules::embedded()
    }
}

fn penalty(record_id: i64, subject_id: i64, date: &str) -> PenaltyFact {
    PenaltyFact {
        record_id,
        subject_id,
        department_id: Some(10 + record_id),
        decision_no: format!("罚{record_id}"),
        decision_date: d(date),
    }
}

fn occasions(rules: &WarningRules, facts: &Facts, day: &str) -> Vec<(i64, String)> {
    evaluate(rules, facts, d(day), &Calendar::embedded()).into_iter().map(|r| (r.subject_id, r.occasion)).collect()
}

#[test]
fn the_shipped_file_parses_with_every_kind() {
    let r = WarningRules::embedded();
    let kinds: Vec<&str> = r.rules.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["penalties_within", "grade_drop", "licence_expiring", "rectification_due"]);
    assert_eq!(r.penalty_months(), 12);
    assert_eq!(r.licence_days(), 30);
    assert!(r.rules.iter().all(|r| !r.kind.describe().is_empty()));
}

#[test]
fn penalties_within_counts_the_look_back_inclusive() {
    let rules = only(RuleKind::PenaltiesWithin { count: 3, months: 12 });
    let facts = Facts {
        penalties: vec![
            // Subject 1: three within 12 months of 2026-06-30 (from 2025-07-01).
            penalty(1, 1, "2025-07-01"),
            penalty(2, 1, "2026-01-15"),
            penalty(3, 1, "2026-06-30"),
            // Subject 2: the first falls one day outside.
            penalty(4, 2, "2025-06-30"),
            penalty(5, 2, "2026-01-01"),
            penalty(6, 2, "2026-02-01"),
            // Subject 3: three, one decided after the day.
            penalty(7, 3, "2026-03-01"),
            penalty(8, 3, "2026-04-01"),
            penalty(9, 3, "2026-07-01"),
        ],
        ..Facts::default()
    };
    let cases: &[(&str, &[(i64, &str)])] = &[
        ("2026-06-30", &[(1, "record:3")]),
        // The window from 2025-06-30 holds subject 2's first penalty.
        ("2026-06-29", &[(2, "record:6")]),
        ("2026-07-01", &[(3, "record:9")]),
        ("2027-01-14", &[(3, "record:9")]),
        ("2027-03-01", &[]),
    ];
    for (day, want) in cases {
        let want: Vec<(i64, String)> = want.iter().map(|(s, o)| (*s, o.to_string())).collect();
        assert_eq!(occasions(&rules, &facts, day), want, "{day}");
    }
    let raised = evaluate(&rules, &facts, d("2026-06-30"), &Calendar::embedded());
    assert_eq!(raised[0].department_id, Some(13), "the latest penalty's department");
    assert!(raised[0].detail.contains("3 次") && raised[0].detail.contains("罚3"), "{}", raised[0].detail);
    // A fourth penalty is a new occasion; the same day again is the same one.
    let mut more = facts.clone();
    more.penalties.push(penalty(10, 1, "2026-06-30"));
    assert_eq!(occasions(&rules, &more, "2026-06-30"), [(1, "record:10".to_string())]);
}

#[test]
fn grade_drop_by_steps() {
    let change = |subject_id, before_rank, after_rank| GradeChange {
        scheme: "s".into(),
        scheme_name: "道路运输".into(),
        run_id: 7,
        subject_id,
        department_id: None,
        before: format!("g{before_rank}"),
        after: format!("g{after_rank}"),
        before_rank,
        after_rank,
    };
    let facts = Facts {
        grade_changes: vec![change(1, 0, 1), change(2, 1, 0), change(3, 0, 2), change(4, 2, 2)],
        ..Default::default()
    };
    let one = only(RuleKind::GradeDrop { steps: 1 });
    assert_eq!(occasions(&one, &facts, "2026-01-01"), [(1, "run:7".to_string()), (3, "run:7".to_string())]);
    let two = only(RuleKind::GradeDrop { steps: 2 });
    assert_eq!(occasions(&two, &facts, "2026-01-01"), [(3, "run:7".to_string())]);
}

#[test]
fn licence_expiring_within_days_inclusive() {
    let lic = |record_id, valid_to: &str| LicenceFact {
        record_id,
        subject_id: record_id,
        department_id: Some(1),
        decision_no: format!("许{record_id}"),
        valid_to: d(valid_to),
    };
    let facts = Facts {
        licences: vec![lic(1, "2026-03-01"), lic(2, "2026-03-31"), lic(3, "2026-04-01"), lic(4, "2026-02-28")],
        ..Default::default()
    };
    let rules = only(RuleKind::LicenceExpiring { days: 30 });
    assert_eq!(
        occasions(&rules, &facts, "2026-03-01"),
        [(1, "record:1:2026-03-01".to_string()), (2, "record:2:2026-03-31".to_string())]
    );
    // Already expired: not a warning of this rule.
    assert_eq!(occasions(&rules, &facts, "2026-04-02"), Vec::<(i64, String)>::new());
}

#[test]
fn rectification_due_in_working_days() {
    let facts = Facts {
        rectifications: vec![RectificationFact {
            draw_id: 5,
            subject_id: 9,
            subject_code: "X".into(),
            department_id: 2,
            matter_name: "道路运输企业检查".into(),
            // A Friday; 2 working days later is Tuesday 2026-11-10.
            inspected_on: d("2026-11-06"),
        }],
        ..Default::default()
    };
    let rules = only(RuleKind::RectificationDue { working_days: 2 });
    assert!(occasions(&rules, &facts, "2026-11-09").is_empty());
    assert_eq!(occasions(&rules, &facts, "2026-11-10"), [(9, "draw:5".to_string())]);
    assert_eq!(evaluate(&rules, &facts, d("2026-11-10"), &Calendar::embedded())[0].department_id, Some(2));
}

#[test]
fn evaluating_twice_gives_the_same_warnings() {
    let rules = WarningRules::embedded();
    let facts =
        Facts { penalties: (1..=4).map(|i| penalty(i, 1, &format!("2026-0{i}-01"))).collect(), ..Default::default() };
    let cal = Calendar::embedded();
    assert_eq!(evaluate(&rules, &facts, d("2026-05-01"), &cal), evaluate(&rules, &facts, d("2026-05-01"), &cal));
    assert_eq!(
        evaluate(&rules, &facts, d("2026-05-01"), &cal)[0].occasion,
        evaluate(&rules, &facts, d("2026-05-02"), &cal)[0].occasion
    );
}

#[test]
fn the_days_a_scheduler_evaluates() {
    let today = d("2026-12-03");
    assert_eq!(days_due(None, today, 31), [today]);
    assert_eq!(days_due(Some(today), today, 31), Vec::<Date>::new());
    assert_eq!(days_due(Some(d("2026-12-04")), today, 31), Vec::<Date>::new());
    assert_eq!(days_due(Some(d("2026-11-30")), today, 31), [d("2026-12-01"), d("2026-12-02"), today]);
    // At most catch_up days, ending today.
    assert_eq!(days_due(Some(d("2026-01-01")), today, 2), [d("2026-12-02"), today]);
}

#[test]
fn retries_double_up_to_the_maximum_then_stop() {
    let o = OutboxRules { first_retry_seconds: 30, max_retry_seconds: 100, max_attempts: 4 };
    assert_eq!((1..=5).map(|a| o.retry_after(a)).collect::<Vec<_>>(), [Some(30), Some(60), Some(100), None, None]);
    let big = OutboxRules { first_retry_seconds: 86_400, max_retry_seconds: 86_400, max_attempts: 100 };
    assert_eq!(big.retry_after(99), Some(86_400));
}

#[test]
fn a_broken_file_names_its_problem() {
    let good = super::rules::EMBEDDED;
    for (from, to, says) in [
        ("count = 3", "count = 0", "count"),
        ("kind = \"grade_drop\"", "kind = \"grade_up\"", "grade_up"),
        ("code = \"penalties\"", "code = \"Penalties!\"", "code"),
        ("max_retry_seconds = 3600", "max_retry_seconds = 10", "max_retry_seconds"),
        ("code = \"grade_drop\"", "code = \"penalties\"", "重复"),
        ("[scheduler]", "[scheduled]", "[scheduler]"),
    ] {
        assert!(good.contains(from), "{from}");
        let err = WarningRules::parse(&good.replacen(from, to, 1)).unwrap_err();
        assert!(err.contains(says), "{from}: {err}");
    }
}
