//! The one test suite every backend must pass. A backend's tests call
//! [`store_tests!`](crate::store_tests) with an expression that makes a fresh,
//! empty store; the macro stamps out one `#[test]` per function here.

use jiff::Timestamp;
use xinjiao_core::fields::RecordKind;
use xinjiao_core::record::{FieldValues, ParseContext, parse_record};
use xinjiao_core::{Date, Record};

use xinjiao_core::period::Month;

use crate::{
    Deadline, DepartmentKind, Division, DocumentFilter, DocumentKind, NewDepartment, NewDocument, Responsibility,
};
use crate::{NewSubmission, PageRequest, RecordFilter, RecordOutcome, Role, Store, StoreError, WriteContext};

/// Stamps out the suite for one backend. `$make` must evaluate to a value that
/// derefs to a fresh `dyn Store` (e.g. a `Box<dyn Store>` or a guard type).
#[macro_export]
macro_rules! store_tests {
    ($make:expr) => {
        $crate::store_tests!(@each $make;
            write_creates_subject_and_record,
            identical_rewrite_changes_nothing,
            changed_row_makes_new_version,
            same_decision_twice_in_one_batch,
            subject_names_follow_the_latest_decision,
            search_finds_substrings_and_codes,
            search_ranks_exact_then_prefix_then_shorter,
            natural_persons_get_opaque_keys,
            record_lists_filter_and_page,
            failed_stream_stores_nothing,
            users_sessions_and_tokens,
            submissions_round_trip,
            meta_values,
            calendar_years_replace_and_list,
            authorities_and_totals,
            organisation_declarations_and_responsibilities,
            rate_rows_follow_deadlines_and_departments,
            documents_draft_publish_and_list,
            windows_are_refreshed_and_bound_public_lists,
            withdrawn_records_leave_the_public_lists,
            subjects_claim_accounts_with_one_time_codes,
            objections_follow_their_states,
            repairs_end_and_restore_publication,
            reviewed_departments_publish_on_approval,
            only_the_owner_changes_a_record,
            reviewed_changes_keep_the_approved_version_public,
            records_created_together_share_one_event
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let store = $make;
                $crate::suite::$name(&*store);
            }
        )*
    };
}

fn ctx(actor: &str) -> WriteContext {
    WriteContext::new(actor, Timestamp::from_second(1_780_000_000).unwrap(), "测试")
}

fn today() -> Date {
    Date::new(2026, 11, 27).unwrap()
}

/// A valid penalty for the subject with `name` and `uscc`, decided on `date`.
pub fn penalty(name: &str, uscc: &str, decision_no: &str, date: &str) -> Record {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("CF_XDR_MC", name),
        ("CF_XDR_LB", if uscc.starts_with("92") { "个体工商户" } else { "法人及非法人组织" }),
        ("CF_XDR_SHXYM", uscc),
        ("CF_WSH", decision_no),
        ("CF_WFXW", "超限运输"),
        ("CF_SY", "车辆超限运输"),
        ("CF_YJ", "《公路安全保护条例》第六十四条"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款2000元"),
        ("CF_NR_FK", "0.2"),
        ("CF_JDRQ", date),
        ("CF_YXQ", date),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ] {
        m.insert(k, v.to_string());
    }
    parse_record(RecordKind::Penalty, &m, &ParseContext { today: today() }).expect("valid fixture")
}

/// A valid licence.
pub fn license(name: &str, uscc: &str, decision_no: &str, date: &str) -> Record {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("XK_XDR_MC", name),
        ("XK_XDR_LB", "法人及非法人组织"),
        ("XK_XDR_SHXYM", uscc),
        ("XK_XKWS", "道路运输经营许可决定书"),
        ("XK_WSH", decision_no),
        ("XK_XKLB", "普通"),
        ("XK_NR", "道路普通货物运输"),
        ("XK_JDRQ", date),
        ("XK_YXQZ", date),
        ("XK_YXQZI", "2099-12-31"),
        ("XK_XKJG", "龙川县交通运输局"),
        ("XK_XKJGDM", "91350100M000100Y43"),
        ("XK_ZT", "有效"),
        ("XK_LYDW", "龙川县交通运输局"),
        ("XK_LYDWDM", "91350100M000100Y43"),
    ] {
        m.insert(k, v.to_string());
    }
    parse_record(RecordKind::License, &m, &ParseContext { today: today() }).expect("valid fixture")
}

/// A valid warning to a natural person with a 身份证 number.
pub fn person_penalty(name: &str, id_no: &str, decision_no: &str) -> Record {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("CF_XDR_MC", name),
        ("CF_XDR_LB", "自然人"),
        ("CF_XDR_ZJLX", "身份证"),
        ("CF_XDR_ZJHM", id_no),
        ("CF_WSH", decision_no),
        ("CF_WFXW", "未按规定携带道路运输证"),
        ("CF_SY", "驾驶营运车辆未携带道路运输证"),
        ("CF_YJ", "《道路运输条例》"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款200元"),
        ("CF_NR_FK", "0.02"),
        ("CF_JDRQ", "2026-03-03"),
        ("CF_YXQ", "2026-03-03"),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ] {
        m.insert(k, v.to_string());
    }
    parse_record(RecordKind::Penalty, &m, &ParseContext { today: today() }).expect("valid fixture")
}

/// Valid USCCs built from a number, for fixtures that need many subjects.
pub fn uscc_for(n: u32) -> String {
    use xinjiao_core::ids::{org_check_char, uscc_check_char};
    let org8 = format!("MA{n:06}");
    let org9 = format!("{org8}{}", org_check_char(org8.as_bytes()).unwrap());
    let first17 = format!("91441600{org9}");
    format!("{first17}{}", uscc_check_char(first17.as_bytes()).unwrap())
}

const SHUNDA: &str = "91350100M000100Y43";

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

pub fn users_sessions_and_tokens(store: &dyn Store) {
    let id = store.create_user(&ctx("system"), "clerk1", "王报送", Role::Clerk, "$argon2id$fake", None).unwrap();
    assert!(matches!(
        store.create_user(&ctx("system"), "clerk1", "重复", Role::Clerk, "x", None),
        Err(StoreError::Conflict(_))
    ));
    let u = store.user_by_name("clerk1").unwrap().unwrap();
    assert_eq!((u.id, u.display_name.as_str(), u.role), (id, "王报送", Role::Clerk));
    assert_eq!(store.user(id).unwrap().unwrap().username, "clerk1");
    assert!(store.user_by_name("nobody").unwrap().is_none());
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let later = Timestamp::from_second(1_780_003_600).unwrap();
    store.create_session("h1", id, later).unwrap();
    assert_eq!(store.session_user("h1", now).unwrap().unwrap().id, id);
    assert!(store.session_user("h1", later).unwrap().is_none(), "expired at expires_at");
    assert!(store.session_user("h2", now).unwrap().is_none());
    store.delete_session("h1").unwrap();
    assert!(store.session_user("h1", now).unwrap().is_none());
    store.create_api_token(&ctx("clerk1"), "t1aaaaaaaaaaaaaa", id, "执法系统", None).unwrap();
    assert_eq!(store.api_token_user("t1aaaaaaaaaaaaaa", now).unwrap().unwrap().username, "clerk1");
    assert!(store.api_token_user("t2", now).unwrap().is_none());
    let actions: Vec<String> = store.events(10).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["api_token.created", "user.created"]);
    // Tokens expire, are listed without their secret, and can be revoked.
    store.create_api_token(&ctx("clerk1"), "t3bbbbbbbbbbbbbb", id, "月报", Some(later)).unwrap();
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", now).unwrap().is_some());
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", later).unwrap().is_none(), "expired at expires_at");
    let other = store.create_user(&ctx("system"), "clerk9", "赵报送", Role::Clerk, "x", None).unwrap();
    store.create_api_token(&ctx("clerk9"), "t4cccccccccccccc", other, "别人的", None).unwrap();
    let mine = store.api_tokens(Some(id)).unwrap();
    let names: Vec<(&str, &str, Option<Timestamp>)> =
        mine.iter().map(|t| (t.id.as_str(), t.name.as_str(), t.expires_at)).collect();
    // Newest first; created at the same moment, by id.
    assert_eq!(names, [("t1aaaaaaaaaa", "执法系统", None), ("t3bbbbbbbbbb", "月报", Some(later))]);
    assert_eq!(store.api_tokens(None).unwrap().len(), 3);
    assert!(matches!(store.revoke_api_token(&ctx("clerk1"), "t4cccccccccc", Some(id)), Err(StoreError::NotFound)));
    assert!(matches!(store.revoke_api_token(&ctx("clerk1"), "t1aaa", Some(id)), Err(StoreError::NotFound)));
    store.revoke_api_token(&ctx("clerk1"), "t1aaaaaaaaaa", Some(id)).unwrap();
    assert!(store.api_token_user("t1aaaaaaaaaaaaaa", now).unwrap().is_none(), "revoked");
    assert!(store.api_tokens(Some(id)).unwrap()[0].revoked_at.is_some());
    assert!(matches!(store.revoke_api_token(&ctx("clerk1"), "t1aaaaaaaaaa", None), Err(StoreError::NotFound)));
    // A disabled account signs in by no means; enabling it again restores tokens.
    store.create_session("h3", id, later).unwrap();
    store.set_user_disabled(&ctx("admin"), "clerk1", true).unwrap();
    assert!(store.user_by_name("clerk1").unwrap().unwrap().disabled);
    assert!(store.session_user("h3", now).unwrap().is_none());
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", now).unwrap().is_none());
    store.create_session("h4", id, later).unwrap();
    assert!(store.session_user("h4", now).unwrap().is_none(), "no session of a disabled account works");
    store.set_user_disabled(&ctx("admin"), "clerk1", false).unwrap();
    assert!(!store.user(id).unwrap().unwrap().disabled);
    assert!(store.session_user("h3", now).unwrap().is_none(), "disabling ended the sessions");
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", now).unwrap().is_some());
    assert!(matches!(store.set_user_disabled(&ctx("admin"), "nobody", true), Err(StoreError::NotFound)));
    let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["clerk1", "clerk9"]);
    let actions: Vec<String> = store.events(3).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["user.enabled", "user.disabled", "api_token.revoked"]);
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

pub fn meta_values(store: &dyn Store) {
    assert!(!store.write_in_progress().unwrap(), "no write open");
    assert_eq!(store.meta("demo").unwrap(), None);
    store.set_meta("demo", "1").unwrap();
    store.set_meta("demo", "2").unwrap();
    assert_eq!(store.meta("demo").unwrap().as_deref(), Some("2"));
}

pub fn calendar_years_replace_and_list(store: &dyn Store) {
    assert!(store.calendar_years().unwrap().is_empty());
    store.save_calendar_year(&ctx("admin"), 2027, "year = 2027 # v1").unwrap();
    store.save_calendar_year(&ctx("admin"), 2026, "year = 2026").unwrap();
    store.save_calendar_year(&ctx("admin"), 2027, "year = 2027 # v2").unwrap();
    assert_eq!(
        store.calendar_years().unwrap(),
        [(2026, "year = 2026".to_string()), (2027, "year = 2027 # v2".to_string())]
    );
    let loaded = store.events(10).unwrap().iter().filter(|e| e.action == "calendar.loaded").count();
    assert_eq!(loaded, 3);
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

/// The decision-authority code of the fixtures' city bureau (河源市交通运输局),
/// registered for the city division by [`small_organisation`].
pub const CITY_AUTHORITY: &str = "11230500001755309F";

/// Two divisions and three departments; returns the departments' ids. The
/// city's departments may submit under [`CITY_AUTHORITY`], the county's under
/// `uscc_for(900)`.
pub fn small_organisation(store: &dyn Store) -> (i64, i64, i64) {
    let div = |code: &str, name: &str, parent: Option<&str>, sort| Division {
        code: code.into(),
        name: name.into(),
        parent_code: parent.map(String::from),
        sort,
        authority_codes: vec![if code == "441600" { CITY_AUTHORITY.to_string() } else { uscc_for(900) }],
    };
    let dept = |code: &str, division: &str, name: &str, kind, sort| NewDepartment {
        code: code.into(),
        division_code: division.into(),
        name: name.into(),
        kind,
        sort,
        authority_codes: vec![],
    };
    store
        .save_organisation(
            &ctx("system"),
            &[div("441600", "河源市", None, 0), div("441625", "东源县", Some("441600"), 1)],
            &[
                dept("HY-WZCL", "441600", "违章处理科", DepartmentKind::Section, 2),
                dept("HY-ZCFG", "441600", "政策法规科", DepartmentKind::Section, 1),
                dept("DY-JTJ", "441625", "东源县交通运输局", DepartmentKind::Bureau, 0),
            ],
        )
        .unwrap();
    let ds = store.departments().unwrap();
    let id = |code: &str| ds.iter().find(|d| d.code == code).unwrap().id;
    (id("HY-ZCFG"), id("HY-WZCL"), id("DY-JTJ"))
}

pub fn organisation_declarations_and_responsibilities(store: &dyn Store) {
    let (zcfg, wzcl, dy) = small_organisation(store);
    let names: Vec<String> = store.departments().unwrap().into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["政策法规科", "违章处理科", "东源县交通运输局"], "division order, then department order");
    assert_eq!(store.divisions().unwrap()[1].parent_code.as_deref(), Some("441600"));
    // Saving again updates in place: same ids.
    let again = small_organisation(store);
    assert_eq!(again, (zcfg, wzcl, dy));

    let uid = store.create_user(&ctx("system"), "wz1", "违章处理科报送员", Role::Clerk, "x", Some(wzcl)).unwrap();
    assert_eq!(store.user(uid).unwrap().unwrap().department_id, Some(wzcl));

    let oct = Month::new(2026, 10).unwrap();
    let nov = Month::new(2026, 11).unwrap();
    store.declare(&ctx("wz1"), &[(wzcl, oct, RecordKind::Penalty, 12), (wzcl, nov, RecordKind::Penalty, 3)]).unwrap();
    store.declare(&ctx("wz1"), &[(wzcl, oct, RecordKind::Penalty, 14), (dy, oct, RecordKind::License, 5)]).unwrap();
    let decl = store.declarations(oct, oct).unwrap();
    let got: Vec<(i64, RecordKind, i64)> = decl.iter().map(|d| (d.department_id, d.kind, d.due)).collect();
    assert!(got.contains(&(wzcl, RecordKind::Penalty, 14)) && got.contains(&(dy, RecordKind::License, 5)));
    assert_eq!(got.len(), 2, "November is outside the range");
    let n_events = store.events(100).unwrap().iter().filter(|e| e.action == "declaration.saved").count();
    assert_eq!(n_events, 4, "one event per changed declaration");
    store.declare(&ctx("wz1"), &[(dy, oct, RecordKind::License, 5)]).unwrap();
    let n_after = store.events(100).unwrap().iter().filter(|e| e.action == "declaration.saved").count();
    assert_eq!(n_after, 4, "an unchanged declaration appends nothing");

    let rows = vec![
        Responsibility {
            category: "行政处罚“双公示”信息".into(),
            department_id: wzcl,
            person: "张三".into(),
            post: "科长".into(),
        },
        Responsibility {
            category: "政策文件".into(),
            department_id: zcfg,
            person: "李四".into(),
            post: "副科长".into(),
        },
    ];
    store.replace_responsibilities(&ctx("coord"), &rows).unwrap();
    assert_eq!(store.responsibilities().unwrap(), rows);
    store.replace_responsibilities(&ctx("coord"), &rows[1..]).unwrap();
    assert_eq!(store.responsibilities().unwrap(), rows[1..]);
}

pub fn rate_rows_follow_deadlines_and_departments(store: &dyn Store) {
    let (_, wzcl, dy) = small_organisation(store);
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let d = |s: &str| -> Date { s.parse().unwrap() };
    // Published 2026-10-09 (China time; 2026-10-08T20:00Z is the 9th at 04:00).
    let early = WriteContext::new("wz1", at("2026-10-08T20:00:00Z"), "上传").in_department(Some(wzcl));
    let late = WriteContext::new("wz1", at("2026-10-20T02:00:00Z"), "上传").in_department(Some(wzcl));
    let county = WriteContext::new("dy1", at("2026-10-09T02:00:00Z"), "上传").in_department(Some(dy));
    store.write_records(&early, &[penalty("甲公司", &uscc_for(1), "罚1", "2026-09-30")]).unwrap();
    store
        .write_records(
            &late,
            &[
                penalty("甲公司", &uscc_for(1), "罚2", "2026-09-30"),
                penalty("乙公司", &uscc_for(2), "罚3", "2026-10-09"),
            ],
        )
        .unwrap();
    store.write_records(&county, &[license("丙公司", &uscc_for(3), "许1", "2026-10-08")]).unwrap();
    // Rewriting a record does not move its department or publication day.
    store
        .write_records(
            &WriteContext::new("x", at("2026-11-20T02:00:00Z"), "更正"),
            &[{
                let mut p = penalty("甲公司", &uscc_for(1), "罚1", "2026-09-30");
                if let xinjiao_core::Record::Penalty(x) = &mut p {
                    x.content = "罚款（更正后）".into();
                }
                p
            }],
        )
        .unwrap();
    let row = store.list_records(&RecordFilter::default(), PageRequest::new(1, 10)).unwrap();
    let r1 = row.items.iter().find(|r| r.decision_no == "罚1").unwrap();
    assert_eq!((r1.department_id, r1.published_on, r1.version), (Some(wzcl), Some(d("2026-10-09")), 2));

    // Deadlines as the caller computes them (here: by hand).
    let deadlines = [
        Deadline { kind: RecordKind::Penalty, decision_date: d("2026-09-30"), deadline: d("2026-10-16") },
        Deadline { kind: RecordKind::Penalty, decision_date: d("2026-10-09"), deadline: d("2026-10-20") },
        Deadline { kind: RecordKind::License, decision_date: d("2026-10-08"), deadline: d("2026-10-08") },
    ];
    let mut rows = store.record_rate_rows(d("2026-09-01"), d("2026-10-31"), &deadlines).unwrap();
    rows.sort_by_key(|r| (r.department_id, r.month, r.kind.as_str()));
    let got: Vec<(Option<i64>, String, RecordKind, u64, u64)> =
        rows.iter().map(|r| (r.department_id, r.month.to_string(), r.kind, r.reported, r.on_time)).collect();
    let mut want = vec![
        (Some(wzcl), "2026-09".to_string(), RecordKind::Penalty, 2, 1),
        (Some(wzcl), "2026-10".to_string(), RecordKind::Penalty, 1, 1),
        (Some(dy), "2026-10".to_string(), RecordKind::License, 1, 0),
    ];
    want.sort_by_key(|r| (r.0, r.1.clone(), r.2.as_str()));
    assert_eq!(got, want);
    // Only days with a deadline entry are counted.
    assert!(store.record_rate_rows(d("2026-10-09"), d("2026-10-09"), &[]).unwrap().is_empty());
    assert_eq!(store.record_rate_rows(d("2026-10-09"), d("2026-10-09"), &deadlines[1..2]).unwrap().len(), 1);

    // A corrected decision date moves the record to its new month; its
    // department and publication day stay.
    store
        .write_records(
            &WriteContext::new("x", at("2026-11-21T02:00:00Z"), "更正决定日期"),
            &[penalty("乙公司", &uscc_for(2), "罚3", "2026-09-29")],
        )
        .unwrap();
    let moved = [
        deadlines[0],
        Deadline { kind: RecordKind::Penalty, decision_date: d("2026-09-29"), deadline: d("2026-10-15") },
        deadlines[2],
    ];
    let mut rows = store.record_rate_rows(d("2026-09-01"), d("2026-10-31"), &moved).unwrap();
    rows.sort_by_key(|r| (r.department_id, r.month, r.kind.as_str()));
    let got: Vec<(Option<i64>, String, u64, u64)> =
        rows.iter().map(|r| (r.department_id, r.month.to_string(), r.reported, r.on_time)).collect();
    let mut want = vec![(Some(wzcl), "2026-09".to_string(), 3, 1), (Some(dy), "2026-10".to_string(), 1, 0)];
    want.sort_by_key(|r| (r.0, r.1.clone()));
    assert_eq!(got, want, "罚3 (published 10-20) is now late for its 10-15 deadline");
    store
        .write_records(
            &WriteContext::new("x", at("2026-11-22T02:00:00Z"), "恢复"),
            &[penalty("乙公司", &uscc_for(2), "罚3", "2026-10-09")],
        )
        .unwrap();

    let late_rows = store.late_records(None, d("2026-09-01"), d("2026-10-31"), &deadlines, 10).unwrap();
    let late_nos: Vec<&str> = late_rows.iter().map(|l| l.row.decision_no.as_str()).collect();
    assert_eq!(late_nos, ["罚2", "许1"], "most overdue first");
    assert_eq!(late_rows[0].deadline, d("2026-10-16"));
    let only_wz = store.late_records(Some(&[wzcl]), d("2026-09-01"), d("2026-10-31"), &deadlines, 10).unwrap();
    assert_eq!(only_wz.len(), 1);
    let by_dept = RecordFilter { department_id: Some(dy), ..Default::default() };
    assert_eq!(store.list_records(&by_dept, PageRequest::new(1, 10)).unwrap().total, 1);

    // Submissions: counted by department and month, unchanged rows left out.
    let uid = store.create_user(&ctx("system"), "wz1", "报送员", Role::Clerk, "x", Some(wzcl)).unwrap();
    let sub = |n_rows, n_unchanged, n_rejected| NewSubmission {
        user_id: uid,
        kind: RecordKind::Penalty,
        filename: "f.csv".into(),
        n_rows,
        n_accepted: n_rows - n_unchanged - n_rejected,
        n_unchanged,
        n_rejected,
        report_json: "{}".into(),
        file: vec![],
        dry_run: false,
    };
    store.create_submission(&early, &sub(10, 0, 2)).unwrap();
    // A validation-only upload is not a submission.
    store.create_submission(&early, &NewSubmission { dry_run: true, ..sub(50, 0, 50) }).unwrap();
    store.create_submission(&late, &sub(5, 3, 0)).unwrap();
    store.create_submission(&county, &sub(4, 0, 1)).unwrap();
    let mut srows = store.submission_rate_rows(d("2026-10-01"), d("2026-10-31")).unwrap();
    srows.sort_by_key(|r| r.department_id);
    let got: Vec<(Option<i64>, u64, u64)> =
        srows.iter().map(|r| (r.department_id, r.rows_submitted, r.rows_passed)).collect();
    let mut want = vec![(Some(wzcl), 12, 10), (Some(dy), 4, 3)];
    want.sort_by_key(|r| r.0);
    assert_eq!(got, want);
    let rejected = store.rejected_submissions(Some(&[wzcl]), d("2026-10-01"), d("2026-10-31"), 10).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].n_rejected, rejected[0].department_id), (2, Some(wzcl)));
    assert_eq!(store.rejected_submissions(None, d("2026-10-01"), d("2026-10-31"), 10).unwrap().len(), 2);
}

pub fn documents_draft_publish_and_list(store: &dyn Store) {
    let (zcfg, wzcl, _) = small_organisation(store);
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let doc = |kind, title: &str, issued: &str, dept, published: Option<&str>| NewDocument {
        kind,
        title: title.into(),
        body: "正文".into(),
        issue_date: d(issued),
        department_id: dept,
        published_on: published.map(d),
    };
    let a = store
        .create_document(&ctx("z1"), &doc(DocumentKind::Policy, "信用管理办法", "2026-10-10", zcfg, Some("2026-10-12")))
        .unwrap();
    let b =
        store.create_document(&ctx("w1"), &doc(DocumentKind::News, "宣传月活动", "2026-10-20", wzcl, None)).unwrap();
    let public = DocumentFilter { published_only: true, ..Default::default() };
    let page = store.documents(&public, PageRequest::new(1, 10)).unwrap();
    assert_eq!(page.items.iter().map(|x| x.id).collect::<Vec<_>>(), [a]);
    let all = store.documents(&DocumentFilter::default(), PageRequest::new(1, 10)).unwrap();
    assert_eq!(all.items.iter().map(|x| x.id).collect::<Vec<_>>(), [b, a], "newest issue date first");
    store.publish_document(&ctx("w1"), b, d("2026-11-02")).unwrap();
    assert!(matches!(store.publish_document(&ctx("w1"), b, d("2026-11-03")), Err(StoreError::Conflict(_))));
    let got = store.document(b).unwrap().unwrap();
    assert_eq!(
        (got.published_on, got.created_by.as_str(), got.kind),
        (Some(d("2026-11-02")), "w1", DocumentKind::News)
    );
    let only = DocumentFilter { departments: Some(vec![wzcl]), kind: Some(DocumentKind::News), ..Default::default() };
    assert_eq!(store.documents(&only, PageRequest::new(1, 10)).unwrap().total, 1);
    let range = DocumentFilter { issued_to: Some(d("2026-10-15")), ..Default::default() };
    assert_eq!(store.documents(&range, PageRequest::new(1, 10)).unwrap().items[0].id, a);
    assert!(store.document(9999).unwrap().is_none());
}

pub fn windows_are_refreshed_and_bound_public_lists(store: &dyn Store) {
    use xinjiao_core::disclosure::DisclosureRules;
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let rules = DisclosureRules::embedded();
    let mut warning = penalty("乙公司", &uscc_for(2), "罚2", "2026-05-10");
    if let xinjiao_core::Record::Penalty(p) = &mut warning {
        p.classes = vec![xinjiao_core::record::PenaltyClass::Warning];
        p.fine = None;
        p.content = "警告".into();
    }
    store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10"),
                warning,
                license("丙公司", &uscc_for(3), "许1", "2026-05-10"),
            ],
        )
        .unwrap();
    let public = |day: &str| -> Vec<String> {
        let f = RecordFilter { public_on: Some(d(day)), ..Default::default() };
        let mut v: Vec<String> =
            store.list_records(&f, PageRequest::new(1, 50)).unwrap().items.into_iter().map(|r| r.decision_no).collect();
        v.sort();
        v
    };
    // Windows are computed in the write's own transaction.
    assert_eq!(crate::refresh_windows(store).unwrap(), 0, "nothing stale after a write");
    // The fine (一般): public until 2027-05-10; the warning (轻微) is not published;
    // the licence is public while valid.
    assert_eq!(public("2026-11-27"), ["罚1", "许1"]);
    assert_eq!(public("2027-05-09"), ["罚1", "许1"]);
    assert_eq!(public("2027-05-10"), ["许1"]);
    let all = store.list_records(&RecordFilter::default(), PageRequest::new(1, 50)).unwrap();
    let fine = all.items.iter().find(|r| r.decision_no == "罚1").unwrap();
    assert_eq!(fine.public_until, Some(d("2027-05-10")));
    assert_eq!(all.total, 3, "staff lists see everything");
    store.write_records(&ctx("clerk"), &[penalty("丁公司", &uscc_for(4), "罚4", "2026-06-01")]).unwrap();
    assert_eq!(crate::refresh_windows(store).unwrap(), 0);
    assert_eq!(public("2026-11-27"), ["罚1", "罚4", "许1"]);
    // New rules: every window computed with others is stale, and a record
    // without a computed window is public on no day (staff still list it).
    let new_rules = crate::WindowRules { rules, fingerprint: "fp2".into() };
    store.set_window_rules(std::sync::Arc::new(new_rules));
    store.invalidate_windows("fp2").unwrap();
    assert_eq!(public("2026-11-27"), Vec::<String>::new(), "no window, not public");
    assert_eq!(store.list_records(&RecordFilter::default(), PageRequest::new(1, 50)).unwrap().total, 4);
    assert_eq!(crate::refresh_windows(store).unwrap(), 4);
    assert_eq!(crate::refresh_windows(store).unwrap(), 0);
    assert_eq!(public("2026-11-27"), ["罚1", "罚4", "许1"]);
}

pub fn withdrawn_records_leave_the_public_lists(store: &dyn Store) {
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let out = store.write_records(&ctx("clerk"), &[penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10")]).unwrap();
    let id = out[0].record_id();
    crate::refresh_windows(store).unwrap();
    let public_on = |day: &str| {
        let f = RecordFilter { public_on: Some(d(day)), ..Default::default() };
        store.list_records(&f, PageRequest::new(1, 10)).unwrap().total
    };
    assert_eq!(public_on("2026-11-27"), 1);
    // Withdrawn on the context's day (2026-05-28 in China for this timestamp).
    let w = WriteContext::new("clerk", "2026-05-28T02:00:00Z".parse().unwrap(), "决定已撤销");
    store.withdraw_record(&w, id, "行政复议决定撤销原处罚决定", d("2026-05-26")).unwrap();
    assert!(matches!(store.withdraw_record(&w, id, "again", d("2026-05-26")), Err(StoreError::Conflict(_))));
    assert!(matches!(store.withdraw_record(&w, 999_999, "x", d("2026-05-26")), Err(StoreError::NotFound)));
    assert_eq!(crate::refresh_windows(store).unwrap(), 0, "the withdrawal computed the window");
    assert_eq!(public_on("2026-05-27"), 1, "public until the day of withdrawal");
    assert_eq!(public_on("2026-05-28"), 0);
    let detail = store.record(id).unwrap().unwrap();
    assert_eq!(detail.row.public_until, Some(d("2026-05-28")));
    let ev = detail.events.iter().find(|e| e.action == "record.withdrawn").expect("event");
    assert!(ev.detail.contains("行政复议决定撤销原处罚决定") && ev.detail.contains("2026-05-26"), "{}", ev.detail);
    assert_eq!(ev.actor, "clerk");
}

pub fn subjects_claim_accounts_with_one_time_codes(store: &dyn Store) {
    let out = store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10"),
                person_penalty("李四", "11010519491231002X", "罚2"),
            ],
        )
        .unwrap();
    let company = store.subject_by_key(&uscc_for(1)).unwrap().unwrap();
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let long_ago = Timestamp::from_second(1_700_000_000).unwrap();
    store.create_claim_code(&ctx("clerk"), company.id, Some(out[0].record_id()), "h1").unwrap();
    store.create_claim_code(&ctx("clerk"), company.id, Some(out[0].record_id()), "h2").unwrap();
    let claim = |identity: &str, code: &str, after: Timestamp| {
        store.claim_subject_account(&ctx("subject"), identity, code, after, "$argon2id$x")
    };
    assert!(matches!(claim(&uscc_for(1), "h1", long_ago), Err(StoreError::NotFound)), "an earlier code stops working");
    assert!(matches!(claim(&uscc_for(2), "h2", long_ago), Err(StoreError::NotFound)), "the code is the subject's own");
    assert!(matches!(claim(&uscc_for(1), "h2", now), Err(StoreError::NotFound)), "issued before the cut-off: expired");
    assert_eq!(claim(&uscc_for(1), "h2", long_ago).unwrap().id, company.id);
    assert!(matches!(claim(&uscc_for(1), "h2", long_ago), Err(StoreError::NotFound)), "one use only");
    store.create_claim_code(&ctx("clerk"), company.id, None, "h3").unwrap();
    assert!(matches!(claim(&uscc_for(1), "h3", long_ago), Err(StoreError::Conflict(_))), "already active");
    let (s, hash) = store.subject_account(&uscc_for(1)).unwrap().unwrap();
    assert_eq!((s.id, hash.as_str()), (company.id, "$argon2id$x"));
    // A natural person is identified by the document number.
    let person = store.search_subjects("李四", PageRequest::new(1, 1)).unwrap().items.remove(0);
    assert!(store.subject_account("11010519491231002X").unwrap().is_none(), "not yet claimed");
    assert_eq!(store.subject_by_identity("11010519491231002X").unwrap().map(|s| s.id), Some(person.id));
    assert!(store.subject_by_identity("nobody").unwrap().is_none());
    store.create_claim_code(&ctx("clerk"), person.id, Some(out[1].record_id()), "p1").unwrap();
    assert_eq!(claim("11010519491231002X", "p1", long_ago).unwrap().id, person.id);
    // Sessions.
    let later = Timestamp::from_second(1_780_003_600).unwrap();
    store.create_subject_session("t1", company.id, later).unwrap();
    assert_eq!(store.subject_session("t1", now).unwrap().map(|s| s.id), Some(company.id));
    assert!(store.subject_session("t1", later).unwrap().is_none(), "expired");
    assert!(store.subject_session("nope", now).unwrap().is_none());
    store.create_subject_session("t2", company.id, later).unwrap();
    store.delete_subject_session("t2").unwrap();
    assert!(store.subject_session("t2", now).unwrap().is_none(), "logged out");
    let actions: Vec<String> = store.events(100).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "subject_account.activated").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "claim_code.created").count(), 4);
}

pub fn objections_follow_their_states(store: &dyn Store) {
    use crate::ObjectionFilter;
    use xinjiao_core::objections::{ObjectionAction, ObjectionStatus};
    let (_, wzcl, _) = small_organisation(store);
    let w = WriteContext::new("wz1", Timestamp::from_second(1_780_000_000).unwrap(), "上传").in_department(Some(wzcl));
    let out = store
        .write_records(
            &w,
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10"),
                penalty("乙公司", &uscc_for(2), "罚2", "2026-05-10"),
            ],
        )
        .unwrap();
    let (r1, r2) = (out[0].record_id(), out[1].record_id());
    let s1 = store.subject_by_key(&uscc_for(1)).unwrap().unwrap().id;
    let attach = vec![("缴款凭证.pdf".to_string(), b"%PDF-1.4".to_vec())];
    assert!(
        matches!(store.file_objection(&ctx("s1"), r2, s1, "不是我们的", &[]), Err(StoreError::NotFound)),
        "not its record"
    );
    let id = store.file_objection(&ctx("s1"), r1, s1, "罚款已缴清，处罚内容有误", &attach).unwrap();
    assert!(
        matches!(store.file_objection(&ctx("s1"), r1, s1, "again", &[]), Err(StoreError::Conflict(_))),
        "one open at a time"
    );
    let open =
        store.objections(&ObjectionFilter { record_id: Some(r1), open_only: true, ..Default::default() }, 10).unwrap();
    assert_eq!(open.len(), 1);
    let o = &open[0];
    assert_eq!((o.status, o.department_id, o.decision_no.as_str()), (ObjectionStatus::Filed, Some(wzcl), "罚1"));
    assert_eq!(o.attachments.len(), 1);
    let (oid, name, content) = store.objection_attachment(o.attachments[0].0).unwrap().unwrap();
    assert_eq!((oid, name.as_str(), content.as_slice()), (id, "缴款凭证.pdf", b"%PDF-1.4".as_slice()));
    let staff = |a: &ObjectionAction| store.act_on_objection(&ctx("wz1"), id, a);
    assert!(matches!(staff(&ObjectionAction::Reject("x".into())), Err(StoreError::Conflict(_))), "acknowledge first");
    assert_eq!(staff(&ObjectionAction::Acknowledge).unwrap(), ObjectionStatus::Acknowledged);
    assert_eq!(staff(&ObjectionAction::Extend("需向执法大队核实".into())).unwrap(), ObjectionStatus::Acknowledged);
    assert!(matches!(staff(&ObjectionAction::Extend("again".into())), Err(StoreError::Conflict(_))));
    assert_eq!(staff(&ObjectionAction::Reject("经核实处罚内容无误".into())).unwrap(), ObjectionStatus::Rejected);
    let mine = store.objections(&ObjectionFilter { subject_id: Some(s1), ..Default::default() }, 10).unwrap();
    let o = &mine[0];
    assert_eq!(
        (o.status, o.extended, o.decision_reason.as_deref()),
        (ObjectionStatus::Rejected, true, Some("经核实处罚内容无误"))
    );
    assert!(o.acknowledged_at.is_some() && o.decided_at.is_some() && o.decided_by.as_deref() == Some("wz1"));
    assert!(store.objections(&ObjectionFilter { open_only: true, ..Default::default() }, 10).unwrap().is_empty());
    let by_dept = ObjectionFilter { departments: Some(vec![wzcl]), ..Default::default() };
    assert_eq!(store.objections(&by_dept, 10).unwrap().len(), 1);
    // After a decision a new objection may be filed.
    store.file_objection(&ctx("s1"), r1, s1, "新的理由", &[]).unwrap();
    let events: Vec<String> = store.record(r1).unwrap().unwrap().events.into_iter().map(|e| e.action).collect();
    for a in ["objection.filed", "objection.acknowledged", "objection.extended", "objection.rejected"] {
        assert!(events.iter().any(|e| e == a), "{a} in {events:?}");
    }
}

pub fn repairs_end_and_restore_publication(store: &dyn Store) {
    use crate::RepairFilter;
    use xinjiao_core::repairs::{RepairAction, RepairStatus};
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let out = store.write_records(&ctx("clerk"), &[penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10")]).unwrap();
    let rid = out[0].record_id();
    let sid = store.subject_by_key(&uscc_for(1)).unwrap().unwrap().id;
    crate::refresh_windows(store).unwrap();
    let public_on = |day: &str| {
        let f = RecordFilter { public_on: Some(d(day)), ..Default::default() };
        store.list_records(&f, PageRequest::new(1, 10)).unwrap().total
    };
    assert_eq!(public_on("2026-11-27"), 1);
    let file = Some(("缴款凭证.pdf".to_string(), b"%PDF".to_vec()));
    assert!(matches!(
        store.file_repair(&ctx("s"), rid, sid + 999, "张三", "已缴清罚款", None),
        Err(StoreError::NotFound)
    ));
    let id = store.file_repair(&ctx("s"), rid, sid, "张三（法定代表人）", "罚款已于2026-05-20缴清", file).unwrap();
    assert!(matches!(store.file_repair(&ctx("s"), rid, sid, "张三", "again", None), Err(StoreError::Conflict(_))));
    let staff_at = |day: &str| WriteContext::new("wz1", format!("{day}T02:00:00Z").parse().unwrap(), "处理信用修复");
    assert!(matches!(
        store.act_on_repair(&staff_at("2026-11-20"), id, &RepairAction::Approve("x".into())),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.act_on_repair(&staff_at("2026-11-20"), id, &RepairAction::Accept).unwrap(),
        RepairStatus::Accepted
    );
    let approve = RepairAction::Approve("已履行全部义务，承诺书已签署".into());
    assert_eq!(store.act_on_repair(&staff_at("2026-11-25"), id, &approve).unwrap(), RepairStatus::Approved);
    crate::refresh_windows(store).unwrap();
    assert_eq!(public_on("2026-11-24"), 1);
    assert_eq!(public_on("2026-11-25"), 0, "publication ends the day the repair is approved");
    let got = store.repairs(&RepairFilter { subject_id: Some(sid), ..Default::default() }, 10).unwrap();
    assert_eq!((got[0].status, got[0].evidence_name.as_deref()), (RepairStatus::Approved, Some("缴款凭证.pdf")));
    assert!(
        matches!(store.file_repair(&ctx("s"), rid, sid, "张三", "again", None), Err(StoreError::Conflict(_))),
        "already repaired"
    );
    // The commitment proved false: revoked, published again, and the breach is in the history.
    let revoke = RepairAction::Revoke("承诺不实：罚款未实际缴纳".into());
    assert_eq!(store.act_on_repair(&staff_at("2026-12-01"), id, &revoke).unwrap(), RepairStatus::Revoked);
    crate::refresh_windows(store).unwrap();
    assert_eq!(public_on("2026-12-02"), 1);
    let events: Vec<(String, String)> =
        store.record(rid).unwrap().unwrap().events.into_iter().map(|e| (e.action, e.detail)).collect();
    for a in ["repair.filed", "repair.accepted", "repair.approved", "repair.revoked"] {
        assert!(events.iter().any(|(e, _)| e == a), "{a}");
    }
    assert!(events.iter().any(|(e, d)| e == "repair.revoked" && d.contains("承诺不实")));
    let by_id = store.repairs(&RepairFilter { id: Some(id), ..Default::default() }, 1).unwrap();
    assert_eq!(by_id[0].revoke_reason.as_deref(), Some("承诺不实：罚款未实际缴纳"));
}

pub fn reviewed_departments_publish_on_approval(store: &dyn Store) {
    let (_, wzcl, dy) = small_organisation(store);
    let d = |s: &str| -> Date { s.parse().unwrap() };
    store.set_review_required(&ctx("coord"), wzcl, true).unwrap();
    assert!(matches!(store.set_review_required(&ctx("coord"), 9999, true), Err(StoreError::NotFound)));
    let depts = store.departments().unwrap();
    assert!(depts.iter().find(|x| x.id == wzcl).unwrap().review_required);
    assert!(!depts.iter().find(|x| x.id == dy).unwrap().review_required);
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let w = WriteContext::new("wz1", at("2026-10-12T02:00:00Z"), "上传").in_department(Some(wzcl));
    let out = store
        .write_records(
            &w,
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-10-09"),
                penalty("乙公司", &uscc_for(2), "罚2", "2026-10-09"),
            ],
        )
        .unwrap();
    let (r1, r2) = (out[0].record_id(), out[1].record_id());
    let county = WriteContext::new("dy1", at("2026-10-12T02:00:00Z"), "上传").in_department(Some(dy));
    store.write_records(&county, &[penalty("丙公司", &uscc_for(3), "罚3", "2026-10-09")]).unwrap();
    let public = |day: &str| {
        let f = RecordFilter { public_on: Some(d(day)), ..Default::default() };
        let mut v: Vec<String> =
            store.list_records(&f, PageRequest::new(1, 10)).unwrap().items.into_iter().map(|r| r.decision_no).collect();
        v.sort();
        v
    };
    assert_eq!(public("2026-10-20"), ["罚3"], "pending records are not public");
    let pending = RecordFilter { review_state: Some("pending".into()), ..Default::default() };
    assert_eq!(store.list_records(&pending, PageRequest::new(1, 10)).unwrap().total, 2);
    assert_eq!(store.subject_by_key_on(&uscc_for(1), Some(d("2026-10-20"))).unwrap(), None);
    let deadlines = [Deadline { kind: RecordKind::Penalty, decision_date: d("2026-10-09"), deadline: d("2026-10-20") }];
    let counted = |dept: i64| -> u64 {
        store
            .record_rate_rows(d("2026-10-01"), d("2026-10-31"), &deadlines)
            .unwrap()
            .iter()
            .filter(|r| r.department_id == Some(dept))
            .map(|r| r.reported)
            .sum()
    };
    assert_eq!((counted(wzcl), counted(dy)), (0, 1), "not counted before approval");
    // Approved on 10-22 (after the 10-20 deadline): public, counted, late.
    let review = |day: &str| WriteContext::new("coord", at(&format!("{day}T02:00:00Z")), "审核");
    store.approve_record(&review("2026-10-22"), r1).unwrap();
    assert!(matches!(store.approve_record(&review("2026-10-22"), r1), Err(StoreError::Conflict(_))));
    store.reject_record(&review("2026-10-22"), r2, "违法事实描述不完整").unwrap();
    assert_eq!(public("2026-10-22"), ["罚1", "罚3"]);
    let row = store.record(r1).unwrap().unwrap().row;
    assert_eq!((row.published_on, row.review_state), (Some(d("2026-10-22")), None));
    let rows = store.record_rate_rows(d("2026-10-01"), d("2026-10-31"), &deadlines).unwrap();
    let wz = rows.iter().find(|r| r.department_id == Some(wzcl)).unwrap();
    assert_eq!((wz.reported, wz.on_time), (1, 0), "published on approval day, after the deadline");
    let rejected = store.record(r2).unwrap().unwrap().row;
    assert_eq!(
        (rejected.review_state.as_deref(), rejected.review_reason.as_deref()),
        (Some("rejected"), Some("违法事实描述不完整"))
    );
    // A corrected resubmission is pending again.
    let mut fixed = penalty("乙公司", &uscc_for(2), "罚2", "2026-10-09");
    if let xinjiao_core::Record::Penalty(p) = &mut fixed {
        p.facts = "车辆超限运输，超限率30%，已卸载".into();
    }
    store.write_records(&w, &[fixed]).unwrap();
    assert_eq!(store.record(r2).unwrap().unwrap().row.review_state.as_deref(), Some("pending"));
    let actions: Vec<String> = store.events(100).unwrap().into_iter().map(|e| e.action).collect();
    for a in ["department.review_changed", "record.approved", "record.rejected"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

/// A penalty like [`penalty`] with another fine (元) and content.
fn fined(name: &str, uscc: &str, decision_no: &str, date: &str, yuan: &str) -> Record {
    let mut p = penalty(name, uscc, decision_no, date);
    if let Record::Penalty(x) = &mut p {
        x.content = format!("罚款{yuan}元");
    }
    p
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

pub fn reviewed_changes_keep_the_approved_version_public(store: &dyn Store) {
    let (_, wzcl, _) = small_organisation(store);
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let clerk = |day: &str| WriteContext::new("wz1", at(&format!("{day}T02:00:00Z")), "上传").in_department(Some(wzcl));
    let review = |day: &str| WriteContext::new("coord", at(&format!("{day}T02:00:00Z")), "审核").overseeing(true);
    let r1 = store
        .write_records(&clerk("2026-10-12"), &[fined("甲公司", &uscc_for(1), "罚1", "2026-10-09", "20100")])
        .unwrap()[0]
        .record_id();
    // Review is turned on after the record was published.
    store.set_review_required(&ctx("coord"), wzcl, true).unwrap();
    let public_fine = || -> Option<String> {
        let f = RecordFilter { public_on: Some(d("2026-10-20")), ..Default::default() };
        let page = store.list_records(&f, PageRequest::new(1, 10)).unwrap();
        let row = page.items.into_iter().find(|r| r.id == r1)?;
        let detail = store.record(row.id).unwrap().unwrap();
        Some(detail.current().fields["CF_NR"].clone())
    };
    assert_eq!(public_fine().as_deref(), Some("罚款20100元"));
    // A change (and a new name for the subject) waits for review.
    let out = store
        .write_records(&clerk("2026-10-14"), &[fined("甲公司（新）", &uscc_for(1), "罚1", "2026-10-10", "1")])
        .unwrap();
    assert_eq!(out, [RecordOutcome::Pending { record_id: r1, version: 2 }]);
    assert_eq!(public_fine().as_deref(), Some("罚款20100元"), "the public keeps the approved version");
    let detail = store.record(r1).unwrap().unwrap();
    assert_eq!((detail.row.version, detail.row.pending_version), (1, Some(2)));
    assert_eq!(detail.row.review_state.as_deref(), Some("pending"));
    assert_eq!(detail.row.decision_date, d("2026-10-09"));
    assert_eq!(detail.pending().unwrap().fields["CF_NR"], "罚款1元");
    assert_eq!(store.subject_by_key(&uscc_for(1)).unwrap().unwrap().name, "甲公司", "not renamed before approval");
    let pending = RecordFilter { review_state: Some("pending".into()), ..Default::default() };
    assert_eq!(store.list_records(&pending, PageRequest::new(1, 10)).unwrap().total, 1);
    // The same file again changes nothing; a rejection keeps the approved version.
    let again = store
        .write_records(&clerk("2026-10-14"), &[fined("甲公司（新）", &uscc_for(1), "罚1", "2026-10-10", "1")])
        .unwrap();
    assert_eq!(again, [RecordOutcome::Unchanged { record_id: r1 }]);
    store.reject_record(&review("2026-10-15"), r1, "罚款金额与决定书不符").unwrap();
    assert_eq!(public_fine().as_deref(), Some("罚款20100元"));
    // The corrected change is pending again, and approval puts it in force.
    let out = store
        .write_records(&clerk("2026-10-16"), &[fined("甲公司（新）", &uscc_for(1), "罚1", "2026-10-10", "20000")])
        .unwrap();
    assert_eq!(out, [RecordOutcome::Pending { record_id: r1, version: 3 }]);
    store.approve_record(&review("2026-10-17"), r1).unwrap();
    assert_eq!(public_fine().as_deref(), Some("罚款20000元"));
    let detail = store.record(r1).unwrap().unwrap();
    assert_eq!((detail.row.version, detail.row.pending_version, detail.row.review_state), (3, None, None));
    assert_eq!(detail.row.decision_date, d("2026-10-10"));
    assert_eq!(detail.row.published_on, Some(d("2026-10-12")), "still first published on 10-12");
    assert_eq!(detail.versions.len(), 3, "every version kept");
    assert_eq!(store.subject_by_key(&uscc_for(1)).unwrap().unwrap().name, "甲公司（新）");
    // The rates count it once, under its corrected decision date.
    let deadlines = [
        Deadline { kind: RecordKind::Penalty, decision_date: d("2026-10-09"), deadline: d("2026-10-20") },
        Deadline { kind: RecordKind::Penalty, decision_date: d("2026-10-10"), deadline: d("2026-10-21") },
    ];
    let rows = store.record_rate_rows(d("2026-10-01"), d("2026-10-31"), &deadlines).unwrap();
    assert_eq!(rows.iter().map(|r| r.reported).sum::<u64>(), 1);
    assert!(store.approve_record(&review("2026-10-18"), r1).is_err(), "nothing pending");
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
