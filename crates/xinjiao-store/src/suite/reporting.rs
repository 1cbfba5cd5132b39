//! The shared suite's tests of the reporting capability.

use crate::Deadline;
use crate::{NewSubmission, PageRequest, RecordFilter, Role, Store, WriteContext};
use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_core::records::fields::RecordKind;

use super::*;

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
