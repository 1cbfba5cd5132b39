//! The SQLite backend of the lifecycle of published records: windows, withdrawals, objections, repairs and review ([`xinjiao_store::LifecycleStore`]).

use super::audit::insert_record_event;
use super::records::{Found, StreamState, apply_version, recompute_window, upsert_subject};
use super::records::{invalidate_windows, set_published, set_repaired, set_review_state, set_withdrawn, store_window};
use super::transparency::LogWriter;
use super::*;
use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_store::transparency::PendingLeaf;

impl LifecycleStore for SqliteStore {
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
            set_withdrawn(tx, record_id, &today, reason, change_decided_on).map_err(err)?;
            recompute_window(tx, &rules, record_id).map_err(err)?;
            let detail = serde_json::json!({
                "withdrawn_on": today, "reason": reason, "change_decided_on": change_decided_on.to_string()
            })
            .to_string();
            insert_record_event(tx, ctx, "record.withdrawn", subject_id, record_id, &authority, &detail)
                .map_err(err)?;
            LogWriter::open(tx)
                .and_then(|mut w| {
                    w.record_ending(tx, ctx.at, LogEvent::RecordWithdrawn, record_id, ctx.china_date(), reason)
                })
                .map_err(err)?;
            Ok(())
        })
    }

    fn set_windows(&self, fingerprint: &str, windows: &[(i64, RecordWindow)]) -> Result<()> {
        self.write(|tx| {
            for (id, w) in windows {
                store_window(tx, fingerprint, *id, w).map_err(err)?;
            }
            Ok(())
        })
    }

    fn invalidate_windows(&self, fingerprint: &str) -> Result<()> {
        self.write(|tx| invalidate_windows(tx, fingerprint).map_err(err))
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
                            o.decision_reason, o.decided_by, s.name
                     FROM objections o JOIN records r ON r.id = o.record_id JOIN subjects s ON s.id = o.subject_id
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
                        subject_name: r.get(15)?,
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
        commitment: &xinjiao_store::RepairCommitment<'_>,
        evidence: &str,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<i64> {
        let commitment_by = commitment.by;
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
            let signed = xinjiao_store::commitments::repair_commitment(subject_id, department_id, commitment);
            let commitment_id = super::commitments::insert_repair_commitment(tx, ctx, &signed, id)?;
            let detail =
                serde_json::json!({"repair_id": id, "commitment_by": commitment_by, "commitment": commitment_id}).to_string();
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
                        set_repaired(tx, record_id, Some(&ctx.china_date().to_string())).map_err(err)?;
                        recompute_window(tx, &rules, record_id).map_err(err)?;
                        LogWriter::open(tx)
                            .and_then(|mut w| {
                                w.record_ending(tx, ctx.at, LogEvent::RecordRepaired, record_id, ctx.china_date(), r)
                            })
                            .map_err(err)?;
                    }
                    (Some(r), if to == RepairStatus::Approved { "repair.approved" } else { "repair.refused" })
                }
                RepairAction::Revoke(r) => {
                    tx.execute(
                        "UPDATE repairs SET status = ?2, revoked_at = ?3, revoke_reason = ?4 WHERE id = ?1",
                        params![id, to.as_str(), at, r],
                    )
                    .map_err(err)?;
                    set_repaired(tx, record_id, None).map_err(err)?;
                    recompute_window(tx, &rules, record_id).map_err(err)?;
                    // The record is public again: logged as published anew.
                    LogWriter::open(tx)
                        .and_then(|mut w| w.record_in_force(tx, ctx.at, LogEvent::RecordPublished, record_id))
                        .map_err(err)?;
                    // The commitment that went with the application was false.
                    super::commitments::repair_commitment_false(tx, ctx, id, ctx.china_date(), r)?;
                    (Some(r), "repair.revoked")
                }
            };
            let detail = serde_json::json!({"repair_id": id, "reason": reason}).to_string();
            insert_record_event(tx, ctx, event, subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(to)
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
            let event = if published.is_some() { LogEvent::RecordCorrected } else { LogEvent::RecordPublished };
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
                set_published(tx, record_id, &today, approved).map_err(err)?;
                *st.day_counts.entry((decided, k.as_str(), dept.unwrap_or(0), today)).or_default() += 1;
                recompute_window(tx, &st.rules, record_id).map_err(err)?;
            }
            set_review_state(tx, record_id, None, None).map_err(err)?;
            let leaf = PendingLeaf::record_version(ctx.at, event, k, record_id, approved, &fields);
            st.log(tx).and_then(|w| w.append(tx, &leaf)).map_err(err)?;
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
            set_review_state(tx, record_id, Some("rejected"), Some(reason)).map_err(err)?;
            let detail = serde_json::json!({"reason": reason}).to_string();
            insert_record_event(tx, ctx, "record.rejected", subject_id, record_id, &authority, &detail).map_err(err)?;
            Ok(())
        })
    }
}
