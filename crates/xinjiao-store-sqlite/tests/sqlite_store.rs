//! The shared store suite on SQLite, plus SQLite-only checks.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use xinjiao_store::Store;
use xinjiao_store_sqlite::SqliteStore;

/// A store in a fresh temporary directory, removed on drop.
struct Fresh {
    store: Option<SqliteStore>,
    dir: PathBuf,
}

impl Fresh {
    fn new() -> Fresh {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xinjiao-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(dir.join("db.sqlite3")).expect("open store");
        Fresh { store: Some(store), dir }
    }
}

impl Deref for Fresh {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        self.store.as_ref().expect("open")
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        self.store.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

xinjiao_store::store_tests!(Fresh::new());

#[test]
fn events_versions_and_the_log_are_append_only() {
    let fresh = Fresh::new();
    let rec = xinjiao_store::suite::penalty("甲公司", "91350100M000100Y43", "河交罚〔2024〕1号", "2024-05-28");
    let ctx = xinjiao_store::WriteContext::new("t", jiff::Timestamp::UNIX_EPOCH, "t");
    fresh.write_records(&ctx, &[rec]).unwrap();
    // A report row, so that the row triggers of reports have something to refuse.
    let report = xinjiao_store::suite::sample_report("XJ-20240528-0000000A", "91350100M000100Y43", 1);
    xinjiao_store::LogStore::issue_report(&*fresh, &ctx, &report).unwrap();
    let conn = rusqlite::Connection::open(fresh.dir.join("db.sqlite3")).unwrap();
    for sql in [
        "UPDATE events SET actor = 'x'",
        "DELETE FROM events",
        "UPDATE record_versions SET fields = '{}'",
        "DELETE FROM record_versions",
        "UPDATE log_entries SET content = '{}'",
        "DELETE FROM log_entries",
        "UPDATE log_hashes SET hash = hash",
        "DELETE FROM log_hashes",
        "UPDATE reports SET pages = 0",
        "DELETE FROM reports",
    ] {
        let e = conn.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only") || e.contains("immutable"), "{sql}: {e}");
    }
}

#[test]
fn reopening_applies_no_migration_twice() {
    let fresh = Fresh::new();
    let path = fresh.store.as_ref().unwrap().path().to_path_buf();
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.applied_migrations().unwrap(), (1..=30).collect::<Vec<i64>>());
    let pragma: String =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(pragma, "wal");
}

#[test]
fn signed_commitments_are_immutable() {
    let fresh = Fresh::new();
    let rec = xinjiao_store::suite::penalty("甲公司", "91350100M000100Y43", "河交罚〔2024〕1号", "2024-05-28");
    let ctx = xinjiao_store::WriteContext::new("t", jiff::Timestamp::UNIX_EPOCH, "t");
    fresh.write_records(&ctx, &[rec]).unwrap();
    let subject = fresh.subject_by_key("91350100M000100Y43").unwrap().unwrap();
    let new = xinjiao_store::NewCommitment {
        signed_via: "window".into(),
        scan: Some(("scan.pdf".into(), b"%PDF".to_vec())),
        ..xinjiao_store::suite::sample_commitment(subject.id)
    };
    xinjiao_store::CommitmentStore::sign_commitment(&*fresh, &ctx, &new, xinjiao_core::commitments::State::InForce)
        .unwrap();
    let conn = rusqlite::Connection::open(fresh.dir.join("db.sqlite3")).unwrap();
    for sql in [
        "UPDATE commitments SET text = 'x'",
        "UPDATE commitments SET signed_by = 'x'",
        "DELETE FROM commitments",
        "UPDATE commitment_scans SET content = x'00'",
        "DELETE FROM commitment_scans",
    ] {
        let e = conn.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("immutable") || e.contains("append-only"), "{sql}: {e}");
    }
    conn.execute("UPDATE commitments SET note = 'staff may annotate'", []).unwrap();
}
