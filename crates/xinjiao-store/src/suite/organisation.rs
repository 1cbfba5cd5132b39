//! The shared suite's tests of the organisation capability.

use crate::{DocumentFilter, DocumentKind, NewDocument, Responsibility};
use crate::{PageRequest, Role, Store, StoreError};
use xinjiao_core::Date;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::reporting::period::Month;

use super::*;

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
