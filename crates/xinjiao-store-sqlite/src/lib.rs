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
use xinjiao_core::disclosure::RecordWindow;
use xinjiao_core::fields::RecordKind;
use xinjiao_core::objections::{ObjectionAction, ObjectionStatus};
use xinjiao_core::period::Month;
use xinjiao_core::record::SubjectKind;
use xinjiao_core::repairs::{RepairAction, RepairStatus};
use xinjiao_core::text::normalize_for_search;
use xinjiao_core::{Date, Record};
use xinjiao_store::StaleWindow;
use xinjiao_store::{ApiToken, Objection, ObjectionFilter, Repair, RepairFilter};
use xinjiao_store::{
    AuthorityCount, DumpValue, Event, FilterArg, NewSubmission, Page, PageRequest, RecordDetail, RecordFilter,
    RecordOutcome, RecordRow, RecordVersion, Refusal, Result, Role, Store, StoreError, Subject, Submission, Totals,
    User, WindowRules, WriteContext, dump_table,
};
use xinjiao_store::{
    Deadline, Declaration, Department, DepartmentKind, Division, Document, DocumentFilter, DocumentKind, LateRecord,
    NewDepartment, NewDocument, RecordRateRow, Responsibility, SubmissionRateRow,
};

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

/// The subject columns with counts of the records public after `day` (a bound parameter).
fn subject_cols(day: &str) -> String {
    format!(
        "s.id, s.public_key, s.kind, s.name, s.uscc, s.id_doc_no, s.legal_rep,
    (SELECT count(*) FROM records r WHERE r.subject_id = s.id AND r.kind = 'license' AND (r.decision_date <= {day} OR {day} = '0001-01-01') AND {PUBLIC} > {day}),
    (SELECT count(*) FROM records r WHERE r.subject_id = s.id AND r.kind = 'penalty' AND (r.decision_date <= {day} OR {day} = '0001-01-01') AND {PUBLIC} > {day})"
    )
}

/// The first day a record is no longer public, as a comparable text.
/// A record whose window is not computed is public on no day (staff, who
/// compare with the first day, still count it).
const PUBLIC: &str = "(CASE WHEN r.published_on IS NULL THEN '0001-01-01' WHEN r.window_rules IS NULL THEN '0001-01-02'
    ELSE coalesce(r.public_until, '9999-12-31') END)";

fn subject_row(r: &Row<'_>) -> rusqlite::Result<Subject> {
    Ok(Subject {
        id: r.get(0)?,
        key: r.get(1)?,
        kind: subject_kind(r.get(2)?)?,
        name: r.get(3)?,
        uscc: r.get(4)?,
        id_doc_no: r.get(5)?,
        legal_rep: r.get(6)?,
        n_licenses: r.get(7)?,
        n_penalties: r.get(8)?,
    })
}

const RECORD_COLS: &str = "r.id, r.kind, r.subject_id, s.public_key, s.name, r.authority_code, r.authority_name,
    r.decision_no, r.decision_date, r.summary, r.version, r.updated_at, r.department_id, r.published_on, r.public_until,
    r.repairable_from, r.review_state, r.review_reason, r.pending_version";

fn record_row(r: &Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: r.get(0)?,
        kind: kind(r.get(1)?)?,
        subject_id: r.get(2)?,
        subject_key: r.get(3)?,
        subject_name: r.get(4)?,
        authority_code: r.get(5)?,
        authority_name: r.get(6)?,
        decision_no: r.get(7)?,
        decision_date: date(r.get(8)?)?,
        summary: r.get(9)?,
        version: r.get(10)?,
        updated_at: ts(r.get(11)?)?,
        department_id: r.get(12)?,
        published_on: r.get::<_, Option<String>>(13)?.map(date).transpose()?,
        public_until: r.get::<_, Option<String>>(14)?.map(date).transpose()?,
        repairable_from: r.get::<_, Option<String>>(15)?.map(date).transpose()?,
        review_state: r.get(16)?,
        review_reason: r.get(17)?,
        pending_version: r.get(18)?,
    })
}

const USER_COLS: &str =
    "u.id, u.username, u.display_name, u.role, u.password_hash, u.department_id, u.disabled_at IS NOT NULL";
const SUBMISSION_COLS: &str =
    "id, user_id, at, kind, filename, n_rows, n_accepted, n_unchanged, n_rejected, report_json, department_id";

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(3, role, rusqlite::types::Type::Text))?,
        password_hash: r.get(4)?,
        department_id: r.get(5)?,
        disabled: r.get(6)?,
    })
}

fn submission_row(r: &Row<'_>) -> rusqlite::Result<Submission> {
    Ok(Submission {
        id: r.get(0)?,
        user_id: r.get(1)?,
        at: ts(r.get(2)?)?,
        kind: kind(r.get(3)?)?,
        filename: r.get(4)?,
        n_rows: r.get(5)?,
        n_accepted: r.get(6)?,
        n_unchanged: r.get(7)?,
        n_rejected: r.get(8)?,
        report_json: r.get(9)?,
        department_id: r.get(10)?,
    })
}

const DOCUMENT_COLS: &str = "id, kind, title, body, issue_date, department_id, published_on, created_at, created_by";

fn document_row(r: &Row<'_>) -> rusqlite::Result<Document> {
    let k: String = r.get(1)?;
    Ok(Document {
        id: r.get(0)?,
        kind: DocumentKind::parse(&k)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, k, rusqlite::types::Type::Text))?,
        title: r.get(2)?,
        body: r.get(3)?,
        issue_date: date(r.get(4)?)?,
        department_id: r.get(5)?,
        published_on: r.get::<_, Option<String>>(6)?.map(date).transpose()?,
        created_at: ts(r.get(7)?)?,
        created_by: r.get(8)?,
    })
}

/// Deadlines as one JSON parameter (`?1`), unpacked by [`DEADLINES_CTE`].
fn deadlines_json(deadlines: &[Deadline]) -> String {
    let rows: Vec<[String; 3]> = deadlines
        .iter()
        .map(|d| [d.kind.as_str().to_string(), d.decision_date.to_string(), d.deadline.to_string()])
        .collect();
    serde_json::to_string(&rows).expect("strings serialise")
}

/// The table `d(kind, dd, deadline)` of the deadlines passed as `?1`.
const DEADLINES_CTE: &str = "WITH d(kind, dd, deadline) AS MATERIALIZED (
    SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?1))";

fn insert_event(
    tx: &Connection,
    ctx: &WriteContext,
    action: &str,
    subject_id: Option<i64>,
    record_id: Option<i64>,
    detail: &str,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce((SELECT authority_code FROM records WHERE id = ?5), ''))",
    )?
    .execute(params![ctx.at.to_string(), ctx.actor, action, subject_id, record_id, ctx.reason, detail])?;
    Ok(tx.last_insert_rowid())
}

/// State of one write stream: subjects seen so far (to skip repeated look-ups)
/// and the first subject id created by this stream (their search index entries
/// are added in bulk when the stream ends).
struct StreamState {
    first_new_subject: i64,
    subjects: std::collections::HashMap<String, (i64, String, Option<String>)>,
    /// Changes to `record_day_counts`, applied at the end of the stream.
    day_counts: std::collections::HashMap<DayKey, i64>,
    /// Whether a department's new records await review (looked up once).
    review: std::collections::HashMap<i64, bool>,
    /// The rules windows are computed with.
    rules: Arc<WindowRules>,
    /// The `record.created` event of the current batch, per authority code.
    created_events: std::collections::HashMap<String, i64>,
}

/// (decision date, kind, department id or 0, publication day).
type DayKey = (String, &'static str, i64, String);

impl StreamState {
    fn begin(tx: &Connection, rules: Arc<WindowRules>) -> rusqlite::Result<StreamState> {
        let first_new_subject = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM subjects", [], |r| r.get(0))?;
        Ok(StreamState {
            first_new_subject,
            subjects: Default::default(),
            day_counts: Default::default(),
            review: Default::default(),
            rules,
            created_events: Default::default(),
        })
    }

    /// Indexes the names of the subjects this stream created.
    fn finish(self, tx: &Connection) -> rusqlite::Result<()> {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (decision_date, kind, department_id, published_on) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((date, kind, dept, published), n) in self.day_counts.iter().filter(|(_, n)| **n != 0) {
            upsert.execute(params![date, kind, dept, published, n])?;
        }
        tx.execute("DELETE FROM record_day_counts WHERE n = 0", [])?;
        tx.execute(
            "INSERT INTO subjects_fts(rowid, name_norm) SELECT id, name_norm FROM subjects WHERE id >= ?1",
            [self.first_new_subject],
        )?;
        Ok(())
    }
}

/// Appends an event about a record whose authority is known (the hot path of
/// imports: no look-up of the authority).
fn insert_record_event(
    tx: &Connection,
    ctx: &WriteContext,
    action: &str,
    subject_id: i64,
    record_id: i64,
    authority_code: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ctx.at.to_string(),
        ctx.actor,
        action,
        subject_id,
        record_id,
        ctx.reason,
        detail,
        authority_code
    ])?;
    Ok(())
}

/// The `record.created` event of this batch for `authority`: appended with
/// the batch's first new record of that authority, shared by the others.
fn created_event(tx: &Connection, st: &mut StreamState, ctx: &WriteContext, authority: &str) -> rusqlite::Result<i64> {
    if let Some(id) = st.created_events.get(authority) {
        return Ok(*id);
    }
    tx.prepare_cached(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         VALUES (?1, ?2, 'record.created', NULL, NULL, ?3, ?4, ?5)",
    )?
    .execute(params![ctx.at.to_string(), ctx.actor, ctx.reason, r#"{"version":1}"#, authority])?;
    let id = tx.last_insert_rowid();
    st.created_events.insert(authority.to_string(), id);
    Ok(id)
}

/// Computes and stores the window of record `id`'s version in force (after a
/// write that changed what it depends on), in the caller's transaction.
fn recompute_window(tx: &Connection, rules: &WindowRules, id: i64) -> rusqlite::Result<()> {
    let (k, d, fields, withdrawn, repaired): (String, String, String, Option<String>, Option<String>) = tx
        .prepare_cached(
            "SELECT r.kind, r.decision_date, v.fields, r.withdrawn_on, r.repaired_on FROM records r
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    let fields: BTreeMap<String, String> = serde_json::from_str(&fields).unwrap_or_default();
    let w =
        rules.window(kind(k)?, date(d)?, &fields, withdrawn.map(date).transpose()?, repaired.map(date).transpose()?);
    store_window(tx, &rules.fingerprint, id, &w)
}

fn store_window(tx: &Connection, fingerprint: &str, id: i64, w: &RecordWindow) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE records SET severity = ?2, public_until = ?3, repairable_from = ?4, window_rules = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        w.severity.map(|s| s.as_str()),
        w.public_until.map(|d| d.to_string()),
        w.repairable_from.map(|d| d.to_string()),
        fingerprint
    ])?;
    Ok(())
}

/// Whether records of a department await review before publication (looked up once per stream).
fn reviews(tx: &Connection, st: &mut StreamState, department_id: Option<i64>) -> rusqlite::Result<bool> {
    let Some(d) = department_id else { return Ok(false) };
    if let Some(p) = st.review.get(&d) {
        return Ok(*p);
    }
    let p: bool = tx
        .prepare_cached("SELECT review_required <> 0 FROM departments WHERE id = ?1")?
        .query_row([d], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    st.review.insert(d, p);
    Ok(p)
}

/// Finds or creates the subject a record names; returns its id, or why the
/// row may not be written. A differing name (or legal representative) of a
/// decision no older than the subject's latest renames it when `rename`
/// (the version is in force at once); a writer restricted to its own
/// department may do so only for a subject it holds a record of.
fn upsert_subject(
    tx: &Connection,
    st: &mut StreamState,
    ctx: &WriteContext,
    rec: &Record,
    rename: bool,
) -> rusqlite::Result<std::result::Result<i64, Refusal>> {
    let s = rec.subject();
    let identity = s.identity_key();
    // The common case of a large file: a subject seen before, unchanged.
    if let Some((id, name, legal_rep)) = st.subjects.get(&identity)
        && *name == s.name
        && (s.legal_rep.is_none() || *legal_rep == s.legal_rep)
    {
        return Ok(Ok(*id));
    }
    let existing = match st.subjects.get(&identity) {
        Some(hit) => Some(hit.clone()),
        None => tx
            .prepare_cached("SELECT id, name, legal_rep FROM subjects WHERE identity_key = ?1")?
            .query_row([&identity], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?,
    };
    let at = ctx.at.to_string();
    match existing {
        Some((id, name, legal_rep)) => {
            let differs = name != s.name || (s.legal_rep.is_some() && legal_rep != s.legal_rep);
            // The subject's data follows its latest decision: an older decision
            // imported later does not rename it back.
            let latest: Option<String> = if differs {
                tx.prepare_cached("SELECT max(decision_date) FROM records WHERE subject_id = ?1")?
                    .query_row([id], |r| r.get(0))?
            } else {
                None
            };
            let newer = latest.is_none_or(|l| rec.decision_date().to_string() >= l);
            if differs
                && newer
                && let Some(dept) = ctx.owner_only()
            {
                let held: bool = tx
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM records WHERE subject_id = ?1 AND department_id = ?2)",
                    )?
                    .query_row(params![id, dept], |r| r.get(0))?;
                if !held {
                    let owner: Option<i64> = tx
                        .prepare_cached(
                            "SELECT department_id FROM records WHERE subject_id = ?1 ORDER BY decision_date DESC, id DESC LIMIT 1",
                        )?
                        .query_row([id], |r| r.get(0))
                        .optional()?
                        .flatten();
                    return Ok(Err(Refusal::SubjectNotHeld { subject_id: id, owner }));
                }
            }
            if differs && newer && rename {
                let old_norm = normalize_for_search(&name);
                let new_norm = normalize_for_search(&s.name);
                tx.prepare_cached(
                    "UPDATE subjects SET name = ?2, name_norm = ?3, legal_rep = coalesce(?4, legal_rep), updated_at = ?5 WHERE id = ?1",
                )?
                .execute(params![id, s.name, new_norm, s.legal_rep, at])?;
                st.subjects.insert(identity, (id, s.name.clone(), s.legal_rep.clone().or(legal_rep.clone())));
                if old_norm != new_norm && id < st.first_new_subject {
                    // External-content FTS5: remove the old terms, add the new ones.
                    tx.prepare_cached(
                        "INSERT INTO subjects_fts(subjects_fts, rowid, name_norm) VALUES ('delete', ?1, ?2)",
                    )?
                    .execute(params![id, old_norm])?;
                    tx.prepare_cached("INSERT INTO subjects_fts(rowid, name_norm) VALUES (?1, ?2)")?
                        .execute(params![id, new_norm])?;
                }
                let detail = serde_json::json!({
                    "name": [name, s.name],
                    "legal_rep": [legal_rep, s.legal_rep.clone().or(legal_rep.clone())],
                    "decision_no": rec.decision_no(),
                    "department_id": ctx.department_id,
                })
                .to_string();
                insert_event(tx, ctx, "subject.updated", Some(id), None, &detail)?;
            } else {
                st.subjects.entry(identity).or_insert((id, name, legal_rep));
            }
            Ok(Ok(id))
        }
        None => {
            let uscc = s.uscc.as_ref().map(|u| u.to_string());
            let id_doc_no = s.id_doc.as_ref().map(|d| d.expose().to_string());
            tx.prepare_cached(
                "INSERT INTO subjects (public_key, identity_key, kind, name, name_norm, uscc, id_doc_no, legal_rep, created_at, updated_at)
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            )?
            .execute(params![identity, s.kind.as_str(), s.name, normalize_for_search(&s.name), uscc, id_doc_no, s.legal_rep, at])?;
            let id = tx.last_insert_rowid();
            if uscc.is_none() {
                tx.prepare_cached("UPDATE subjects SET public_key = 'P' || id WHERE id = ?1")?.execute([id])?;
            }
            let detail = serde_json::json!({"name": s.name, "department_id": ctx.department_id}).to_string();
            insert_event(tx, ctx, "subject.created", Some(id), None, &detail)?;
            st.subjects.insert(identity, (id, s.name.clone(), s.legal_rep.clone()));
            Ok(Ok(id))
        }
    }
}

/// An existing record as a write finds it.
struct Found {
    id: i64,
    /// The newest version (a pending one, or the version in force).
    latest: i64,
    decision_date: String,
    department_id: Option<i64>,
    published_on: Option<String>,
}

/// Makes `version` (already stored in `record_versions`) the version in
/// force of record `found`: the record's columns, its day count and window.
fn apply_version(
    tx: &Connection,
    st: &mut StreamState,
    ctx: &WriteContext,
    found: &Found,
    version: i64,
    subject_id: i64,
    rec: &Record,
) -> rusqlite::Result<()> {
    let kind = rec.kind().as_str();
    let decision_date = rec.decision_date().to_string();
    if let Some(published) = &found.published_on
        && found.decision_date != decision_date
    {
        // A new version that moves the decision date moves the count.
        let dept = found.department_id.unwrap_or(0);
        *st.day_counts.entry((found.decision_date.clone(), kind, dept, published.clone())).or_default() -= 1;
        *st.day_counts.entry((decision_date.clone(), kind, dept, published.clone())).or_default() += 1;
    }
    tx.prepare_cached(
        "UPDATE records SET subject_id = ?2, authority_name = ?3, decision_date = ?4, summary = ?5, version = ?6, updated_at = ?7,
         pending_version = NULL WHERE id = ?1",
    )?
    .execute(params![found.id, subject_id, rec.authority().name, decision_date, rec.summary(), version, ctx.at.to_string()])?;
    recompute_window(tx, &st.rules, found.id)
}

fn write_one(
    tx: &Connection,
    st: &mut StreamState,
    ctx: &WriteContext,
    rec: &Record,
) -> rusqlite::Result<RecordOutcome> {
    let fields = rec.to_fields();
    let fields_json = serde_json::to_string(&fields).expect("string map serialises");
    let kind = rec.kind().as_str();
    let authority = rec.authority();
    let at = ctx.at.to_string();
    // Two simple look-ups rather than one join: SQLite re-prepares the join at
    // every step inside a growing write transaction (measured: once per row).
    let found: Option<Found> = tx
        .prepare_cached(
            "SELECT id, coalesce(pending_version, version), decision_date, department_id, published_on
             FROM records WHERE kind = ?1 AND authority_code = ?2 AND decision_no = ?3",
        )?
        .query_row(params![kind, authority.code.as_str(), rec.decision_no()], |r| {
            Ok(Found {
                id: r.get(0)?,
                latest: r.get(1)?,
                decision_date: r.get(2)?,
                department_id: r.get(3)?,
                published_on: r.get(4)?,
            })
        })
        .optional()?;
    let Some(found) = found else {
        let pending = reviews(tx, st, ctx.department_id)?;
        let subject_id = match upsert_subject(tx, st, ctx, rec, !pending)? {
            Ok(id) => id,
            Err(refusal) => return Ok(RecordOutcome::Refused(refusal)),
        };
        let decision_date = rec.decision_date().to_string();
        let w = st.rules.window(rec.kind(), rec.decision_date(), &fields, None, None);
        let event = created_event(tx, st, ctx, authority.code.as_str())?;
        tx.prepare_cached(
            "INSERT INTO records (kind, authority_code, decision_no, subject_id, authority_name, decision_date, summary, version, created_at, updated_at, department_id, published_on, review_state,
                                  severity, public_until, repairable_from, window_rules, created_event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
            kind,
            authority.code.as_str(),
            rec.decision_no(),
            subject_id,
            authority.name,
            decision_date,
            rec.summary(),
            at,
            ctx.department_id,
            (!pending).then(|| ctx.china_date().to_string()),
            pending.then_some("pending"),
            w.severity.map(|s| s.as_str()),
            w.public_until.map(|d| d.to_string()),
            w.repairable_from.map(|d| d.to_string()),
            st.rules.fingerprint,
            event,
        ])?;
        let record_id = tx.last_insert_rowid();
        if !pending {
            let key = (decision_date, kind, ctx.department_id.unwrap_or(0), ctx.china_date().to_string());
            *st.day_counts.entry(key).or_default() += 1;
        }
        tx.prepare_cached(
            "INSERT INTO record_versions (record_id, version, fields, created_at, created_by, authority_code)
             VALUES (?1, 1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![record_id, fields_json, at, ctx.actor, authority.code.as_str()])?;
        return Ok(RecordOutcome::Created { record_id });
    };
    let record_id = found.id;
    if let Some(dept) = ctx.owner_only()
        && found.department_id != Some(dept)
    {
        return Ok(RecordOutcome::Refused(Refusal::NotOwner { record_id, owner: found.department_id }));
    }
    let old: String = tx
        .prepare_cached("SELECT fields FROM record_versions WHERE record_id = ?1 AND version = ?2")?
        .query_row(params![record_id, found.latest], |r| r.get(0))?;
    if old == fields_json {
        return Ok(RecordOutcome::Unchanged { record_id });
    }
    // A change to a published record of a reviewing department waits for review.
    let awaits = found.published_on.is_some() && reviews(tx, st, found.department_id)?;
    let in_force_now = !awaits && found.published_on.is_some();
    let subject_id = match upsert_subject(tx, st, ctx, rec, in_force_now)? {
        Ok(id) => id,
        Err(refusal) => return Ok(RecordOutcome::Refused(refusal)),
    };
    let version = found.latest + 1;
    tx.prepare_cached(
        "INSERT INTO record_versions (record_id, version, fields, created_at, created_by, authority_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![record_id, version, fields_json, at, ctx.actor, authority.code.as_str()])?;
    let old: BTreeMap<String, String> = serde_json::from_str(&old).unwrap_or_default();
    let changed = xinjiao_core::record::changed_fields(&old, &fields);
    if awaits {
        tx.prepare_cached(
            "UPDATE records SET pending_version = ?2, review_state = 'pending', review_reason = NULL, updated_at = ?3 WHERE id = ?1",
        )?
        .execute(params![record_id, version, at])?;
        let detail = serde_json::json!({"version": version, "changed_fields": changed, "pending": true}).to_string();
        insert_record_event(tx, ctx, "record.updated", subject_id, record_id, authority.code.as_str(), &detail)?;
        return Ok(RecordOutcome::Pending { record_id, version });
    }
    apply_version(tx, st, ctx, &found, version, subject_id, rec)?;
    // A corrected resubmission of a rejected record is pending again.
    tx.prepare_cached(
        "UPDATE records SET review_state = CASE WHEN review_state = 'rejected' THEN 'pending' ELSE review_state END WHERE id = ?1",
    )?
    .execute([record_id])?;
    let detail = serde_json::json!({"version": version, "changed_fields": changed}).to_string();
    insert_record_event(tx, ctx, "record.updated", subject_id, record_id, authority.code.as_str(), &detail)?;
    Ok(RecordOutcome::Updated { record_id, version })
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn write_batches(
        &self,
        batches: &mut dyn Iterator<Item = std::result::Result<(WriteContext, Vec<Record>), String>>,
        on_outcome: &mut dyn FnMut(RecordOutcome),
    ) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            let mut state = StreamState::begin(tx, rules).map_err(err)?;
            for batch in batches {
                let (ctx, batch) = batch.map_err(StoreError::Aborted)?;
                state.created_events.clear();
                for rec in &batch {
                    on_outcome(write_one(tx, &mut state, &ctx, rec).map_err(err)?);
                }
            }
            state.finish(tx).map_err(err)?;
            Ok(())
        })
    }

    fn search_subjects_on(&self, query: &str, page: PageRequest, public_on: Option<Date>) -> Result<Page<Subject>> {
        let q = normalize_for_search(query);
        let day = xinjiao_store::public_day_arg(public_on);
        if q.is_empty() {
            return Ok(Page { items: vec![], total: 0, page: page.page, per_page: page.per_page });
        }
        // Trigram index for 3+ characters without LIKE wildcards; otherwise an exact
        // substring scan with instr().
        let use_fts = q.chars().count() >= 3 && !q.contains(['%', '_']);
        let hits = if use_fts {
            "SELECT rowid AS id FROM subjects_fts WHERE name_norm LIKE '%' || ?1 || '%'
             UNION SELECT id FROM subjects WHERE uscc = ?1"
        } else {
            "SELECT id FROM subjects WHERE instr(name_norm, ?1) > 0 UNION SELECT id FROM subjects WHERE uscc = ?1"
        };
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!(
                    "SELECT count(*) FROM ({hits}) h
                     WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = h.id AND (r.decision_date <= ?2 OR ?2 = '0001-01-01') AND {PUBLIC} > ?2)"
                ),
                params![q, day],
                |r| r.get(0),
            )?;
            let sql = format!(
                "WITH hits AS ({hits}) SELECT {} FROM hits JOIN subjects s ON s.id = hits.id
                 WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?4 OR ?4 = '0001-01-01') AND {PUBLIC} > ?4)
                 ORDER BY (s.name_norm = ?1) DESC, (substr(s.name_norm, 1, length(?1)) = ?1) DESC,
                          length(s.name_norm), s.name_norm, s.id
                 LIMIT ?2 OFFSET ?3",
                subject_cols("?4")
            );
            let items = c
                .prepare(&sql)?
                .query_map(params![q, page.per_page, page.offset() as i64, day], subject_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn subject_by_key_on(&self, key: &str, public_on: Option<Date>) -> Result<Option<Subject>> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM subjects s WHERE s.public_key = ?1
                 AND EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?2 OR ?2 = '0001-01-01') AND {PUBLIC} > ?2)",
                subject_cols("?2")
            ))?
            .query_row(params![key, day], subject_row)
            .optional()
        })
    }

    fn list_records(&self, filter: &RecordFilter, page: PageRequest) -> Result<Page<RecordRow>> {
        let mut wh = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        for (lhs, arg) in filter.conditions() {
            args.push(match arg {
                FilterArg::Text(t) => Value::Text(t),
                FilterArg::Int(i) => Value::Integer(i),
                FilterArg::Date(d) => Value::Text(d.to_string()),
            });
            wh.push(format!("{lhs} ?{}", args.len()));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        self.read(|c| {
            let n = args.len();
            let mut all = args.clone();
            all.push(Value::Integer(i64::from(page.per_page)));
            all.push(Value::Integer(page.offset() as i64));
            let sql = format!(
                "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id {where_sql}
                 ORDER BY r.decision_date DESC, r.id DESC LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            );
            let items = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(all.iter()), record_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // A short first page is the whole list: no need to count.
            let total = if page.page == 1 && (items.len() as u32) < page.per_page {
                items.len() as i64
            } else {
                c.prepare_cached(&format!("SELECT count(*) FROM records r {where_sql}"))?
                    .query_row(params_from_iter(args.iter()), |r| r.get(0))?
            };
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn record(&self, id: i64) -> Result<Option<RecordDetail>> {
        self.read(|c| {
            let row = c
                .query_row(&format!("SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id WHERE r.id = ?1"), [id], record_row)
                .optional()?;
            let Some(row) = row else { return Ok(None) };
            let versions = c
                .prepare("SELECT version, created_at, created_by, fields FROM record_versions WHERE record_id = ?1 ORDER BY version")?
                .query_map([id], |r| {
                    let fields: String = r.get(3)?;
                    Ok(RecordVersion {
                        version: r.get(0)?,
                        created_at: ts(r.get(1)?)?,
                        created_by: r.get(2)?,
                        fields: serde_json::from_str(&fields).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
                        })?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let events = c
                .prepare(
                    "SELECT id, at, actor, action, subject_id, record_id, reason, detail FROM events
                     WHERE authority_code = ?2 AND record_id = ?1
                     UNION ALL
                     SELECT e.id, e.at, e.actor, e.action, e.subject_id, e.record_id, e.reason, e.detail
                     FROM records r JOIN events e ON e.id = r.created_event WHERE r.id = ?1
                     ORDER BY 1",
                )?
                .query_map(params![id, row.authority_code], event_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(RecordDetail { row, versions, events }))
        })
    }

    fn authorities(&self) -> Result<Vec<AuthorityCount>> {
        self.read(|c| {
            c.prepare(
                "SELECT authority_code, max(authority_name), count(*) FROM records GROUP BY authority_code ORDER BY count(*) DESC, authority_code",
            )?
            .query_map([], |r| Ok(AuthorityCount { code: r.get(0)?, name: r.get(1)?, n_records: r.get(2)? }))?
            .collect()
        })
    }

    fn totals_on(&self, public_on: Option<Date>) -> Result<Totals> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.read(|c| {
            let n = |sql: &str| -> rusqlite::Result<i64> { c.query_row(sql, [&day], |r| r.get(0)) };
            Ok(Totals {
                n_subjects: n(&format!(
                    "SELECT count(*) FROM subjects s WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?1 OR ?1 = '0001-01-01') AND {PUBLIC} > ?1)"
                ))?,
                n_licenses: n(&format!("SELECT count(*) FROM records r WHERE r.kind = 'license' AND (r.decision_date <= ?1 OR ?1 = '0001-01-01') AND {PUBLIC} > ?1"))?,
                n_penalties: n(&format!("SELECT count(*) FROM records r WHERE r.kind = 'penalty' AND (r.decision_date <= ?1 OR ?1 = '0001-01-01') AND {PUBLIC} > ?1"))?,
            })
        })
    }

    fn append_event(
        &self,
        ctx: &WriteContext,
        action: &str,
        subject_id: Option<i64>,
        record_id: Option<i64>,
        detail: &str,
    ) -> Result<i64> {
        self.write(|tx| insert_event(tx, ctx, action, subject_id, record_id, detail).map_err(err))
    }

    fn events(&self, limit: u32) -> Result<Vec<Event>> {
        self.read(|c| {
            c.prepare("SELECT id, at, actor, action, subject_id, record_id, reason, detail FROM events ORDER BY id DESC LIMIT ?1")?
                .query_map([limit], event_row)?
                .collect()
        })
    }

    fn data_version(&self) -> Result<i64> {
        self.read(|c| c.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0)))
    }

    fn create_user(
        &self,
        ctx: &WriteContext,
        username: &str,
        display_name: &str,
        role: Role,
        password_hash: &str,
        department_id: Option<i64>,
    ) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO users (username, display_name, role, password_hash, created_at, department_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![username, display_name, role.as_str(), password_hash, ctx.at.to_string(), department_id],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"user_id": id, "username": username, "role": role.as_str()}).to_string();
            insert_event(tx, ctx, "user.created", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        self.read(|c| {
            c.query_row(&format!("SELECT {USER_COLS} FROM users u WHERE u.username = ?1"), [username], user_row)
                .optional()
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.read(|c| {
            c.query_row(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?1"), [id], user_row).optional()
        })
    }

    fn create_session(&self, token_hash: &str, user_id: i64, expires_at: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, user_id, expires_at.to_string()],
            )
            .map_err(err)?;
            Ok(())
        })
    }

    fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        let found: Option<(User, String)> = self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLS}, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = ?1 AND u.disabled_at IS NULL"
                ),
                [token_hash],
                |r| Ok((user_row(r)?, r.get(7)?)),
            )
            .optional()
        })?;
        match found {
            Some((user, exp)) if ts(exp.clone()).map_err(err)? > now => Ok(Some(user)),
            _ => Ok(None),
        }
    }

    fn delete_subject_session(&self, token_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM subject_sessions WHERE token_hash = ?1", [token_hash]).map_err(err)?;
            Ok(())
        })
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash]).map_err(err)?;
            Ok(())
        })
    }

    fn create_api_token(
        &self,
        ctx: &WriteContext,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash, user_id, name, ctx.at.to_string(), expires_at.map(|t| t.to_string())],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"user_id": user_id, "name": name, "id": &token_hash[..12.min(token_hash.len())],
                "expires_at": expires_at.map(|t| t.to_string())})
            .to_string();
            insert_event(tx, ctx, "api_token.created", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        let found: Option<(User, Option<String>)> = self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLS}, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
                ),
                [token_hash],
                |r| Ok((user_row(r)?, r.get(7)?)),
            )
            .optional()
        })?;
        match found {
            Some((user, None)) => Ok(Some(user)),
            Some((user, Some(exp))) if ts(exp.clone()).map_err(err)? > now => Ok(Some(user)),
            _ => Ok(None),
        }
    }

    fn api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT substr(t.token_hash, 1, 12), t.user_id, u.username, t.name, t.created_at, t.expires_at, t.revoked_at
                 FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE ?1 IS NULL OR t.user_id = ?1 ORDER BY t.created_at DESC, t.token_hash",
            )?;
            let rows = st.query_map([user_id], |r| {
                let opt = |s: Option<String>| s.map(ts).transpose();
                Ok(ApiToken {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    username: r.get(2)?,
                    name: r.get(3)?,
                    created_at: ts(r.get(4)?)?,
                    expires_at: opt(r.get(5)?)?,
                    revoked_at: opt(r.get(6)?)?,
                })
            })?;
            rows.collect()
        })
    }

    fn revoke_api_token(&self, ctx: &WriteContext, id: &str, user_id: Option<i64>) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE api_tokens SET revoked_at = ?1
                     WHERE substr(token_hash, 1, 12) = ?2 AND length(?2) = 12 AND revoked_at IS NULL
                       AND (?3 IS NULL OR user_id = ?3)",
                    params![ctx.at.to_string(), id, user_id],
                )
                .map_err(err)?;
            if n != 1 {
                return Err(StoreError::NotFound);
            }
            let detail = serde_json::json!({"id": id}).to_string();
            insert_event(tx, ctx, "api_token.revoked", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {USER_COLS} FROM users u ORDER BY u.username"))?;
            let rows = st.query_map([], user_row)?;
            rows.collect()
        })
    }

    fn set_user_disabled(&self, ctx: &WriteContext, username: &str, disabled: bool) -> Result<()> {
        self.write(|tx| {
            let at = disabled.then(|| ctx.at.to_string());
            let n = tx
                .execute("UPDATE users SET disabled_at = ?1 WHERE username = ?2", params![at, username])
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if disabled {
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
                    [username],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"username": username}).to_string();
            let action = if disabled { "user.disabled" } else { "user.enabled" };
            insert_event(tx, ctx, action, None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn create_submission(&self, ctx: &WriteContext, s: &NewSubmission) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO submissions (user_id, at, kind, filename, n_rows, n_accepted, n_unchanged, n_rejected, report_json, file, department_id, dry_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, zeroblob(?10), ?11, ?12)",
                params![
                    s.user_id,
                    ctx.at.to_string(),
                    s.kind.as_str(),
                    s.filename,
                    s.n_rows,
                    s.n_accepted,
                    s.n_unchanged,
                    s.n_rejected,
                    s.report_json,
                    s.file.len() as i64,
                    ctx.department_id,
                    i64::from(s.dry_run)
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            // The file is written in pieces into the space reserved above, so
            // that SQLite never holds a second whole copy of a 64 MB upload.
            let mut blob = tx.blob_open(rusqlite::MAIN_DB, "submissions", "file", id, false).map_err(err)?;
            for (i, piece) in s.file.chunks(1 << 20).enumerate() {
                blob.write_at(piece, i << 20).map_err(err)?;
            }
            drop(blob);
            let detail = serde_json::json!({"submission_id": id, "rows": s.n_rows, "rejected": s.n_rejected}).to_string();
            insert_event(tx, ctx, "submission.created", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn submissions_of(&self, user_id: i64, limit: u32) -> Result<Vec<Submission>> {
        self.read(|c| {
            c.prepare(&format!(
                "SELECT {SUBMISSION_COLS} FROM submissions WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![user_id, limit], submission_row)?
            .collect()
        })
    }

    fn submission(&self, id: i64) -> Result<Option<Submission>> {
        self.read(|c| {
            c.query_row(&format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = ?1"), [id], submission_row)
                .optional()
        })
    }

    fn submission_file(&self, id: i64) -> Result<Option<Vec<u8>>> {
        self.read(|c| c.query_row("SELECT file FROM submissions WHERE id = ?1", [id], |r| r.get(0)).optional())
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional())
    }

    fn save_calendar_year(&self, ctx: &WriteContext, year: i16, source_text: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO calendar_years (year, source_text, loaded_at, loaded_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (year) DO UPDATE SET source_text = excluded.source_text, loaded_at = excluded.loaded_at,
                 loaded_by = excluded.loaded_by",
                params![year, source_text, ctx.at.to_string(), ctx.actor],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "calendar.loaded", None, None, &serde_json::json!({"year": year}).to_string())
                .map_err(err)?;
            Ok(())
        })
    }

    fn calendar_years(&self) -> Result<Vec<(i16, String)>> {
        self.read(|c| {
            c.prepare_cached("SELECT year, source_text FROM calendar_years ORDER BY year")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
    }

    fn dump_rows(&self, table: &str, after: Option<&[DumpValue]>, limit: u32) -> Result<Vec<Vec<DumpValue>>> {
        let (name, cols, n_key) =
            dump_table(table).ok_or_else(|| StoreError::Backend(format!("unknown table {table}")))?;
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let keys = names[..n_key].join(", ");
        let mut args: Vec<Value> = after.map(|a| a.iter().cloned().map(sql_value).collect()).unwrap_or_default();
        let filter = if args.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (1..=args.len()).map(|i| format!("?{i}")).collect();
            format!("WHERE ({keys}) > ({})", marks.join(", "))
        };
        args.push(Value::Integer(i64::from(limit)));
        let sql = format!("SELECT {} FROM {name} {filter} ORDER BY {keys} LIMIT ?{}", names.join(", "), args.len());
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| {
                (0..cols.len()).map(|i| r.get_ref(i).map(dump_value)).collect::<rusqlite::Result<Vec<_>>>()
            })?;
            rows.collect()
        })
    }

    fn restore(&self, batches: &mut dyn Iterator<Item = Result<(&'static str, Vec<Vec<DumpValue>>)>>) -> Result<u64> {
        self.write(|tx| {
            let used: i64 = tx
                .query_row("SELECT (SELECT count(*) FROM subjects) + (SELECT count(*) FROM records) + (SELECT count(*) FROM users)", [], |r| r.get(0))
                .map_err(err)?;
            if used > 0 {
                return Err(StoreError::Conflict("目标数据库不是空的：恢复只能写入新建的数据库".into()));
            }
            let mut n = 0u64;
            for batch in batches {
                let (table, rows) = batch?;
                let (name, cols, _) = dump_table(table).ok_or_else(|| StoreError::Backend(format!("unknown table {table}")))?;
                let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
                let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                let sql = format!("INSERT OR REPLACE INTO {name} ({}) VALUES ({})", names.join(", "), marks.join(", "));
                let mut st = tx.prepare_cached(&sql).map_err(err)?;
                for row in rows {
                    st.execute(params_from_iter(row.into_iter().map(sql_value))).map_err(err)?;
                    n += 1;
                }
            }
            tx.execute("INSERT INTO subjects_fts(subjects_fts) VALUES ('rebuild')", []).map_err(err)?;
            tx.execute_batch(
                "DELETE FROM record_day_counts;
                 INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
                 SELECT decision_date, kind, coalesce(department_id, 0), published_on, count(*) FROM records GROUP BY 1, 2, 3, 4;",
            )
            .map_err(err)?;
            Ok(n)
        })
    }

    fn stale_windows(&self, limit: u32) -> Result<Vec<StaleWindow>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT r.id, r.kind, r.decision_date, v.fields, r.withdrawn_on, r.repaired_on FROM records r
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE r.window_rules IS NULL ORDER BY r.id LIMIT ?1",
            )?
            .query_map([limit], |r| {
                let fields: String = r.get(3)?;
                Ok(StaleWindow {
                    record_id: r.get(0)?,
                    kind: kind(r.get(1)?)?,
                    decision_date: date(r.get(2)?)?,
                    fields: serde_json::from_str(&fields).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
                    })?,
                    withdrawn_on: r.get::<_, Option<String>>(4)?.map(date).transpose()?,
                    repaired_on: r.get::<_, Option<String>>(5)?.map(date).transpose()?,
                })
            })?
            .collect()
        })
    }

    fn withdraw_record(&self, ctx: &WriteContext, record_id: i64, reason: &str, change_decided_on: Date) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            let found: Option<(i64, String, Option<String>)> = tx
                .query_row(
                    "SELECT subject_id, authority_code, withdrawn_on FROM records WHERE id = ?1",
                    [record_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(err)?;
            let (subject_id, authority) = match found {
                None => return Err(StoreError::NotFound),
                Some((_, _, Some(_))) => return Err(StoreError::Conflict("该记录已撤销公示".into())),
                Some((s, a, None)) => (s, a),
            };
            let today = ctx.china_date().to_string();
            tx.execute(
                "UPDATE records SET withdrawn_on = ?2, withdrawal_reason = ?3, change_decided_on = ?4 WHERE id = ?1",
                params![record_id, today, reason, change_decided_on.to_string()],
            )
            .map_err(err)?;
            recompute_window(tx, &rules, record_id).map_err(err)?;
            let detail = serde_json::json!({
                "withdrawn_on": today, "reason": reason, "change_decided_on": change_decided_on.to_string()
            })
            .to_string();
            insert_record_event(tx, ctx, "record.withdrawn", subject_id, record_id, &authority, &detail)
                .map_err(err)?;
            Ok(())
        })
    }

    fn set_windows(&self, fingerprint: &str, windows: &[(i64, RecordWindow)]) -> Result<()> {
        self.write(|tx| {
            let mut st = tx
                .prepare_cached(
                    "UPDATE records SET severity = ?2, public_until = ?3, repairable_from = ?4, window_rules = ?5 WHERE id = ?1",
                )
                .map_err(err)?;
            for (id, w) in windows {
                st.execute(params![
                    id,
                    w.severity.map(|s| s.as_str()),
                    w.public_until.map(|d| d.to_string()),
                    w.repairable_from.map(|d| d.to_string()),
                    fingerprint
                ])
                .map_err(err)?;
            }
            Ok(())
        })
    }

    fn invalidate_windows(&self, fingerprint: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE records SET window_rules = NULL WHERE window_rules <> ?1", [fingerprint])
                .map(|_| ())
                .map_err(err)
        })
    }

    fn window_rules(&self) -> Arc<WindowRules> {
        self.window_rules.get()
    }

    fn set_window_rules(&self, rules: Arc<WindowRules>) {
        self.window_rules.set(rules);
    }

    fn write_in_progress(&self) -> Result<bool> {
        // Another writer holds the lock if an immediate transaction cannot start at once.
        let c = open_conn(&self.path).map_err(err)?;
        c.busy_timeout(std::time::Duration::ZERO).map_err(err)?;
        match c.execute_batch("BEGIN IMMEDIATE; ROLLBACK") {
            Ok(()) => Ok(false),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy => Ok(true),
            Err(e) => Err(err(e)),
        }
    }

    fn subject_history(&self, subject_id: i64) -> Result<Vec<Event>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id, at, actor, action, subject_id, record_id, reason, detail FROM events
                 WHERE subject_id = ?1 AND action LIKE 'subject.%' ORDER BY id",
            )?
            .query_map([subject_id], event_row)?
            .collect()
        })
    }

    fn create_claim_code(
        &self,
        ctx: &WriteContext,
        subject_id: i64,
        record_id: Option<i64>,
        code_hash: &str,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM claim_codes WHERE subject_id = ?1 AND used_at IS NULL", [subject_id]).map_err(err)?;
            tx.execute(
                "INSERT INTO claim_codes (code_hash, subject_id, record_id, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![code_hash, subject_id, record_id, ctx.at.to_string(), ctx.actor],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "claim_code.created", Some(subject_id), record_id, "{}").map_err(err)?;
            Ok(())
        })
    }

    fn claim_subject_account(
        &self,
        ctx: &WriteContext,
        identity: &str,
        code_hash: &str,
        issued_after: Timestamp,
        password_hash: &str,
    ) -> Result<Subject> {
        let subject = self
            .read(|c| {
                c.query_row(
                    &format!(
                        "SELECT {} FROM subjects s WHERE s.uscc = ?1 OR s.id_doc_no = ?1 ORDER BY s.id LIMIT 1",
                        subject_cols("'0001-01-01'")
                    ),
                    [identity],
                    subject_row,
                )
                .optional()
            })?
            .ok_or(StoreError::NotFound)?;
        self.write(|tx| {
            let code: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT created_at, used_at FROM claim_codes WHERE code_hash = ?1 AND subject_id = ?2",
                    params![code_hash, subject.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            match code {
                Some((created, None)) if ts(created.clone()).map_err(err)? > issued_after => {}
                _ => return Err(StoreError::NotFound),
            }
            let exists: bool = tx
                .query_row("SELECT count(*) > 0 FROM subject_accounts WHERE subject_id = ?1", [subject.id], |r| r.get(0))
                .map_err(err)?;
            if exists {
                return Err(StoreError::Conflict("该主体的账户已激活，请直接登录".into()));
            }
            tx.execute("UPDATE claim_codes SET used_at = ?2 WHERE code_hash = ?1", params![code_hash, ctx.at.to_string()])
                .map_err(err)?;
            tx.execute(
                "INSERT INTO subject_accounts (subject_id, password_hash, created_at, activated_by) VALUES (?1, ?2, ?3, 'claim')",
                params![subject.id, password_hash, ctx.at.to_string()],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "subject_account.activated", Some(subject.id), None, r#"{"by":"claim_code"}"#)
                .map_err(err)?;
            Ok(())
        })?;
        Ok(subject)
    }

    fn subject_by_identity(&self, identity: &str) -> Result<Option<Subject>> {
        self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {} FROM subjects s WHERE s.uscc = ?1 OR s.id_doc_no = ?1 ORDER BY s.id LIMIT 1",
                    subject_cols("'0001-01-01'")
                ),
                [identity],
                subject_row,
            )
            .optional()
        })
    }

    fn subject_account(&self, identity: &str) -> Result<Option<(Subject, String)>> {
        self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {}, a.password_hash FROM subjects s JOIN subject_accounts a ON a.subject_id = s.id
                     WHERE s.uscc = ?1 OR s.id_doc_no = ?1 ORDER BY s.id LIMIT 1",
                    subject_cols("'0001-01-01'")
                ),
                [identity],
                |r| Ok((subject_row(r)?, r.get(9)?)),
            )
            .optional()
        })
    }

    fn create_subject_session(&self, token_hash: &str, subject_id: i64, expires_at: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO subject_sessions (token_hash, subject_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, subject_id, expires_at.to_string()],
            )
            .map(|_| ())
            .map_err(err)
        })
    }

    fn subject_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Subject>> {
        let found: Option<(Subject, String)> = self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {}, x.expires_at FROM subject_sessions x JOIN subjects s ON s.id = x.subject_id WHERE x.token_hash = ?1",
                    subject_cols("'0001-01-01'")
                ),
                [token_hash],
                |r| Ok((subject_row(r)?, r.get(9)?)),
            )
            .optional()
        })?;
        match found {
            Some((s, exp)) if ts(exp.clone()).map_err(err)? > now => Ok(Some(s)),
            _ => Ok(None),
        }
    }

    fn file_objection(
        &self,
        ctx: &WriteContext,
        record_id: i64,
        subject_id: i64,
        reasons: &str,
        attachments: &[(String, Vec<u8>)],
    ) -> Result<i64> {
        self.write(|tx| {
            let found: Option<(Option<i64>, String)> = tx
                .query_row(
                    "SELECT department_id, authority_code FROM records WHERE id = ?1 AND subject_id = ?2",
                    params![record_id, subject_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            let Some((department_id, authority)) = found else { return Err(StoreError::NotFound) };
            let open: bool = tx
                .query_row(
                    "SELECT count(*) > 0 FROM objections WHERE record_id = ?1 AND status IN ('filed', 'acknowledged')",
                    [record_id],
                    |r| r.get(0),
                )
                .map_err(err)?;
            if open {
                return Err(StoreError::Conflict("该记录已有正在处理的异议".into()));
            }
            tx.execute(
                "INSERT INTO objections (record_id, subject_id, department_id, reasons, status, filed_at)
                 VALUES (?1, ?2, ?3, ?4, 'filed', ?5)",
                params![record_id, subject_id, department_id, reasons, ctx.at.to_string()],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            for (name, content) in attachments {
                tx.execute(
                    "INSERT INTO objection_attachments (objection_id, filename, content) VALUES (?1, ?2, ?3)",
                    params![id, name, content],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"objection_id": id, "attachments": attachments.len()}).to_string();
            insert_record_event(tx, ctx, "objection.filed", subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn objections(&self, filter: &ObjectionFilter, limit: u32) -> Result<Vec<Objection>> {
        let depts = filter.departments.as_ref().map(|d| serde_json::to_string(d).expect("ids serialise"));
        self.read(|c| {
            let mut list = c
                .prepare_cached(
                    "SELECT o.id, o.record_id, r.kind, r.decision_no, o.subject_id, o.department_id, o.reasons, o.status,
                            o.filed_at, o.acknowledged_at, o.extended_at, o.extension_reason, o.decided_at,
                            o.decision_reason, o.decided_by
                     FROM objections o JOIN records r ON r.id = o.record_id
                     WHERE (?1 IS NULL OR o.record_id = ?1) AND (?2 IS NULL OR o.subject_id = ?2)
                       AND (?3 IS NULL OR o.department_id IN (SELECT value FROM json_each(?3)))
                       AND (?4 = 0 OR o.status IN ('filed', 'acknowledged')) AND (?6 IS NULL OR o.id = ?6)
                     ORDER BY o.id DESC LIMIT ?5",
                )?
                .query_map(params![filter.record_id, filter.subject_id, depts, filter.open_only, limit, filter.id], |r| {
                    let status: String = r.get(7)?;
                    let opt_ts = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
                        r.get::<_, Option<String>>(i)?.map(ts).transpose()
                    };
                    Ok(Objection {
                        id: r.get(0)?,
                        record_id: r.get(1)?,
                        record_kind: kind(r.get(2)?)?,
                        decision_no: r.get(3)?,
                        subject_id: r.get(4)?,
                        department_id: r.get(5)?,
                        reasons: r.get(6)?,
                        status: ObjectionStatus::parse(&status).ok_or_else(|| {
                            rusqlite::Error::InvalidColumnType(7, status.clone(), rusqlite::types::Type::Text)
                        })?,
                        filed_at: ts(r.get(8)?)?,
                        acknowledged_at: opt_ts(9)?,
                        extended: opt_ts(10)?.is_some(),
                        extension_reason: r.get(11)?,
                        decided_at: opt_ts(12)?,
                        decision_reason: r.get(13)?,
                        decided_by: r.get(14)?,
                        attachments: vec![],
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut st =
                c.prepare_cached("SELECT id, filename FROM objection_attachments WHERE objection_id = ?1 ORDER BY id")?;
            for o in &mut list {
                o.attachments = st.query_map([o.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            }
            Ok(list)
        })
    }

    fn act_on_objection(&self, ctx: &WriteContext, id: i64, action: &ObjectionAction) -> Result<ObjectionStatus> {
        self.write(|tx| {
            let found: Option<(String, bool, i64, i64, String)> = tx
                .query_row(
                    "SELECT o.status, o.extended_at IS NOT NULL, o.subject_id, o.record_id, r.authority_code
                     FROM objections o JOIN records r ON r.id = o.record_id WHERE o.id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .map_err(err)?;
            let Some((status, extended, subject_id, record_id, authority)) = found else {
                return Err(StoreError::NotFound);
            };
            let from = ObjectionStatus::parse(&status).ok_or_else(|| StoreError::Backend(format!("status {status}")))?;
            let to = action.apply(from, extended).map_err(|m| StoreError::Conflict(m.into()))?;
            let at = ctx.at.to_string();
            let (sql, reason, event) = match action {
                ObjectionAction::Acknowledge => {
                    ("UPDATE objections SET status = ?2, acknowledged_at = ?3 WHERE id = ?1", None, "objection.acknowledged")
                }
                ObjectionAction::Extend(r) => (
                    "UPDATE objections SET status = ?2, extended_at = ?3, extension_reason = ?4 WHERE id = ?1",
                    Some(r),
                    "objection.extended",
                ),
                ObjectionAction::Uphold(r) | ObjectionAction::Reject(r) => (
                    "UPDATE objections SET status = ?2, decided_at = ?3, decision_reason = ?4, decided_by = ?5 WHERE id = ?1",
                    Some(r),
                    if to == ObjectionStatus::Upheld { "objection.upheld" } else { "objection.rejected" },
                ),
            };
            let n_params = sql.matches('?').count();
            let all: Vec<Value> = vec![
                Value::Integer(id),
                Value::Text(to.as_str().into()),
                Value::Text(at),
                reason.map_or(Value::Null, |r| Value::Text(r.clone())),
                Value::Text(ctx.actor.clone()),
            ];
            tx.execute(sql, params_from_iter(all.into_iter().take(n_params))).map_err(err)?;
            let detail = serde_json::json!({"objection_id": id, "reason": reason}).to_string();
            insert_record_event(tx, ctx, event, subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(to)
        })
    }

    fn objection_attachment(&self, id: i64) -> Result<Option<(i64, String, Vec<u8>)>> {
        self.read(|c| {
            c.query_row("SELECT objection_id, filename, content FROM objection_attachments WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })
    }

    fn file_repair(
        &self,
        ctx: &WriteContext,
        record_id: i64,
        subject_id: i64,
        commitment_by: &str,
        evidence: &str,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<i64> {
        self.write(|tx| {
            let found: Option<(Option<i64>, String)> = tx
                .query_row(
                    "SELECT department_id, authority_code FROM records WHERE id = ?1 AND subject_id = ?2",
                    params![record_id, subject_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            let Some((department_id, authority)) = found else { return Err(StoreError::NotFound) };
            let busy: bool = tx
                .query_row(
                    "SELECT count(*) > 0 FROM repairs WHERE record_id = ?1 AND status IN ('filed', 'accepted', 'approved')",
                    [record_id],
                    |r| r.get(0),
                )
                .map_err(err)?;
            if busy {
                return Err(StoreError::Conflict("该记录已有待处理或已批准的信用修复申请".into()));
            }
            let (name, content) = file.map_or((None, None), |(n, c)| (Some(n), Some(c)));
            tx.execute(
                "INSERT INTO repairs (record_id, subject_id, department_id, commitment_by, evidence, evidence_name,
                                      evidence_file, status, filed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'filed', ?8)",
                params![record_id, subject_id, department_id, commitment_by, evidence, name, content, ctx.at.to_string()],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"repair_id": id, "commitment_by": commitment_by}).to_string();
            insert_record_event(tx, ctx, "repair.filed", subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn repairs(&self, filter: &RepairFilter, limit: u32) -> Result<Vec<Repair>> {
        let depts = filter.departments.as_ref().map(|d| serde_json::to_string(d).expect("ids serialise"));
        self.read(|c| {
            c.prepare_cached(
                "SELECT x.id, x.record_id, r.decision_no, x.subject_id, x.department_id, x.commitment_by, x.evidence,
                        x.evidence_name, x.status, x.filed_at, x.accepted_at, x.decided_at, x.decision_reason, x.revoke_reason
                 FROM repairs x JOIN records r ON r.id = x.record_id
                 WHERE (?1 IS NULL OR x.id = ?1) AND (?2 IS NULL OR x.subject_id = ?2)
                   AND (?3 IS NULL OR x.department_id IN (SELECT value FROM json_each(?3)))
                 ORDER BY x.id DESC LIMIT ?4",
            )?
            .query_map(params![filter.id, filter.subject_id, depts, limit], |r| {
                let status: String = r.get(8)?;
                let opt_ts =
                    |i: usize| -> rusqlite::Result<Option<Timestamp>> { r.get::<_, Option<String>>(i)?.map(ts).transpose() };
                Ok(Repair {
                    id: r.get(0)?,
                    record_id: r.get(1)?,
                    decision_no: r.get(2)?,
                    subject_id: r.get(3)?,
                    department_id: r.get(4)?,
                    commitment_by: r.get(5)?,
                    evidence: r.get(6)?,
                    evidence_name: r.get(7)?,
                    status: RepairStatus::parse(&status).ok_or_else(|| {
                        rusqlite::Error::InvalidColumnType(8, status.clone(), rusqlite::types::Type::Text)
                    })?,
                    filed_at: ts(r.get(9)?)?,
                    accepted_at: opt_ts(10)?,
                    decided_at: opt_ts(11)?,
                    decision_reason: r.get(12)?,
                    revoke_reason: r.get(13)?,
                })
            })?
            .collect()
        })
    }

    fn act_on_repair(&self, ctx: &WriteContext, id: i64, action: &RepairAction) -> Result<RepairStatus> {
        let rules = self.window_rules();
        self.write(|tx| {
            let found: Option<(String, i64, i64, String)> = tx
                .query_row(
                    "SELECT x.status, x.subject_id, x.record_id, r.authority_code
                     FROM repairs x JOIN records r ON r.id = x.record_id WHERE x.id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(err)?;
            let Some((status, subject_id, record_id, authority)) = found else { return Err(StoreError::NotFound) };
            let from = RepairStatus::parse(&status).ok_or_else(|| StoreError::Backend(format!("status {status}")))?;
            let to = action.apply(from).map_err(|m| StoreError::Conflict(m.into()))?;
            let at = ctx.at.to_string();
            let (reason, event) = match action {
                RepairAction::Accept => {
                    tx.execute("UPDATE repairs SET status = ?2, accepted_at = ?3 WHERE id = ?1", params![id, to.as_str(), at])
                        .map_err(err)?;
                    (None, "repair.accepted")
                }
                RepairAction::Approve(r) | RepairAction::Refuse(r) => {
                    tx.execute(
                        "UPDATE repairs SET status = ?2, decided_at = ?3, decision_reason = ?4, decided_by = ?5 WHERE id = ?1",
                        params![id, to.as_str(), at, r, ctx.actor],
                    )
                    .map_err(err)?;
                    if to == RepairStatus::Approved {
                        tx.execute(
                            "UPDATE records SET repaired_on = ?2 WHERE id = ?1",
                            params![record_id, ctx.china_date().to_string()],
                        )
                        .map_err(err)?;
                        recompute_window(tx, &rules, record_id).map_err(err)?;
                    }
                    (Some(r), if to == RepairStatus::Approved { "repair.approved" } else { "repair.refused" })
                }
                RepairAction::Revoke(r) => {
                    tx.execute(
                        "UPDATE repairs SET status = ?2, revoked_at = ?3, revoke_reason = ?4 WHERE id = ?1",
                        params![id, to.as_str(), at, r],
                    )
                    .map_err(err)?;
                    tx.execute("UPDATE records SET repaired_on = NULL WHERE id = ?1", [record_id]).map_err(err)?;
                    recompute_window(tx, &rules, record_id).map_err(err)?;
                    (Some(r), "repair.revoked")
                }
            };
            let detail = serde_json::json!({"repair_id": id, "reason": reason}).to_string();
            insert_record_event(tx, ctx, event, subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(to)
        })
    }

    fn set_review_required(&self, ctx: &WriteContext, department_id: i64, required: bool) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute("UPDATE departments SET review_required = ?2 WHERE id = ?1", params![department_id, required])
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let detail = serde_json::json!({"department_id": department_id, "review_required": required}).to_string();
            insert_event(tx, ctx, "department.review_changed", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn approve_record(&self, ctx: &WriteContext, record_id: i64) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            type Row = (Option<String>, String, String, i64, String, i64, Option<i64>, Option<String>, Option<i64>);
            let found: Option<Row> = tx
                .query_row(
                    "SELECT review_state, decision_date, kind, subject_id, authority_code, version, pending_version,
                            published_on, department_id
                     FROM records WHERE id = ?1",
                    [record_id],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                        ))
                    },
                )
                .optional()
                .map_err(err)?;
            let Some((state, decided, kind_s, subject_id, authority, version, pending, published, dept)) = found else {
                return Err(StoreError::NotFound);
            };
            if state.as_deref() != Some("pending") {
                return Err(StoreError::Conflict("该记录不在待审核状态".into()));
            }
            let approved = pending.unwrap_or(version);
            let fields: String = tx
                .query_row(
                    "SELECT fields FROM record_versions WHERE record_id = ?1 AND version = ?2",
                    params![record_id, approved],
                    |r| r.get(0),
                )
                .map_err(err)?;
            let fields: BTreeMap<String, String> = serde_json::from_str(&fields).unwrap_or_default();
            let k = kind(kind_s.clone()).map_err(err)?;
            let rec = xinjiao_store::record_from_stored(k, &fields, ctx.china_date())
                .ok_or_else(|| StoreError::Backend(format!("record {record_id} version {approved} does not parse")))?;
            let mut st = StreamState::begin(tx, rules).map_err(err)?;
            // The subject follows the approved version (checked when it was submitted).
            let system = ctx.clone().overseeing(true);
            let subject = upsert_subject(tx, &mut st, &system, &rec, true)
                .map_err(err)?
                .map_err(|_| StoreError::Backend("subject refused for an overseeing write".into()))?;
            let today = ctx.china_date().to_string();
            if pending.is_some() && published.is_some() {
                // A reviewed change to a published record: it becomes the version in force.
                let found = Found {
                    id: record_id,
                    latest: approved,
                    decision_date: decided,
                    department_id: dept,
                    published_on: published,
                };
                apply_version(tx, &mut st, ctx, &found, approved, subject, &rec).map_err(err)?;
            } else {
                tx.execute(
                    "UPDATE records SET published_on = ?2, version = ?3, pending_version = NULL WHERE id = ?1",
                    params![record_id, today, approved],
                )
                .map_err(err)?;
                *st.day_counts.entry((decided, k.as_str(), dept.unwrap_or(0), today)).or_default() += 1;
                recompute_window(tx, &st.rules, record_id).map_err(err)?;
            }
            tx.execute("UPDATE records SET review_state = NULL, review_reason = NULL WHERE id = ?1", [record_id])
                .map_err(err)?;
            st.finish(tx).map_err(err)?;
            let detail = serde_json::json!({"version": approved}).to_string();
            insert_record_event(tx, ctx, "record.approved", subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn reject_record(&self, ctx: &WriteContext, record_id: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            let found: Option<(Option<String>, i64, String)> = tx
                .query_row(
                    "SELECT review_state, subject_id, authority_code FROM records WHERE id = ?1",
                    [record_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(err)?;
            let Some((state, subject_id, authority)) = found else { return Err(StoreError::NotFound) };
            if state.as_deref() != Some("pending") {
                return Err(StoreError::Conflict("该记录不在待审核状态".into()));
            }
            tx.execute(
                "UPDATE records SET review_state = 'rejected', review_reason = ?2 WHERE id = ?1",
                params![record_id, reason],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"reason": reason}).to_string();
            insert_record_event(tx, ctx, "record.rejected", subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn save_organisation(
        &self,
        ctx: &WriteContext,
        divisions: &[Division],
        departments: &[NewDepartment],
    ) -> Result<()> {
        self.write(|tx| {
            for d in divisions {
                tx.prepare_cached(
                    "INSERT INTO divisions (code, name, parent_code, sort, authority_codes) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, sort = excluded.sort,
                     authority_codes = excluded.authority_codes",
                )
                .and_then(|mut st| {
                    st.execute(params![d.code, d.name, d.parent_code, d.sort, xinjiao_store::join_codes(&d.authority_codes)])
                })
                .map_err(err)?;
            }
            for d in departments {
                tx.prepare_cached(
                    "INSERT INTO departments (code, division_code, name, kind, sort, authority_codes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (code) DO UPDATE SET division_code = excluded.division_code, name = excluded.name,
                     kind = excluded.kind, sort = excluded.sort, authority_codes = excluded.authority_codes",
                )
                .and_then(|mut st| {
                    let codes = xinjiao_store::join_codes(&d.authority_codes);
                    st.execute(params![d.code, d.division_code, d.name, d.kind.as_str(), d.sort, codes])
                })
                .map_err(err)?;
            }
            let detail = serde_json::json!({"divisions": divisions.len(), "departments": departments.len()}).to_string();
            insert_event(tx, ctx, "organisation.saved", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn divisions(&self) -> Result<Vec<Division>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT code, name, parent_code, sort, authority_codes FROM divisions ORDER BY sort, code",
            )?
            .query_map([], |r| {
                Ok(Division {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    parent_code: r.get(2)?,
                    sort: r.get(3)?,
                    authority_codes: xinjiao_store::split_codes(&r.get::<_, String>(4)?),
                })
            })?
            .collect()
        })
    }

    fn departments(&self) -> Result<Vec<Department>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT d.id, d.code, d.division_code, d.name, d.kind, d.sort, d.review_required <> 0, d.authority_codes FROM departments d
                 JOIN divisions v ON v.code = d.division_code ORDER BY v.sort, d.sort, d.code",
            )?
            .query_map([], |r| {
                let kind: String = r.get(4)?;
                Ok(Department {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    division_code: r.get(2)?,
                    name: r.get(3)?,
                    kind: DepartmentKind::parse(&kind)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnType(4, kind, rusqlite::types::Type::Text))?,
                    sort: r.get(5)?,
                    review_required: r.get(6)?,
                    authority_codes: xinjiao_store::split_codes(&r.get::<_, String>(7)?),
                })
            })?
            .collect()
        })
    }

    fn declare(&self, ctx: &WriteContext, declarations: &[(i64, Month, RecordKind, i64)]) -> Result<()> {
        self.write(|tx| {
            for (department_id, month, kind, due) in declarations {
                let old: Option<i64> = tx
                    .prepare_cached("SELECT due FROM declarations WHERE department_id = ?1 AND month = ?2 AND kind = ?3")
                    .and_then(|mut st| {
                        st.query_row(params![department_id, month.to_string(), kind.as_str()], |r| r.get(0)).optional()
                    })
                    .map_err(err)?;
                if old == Some(*due) {
                    continue;
                }
                tx.prepare_cached(
                    "INSERT INTO declarations (department_id, month, kind, due, declared_at, declared_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (department_id, month, kind) DO UPDATE SET due = excluded.due,
                     declared_at = excluded.declared_at, declared_by = excluded.declared_by",
                )
                .and_then(|mut st| {
                    st.execute(params![department_id, month.to_string(), kind.as_str(), due, ctx.at.to_string(), ctx.actor])
                })
                .map_err(err)?;
                let detail = serde_json::json!({
                    "department_id": department_id, "month": month.to_string(), "kind": kind.as_str(), "due": [old, due]
                })
                .to_string();
                insert_event(tx, ctx, "declaration.saved", None, None, &detail).map_err(err)?;
            }
            Ok(())
        })
    }

    fn declarations(&self, from: Month, to: Month) -> Result<Vec<Declaration>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT department_id, month, kind, due, declared_at, declared_by FROM declarations
                 WHERE month >= ?1 AND month <= ?2 ORDER BY month, department_id, kind",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                let m: String = r.get(1)?;
                Ok(Declaration {
                    department_id: r.get(0)?,
                    month: Month::parse(&m)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, m, rusqlite::types::Type::Text))?,
                    kind: kind(r.get(2)?)?,
                    due: r.get(3)?,
                    declared_at: ts(r.get(4)?)?,
                    declared_by: r.get(5)?,
                })
            })?
            .collect()
        })
    }

    fn replace_responsibilities(&self, ctx: &WriteContext, rows: &[Responsibility]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM responsibilities", []).map_err(err)?;
            for (i, r) in rows.iter().enumerate() {
                tx.prepare_cached(
                    "INSERT INTO responsibilities (category, department_id, person, post, sort) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut st| st.execute(params![r.category, r.department_id, r.person, r.post, i as i64]))
                .map_err(err)?;
            }
            let detail = serde_json::json!({"rows": rows.len()}).to_string();
            insert_event(tx, ctx, "responsibilities.saved", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn responsibilities(&self) -> Result<Vec<Responsibility>> {
        self.read(|c| {
            c.prepare_cached("SELECT category, department_id, person, post FROM responsibilities ORDER BY sort, id")?
                .query_map([], |r| {
                    Ok(Responsibility {
                        category: r.get(0)?,
                        department_id: r.get(1)?,
                        person: r.get(2)?,
                        post: r.get(3)?,
                    })
                })?
                .collect()
        })
    }

    fn create_document(&self, ctx: &WriteContext, doc: &NewDocument) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO documents (kind, title, body, issue_date, department_id, published_on, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    doc.kind.as_str(),
                    doc.title,
                    doc.body,
                    doc.issue_date.to_string(),
                    doc.department_id,
                    doc.published_on.map(|d| d.to_string()),
                    ctx.at.to_string(),
                    ctx.actor
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"document_id": id, "published": doc.published_on.is_some()}).to_string();
            insert_event(tx, ctx, "document.created", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn publish_document(&self, ctx: &WriteContext, id: i64, on: Date) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE documents SET published_on = ?2 WHERE id = ?1 AND published_on IS NULL",
                    params![id, on.to_string()],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("文件不存在或已发布".into()));
            }
            let detail = serde_json::json!({"document_id": id, "published_on": on.to_string()}).to_string();
            insert_event(tx, ctx, "document.published", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn document(&self, id: i64) -> Result<Option<Document>> {
        self.read(|c| {
            c.query_row(&format!("SELECT {DOCUMENT_COLS} FROM documents WHERE id = ?1"), [id], document_row).optional()
        })
    }

    fn documents(&self, filter: &DocumentFilter, page: PageRequest) -> Result<Page<Document>> {
        let mut wh = vec!["1 = 1".to_string()];
        let mut args: Vec<Value> = Vec::new();
        if filter.published_only {
            wh.push("published_on IS NOT NULL".into());
        }
        if let Some(k) = filter.kind {
            args.push(Value::Text(k.as_str().into()));
            wh.push(format!("kind = ?{}", args.len()));
        }
        if let Some(ids) = &filter.departments {
            args.push(Value::Text(serde_json::to_string(ids).expect("ids serialise")));
            wh.push(format!("department_id IN (SELECT value FROM json_each(?{}))", args.len()));
        }
        if let Some(d) = filter.issued_from {
            args.push(Value::Text(d.to_string()));
            wh.push(format!("issue_date >= ?{}", args.len()));
        }
        if let Some(d) = filter.issued_to {
            args.push(Value::Text(d.to_string()));
            wh.push(format!("issue_date <= ?{}", args.len()));
        }
        let where_sql = wh.join(" AND ");
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT count(*) FROM documents WHERE {where_sql}"),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            let n = args.len();
            let mut all = args.clone();
            all.push(Value::Integer(i64::from(page.per_page)));
            all.push(Value::Integer(page.offset() as i64));
            let items = c
                .prepare(&format!(
                    "SELECT {DOCUMENT_COLS} FROM documents WHERE {where_sql}
                     ORDER BY issue_date DESC, id DESC LIMIT ?{} OFFSET ?{}",
                    n + 1,
                    n + 2
                ))?
                .query_map(params_from_iter(all.iter()), document_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn record_rate_rows(&self, from: Date, to: Date, deadlines: &[Deadline]) -> Result<Vec<RecordRateRow>> {
        let json = deadlines_json(deadlines);
        let days = self.read(|c| {
            c.prepare_cached(&format!(
                "{DEADLINES_CTE}
                 SELECT c.department_id, c.decision_date, c.kind, sum(c.n),
                        sum(CASE WHEN c.published_on <= d.deadline THEN c.n ELSE 0 END)
                 FROM d CROSS JOIN record_day_counts c ON c.decision_date = d.dd AND c.kind = d.kind
                 WHERE d.dd >= ?2 AND d.dd <= ?3
                 GROUP BY c.decision_date, c.kind, c.department_id"
            ))?
            .query_map(params![json, from.to_string(), to.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, kind(r.get(2)?)?, r.get::<_, i64>(3)? as u64, r.get::<_, i64>(4)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(xinjiao_store::fold_days_to_months(days))
    }

    fn submission_rate_rows(&self, from: Date, to: Date) -> Result<Vec<SubmissionRateRow>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT department_id, substr(date(at, '+8 hours'), 1, 7), sum(n_rows - n_unchanged),
                        sum(n_rows - n_unchanged - n_rejected)
                 FROM submissions WHERE dry_run = 0 AND date(at, '+8 hours') >= ?1 AND date(at, '+8 hours') <= ?2
                 GROUP BY 1, 2",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                let m: String = r.get(1)?;
                Ok(SubmissionRateRow {
                    department_id: r.get(0)?,
                    month: Month::parse(&m)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, m, rusqlite::types::Type::Text))?,
                    rows_submitted: r.get::<_, i64>(2)? as u64,
                    rows_passed: r.get::<_, i64>(3)? as u64,
                })
            })?
            .collect()
        })
    }

    fn late_records(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        deadlines: &[Deadline],
        limit: u32,
    ) -> Result<Vec<LateRecord>> {
        let json = deadlines_json(deadlines);
        let depts = departments.map(|d| serde_json::to_string(d).expect("ids serialise"));
        self.read(|c| {
            c.prepare_cached(&format!(
                "{DEADLINES_CTE}
                 SELECT {RECORD_COLS}, d.deadline
                 FROM d CROSS JOIN records r INDEXED BY records_rates ON r.decision_date = d.dd AND r.kind = d.kind
                      JOIN subjects s ON s.id = r.subject_id
                 WHERE d.dd >= ?2 AND d.dd <= ?3 AND r.published_on > d.deadline
                   AND (?4 IS NULL OR r.department_id IN (SELECT value FROM json_each(?4)))
                 ORDER BY julianday(r.published_on) - julianday(d.deadline) DESC, r.decision_date, r.id
                 LIMIT ?5"
            ))?
            .query_map(params![json, from.to_string(), to.to_string(), depts, limit], |r| {
                let deadline: Option<String> = r.get(19)?;
                Ok(LateRecord { row: record_row(r)?, deadline: deadline.map(date).transpose()?.unwrap_or(to) })
            })?
            .collect()
        })
    }

    fn rejected_submissions(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        limit: u32,
    ) -> Result<Vec<Submission>> {
        let depts = departments.map(|d| serde_json::to_string(d).expect("ids serialise"));
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {SUBMISSION_COLS} FROM submissions
                 WHERE n_rejected > 0 AND dry_run = 0 AND date(at, '+8 hours') >= ?1 AND date(at, '+8 hours') <= ?2
                   AND (?3 IS NULL OR department_id IN (SELECT value FROM json_each(?3)))
                 ORDER BY id DESC LIMIT ?4"
            ))?
            .query_map(params![from.to_string(), to.to_string(), depts, limit], submission_row)?
            .collect()
        })
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(err)?;
            Ok(())
        })
    }
}

fn dump_value(v: rusqlite::types::ValueRef<'_>) -> DumpValue {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => DumpValue::Null,
        ValueRef::Integer(i) => DumpValue::Int(i),
        ValueRef::Real(f) => DumpValue::Text(f.to_string()),
        ValueRef::Text(t) => DumpValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => DumpValue::Bytes(b.to_vec()),
    }
}

fn sql_value(v: DumpValue) -> Value {
    match v {
        DumpValue::Null => Value::Null,
        DumpValue::Int(i) => Value::Integer(i),
        DumpValue::Text(t) => Value::Text(t),
        DumpValue::Bytes(b) => Value::Blob(b),
    }
}

fn event_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        at: ts(r.get(1)?)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject_id: r.get(4)?,
        record_id: r.get(5)?,
        reason: r.get(6)?,
        detail: r.get(7)?,
    })
}

#[cfg(test)]
mod tests {
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
