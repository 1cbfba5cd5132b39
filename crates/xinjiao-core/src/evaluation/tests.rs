//! The engine and the scheme files: band edges of the three shipped
//! schemes, the special rules, time travel, and file validation.

use jiff::civil::{Date, date};
use proptest::prelude::*;

use super::engine::{CreditEvent, Prior, evaluate, joint_venture_grade};
use super::scheme::{Cycle, CycleKind, Points, Scheme};

fn scheme(code: &str) -> Scheme {
    static EMBEDDED: std::sync::OnceLock<Vec<Scheme>> = std::sync::OnceLock::new();
    EMBEDDED.get_or_init(Scheme::embedded).iter().find(|s| s.code == code).unwrap().clone()
}

fn p(s: &str) -> Points {
    Points::parse(s).unwrap()
}

fn cycle(s: &Scheme, year: i16) -> Cycle {
    s.cycle.cycle(year).unwrap()
}

fn event(source: &str, item: &str, day: Date) -> CreditEvent {
    CreditEvent {
        source: source.into(),
        item: item.into(),
        points: None,
        date: day,
        known_from: day,
        void_from: None,
        penalty_until: None,
        record_id: None,
    }
}

/// The grade the bands give to a score (and demerits) of `code`'s version in force in 2025.
fn band(code: &str, score: &str, demerits: i64) -> String {
    let s = scheme(code);
    s.version_on(date(2025, 6, 1)).band(p(score), demerits).unwrap().grade.clone()
}

#[test]
fn every_shipped_scheme_parses_and_is_named_by_its_file() {
    for (code, text) in super::scheme::EMBEDDED {
        let s = Scheme::parse(text).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(&s.code, code);
    }
}

#[test]
fn band_edges() {
    // 公路施工企业: AA ≥ 95, A 85–<95, B 75–<85, C 60–<75, D < 60.
    for (score, grade) in [
        ("100", "AA"),
        ("95", "AA"),
        ("94.9", "A"),
        ("85", "A"),
        ("84.9", "B"),
        ("75", "B"),
        ("74.9", "C"),
        ("60", "C"),
        ("59.9", "D"),
        ("0", "D"),
    ] {
        assert_eq!(band("highway-construction", score, 0), grade, "highway {score}");
    }
    // 出租汽车驾驶员: AAA ≥ 20, AA 11–19, A 1–10, B 0 (bonus to 30).
    for (score, grade) in
        [("30", "AAA"), ("20", "AAA"), ("19", "AA"), ("11", "AA"), ("10", "A"), ("1", "A"), ("0", "B")]
    {
        assert_eq!(band("taxi-driver", score, 0), grade, "taxi {score}");
    }
    // Jiangsu: score and demerits together, with the open case decided in the file (C).
    for (score, demerits, grade) in [
        ("90", 0, "AA"),
        ("89.9", 0, "A"),
        ("80", 50, "A"),
        ("79.9", 0, "B"),
        ("60", 30, "B"),
        ("59.9", 19, "B"),
        ("40", 19, "B"),
        ("59.9", 20, "C"),
        ("40", 20, "C"),
        ("39.9", 20, "D"),
        ("0", 100, "D"),
        ("39.9", 19, "C"),
        ("0", 0, "C"),
    ] {
        assert_eq!(band("road-transport", score, demerits), grade, "jiangsu {score}/{demerits}");
    }
}

#[test]
fn floor_and_bonus_cap() {
    let s = scheme("taxi-driver");
    let c = cycle(&s, 2025);
    let prior = [Prior { cycle_year: 2024, grade: "AAA".into() }];
    // Two 20-point deductions: 20 - 40 would be -20; the floor is 0.
    let evs = [event("罚1", "TX-05", date(2025, 3, 1)), event("罚2", "TX-05", date(2025, 4, 1))];
    let e = evaluate(&s, c, &evs, &prior, date(2026, 1, 1)).unwrap();
    assert_eq!((e.score, e.grade.as_str()), (Points::whole(0), "B"));
    assert!(e.rules.iter().any(|r| r.rule == "floor"));
    // Bonuses of 8 + 7 are capped at 10: 20 + 10 - 3 = 27.
    let mut b1 = event("表彰1", "TX-B01", date(2025, 5, 1));
    b1.points = Some(Points::whole(8));
    let mut b2 = event("表彰2", "TX-B01", date(2025, 6, 1));
    b2.points = Some(Points::whole(7));
    let evs = [b1, b2, event("罚3", "TX-01", date(2025, 7, 1))];
    let e = evaluate(&s, c, &evs, &prior, date(2026, 1, 1)).unwrap();
    assert_eq!(e.score, Points::whole(27));
    assert!(e.rules.iter().any(|r| r.rule == "bonus_cap"));
    // A range item's points must be inside its range.
    let mut bad = event("表彰3", "TX-B01", date(2025, 5, 1));
    bad.points = Some(Points::whole(11));
    let err = evaluate(&s, c, &[bad], &prior, date(2026, 1, 1)).unwrap_err();
    assert!(err.message.contains("1 到 10"), "{}", err.message);
    let unknown = event("x", "TX-99", date(2025, 5, 1));
    assert!(evaluate(&s, c, &[unknown], &prior, date(2026, 1, 1)).unwrap_err().message.contains("TX-99"));
}

#[test]
fn one_step_up_per_cycle() {
    let s = scheme("highway-construction");
    let c = cycle(&s, 2025);
    // Nothing deducted in 2025 (score 100, AA by the bands), but C in 2024: at most B.
    let e = evaluate(&s, c, &[], &[Prior { cycle_year: 2024, grade: "C".into() }], date(2026, 1, 1)).unwrap();
    assert_eq!((e.banded_grade.as_str(), e.grade.as_str()), ("AA", "B"));
    assert!(e.rules.iter().any(|r| r.rule == "one_step_up"));
    // From A to AA is one step: allowed.
    let e = evaluate(&s, c, &[], &[Prior { cycle_year: 2024, grade: "A".into() }], date(2026, 1, 1)).unwrap();
    assert_eq!(e.grade, "AA");
    // Only the previous cycle limits (a C two cycles ago does not).
    let e = evaluate(&s, c, &[], &[Prior { cycle_year: 2023, grade: "C".into() }], date(2026, 1, 1)).unwrap();
    assert_eq!(e.grade, "AA");
}

#[test]
fn a_serious_act_gives_d_for_a_year_or_the_penalty_s_duration() {
    let s = scheme("highway-construction");
    let prior = [Prior { cycle_year: 2024, grade: "AA".into() }];
    let mut serious = event("河交罚〔2025〕9号", "HC-S01", date(2025, 3, 10));
    // Dynamic: D at once, in the middle of the cycle.
    let c = cycle(&s, 2025);
    let e = evaluate(&s, c, &[serious.clone()], &prior, date(2025, 3, 10)).unwrap();
    assert_eq!(e.grade, "D");
    assert!(e.rules.iter().any(|r| r.rule == "serious" && r.why.contains("2026-03-09")), "{:?}", e.rules);
    // Not before it happened.
    assert_eq!(evaluate(&s, c, &[serious.clone()], &prior, date(2025, 3, 9)).unwrap().grade, "AA");
    // A year: D up to 2026-03-09, in the next cycle too, not from 2026-03-10.
    let next = cycle(&s, 2026);
    assert_eq!(evaluate(&s, next, &[serious.clone()], &prior, date(2026, 3, 9)).unwrap().grade, "D");
    assert_ne!(evaluate(&s, next, &[serious.clone()], &prior, date(2026, 3, 10)).unwrap().grade, "D");
    // A penalty lasting longer keeps D as long.
    serious.penalty_until = Some(date(2026, 9, 30));
    assert_eq!(evaluate(&s, next, &[serious.clone()], &prior, date(2026, 9, 30)).unwrap().grade, "D");
    assert_ne!(evaluate(&s, next, &[serious], &prior, date(2026, 10, 1)).unwrap().grade, "D");
}

#[test]
fn first_time_subjects_and_joint_ventures() {
    let s = scheme("highway-construction");
    let c = cycle(&s, 2025);
    // No history, nothing in the cycle: A (not the AA a full score would give).
    let e = evaluate(&s, c, &[], &[], date(2026, 1, 1)).unwrap();
    assert_eq!((e.score, e.grade.as_str()), (Points::whole(100), "A"));
    assert!(e.rules.iter().any(|r| r.rule == "first_time"));
    // No history, one small deduction (98, AA by the bands): no better than B.
    let e = evaluate(&s, c, &[event("检查1", "HC-04", date(2025, 5, 1))], &[], date(2026, 1, 1)).unwrap();
    assert_eq!((e.score, e.banded_grade.as_str(), e.grade.as_str()), (Points::whole(98), "AA", "B"));
    // A joint venture takes its lowest member's grade.
    let v = s.version_on(date(2025, 1, 1));
    assert_eq!(joint_venture_grade(v, &["AA", "B", "A"]), Some("B"));
    assert_eq!(joint_venture_grade(v, &[]), None);
}

#[test]
fn cycle_boundaries_and_time_travel() {
    let s = scheme("highway-construction");
    let prior = [Prior { cycle_year: 2024, grade: "AA".into() }];
    let dec31 = event("12-31", "HC-02", date(2025, 12, 31));
    let jan1 = event("01-01", "HC-02", date(2026, 1, 1));
    let evs = [dec31, jan1];
    let y2025 = evaluate(&s, cycle(&s, 2025), &evs, &prior, date(2026, 1, 2)).unwrap();
    assert_eq!(y2025.items.iter().map(|a| a.source.as_str()).collect::<Vec<_>>(), ["12-31"]);
    assert_eq!(y2025.score, Points::whole(90));
    let y2026 = evaluate(&s, cycle(&s, 2026), &evs, &prior, date(2027, 1, 1)).unwrap();
    assert_eq!(y2026.items.iter().map(|a| a.source.as_str()).collect::<Vec<_>>(), ["01-01"]);
    // Known late, withdrawn later: as of each day, only what was known and not void.
    let mut late = event("补录", "HC-02", date(2025, 6, 1));
    late.known_from = date(2025, 9, 1);
    late.void_from = Some(date(2025, 11, 1));
    let c = cycle(&s, 2025);
    let on = |day| evaluate(&s, c, std::slice::from_ref(&late), &prior, day).unwrap().score;
    assert_eq!(on(date(2025, 8, 31)), Points::whole(100), "not yet known");
    assert_eq!(on(date(2025, 9, 1)), Points::whole(90), "known");
    assert_eq!(on(date(2025, 10, 31)), Points::whole(90));
    assert_eq!(on(date(2025, 11, 1)), Points::whole(100), "withdrawn");
    // The same inputs give the same answer every time.
    assert_eq!(
        evaluate(&s, c, &evs, &prior, date(2026, 1, 2)).unwrap(),
        evaluate(&s, c, &evs, &prior, date(2026, 1, 2)).unwrap()
    );
    // Cycles from a fixed day.
    let from_july = CycleKind::YearFrom(7, 1).cycle(2025).unwrap();
    assert_eq!((from_july.first, from_july.last), (date(2025, 7, 1), date(2026, 6, 30)));
    assert_eq!(CycleKind::YearFrom(7, 1).cycle_of(date(2026, 6, 30)).unwrap().year, 2025);
}

#[test]
fn taxi_bad_record_conditions() {
    let s = scheme("taxi-driver");
    let c = cycle(&s, 2025);
    // 20 → 17 → 2 (≤ 3: first drop) → bonus 5 → 7 → 2 (second drop).
    let mut bonus = event("表彰", "TX-B01", date(2025, 5, 1));
    bonus.points = Some(Points::whole(5));
    let evs = [
        event("a", "TX-01", date(2025, 1, 10)),
        event("b", "TX-04", date(2025, 2, 10)),
        event("c", "TX-05", date(2025, 3, 10)),
        bonus,
        event("d", "TX-03", date(2025, 6, 10)),
    ];
    let prior = [Prior { cycle_year: 2024, grade: "B".into() }];
    let e = evaluate(&s, c, &evs, &prior, date(2026, 1, 1)).unwrap();
    assert_eq!((e.score, e.grade.as_str()), (Points::whole(0), "B"));
    assert!(e.bad_record.iter().any(|b| b.contains("连续 2 个周期评为 B")), "{:?}", e.bad_record);
    assert!(e.bad_record.iter().any(|b| b.contains("2 次降至 3 分")), "{:?}", e.bad_record);
    let clean = evaluate(&s, c, &[], &prior, date(2026, 1, 1)).unwrap();
    assert!(clean.bad_record.is_empty());
}

#[test]
fn a_fourth_scheme_is_a_file_alone() {
    let text = r#"
code = "driver-training"
name = "机动车驾驶员培训机构质量信誉考核"
evaluates = "organisations"
field = "驾驶培训"
cycle = "year_from:07-01"

[[version]]
id = "local-1"
effective_from = "2024-07-01"
source = "本平台测试用"
base = 1000
bonus_cap = 100
floor = 0
valid_months = 12
default_grade = "AA"

[[version.bands]]
grade = "AAA"
when = [{ score_min = 900 }]
[[version.bands]]
grade = "AA"
when = [{ score_min = 750, score_below = 900 }]
[[version.bands]]
grade = "A"
when = [{ score_min = 600, score_below = 750 }]
[[version.bands]]
grade = "B"
when = [{ score_below = 600 }]

[[version.items]]
code = "DT-01"
name = "未按大纲培训"
points = -200
"#;
    let s = Scheme::parse(text).unwrap();
    let c = s.cycle.cycle(2025).unwrap();
    let prior = [Prior { cycle_year: 2024, grade: "AA".into() }];
    let e = evaluate(&s, c, &[event("培训", "DT-01", date(2026, 2, 1))], &prior, date(2026, 7, 1)).unwrap();
    assert_eq!((e.score, e.grade.as_str(), e.cycle.last), (Points::whole(800), "AA", date(2026, 6, 30)));
}

#[test]
fn scheme_files_that_would_grade_wrongly_are_refused() {
    let base = scheme_text_with_bands(
        r#"[[version.bands]]
grade = "A"
when = [{ score_min = 60 }]
[[version.bands]]
grade = "B"
when = [{ score_below = 50 }]"#,
    );
    let err = Scheme::parse(&base).unwrap_err();
    assert!(err.contains("不属于任何等级") && err.contains("得分 50"), "{err}");
    let upside_down = scheme_text_with_bands(
        r#"[[version.bands]]
grade = "A"
when = [{ score_below = 60 }]
[[version.bands]]
grade = "B"
when = [{ score_min = 60 }]"#,
    );
    assert!(Scheme::parse(&upside_down).unwrap_err().contains("分数越高等级不应越低"));
    let demerits_help = scheme_text_with_bands(
        r#"[[version.bands]]
grade = "A"
when = [{ demerits_min = 5 }]
[[version.bands]]
grade = "B"
when = [{ demerits_below = 5 }]"#,
    );
    assert!(Scheme::parse(&demerits_help).unwrap_err().contains("记分越多等级不应越高"));
    let three_decimals = scheme_text_with_bands(
        r#"[[version.bands]]
grade = "A"
when = [{ score_min = 59.95 }]
[[version.bands]]
grade = "B"
when = [{ score_below = 59.95 }]"#,
    );
    assert!(Scheme::parse(&three_decimals).unwrap_err().contains("至多一位小数"));
    let unknown_key = scheme_text_with_bands(
        r#"[[version.bands]]
grade = "A"
when = [{ score_over = 60 }]
[[version.bands]]
grade = "B"
when = [{}]"#,
    );
    assert!(Scheme::parse(&unknown_key).unwrap_err().contains("未知的键 score_over"));
}

fn scheme_text_with_bands(bands: &str) -> String {
    format!(
        r#"code = "t"
name = "t"
evaluates = "organisations"
field = "t"
cycle = "calendar_year"
[[version]]
id = "1"
effective_from = "2024-01-01"
source = "t"
base = 100
valid_months = 12
default_grade = "A"
{bands}
[[version.items]]
code = "X"
name = "x"
points = -1
"#
    )
}

#[test]
fn points_read_and_print_with_one_decimal() {
    assert_eq!(Points::parse("94.9"), Some(Points(949)));
    assert_eq!(Points::parse("-2.5"), Some(Points(-25)));
    assert_eq!(Points::parse("100"), Some(Points(1000)));
    for bad in ["", "1.", ".5", "1.25", "a", "--1", "1e3"] {
        assert_eq!(Points::parse(bad), None, "{bad}");
    }
    assert_eq!(Points(949).to_string(), "94.9");
    assert_eq!(Points(-25).to_string(), "-2.5");
    assert_eq!(Points(1000).to_string(), "100");
}

/// Any mix of the taxi scheme's items (and bonuses) in a cycle.
fn taxi_events() -> impl Strategy<Value = Vec<CreditEvent>> {
    prop::collection::vec((0usize..6, 1i64..=10, 0i64..365), 0..12).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (item, bonus, day))| {
                let code = ["TX-01", "TX-02", "TX-03", "TX-04", "TX-05", "TX-B01"][item];
                let mut e = event(&format!("e{i}"), code, date(2025, 1, 1) + jiff::Span::new().days(day));
                e.known_from = e.date;
                if code == "TX-B01" {
                    e.points = Some(Points::whole(bonus));
                }
                e
            })
            .collect()
    })
}

proptest! {
    /// The score stays within [floor, base + bonus cap]; a grade never rises
    /// more than the scheme allows above the previous cycle's; the bands are
    /// monotone in the score.
    #[test]
    fn scores_stay_in_range_and_grades_rise_one_step(events in taxi_events(), prev in 0usize..4) {
        for code in ["taxi-driver", "highway-construction"] {
            let s = scheme(code);
            let v = s.version_on(date(2025, 6, 1));
            let prev_grade = v.bands[prev.min(v.bands.len() - 1)].grade.clone();
            let prior = [Prior { cycle_year: 2024, grade: prev_grade.clone() }];
            let evs: Vec<CreditEvent> = if code == "taxi-driver" { events.clone() } else { vec![] };
            let e = evaluate(&s, cycle(&s, 2025), &evs, &prior, date(2026, 1, 1)).unwrap();
            prop_assert!(e.score >= v.floor && e.score <= v.ceiling());
            if v.max_steps_up > 0 {
                let (now, before) = (v.rank(&e.grade).unwrap(), v.rank(&prev_grade).unwrap());
                prop_assert!(now + v.max_steps_up as usize >= before);
            }
        }
    }

    #[test]
    fn higher_scores_never_grade_lower(a in 0i64..=1000, b in 0i64..=1000, d in 0i64..60) {
        for code in ["highway-construction", "road-transport", "taxi-driver"] {
            let s = scheme(code);
            let v = s.version_on(date(2025, 6, 1));
            let (lo, hi) = (Points(a.min(b).min(v.ceiling().0)), Points(a.max(b).min(v.ceiling().0)));
            let r = |x| v.rank(&v.band(x, d).unwrap().grade).unwrap();
            prop_assert!(r(hi) <= r(lo));
        }
    }
}

mod event_rows {
    use super::*;
    use crate::evaluation::events::parse_event_row;
    use crate::records::diag::CODES;
    use crate::records::record::FieldValues;

    fn row(pairs: &[(&'static str, &str)]) -> FieldValues {
        let mut m = FieldValues::new();
        for (k, v) in [
            ("PJ_ZTDM", "91350100M000100Y43"),
            ("PJ_ZTMC", "河源市顺达路桥工程有限公司"),
            ("PJ_TX", "highway-construction"),
            ("PJ_SXDM", "HC-04"),
            ("PJ_FSRQ", "2025-05-06"),
            ("PJ_YJ", "河交质检〔2025〕3号"),
        ] {
            m.insert(k, v.to_string());
        }
        for (k, v) in pairs {
            m.insert(k, v.to_string());
        }
        m
    }

    fn codes(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, &'static str)> {
        let schemes = Scheme::embedded();
        match parse_event_row(&row(pairs), &schemes, date(2026, 12, 1)) {
            Ok(_) => vec![],
            Err(d) => {
                for x in &d {
                    assert!(CODES.iter().any(|(c, _)| *c == x.code), "undocumented code {}", x.code);
                    assert!(!x.message.is_empty());
                }
                d.iter().map(|x| (x.field, x.code)).collect()
            }
        }
    }

    #[test]
    fn a_valid_row_and_one_rule_broken_at_a_time() {
        let schemes = Scheme::embedded();
        let ok = parse_event_row(&row(&[]), &schemes, date(2026, 12, 1)).unwrap();
        assert_eq!(
            (ok.scheme.as_str(), ok.item.as_str(), ok.points, ok.person),
            ("highway-construction", "HC-04", None, false)
        );
        // The scheme by its Chinese name; a range item with its points.
        let by_name = parse_event_row(
            &row(&[("PJ_TX", "公路施工企业信用评价"), ("PJ_SXDM", "HC-05"), ("PJ_FZ", "-7.5")]),
            &schemes,
            date(2026, 12, 1),
        )
        .unwrap();
        assert_eq!(by_name.points, Some(Points(-75)));
        assert_eq!(codes(&[("PJ_ZTDM", "")]), [("PJ_ZTDM", "field.required")]);
        assert_eq!(codes(&[("PJ_ZTDM", "91350100M000100Y44")]), [("PJ_ZTDM", "uscc.check_digit")]);
        assert_eq!(codes(&[("PJ_ZTDM", "110101199003074478")]), [("PJ_ZTDM", "id_card.check_digit")]);
        assert_eq!(codes(&[("PJ_ZTDM", "ABC")]), [("PJ_ZTDM", "subject.code")]);
        assert_eq!(codes(&[("PJ_ZTDM", "110101199003074477")]), [("PJ_ZTDM", "subject.kind_mismatch")]);
        assert_eq!(codes(&[("PJ_TX", "no-such")]), [("PJ_TX", "scheme.unknown")]);
        assert_eq!(codes(&[("PJ_SXDM", "HC-99")]), [("PJ_SXDM", "item.unknown")]);
        assert_eq!(codes(&[("PJ_SXDM", "HC-05")]), [("PJ_FZ", "points.required")]);
        assert_eq!(codes(&[("PJ_SXDM", "HC-05"), ("PJ_FZ", "-21")]), [("PJ_FZ", "points.range")]);
        assert_eq!(codes(&[("PJ_SXDM", "HC-05"), ("PJ_FZ", "-2.25")]), [("PJ_FZ", "points.range")]);
        assert_eq!(codes(&[("PJ_FZ", "-2")]), [("PJ_FZ", "points.not_allowed")]);
        assert_eq!(codes(&[("PJ_FSRQ", "2027-01-01")]), [("PJ_FSRQ", "date.future")]);
        assert_eq!(codes(&[("PJ_FSRQ", "明天")]), [("PJ_FSRQ", "date.format")]);
        assert_eq!(codes(&[("PJ_YJ", &"文".repeat(201))]), [("PJ_YJ", "field.too_long")]);
        // A person's scheme takes an ID card number.
        let taxi = [("PJ_TX", "taxi-driver"), ("PJ_SXDM", "TX-01"), ("PJ_ZTDM", "110101199003074477")];
        assert_eq!(codes(&taxi), []);
        assert_eq!(codes(&[("PJ_TX", "taxi-driver"), ("PJ_SXDM", "TX-01")]), [("PJ_ZTDM", "subject.kind_mismatch")]);
    }
}

mod penalties {
    use super::*;
    use crate::evaluation::penalties::{PenaltyFacts, penalty_events};

    fn facts<'a>(violation: &'a str, basis: &'a str, person: bool) -> PenaltyFacts<'a> {
        PenaltyFacts {
            record_id: 7,
            decision_no: "河交罚〔2025〕1号",
            person,
            violation,
            basis,
            classes: vec!["罚款"],
            decided: date(2025, 5, 6),
            known_from: date(2025, 5, 8),
            void_from: None,
            until: Some(date(2025, 5, 13)),
            item: None,
        }
    }

    #[test]
    fn penalties_map_to_the_items_their_schemes_name() {
        let schemes = Scheme::embedded();
        let got = |f: &PenaltyFacts| -> Vec<(String, String)> {
            penalty_events(&schemes, f).into_iter().map(|(s, e)| (s, e.item)).collect()
        };
        assert_eq!(
            got(&facts("超限运输", "《公路安全保护条例》第六十四条", false)),
            [("road-transport".into(), "RT-01".into())]
        );
        // The more specific mapping first: a serious act.
        assert_eq!(
            got(&facts("严重违法超限运输", "《公路安全保护条例》第六十六条", false)),
            [("road-transport".into(), "RT-S01".into())]
        );
        // By the legal basis text.
        assert_eq!(
            got(&facts("施工现场安全防护不到位", "《公路水运工程安全生产监督管理办法》第六十条", false)),
            [("highway-construction".into(), "HC-01".into())]
        );
        // A person's penalty goes to the persons' scheme only.
        assert_eq!(
            got(&facts("网约车未取得经营许可从事经营", "《网络预约出租汽车经营服务管理暂行办法》", true)),
            [("taxi-driver".into(), "TX-04".into())]
        );
        assert!(got(&facts("未按规定办理手续", "某条例", false)).is_empty(), "no mapping, no event");
        // An item the department named wins in its scheme; others map as usual.
        let named = PenaltyFacts { item: Some("RT-05"), ..facts("超限运输", "", false) };
        assert_eq!(got(&named), [("road-transport".into(), "RT-05".into())]);
        let highway = PenaltyFacts { item: Some("HC-02"), ..facts("超限运输", "", false) };
        assert_eq!(
            got(&highway),
            [("highway-construction".into(), "HC-02".into()), ("road-transport".into(), "RT-01".into())]
        );
        // The event carries the record's dates.
        let (_, e) = penalty_events(&schemes, &facts("超限运输", "", false)).remove(0);
        assert_eq!(
            (e.source.as_str(), e.date, e.known_from, e.penalty_until),
            ("河交罚〔2025〕1号", date(2025, 5, 6), date(2025, 5, 8), Some(date(2025, 5, 13)))
        );
    }

    #[test]
    fn a_mapping_to_an_item_without_fixed_points_is_refused() {
        let text = include_str!("../../../../rules/evaluation/highway-construction.toml")
            .replace("item = \"HC-02\"", "item = \"HC-05\"");
        assert!(Scheme::parse(&text).unwrap_err().contains("须为固定分值"));
    }
}

#[test]
fn inspection_mappings_name_an_outcome_and_an_item_of_fixed_points() {
    let text = crate::evaluation::scheme::EMBEDDED.iter().find(|(c, _)| *c == "road-transport").unwrap().1;
    let with = |table: &str| text.replacen("[[version.mapping]]", &format!("{table}\n\n[[version.mapping]]"), 1);
    let ok = Scheme::parse(&with("[[version.inspection]]\noutcome = \"case\"\nitem = \"RT-03\"")).unwrap();
    assert_eq!(ok.versions[0].inspection, [("case".to_string(), "RT-03".to_string())]);
    assert!(Scheme::shipped().iter().all(|s| s.versions.iter().all(|v| v.inspection.is_empty())), "none shipped");
    for (table, needle) in [
        ("[[version.inspection]]\noutcome = \"ok\"\nitem = \"RT-03\"", "outcome"),
        ("[[version.inspection]]\noutcome = \"未发现问题\"\nitem = \"RT-03\"", "outcome"),
        ("[[version.inspection]]\noutcome = \"clean\"\nitem = \"RT-99\"", "不存在"),
        ("[[version.inspection]]\noutcome = \"clean\"\nitem = \"RT-B01\"", "固定分值"),
        (
            "[[version.inspection]]\noutcome = \"case\"\nitem = \"RT-03\"\n\n[[version.inspection]]\noutcome = \"case\"\nitem = \"RT-01\"",
            "重复",
        ),
    ] {
        let e = Scheme::parse(&with(table)).unwrap_err();
        assert!(e.contains(needle), "{needle}: {e}");
    }
}
