//! The PostgreSQL backend of records and subjects: the write path of record batches and the reads of records, subjects and submissions ([`xinjiao_store::RecordStore`]).

use super::audit::{EVENT_COLS, event, event_row, insert_event, subject_created_events};
use super::audit::{INSERT_CREATED_EVENTS, INSERT_EVENT};
use super::transparency::LogWriter;
use super::*;
use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_store::transparency::PendingLeaf as Pending;

/// The subject columns with counts of the records public after `day` (a bound parameter).
pub(crate) fn subject_cols(day: &str) -> String {
    format!(
        "s.id, s.public_key, s.kind, s.name, s.uscc, s.id_doc_no, s.legal_rep,
    (SELECT count(*) FROM records r WHERE r.subject_id = s.id AND r.kind = 'license' AND (r.decision_date <= {day}::text::date OR {day}::text = '0001-01-01') AND {PUBLIC} > {day}::text::date),
    (SELECT count(*) FROM records r WHERE r.subject_id = s.id AND r.kind = 'penalty' AND (r.decision_date <= {day}::text::date OR {day}::text = '0001-01-01') AND {PUBLIC} > {day}::text::date)"
    )
}

/// The first day a record is no longer public.
/// A record whose window is not computed is public on no day (staff, who
/// compare with the first day, still count it).
pub(crate) const PUBLIC: &str = "(CASE WHEN r.published_on IS NULL THEN '0001-01-01'::date
    WHEN r.window_rules IS NULL THEN '0001-01-02'::date ELSE coalesce(r.public_until, '9999-12-31'::date) END)";

pub(crate) fn subject_row(r: &Row) -> Result<Subject> {
    let kind: String = r.get(2);
    Ok(Subject {
        id: r.get(0),
        key: r.get(1),
        kind: SubjectKind::parse(&kind).ok_or_else(|| bad(format!("subject kind {kind}")))?,
        name: r.get(3),
        uscc: r.get(4),
        id_doc_no: r.get(5),
        legal_rep: r.get(6),
        n_licenses: r.get(7),
        n_penalties: r.get(8),
    })
}

pub(crate) const RECORD_COLS: &str = "r.id, r.kind, r.subject_id, s.public_key, s.name, r.authority_code, r.authority_name,
    r.decision_no, r.decision_date::text, r.summary, r.version, (extract(epoch from r.updated_at) * 1000000)::bigint,
    r.department_id, r.published_on::text, r.public_until::text, r.repairable_from::text, r.review_state, r.review_reason,
    r.pending_version";

pub(crate) fn record_row(r: &Row) -> Result<RecordRow> {
    Ok(RecordRow {
        id: r.get(0),
        kind: record_kind(r.get(1))?,
        subject_id: r.get(2),
        subject_key: r.get(3),
        subject_name: r.get(4),
        authority_code: r.get(5),
        authority_name: r.get(6),
        decision_no: r.get(7),
        decision_date: parse_date(r.get(8))?,
        summary: r.get(9),
        version: r.get(10),
        updated_at: ts_micros(r.get(11))?,
        department_id: r.get(12),
        published_on: r.get::<_, Option<&str>>(13).map(parse_date).transpose()?,
        public_until: r.get::<_, Option<&str>>(14).map(parse_date).transpose()?,
        repairable_from: r.get::<_, Option<&str>>(15).map(parse_date).transpose()?,
        review_state: r.get(16),
        review_reason: r.get(17),
        pending_version: r.get(18),
    })
}

/// Bytes of an uploaded file sent to the server in one statement.
pub(crate) const FILE_PIECE: usize = 16 << 20;

pub(crate) const SUBMISSION_COLS: &str =
    "id, user_id, (extract(epoch from at) * 1000000)::bigint, kind, filename, n_rows, n_accepted,
    n_unchanged, n_rejected, report_json, department_id";

pub(crate) fn submission_row(r: &Row) -> Result<Submission> {
    Ok(Submission {
        id: r.get(0),
        user_id: r.get(1),
        at: ts_micros(r.get(2))?,
        kind: record_kind(r.get(3))?,
        filename: r.get(4),
        n_rows: r.get(5),
        n_accepted: r.get(6),
        n_unchanged: r.get(7),
        n_rejected: r.get(8),
        report_json: r.get(9),
        department_id: r.get(10),
    })
}

/// Statements of the write path, prepared once per stream.
pub(crate) struct Prepared {
    pub(crate) find_subject: Statement,
    pub(crate) insert_subject: Statement,
    pub(crate) person_key: Statement,
    pub(crate) rename_subject: Statement,
    pub(crate) insert_version: Statement,
    pub(crate) update_record: Statement,
    pub(crate) insert_event: Statement,
    /// The rules windows are computed with.
    pub(crate) rules: Arc<WindowRules>,
    /// The transparency log's writer, opened at the transaction's first publication.
    pub(crate) log: std::cell::RefCell<Option<LogWriter>>,
}

impl Prepared {
    pub(crate) fn new(tx: &mut Transaction<'_>, rules: Arc<WindowRules>) -> Result<Prepared> {
        let mut p = |sql: &str| tx.prepare(sql).map_err(err);
        Ok(Prepared {
            find_subject: p("SELECT id, name, legal_rep FROM subjects WHERE identity_key = $1")?,
            insert_subject: p(
                "INSERT INTO subjects (public_key, identity_key, kind, name, name_norm, uscc, id_doc_no, legal_rep, created_at, updated_at)
                 VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, $8::text::timestamptz) RETURNING id",
            )?,
            person_key: p("UPDATE subjects SET public_key = 'P' || id WHERE id = $1")?,
            rename_subject: p(
                "UPDATE subjects SET name = $2, name_norm = $3, legal_rep = coalesce($4, legal_rep), updated_at = $5::text::timestamptz WHERE id = $1",
            )?,
            insert_version: p(
                "INSERT INTO record_versions (record_id, version, fields, created_at, created_by, authority_code)
                 VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6)",
            )?,
            update_record: p(
                "UPDATE records SET subject_id = $2, authority_name = $3, decision_date = $4::text::date, summary = $5, version = $6,
                 updated_at = $7::text::timestamptz, pending_version = NULL WHERE id = $1",
            )?,
            insert_event: p(INSERT_EVENT)?,
            rules,
            log: Default::default(),
        })
    }

    /// Appends leaves to the log in this transaction.
    pub(crate) fn log(&self, tx: &mut Transaction<'_>, leaves: &[Pending]) -> Result<()> {
        let mut w = self.log.borrow_mut();
        if w.is_none() {
            *w = Some(LogWriter::open(tx)?);
        }
        w.as_mut().expect("opened above").append(tx, leaves)?;
        Ok(())
    }
}

/// Finds the subject `info` names by its identity, or creates it as a
/// record write does (outside a record stream: credit events); never
/// renames an existing subject.
pub(crate) fn find_or_create_subject(
    tx: &mut Transaction<'_>,
    ctx: &WriteContext,
    info: &xinjiao_core::records::record::SubjectInfo,
) -> Result<i64> {
    let identity = info.identity_key();
    if let Some(r) = tx.query_opt("SELECT id FROM subjects WHERE identity_key = $1", &[&identity]).map_err(err)? {
        return Ok(r.get(0));
    }
    let uscc = info.uscc.as_ref().map(|u| u.to_string());
    let id_doc_no = info.id_doc.as_ref().map(|d| d.expose().to_string());
    let id: i64 = tx
        .query_one(
            "INSERT INTO subjects (public_key, identity_key, kind, name, name_norm, uscc, id_doc_no, legal_rep, created_at, updated_at)
             VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, $8::text::timestamptz) RETURNING id",
            &[
                &identity,
                &info.kind.as_str(),
                &info.name,
                &normalize_for_search(&info.name),
                &uscc,
                &id_doc_no,
                &info.legal_rep,
                &ctx.at.to_string(),
            ],
        )
        .map_err(err)?
        .get(0);
    if uscc.is_none() {
        tx.execute("UPDATE subjects SET public_key = 'P' || id WHERE id = $1", &[&id]).map_err(err)?;
    }
    let detail = serde_json::json!({"name": info.name, "department_id": ctx.department_id}).to_string();
    super::audit::insert_event(tx, ctx, "subject.created", Some(id), None, &detail)?;
    Ok(id)
}

pub(crate) type SubjectCache = std::collections::HashMap<String, (i64, String, Option<String>)>;

/// Computes and stores the window of record `id`'s version in force, in the caller's transaction.
pub(crate) fn recompute_window(tx: &mut Transaction<'_>, rules: &WindowRules, id: i64) -> Result<()> {
    let r = tx
        .query_one(
            "SELECT r.kind, r.decision_date::text, v.fields, r.withdrawn_on::text, r.repaired_on::text FROM records r
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = $1",
            &[&id],
        )
        .map_err(err)?;
    let fields: BTreeMap<String, String> = serde_json::from_str(r.get(2)).unwrap_or_default();
    let day = |i: usize| r.get::<_, Option<&str>>(i).map(parse_date).transpose();
    let w = rules.window(record_kind(r.get(0))?, parse_date(r.get(1))?, &fields, day(3)?, day(4)?);
    tx.execute(
        "UPDATE records SET severity = $2, public_until = $3::text::date, repairable_from = $4::text::date, window_rules = $5
         WHERE id = $1",
        &[
            &id,
            &w.severity.map(|s| s.as_str()),
            &w.public_until.map(|d| d.to_string()),
            &w.repairable_from.map(|d| d.to_string()),
            &rules.fingerprint,
        ],
    )
    .map_err(err)?;
    Ok(())
}

/// Finds or creates the subject a record names; returns its id, or why the
/// row may not be written (as the SQLite backend's `upsert_subject`).
pub(crate) fn upsert_subject(
    tx: &mut Transaction<'_>,
    p: &Prepared,
    cache: &mut SubjectCache,
    ctx: &WriteContext,
    rec: &Record,
    rename: bool,
) -> Result<std::result::Result<i64, Refusal>> {
    let s = rec.subject();
    let identity = s.identity_key();
    // The common case of a large file: a subject seen before, unchanged.
    if let Some((id, name, legal_rep)) = cache.get(&identity)
        && *name == s.name
        && (s.legal_rep.is_none() || *legal_rep == s.legal_rep)
    {
        return Ok(Ok(*id));
    }
    let existing = match cache.get(&identity) {
        Some(hit) => Some(hit.clone()),
        None => tx.query_opt(&p.find_subject, &[&identity]).map_err(err)?.map(|r| (r.get(0), r.get(1), r.get(2))),
    };
    let at = ctx.at.to_string();
    match existing {
        Some((id, name, legal_rep)) => {
            let differs = name != s.name || (s.legal_rep.is_some() && legal_rep != s.legal_rep);
            // The subject's data follows its latest decision: an older decision
            // imported later does not rename it back.
            let latest: Option<String> = if differs {
                tx.query_one("SELECT max(decision_date)::text FROM records WHERE subject_id = $1", &[&id])
                    .map_err(err)?
                    .get(0)
            } else {
                None
            };
            let newer = latest.is_none_or(|l| rec.decision_date().to_string() >= l);
            if differs
                && newer
                && let Some(dept) = ctx.owner_only()
            {
                let held: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM records WHERE subject_id = $1 AND department_id = $2)",
                        &[&id, &dept],
                    )
                    .map_err(err)?
                    .get(0);
                if !held {
                    let owner: Option<i64> = tx
                        .query_opt(
                            "SELECT department_id FROM records WHERE subject_id = $1 ORDER BY decision_date DESC, id DESC LIMIT 1",
                            &[&id],
                        )
                        .map_err(err)?
                        .and_then(|r| r.get(0));
                    return Ok(Err(Refusal::SubjectNotHeld { subject_id: id, owner }));
                }
            }
            if differs && newer && rename {
                tx.execute(&p.rename_subject, &[&id, &s.name, &normalize_for_search(&s.name), &s.legal_rep, &at])
                    .map_err(err)?;
                let detail = serde_json::json!({
                    "name": [name, s.name],
                    "legal_rep": [legal_rep, s.legal_rep.clone().or(legal_rep.clone())],
                    "decision_no": rec.decision_no(),
                    "department_id": ctx.department_id,
                })
                .to_string();
                event(tx, p, ctx, "subject.updated", Some(id), None, &detail)?;
                cache.insert(identity, (id, s.name.clone(), s.legal_rep.clone().or(legal_rep)));
            } else {
                cache.entry(identity).or_insert((id, name, legal_rep));
            }
            Ok(Ok(id))
        }
        None => {
            let uscc = s.uscc.as_ref().map(|u| u.to_string());
            let id_doc_no = s.id_doc.as_ref().map(|d| d.expose().to_string());
            let id: i64 = tx
                .query_one(
                    &p.insert_subject,
                    &[
                        &identity,
                        &s.kind.as_str(),
                        &s.name,
                        &normalize_for_search(&s.name),
                        &uscc,
                        &id_doc_no,
                        &s.legal_rep,
                        &at,
                    ],
                )
                .map_err(err)?
                .get(0);
            if uscc.is_none() {
                tx.execute(&p.person_key, &[&id]).map_err(err)?;
            }
            let detail = serde_json::json!({"name": s.name, "department_id": ctx.department_id}).to_string();
            event(tx, p, ctx, "subject.created", Some(id), None, &detail)?;
            cache.insert(identity, (id, s.name.clone(), s.legal_rep.clone()));
            Ok(Ok(id))
        }
    }
}

/// An existing record as a write finds it.
#[derive(Clone)]
pub(crate) struct Existing {
    pub(crate) id: i64,
    /// The newest version (a pending one, or the version in force) and its fields.
    pub(crate) latest: i64,
    pub(crate) fields: String,
    pub(crate) department_id: Option<i64>,
    published: bool,
}

/// Makes `version` (already stored) the version in force of record `id`:
/// its columns, day count and window.
pub(crate) fn apply_version(
    tx: &mut Transaction<'_>,
    p: &Prepared,
    ctx: &WriteContext,
    id: i64,
    version: i64,
    subject_id: i64,
    rec: &Record,
) -> Result<()> {
    let date = rec.decision_date().to_string();
    move_day_count(tx, id, &date)?;
    tx.execute(
        &p.update_record,
        &[&id, &subject_id, &rec.authority().name, &date, &rec.summary(), &version, &ctx.at.to_string()],
    )
    .map_err(err)?;
    recompute_window(tx, &p.rules, id)
}

/// Writes a new version of an existing record (its fields differ from the
/// newest version's): pending review, or in force at once.
pub(crate) fn write_version(
    tx: &mut Transaction<'_>,
    p: &Prepared,
    cache: &mut SubjectCache,
    ctx: &WriteContext,
    rec: &Record,
    found: &Existing,
    fields_json: &str,
) -> Result<RecordOutcome> {
    let record_id = found.id;
    let code = rec.authority().code.as_str();
    let at = ctx.at.to_string();
    // A change to a published record of a reviewing department waits for review.
    let awaits = found.published && awaits_review(tx, found.department_id)?;
    let subject_id = match upsert_subject(tx, p, cache, ctx, rec, found.published && !awaits)? {
        Ok(id) => id,
        Err(refusal) => return Ok(RecordOutcome::Refused(refusal)),
    };
    let version = found.latest + 1;
    tx.execute(&p.insert_version, &[&record_id, &version, &fields_json, &at, &ctx.actor, &code]).map_err(err)?;
    let old: BTreeMap<String, String> = serde_json::from_str(&found.fields).unwrap_or_default();
    let changed = xinjiao_core::records::record::changed_fields(&old, &rec.to_fields());
    if awaits {
        tx.execute(
            "UPDATE records SET pending_version = $2, review_state = 'pending', review_reason = NULL,
             updated_at = $3::text::timestamptz WHERE id = $1",
            &[&record_id, &version, &at],
        )
        .map_err(err)?;
        let detail = serde_json::json!({"version": version, "changed_fields": changed, "pending": true}).to_string();
        event(tx, p, ctx, "record.updated", Some(subject_id), Some(record_id), &detail)?;
        return Ok(RecordOutcome::Pending { record_id, version });
    }
    apply_version(tx, p, ctx, record_id, version, subject_id, rec)?;
    // A corrected resubmission of a rejected record is pending again.
    tx.execute(
        "UPDATE records SET review_state = CASE WHEN review_state = 'rejected' THEN 'pending' ELSE review_state END WHERE id = $1",
        &[&record_id],
    )
    .map_err(err)?;
    let detail = serde_json::json!({"version": version, "changed_fields": changed}).to_string();
    event(tx, p, ctx, "record.updated", Some(subject_id), Some(record_id), &detail)?;
    if found.published {
        let leaf = Pending::record_version(
            ctx.at,
            LogEvent::RecordCorrected,
            rec.kind(),
            record_id,
            version,
            &rec.to_fields(),
        );
        p.log(tx, &[leaf])?;
    }
    Ok(RecordOutcome::Updated { record_id, version })
}

pub(crate) type NaturalKey = (&'static str, String, String);

pub(crate) fn natural_key(rec: &Record) -> NaturalKey {
    (rec.kind().as_str(), rec.authority().code.as_str().to_string(), rec.decision_no().to_string())
}

/// Writes one batch with a few set-based statements instead of several round
/// trips per row: existing records fetched in one query, subjects looked up
/// and created in bulk, new records, their first versions and their events
/// inserted with `unnest`. Changed records (rare in bulk) take the per-row path.
pub(crate) fn write_batch(
    tx: &mut Transaction<'_>,
    p: &Prepared,
    cache: &mut SubjectCache,
    ctx: &WriteContext,
    batch: &[Record],
    out: &mut Vec<RecordOutcome>,
) -> Result<()> {
    let at = ctx.at.to_string();
    // 1. Records: what exists already, in one query.
    let keys: Vec<NaturalKey> = batch.iter().map(natural_key).collect();
    let (kinds, codes, nos): (Vec<&str>, Vec<&str>, Vec<&str>) = keys
        .iter()
        .map(|(k, c, n)| (*k, c.as_str(), n.as_str()))
        .fold((vec![], vec![], vec![]), |mut acc, (k, c, n)| {
            acc.0.push(k);
            acc.1.push(c);
            acc.2.push(n);
            acc
        });
    let mut existing: std::collections::HashMap<NaturalKey, Existing> = Default::default();
    for r in tx
        .query(
            "SELECT r.kind, r.authority_code, r.decision_no, r.id, v.version, v.fields, r.department_id, r.published_on IS NOT NULL
             FROM unnest($1::text[], $2::text[], $3::text[]) AS k(kind, code, no)
             JOIN records r ON r.kind = k.kind AND r.authority_code = k.code AND r.decision_no = k.no
             JOIN record_versions v ON v.record_id = r.id AND v.version = coalesce(r.pending_version, r.version)",
            &[&kinds, &codes, &nos],
        )
        .map_err(err)?
    {
        let kind = record_kind(r.get(0))?.as_str();
        let found = Existing {
            id: r.get(3),
            latest: r.get(4),
            fields: r.get(5),
            department_id: r.get(6),
            published: r.get(7),
        };
        existing.insert((kind, r.get(1), r.get(2)), found);
    }
    // 2. A writer restricted to its department changes no other's record.
    let refused: Vec<Option<Refusal>> = keys
        .iter()
        .map(|k| {
            let found = existing.get(k)?;
            let dept = ctx.owner_only()?;
            (found.department_id != Some(dept))
                .then_some(Refusal::NotOwner { record_id: found.id, owner: found.department_id })
        })
        .collect();
    // 3. Subjects of the other rows: fetch the unknown ones, create the missing ones.
    let mut wanted: Vec<String> = Vec::new();
    for (rec, refusal) in batch.iter().zip(&refused) {
        let key = rec.subject().identity_key();
        if refusal.is_none() && !cache.contains_key(&key) && !wanted.contains(&key) {
            wanted.push(key);
        }
    }
    if !wanted.is_empty() {
        for r in tx
            .query("SELECT identity_key, id, name, legal_rep FROM subjects WHERE identity_key = ANY($1)", &[&wanted])
            .map_err(err)?
        {
            cache.insert(r.get(0), (r.get(1), r.get(2), r.get(3)));
        }
        let mut cols: [Vec<Option<String>>; 7] = Default::default();
        let mut seen = std::collections::HashSet::new();
        for (rec, refusal) in batch.iter().zip(&refused) {
            let s = rec.subject();
            let key = s.identity_key();
            if refusal.is_some() || cache.contains_key(&key) || !seen.insert(key.clone()) {
                continue;
            }
            let values = [
                Some(key),
                Some(s.kind.as_str().to_string()),
                Some(s.name.clone()),
                Some(normalize_for_search(&s.name)),
                s.uscc.as_ref().map(|u| u.to_string()),
                s.id_doc.as_ref().map(|d| d.expose().to_string()),
                s.legal_rep.clone(),
            ];
            for (col, v) in cols.iter_mut().zip(values) {
                col.push(v);
            }
        }
        if !cols[0].is_empty() {
            let rows = tx
                .query(
                    "INSERT INTO subjects (public_key, identity_key, kind, name, name_norm, uscc, id_doc_no, legal_rep, created_at, updated_at)
                     SELECT k, k, kind, name, norm, uscc, idno, lr, $8::text::timestamptz, $8::text::timestamptz
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                          WITH ORDINALITY AS t(k, kind, name, norm, uscc, idno, lr, n)
                     ORDER BY n
                     RETURNING id, identity_key, name, legal_rep, uscc IS NULL",
                    &[&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &at],
                )
                .map_err(err)?;
            let mut ids = Vec::with_capacity(rows.len());
            let mut persons = Vec::new();
            let mut names = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: i64 = r.get(0);
                ids.push(id);
                if r.get::<_, bool>(4) {
                    persons.push(id);
                }
                names.push(
                    serde_json::json!({"name": r.get::<_, &str>(2), "department_id": ctx.department_id}).to_string(),
                );
                cache.insert(r.get(1), (id, r.get(2), r.get(3)));
            }
            if !persons.is_empty() {
                tx.execute("UPDATE subjects SET public_key = 'P' || id WHERE id = ANY($1)", &[&persons])
                    .map_err(err)?;
            }
            subject_created_events(tx, ctx, &ids, &names)?;
        }
    }
    // 4. In input order: refused, unchanged, changed (per row) or new (collected).
    let awaiting = awaits_review(tx, ctx.department_id)?;
    let start = out.len();
    let mut pending: Vec<(usize, i64, String)> = Vec::new(); // (batch index, subject id, fields)
    let mut pending_keys = std::collections::HashSet::new();
    for (i, rec) in batch.iter().enumerate() {
        let key = &keys[i];
        if let Some(refusal) = refused[i] {
            out.push(RecordOutcome::Refused(refusal));
            continue;
        }
        if pending_keys.contains(key) {
            // The same decision twice in one batch: store the first before comparing.
            flush_new(tx, p, ctx, batch, &keys, &mut pending, &mut existing, out, start)?;
            pending_keys.clear();
        }
        let fields_json = serde_json::to_string(&rec.to_fields()).expect("string map serialises");
        match existing.get(key).cloned() {
            Some(found) if found.fields == fields_json => out.push(RecordOutcome::Unchanged { record_id: found.id }),
            Some(found) => {
                let outcome = write_version(tx, p, cache, ctx, rec, &found, &fields_json)?;
                if let RecordOutcome::Updated { version, .. } | RecordOutcome::Pending { version, .. } = outcome {
                    existing.insert(key.clone(), Existing { latest: version, fields: fields_json, ..found });
                }
                out.push(outcome);
            }
            None => match upsert_subject(tx, p, cache, ctx, rec, !awaiting)? {
                Err(refusal) => out.push(RecordOutcome::Refused(refusal)),
                Ok(subject_id) => {
                    out.push(RecordOutcome::Unchanged { record_id: 0 }); // placeholder, set by flush_new
                    pending.push((i, subject_id, fields_json));
                    pending_keys.insert(key.clone());
                }
            },
        }
    }
    flush_new(tx, p, ctx, batch, &keys, &mut pending, &mut existing, out, start)
}

/// Whether new records of this department await review before publication.
pub(crate) fn awaits_review(tx: &mut Transaction<'_>, department_id: Option<i64>) -> Result<bool> {
    let Some(d) = department_id else { return Ok(false) };
    Ok(tx
        .query_opt("SELECT review_required <> 0 FROM departments WHERE id = $1", &[&d])
        .map_err(err)?
        .is_some_and(|r| r.get::<_, bool>(0)))
}

/// Before a new version moves record `id` to decision date `date`, moves its
/// count in `record_day_counts` (nothing when the date stays).
pub(crate) fn move_day_count(tx: &mut Transaction<'_>, id: i64, date: &str) -> Result<()> {
    tx.execute(
        "UPDATE record_day_counts c SET n = c.n - 1 FROM records r
         WHERE r.id = $1 AND r.decision_date <> $2::text::date AND c.decision_date = r.decision_date
           AND c.kind = r.kind AND c.department_id = coalesce(r.department_id, 0) AND c.published_on = r.published_on",
        &[&id, &date],
    )
    .map_err(err)?;
    tx.execute(
        "INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
         SELECT $2::text::date, kind, coalesce(department_id, 0), published_on, 1 FROM records
         WHERE id = $1 AND decision_date <> $2::text::date AND published_on IS NOT NULL
         ON CONFLICT (decision_date, kind, department_id, published_on) DO UPDATE SET n = record_day_counts.n + 1",
        &[&id, &date],
    )
    .map_err(err)?;
    Ok(())
}

/// Inserts the collected new records (with their windows), their first
/// versions and events.
#[allow(clippy::too_many_arguments)]
pub(crate) fn flush_new(
    tx: &mut Transaction<'_>,
    p: &Prepared,
    ctx: &WriteContext,
    batch: &[Record],
    keys: &[NaturalKey],
    pending: &mut Vec<(usize, i64, String)>,
    existing: &mut std::collections::HashMap<NaturalKey, Existing>,
    out: &mut [RecordOutcome],
    start: usize,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let at = ctx.at.to_string();
    let n = pending.len();
    let (mut kinds, mut codes, mut nos) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut sids, mut anames, mut dates, mut summaries) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut severities, mut untils, mut repairables) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for (i, subject_id, _) in pending.iter() {
        let rec = &batch[*i];
        kinds.push(keys[*i].0);
        codes.push(keys[*i].1.as_str());
        nos.push(keys[*i].2.as_str());
        sids.push(*subject_id);
        anames.push(rec.authority().name.as_str());
        dates.push(rec.decision_date().to_string());
        summaries.push(rec.summary());
        let w = p.rules.window(rec.kind(), rec.decision_date(), &rec.to_fields(), None, None);
        severities.push(w.severity.map(|s| s.as_str()));
        untils.push(w.public_until.map(|d| d.to_string()));
        repairables.push(w.repairable_from.map(|d| d.to_string()));
    }
    let awaiting = awaits_review(tx, ctx.department_id)?;
    let published = (!awaiting).then(|| ctx.china_date().to_string());
    let review_state = awaiting.then_some("pending");
    // One `record.created` event per authority of the batch; each record points at its own.
    let mut authorities: Vec<&str> = codes.clone();
    authorities.sort_unstable();
    authorities.dedup();
    let mut event_of: std::collections::HashMap<&str, i64> = Default::default();
    for r in tx.query(INSERT_CREATED_EVENTS, &[&authorities, &at, &ctx.actor, &ctx.reason]).map_err(err)? {
        let code: String = r.get(1);
        let code = authorities.iter().find(|a| **a == code).copied().ok_or_else(|| bad("event authority"))?;
        event_of.insert(code, r.get(0));
    }
    let events: Vec<i64> = codes.iter().map(|c| event_of[c]).collect();
    let rows = tx
        .query(
            "INSERT INTO records (kind, authority_code, decision_no, subject_id, authority_name, decision_date, summary, version, created_at, updated_at,
                                  department_id, published_on, review_state, severity, public_until, repairable_from, window_rules, created_event)
             SELECT kind, code, no, sid, aname, d::date, summary, 1, $8::text::timestamptz, $8::text::timestamptz, $9, $10::text::date, $11,
                    sev, until::date, rep::date, $15, ev
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $12::text[], $13::text[], $14::text[], $16::bigint[])
                  WITH ORDINALITY AS t(kind, code, no, sid, aname, d, summary, sev, until, rep, ev, n)
             ORDER BY n
             RETURNING id, kind, authority_code, decision_no",
            &[
                &kinds,
                &codes,
                &nos,
                &sids,
                &anames,
                &dates,
                &summaries,
                &at,
                &ctx.department_id,
                &published,
                &review_state,
                &severities,
                &untils,
                &repairables,
                &p.rules.fingerprint,
                &events,
            ],
        )
        .map_err(err)?;
    if !awaiting {
        tx.execute(
        "INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
         SELECT d::date, kind, $3, $4::text::date, count(*) FROM unnest($1::text[], $2::text[]) AS t(kind, d) GROUP BY 1, 2
         ON CONFLICT (decision_date, kind, department_id, published_on) DO UPDATE SET n = record_day_counts.n + excluded.n",
        &[&kinds, &dates, &ctx.department_id.unwrap_or(0), &ctx.china_date().to_string()],
    )
    .map_err(err)?;
    }
    let mut ids_by_key: std::collections::HashMap<NaturalKey, i64> = Default::default();
    for r in &rows {
        let kind = record_kind(r.get(1))?.as_str();
        ids_by_key.insert((kind, r.get(2), r.get(3)), r.get(0));
    }
    let mut record_ids = Vec::with_capacity(pending.len());
    let mut fields = Vec::with_capacity(pending.len());
    let mut authorities: Vec<&str> = Vec::with_capacity(pending.len());
    let mut leaves = Vec::with_capacity(if awaiting { 0 } else { pending.len() });
    for (i, _, json) in pending.drain(..) {
        authorities.push(&keys[i].1);
        let id = *ids_by_key.get(&keys[i]).ok_or_else(|| bad("inserted record not returned"))?;
        out[start + i] = RecordOutcome::Created { record_id: id };
        let found =
            Existing { id, latest: 1, fields: json.clone(), department_id: ctx.department_id, published: !awaiting };
        existing.insert(keys[i].clone(), found);
        record_ids.push(id);
        fields.push(json);
        if !awaiting {
            let rec = &batch[i];
            leaves.push(Pending::record_version(
                ctx.at,
                LogEvent::RecordPublished,
                rec.kind(),
                id,
                1,
                &rec.to_fields(),
            ));
        }
    }
    tx.execute(
        "INSERT INTO record_versions (record_id, version, fields, created_at, created_by, authority_code)
         SELECT id, 1, f, $3::text::timestamptz, $4, a FROM unnest($1::bigint[], $2::text[], $5::text[]) AS t(id, f, a)",
        &[&record_ids, &fields, &at, &ctx.actor, &authorities],
    )
    .map_err(err)?;
    if !leaves.is_empty() {
        p.log(tx, &leaves)?;
    }
    Ok(())
}

// Changes the lifecycle makes to a record, in the caller's transaction: the
// `records` table is written only here.

/// Withdraws record `id` from publication (its window is recomputed by the caller).
pub(crate) fn set_withdrawn(tx: &mut Transaction<'_>, id: i64, on: &str, reason: &str, change: &str) -> Result<()> {
    tx.execute(
        "UPDATE records SET withdrawn_on = $2::text::date, withdrawal_reason = $3,
                change_decided_on = $4::text::date WHERE id = $1",
        &[&id, &on, &reason, &change],
    )
    .map_err(err)?;
    Ok(())
}

/// Stores the windows of records `ids`, computed with the rules `fingerprint`.
pub(crate) fn store_windows(
    tx: &mut Transaction<'_>,
    fingerprint: &str,
    ids: &[i64],
    severities: &[Option<&str>],
    until: &[Option<String>],
    repair: &[Option<String>],
) -> Result<()> {
    tx.execute(
        "UPDATE records r SET severity = t.sev, public_until = t.until::date, repairable_from = t.repair::date,
                window_rules = $5
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t(id, sev, until, repair)
         WHERE r.id = t.id",
        &[&ids, &severities, &until, &repair, &fingerprint],
    )
    .map_err(err)?;
    Ok(())
}

/// Marks every window computed with other rules than `fingerprint` as not computed.
pub(crate) fn invalidate_windows(tx: &mut Transaction<'_>, fingerprint: &str) -> Result<()> {
    tx.execute("UPDATE records SET window_rules = NULL WHERE window_rules <> $1", &[&fingerprint]).map_err(err)?;
    Ok(())
}

/// Sets (an approved repair) or clears (a revoked one) the day record `id` was repaired.
pub(crate) fn set_repaired(tx: &mut Transaction<'_>, id: i64, on: Option<&str>) -> Result<()> {
    tx.execute("UPDATE records SET repaired_on = $2::text::date WHERE id = $1", &[&id, &on]).map_err(err)?;
    Ok(())
}

/// Publishes `version` of record `id` on `on` (an approval of a new record) and counts it.
pub(crate) fn set_published(tx: &mut Transaction<'_>, id: i64, on: &str, version: i64) -> Result<()> {
    tx.execute(
        "UPDATE records SET published_on = $2::text::date, version = $3, pending_version = NULL WHERE id = $1",
        &[&id, &on, &version],
    )
    .map_err(err)?;
    tx.execute(
        "INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
         SELECT decision_date, kind, coalesce(department_id, 0), published_on, 1 FROM records WHERE id = $1
         ON CONFLICT (decision_date, kind, department_id, published_on) DO UPDATE SET n = record_day_counts.n + 1",
        &[&id],
    )
    .map_err(err)?;
    Ok(())
}

/// Sets record `id`'s review state (`None`: reviewed and published).
pub(crate) fn set_review_state(
    tx: &mut Transaction<'_>,
    id: i64,
    state: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    tx.execute("UPDATE records SET review_state = $2, review_reason = $3 WHERE id = $1", &[&id, &state, &reason])
        .map_err(err)?;
    Ok(())
}

/// Rebuilds the day counts from the records after a restore: published
/// records only, as the writes count them (one awaiting review counts once
/// it is approved).
pub(crate) fn rebuild_derived(tx: &mut Transaction<'_>) -> Result<()> {
    tx.batch_execute(
        "DELETE FROM record_day_counts;
         INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
         SELECT decision_date, kind, coalesce(department_id, 0), published_on, count(*) FROM records
         WHERE published_on IS NOT NULL GROUP BY 1, 2, 3, 4;",
    )
    .map_err(err)
}

/// Rows written by one stream after which the tables are analyzed (inside
/// the stream's transaction each time the stream doubles, and after it).
const ANALYZE_AFTER_ROWS: usize = 10_000;

/// Values bound to a statement built at run time.
type SqlArgs = Vec<Box<dyn ToSql + Sync>>;

/// The `WHERE` clause of a record filter (on `records r`) and its values.
fn filter_sql(filter: &RecordFilter) -> (String, SqlArgs) {
    let mut args: SqlArgs = Vec::new();
    let mut wh: Vec<String> = Vec::new();
    for (lhs, arg) in filter.conditions() {
        let cast = match arg {
            FilterArg::Text(t) => {
                args.push(Box::new(t));
                ""
            }
            FilterArg::Int(i) => {
                args.push(Box::new(i));
                ""
            }
            FilterArg::Date(d) => {
                args.push(Box::new(d.to_string()));
                "::text::date"
            }
        };
        wh.push(format!("{lhs} ${}{cast}", args.len()));
    }
    let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
    (where_sql, args)
}

impl RecordStore for PgStore {
    fn write_batches(
        &self,
        batches: &mut dyn Iterator<Item = std::result::Result<(WriteContext, Vec<Record>), String>>,
        on_outcome: &mut dyn FnMut(RecordOutcome),
    ) -> Result<()> {
        let rules = self.window_rules();
        let mut written = 0usize;
        self.write(|tx| {
            let p = Prepared::new(tx, rules)?;
            let mut cache = SubjectCache::new();
            let mut next_analyze = ANALYZE_AFTER_ROWS;
            for batch in batches {
                let (ctx, batch) = batch.map_err(StoreError::Aborted)?;
                written += batch.len();
                let mut out = Vec::with_capacity(batch.len());
                write_batch(tx, &p, &mut cache, &ctx, &batch, &mut out)?;
                out.into_iter().for_each(&mut *on_outcome);
                // Statistics of the growing tables, inside the transaction
                // (ANALYZE counts the transaction's own rows): a table the
                // planner believes empty — new, or emptied by autovacuum after
                // a failed import — is otherwise scanned whole for every
                // batch's natural-key look-up (measured: 6–9 s a batch at
                // 50,000 rows). Each time the stream has doubled.
                if written >= next_analyze {
                    tx.batch_execute("ANALYZE records, subjects, record_versions").map_err(err)?;
                    next_analyze *= 2;
                }
            }
            Ok(())
        })?;
        // A large load changes the tables' statistics at once; until
        // autovacuum's next analyze, the planner would still see the old
        // (perhaps empty) tables and join them row by row (measured: a page of
        // 50,000 fresh records took minutes instead of milliseconds).
        if written >= ANALYZE_AFTER_ROWS {
            self.with(|c| {
                c.client
                    .batch_execute("ANALYZE records, subjects, record_versions, events, record_day_counts")
                    .map_err(err)
            })?;
        }
        Ok(())
    }

    fn search_subjects_on(&self, query: &str, page: PageRequest, public_on: Option<Date>) -> Result<Page<Subject>> {
        let q = normalize_for_search(query);
        let day = xinjiao_store::public_day_arg(public_on);
        if q.is_empty() {
            return Ok(Page { items: vec![], total: 0, page: page.page, per_page: page.per_page });
        }
        // LIKE uses the trigram index; with LIKE's wildcards in the query, an
        // exact strpos() scan instead (the same results as the SQLite backend).
        let hits = if q.contains(['%', '_', '\\']) {
            "SELECT id FROM subjects WHERE strpos(name_norm, $1) > 0 UNION SELECT id FROM subjects WHERE uscc = $1"
        } else {
            "SELECT id FROM subjects WHERE name_norm LIKE '%' || $1 || '%' UNION SELECT id FROM subjects WHERE uscc = $1"
        };
        self.with(|c| {
            let total: i64 = c
                .query_one(
                    &format!(
                        "SELECT count(*) FROM ({hits}) h
                         WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = h.id AND (r.decision_date <= $2::text::date OR $2::text = '0001-01-01') AND {PUBLIC} > $2::text::date)"
                    ),
                    &[&q, &day],
                )
                .map_err(err)?
                .get(0);
            let sql = format!(
                "WITH hits AS ({hits}) SELECT {} FROM hits JOIN subjects s ON s.id = hits.id
                 WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= $4::text::date OR $4::text = '0001-01-01') AND {PUBLIC} > $4::text::date)
                 ORDER BY (s.name_norm = $1) DESC, (left(s.name_norm, length($1)) = $1) DESC,
                          length(s.name_norm), s.name_norm COLLATE \"C\", s.id
                 LIMIT $2 OFFSET $3",
                subject_cols("$4")
            );
            let rows = c.query(&sql, &[&q, &i64::from(page.per_page), &(page.offset() as i64), &day]).map_err(err)?;
            let items = rows.iter().map(subject_row).collect::<Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn subject_by_key_on(&self, key: &str, public_on: Option<Date>) -> Result<Option<Subject>> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.opt_row(
            &format!(
                "SELECT {} FROM subjects s WHERE s.public_key = $1
                 AND EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= $2::text::date OR $2::text = '0001-01-01') AND {PUBLIC} > $2::text::date)",
                subject_cols("$2")
            ),
            &[&key, &day],
            subject_row,
        )
    }

    fn list_records(&self, filter: &RecordFilter, page: PageRequest) -> Result<Page<RecordRow>> {
        let (where_sql, args) = filter_sql(filter);
        let n = args.len();
        self.with(|c| {
            let mut all: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
            let limit = i64::from(page.per_page);
            let offset = page.offset() as i64;
            all.push(&limit);
            all.push(&offset);
            let sql = format!(
                "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id {where_sql}
                 ORDER BY r.decision_date DESC, r.id DESC LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            );
            let items = c.query(&sql, &all).map_err(err)?.iter().map(record_row).collect::<Result<Vec<_>>>()?;
            let total = if page.page == 1 && (items.len() as u32) < page.per_page {
                items.len() as i64
            } else {
                c.query_one(&format!("SELECT count(*) FROM records r {where_sql}"), &all[..n]).map_err(err)?.get(0)
            };
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn record(&self, id: i64) -> Result<Option<RecordDetail>> {
        self.with(|c| {
            let row = c
                .query_opt(
                    &format!(
                        "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id WHERE r.id = $1"
                    ),
                    &[&id],
                )
                .map_err(err)?;
            let Some(row) = row else { return Ok(None) };
            let row = record_row(&row)?;
            let versions = c
                .query(
                    "SELECT version, (extract(epoch from created_at) * 1000000)::bigint, created_by, fields
                     FROM record_versions WHERE record_id = $1 ORDER BY version",
                    &[&id],
                )
                .map_err(err)?
                .iter()
                .map(|r| {
                    let fields: String = r.get(3);
                    Ok(RecordVersion {
                        version: r.get(0),
                        created_at: ts_micros(r.get(1))?,
                        created_by: r.get(2),
                        fields: serde_json::from_str(&fields).map_err(|e| bad(e.to_string()))?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let events = c
                .query(
                    &format!(
                        "SELECT {EVENT_COLS} FROM events WHERE authority_code = $2 AND record_id = $1
                         UNION ALL
                         SELECT {EVENT_COLS} FROM events WHERE id = (SELECT created_event FROM records WHERE id = $1)
                         ORDER BY 1"
                    ),
                    &[&id, &row.authority_code],
                )
                .map_err(err)?
                .iter()
                .map(event_row)
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(RecordDetail { row, versions, events }))
        })
    }

    fn authorities_for(&self, filter: &RecordFilter) -> Result<Vec<AuthorityCount>> {
        let (where_sql, args) = filter_sql(&RecordFilter { authority_code: None, ..filter.clone() });
        self.with(|c| {
            let args: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
            Ok(c.query(
                &format!(
                    "SELECT r.authority_code, max(r.authority_name), count(*) FROM records r {where_sql}
                     GROUP BY r.authority_code ORDER BY count(*) DESC, r.authority_code COLLATE \"C\""
                ),
                &args,
            )
            .map_err(err)?
            .iter()
            .map(|r| AuthorityCount { code: r.get(0), name: r.get(1), n_records: r.get(2) })
            .collect())
        })
    }

    fn totals_on(&self, public_on: Option<Date>) -> Result<Totals> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.with(|c| {
            let r = c
                .query_one(
                    &format!(
                        "SELECT (SELECT count(*) FROM subjects s WHERE EXISTS
                                    (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= $1::text::date OR $1::text = '0001-01-01') AND {PUBLIC} > $1::text::date)),
                                (SELECT count(*) FROM records r WHERE r.kind = 'license' AND (r.decision_date <= $1::text::date OR $1::text = '0001-01-01') AND {PUBLIC} > $1::text::date),
                                (SELECT count(*) FROM records r WHERE r.kind = 'penalty' AND (r.decision_date <= $1::text::date OR $1::text = '0001-01-01') AND {PUBLIC} > $1::text::date)"
                    ),
                    &[&day],
                )
                .map_err(err)?;
            Ok(Totals { n_subjects: r.get(0), n_licenses: r.get(1), n_penalties: r.get(2) })
        })
    }

    fn create_submission(&self, ctx: &WriteContext, s: &NewSubmission) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO submissions (user_id, at, kind, filename, n_rows, n_accepted, n_unchanged, n_rejected, report_json, file, department_id, dry_run)
                     VALUES ($1, $2::text::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                    &[
                        &s.user_id,
                        &ctx.at.to_string(),
                        &s.kind.as_str(),
                        &s.filename,
                        &s.n_rows,
                        &s.n_accepted,
                        &s.n_unchanged,
                        &s.n_rejected,
                        &s.report_json,
                        &s.file.get(..FILE_PIECE).unwrap_or(&s.file),
                        &ctx.department_id,
                        &i64::from(s.dry_run),
                    ],
                )
                .map_err(err)?
                .get(0);
            // The rest of a large file follows in pieces, so that no protocol
            // message (and no buffer of ours) holds a whole 64 MB upload.
            for piece in s.file.get(FILE_PIECE..).unwrap_or_default().chunks(FILE_PIECE) {
                tx.execute("UPDATE submissions SET file = file || $1 WHERE id = $2", &[&piece, &id]).map_err(err)?;
            }
            let detail = serde_json::json!({"submission_id": id, "rows": s.n_rows, "rejected": s.n_rejected}).to_string();
            insert_event(tx, ctx, "submission.created", None, None, &detail)?;
            Ok(id)
        })
    }

    fn submissions_of(&self, user_id: i64, limit: u32) -> Result<Vec<Submission>> {
        self.rows(
            &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE user_id = $1 ORDER BY id DESC LIMIT $2"),
            &[&user_id, &i64::from(limit)],
            submission_row,
        )
    }

    fn submission(&self, id: i64) -> Result<Option<Submission>> {
        self.opt_row(&format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = $1"), &[&id], submission_row)
    }

    fn submission_file(&self, id: i64) -> Result<Option<Vec<u8>>> {
        self.with(|c| {
            Ok(c.query_opt("SELECT file FROM submissions WHERE id = $1", &[&id]).map_err(err)?.map(|r| r.get(0)))
        })
    }

    fn subject_history(&self, subject_id: i64) -> Result<Vec<Event>> {
        self.rows(
            &format!(
                "SELECT {EVENT_COLS} FROM events WHERE subject_id = $1 AND record_id IS NULL AND action LIKE 'subject.%' ORDER BY id"
            ),
            &[&subject_id],
            event_row,
        )
    }

    fn subject_by_identity(&self, identity: &str) -> Result<Option<Subject>> {
        self.opt_row(
            &format!(
                "SELECT {} FROM subjects s WHERE s.uscc = $1 OR s.id_doc_no = $1 ORDER BY s.id LIMIT 1",
                subject_cols("'0001-01-01'")
            ),
            &[&identity],
            subject_row,
        )
    }
}
