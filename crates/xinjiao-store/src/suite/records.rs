//! The shared suite's tests of the records capability.

use crate::{NewSubmission, PageRequest, RecordFilter, RecordOutcome, Role, Store, StoreError, WriteContext};
use jiff::Timestamp;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::{Date, Record};

use super::*;

pub fn write_creates_subject_and_record(store: &dyn Store) {
    let out = store
        .write_records(&ctx("clerk"), &[penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2024〕1号", "2024-05-28")])
        .unwrap();
    let [RecordOutcome::Created { record_id }] = out[..] else { panic!("{out:?}") };
    let subject = store.subject_by_key(SHUNDA).unwrap().expect("subject");
    assert_eq!(subject.name, "河源市顺达运输有限公司");
    assert_eq!(subject.n_penalties, 1);
    assert_eq!(subject.n_licenses, 0);
    let detail = store.record(record_id).unwrap().expect("record");
    assert_eq!(detail.row.decision_no, "河交罚〔2024〕1号");
    assert_eq!(detail.row.subject_key, SHUNDA);
    assert_eq!(detail.row.version, 1);
    assert_eq!(detail.versions.len(), 1);
    assert_eq!(detail.current().fields.get("CF_NR_FK").map(String::as_str), Some("0.2"));
    assert_eq!(detail.current().created_by, "clerk");
    assert_eq!(detail.events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["record.created"]);
    assert!(store.record(record_id + 1000).unwrap().is_none());
    assert!(store.subject_by_key("91110000600037341L").unwrap().is_none());
}

pub fn identical_rewrite_changes_nothing(store: &dyn Store) {
    let recs = [
        penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2024〕1号", "2024-05-28"),
        license("河源市顺达运输有限公司", SHUNDA, "河交运许〔2024〕1号", "2024-05-28"),
    ];
    store.write_records(&ctx("clerk"), &recs).unwrap();
    let n_events = store.events(1000).unwrap().len();
    let again = store.write_records(&ctx("clerk"), &recs).unwrap();
    assert!(again.iter().all(|o| matches!(o, RecordOutcome::Unchanged { .. })), "{again:?}");
    assert_eq!(store.events(1000).unwrap().len(), n_events);
    assert_eq!(store.totals().unwrap().n_penalties, 1);
    assert_eq!(store.totals().unwrap().n_licenses, 1);
}

pub fn changed_row_makes_new_version(store: &dyn Store) {
    let first = penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2024〕1号", "2024-05-28");
    let id = store.write_records(&ctx("clerk"), &[first]).unwrap()[0].record_id();
    let changed = penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2024〕1号", "2024-05-29");
    let out = store.write_records(&ctx("reviewer"), &[changed]).unwrap();
    assert_eq!(out, [RecordOutcome::Updated { record_id: id, version: 2 }]);
    let detail = store.record(id).unwrap().unwrap();
    assert_eq!(detail.row.version, 2);
    assert_eq!(detail.row.decision_date, Date::new(2024, 5, 29).unwrap());
    assert_eq!(detail.versions.len(), 2);
    assert_eq!(detail.versions[0].fields["CF_JDRQ"], "2024-05-28");
    assert_eq!(detail.versions[1].fields["CF_JDRQ"], "2024-05-29");
    assert_eq!(detail.versions[1].created_by, "reviewer");
    let updated = detail.events.iter().find(|e| e.action == "record.updated").expect("update event");
    assert!(updated.detail.contains("CF_JDRQ") && updated.detail.contains("CF_YXQ"), "{}", updated.detail);
    assert_eq!(updated.actor, "reviewer");
    // A renamed subject is renamed, with an event.
    store
        .write_records(&ctx("clerk"), &[penalty("河源市顺达物流有限公司", SHUNDA, "河交罚〔2024〕2号", "2024-06-01")])
        .unwrap();
    assert_eq!(store.subject_by_key(SHUNDA).unwrap().unwrap().name, "河源市顺达物流有限公司");
    assert!(store.events(100).unwrap().iter().any(|e| e.action == "subject.updated"));
    assert_eq!(store.search_subjects("物流", PageRequest::new(1, 10)).unwrap().total, 1);
    assert_eq!(store.search_subjects("运输有限", PageRequest::new(1, 10)).unwrap().total, 0);
}

pub fn same_decision_twice_in_one_batch(store: &dyn Store) {
    let a1 = penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2024〕1号", "2024-05-28");
    let b = penalty("龙川县安通物流有限公司", "91110108551385082Q", "河交罚〔2024〕2号", "2024-05-28");
    let a2 = penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2024〕1号", "2024-05-30");
    let out = store.write_records(&ctx("clerk"), &[a1.clone(), b.clone(), a2.clone(), a2.clone()]).unwrap();
    let (ida, idb) = (out[0].record_id(), out[1].record_id());
    assert_eq!(
        out,
        [
            RecordOutcome::Created { record_id: ida },
            RecordOutcome::Created { record_id: idb },
            RecordOutcome::Updated { record_id: ida, version: 2 },
            RecordOutcome::Unchanged { record_id: ida },
        ]
    );
    assert_ne!(ida, idb);
    assert_eq!(store.record(ida).unwrap().unwrap().versions.len(), 2);
    assert_eq!(store.totals().unwrap().n_penalties, 2);
    // A subject new in this batch and renamed later in the same batch.
    let c1 = penalty("紫金县新公司", &uscc_for(77), "河交罚〔2024〕7号", "2024-05-28");
    let c2 = penalty("紫金县新公司（更名）", &uscc_for(77), "河交罚〔2024〕8号", "2024-05-28");
    store.write_records(&ctx("clerk"), &[c1, c2]).unwrap();
    assert_eq!(names(store, "更名"), ["紫金县新公司（更名）"]);
    assert!(names(store, "紫金县新公司").iter().all(|n| n.contains("更名")));
}

pub fn subject_names_follow_the_latest_decision(store: &dyn Store) {
    let name = || store.subject_by_key(SHUNDA).unwrap().unwrap().name;
    store.write_records(&ctx("clerk"), &[penalty("顺达新名", SHUNDA, "河交罚〔2024〕1号", "2024-06-01")]).unwrap();
    store.write_records(&ctx("clerk"), &[penalty("顺达旧名", SHUNDA, "河交罚〔2023〕1号", "2023-01-01")]).unwrap();
    assert_eq!(name(), "顺达新名", "an older decision does not rename the subject back");
    store.write_records(&ctx("clerk"), &[penalty("顺达更新名", SHUNDA, "河交罚〔2025〕1号", "2025-01-01")]).unwrap();
    assert_eq!(name(), "顺达更新名");
    assert_eq!(store.search_subjects("顺达更新", PageRequest::new(1, 5)).unwrap().total, 1);
    assert_eq!(store.search_subjects("顺达新名", PageRequest::new(1, 5)).unwrap().total, 0);
}

fn names(store: &dyn Store, q: &str) -> Vec<String> {
    store.search_subjects(q, PageRequest::new(1, 50)).unwrap().items.into_iter().map(|s| s.name).collect()
}

pub fn search_finds_substrings_and_codes(store: &dyn Store) {
    let recs: Vec<Record> =
        ["河源市顺达运输有限公司", "龙川县顺达货运有限公司", "紫金县安通客运站", "和平县ABC物流有限公司"]
            .iter()
            .enumerate()
            .map(|(i, n)| penalty(n, &uscc_for(i as u32), &format!("河交罚〔2024〕{i}号"), "2024-05-28"))
            .collect();
    store.write_records(&ctx("clerk"), &recs).unwrap();
    assert_eq!(names(store, "顺达").len(), 2, "2-character query");
    assert_eq!(names(store, "顺"), ["河源市顺达运输有限公司", "龙川县顺达货运有限公司"]);
    assert_eq!(names(store, "顺达运输"), ["河源市顺达运输有限公司"]);
    assert_eq!(names(store, "客运站"), ["紫金县安通客运站"]);
    assert_eq!(names(store, "abc"), ["和平县ABC物流有限公司"], "Latin letters fold to upper case");
    assert_eq!(names(store, "ＡＢＣ物流"), ["和平县ABC物流有限公司"], "full-width folds");
    assert_eq!(names(store, " 安通 "), ["紫金县安通客运站"]);
    assert_eq!(names(store, &uscc_for(2)), ["紫金县安通客运站"], "by code");
    assert!(names(store, "不存在").is_empty());
    assert!(names(store, "").is_empty());
    assert!(names(store, "%").is_empty());
    assert!(names(store, "_").is_empty());
}

pub fn search_ranks_exact_then_prefix_then_shorter(store: &dyn Store) {
    let all = ["河源市顺达运输有限公司", "顺达", "顺达运输有限公司", "龙川县顺达货运有限公司", "东源县顺达"];
    let recs: Vec<Record> = all
        .iter()
        .enumerate()
        .map(|(i, n)| penalty(n, &uscc_for(100 + i as u32), &format!("河交罚〔2025〕{i}号"), "2025-01-02"))
        .collect();
    store.write_records(&ctx("clerk"), &recs).unwrap();
    assert_eq!(
        names(store, "顺达"),
        ["顺达", "顺达运输有限公司", "东源县顺达", "河源市顺达运输有限公司", "龙川县顺达货运有限公司"]
    );
    let p1 = store.search_subjects("顺达", PageRequest::new(1, 2)).unwrap();
    let p3 = store.search_subjects("顺达", PageRequest::new(3, 2)).unwrap();
    assert_eq!(p1.total, 5);
    assert_eq!(p1.n_pages(), 3);
    assert_eq!(p1.items.len(), 2);
    assert_eq!(p3.items.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["龙川县顺达货运有限公司"]);
}

pub fn natural_persons_get_opaque_keys(store: &dyn Store) {
    store.write_records(&ctx("clerk"), &[person_penalty("李四", "11010519491231002X", "河交罚〔2025〕9号")]).unwrap();
    let hits = store.search_subjects("李四", PageRequest::new(1, 10)).unwrap();
    assert_eq!(hits.items.len(), 1);
    let s = &hits.items[0];
    assert!(s.key.starts_with('P') && !s.key.contains("110105"), "{}", s.key);
    assert_eq!(s.id_doc_no.as_deref(), Some("11010519491231002X"));
    assert_eq!(store.subject_by_key(&s.key).unwrap().unwrap().id, s.id);
    // The same person again is the same subject.
    store.write_records(&ctx("clerk"), &[person_penalty("李四", "11010519491231002X", "河交罚〔2025〕10号")]).unwrap();
    assert_eq!(store.subject_by_key(&s.key).unwrap().unwrap().n_penalties, 2);
    assert!(
        store.search_subjects("11010519491231002X", PageRequest::new(1, 10)).unwrap().items.is_empty(),
        "ID numbers are not searchable"
    );
}

pub fn record_lists_filter_and_page(store: &dyn Store) {
    let mut recs = Vec::new();
    for i in 0..12u32 {
        let date = format!("2024-{:02}-15", i + 1);
        recs.push(penalty(&format!("企业{i}运输公司"), &uscc_for(200 + i), &format!("河交罚〔2024〕{i}号"), &date));
    }
    recs.push(license("企业0运输公司", &uscc_for(200), "河交运许〔2024〕1号", "2024-03-01"));
    store.write_records(&ctx("clerk"), &recs).unwrap();
    let all = store.list_records(&RecordFilter::default(), PageRequest::new(1, 5)).unwrap();
    assert_eq!(all.total, 13);
    assert_eq!(all.items.len(), 5);
    assert_eq!(all.items[0].decision_date, Date::new(2024, 12, 15).unwrap(), "newest first");
    let pen = RecordFilter { kind: Some(RecordKind::Penalty), ..Default::default() };
    assert_eq!(store.list_records(&pen, PageRequest::new(1, 5)).unwrap().total, 12);
    let lic = RecordFilter { kind: Some(RecordKind::License), ..Default::default() };
    let lics = store.list_records(&lic, PageRequest::new(1, 5)).unwrap();
    assert_eq!(lics.total, 1);
    assert_eq!(lics.items[0].authority_name, "龙川县交通运输局");
    let range = RecordFilter {
        date_from: Some(Date::new(2024, 3, 1).unwrap()),
        date_to: Some(Date::new(2024, 5, 15).unwrap()),
        ..Default::default()
    };
    let in_range = store.list_records(&range, PageRequest::new(1, 50)).unwrap();
    assert_eq!(in_range.total, 4, "3 penalties (Mar, Apr, May) + 1 licence on 03-01, both bounds inclusive");
    let by_auth = RecordFilter { authority_code: Some("91350100M000100Y43".into()), ..Default::default() };
    assert_eq!(store.list_records(&by_auth, PageRequest::new(1, 50)).unwrap().total, 1);
    let subject = store.subject_by_key(&uscc_for(200)).unwrap().unwrap();
    let of_subject = RecordFilter { subject_id: Some(subject.id), ..Default::default() };
    assert_eq!(store.list_records(&of_subject, PageRequest::new(1, 50)).unwrap().total, 2);
    let last = store.list_records(&RecordFilter::default(), PageRequest::new(3, 5)).unwrap();
    assert_eq!(last.items.len(), 3);
    let beyond = store.list_records(&RecordFilter::default(), PageRequest::new(9, 5)).unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 13);
}

pub fn failed_stream_stores_nothing(store: &dyn Store) {
    let batches: Vec<Result<Vec<Record>, String>> = vec![
        Ok(vec![penalty("甲公司", &uscc_for(1), "河交罚〔2024〕1号", "2024-05-28")]),
        Ok(vec![penalty("乙公司", &uscc_for(2), "河交罚〔2024〕2号", "2024-05-28")]),
        Err("第3批读取失败".into()),
    ];
    let res = store.write_record_stream(&ctx("clerk"), &mut batches.into_iter());
    assert!(matches!(res, Err(StoreError::Aborted(ref m)) if m == "第3批读取失败"), "{res:?}");
    assert_eq!(store.totals().unwrap().n_penalties, 0);
    assert_eq!(store.totals().unwrap().n_subjects, 0);
    assert!(store.events(10).unwrap().is_empty());
    // And a stream of several good batches is stored whole.
    let batches: Vec<Result<Vec<Record>, String>> = (0..3)
        .map(|b| {
            Ok((0..4)
                .map(|i| penalty("丙公司", &uscc_for(3), &format!("河交罚〔2024〕{b}-{i}号"), "2024-05-28"))
                .collect())
        })
        .collect();
    let out = store.write_record_stream(&ctx("clerk"), &mut batches.into_iter()).unwrap();
    assert_eq!(out.len(), 12);
    assert_eq!(store.totals().unwrap().n_penalties, 12);
}

pub fn submissions_round_trip(store: &dyn Store) {
    let uid = store.create_user(&ctx("system"), "clerk1", "王报送", Role::Clerk, "x", None).unwrap();
    let other = store.create_user(&ctx("system"), "clerk2", "李报送", Role::Clerk, "x", None).unwrap();
    let s = NewSubmission {
        user_id: uid,
        kind: RecordKind::Penalty,
        filename: "处罚.csv".into(),
        n_rows: 3,
        n_accepted: 1,
        n_unchanged: 1,
        n_rejected: 1,
        report_json: r#"{"rows":3}"#.into(),
        file: b"a,b\n1,2\n".to_vec(),
        dry_run: false,
    };
    let v0 = store.data_version().unwrap();
    let id = store.create_submission(&ctx("clerk1"), &s).unwrap();
    assert!(store.data_version().unwrap() > v0, "a submission changes the data version (dashboard caches)");
    let got = store.submission(id).unwrap().unwrap();
    assert_eq!((got.filename.as_str(), got.n_rows, got.n_rejected, got.kind), ("处罚.csv", 3, 1, RecordKind::Penalty));
    assert_eq!(store.submission_file(id).unwrap().unwrap(), b"a,b\n1,2\n");
    assert_eq!(store.submissions_of(uid, 10).unwrap().len(), 1);
    assert!(store.submissions_of(other, 10).unwrap().is_empty());
    assert!(store.submission(id + 1).unwrap().is_none());
    // A large file (stored in pieces) comes back byte for byte; so does an empty one.
    for len in [40 * 1024 * 1024 + 17, 0] {
        let file: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let id = store.create_submission(&ctx("clerk1"), &NewSubmission { file: file.clone(), ..s.clone() }).unwrap();
        assert!(store.submission_file(id).unwrap().unwrap() == file, "{len} bytes round trip");
    }
}

pub fn authorities_and_totals(store: &dyn Store) {
    store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "河交罚〔2024〕1号", "2024-05-28"),
                penalty("乙公司", &uscc_for(2), "河交罚〔2024〕2号", "2024-05-28"),
                license("甲公司", &uscc_for(1), "龙交许〔2024〕2号", "2024-05-28"),
            ],
        )
        .unwrap();
    let auth = store.authorities().unwrap();
    assert_eq!(auth.len(), 2);
    assert_eq!((auth[0].name.as_str(), auth[0].n_records), ("河源市交通运输局", 2));
    let t = store.totals().unwrap();
    assert_eq!((t.n_subjects, t.n_licenses, t.n_penalties), (2, 1, 2));
    let ev = store.append_event(&ctx("admin"), "personal_data.read", Some(1), None, "{}").unwrap();
    assert_eq!(store.events(1).unwrap()[0].id, ev);
}

pub fn only_the_owner_changes_a_record(store: &dyn Store) {
    use crate::Refusal;
    let (_, wzcl, dy) = small_organisation(store);
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let city = WriteContext::new("wz1", at("2026-10-12T02:00:00Z"), "上传").in_department(Some(wzcl));
    let county = WriteContext::new("dy1", at("2026-10-13T02:00:00Z"), "上传").in_department(Some(dy));
    let out = store.write_records(&city, &[fined("甲公司", &uscc_for(1), "罚1", "2026-10-09", "20100")]).unwrap();
    let r1 = out[0].record_id();
    // The county changes the city's record: refused, nothing written.
    let events_before = store.data_version().unwrap();
    let out = store.write_records(&county, &[fined("甲公司", &uscc_for(1), "罚1", "2026-10-09", "1")]).unwrap();
    assert_eq!(out, [RecordOutcome::Refused(Refusal::NotOwner { record_id: r1, owner: Some(wzcl) })]);
    let detail = store.record(r1).unwrap().unwrap();
    assert_eq!((detail.row.version, detail.versions.len()), (1, 1));
    assert!(detail.current().fields["CF_NR"].contains("20100"));
    assert_eq!(store.data_version().unwrap(), events_before, "not even an event");
    // A newer decision of the county naming the city's subject otherwise: refused.
    let out = store.write_records(&county, &[penalty("甲公司（改名）", &uscc_for(1), "县罚1", "2026-10-11")]).unwrap();
    let sid = store.subject_by_key(&uscc_for(1)).unwrap().unwrap().id;
    assert_eq!(out, [RecordOutcome::Refused(Refusal::SubjectNotHeld { subject_id: sid, owner: Some(wzcl) })]);
    assert_eq!(store.subject_by_key(&uscc_for(1)).unwrap().unwrap().name, "甲公司");
    let county_only = RecordFilter { department_id: Some(dy), ..Default::default() };
    assert_eq!(store.list_records(&county_only, PageRequest::new(1, 10)).unwrap().total, 0);
    // With the subject's name as it stands, or an older decision, the county's record is written.
    let out = store.write_records(&county, &[penalty("甲公司", &uscc_for(1), "县罚1", "2026-10-11")]).unwrap();
    assert!(matches!(out[0], RecordOutcome::Created { .. }));
    let out = store.write_records(&county, &[penalty("甲公司旧名", &uscc_for(1), "县罚0", "2026-01-05")]).unwrap();
    assert!(matches!(out[0], RecordOutcome::Created { .. }));
    assert_eq!(store.subject_by_key(&uscc_for(1)).unwrap().unwrap().name, "甲公司");
    // Now the county holds a record of the subject: its newer decision renames it.
    store.write_records(&county, &[penalty("甲公司（新名）", &uscc_for(1), "县罚2", "2026-10-12")]).unwrap();
    assert_eq!(store.subject_by_key(&uscc_for(1)).unwrap().unwrap().name, "甲公司（新名）");
    let history = store.subject_history(sid).unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["subject.created", "subject.updated"]);
    assert!(
        history[1].detail.contains("甲公司（新名）") && history[1].detail.contains("县罚2"),
        "{}",
        history[1].detail
    );
    assert_eq!(history[1].actor, "dy1");
    // A coordinator acts for every department; the system (no department) too.
    let coord = WriteContext::new("chen", at("2026-10-14T02:00:00Z"), "更正").in_department(Some(dy)).overseeing(true);
    let out =
        store.write_records(&coord, &[fined("甲公司（新名）", &uscc_for(1), "罚1", "2026-10-09", "20000")]).unwrap();
    assert_eq!(out, [RecordOutcome::Updated { record_id: r1, version: 2 }]);
    assert_eq!(store.record(r1).unwrap().unwrap().row.department_id, Some(wzcl), "the owner stays");
    let system = WriteContext::new("system", at("2026-10-15T02:00:00Z"), "迁移");
    let out =
        store.write_records(&system, &[fined("甲公司（新名）", &uscc_for(1), "罚1", "2026-10-09", "19000")]).unwrap();
    assert!(matches!(out[0], RecordOutcome::Updated { version: 3, .. }));
    // The owner itself changes its record.
    let out =
        store.write_records(&city, &[fined("甲公司（新名）", &uscc_for(1), "罚1", "2026-10-09", "18000")]).unwrap();
    assert!(matches!(out[0], RecordOutcome::Updated { version: 4, .. }));
}

pub fn records_created_together_share_one_event(store: &dyn Store) {
    let out = store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10"),
                penalty("乙公司", &uscc_for(2), "罚2", "2026-05-11"),
            ],
        )
        .unwrap();
    let later = store.write_records(&ctx("clerk"), &[penalty("甲公司", &uscc_for(1), "罚3", "2026-05-12")]).unwrap();
    let created = |id: i64| {
        let events = store.record(id).unwrap().unwrap().events;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!((events[0].action.as_str(), events[0].actor.as_str()), ("record.created", "clerk"));
        events[0].id
    };
    let (a, b, c) = (created(out[0].record_id()), created(out[1].record_id()), created(later[0].record_id()));
    assert_eq!(a, b, "one event for the batch");
    assert_ne!(a, c, "another write, another event");
    // Two subjects and two creation events: four events, not five.
    let actions: Vec<String> = store.events(100).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "record.created").count(), 2, "{actions:?}");
}

/// The count beside each authority in a filtered list is what the list shows
/// when that authority is chosen (public lists count public records only).
pub fn authority_counts_follow_the_filter(store: &dyn Store) {
    let out = store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "河交罚〔2026〕1号", "2026-11-02"),
                penalty("乙公司", &uscc_for(2), "河交罚〔2026〕2号", "2026-11-03"),
                license("甲公司", &uscc_for(1), "河交许〔2026〕3号", "2026-11-04"),
                license("丙公司", &uscc_for(3), "龙交许〔2026〕4号", "2026-11-05"),
            ],
        )
        .unwrap();
    let withdrawn = out[1].record_id();
    store.withdraw_record(&ctx("clerk"), withdrawn, "决定已撤销", "2026-11-20".parse().unwrap()).unwrap();
    let day = today();
    let filters = [
        RecordFilter::default(),
        RecordFilter { public_on: Some(day), ..Default::default() },
        RecordFilter { public_on: Some(day), kind: Some(RecordKind::Penalty), ..Default::default() },
        RecordFilter { public_on: Some(day), date_from: Some("2026-11-04".parse().unwrap()), ..Default::default() },
    ];
    for f in &filters {
        let counts = store.authorities_for(f).unwrap();
        let all = store.list_records(f, PageRequest::new(1, 100)).unwrap().total;
        assert_eq!(counts.iter().map(|a| a.n_records as u64).sum::<u64>(), all, "{f:?}");
        for a in &counts {
            let chosen = RecordFilter { authority_code: Some(a.code.clone()), ..f.clone() };
            let listed = store.list_records(&chosen, PageRequest::new(1, 100)).unwrap().total;
            assert_eq!(a.n_records as u64, listed, "{} in {f:?}", a.name);
            // The filter's own authority does not change the counts.
            assert_eq!(store.authorities_for(&chosen).unwrap(), counts);
        }
    }
    let staff = store.authorities_for(&filters[0]).unwrap();
    let public = store.authorities_for(&filters[1]).unwrap();
    let city = |v: &[crate::AuthorityCount]| v.iter().find(|a| a.name == "河源市交通运输局").map(|a| a.n_records);
    assert_eq!((city(&staff), city(&public)), (Some(2), Some(1)), "the withdrawn record is not counted publicly");
}
