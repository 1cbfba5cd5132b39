//! The PostgreSQL backend of the lifecycle of published records: windows, withdrawals, objections, repairs and review ([`xinjiao_store::LifecycleStore`]).

use super::audit::insert_event;
use super::records::{Prepared, SubjectCache, apply_version, recompute_window, upsert_subject};
use super::records::{invalidate_windows, set_published, set_repaired, set_review_state, set_withdrawn, store_windows};
use super::transparency::LogWriter;
use super::*;
use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_store::transparency::PendingLeaf as Pending;

impl LifecycleStore for PgStore {
    fn stale_windows(&self, limit: u32) -> Result<Vec<StaleWindow>> {
        self.rows(
            "SELECT r.id, r.kind, r.decision_date::text, v.fields, r.withdrawn_on::text, r.repaired_on::text FROM records r
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE r.window_rules IS NULL ORDER BY r.id LIMIT $1",
            &[&i64::from(limit)],
            |r| {
                let fields: &str = r.get(3);
                Ok(StaleWindow {
                    record_id: r.get(0),
                    kind: record_kind(r.get(1))?,
                    decision_date: parse_date(r.get(2))?,
                    fields: serde_json::from_str(fields).map_err(|e| bad(e.to_string()))?,
                    withdrawn_on: r.get::<_, Option<&str>>(4).map(parse_date).transpose()?,
                    repaired_on: r.get::<_, Option<&str>>(5).map(parse_date).transpose()?,
                })
            },
        )
    }

    fn withdraw_record(&self, ctx: &WriteContext, record_id: i64, reason: &str, change_decided_on: Date) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            let found = tx
                .query_opt("SELECT withdrawn_on IS NOT NULL FROM records WHERE id = $1 FOR UPDATE", &[&record_id])
                .map_err(err)?;
            match found {
                None => return Err(StoreError::NotFound),
                Some(r) if r.get::<_, bool>(0) => return Err(StoreError::Conflict("该记录已撤销公示".into())),
                Some(_) => {}
            }
            let today = ctx.china_date().to_string();
            let change = change_decided_on.to_string();
            set_withdrawn(tx, record_id, &today, reason, &change)?;
            recompute_window(tx, &rules, record_id)?;
            let subject_id: i64 =
                tx.query_one("SELECT subject_id FROM records WHERE id = $1", &[&record_id]).map_err(err)?.get(0);
            let detail =
                serde_json::json!({"withdrawn_on": today, "reason": reason, "change_decided_on": change}).to_string();
            insert_event(tx, ctx, "record.withdrawn", Some(subject_id), Some(record_id), &detail)?;
            LogWriter::open(tx)?.record_ending(
                tx,
                ctx.at,
                LogEvent::RecordWithdrawn,
                record_id,
                ctx.china_date(),
                reason,
            )?;
            Ok(())
        })
    }

    fn set_windows(&self, fingerprint: &str, windows: &[(i64, RecordWindow)]) -> Result<()> {
        let ids: Vec<i64> = windows.iter().map(|w| w.0).collect();
        let severities: Vec<Option<&str>> = windows.iter().map(|w| w.1.severity.map(|s| s.as_str())).collect();
        let until: Vec<Option<String>> = windows.iter().map(|w| w.1.public_until.map(|d| d.to_string())).collect();
        let repair: Vec<Option<String>> = windows.iter().map(|w| w.1.repairable_from.map(|d| d.to_string())).collect();
        self.write(|tx| store_windows(tx, fingerprint, &ids, &severities, &until, &repair))
    }

    fn invalidate_windows(&self, fingerprint: &str) -> Result<()> {
        self.write(|tx| invalidate_windows(tx, fingerprint))
    }

    fn window_rules(&self) -> Arc<WindowRules> {
        self.window_rules.get()
    }

    fn set_window_rules(&self, rules: Arc<WindowRules>) {
        self.window_rules.set(rules);
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
            let found = tx
                .query_opt(
                    "SELECT department_id FROM records WHERE id = $1 AND subject_id = $2 FOR UPDATE",
                    &[&record_id, &subject_id],
                )
                .map_err(err)?;
            let Some(row) = found else { return Err(StoreError::NotFound) };
            let department_id: Option<i64> = row.get(0);
            let open: bool = tx
                .query_one(
                    "SELECT count(*) > 0 FROM objections WHERE record_id = $1 AND status IN ('filed', 'acknowledged')",
                    &[&record_id],
                )
                .map_err(err)?
                .get(0);
            if open {
                return Err(StoreError::Conflict("该记录已有正在处理的异议".into()));
            }
            let id: i64 = tx
                .query_one(
                    "INSERT INTO objections (record_id, subject_id, department_id, reasons, status, filed_at)
                     VALUES ($1, $2, $3, $4, 'filed', $5::text::timestamptz) RETURNING id",
                    &[&record_id, &subject_id, &department_id, &reasons, &ctx.at.to_string()],
                )
                .map_err(err)?
                .get(0);
            for (name, content) in attachments {
                tx.execute(
                    "INSERT INTO objection_attachments (objection_id, filename, content) VALUES ($1, $2, $3)",
                    &[&id, name, content],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"objection_id": id, "attachments": attachments.len()}).to_string();
            insert_event(tx, ctx, "objection.filed", Some(subject_id), Some(record_id), &detail)?;
            Ok(id)
        })
    }

    fn objections(&self, filter: &ObjectionFilter, limit: u32) -> Result<Vec<Objection>> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT o.id, o.record_id, r.kind, r.decision_no, o.subject_id, o.department_id, o.reasons, o.status,
                            (extract(epoch from o.filed_at) * 1000000)::bigint,
                            (extract(epoch from o.acknowledged_at) * 1000000)::bigint,
                            o.extended_at IS NOT NULL, o.extension_reason,
                            (extract(epoch from o.decided_at) * 1000000)::bigint, o.decision_reason, o.decided_by,
                            s.name
                     FROM objections o JOIN records r ON r.id = o.record_id JOIN subjects s ON s.id = o.subject_id
                     WHERE ($1::bigint IS NULL OR o.record_id = $1) AND ($2::bigint IS NULL OR o.subject_id = $2)
                       AND ($3::bigint[] IS NULL OR o.department_id = ANY($3))
                       AND (NOT $4 OR o.status IN ('filed', 'acknowledged')) AND ($6::bigint IS NULL OR o.id = $6)
                     ORDER BY o.id DESC LIMIT $5",
                    &[
                        &filter.record_id,
                        &filter.subject_id,
                        &filter.departments,
                        &filter.open_only,
                        &i64::from(limit),
                        &filter.id,
                    ],
                )
                .map_err(err)?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let status: &str = r.get(7);
                let opt = |i: usize| r.get::<_, Option<i64>>(i).map(ts_micros).transpose();
                let id: i64 = r.get(0);
                let attachments = c
                    .query("SELECT id, filename FROM objection_attachments WHERE objection_id = $1 ORDER BY id", &[&id])
                    .map_err(err)?
                    .iter()
                    .map(|a| (a.get(0), a.get(1)))
                    .collect();
                out.push(Objection {
                    id,
                    record_id: r.get(1),
                    record_kind: record_kind(r.get(2))?,
                    decision_no: r.get(3),
                    subject_id: r.get(4),
                    subject_name: r.get(15),
                    department_id: r.get(5),
                    reasons: r.get(6),
                    status: ObjectionStatus::parse(status).ok_or_else(|| bad(format!("status {status}")))?,
                    filed_at: ts_micros(r.get(8))?,
                    acknowledged_at: opt(9)?,
                    extended: r.get(10),
                    extension_reason: r.get(11),
                    decided_at: opt(12)?,
                    decision_reason: r.get(13),
                    decided_by: r.get(14),
                    attachments,
                });
            }
            Ok(out)
        })
    }

    fn act_on_objection(&self, ctx: &WriteContext, id: i64, action: &ObjectionAction) -> Result<ObjectionStatus> {
        self.write(|tx| {
            let found = tx
                .query_opt(
                    "SELECT status, extended_at IS NOT NULL, subject_id, record_id FROM objections WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .map_err(err)?;
            let Some(row) = found else { return Err(StoreError::NotFound) };
            let status: String = row.get(0);
            let (extended, subject_id, record_id): (bool, i64, i64) = (row.get(1), row.get(2), row.get(3));
            let from = ObjectionStatus::parse(&status).ok_or_else(|| bad(format!("status {status}")))?;
            let to = action.apply(from, extended).map_err(|m| StoreError::Conflict(m.into()))?;
            let at = ctx.at.to_string();
            let (reason, event) = match action {
                ObjectionAction::Acknowledge => {
                    tx.execute(
                        "UPDATE objections SET status = $2, acknowledged_at = $3::text::timestamptz WHERE id = $1",
                        &[&id, &to.as_str(), &at],
                    )
                    .map_err(err)?;
                    (None, "objection.acknowledged")
                }
                ObjectionAction::Extend(r) => {
                    tx.execute(
                        "UPDATE objections SET status = $2, extended_at = $3::text::timestamptz, extension_reason = $4 WHERE id = $1",
                        &[&id, &to.as_str(), &at, r],
                    )
                    .map_err(err)?;
                    (Some(r), "objection.extended")
                }
                ObjectionAction::Uphold(r) | ObjectionAction::Reject(r) => {
                    tx.execute(
                        "UPDATE objections SET status = $2, decided_at = $3::text::timestamptz, decision_reason = $4,
                         decided_by = $5 WHERE id = $1",
                        &[&id, &to.as_str(), &at, r, &ctx.actor],
                    )
                    .map_err(err)?;
                    (Some(r), if to == ObjectionStatus::Upheld { "objection.upheld" } else { "objection.rejected" })
                }
            };
            let detail = serde_json::json!({"objection_id": id, "reason": reason}).to_string();
            insert_event(tx, ctx, event, Some(subject_id), Some(record_id), &detail)?;
            Ok(to)
        })
    }

    fn objection_attachment(&self, id: i64) -> Result<Option<(i64, String, Vec<u8>)>> {
        self.opt_row("SELECT objection_id, filename, content FROM objection_attachments WHERE id = $1", &[&id], |r| {
            Ok((r.get(0), r.get(1), r.get(2)))
        })
    }

    fn file_repair(
        &self,
        ctx: &WriteContext,
        record_id: i64,
        subject_id: i64,
        commitment: &xinjiao_store::RepairCommitment<'_>,
        evidence: &str,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<i64> {
        let commitment_by = commitment.by;
        self.write(|tx| {
            let found = tx
                .query_opt(
                    "SELECT department_id FROM records WHERE id = $1 AND subject_id = $2 FOR UPDATE",
                    &[&record_id, &subject_id],
                )
                .map_err(err)?;
            let Some(row) = found else { return Err(StoreError::NotFound) };
            let department_id: Option<i64> = row.get(0);
            let busy: bool = tx
                .query_one(
                    "SELECT count(*) > 0 FROM repairs WHERE record_id = $1 AND status IN ('filed', 'accepted', 'approved')",
                    &[&record_id],
                )
                .map_err(err)?
                .get(0);
            if busy {
                return Err(StoreError::Conflict("该记录已有待处理或已批准的信用修复申请".into()));
            }
            let (name, content) = file.map_or((None, None), |(n, c)| (Some(n), Some(c)));
            let id: i64 = tx
                .query_one(
                    "INSERT INTO repairs (record_id, subject_id, department_id, commitment_by, evidence, evidence_name,
                                          evidence_file, status, filed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'filed', $8::text::timestamptz) RETURNING id",
                    &[&record_id, &subject_id, &department_id, &commitment_by, &evidence, &name, &content, &ctx.at.to_string()],
                )
                .map_err(err)?
                .get(0);
            let signed = xinjiao_store::commitments::repair_commitment(subject_id, department_id, commitment);
            let commitment_id = super::commitments::insert_repair_commitment(tx, ctx, &signed, id)?;
            let detail =
                serde_json::json!({"repair_id": id, "commitment_by": commitment_by, "commitment": commitment_id}).to_string();
            insert_event(tx, ctx, "repair.filed", Some(subject_id), Some(record_id), &detail)?;
            Ok(id)
        })
    }

    fn repairs(&self, filter: &RepairFilter, limit: u32) -> Result<Vec<Repair>> {
        self.with(|c| {
            c.query(
                "SELECT x.id, x.record_id, r.decision_no, x.subject_id, x.department_id, x.commitment_by, x.evidence,
                        x.evidence_name, x.status, (extract(epoch from x.filed_at) * 1000000)::bigint,
                        (extract(epoch from x.accepted_at) * 1000000)::bigint,
                        (extract(epoch from x.decided_at) * 1000000)::bigint, x.decision_reason, x.revoke_reason
                 FROM repairs x JOIN records r ON r.id = x.record_id
                 WHERE ($1::bigint IS NULL OR x.id = $1) AND ($2::bigint IS NULL OR x.subject_id = $2)
                   AND ($3::bigint[] IS NULL OR x.department_id = ANY($3))
                 ORDER BY x.id DESC LIMIT $4",
                &[&filter.id, &filter.subject_id, &filter.departments, &i64::from(limit)],
            )
            .map_err(err)?
            .iter()
            .map(|r| {
                let status: &str = r.get(8);
                let opt = |i: usize| r.get::<_, Option<i64>>(i).map(ts_micros).transpose();
                Ok(Repair {
                    id: r.get(0),
                    record_id: r.get(1),
                    decision_no: r.get(2),
                    subject_id: r.get(3),
                    department_id: r.get(4),
                    commitment_by: r.get(5),
                    evidence: r.get(6),
                    evidence_name: r.get(7),
                    status: RepairStatus::parse(status).ok_or_else(|| bad(format!("status {status}")))?,
                    filed_at: ts_micros(r.get(9))?,
                    accepted_at: opt(10)?,
                    decided_at: opt(11)?,
                    decision_reason: r.get(12),
                    revoke_reason: r.get(13),
                })
            })
            .collect()
        })
    }

    fn act_on_repair(&self, ctx: &WriteContext, id: i64, action: &RepairAction) -> Result<RepairStatus> {
        let rules = self.window_rules();
        self.write(|tx| {
            let found = tx
                .query_opt("SELECT status, subject_id, record_id FROM repairs WHERE id = $1 FOR UPDATE", &[&id])
                .map_err(err)?;
            let Some(row) = found else { return Err(StoreError::NotFound) };
            let status: String = row.get(0);
            let (subject_id, record_id): (i64, i64) = (row.get(1), row.get(2));
            let from = RepairStatus::parse(&status).ok_or_else(|| bad(format!("status {status}")))?;
            let to = action.apply(from).map_err(|m| StoreError::Conflict(m.into()))?;
            let at = ctx.at.to_string();
            let (reason, event) = match action {
                RepairAction::Accept => {
                    tx.execute(
                        "UPDATE repairs SET status = $2, accepted_at = $3::text::timestamptz WHERE id = $1",
                        &[&id, &to.as_str(), &at],
                    )
                    .map_err(err)?;
                    (None, "repair.accepted")
                }
                RepairAction::Approve(r) | RepairAction::Refuse(r) => {
                    tx.execute(
                        "UPDATE repairs SET status = $2, decided_at = $3::text::timestamptz, decision_reason = $4,
                         decided_by = $5 WHERE id = $1",
                        &[&id, &to.as_str(), &at, r, &ctx.actor],
                    )
                    .map_err(err)?;
                    if to == RepairStatus::Approved {
                        set_repaired(tx, record_id, Some(&ctx.china_date().to_string()))?;
                        recompute_window(tx, &rules, record_id)?;
                        LogWriter::open(tx)?.record_ending(
                            tx,
                            ctx.at,
                            LogEvent::RecordRepaired,
                            record_id,
                            ctx.china_date(),
                            r,
                        )?;
                    }
                    (Some(r), if to == RepairStatus::Approved { "repair.approved" } else { "repair.refused" })
                }
                RepairAction::Revoke(r) => {
                    tx.execute(
                        "UPDATE repairs SET status = $2, revoked_at = $3::text::timestamptz, revoke_reason = $4 WHERE id = $1",
                        &[&id, &to.as_str(), &at, r],
                    )
                    .map_err(err)?;
                    set_repaired(tx, record_id, None)?;
                    recompute_window(tx, &rules, record_id)?;
                    // The record is public again: logged as published anew.
                    LogWriter::open(tx)?.record_in_force(tx, ctx.at, LogEvent::RecordPublished, record_id)?;
                    // The commitment that went with the application was false.
                    super::commitments::repair_commitment_false(tx, ctx, id, ctx.china_date(), r)?;
                    (Some(r), "repair.revoked")
                }
            };
            let detail = serde_json::json!({"repair_id": id, "reason": reason}).to_string();
            insert_event(tx, ctx, event, Some(subject_id), Some(record_id), &detail)?;
            Ok(to)
        })
    }

    fn approve_record(&self, ctx: &WriteContext, record_id: i64) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            let found = tx
                .query_opt(
                    "SELECT review_state, subject_id, kind, version, pending_version, published_on IS NOT NULL
                     FROM records WHERE id = $1 FOR UPDATE",
                    &[&record_id],
                )
                .map_err(err)?;
            let Some(row) = found else { return Err(StoreError::NotFound) };
            if row.get::<_, Option<&str>>(0) != Some("pending") {
                return Err(StoreError::Conflict("该记录不在待审核状态".into()));
            }
            let subject_id: i64 = row.get(1);
            let kind = record_kind(row.get(2))?;
            let (version, pending, published): (i64, Option<i64>, bool) = (row.get(3), row.get(4), row.get(5));
            let approved = pending.unwrap_or(version);
            let fields: String = tx
                .query_one(
                    "SELECT fields FROM record_versions WHERE record_id = $1 AND version = $2",
                    &[&record_id, &approved],
                )
                .map_err(err)?
                .get(0);
            let fields: BTreeMap<String, String> = serde_json::from_str(&fields).unwrap_or_default();
            let rec = xinjiao_store::record_from_stored(kind, &fields, ctx.china_date())
                .ok_or_else(|| bad(format!("record {record_id} version {approved} does not parse")))?;
            let p = Prepared::new(tx, rules)?;
            // The subject follows the approved version (checked when it was submitted).
            let system = ctx.clone().overseeing(true);
            let subject = upsert_subject(tx, &p, &mut SubjectCache::new(), &system, &rec, true)?
                .map_err(|_| bad("subject refused for an overseeing write"))?;
            if pending.is_some() && published {
                // A reviewed change to a published record: it becomes the version in force.
                apply_version(tx, &p, ctx, record_id, approved, subject, &rec)?;
            } else {
                set_published(tx, record_id, &ctx.china_date().to_string(), approved)?;
                recompute_window(tx, &p.rules, record_id)?;
            }
            set_review_state(tx, record_id, None, None)?;
            let event = if published { LogEvent::RecordCorrected } else { LogEvent::RecordPublished };
            p.log(tx, &[Pending::record_version(ctx.at, event, kind, record_id, approved, &fields)])?;
            let detail = serde_json::json!({"version": approved}).to_string();
            insert_event(tx, ctx, "record.approved", Some(subject_id), Some(record_id), &detail)?;
            Ok(())
        })
    }

    fn reject_record(&self, ctx: &WriteContext, record_id: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            let found = tx
                .query_opt("SELECT review_state, subject_id FROM records WHERE id = $1 FOR UPDATE", &[&record_id])
                .map_err(err)?;
            let Some(row) = found else { return Err(StoreError::NotFound) };
            if row.get::<_, Option<&str>>(0) != Some("pending") {
                return Err(StoreError::Conflict("该记录不在待审核状态".into()));
            }
            let subject_id: i64 = row.get(1);
            set_review_state(tx, record_id, Some("rejected"), Some(reason))?;
            let detail = serde_json::json!({"reason": reason}).to_string();
            insert_event(tx, ctx, "record.rejected", Some(subject_id), Some(record_id), &detail)?;
            Ok(())
        })
    }
}
