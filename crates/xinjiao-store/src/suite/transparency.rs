//! The transparency log: every publication appended in its own write's
//! transaction; a failed write appends nothing; the tree rebuilt from the
//! stored level hashes alone; every proof verifies.

use super::*;
use crate::transparency::{consistency_proof, inclusion_proof, log_root};
use crate::{NewLeaf, StoreError};
use xinjiao_core::lifecycle::repairs::RepairAction;
use xinjiao_core::transparency::entry::{LogEntry, LogEvent, commitment, record_content};
use xinjiao_core::transparency::tiles::{TileId, root_from_tiles};
use xinjiao_core::transparency::tree::{Tree, leaf_hash, verify_consistency, verify_inclusion};

fn events_of(store: &dyn Store, record_id: i64) -> Vec<String> {
    store.record_leaves(record_id).unwrap().into_iter().map(|l| l.event).collect()
}

pub fn every_publication_is_logged_and_provable(store: &dyn Store) {
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    assert_eq!(store.log_size().unwrap(), 0);
    assert_eq!(log_root(store, 0).unwrap(), xinjiao_core::transparency::tree::empty_root());
    // A failed stream appends nothing.
    let batches: Vec<Result<Vec<Record>, String>> =
        vec![Ok(vec![penalty("甲公司", &uscc_for(1), "罚0", "2026-05-10")]), Err("读取失败".into())];
    assert!(store.write_record_stream(&ctx("clerk"), &mut batches.into_iter()).is_err());
    assert_eq!(store.log_size().unwrap(), 0, "a failed import logs nothing");

    let out = store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10"),
                penalty("乙公司", &uscc_for(2), "罚2", "2026-05-11"),
                license("丙公司", &uscc_for(3), "许1", "2026-05-12"),
            ],
        )
        .unwrap();
    let ids: Vec<i64> = out.iter().map(|o| o.record_id()).collect();
    assert_eq!(store.log_size().unwrap(), 3);
    // The same rows again change nothing and log nothing; a changed row is a correction.
    store.write_records(&ctx("clerk"), &[penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10")]).unwrap();
    assert_eq!(store.log_size().unwrap(), 3);
    let changed = penalty_with("甲公司", &uscc_for(1), "罚1", "2026-05-10", &[("CF_NR_FK", "0.3")]);
    store.write_records(&ctx("clerk"), &[changed]).unwrap();
    assert_eq!(events_of(store, ids[0]), ["record.published", "record.corrected"]);
    // Withdrawn, repaired.
    let w = WriteContext::new("clerk", at("2026-05-28T02:00:00Z"), "决定已撤销");
    store.withdraw_record(&w, ids[1], "行政复议决定撤销原处罚决定", d("2026-05-26")).unwrap();
    assert_eq!(events_of(store, ids[1]), ["record.published", "record.withdrawn"]);
    let sid = store.subject_by_key(&uscc_for(1)).unwrap().unwrap().id;
    let rep = store.file_repair(&ctx("s"), ids[0], sid, &super::signed_by("张三"), "罚款已缴清", None).unwrap();
    store.act_on_repair(&ctx("wz1"), rep, &RepairAction::Accept).unwrap();
    store.act_on_repair(&ctx("wz1"), rep, &RepairAction::Approve("已履行义务".into())).unwrap();
    assert_eq!(events_of(store, ids[0]), ["record.published", "record.corrected", "record.repaired"]);
    // A record awaiting review is logged when it is approved, not before.
    let (_, wzcl, _) = small_organisation(store);
    store.set_review_required(&ctx("coord"), wzcl, true).unwrap();
    let dept = WriteContext::new("wz1", at("2026-10-12T02:00:00Z"), "上传").in_department(Some(wzcl));
    let r4 =
        store.write_records(&dept, &[penalty("丁公司", &uscc_for(4), "罚4", "2026-10-09")]).unwrap()[0].record_id();
    assert!(events_of(store, r4).is_empty(), "pending review: not public, not logged");
    store.approve_record(&WriteContext::new("coord", at("2026-10-13T02:00:00Z"), "审核"), r4).unwrap();
    assert_eq!(events_of(store, r4), ["record.published"]);
    // A report, appended on its own.
    let report = NewLeaf {
        event: LogEvent::ReportIssued,
        object: "report/XJ-2026-000001".into(),
        content: r#"{"number":"XJ-2026-000001"}"#.into(),
    };
    let idx = store.append_leaf(&ctx("system"), &report).unwrap();
    assert_eq!(store.object_leaf("report/XJ-2026-000001").unwrap().unwrap().index, idx);
    assert_eq!(store.object_leaf("report/none").unwrap(), None);

    // Every leaf: its entry parses, its salt and content give its commitment;
    // a published version's content is that version's public fields.
    let size = store.log_size().unwrap();
    assert_eq!(size, 8);
    let leaves = store.log_leaves(0, size).unwrap();
    assert_eq!(leaves.len() as u64, size);
    let mut tree = Tree::new();
    for (i, l) in leaves.iter().enumerate() {
        assert_eq!(l.index, i as u64);
        let e = LogEntry::parse(&l.entry).unwrap();
        assert_eq!(e.event.as_str(), l.event);
        assert_eq!(e.object, l.object);
        assert_eq!(commitment(&l.salt, l.content.as_bytes()), e.commitment, "leaf {i}");
        assert_eq!(l.salt.len(), 32);
        if let (LogEvent::RecordPublished | LogEvent::RecordCorrected, Some((rid, version))) = (e.event, e.record()) {
            let detail = store.record(rid).unwrap().unwrap();
            let v = detail.versions.iter().find(|v| v.version == version).unwrap();
            assert_eq!(l.content, record_content(detail.row.kind, rid, version, &v.fields));
        }
        tree.push(&l.entry);
    }
    let salts: std::collections::HashSet<&Vec<u8>> = leaves.iter().map(|l| &l.salt).collect();
    assert_eq!(salts.len(), leaves.len(), "a fresh salt per leaf");
    // The stored level hashes are the tree's; the tree from its tiles alone.
    let level0 = store.log_level(0, 0, size).unwrap();
    assert_eq!(level0, leaves.iter().map(|l| leaf_hash(&l.entry)).collect::<Vec<_>>());
    for n in 0..=size {
        assert_eq!(log_root(store, n).unwrap(), tree.root(n).unwrap(), "root of {n}");
    }
    let mut fetch = |t: TileId| {
        let start = t.index * 256;
        Some(store.log_level(u32::from(t.level) * 8, start, start + u64::from(t.width)).unwrap())
    };
    assert_eq!(root_from_tiles(size, &mut fetch).unwrap(), tree.root(size).unwrap());
    for n in 1..=size {
        let root = tree.root(n).unwrap();
        for i in 0..n {
            let proof = inclusion_proof(store, i, n).unwrap();
            assert!(verify_inclusion(&leaf_hash(&leaves[i as usize].entry), i, n, &proof, &root), "{i} in {n}");
        }
        for m in 1..=n {
            let proof = consistency_proof(store, m, n).unwrap();
            assert!(verify_consistency(m, n, &proof, &tree.root(m).unwrap(), &root), "{m} → {n}");
        }
    }
    assert!(matches!(inclusion_proof(store, 0, size + 1), Err(StoreError::NotFound)));

    // Checkpoints: only the log's root is stored; each size once.
    let root = tree.root(size).unwrap();
    assert!(matches!(
        store.add_checkpoint(size, &[7; 32], "note", at("2026-10-13T03:00:00Z")),
        Err(StoreError::Conflict(_))
    ));
    assert!(store.add_checkpoint(5, &tree.root(5).unwrap(), "note 5", at("2026-10-13T03:00:00Z")).unwrap());
    assert!(store.add_checkpoint(size, &root, "note 8", at("2026-10-13T03:00:00Z")).unwrap());
    assert!(!store.add_checkpoint(size, &root, "note 8 again", at("2026-10-13T03:01:00Z")).unwrap());
    let latest = store.latest_checkpoint().unwrap().unwrap();
    assert_eq!((latest.size, latest.root, latest.note.as_str()), (size, root, "note 8"));
    assert_eq!(store.checkpoint_of_size(5).unwrap().unwrap().note, "note 5");
    assert_eq!(store.checkpoints(10).unwrap().iter().map(|c| c.size).collect::<Vec<_>>(), [8, 5]);
}

/// A report is stored with its leaf in one transaction; a number or a hash
/// used before is refused and appends nothing.
pub fn reports_are_issued_with_their_leaf(store: &dyn Store) {
    let at: Timestamp = "2026-12-04T02:00:00Z".parse().unwrap();
    let new = |number: &str, sha: u8| sample_report(number, &uscc_for(1), sha);
    let w = WriteContext::new("public", at, "出具信用报告");
    let a = store.issue_report(&w, &new("XJ-20261204-AAAA0001", 1)).unwrap();
    assert_eq!((a.leaf_index, a.issued_by.as_str(), a.pages, a.bytes), (0, "public", 2, 12_345));
    assert_eq!(a.issued_at, at);
    let leaf = store.object_leaf("report/XJ-20261204-AAAA0001").unwrap().unwrap();
    assert_eq!(leaf.index, 0);
    assert_eq!(leaf.content, new("XJ-20261204-AAAA0001", 1).content());
    let entry = LogEntry::parse(&leaf.entry).unwrap();
    assert_eq!(entry.event, LogEvent::ReportIssued);
    assert_eq!(entry.commitment, commitment(&leaf.salt, leaf.content.as_bytes()));
    for dup in [new("XJ-20261204-AAAA0001", 2), new("XJ-20261204-AAAA0002", 1)] {
        assert!(matches!(store.issue_report(&w, &dup), Err(StoreError::Conflict(_))));
    }
    assert_eq!(store.log_size().unwrap(), 1, "a refused report appends nothing");
    let later = WriteContext::new("subject", at + jiff::SignedDuration::from_secs(60), "出具信用报告");
    let b = store
        .issue_report(&later, &crate::NewReport { edition: "full".into(), ..new("XJ-20261204-AAAA0003", 3) })
        .unwrap();
    assert_eq!(b.leaf_index, 1);
    assert_eq!(store.report("XJ-20261204-AAAA0001").unwrap(), Some(a.clone()));
    assert_eq!(store.report("nope").unwrap(), None);
    assert_eq!(store.report_by_sha256(&[3; 32]).unwrap(), Some(b.clone()));
    assert_eq!(store.report_by_sha256(&[9; 32]).unwrap(), None);
    assert_eq!(store.subject_reports(&uscc_for(1), 10).unwrap(), [b, a]);
    assert!(store.subject_reports("other", 10).unwrap().is_empty());
}

/// Watched installations: added once per address; an audit's outcome is
/// kept, the state and size only from a clean one; a finding is an event.
pub fn peers_keep_their_last_clean_audit(store: &dyn Store) {
    use crate::transparency::PeerAudit;
    let at = Timestamp::from_second(1_790_000_000).unwrap();
    let w = WriteContext::new("admin", at, "监测其他平台");
    let id = store.add_peer(&w, "https://xinyong.example.test/meizhou", "梅州市交通运输局", "k+01020304+AQ").unwrap();
    assert!(matches!(
        store.add_peer(&w, "https://xinyong.example.test/meizhou", "又一次", "k+01020304+AQ"),
        Err(crate::StoreError::Conflict(_))
    ));
    let p = &store.peers().unwrap()[0];
    assert_eq!((p.id, p.status.as_str(), p.state.as_deref(), p.checked_at), (id, "new", None, None));
    assert_eq!((p.added_by.as_str(), p.added_at), ("admin", at));
    let later = WriteContext::new("system", at.checked_add(jiff::SignedDuration::from_hours(1)).unwrap(), "审计");
    let ok = PeerAudit {
        status: "ok",
        code: None,
        message: "一致".into(),
        state: Some("xinjiao-audit-state/1\nstate".into()),
        size: Some(40),
        vkey: Some("k+05060708+AQ".into()),
    };
    store.record_peer_audit(&later, id, &ok).unwrap();
    let finding = PeerAudit {
        status: "finding",
        code: Some("audit.fork".into()),
        message: "分叉".into(),
        state: None,
        size: None,
        vkey: None,
    };
    store.record_peer_audit(&later, id, &finding).unwrap();
    let p = &store.peers().unwrap()[0];
    assert_eq!((p.status.as_str(), p.code.as_deref()), ("finding", Some("audit.fork")));
    assert_eq!(
        (p.state.as_deref(), p.size, p.vkey.as_str()),
        (Some("xinjiao-audit-state/1\nstate"), Some(40), "k+05060708+AQ")
    );
    assert_eq!(p.checked_at, Some(later.at));
    let events = store.events(20).unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "log_peer.finding").count(), 1);
    assert_eq!(events.iter().filter(|e| e.action == "log_peer.added").count(), 1);
    assert!(matches!(store.record_peer_audit(&later, 999, &ok), Err(crate::StoreError::NotFound)));
}

/// A report row to issue in tests (`sha` fills its SHA-256).
pub fn sample_report(number: &str, subject_key: &str, sha: u8) -> crate::NewReport {
    crate::NewReport {
        number: number.into(),
        subject_key: subject_key.into(),
        subject_name: "甲公司".into(),
        edition: "public".into(),
        as_of: "2026-12-04".parse().unwrap(),
        sha256: [sha; 32],
        data_version: 7,
        pages: 2,
        bytes: 12_345,
        digests: r#"{"penalties":"00"}"#.into(),
    }
}
