//! The embedded SQLite backend: one file, WAL, `synchronous=FULL`, foreign keys
//! on; one writer connection behind a mutex and a small pool of readers.
//! Substring search on names uses an FTS5 trigram index for queries of three or
//! more characters and a scan for shorter ones.

mod migrate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use xinjiao_core::lifecycle::disclosure::RecordWindow;
use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
use xinjiao_core::lifecycle::repairs::{RepairAction, RepairStatus};
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::records::record::SubjectKind;
use xinjiao_core::records::text::normalize_for_search;
use xinjiao_core::reporting::period::Month;
use xinjiao_core::{Date, Record};
use xinjiao_store::StaleWindow;
use xinjiao_store::{
    AccountStore, AuditStore, CalendarStore, InstallationStore, LifecycleStore, OrganisationStore, RecordStore,
    ReportingStore,
};
use xinjiao_store::{ApiToken, Objection, ObjectionFilter, Repair, RepairFilter};
use xinjiao_store::{
    AuthorityCount, DumpValue, Event, FilterArg, NewSubmission, Page, PageRequest, RecordDetail, RecordFilter,
    RecordOutcome, RecordRow, RecordVersion, Refusal, Result, Role, StoreError, Subject, Submission, Totals, User,
    WindowRules, WriteContext, dump_table,
};
use xinjiao_store::{
    Deadline, Declaration, Department, DepartmentKind, Division, Document, DocumentFilter, DocumentKind, LateRecord,
    NewDepartment, NewDocument, RecordRateRow, Responsibility, SubmissionRateRow,
};

mod accounts;
mod audit;
mod calendar;
mod commitments;
mod evaluation;
mod inspection;
mod installation;
mod lifecycle;
mod lists;
mod monitoring;
mod organisation;
mod records;
mod reporting;
/// What tests outside this crate do to the database behind the platform's
/// back (feature `testing`, never in a normal build).
#[cfg(feature = "testing")]
pub mod testing {
    pub use super::transparency::rewrite_log_entry;
}
mod transparency;

pub use migrate::MIGRATIONS;

/// Reader connections kept open between queries.
const MAX_IDLE_READERS: usize = 32;

/// Page cache of the writer connection, in KiB.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// The SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    window_rules: xinjiao_store::WindowRulesCell,
}

fn err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Conflict(msg.unwrap_or_else(|| f.to_string()))
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Plans do not depend on bound values: without this, a statement that
    // compares a parameter with an indexed column is prepared again whenever
    // its values change (every request of the subject endpoint).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs pending migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
        }
        let mut writer = open_conn(&path).map_err(err)?;
        // A large page cache for the one writer: big imports run in one
        // transaction, and a small cache spills pages to the WAL and reads them back.
        writer.pragma_update(None, "cache_size", -WRITER_CACHE_KIB).map_err(err)?;
        migrate::run(&mut writer).map_err(err)?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            window_rules: Default::default(),
        })
    }

    /// Versions of the migrations applied to this database, in order.
    pub fn applied_migrations(&self) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
            st.query_map([], |r| r.get(0))?.collect()
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self.readers.lock().expect("reader pool").pop();
        let conn = match conn {
            Some(c) => c,
            None => open_conn(&self.path).map_err(err)?,
        };
        let out = f(&conn).map_err(err);
        let mut pool = self.readers.lock().expect("reader pool");
        if pool.len() < MAX_IDLE_READERS {
            pool.push(conn);
        }
        out
    }

    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().expect("writer");
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let out = f(&tx)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

fn ts(s: String) -> rusqlite::Result<Timestamp> {
    s.parse().map_err(|e: jiff::Error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn date(s: String) -> rusqlite::Result<Date> {
    s.parse().map_err(|e: jiff::Error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn kind(s: String) -> rusqlite::Result<RecordKind> {
    RecordKind::parse(&s).ok_or_else(|| rusqlite::Error::InvalidColumnType(0, s, rusqlite::types::Type::Text))
}

fn subject_kind(s: String) -> rusqlite::Result<SubjectKind> {
    SubjectKind::parse(&s).ok_or_else(|| rusqlite::Error::InvalidColumnType(0, s, rusqlite::types::Type::Text))
}

#[cfg(test)]
mod tests {
    use super::records::{PUBLIC, RECORD_COLS, subject_cols};
    use super::*;

    /// The subject endpoint's query is prepared once per connection, however
    /// its bound values change (measured: 3,500 → 10,000 requests/s).
    #[test]
    fn statements_are_not_prepared_again_when_their_values_change() {
        let dir = std::env::temp_dir().join(format!("xinjiao-qpsg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqliteStore::open(dir.join("db.sqlite3")).unwrap();
        let ctx = WriteContext::new("clerk", "2026-10-12T02:00:00Z".parse().unwrap(), "上传");
        let records: Vec<Record> = (0..50)
            .map(|i| {
                let uscc = xinjiao_store::suite::uscc_for(i % 7);
                xinjiao_store::suite::penalty("甲公司", &uscc, &format!("罚{i}"), "2026-05-10")
            })
            .collect();
        store.write_records(&ctx, &records).unwrap();
        drop(store);
        let conn = open_conn(&dir.join("db.sqlite3")).unwrap();
        let sql = format!(
            "SELECT {} FROM subjects s WHERE s.public_key = ?1
             AND EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?2 OR ?2 = '0001-01-01') AND {PUBLIC} > ?2)",
            subject_cols("?2")
        );
        let list = format!(
            "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id
             WHERE r.kind = ?1 AND r.subject_id = ?2 AND r.decision_date <= ?3 AND {} ?3
             ORDER BY r.decision_date DESC, r.id DESC LIMIT ?4 OFFSET ?5",
            xinjiao_store::PUBLIC_UNTIL_SQL
        );
        let mut st = conn.prepare(&sql).unwrap();
        let mut st2 = conn.prepare(&list).unwrap();
        for (i, day) in ["2026-11-01", "2026-11-02", "0001-01-01"].into_iter().enumerate() {
            let key = xinjiao_store::suite::uscc_for(i as u32);
            let mut rows = st.query(params![key, day]).unwrap();
            while rows.next().unwrap().is_some() {}
            let mut rows = st2.query(params!["penalty", i as i64 + 1, day, 100, 0]).unwrap();
            while rows.next().unwrap().is_some() {}
        }
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
        assert_eq!(st2.get_status(rusqlite::StatementStatus::RePrepare), 0);
        drop((st, st2));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
