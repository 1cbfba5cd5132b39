//! The shared suite's tests of graded supervision: matters, the roster,
//! draws planned once and run once.

use xinjiao_core::evaluation::scheme::Scheme;
use xinjiao_core::inspection::draw;
use xinjiao_core::inspection::rules::InspectionRules;

use crate::inspection::{PlanRequest, plan_draw, run_draw};
use crate::{Inspector, NewMatter, Store, WriteContext};
use jiff::Timestamp;

use super::*;

pub fn draws_are_planned_once_and_run_once(store: &dyn Store) {
    let (_, wzcl, dy) = small_organisation(store);
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let clerk = WriteContext::new("wz1", at("2026-03-02T02:00:00Z"), "上传").in_department(Some(wzcl));
    let coord = WriteContext::new("chen", at("2026-11-02T02:00:00Z"), "抽查").overseeing(true);
    // Twelve licence holders of the department; the first six graded.
    let licences: Vec<_> =
        (1..=12).map(|i| license("某运输公司", &uscc_for(i), &format!("许{i}"), "2026-02-20")).collect();
    store.write_records(&clerk, &licences).unwrap();
    let schemes = Scheme::embedded();
    let road = schemes.iter().find(|s| s.code == "road-transport").unwrap();
    let events: Vec<crate::NewCreditEvent> = (1..=6)
        .map(|i| crate::NewCreditEvent {
            subject: super::evaluation::organisation("某运输公司", &uscc_for(i)),
            scheme: "road-transport".into(),
            item: if i <= 3 { "RT-03".into() } else { "RT-02".into() },
            points: None,
            date: "2026-02-25".parse().unwrap(),
            basis: format!("检{i}"),
        })
        .collect();
    store.write_credit_events(&clerk, &events).unwrap();
    let calendar = xinjiao_core::calendar::Calendar::embedded();
    crate::evaluation::run_evaluation(
        store,
        &coord,
        &schemes,
        road,
        2026,
        "2026-09-01".parse().unwrap(),
        &calendar,
        &mut |_, _| Ok(()),
    )
    .unwrap();

    store
        .save_matter(
            &coord,
            &NewMatter {
                code: "HY-CC-01".into(),
                name: "道路运输经营者经营行为检查".into(),
                department_id: wzcl,
                legal_basis: "《道路运输条例》第五十八条".into(),
                scheme: "road-transport".into(),
                priority: "key".into(),
                times_a_year: 1,
            },
        )
        .unwrap();
    assert_eq!(store.matters().unwrap()[0].department_id, wzcl);
    let inspector = |c: &str, d: i64, active: bool| Inspector {
        certificate: c.into(),
        name: "执法员".into(),
        department_id: d,
        active,
    };
    let roster = [
        inspector("E1", wzcl, true),
        inspector("E2", wzcl, true),
        inspector("E3", wzcl, true),
        inspector("E4", wzcl, false),
        inspector("E5", dy, true),
    ];
    assert_eq!(store.save_inspectors(&coord, &roster).unwrap(), (5, 0));
    assert_eq!(store.save_inspectors(&coord, &roster).unwrap(), (0, 0), "unchanged rows are not rewritten");
    let first = store.subject_by_key(&uscc_for(1)).unwrap().unwrap();
    store.declare_conflict(&coord, "E1", first.id, "亲属在该公司任职").unwrap();

    let rules = InspectionRules::embedded();
    let secret = "ab".repeat(32);
    let req = PlanRequest {
        matter_code: "HY-CC-01".into(),
        as_of: "2026-11-02".parse().unwrap(),
        overrides: xinjiao_core::inspection::rules::parse_overrides("AA=20,A=30").unwrap(),
        inspectors: Some(2),
        public_value_source: "2026-11-05 体彩排列五开奖号码".into(),
        secret: secret.clone(),
    };
    let id = plan_draw(store, &coord, &rules, &schemes, &req).unwrap();
    let planned = store.draw(id).unwrap();
    assert_eq!(planned.population.len(), 12);
    assert_eq!(planned.population.iter().filter(|m| m.grade.is_some()).count(), 6);
    assert_eq!(planned.population_hash, draw::population_hash(&planned.population));
    assert_eq!(planned.commitment, draw::commitment(&secret));
    assert_eq!(planned.roster.eligible, ["E1", "E2", "E3"], "active members of the department only");
    assert_eq!(planned.roster.excluded.get(&uscc_for(1)).map(Vec::as_slice), Some(&["E1".to_string()][..]));
    assert!(planned.run_at.is_none() && planned.revealed_secret().is_none());
    assert_eq!(planned.overridden.len(), 2, "both overrides differ from the rules");
    // A plan the rules refuse: D below 100 %.
    let mut bad = req.clone();
    bad.overrides = xinjiao_core::inspection::rules::parse_overrides("D=50").unwrap();
    assert!(matches!(plan_draw(store, &coord, &rules, &schemes, &bad), Err(crate::StoreError::Conflict(_))));

    let done = run_draw(store, &coord, id, "3 1 4 1 5").unwrap();
    let seed = draw::seed(&secret, "3 1 4 1 5");
    assert_eq!(done.seed.as_deref(), Some(seed.as_str()));
    assert_eq!(done.revealed_secret(), Some(secret.as_str()));
    let again = draw::run(&seed, &planned.population, &planned.shares, &|c| planned.roster.eligible_for(c), 2).unwrap();
    assert_eq!(done.drawn, again, "stored as the specification computes it");
    // Ungraded: 5 % of 6 → 1; AA at 20 % of 3 → 1; A at 30 % of 3 → 1.
    let n = |g: Option<&str>| done.drawn.iter().filter(|a| a.member.grade.as_deref() == g).count();
    assert_eq!((n(None), n(Some("AA")), n(Some("A"))), (1, 1, 1));
    assert!(done.drawn.iter().all(|a| a.member.code != uscc_for(1) || !a.inspectors.contains(&"E1".to_string())));
    // The same on every backend (pinned: the population's hash and what was drawn).
    let drawn: Vec<(String, Option<String>, Vec<String>)> =
        done.drawn.iter().map(|a| (a.member.code.clone(), a.member.grade.clone(), a.inspectors.clone())).collect();
    assert_eq!(planned.population_hash, "0d4d197593f53b9104961ba14b8eeb37a90cf9e1bf0dfdfcc9aba3ec064baa69");
    let pinned = [
        ("91441600MA00000666", Some("A"), ["E1", "E3"]),
        ("91441600MA0000015X", Some("AA"), ["E2", "E3"]),
        ("91441600MA00001117", None, ["E2", "E3"]),
    ]
    .map(|(c, g, i)| (c.to_string(), g.map(String::from), i.map(String::from).to_vec()));
    assert_eq!(drawn, pinned, "subject 1 (…15X) without E1, its declared conflict");
    // Run once only, whatever the public value: refused and logged.
    for value in ["3 1 4 1 5", "9 9 9 9 9"] {
        assert!(matches!(run_draw(store, &coord, id, value), Err(crate::StoreError::Conflict(_))));
    }
    let refused = store.events(100).unwrap().iter().filter(|e| e.action == "draw.rerun_refused").count();
    assert_eq!(refused, 2);
    assert_eq!(store.draw(id).unwrap().drawn, done.drawn, "unchanged");
    let list = store.draws().unwrap();
    assert_eq!((list[0].id, list[0].population, list[0].drawn, list[0].entered), (id, 12, done.drawn.len(), 0));
    // Results: the matter's department enters them, once each, for drawn subjects only.
    use xinjiao_core::inspection::results::Outcome;
    let later = |d| WriteContext::new("wz1", at("2026-11-10T02:00:00Z"), "检查结果").in_department(Some(d));
    let code = done.drawn[0].member.code.clone();
    let on: xinjiao_core::Date = "2026-11-09".parse().unwrap();
    let enter = |c: &WriteContext, code: &str, o| {
        crate::inspection::enter_result(store, c, id, code, o, "未按规定携带道路运输证", on)
    };
    assert!(
        matches!(enter(&later(dy), &code, Outcome::Rectification), Err(crate::StoreError::Conflict(m)) if m.contains("录入"))
    );
    assert!(matches!(enter(&later(wzcl), &uscc_for(99), Outcome::Clean), Err(crate::StoreError::Conflict(_))));
    enter(&later(wzcl), &code, Outcome::Rectification).unwrap();
    assert!(
        matches!(enter(&later(wzcl), &code, Outcome::Clean), Err(crate::StoreError::Conflict(m)) if m.contains("已经录入"))
    );
    let results = store.inspection_results(id).unwrap();
    assert_eq!((results.len(), results[0].outcome, results[0].inspected_on), (1, Outcome::Rectification, on));
    assert!(store.events(5).unwrap().iter().any(|e| e.action == "inspection.result"));
    assert_eq!(store.draws().unwrap()[0].entered, 1, "results counted in the list");
    // A result counts in the evaluation where the scheme maps its outcome:
    // a road-transport variant giving +1 for a clean inspection.
    let clean = done.drawn[1].member.code.clone();
    enter(&later(wzcl), &clean, Outcome::Clean).unwrap();
    let text = xinjiao_core::evaluation::scheme::EMBEDDED.iter().find(|(c, _)| *c == "road-transport").unwrap().1;
    let variant = text.replacen(
        "[[version.mapping]]",
        "[[version.items]]\ncode = \"RT-B02\"\nname = \"双随机抽查未发现问题\"\npoints = 1\nbasis = \"本局规定\"\n\n[[version.inspection]]\noutcome = \"clean\"\nitem = \"RT-B02\"\n\n[[version.mapping]]",
        1,
    );
    let variant = Scheme::parse(&variant).unwrap();
    let graded =
        crate::evaluation::evaluate_all(store, &schemes, &variant, 2026, "2026-11-20".parse().unwrap()).unwrap();
    let mine = graded.iter().find(|r| r.subject_key == clean).unwrap();
    let x = crate::evaluation::Explanation::parse(&mine.explanation);
    assert!(
        x.items.iter().any(|i| i.item == "RT-B02" && i.points == 10 && i.source == format!("第 {id} 号抽查")),
        "{x:?}"
    );
    // Known from the day entered: as of the day before, not yet.
    let before =
        crate::evaluation::evaluate_all(store, &schemes, &variant, 2026, "2026-11-09".parse().unwrap()).unwrap();
    assert!(before.iter().all(|r| !r.explanation.contains("RT-B02")));
    // The shipped scheme says nothing of inspections: nothing counts.
    let shipped = crate::evaluation::evaluate_all(store, &schemes, road, 2026, "2026-11-20".parse().unwrap()).unwrap();
    assert!(shipped.iter().all(|r| !r.explanation.contains("抽查")));
    // Inspectors of this draw are excluded from the same subjects in the next year's plans.
    let id2 = plan_draw(store, &coord, &rules, &schemes, &PlanRequest { secret: "cd".repeat(32), ..req }).unwrap();
    let next = store.draw(id2).unwrap();
    for a in &done.drawn {
        for c in &a.inspectors {
            assert!(next.roster.excluded[&a.member.code].contains(c), "{} {c}", a.member.code);
        }
    }
}
