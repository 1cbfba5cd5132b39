//! The shared suite's tests of the lifecycle capability.

use crate::Deadline;
use crate::{PageRequest, RecordFilter, RecordOutcome, Store, StoreError, WriteContext};
use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_core::records::fields::RecordKind;

use super::*;

pub fn windows_are_refreshed_and_bound_public_lists(store: &dyn Store) {
    use xinjiao_core::lifecycle::disclosure::DisclosureRules;
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let rules = DisclosureRules::embedded();
    let mut warning = penalty("乙公司", &uscc_for(2), "罚2", "2026-05-10");
    if let xinjiao_core::Record::Penalty(p) = &mut warning {
        p.classes = vec![xinjiao_core::records::record::PenaltyClass::Warning];
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

pub fn objections_follow_their_states(store: &dyn Store) {
    use crate::ObjectionFilter;
    use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
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
    use xinjiao_core::lifecycle::repairs::{RepairAction, RepairStatus};
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
        store.file_repair(&ctx("s"), rid, sid + 999, &signed_by("张三"), "已缴清罚款", None),
        Err(StoreError::NotFound)
    ));
    let id = store
        .file_repair(&ctx("s"), rid, sid, &signed_by("张三（法定代表人）"), "罚款已于2026-05-20缴清", file)
        .unwrap();
    assert!(matches!(
        store.file_repair(&ctx("s"), rid, sid, &signed_by("张三"), "again", None),
        Err(StoreError::Conflict(_))
    ));
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
        matches!(
            store.file_repair(&ctx("s"), rid, sid, &signed_by("张三"), "again", None),
            Err(StoreError::Conflict(_))
        ),
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

/// A repair commitment signed by `by`, for the suite's applications.
pub fn signed_by(by: &str) -> crate::RepairCommitment<'_> {
    crate::RepairCommitment {
        by, template_version: 1, text: "本单位申请信用修复，承诺所提交材料真实。"
    }
}
