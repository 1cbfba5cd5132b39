//! The shared suite's tests of the audit capability.

use super::*;

/// Events are appended newest last, carry who, why and what, and each one
/// raises the data version the dashboard's cache is keyed by.
pub fn events_are_appended_and_raise_the_data_version(store: &dyn Store) {
    let empty = store.data_version().unwrap();
    let out = store
        .write_records(&ctx("clerk"), &[penalty("甲公司", &uscc_for(1), "审计〔2026〕1号", "2026-11-20")])
        .unwrap();
    let record_id = out[0].record_id();
    let written = store.data_version().unwrap();
    assert!(written > empty, "a write appends events: {empty} → {written}");
    let subject_id = store.record(record_id).unwrap().unwrap().row.subject_id;
    let id = store
        .append_event(&ctx("auditor"), "personal_data.read", Some(subject_id), Some(record_id), r#"{"purpose":"核查"}"#)
        .unwrap();
    assert!(id > written);
    assert_eq!(store.data_version().unwrap(), id, "the data version is the last event");
    let events = store.events(10).unwrap();
    let newest = &events[0];
    assert_eq!(
        (newest.id, newest.actor.as_str(), newest.action.as_str(), newest.reason.as_str()),
        (id, "auditor", "personal_data.read", "测试")
    );
    assert_eq!((newest.subject_id, newest.record_id), (Some(subject_id), Some(record_id)));
    assert_eq!(newest.detail, r#"{"purpose":"核查"}"#);
    assert!(events.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(events.iter().any(|e| e.action == "record.created" && e.actor == "clerk"));
    assert_eq!(store.events(1).unwrap().len(), 1, "the limit holds");
}
