//! The draw against vectors computed independently (Python's hashlib, by
//! the same specification), and the rules file.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::draw::*;
use super::rules::*;

fn member(code: &str, grade: Option<&str>) -> Member {
    Member { code: code.into(), grade: grade.map(String::from) }
}

fn population() -> Vec<Member> {
    [
        ("S07", Some("AA")),
        ("S01", Some("AA")),
        ("S03", Some("A")),
        ("S02", Some("B")),
        ("S05", None),
        ("S04", Some("D")),
        ("S06", Some("A")),
        ("S08", Some("D")),
        ("S09", Some("A")),
        ("S10", Some("AA")),
    ]
    .into_iter()
    .map(|(c, g)| member(c, g))
    .collect()
}

const SECRET: &str = "000000000000000000000000000000000000000000000000000000000000002a";
const PUBLIC: &str = "2026-12-01 双色球 2026138 期：03 07 12 19 25 31 + 09";
const SEED: &str = "509f3b2beb740cbc1ab80e41d1d0fe29057d555ef3ddb6a583c568c02ccf48f4";

fn shares(pairs: &[(&str, &str)]) -> BTreeMap<String, Share> {
    pairs.iter().map(|(g, s)| (g.to_string(), Share::parse(s).unwrap())).collect()
}

#[test]
fn hashes_as_specified() {
    assert_eq!(
        population_text(&population()),
        "S01\tAA\nS02\tB\nS03\tA\nS04\tD\nS05\t\nS06\tA\nS07\tAA\nS08\tD\nS09\tA\nS10\tAA\n"
    );
    assert_eq!(population_hash(&population()), "eed49671041ea4a869f053ff1287ea9d71a1e3ac07f173db03637b3f8c7fd13a");
    assert_eq!(commitment(SECRET), "9cf49eeaaa45bd96bd47cf2cfeaeb0df96b82897144c8db521cc1330cc495761");
    assert_eq!(seed(SECRET, PUBLIC), SEED);
    // The empty text's SHA-256 (FIPS 180-2 example).
    assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn the_draw_by_strata_with_decimals_zero_and_full_shares() {
    // A 50 % of 3 → 2; AA 3 % of 3 → 1 (ceil); B 0 % of 1 → 0; D 100 % → both;
    // no grade 2.5 % of 1 → 1 (a stratum of one).
    let s = shares(&[("AA", "3"), ("A", "50"), ("B", "0"), ("D", "100"), ("none", "2.5")]);
    let drawn = draw_subjects(SEED, &population(), &s).unwrap();
    let codes: Vec<(&str, &str)> = drawn.iter().map(|m| (m.code.as_str(), m.stratum())).collect();
    assert_eq!(codes, [("S06", "A"), ("S09", "A"), ("S10", "AA"), ("S08", "D"), ("S04", "D"), ("S05", "none")]);
    // Inspectors: the first two of four by their keys for each subject.
    let certs: Vec<String> = ["粤交执001", "粤交执002", "粤交执003", "粤交执004"].map(String::from).to_vec();
    let expected = [
        ("S06", ["粤交执001", "粤交执004"]),
        ("S09", ["粤交执001", "粤交执002"]),
        ("S10", ["粤交执001", "粤交执004"]),
        ("S08", ["粤交执003", "粤交执002"]),
        ("S04", ["粤交执004", "粤交执003"]),
        ("S05", ["粤交执001", "粤交执003"]),
    ];
    let all = run(SEED, &population(), &s, &|_| certs.clone(), 2).unwrap();
    for (a, (code, want)) in all.iter().zip(expected) {
        assert_eq!(
            (a.member.code.as_str(), a.inspectors.clone(), a.short),
            (code, want.map(String::from).to_vec(), false)
        );
    }
}

#[test]
fn short_of_inspectors_is_reported_not_hidden() {
    let one = vec!["粤交执001".to_string()];
    assert_eq!(pick_inspectors(SEED, "S01", &one, 2), Err(one.clone()));
    assert_eq!(pick_inspectors(SEED, "S01", &[], 2), Err(vec![]));
    let s = shares(&[("AA", "100"), ("A", "0"), ("B", "0"), ("D", "0"), ("none", "0")]);
    let all = run(SEED, &population(), &s, &|_| one.clone(), 2).unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|a| a.short && a.inspectors == one));
}

#[test]
fn eligibility_leaves_out_inactive_other_departments_and_conflicts() {
    let roster = [
        RosterMember { certificate: "1".into(), department: "d1".into(), active: true },
        RosterMember { certificate: "2".into(), department: "d1".into(), active: false },
        RosterMember { certificate: "3".into(), department: "d2".into(), active: true },
        RosterMember { certificate: "4".into(), department: "d1".into(), active: true },
    ];
    assert_eq!(eligible_for(&roster, "d1", &BTreeSet::new()), ["1", "4"]);
    assert_eq!(eligible_for(&roster, "d1", &["4".to_string()].into()), ["1"]);
}

#[test]
fn a_stratum_without_a_share_or_a_duplicate_is_an_error() {
    let s = shares(&[("AA", "3"), ("A", "5"), ("D", "100"), ("none", "5")]);
    assert_eq!(draw_subjects(SEED, &population(), &s), Err(DrawError::NoShare { stratum: "B".into() }));
    let mut p = population();
    p.push(member("S01", Some("A")));
    let s = shares(&[("AA", "3"), ("A", "5"), ("B", "5"), ("D", "100"), ("none", "5")]);
    assert_eq!(draw_subjects(SEED, &p, &s), Err(DrawError::Duplicate { code: "S01".into() }));
    assert_eq!(draw_subjects(SEED, &[], &s), Ok(vec![]), "an empty population draws nobody");
}

#[test]
fn shares_and_quotas_in_integers() {
    for (text, v) in [("3", 300), ("2.5", 250), ("0.05", 5), ("100", 10_000), ("0", 0), ("12.50", 1250)] {
        assert_eq!(Share::parse(text), Some(Share(v)), "{text}");
    }
    for bad in ["", "100.01", "101", "1.234", "-1", "1.", ".5", "a", "1e2", " 3"] {
        assert_eq!(Share::parse(bad), None, "{bad:?}");
    }
    assert_eq!(Share(250).to_string(), "2.5");
    assert_eq!(Share(5).to_string(), "0.05");
    assert_eq!(Share(300).to_string(), "3");
    assert_eq!(quota(0, Share(10_000)), 0);
    assert_eq!(quota(1, Share(1)), 1, "any share of one subject draws it");
    assert_eq!(quota(100, Share(250)), 3, "2.5 % of 100 is 2.5, rounded up");
    assert_eq!(quota(40, Share(250)), 1, "exactly 1");
    assert_eq!(quota(7, Share(10_000)), 7, "D at 100 %");
    assert_eq!(quota(1_000_000, Share(300)), 30_000);
}

proptest! {
    #[test]
    fn shares_print_back(v in 0u32..=10_000) {
        prop_assert_eq!(Share::parse(&Share(v).to_string()), Some(Share(v)));
    }

    #[test]
    fn quota_is_the_ceiling_and_never_more_than_n(n in 0usize..100_000, v in 0u32..=10_000) {
        let k = quota(n, Share(v));
        prop_assert!(k <= n);
        prop_assert!(k as u128 * 10_000 >= n as u128 * v as u128);
        prop_assert!(k == 0 || (k as u128 - 1) * 10_000 < n as u128 * v as u128);
    }

    #[test]
    fn a_draw_is_a_function_of_seed_and_population_not_of_order(
        grades in proptest::collection::vec(0usize..4, 0..60), rot in 0usize..60, salt in any::<u32>()
    ) {
        let names = ["AA", "A", "B", "none"];
        let pop: Vec<Member> = grades.iter().enumerate()
            .map(|(i, g)| member(&format!("S{i:03}"), (names[*g] != "none").then_some(names[*g])))
            .collect();
        let mut rotated = pop.clone();
        if !rotated.is_empty() { let r = rot % rotated.len(); rotated.rotate_left(r); }
        let s = shares(&[("AA", "3"), ("A", "33.33"), ("B", "50"), ("none", "100")]);
        let seed = sha256_hex(&salt.to_string());
        let a = draw_subjects(&seed, &pop, &s).unwrap();
        prop_assert_eq!(&a, &draw_subjects(&seed, &rotated, &s).unwrap());
        prop_assert_eq!(population_hash(&pop), population_hash(&rotated));
        for g in names {
            let n = pop.iter().filter(|m| m.stratum() == g).count();
            prop_assert_eq!(a.iter().filter(|m| m.stratum() == g).count(), quota(n, s[g]));
        }
    }
}

#[test]
fn the_shipped_rules_and_plan_overrides() {
    let r = InspectionRules::embedded();
    assert_eq!((r.publish_days, r.min_inspectors, r.recent_days), (20, 2, 365));
    assert_eq!(r.grades["D"].share, Share(10_000));
    assert_eq!(r.grades["none"].share, Share(500));
    let grades: Vec<String> = ["AA", "A", "B", "C", "D"].map(String::from).to_vec();
    let plan = r.plan_shares(&grades, &BTreeMap::new()).unwrap();
    assert_eq!(plan.shares.len(), 6);
    assert!(plan.overridden.is_empty());
    let plan = r.plan_shares(&grades, &parse_overrides("AA=2, B=12.5").unwrap()).unwrap();
    assert_eq!((plan.shares["AA"], plan.shares["B"]), (Share(200), Share(1250)));
    assert_eq!(plan.overridden, [("AA".to_string(), Share(300)), ("B".to_string(), Share(1000))].into());
    let err = r.plan_shares(&grades, &parse_overrides("D=50").unwrap()).unwrap_err();
    assert!(err.contains("100%–100%"), "{err}");
    assert!(r.plan_shares(&grades, &parse_overrides("AAA=3").unwrap()).unwrap_err().contains("不属于"));
    assert!(parse_overrides("AA").is_err());
    assert!(parse_overrides("AA=3,AA=4").is_err());
    assert!(parse_overrides("AA=300").is_err());
    // Every grade of every shipped scheme has a row.
    for s in crate::evaluation::scheme::Scheme::embedded() {
        for v in &s.versions {
            let gs: Vec<String> = v.bands.iter().map(|b| b.grade.clone()).collect();
            assert!(r.plan_shares(&gs, &BTreeMap::new()).is_ok(), "{}", s.code);
        }
    }
}

#[test]
fn rules_files_with_problems_are_refused_with_their_reason() {
    let good = EMBEDDED;
    let cases = [
        (good.replace("minimum = 2", "minimum = 1"), "minimum"),
        (good.replace("share = \"100\"", "share = \"50\""), "不在其范围"),
        (good.replace("grade = \"none\"", "grade = \"X\""), "none"),
        (good.replace("publish_result = 20", "publish_result = 0"), "publish_result"),
        (good.replace("share = \"3\"", "share = 3"), "share"),
        (good.replace("grade = \"AAA\"", "grade = \"AA\""), "重复"),
    ];
    for (text, needle) in cases {
        let e = InspectionRules::parse(&text).unwrap_err();
        assert!(e.contains(needle), "{needle}: {e}");
    }
}
