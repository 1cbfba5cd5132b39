//! The shared suite's tests of the evaluation capability.

use xinjiao_core::evaluation::scheme::Scheme;
use xinjiao_core::records::ids::Uscc;
use xinjiao_core::records::record::SubjectInfo;

use crate::evaluation::{evaluate_all, run_evaluation};
use crate::{EventOutcome, NewCreditEvent, Store, WriteContext};
use jiff::Timestamp;

use super::*;

pub(crate) fn organisation(name: &str, uscc: &str) -> SubjectInfo {
    SubjectInfo::organisation(Uscc::parse(uscc).unwrap(), name)
}

pub fn credit_events_and_evaluation_runs(store: &dyn Store) {
    let schemes = Scheme::embedded();
    let road = schemes.iter().find(|s| s.code == "road-transport").unwrap();
    let calendar = xinjiao_core::calendar::Calendar::embedded();
    let (one, seven) = (uscc_for(1), uscc_for(7));
    // A penalty the road-transport scheme maps (超限运输 → RT-01: -5, 3 demerits).
    store
        .write_records(&ctx("clerk"), &[penalty("河源市一号运输有限公司", &one, "河交罚〔2025〕1号", "2025-05-06")])
        .unwrap();
    let event = |subject: SubjectInfo, item: &str, points: Option<i64>, date: &str, basis: &str| NewCreditEvent {
        subject,
        scheme: "road-transport".into(),
        item: item.into(),
        points,
        date: date.parse().unwrap(),
        basis: basis.into(),
    };
    let events = [
        event(organisation("河源市一号运输有限公司", &one), "RT-B01", Some(30), "2025-06-01", "河交表〔2025〕1号"),
        event(organisation("河源市七号物流有限公司", &seven), "RT-03", None, "2025-07-01", "河交检〔2025〕7号"),
    ];
    let out = store.write_credit_events(&ctx("coord"), &events).unwrap();
    assert!(matches!(out[0], EventOutcome::Created { .. }) && matches!(out[1], EventOutcome::Created { .. }));
    // A subject named only by an event is created as a record import creates it.
    assert_eq!(store.subject_by_identity(&seven).unwrap().unwrap().name, "河源市七号物流有限公司");
    // The same events again change nothing.
    let again = store.write_credit_events(&ctx("coord"), &events).unwrap();
    assert!(again.iter().all(|o| matches!(o, EventOutcome::Unchanged { .. })));
    let stored = store.credit_events("road-transport").unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].1.points, Some(xinjiao_core::evaluation::scheme::Points(30)));
    assert_eq!(stored[0].1.known_from, ctx("x").china_date());
    let inputs = store.penalty_inputs().unwrap();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].fields.get("CF_WFXW").map(String::as_str), Some("超限运输"));

    // Cycle 2025 as of a day everything was known: 100 - 5 + 3 = 98 and 100 - 1 = 99.
    let as_of: Date = "2026-06-01".parse().unwrap();
    let computed = evaluate_all(store, &schemes, road, 2025, as_of).unwrap();
    let summary =
        run_evaluation(store, &ctx("coord"), &schemes, road, 2025, as_of, &calendar, &mut |_, _| Ok(())).unwrap();
    let (run, results) = (summary.id, store.evaluation_results(summary.id).unwrap());
    assert_eq!(summary.subjects, 2);
    let by_key = |rs: &[crate::StoredResult], k: &str| {
        rs.iter().find(|r| r.subject_key == k).cloned().unwrap_or_else(|| panic!("{k} not in {rs:?}"))
    };
    assert_eq!(
        (by_key(&results, &one).score, by_key(&results, &one).demerits, by_key(&results, &one).grade.as_str()),
        (980, 3, "AA")
    );
    assert_eq!(by_key(&results, &seven).score, 990);
    let runs = store.evaluation_runs("road-transport").unwrap();
    assert_eq!(
        (runs[0].id, runs[0].cycle_year, runs[0].as_of, runs[0].version.as_str()),
        (run, 2025, as_of, "js-2024")
    );
    assert!(runs[0].final_from > as_of, "preliminary during the comment period");
    let mut sorted = computed.clone();
    sorted.sort_by(|a, b| a.subject_key.cmp(&b.subject_key));
    assert_eq!(results, sorted, "stored as computed");
    assert_eq!(summary.final_from, runs[0].final_from);
    assert_eq!(store.grade_counts(run).unwrap(), [("AA".to_string(), 2)].into(), "both AA");
    assert!(by_key(&results, &one).explanation.contains("河交罚〔2025〕1号"), "the explanation names the record");
    // As of the day before anything was stored, nothing is known: nobody is graded.
    let before = evaluate_all(store, &schemes, road, 2025, "2026-05-28".parse().unwrap()).unwrap();
    assert!(before.is_empty(), "{before:?}");
    // A withdrawn penalty stops counting from its withdrawal.
    let id = store.list_records(&crate::RecordFilter::default(), crate::PageRequest::new(1, 10)).unwrap().items[0].id;
    store.withdraw_record(&ctx("coord"), id, "行政复议撤销", "2026-05-27".parse().unwrap()).unwrap();
    let after = evaluate_all(store, &schemes, road, 2025, "2026-06-01".parse().unwrap()).unwrap();
    assert_eq!(by_key(&after, &one).score, 1030);
    // The next cycle sees this run's grades as the previous cycle's.
    let next_run = run_evaluation(
        store,
        &ctx("coord"),
        &schemes,
        road,
        2026,
        "2027-01-01".parse().unwrap(),
        &calendar,
        &mut |_, _| Ok(()),
    )
    .unwrap();
    let next = store.evaluation_results(next_run.id).unwrap();
    assert!(by_key(&next, &one).fingerprint != by_key(&results, &one).fingerprint);
    let runs = store.evaluation_runs("road-transport").unwrap();
    assert_eq!(runs.iter().map(|r| r.cycle_year).collect::<Vec<_>>(), [2026, 2025], "newest first");
    assert!(store.events(50).unwrap().iter().any(|e| e.action == "evaluation.run"));
    // The subject objects during the comment period; one open objection at a time.
    let sid1 = by_key(&results, &one).subject_id;
    let obj = store.file_result_objection(&ctx("subject"), run, sid1, "超限运输处罚已撤销").unwrap();
    assert!(matches!(
        store.file_result_objection(&ctx("subject"), run, sid1, "again"),
        Err(crate::StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.file_result_objection(&ctx("subject"), run, 999_999, "x"),
        Err(crate::StoreError::NotFound)
    ));
    use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
    assert!(
        store.act_on_result_objection(&ctx("coord"), obj, &ObjectionAction::Reject("x".into())).is_err(),
        "acknowledge first"
    );
    store.act_on_result_objection(&ctx("coord"), obj, &ObjectionAction::Acknowledge).unwrap();
    assert_eq!(store.result_objections(Some(sid1), true).unwrap().len(), 1);
    let done =
        store.act_on_result_objection(&ctx("coord"), obj, &ObjectionAction::Uphold("已撤销，重新评价".into())).unwrap();
    assert_eq!(done, ObjectionStatus::Upheld);
    let listed = store.result_objections(None, false).unwrap();
    assert_eq!(
        (listed[0].status, listed[0].decision_reason.as_deref(), listed[0].cycle_year),
        (ObjectionStatus::Upheld, Some("已撤销，重新评价"), 2025)
    );
    assert!(store.result_objections(None, true).unwrap().is_empty());
    // After the comment period the result is final: no objection.
    let later = WriteContext::new("subject", Timestamp::from_second(1_790_000_000).unwrap(), "测试");
    assert!(matches!(store.file_result_objection(&later, run, sid1, "late"), Err(crate::StoreError::Conflict(_))));
    // A subject's results, newest run first.
    let sid = by_key(&results, &one).subject_id;
    let mine = store.subject_evaluations(sid).unwrap();
    assert_eq!(mine.iter().map(|(r, _)| r.cycle_year).collect::<Vec<_>>(), [2026, 2025]);
    assert_eq!(mine[1].1, by_key(&results, &one));

    // Grades made final enter the transparency log, once: on the day the
    // 2025 run becomes final, its results; the 2026 run's later.
    let final_2025 = runs[1].final_from;
    let mut known = std::collections::BTreeSet::new();
    let log = |day, known: &mut std::collections::BTreeSet<i64>| {
        crate::transparency::log_final_grades(store, &ctx("system"), &["road-transport"], day, known).unwrap()
    };
    assert_eq!(log(final_2025, &mut known), results.len() as u64);
    assert_eq!(known, [run].into(), "remembered as logged");
    assert_eq!(log(final_2025, &mut known), 0, "not read again");
    assert_eq!(log(final_2025, &mut Default::default()), 0, "logged once, even by another process");
    let leaf = store.object_leaf(&format!("grade/{run}/{sid}")).unwrap().unwrap();
    assert_eq!(leaf.event, "grade.final");
    for part in ["\"grade\":\"AA\"".to_string(), format!("\"subject\":\"{one}\""), format!("\"run\":{run}")] {
        assert!(leaf.content.contains(&part), "{part} in {}", leaf.content);
    }
    let later_day = runs[0].final_from;
    assert_eq!(log(later_day, &mut known), next.len() as u64);

    // A run that fails half-way (its second batch) leaves nothing: no run,
    // no result of the first batch, no event.
    let runs_before = store.evaluation_runs("road-transport").unwrap().len();
    let events_before = store.events(1000).unwrap().len();
    let mut batches = 0;
    let failed = store.store_evaluation_run(
        &ctx("coord"),
        &crate::NewRun {
            scheme: "road-transport".into(),
            cycle_year: 2027,
            as_of: "2028-01-01".parse().unwrap(),
            version: "js-2024".into(),
            final_from: "2028-01-20".parse().unwrap(),
        },
        &mut |_| {
            batches += 1;
            match batches {
                1 => Ok(Some(results.clone())),
                _ => Err(crate::StoreError::Conflict("第二批出错".into())),
            }
        },
    );
    assert!(matches!(failed, Err(crate::StoreError::Conflict(_))), "{failed:?}");
    assert_eq!(store.evaluation_runs("road-transport").unwrap().len(), runs_before);
    assert_eq!(store.events(1000).unwrap().len(), events_before);
    assert!(store.subject_evaluations(sid).unwrap().iter().all(|(r, _)| r.cycle_year != 2027));
}
