//! The vehicle limits at every row ±1 kg with their adjustments, the rolling
//! 12 months at both ends, each computed criterion on both sides of its
//! threshold, the rows of both files and the list files.

use jiff::civil::{Date, date};

use super::definition::{Computation, ListDefinition, ListKind, PartyType};
use super::limits::{Axles, NoLimit, VehicleLimits, VehicleType, assess};
use super::overload::*;
use crate::records::ids::{id_card_check_char, org_check_char, uscc_check_char};
use crate::records::record::{Amount, FieldValues};

/// A valid USCC of an enterprise in Heyuan (441600) numbered `n`.
pub(crate) fn uscc(n: u32) -> String {
    let org8 = format!("{n:08}");
    let org = format!("{org8}{}", org_check_char(org8.as_bytes()).unwrap());
    let first17 = format!("91441600{org}");
    format!("{first17}{}", uscc_check_char(first17.as_bytes()).unwrap())
}

/// A valid ID card number of a driver numbered `n`.
pub(crate) fn id_card(n: u32) -> String {
    let first17 = format!("44160219800101{:03}", n % 1000);
    format!("{first17}{}", id_card_check_char(first17.as_bytes()).unwrap())
}

fn limits() -> &'static VehicleLimits {
    VehicleLimits::embedded()
}

const DAY: Date = date(2026, 6, 1);

fn axles(total: u8) -> Axles {
    Axles { total, single_tyre: 0, drive: None }
}

#[test]
fn every_row_of_the_table_at_its_limit_and_one_kilogram_either_side() {
    use VehicleType::{Combination as C, Truck as T};
    let table = [
        (T, 2, 18_000),
        (T, 3, 25_000),
        (C, 3, 27_000),
        (T, 4, 31_000),
        (C, 4, 36_000),
        (C, 5, 43_000),
        (C, 6, 49_000),
        (C, 7, 49_000),
        (C, 12, 49_000),
    ];
    for (v, n, kg) in table {
        let limit = limits().limit(DAY, v, axles(n)).unwrap();
        assert_eq!(limit, kg, "{} {n} 轴", v.label());
        assert!(!assess(kg - 1, limit).over(), "{} {n} 轴 {} kg", v.label(), kg - 1);
        assert!(!assess(kg, limit).over(), "at the limit is not over it");
        let one_over = assess(kg + 1, limit);
        assert!(one_over.over());
        assert_eq!(one_over.excess_kg, 1);
    }
    for (v, n) in [(T, 5), (T, 6), (C, 2)] {
        assert_eq!(limits().limit(DAY, v, axles(n)), Err(NoLimit::NoRow), "{} {n} 轴 has no row", v.label());
    }
}

#[test]
fn single_tyre_axles_lower_the_limit_each() {
    let t3 = |single| limits().limit(DAY, VehicleType::Truck, Axles { total: 3, single_tyre: single, drive: None });
    assert_eq!(t3(0), Ok(25_000));
    assert_eq!(t3(1), Ok(22_000));
    assert_eq!(t3(2), Ok(19_000));
    assert!(assess(22_001, t3(1).unwrap()).over());
    assert!(!assess(22_000, t3(1).unwrap()).over());
    assert_eq!(t3(4), Err(NoLimit::Axles), "more single-tyre axles than axles");
}

#[test]
fn a_tractor_with_one_drive_axle_pulls_less() {
    let c = |total, drive| limits().limit(DAY, VehicleType::Combination, Axles { total, single_tyre: 0, drive });
    assert_eq!(c(6, Some(1)), Ok(46_000));
    assert_eq!(c(6, Some(2)), Ok(49_000));
    assert_eq!(c(6, None), Ok(49_000), "unstated: the higher limit");
    assert_eq!(c(5, Some(1)), Ok(43_000), "only the 6+ row has the adjustment");
    assert!(assess(46_001, c(6, Some(1)).unwrap()).over());
    assert!(!assess(46_000, c(6, Some(1)).unwrap()).over());
    let both = limits().limit(DAY, VehicleType::Combination, Axles { total: 6, single_tyre: 1, drive: Some(1) });
    assert_eq!(both, Ok(43_000), "both adjustments");
    assert_eq!(c(6, Some(0)), Err(NoLimit::Axles));
    assert_eq!(c(6, Some(7)), Err(NoLimit::Axles));
}

#[test]
fn the_over_limit_rate_in_hundredths_of_a_percent() {
    let a = assess(54_000, 49_000);
    assert_eq!(a.rate_bp, 1020, "5000/49000 = 10.204 %");
    assert_eq!(a.rate_text(), "10.20%");
    assert_eq!(assess(36_000, 18_000).rate_text(), "100.00%");
    assert_eq!(assess(17_000, 18_000).rate_bp, 0);
}

#[test]
fn the_limits_file_refuses_what_it_cannot_mean() {
    let good = super::limits::EMBEDDED;
    assert!(VehicleLimits::parse(good).is_ok());
    let dup = good.replace("axles = 3\n  kg = 25000", "axles = 2\n  kg = 25000");
    assert!(VehicleLimits::parse(&dup).unwrap_err().contains("已有限值"));
    let bad_type = good.replacen("type = \"truck\"", "type = \"bus\"", 1);
    assert!(VehicleLimits::parse(&bad_type).unwrap_err().contains("type"));
    let bad_drive = good.replace("single_drive_axle_kg = 46000", "single_drive_axle_kg = 60000");
    assert!(VehicleLimits::parse(&bad_drive).unwrap_err().contains("single_drive_axle_kg"));
    assert!(VehicleLimits::parse("version = 1\nsource = \"x\"\n").unwrap_err().contains("[[table]]"));
}

fn det(id: i64, day: Date, plate: &str, driver: u32, gross: u32) -> Detection {
    Detection {
        id,
        date: day,
        place: "站点".into(),
        plate: plate.into(),
        vehicle: VehicleType::Combination,
        axles: axles(6),
        gross_kg: gross,
        driver_id: id_card(driver),
        driver_name: format!("司机{driver}"),
        enterprise_code: uscc(1),
        enterprise_name: "甲运输公司".into(),
        penalty_no: None,
    }
}

fn overload() -> &'static ListDefinition {
    ListDefinition::find("overload").unwrap()
}

fn found(facts: &OverloadFacts, as_of: Date) -> Vec<(u32, String)> {
    candidates(overload(), facts, limits(), as_of).into_iter().map(|c| (c.criterion, c.party)).collect()
}

const OVER: u32 = 55_000;
const UNDER: u32 = 49_000;

#[test]
fn more_than_three_trips_a_year_lists_the_vehicle_and_the_driver() {
    let as_of = date(2026, 12, 3);
    let days = [date(2026, 1, 5), date(2026, 3, 5), date(2026, 6, 5), date(2026, 9, 5)];
    let three = OverloadFacts {
        detections: days[..3].iter().enumerate().map(|(i, d)| det(i as i64, *d, "粤P12345", 7, OVER)).collect(),
        ..Default::default()
    };
    assert_eq!(found(&three, as_of), [], "3 trips: not more than 3");
    let four = OverloadFacts {
        detections: days.iter().enumerate().map(|(i, d)| det(i as i64, *d, "粤P12345", 7, OVER)).collect(),
        ..Default::default()
    };
    assert_eq!(found(&four, as_of), [(1, "粤P12345".to_string()), (2, id_card(7))]);
    let c = &candidates(overload(), &four, limits(), as_of)[0];
    assert_eq!(c.party_type, PartyType::Vehicle);
    assert_eq!(c.evidence.len(), 4);
    assert!(c.reason.contains("超限运输 4 次"), "{}", c.reason);
    // A fourth detection under the limit does not count.
    let mut under = three.clone();
    under.detections.push(det(9, days[3], "粤P12345", 7, UNDER));
    assert_eq!(found(&under, as_of), []);
    // Two detections on one day are one trip.
    let mut same_day = three.clone();
    same_day.detections.push(det(9, days[2], "粤P12345", 7, OVER));
    assert_eq!(found(&same_day, as_of), []);
    // Four trips of four vehicles by one driver: the driver only.
    let driver = OverloadFacts {
        detections: days.iter().enumerate().map(|(i, d)| det(i as i64, *d, &format!("粤P1234{i}"), 8, OVER)).collect(),
        ..Default::default()
    };
    assert_eq!(found(&driver, as_of), [(2, id_card(8))]);
}

#[test]
fn the_twelve_months_end_on_the_day_and_begin_the_day_after_a_year_before() {
    let as_of = date(2026, 12, 3);
    let inside = [date(2025, 12, 4), date(2026, 3, 1), date(2026, 6, 1)];
    let with = |last: Date| OverloadFacts {
        detections: inside
            .iter()
            .chain([&last])
            .enumerate()
            .map(|(i, d)| det(i as i64, *d, "粤P12345", 7, OVER))
            .collect(),
        ..Default::default()
    };
    assert_eq!(found(&with(as_of), as_of).len(), 2, "the day itself counts");
    assert_eq!(found(&with(date(2026, 12, 4)), as_of), [], "a later detection does not");
    assert_eq!(found(&with(date(2025, 12, 3)), as_of), [], "the same date a year before does not");
    // The first day of the window: 2025-12-04 counts on 2026-12-03, not on 2026-12-04.
    let four_from_start = with(date(2026, 9, 1));
    assert_eq!(found(&four_from_start, date(2026, 12, 3)).len(), 2);
    assert_eq!(found(&four_from_start, date(2026, 12, 4)), []);
    // A leap day: as of 2028-02-29 the window starts 2027-03-01.
    let leap = OverloadFacts {
        detections: [date(2027, 2, 28), date(2027, 3, 1), date(2027, 6, 1), date(2027, 9, 1), date(2028, 1, 1)]
            .iter()
            .enumerate()
            .map(|(i, d)| det(i as i64, *d, "粤P12345", 7, OVER))
            .collect(),
        ..Default::default()
    };
    let c = candidates(overload(), &leap, limits(), date(2028, 2, 29));
    assert_eq!(c[0].evidence.len(), 4, "2027-02-28 is outside");
}

fn fleet(n: usize, code: &str) -> Vec<VehicleRow> {
    (0..n)
        .map(|i| VehicleRow {
            plate: format!("粤P{:05}", i),
            vehicle: VehicleType::Combination,
            axles: 6,
            enterprise_code: code.into(),
            enterprise_name: "甲运输公司".into(),
        })
        .collect()
}

fn penalty(id: i64, code: &str, day: Date, categories: &str, violation: &str, fine_yuan: i64) -> PenaltyFact {
    PenaltyFact {
        record_id: id,
        decision_no: format!("河交罚〔2026〕{id}号"),
        subject_code: code.into(),
        subject_name: "甲运输公司".into(),
        decided_on: day,
        categories: categories.into(),
        violation: violation.into(),
        fine: Some(Amount::from_fen(fine_yuan * 100)),
    }
}

#[test]
fn more_than_ten_percent_of_the_fleet_with_a_suspension_lists_the_enterprise() {
    let as_of = date(2026, 12, 3);
    let code = uscc(1);
    let suspension = penalty(1, &code, date(2026, 10, 1), "罚款；责令停产停业", "超限运输", 5000);
    let facts = |vehicles_over: usize, penalties: Vec<PenaltyFact>| OverloadFacts {
        detections: (0..vehicles_over)
            .map(|i| det(i as i64, date(2026, 5, 1), &format!("粤P{:05}", i), i as u32, OVER))
            .collect(),
        fleet: fleet(20, &code),
        penalties,
    };
    assert_eq!(found(&facts(2, vec![suspension.clone()]), as_of), [], "2 of 20 = 10 %: not more");
    assert_eq!(found(&facts(3, vec![suspension.clone()]), as_of), [(3, code.clone())], "3 of 20 = 15 %");
    let c = &candidates(overload(), &facts(3, vec![suspension.clone()]), limits(), as_of)[0];
    assert!(c.reason.contains("15.00%") && c.reason.contains("河交罚〔2026〕1号"), "{}", c.reason);
    assert_eq!(found(&facts(3, vec![]), as_of), [], "no order to suspend business");
    let fine_only = penalty(1, &code, date(2026, 10, 1), "罚款", "超限运输", 5000);
    assert_eq!(found(&facts(3, vec![fine_only]), as_of), []);
    let old = penalty(1, &code, date(2025, 12, 3), "责令停产停业", "超限运输", 0);
    assert_eq!(found(&facts(3, vec![old]), as_of), [], "the suspension is outside the 12 months");
    // A vehicle outside the register does not count towards the share.
    let mut outside = facts(2, vec![suspension]);
    outside.detections.push(det(99, date(2026, 5, 1), "粤Q99999", 99, OVER));
    assert_eq!(found(&outside, as_of), []);
}

#[test]
fn directing_drivers_to_overload_a_big_fine_or_three_penalties() {
    let as_of = date(2026, 12, 3);
    let code = uscc(2);
    let directing = "指使驾驶人超限运输";
    let one = |fine| OverloadFacts {
        penalties: vec![penalty(1, &code, date(2026, 2, 1), "罚款", directing, fine)],
        ..Default::default()
    };
    assert_eq!(found(&one(19_999), as_of), []);
    assert_eq!(found(&one(20_000), as_of), [(5, code.clone())]);
    let n = |k: i64, violation: &str| OverloadFacts {
        penalties: (0..k).map(|i| penalty(i, &code, date(2026, 2, 1 + i as i8), "罚款", violation, 5000)).collect(),
        ..Default::default()
    };
    assert_eq!(found(&n(2, directing), as_of), []);
    assert_eq!(found(&n(3, directing), as_of), [(5, code.clone())]);
    assert_eq!(found(&n(3, "强令驾驶员超载运输货物"), as_of), [(5, code.clone())]);
    assert_eq!(found(&n(3, "超限运输"), as_of), [], "no word of directing");
    assert_eq!(found(&n(3, "指使他人违规装载"), as_of), [], "no word of overloading");
}

fn values(cells: &[(&'static str, &str)]) -> FieldValues {
    cells.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn codes(r: Result<impl std::fmt::Debug, Vec<crate::Diagnostic>>) -> Vec<(&'static str, &'static str)> {
    r.unwrap_err().iter().map(|d| (d.field, d.code)).collect()
}

#[test]
fn register_rows_and_their_problems() {
    let code = uscc(3);
    let ok = parse_vehicle_row(&values(&[
        ("CL_CPHM", "粤P·1234５"),
        ("CL_CLLX", "汽车列车"),
        ("CL_ZS", "6"),
        ("CL_QYDM", &code),
        ("CL_QYMC", "乙物流"),
    ]));
    assert_eq!(
        ok.unwrap(),
        VehicleRow {
            plate: "粤P12345".into(),
            vehicle: VehicleType::Combination,
            axles: 6,
            enterprise_code: code.clone(),
            enterprise_name: "乙物流".into()
        }
    );
    let trailer = parse_vehicle_row(&values(&[
        ("CL_CPHM", "粤P1234挂"),
        ("CL_CLLX", "货车"),
        ("CL_ZS", "3.0"),
        ("CL_QYDM", &code),
        ("CL_QYMC", "乙"),
    ]));
    assert_eq!(trailer.unwrap().plate, "粤P1234挂");
    let mut wrong = code.clone();
    wrong.pop();
    wrong.push(if code.ends_with('0') { '1' } else { '0' });
    assert_eq!(
        codes(parse_vehicle_row(&values(&[
            ("CL_CPHM", "AB12345"),
            ("CL_CLLX", "客车"),
            ("CL_ZS", "1"),
            ("CL_QYDM", &wrong)
        ]))),
        [
            ("CL_QYMC", "field.required"),
            ("CL_CPHM", "plate.format"),
            ("CL_CLLX", "vehicle.type"),
            ("CL_ZS", "axles.range"),
            ("CL_QYDM", "uscc.check_digit")
        ]
    );
}

#[test]
fn detection_rows_and_their_problems() {
    let today = date(2026, 12, 3);
    let driver = id_card(5);
    let code = uscc(4);
    let base = [
        ("CX_JCRQ", "2026-11-02"),
        ("CX_JCDD", "源城超限检测站"),
        ("CX_CPHM", "粤P12345"),
        ("CX_CLLX", "汽车列车"),
        ("CX_ZS", "6"),
        ("CX_ZZL", "55,000"),
        ("CX_JSYZJ", driver.as_str()),
        ("CX_JSYXM", "张三"),
        ("CX_QYDM", code.as_str()),
        ("CX_QYMC", "丙运输"),
        ("CX_CFJDS", "河交罚（2026）12号"),
    ];
    let with = |changes: &[(&'static str, &str)]| {
        let mut v = values(&base);
        for (k, x) in changes {
            v.insert(k, x.to_string());
        }
        parse_detection_row(&v, limits(), today)
    };
    let d = with(&[]).unwrap();
    assert_eq!((d.gross_kg, d.axles, d.penalty_no.as_deref()), (55_000, axles(6), Some("河交罚(2026)12号")));
    assert_eq!(d.assess(limits()).unwrap().excess_kg, 6000);
    assert_eq!(with(&[("CX_QDZS", "1"), ("CX_DTZS", "1")]).unwrap().assess(limits()).unwrap().limit_kg, 43_000);
    assert_eq!(codes(with(&[("CX_JCRQ", "2026-12-04")])), [("CX_JCRQ", "date.future")]);
    assert_eq!(codes(with(&[("CX_JCRQ", "去年")])), [("CX_JCRQ", "date.format")]);
    assert_eq!(codes(with(&[("CX_ZZL", "55吨")])), [("CX_ZZL", "mass.range")]);
    assert_eq!(codes(with(&[("CX_ZZL", "999")])), [("CX_ZZL", "mass.range")]);
    assert_eq!(codes(with(&[("CX_CLLX", "货车")])), [("CX_ZS", "limit.none")]);
    assert_eq!(codes(with(&[("CX_DTZS", "7")])), [("CX_DTZS", "axles.range")]);
    assert_eq!(codes(with(&[("CX_QDZS", "0")])), [("CX_QDZS", "axles.range")]);
    let mut bad_id = driver.clone();
    bad_id.pop();
    bad_id.push(if driver.ends_with('0') { '1' } else { '0' });
    assert_eq!(codes(with(&[("CX_JSYZJ", &bad_id)])), [("CX_JSYZJ", "id_card.check_digit")]);
    assert_eq!(codes(with(&[("CX_JSYZJ", "")])), [("CX_JSYZJ", "field.required")]);
    assert_eq!(codes(with(&[("CX_JSYXM", &"名".repeat(51))])), [("CX_JSYXM", "field.too_long")]);
    for (f, c) in [("CX_JCRQ", "field.required"), ("CX_QYDM", "field.required")] {
        assert_eq!(codes(with(&[(f, "")])), [(f, c)]);
    }
    // Every code a row can carry is documented.
    for d in [with(&[("CX_ZZL", "x")]), with(&[("CX_CPHM", "x")]), with(&[("CX_CLLX", "x")])] {
        for x in d.unwrap_err() {
            assert!(crate::records::diag::describe(x.code).is_some(), "undocumented {}", x.code);
        }
    }
}

#[test]
fn the_shipped_lists() {
    let all = ListDefinition::embedded();
    assert_eq!(all.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), ["overload", "transport", "red"]);
    let o = overload();
    assert_eq!(o.kind, ListKind::SeriousDishonesty);
    assert_eq!((o.notice_working_days, o.shown_months), (10, 24));
    assert_eq!(o.criteria.iter().map(|c| c.number).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
    let computed: Vec<u32> = o.criteria.iter().filter(|c| c.computed.is_some()).map(|c| c.number).collect();
    assert_eq!(computed, [1, 2, 3, 5]);
    assert!(o.criteria.iter().all(|c| c.computed.is_some() || c.evidence.is_some()));
    let t = ListDefinition::find("transport").unwrap();
    let computed: Vec<u32> = t.criteria.iter().filter(|c| c.computed.is_some()).map(|c| c.number).collect();
    assert_eq!(computed, [5], "the general list is proposed, but for commitment breaches");
    assert!(matches!(
        t.criteria[4].computed,
        Some(Computation::CommitmentBreaches { months: 12, false_at_least: 1, not_kept_at_least: 2 })
    ));
    let red = ListDefinition::find("red").unwrap();
    assert!(red.bureau_choice && red.kind == ListKind::Red);
    assert!(matches!(
        red.criteria[0].computed,
        Some(Computation::GradeStreak { cycles: 2, no_commitment_breach: true, .. })
    ));
}

#[test]
fn a_list_file_names_its_first_problem() {
    let good = super::definition::EMBEDDED[0].1;
    let broken = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        ListDefinition::parse(&good.replacen(from, to, 1)).unwrap_err()
    };
    assert!(broken("kind = \"serious_dishonesty\"", "kind = \"grey\"").contains("kind"));
    assert!(broken("notice_working_days = 10", "notice_working_days = 0").contains("notice_working_days"));
    assert!(broken("exits = [\"expiry\", ", "exits = [").contains("expiry"));
    assert!(broken("number = 2\n", "number = 1\n").contains("number"));
    assert!(broken("evidence = \"吊销经营许可的行政处罚决定书\"", "").contains("二者取一"));
    assert!(broken("computed = \"fleet_share\"", "computed = \"magic\"").contains("magic"));
    assert!(broken("party_type = \"vehicle\"", "party_type = \"ship\"").contains("ship"));
    assert!(
        broken("party_types = [\"vehicle\", \"driver\", \"enterprise\"]", "party_types = [\"vehicle\", \"driver\"]")
            .contains("enterprise")
    );
    let trips_for_an_enterprise = good.replacen("computed = \"fleet_share\"", "computed = \"trips\"\nmore_than = 3", 1);
    assert!(ListDefinition::parse(&trips_for_an_enterprise).unwrap_err().contains("vehicle 或 driver"));
}

mod entries {
    use jiff::civil::date;

    use super::super::definition::ListDefinition;
    use super::super::entries::*;
    use crate::calendar::Calendar;

    #[test]
    fn every_action_from_every_state() {
        use EntryAction as A;
        use EntryState::*;
        let r = || "理由".to_string();
        let actions = [A::Approve, A::Reject(r()), A::Withdraw(r()), A::Confirm, A::End(EndKind::Repair, r())];
        let allowed = [
            (Proposed, "approve", Notice),
            (Proposed, "reject", Rejected),
            (Notice, "withdraw", Withdrawn),
            (Notice, "confirm", Listed),
            (Listed, "end", Ended),
        ];
        for from in EntryState::ALL {
            for a in &actions {
                let expected = allowed.iter().find(|(f, n, _)| *f == from && *n == a.as_str()).map(|x| x.2);
                assert_eq!(a.apply(from).ok(), expected, "{} from {}", a.as_str(), from.as_str());
            }
        }
        assert!(Proposed.is_open() && Notice.is_open() && Listed.is_open());
        assert!(!Rejected.is_open() && !Withdrawn.is_open() && !Ended.is_open());
    }

    #[test]
    fn ten_working_days_of_notice_then_two_years() {
        let o = ListDefinition::find("overload").unwrap();
        let cal = Calendar::embedded();
        // Published Friday 2026-09-25: National Day week (10-01 to 10-08 off,
        // 09-27 and 10-10 worked) inside the notice.
        let last = notice_last_day(o, date(2026, 9, 25), &cal);
        assert_eq!(last, cal.add_working_days(date(2026, 9, 25), 10).value);
        assert!(last > date(2026, 10, 8), "the holiday does not count: {last}");
        assert!(may_confirm(last, last, 0).unwrap_err().contains("届满"));
        assert_eq!(may_confirm(last, last.tomorrow().unwrap(), 0), Ok(()));
        assert!(may_confirm(last, last.tomorrow().unwrap(), 1).unwrap_err().contains("1 件异议"));
        assert_eq!(shown_until(o, date(2026, 12, 3)), date(2028, 12, 2));
        assert_eq!(shown_until(o, date(2028, 2, 29)), date(2030, 2, 27), "Feb 29 + 24 months = Feb 28, minus one day");
        let red = ListDefinition::find("red").unwrap();
        assert_eq!(shown_until(red, date(2026, 1, 31)), date(2027, 1, 30));
    }

    #[test]
    fn standing_in_public_on_each_day() {
        use EntryState::*;
        let (from, until) = (Some(date(2026, 12, 3)), Some(date(2028, 12, 2)));
        assert_eq!(standing(Listed, from, until, None, date(2026, 12, 2)), PublicStanding::Hidden);
        assert_eq!(standing(Listed, from, until, None, date(2026, 12, 3)), PublicStanding::Listed);
        assert_eq!(standing(Listed, from, until, None, date(2028, 12, 2)), PublicStanding::Listed, "the last day");
        assert_eq!(standing(Listed, from, until, None, date(2028, 12, 3)), PublicStanding::Exited(date(2028, 12, 3)));
        assert_eq!(
            standing(Ended, from, until, Some(date(2027, 5, 1)), date(2027, 6, 1)),
            PublicStanding::Exited(date(2027, 5, 1))
        );
        assert_eq!(standing(Notice, None, None, None, date(2026, 12, 3)), PublicStanding::Notice);
        for s in [Proposed, Rejected, Withdrawn] {
            assert_eq!(standing(s, None, None, None, date(2026, 12, 3)), PublicStanding::Hidden);
        }
    }
}

mod measures {
    use jiff::civil::date;

    use super::super::definition::{ListDefinition, PartyType};
    use super::super::measures::*;
    use crate::evaluation::scheme::Scheme;

    fn entry(list: &str) -> EntryInForce {
        EntryInForce {
            entry_id: 7,
            list: list.into(),
            criterion: 1,
            listed_on: date(2026, 12, 3),
            shown_until: date(2028, 12, 2),
        }
    }

    fn grade(scheme: &str, g: &str) -> FinalGrade {
        FinalGrade { scheme: scheme.into(), grade: g.into(), cycle_year: 2025, run_id: 3 }
    }

    fn codes(scenario: Option<&str>, facts: &PartyFacts) -> Vec<&'static str> {
        applicable(Catalogue::embedded(), scenario, facts).iter().map(|a| a.measure.code.as_str()).collect()
    }

    #[test]
    fn the_shipped_catalogue_has_eight_scenarios_each_with_measures() {
        let c = Catalogue::embedded();
        let scenarios: Vec<&str> = c.scenarios.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(
            scenarios,
            [
                "government-service",
                "bidding",
                "civil-servant-hiring",
                "honours",
                "enforcement",
                "xinyixing",
                "xinyidai",
                "xinyixiu"
            ]
        );
        assert!(c.measures.iter().any(|m| m.kind == MeasureKind::Reward));
        assert!(c.measures.iter().all(|m| !m.basis.is_empty() && !m.applied_by.is_empty()));
    }

    /// Subject × scenario: the measures named.
    #[test]
    fn a_table_of_parties_and_scenarios() {
        let listed = PartyFacts {
            party_type: PartyType::Enterprise,
            entries: vec![entry("overload")],
            grades: vec![grade("road-transport", "AA")],
        };
        let red = PartyFacts {
            party_type: PartyType::Enterprise,
            entries: vec![entry("red")],
            grades: vec![grade("road-transport", "AA")],
        };
        let plain = PartyFacts {
            party_type: PartyType::Enterprise,
            entries: vec![],
            grades: vec![grade("road-transport", "B")],
        };
        let builder = PartyFacts {
            party_type: PartyType::Enterprise,
            entries: vec![],
            grades: vec![grade("highway-construction", "A")],
        };
        let lorry = PartyFacts { party_type: PartyType::Vehicle, entries: vec![entry("overload")], grades: vec![] };
        let driver = PartyFacts { party_type: PartyType::Driver, entries: vec![entry("overload")], grades: vec![] };
        let cases: &[(&PartyFacts, &str, &[&str])] = &[
            (&listed, "government-service", &["no-commitment", "closer-supervision"]),
            (&listed, "bidding", &["bidding-restriction"]),
            (&listed, "honours", &["honours-restriction"]),
            (&listed, "xinyidai", &["loan-caution"]),
            (&listed, "xinyixing", &[]),
            (&listed, "xinyixiu", &["repair-caution"]),
            (&listed, "enforcement", &["no-commitment", "closer-supervision"]),
            (&red, "government-service", &["priority-service"]),
            (&red, "honours", &["honours-recommendation"]),
            (&red, "xinyidai", &["credit-loan"]),
            (&red, "xinyixiu", &["repair-discount"]),
            (&red, "enforcement", &["enforcement-leniency"]),
            (&red, "bidding", &[]),
            (&plain, "government-service", &[]),
            (&plain, "xinyidai", &[]),
            (&builder, "bidding", &["bid-bond-relief"]),
            (&lorry, "xinyixing", &["green-channel"]),
            (&lorry, "civil-servant-hiring", &[]),
            (&driver, "civil-servant-hiring", &["hiring-restriction"]),
            (&driver, "xinyixing", &[]),
        ];
        for (facts, scenario, expected) in cases {
            assert_eq!(codes(Some(scenario), facts), *expected, "{:?} in {scenario}", facts.party_type);
        }
        let a = applicable(Catalogue::embedded(), Some("bidding"), &listed);
        assert!(
            a[0].reasons[0].contains("严重违法失信超限超载运输当事人名单") && a[0].reasons[0].contains("第 7 号"),
            "{:?}",
            a[0].reasons
        );
        let r = applicable(Catalogue::embedded(), Some("xinyidai"), &red);
        assert_eq!(r[0].reasons.len(), 2, "the red list and the AA grade: {:?}", r[0].reasons);
        // Grade C alone triggers closer supervision.
        let c = PartyFacts {
            party_type: PartyType::Enterprise,
            entries: vec![],
            grades: vec![grade("road-transport", "C")],
        };
        assert_eq!(codes(Some("enforcement"), &c), ["closer-supervision"]);
        assert!(codes(None, &listed).len() > codes(Some("bidding"), &listed).len(), "the profile shows every measure");
    }

    #[test]
    fn the_catalogue_refuses_what_it_cannot_mean() {
        let lists = ListDefinition::embedded();
        let schemes = Scheme::embedded();
        let parse = |m: &str, s: &str| Catalogue::parse(m, s, lists, &schemes);
        let broken = |from: &str, to: &str| {
            assert!(MEASURES.contains(from), "{from}");
            parse(&MEASURES.replacen(from, to, 1), SCENARIOS).unwrap_err()
        };
        assert!(broken("kind = \"punishment\"", "kind = \"both\"").contains("both"));
        assert!(broken("lists = [\"overload\", \"transport\"]", "lists = [\"grey\"]").contains("grey"));
        assert!(broken("grades = [\"C\", \"D\"] }", "grades = [\"E\"] }").contains("E"));
        assert!(broken("scenarios = [\"bidding\"]", "scenarios = [\"lottery\"]").contains("lottery"));
        assert!(broken("party_types = [\"vehicle\"]", "party_types = [\"ship\"]").contains("ship"));
        let no_trigger = MEASURES.replacen(
            "lists = [\"overload\", \"transport\"]\nscenarios = [\"government-service\", \"enforcement\"]",
            "scenarios = [\"government-service\"]",
            1,
        );
        assert!(parse(&no_trigger, SCENARIOS).unwrap_err().contains("触发"));
        let lonely = format!(
            "{SCENARIOS}\n[[scenario]]\ncode = \"x\"\nname = \"x\"\nsees = []\npersons = false\nvehicles = false\n"
        );
        assert!(parse(MEASURES, &lonely).unwrap_err().contains("没有任何措施"));
        let sees = SCENARIOS.replacen("sees = [\"lists\", \"grades\"]", "sees = [\"records\"]", 1);
        assert!(parse(MEASURES, &sees).unwrap_err().contains("records"));
    }
}

mod red {
    use std::collections::BTreeMap;

    use jiff::civil::date;

    use super::super::definition::ListDefinition;
    use super::super::red::*;

    fn cycle(year: i16, grades: &[(&str, &str)]) -> CycleGrades {
        CycleGrades {
            cycle_year: year,
            run_id: i64::from(year),
            grades: grades
                .iter()
                .map(|(c, g)| (c.to_string(), (format!("企业{c}"), g.to_string())))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn two_top_grades_in_a_row_no_penalty_no_list() {
        let red = ListDefinition::find("red").unwrap();
        let as_of = date(2026, 12, 3);
        let facts = StreakFacts {
            cycles: vec![
                cycle(2025, &[("A", "AA"), ("B", "AA"), ("C", "A"), ("D", "AA"), ("E", "AA")]),
                cycle(2024, &[("A", "AA"), ("B", "A"), ("C", "AA"), ("D", "AA"), ("E", "AA")]),
                cycle(2023, &[("B", "AA")]),
            ],
            penalised: ["D".to_string()].into(),
            listed: ["E".to_string()].into(),
        };
        let found: Vec<String> = grade_streak_candidates(red, &facts, as_of).into_iter().map(|c| c.party).collect();
        assert_eq!(found, ["A"], "B and C broke the streak, D was penalised, E is listed");
        let one_cycle = StreakFacts { cycles: vec![cycle(2025, &[("A", "AA")])], ..Default::default() };
        assert!(grade_streak_candidates(red, &one_cycle, as_of).is_empty(), "two cycles needed");
        assert_eq!(penalty_months(red), 24);
        let c = &grade_streak_candidates(red, &facts, as_of)[0];
        assert_eq!(c.evidence.len(), 2);
        assert!(c.reason.contains("2024、2025"), "{}", c.reason);
    }
}

#[test]
fn commitment_breaches_put_parties_forward() {
    use crate::commitments::State;
    use crate::lists::breaches::{BreachFact, breach_candidates, breach_months};
    let t = ListDefinition::find("transport").unwrap();
    assert_eq!(breach_months(t), 12);
    assert_eq!(breach_months(ListDefinition::find("red").unwrap()), 24, "the red list's streak looks back 24 months");
    assert_eq!(breach_months(ListDefinition::find("overload").unwrap()), 0);
    let fact = |id: i64, party: &str, person: bool, state: State, on: &str| BreachFact {
        commitment_id: id,
        party: party.into(),
        party_name: format!("{party} 名称"),
        person,
        state,
        found_on: on.parse().unwrap(),
        what: "容缺办理型".into(),
    };
    let as_of: Date = "2026-12-20".parse().unwrap();
    // (facts, the parties put forward)
    let cases: Vec<(Vec<BreachFact>, Vec<&str>)> = vec![
        (vec![], vec![]),
        // One false: enough.
        (vec![fact(1, "A", false, State::False, "2026-06-01")], vec!["A"]),
        // One not kept: not enough; two: enough.
        (vec![fact(1, "A", false, State::NotKept, "2026-06-01")], vec![]),
        (
            vec![fact(1, "A", false, State::NotKept, "2026-06-01"), fact(2, "A", false, State::NotKept, "2026-11-01")],
            vec!["A"],
        ),
        // Outside the 12 months ending on the day (from 2025-12-21): not
        // counted; a finding after the day neither.
        (
            vec![fact(1, "A", false, State::NotKept, "2025-12-20"), fact(2, "A", false, State::NotKept, "2026-11-01")],
            vec![],
        ),
        (vec![fact(1, "A", false, State::False, "2026-12-21")], vec![]),
        (
            vec![fact(1, "A", false, State::NotKept, "2025-12-21"), fact(2, "A", false, State::NotKept, "2026-12-20")],
            vec!["A"],
        ),
        // Parties counted apart; persons too (the list names persons).
        (
            vec![
                fact(1, "A", false, State::NotKept, "2026-06-01"),
                fact(2, "B", false, State::NotKept, "2026-06-01"),
                fact(3, "110101199003071234", true, State::False, "2026-06-01"),
            ],
            vec!["110101199003071234"],
        ),
        // Only breaches count.
        (vec![fact(1, "A", false, State::Kept, "2026-06-01")], vec![]),
    ];
    for (i, (facts, want)) in cases.iter().enumerate() {
        let got = breach_candidates(t, facts, as_of);
        assert_eq!(got.iter().map(|c| c.party.as_str()).collect::<Vec<_>>(), *want, "case {i}");
        for c in &got {
            assert_eq!((c.list.as_str(), c.criterion), ("transport", 5));
            assert!(c.reason.contains("信用承诺经核查认定不实"), "{}", c.reason);
            assert!(!c.evidence.is_empty());
        }
    }
    let person = breach_candidates(t, &cases[7].0, as_of);
    assert_eq!(person[0].party_type, PartyType::Person);
}
