//! The SQLite backend of records and subjects: the write path of record batches and the reads of records, subjects and submissions ([`xinjiao_store::RecordStore`]).

use super::audit::insert_created_event;
use super::audit::{event_row, insert_event, insert_record_event};
use super::*;
use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_store::transparency::PendingLeaf;

/// The subject columns with counts of the records public after `day` (a bound parameter).
pub(crate) fn subject_cols(day: &str) -> String {
    format!(
        "s.id, s.public_key, s.kind, s.name, s.uscc, s.id_doc_no, s.legal_rep,
    (SELECT count(*) FROM records r WHERE r.subject_id = s.id AND r.kind = 'license' AND (r.decision_date <= {day} OR {day} = '0001-01-01') AND {PUBLIC} > {day}),
    (SELECT count(*) FROM records r WHERE r.subject_id = s.id AND r.kind = 'penalty' AND (r.decision_date <= {day} OR {day} = '0001-01-01') AND {PUBLIC} > {day})"
    )
}

/// The first day a record is no longer public, as a comparable text.
/// A record whose window is not computed is public on no day (staff, who
/// compare with the first day, still count it).
pub(crate) const PUBLIC: &str =
    "(CASE WHEN r.published_on IS NULL THEN '0001-01-01' WHEN r.window_rules IS NULL THEN '0001-01-02'
    ELSE coalesce(r.public_until, '9999-12-31') END)";

pub(crate) fn subject_row(r: &Row<'_>) -> rusqlite::Result<Subject> {
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

pub(crate) const RECORD_COLS: &str =
    "r.id, r.kind, r.subject_id, s.public_key, s.name, r.authority_code, r.authority_name,
    r.decision_no, r.decision_date, r.summary, r.version, r.updated_at, r.department_id, r.published_on, r.public_until,
    r.repairable_from, r.review_state, r.review_reason, r.pending_version";

pub(crate) fn record_row(r: &Row<'_>) -> rusqlite::Result<RecordRow> {
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

pub(crate) const SUBMISSION_COLS: &str =
    "id, user_id, at, kind, filename, n_rows, n_accepted, n_unchanged, n_rejected, report_json, department_id";

pub(crate) fn submission_row(r: &Row<'_>) -> rusqlite::Result<Submission> {
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

/// State of one write stream: subjects seen so far (to skip repeated look-ups)
/// and the first subject id created by this stream (their search index entries
/// are added in bulk when the stream ends).
pub(crate) struct StreamState {
    pub(crate) first_new_subject: i64,
    pub(crate) subjects: std::collections::HashMap<String, (i64, String, Option<String>)>,
    /// Changes to `record_day_counts`, applied at the end of the stream.
    pub(crate) day_counts: std::collections::HashMap<DayKey, i64>,
    /// Whether a department's new records await review (looked up once).
    pub(crate) review: std::collections::HashMap<i64, bool>,
    /// The rules windows are computed with.
    pub(crate) rules: Arc<WindowRules>,
    /// The `record.created` event of the current batch, per authority code.
    pub(crate) created_events: std::collections::HashMap<String, i64>,
    /// The transparency log's writer, opened at the stream's first publication.
    pub(crate) log: Option<super::transparency::LogWriter>,
}

/// (decision date, kind, department id or 0, publication day).
pub(crate) type DayKey = (String, &'static str, i64, String);

impl StreamState {
    pub(crate) fn begin(tx: &Connection, rules: Arc<WindowRules>) -> rusqlite::Result<StreamState> {
        let first_new_subject = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM subjects", [], |r| r.get(0))?;
        Ok(StreamState {
            first_new_subject,
            subjects: Default::default(),
            day_counts: Default::default(),
            review: Default::default(),
            rules,
            created_events: Default::default(),
            log: None,
        })
    }

    /// The log writer of this stream's transaction.
    pub(crate) fn log(&mut self, tx: &Connection) -> rusqlite::Result<&mut super::transparency::LogWriter> {
        if self.log.is_none() {
            self.log = Some(super::transparency::LogWriter::open(tx)?);
        }
        Ok(self.log.as_mut().expect("opened above"))
    }

    /// Indexes the names of the subjects this stream created.
    pub(crate) fn finish(self, tx: &Connection) -> rusqlite::Result<()> {
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

/// The `record.created` event of this batch for `authority`: appended with
/// the batch's first new record of that authority, shared by the others.
pub(crate) fn created_event(
    tx: &Connection,
    st: &mut StreamState,
    ctx: &WriteContext,
    authority: &str,
) -> rusqlite::Result<i64> {
    if let Some(id) = st.created_events.get(authority) {
        return Ok(*id);
    }
    let id = insert_created_event(tx, ctx, authority)?;
    st.created_events.insert(authority.to_string(), id);
    Ok(id)
}

/// Computes and stores the window of record `id`'s version in force (after a
/// write that changed what it depends on), in the caller's transaction.
pub(crate) fn recompute_window(tx: &Connection, rules: &WindowRules, id: i64) -> rusqlite::Result<()> {
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

pub(crate) fn store_window(tx: &Connection, fingerprint: &str, id: i64, w: &RecordWindow) -> rusqlite::Result<()> {
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
pub(crate) fn reviews(tx: &Connection, st: &mut StreamState, department_id: Option<i64>) -> rusqlite::Result<bool> {
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
pub(crate) fn upsert_subject(
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

/// Finds the subject `info` names by its identity, or creates it as a
/// record write does (outside a record stream: credit events); never
/// renames an existing subject.
pub(crate) fn find_or_create_subject(
    tx: &Connection,
    ctx: &WriteContext,
    info: &xinjiao_core::records::record::SubjectInfo,
) -> rusqlite::Result<i64> {
    let identity = info.identity_key();
    if let Some(id) = tx
        .prepare_cached("SELECT id FROM subjects WHERE identity_key = ?1")?
        .query_row([&identity], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    let uscc = info.uscc.as_ref().map(|u| u.to_string());
    let id_doc_no = info.id_doc.as_ref().map(|d| d.expose().to_string());
    let norm = normalize_for_search(&info.name);
    let at = ctx.at.to_string();
    tx.prepare_cached(
        "INSERT INTO subjects (public_key, identity_key, kind, name, name_norm, uscc, id_doc_no, legal_rep, created_at, updated_at)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![identity, info.kind.as_str(), info.name, norm, uscc, id_doc_no, info.legal_rep, at])?;
    let id = tx.last_insert_rowid();
    if uscc.is_none() {
        tx.prepare_cached("UPDATE subjects SET public_key = 'P' || id WHERE id = ?1")?.execute([id])?;
    }
    tx.prepare_cached("INSERT INTO subjects_fts(rowid, name_norm) VALUES (?1, ?2)")?.execute(params![id, norm])?;
    let detail = serde_json::json!({"name": info.name, "department_id": ctx.department_id}).to_string();
    insert_event(tx, ctx, "subject.created", Some(id), None, &detail)?;
    Ok(id)
}

/// An existing record as a write finds it.
pub(crate) struct Found {
    pub(crate) id: i64,
    /// The newest version (a pending one, or the version in force).
    pub(crate) latest: i64,
    pub(crate) decision_date: String,
    pub(crate) department_id: Option<i64>,
    pub(crate) published_on: Option<String>,
}

/// Makes `version` (already stored in `record_versions`) the version in
/// force of record `found`: the record's columns, its day count and window.
pub(crate) fn apply_version(
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

pub(crate) fn write_one(
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
        if !pending {
            let leaf =
                PendingLeaf::record_version(ctx.at, LogEvent::RecordPublished, rec.kind(), record_id, 1, &fields);
            st.log(tx)?.append(tx, &leaf)?;
        }
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
    let changed = xinjiao_core::records::record::changed_fields(&old, &fields);
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
    if in_force_now {
        let leaf =
            PendingLeaf::record_version(ctx.at, LogEvent::RecordCorrected, rec.kind(), record_id, version, &fields);
        st.log(tx)?.append(tx, &leaf)?;
    }
    Ok(RecordOutcome::Updated { record_id, version })
}

// Changes the lifecycle makes to a record, in the caller's transaction: the
// `records` table is written only here.

/// Withdraws record `id` from publication (its window is recomputed by the caller).
pub(crate) fn set_withdrawn(
    tx: &Connection,
    id: i64,
    on: &str,
    reason: &str,
    change_decided_on: Date,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE records SET withdrawn_on = ?2, withdrawal_reason = ?3, change_decided_on = ?4 WHERE id = ?1",
        params![id, on, reason, change_decided_on.to_string()],
    )?;
    Ok(())
}

/// Sets (an approved repair) or clears (a revoked one) the day record `id` was repaired.
pub(crate) fn set_repaired(tx: &Connection, id: i64, on: Option<&str>) -> rusqlite::Result<()> {
    tx.execute("UPDATE records SET repaired_on = ?2 WHERE id = ?1", params![id, on])?;
    Ok(())
}

/// Publishes `version` of record `id` on `on` (an approval of a new record).
pub(crate) fn set_published(tx: &Connection, id: i64, on: &str, version: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE records SET published_on = ?2, version = ?3, pending_version = NULL WHERE id = ?1",
        params![id, on, version],
    )?;
    Ok(())
}

/// Sets record `id`'s review state (`None`: reviewed and published).
pub(crate) fn set_review_state(
    tx: &Connection,
    id: i64,
    state: Option<&str>,
    reason: Option<&str>,
) -> rusqlite::Result<()> {
    tx.execute("UPDATE records SET review_state = ?2, review_reason = ?3 WHERE id = ?1", params![id, state, reason])?;
    Ok(())
}

/// Marks every window computed with other rules than `fingerprint` as not computed.
pub(crate) fn invalidate_windows(tx: &Connection, fingerprint: &str) -> rusqlite::Result<()> {
    tx.execute("UPDATE records SET window_rules = NULL WHERE window_rules <> ?1", [fingerprint])?;
    Ok(())
}

/// Rebuilds what is derived from records and subjects after a restore: the
/// names' trigram index and the day counts (published records only, as the
/// writes count them: one awaiting review counts once it is approved).
pub(crate) fn rebuild_derived(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute("INSERT INTO subjects_fts(subjects_fts) VALUES ('rebuild')", [])?;
    tx.execute_batch(
        "DELETE FROM record_day_counts;
         INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
         SELECT decision_date, kind, coalesce(department_id, 0), published_on, count(*) FROM records
         WHERE published_on IS NOT NULL GROUP BY 1, 2, 3, 4;",
    )
}

/// The `WHERE` clause of a record filter (on `records r`) and its values.
fn filter_sql(filter: &RecordFilter) -> (String, Vec<Value>) {
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
    (where_sql, args)
}

impl RecordStore for SqliteStore {
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
        let (where_sql, args) = filter_sql(filter);
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

    fn authorities_for(&self, filter: &RecordFilter) -> Result<Vec<AuthorityCount>> {
        let (where_sql, args) = filter_sql(&RecordFilter { authority_code: None, ..filter.clone() });
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT r.authority_code, max(r.authority_name), count(*) FROM records r {where_sql}
                 GROUP BY r.authority_code ORDER BY count(*) DESC, r.authority_code"
            ))?
            .query_map(params_from_iter(args.iter()), |r| {
                Ok(AuthorityCount { code: r.get(0)?, name: r.get(1)?, n_records: r.get(2)? })
            })?
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
}
