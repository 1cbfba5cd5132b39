//! The shared store suite on a real PostgreSQL server, plus PostgreSQL-only
//! checks. `XINJIAO_TEST_POSTGRES_URL` names a server where the tests may
//! create and drop databases; `./scripts/test` starts a throwaway cluster and
//! sets it. Each test runs on a fresh database.

use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};
use xinjiao_store::Store;
use xinjiao_store_postgres::PgStore;

fn admin_url() -> String {
    std::env::var("XINJIAO_TEST_POSTGRES_URL").expect(
        "XINJIAO_TEST_POSTGRES_URL is not set: run ./scripts/test (it starts a throwaway PostgreSQL cluster), \
         or point it at a server where tests may create databases",
    )
}

/// A store on a fresh database, dropped afterwards.
struct Fresh {
    store: Option<PgStore>,
    name: String,
}

impl Fresh {
    fn new() -> Fresh {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("xj_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let mut admin = Client::connect(&admin_url(), NoTls).expect("connect to the test server");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = db_url(&name);
        Fresh { store: Some(PgStore::open(&url).expect("open store")), name }
    }
}

fn db_url(name: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
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
        if let Ok(mut admin) = Client::connect(&admin_url(), NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
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
    let mut c = Client::connect(&db_url(&fresh.name), NoTls).unwrap();
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
        let e = c.batch_execute(sql).unwrap_err();
        let msg = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        assert!(msg.contains("append-only"), "{sql}: {msg}");
    }
}

#[test]
fn reopening_applies_no_migration_twice() {
    let fresh = Fresh::new();
    let again = PgStore::open(&db_url(&fresh.name)).unwrap();
    assert_eq!(again.applied_migrations().unwrap(), (1..=30).collect::<Vec<i64>>());
}

#[test]
fn migration_versions_match_sqlite() {
    let pg: Vec<i64> = xinjiao_store_postgres::MIGRATIONS.iter().map(|m| m.0).collect();
    let lite: Vec<i64> = xinjiao_store_sqlite::MIGRATIONS.iter().map(|m| m.0).collect();
    assert_eq!(pg, lite);
    let pg_names: Vec<&str> = xinjiao_store_postgres::MIGRATIONS.iter().map(|m| m.1).collect();
    let lite_names: Vec<&str> = xinjiao_store_sqlite::MIGRATIONS.iter().map(|m| m.1).collect();
    assert_eq!(pg_names, lite_names);
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
    let mut c = Client::connect(&db_url(&fresh.name), NoTls).unwrap();
    for sql in [
        "UPDATE commitments SET text = 'x'",
        "UPDATE commitments SET signed_by = 'x'",
        "DELETE FROM commitments",
        "UPDATE commitment_scans SET filename = 'x'",
        "DELETE FROM commitment_scans",
    ] {
        let e = c.batch_execute(sql).unwrap_err();
        let msg = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        assert!(msg.contains("immutable") || msg.contains("append-only"), "{sql}: {msg}");
    }
    c.batch_execute("UPDATE commitments SET note = 'staff may annotate'").unwrap();
}
