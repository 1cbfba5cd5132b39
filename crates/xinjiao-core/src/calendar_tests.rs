//! Calendar tests: the official vectors, the yearly counts, an independent
//! day-by-day table, validation of bad files, and properties.

use super::*;
use proptest::prelude::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn official_vectors() {
    let cal = Calendar::embedded();
    for (from, n, want) in [
        ("2024-09-27", 7, "2024-10-12"),
        ("2025-01-24", 7, "2025-02-10"),
        ("2026-02-12", 7, "2026-02-28"),
        ("2023-09-28", 7, "2023-10-13"),
        ("2024-04-30", 7, "2024-05-13"),
    ] {
        let a = cal.add_working_days(d(from), n);
        assert_eq!(a.value, d(want), "{from} + {n}");
        assert!(!a.provisional);
    }
}

#[test]
fn working_days_per_year_match_the_reference() {
    // rules-reference §10: 2023 = 249, 2024 = 251, 2025 = 248, 2026 = 248.
    let cal = Calendar::embedded();
    for (year, want) in [(2023, 249), (2024, 251), (2025, 248), (2026, 248)] {
        let n = cal.working_days_between(Date::new(year - 1, 12, 31).unwrap(), Date::new(year, 12, 31).unwrap());
        assert_eq!(n.value, want, "{year}");
        assert!(!n.provisional);
    }
}

/// An independent table: for each year, the weekday dates off and the weekend
/// dates worked, written out day by day from the State Council notices
/// (not from the rule files).
const INDEPENDENT: &[(i16, &str, &str)] = &[
    (
        2023,
        "0102 0123 0124 0125 0126 0127 0405 0501 0502 0503 0622 0623 0929 1002 1003 1004 1005 1006",
        "0128 0129 0423 0506 0625 1007 1008",
    ),
    (
        2024,
        "0101 0212 0213 0214 0215 0216 0404 0405 0501 0502 0503 0610 0916 0917 1001 1002 1003 1004 1007",
        "0204 0218 0407 0428 0511 0914 0929 1012",
    ),
    (
        2025,
        "0101 0128 0129 0130 0131 0203 0204 0404 0501 0502 0505 0602 1001 1002 1003 1006 1007 1008",
        "0126 0208 0427 0928 1011",
    ),
    (
        2026,
        "0101 0102 0216 0217 0218 0219 0220 0223 0406 0501 0504 0505 0619 0925 1001 1002 1005 1006 1007",
        "0104 0214 0228 0509 0920 1010",
    ),
];

#[test]
fn every_day_of_2023_to_2026_matches_an_independent_table() {
    let cal = Calendar::embedded();
    for (year, off, work) in INDEPENDENT {
        let parse = |list: &str| -> BTreeSet<Date> {
            list.split_whitespace()
                .map(|md| Date::new(*year, md[..2].parse().unwrap(), md[2..].parse().unwrap()).unwrap())
                .collect()
        };
        let (off, work) = (parse(off), parse(work));
        let mut day = Date::new(*year, 1, 1).unwrap();
        while day.year() == *year {
            let want = work.contains(&day) || (!is_weekend(day) && !off.contains(&day));
            assert_eq!(cal.is_working_day(day).value, want, "{day}");
            day = day.tomorrow().unwrap();
        }
    }
}

#[test]
fn years_without_data_are_provisional() {
    let cal = Calendar::embedded();
    let a = cal.add_working_days(d("2026-12-28"), 7);
    assert!(a.provisional, "crosses into 2027");
    assert_eq!(a.value, d("2027-01-06"), "weekends only in 2027");
    assert!(!cal.add_working_days(d("2026-12-01"), 7).provisional);
    assert!(cal.is_working_day(d("2027-10-01")).provisional);
    // Loading the year removes the provisional mark and changes the answer.
    let mut cal = cal;
    let y2027 = "year = 2027\n[[holidays]]\nname = \"元旦\"\noff = [\"2027-01-01\"]\n\
        [[holidays]]\nname = \"春节\"\noff = [\"2027-02-06..2027-02-12\"]\n\
        [[holidays]]\nname = \"清明节\"\noff = [\"2027-04-05\"]\n\
        [[holidays]]\nname = \"劳动节\"\noff = [\"2027-05-03\"]\n\
        [[holidays]]\nname = \"端午节\"\noff = [\"2027-06-09\"]\n\
        [[holidays]]\nname = \"中秋节\"\noff = [\"2027-09-15\"]\n\
        [[holidays]]\nname = \"国庆节\"\noff = [\"2027-10-01\"]\n";
    cal.insert(YearCalendar::parse(y2027).unwrap());
    let a = cal.add_working_days(d("2026-12-28"), 7);
    assert!(!a.provisional);
    assert_eq!(a.value, d("2027-01-07"), "2027-01-01 is now a day off");
}

#[test]
fn bad_files_are_refused_with_reasons() {
    let base = "year = 2030\n[[holidays]]\nname = \"元旦\"\noff = [\"2030-01-01\"]\n\
        [[holidays]]\nname = \"春节\"\noff = [\"2030-02-03..2030-02-09\"]\nwork = [\"2030-02-10\"]\n\
        [[holidays]]\nname = \"清明节\"\noff = [\"2030-04-05\"]\n\
        [[holidays]]\nname = \"劳动节\"\noff = [\"2030-05-01\"]\n\
        [[holidays]]\nname = \"端午节\"\noff = [\"2030-06-05\"]\n\
        [[holidays]]\nname = \"中秋节、国庆节\"\noff = [\"2030-10-01\"]\n";
    assert!(YearCalendar::parse(base).is_ok());
    let code = |text: &str| YearCalendar::parse(text).unwrap_err().code;
    assert_eq!(code(&base.replace("2030-02-10", "2030-02-11")), "calendar.work_not_weekend");
    assert_eq!(code(&base.replace("work = [\"2030-02-10\"]", "work = [\"2030-02-09\"]")), "calendar.both");
    assert_eq!(code(&base.replace("name = \"端午节\"", "name = \"其他\"")), "calendar.incomplete");
    assert_eq!(code(&base.replace("2030-04-05", "2031-04-05")), "calendar.outside_year");
    assert_eq!(code(&base.replace("2030-04-05", "2030-04-31")), "calendar.date");
    assert_eq!(code(&base.replace("2030-02-03..2030-02-09", "2030-02-09..2030-02-03")), "calendar.range");
    assert_eq!(code("year = 1800\n"), "calendar.year");
    assert_eq!(code("not toml ["), "calendar.format");
    let msg = YearCalendar::parse(&base.replace("name = \"端午节\"", "name = \"其他\"")).unwrap_err().message;
    assert!(msg.contains("端午"), "{msg}");
}

proptest! {
    #[test]
    fn adding_is_monotonic_and_lands_on_working_days(days in 0i32..1500, n in 1u32..40) {
        let cal = Calendar::embedded();
        let start = Date::new(2023, 1, 1).unwrap().checked_add(jiff::Span::new().days(days)).unwrap();
        let a = cal.add_working_days(start, n).value;
        let b = cal.add_working_days(start, n + 1).value;
        prop_assert!(a > start && b > a);
        prop_assert!(cal.is_working_day(a).value, "{} is not a working day", a);
        prop_assert_eq!(cal.working_days_between(start, a).value, n);
        // Days strictly between two consecutive results are days off.
        let mut day = a.tomorrow().unwrap();
        while day < b {
            prop_assert!(!cal.is_working_day(day).value);
            day = day.tomorrow().unwrap();
        }
    }

    #[test]
    fn between_is_additive(a in 0i32..1400, x in 0i32..200, y in 0i32..200) {
        let cal = Calendar::embedded();
        let d0 = Date::new(2023, 1, 1).unwrap().checked_add(jiff::Span::new().days(a)).unwrap();
        let d1 = d0.checked_add(jiff::Span::new().days(x)).unwrap();
        let d2 = d1.checked_add(jiff::Span::new().days(y)).unwrap();
        prop_assert_eq!(
            cal.working_days_between(d0, d2).value,
            cal.working_days_between(d0, d1).value + cal.working_days_between(d1, d2).value
        );
    }
}
