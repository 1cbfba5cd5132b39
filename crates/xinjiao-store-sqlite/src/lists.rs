//! The SQLite backend of lists and measures ([`xinjiao_store::ListStore`]).

use xinjiao_core::calendar::Calendar;
use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
use xinjiao_core::lists::definition::PartyType;
use xinjiao_core::lists::entries::{EntryAction, EntryState};
use xinjiao_core::lists::limits::{Axles, VehicleType};
use xinjiao_core::lists::overload::{Detection, PenaltyFact, VehicleRow};
use xinjiao_core::records::record::Amount;
use xinjiao_store::lists::{list_of, may_object, objection_status, plan_action};
use xinjiao_store::{Entry, EntryFilter, ListObjection, ListStore, NewEntry, NewListObjection, NewPartner, Partner};

use super::audit::insert_event;
use super::*;

fn vehicle_type(s: String) -> rusqlite::Result<VehicleType> {
    VehicleType::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("vehicle type {s}").into())
    })
}

const DETECTION_COLUMNS: &str =
    "id, detected_on, place, plate, vehicle_type, axles, single_tyre_axles, drive_axles, gross_kg,
    driver_id, driver_name, enterprise_code, enterprise_name, penalty_no";

fn detection_of(r: &Row) -> rusqlite::Result<Detection> {
    Ok(Detection {
        id: r.get(0)?,
        date: date(r.get(1)?)?,
        place: r.get(2)?,
        plate: r.get(3)?,
        vehicle: vehicle_type(r.get(4)?)?,
        axles: Axles { total: r.get(5)?, single_tyre: r.get(6)?, drive: r.get(7)? },
        gross_kg: r.get(8)?,
        driver_id: r.get(9)?,
        driver_name: r.get(10)?,
        enterprise_code: r.get(11)?,
        enterprise_name: r.get(12)?,
        penalty_no: r.get(13)?,
    })
}

fn conversion(what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

const ENTRY_COLUMNS: &str =
    "e.id, e.list_code, e.list_version, e.criterion, e.origin, e.party_type, e.party, e.party_name,
    e.subject_id, s.public_key, e.reason, e.evidence, e.department_id, e.state, e.proposed_at, e.proposed_by,
    e.reviewed_at, e.reviewed_by, e.review_note, e.notice_from, e.listed_on, e.shown_until, e.ended_on, e.end_kind,
    e.end_note";

fn entry_of(r: &Row) -> rusqlite::Result<Entry> {
    let opt_date =
        |i: usize| -> rusqlite::Result<Option<Date>> { r.get::<_, Option<String>>(i)?.map(date).transpose() };
    Ok(Entry {
        id: r.get(0)?,
        list_code: r.get(1)?,
        list_version: r.get(2)?,
        criterion: r.get(3)?,
        origin: r.get(4)?,
        party_type: {
            let p: String = r.get(5)?;
            PartyType::parse(&p).ok_or_else(|| conversion(format!("party type {p}")))?
        },
        party: r.get(6)?,
        party_name: r.get(7)?,
        subject_id: r.get(8)?,
        subject_key: r.get(9)?,
        reason: r.get(10)?,
        evidence: r.get(11)?,
        department_id: r.get(12)?,
        state: {
            let st: String = r.get(13)?;
            EntryState::parse(&st).ok_or_else(|| conversion(format!("entry state {st}")))?
        },
        proposed_at: ts(r.get(14)?)?,
        proposed_by: r.get(15)?,
        reviewed_at: r.get::<_, Option<String>>(16)?.map(ts).transpose()?,
        reviewed_by: r.get(17)?,
        review_note: r.get(18)?,
        notice_from: opt_date(19)?,
        listed_on: opt_date(20)?,
        shown_until: opt_date(21)?,
        ended_on: opt_date(22)?,
        end_kind: r.get(23)?,
        end_note: r.get(24)?,
    })
}

const OBJECTION_COLUMNS: &str =
    "id, entry_id, objector, filed_via, reasons, status, filed_at, filed_on, acknowledged_at,
    extended_at, extension_reason, decided_at, decision_reason, decided_by";

fn objection_of(r: &Row) -> rusqlite::Result<ListObjection> {
    let opt_ts =
        |i: usize| -> rusqlite::Result<Option<Timestamp>> { r.get::<_, Option<String>>(i)?.map(ts).transpose() };
    Ok(ListObjection {
        id: r.get(0)?,
        entry_id: r.get(1)?,
        objector: r.get(2)?,
        filed_via: r.get(3)?,
        reasons: r.get(4)?,
        status: {
            let st: String = r.get(5)?;
            ObjectionStatus::parse(&st).ok_or_else(|| conversion(format!("objection status {st}")))?
        },
        filed_at: ts(r.get(6)?)?,
        filed_on: date(r.get(7)?)?,
        acknowledged_at: opt_ts(8)?,
        extended_at: opt_ts(9)?,
        extension_reason: r.get(10)?,
        decided_at: opt_ts(11)?,
        decision_reason: r.get(12)?,
        decided_by: r.get(13)?,
    })
}

fn entry_in(tx: &Connection, id: i64) -> Result<Entry> {
    tx.query_row(
        &format!(
            "SELECT {ENTRY_COLUMNS} FROM list_entries e LEFT JOIN subjects s ON s.id = e.subject_id WHERE e.id = ?1"
        ),
        [id],
        entry_of,
    )
    .optional()
    .map_err(err)?
    .ok_or(StoreError::NotFound)
}

fn open_objections(tx: &Connection, entry_id: i64) -> Result<usize> {
    tx.query_row(
        "SELECT count(*) FROM list_objections WHERE entry_id = ?1 AND status IN ('filed', 'acknowledged')",
        [entry_id],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as usize)
    .map_err(err)
}

/// Applies a planned change and appends its event.
fn apply_change(tx: &Connection, ctx: &WriteContext, e: &Entry, c: &xinjiao_store::lists::Change) -> Result<()> {
    let at = ctx.at.to_string();
    tx.execute(
        "UPDATE list_entries SET state = ?2,
           reviewed_at = CASE WHEN ?3 THEN ?4 ELSE reviewed_at END,
           reviewed_by = CASE WHEN ?3 THEN ?5 ELSE reviewed_by END,
           review_note = CASE WHEN ?3 THEN ?6 ELSE review_note END,
           notice_from = coalesce(?7, notice_from), listed_on = coalesce(?8, listed_on),
           shown_until = coalesce(?9, shown_until), ended_on = coalesce(?10, ended_on),
           end_kind = coalesce(?11, end_kind), end_note = CASE WHEN ?3 THEN end_note ELSE coalesce(?6, end_note) END
         WHERE id = ?1",
        params![
            e.id,
            c.state.as_str(),
            c.review,
            at,
            ctx.actor,
            c.note,
            c.notice_from.map(|d| d.to_string()),
            c.listed_on.map(|d| d.to_string()),
            c.shown_until.map(|d| d.to_string()),
            c.ended_on.map(|d| d.to_string()),
            c.end_kind.map(|k| k.as_str()),
        ],
    )
    .map_err(err)?;
    let detail = serde_json::json!({
        "entry": e.id, "list": e.list_code, "party": e.party, "from": e.state.as_str(), "to": c.state.as_str(),
        "note": c.note, "shown_until": c.shown_until.map(|d| d.to_string()),
    })
    .to_string();
    insert_event(tx, ctx, c.event, e.subject_id, None, &detail).map_err(err)?;
    if let Some(leaf) = xinjiao_store::transparency::list_leaf(e, c, ctx.at) {
        let mut log = super::transparency::LogWriter::open(tx).map_err(err)?;
        log.append(tx, &leaf).map_err(err)?;
    }
    Ok(())
}

impl ListStore for SqliteStore {
    fn save_vehicles(&self, ctx: &WriteContext, rows: &[VehicleRow]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let (mut created, mut changed) = (0, 0);
            for v in rows {
                let before: Option<(String, u8, String, String)> = tx
                    .query_row(
                        "SELECT vehicle_type, axles, enterprise_code, enterprise_name FROM vehicles WHERE plate = ?1",
                        [&v.plate],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()
                    .map_err(err)?;
                let now = (v.vehicle.as_str().to_string(), v.axles, v.enterprise_code.clone(), v.enterprise_name.clone());
                if before.as_ref() == Some(&now) {
                    continue;
                }
                tx.execute(
                    "INSERT INTO vehicles (plate, vehicle_type, axles, enterprise_code, enterprise_name, updated_at, updated_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (plate) DO UPDATE SET vehicle_type = excluded.vehicle_type, axles = excluded.axles,
                       enterprise_code = excluded.enterprise_code, enterprise_name = excluded.enterprise_name,
                       updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    params![v.plate, now.0, v.axles, v.enterprise_code, v.enterprise_name, ctx.at.to_string(), ctx.actor],
                )
                .map_err(err)?;
                if before.is_some() { changed += 1 } else { created += 1 }
                let detail = serde_json::json!({
                    "plate": v.plate, "vehicle_type": now.0, "axles": v.axles,
                    "enterprise_code": v.enterprise_code, "before": before.map(|b| b.2),
                })
                .to_string();
                insert_event(tx, ctx, "vehicle.saved", None, None, &detail).map_err(err)?;
            }
            Ok((created, changed))
        })
    }

    fn vehicles(&self) -> Result<Vec<VehicleRow>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT plate, vehicle_type, axles, enterprise_code, enterprise_name FROM vehicles ORDER BY plate",
            )?
            .query_map([], |r| {
                Ok(VehicleRow {
                    plate: r.get(0)?,
                    vehicle: vehicle_type(r.get(1)?)?,
                    axles: r.get(2)?,
                    enterprise_code: r.get(3)?,
                    enterprise_name: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    fn save_detections(&self, ctx: &WriteContext, rows: &[Detection]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let (mut created, mut changed) = (0, 0);
            for d in rows {
                let (day, plate, place, gross) = d.key();
                type Columns = (String, String, String, String, Option<String>, String, u8, u8, Option<u8>);
                let before: Option<(i64, Columns)> = tx
                    .query_row(
                        "SELECT id, driver_id, driver_name, enterprise_code, enterprise_name, penalty_no, vehicle_type,
                                axles, single_tyre_axles, drive_axles
                         FROM overload_detections WHERE detected_on = ?1 AND plate = ?2 AND place = ?3 AND gross_kg = ?4",
                        params![day.to_string(), plate, place, gross],
                        |r| {
                            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?)))
                        },
                    )
                    .optional()
                    .map_err(err)?;
                let now = (
                    d.driver_id.clone(),
                    d.driver_name.clone(),
                    d.enterprise_code.clone(),
                    d.enterprise_name.clone(),
                    d.penalty_no.clone(),
                    d.vehicle.as_str().to_string(),
                    d.axles.total,
                    d.axles.single_tyre,
                    d.axles.drive,
                );
                match before {
                    Some((_, was)) if was == now => {}
                    Some(b) => {
                        tx.execute(
                            "UPDATE overload_detections SET driver_id = ?2, driver_name = ?3, enterprise_code = ?4,
                               enterprise_name = ?5, penalty_no = ?6, vehicle_type = ?7, axles = ?8,
                               single_tyre_axles = ?9, drive_axles = ?10, imported_at = ?11, imported_by = ?12
                             WHERE id = ?1",
                            params![b.0, now.0, now.1, now.2, now.3, now.4, now.5, now.6, now.7, now.8, ctx.at.to_string(), ctx.actor],
                        )
                        .map_err(err)?;
                        changed += 1;
                    }
                    None => {
                        tx.execute(
                            "INSERT INTO overload_detections (detected_on, place, plate, vehicle_type, axles, single_tyre_axles,
                               drive_axles, gross_kg, driver_id, driver_name, enterprise_code, enterprise_name, penalty_no,
                               imported_at, imported_by)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                            params![
                                day.to_string(), place, plate, now.5, now.6, now.7, now.8, gross, now.0, now.1, now.2,
                                now.3, now.4, ctx.at.to_string(), ctx.actor
                            ],
                        )
                        .map_err(err)?;
                        created += 1;
                    }
                }
            }
            if created + changed > 0 {
                let detail = serde_json::json!({"created": created, "changed": changed}).to_string();
                insert_event(tx, ctx, "overloads.imported", None, None, &detail).map_err(err)?;
            }
            Ok((created, changed))
        })
    }

    fn detections_between(&self, from: Date, to: Date) -> Result<Vec<Detection>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {DETECTION_COLUMNS} FROM overload_detections
                 WHERE detected_on >= ?1 AND detected_on <= ?2 ORDER BY detected_on, id"
            ))?
            .query_map(params![from.to_string(), to.to_string()], detection_of)?
            .collect()
        })
    }

    fn enterprise_penalties(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT r.id, r.decision_no, s.uscc, s.name, r.decision_date,
                        coalesce(json_extract(v.fields, '$.CF_CFLB'), ''),
                        coalesce(json_extract(v.fields, '$.CF_WFXW'), '') || ' ' || coalesce(json_extract(v.fields, '$.CF_SY'), ''),
                        json_extract(v.fields, '$.CF_NR_FK')
                 FROM records r JOIN subjects s ON s.id = r.subject_id
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE r.kind = 'penalty' AND r.decision_date >= ?1 AND r.decision_date <= ?2
                   AND r.withdrawn_on IS NULL AND r.published_on IS NOT NULL
                   AND s.uscc IN (SELECT enterprise_code FROM vehicles
                                  UNION SELECT enterprise_code FROM overload_detections
                                  WHERE detected_on >= ?1 AND detected_on <= ?2)
                 ORDER BY s.uscc, r.decision_date, r.id",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                Ok(PenaltyFact {
                    record_id: r.get(0)?,
                    decision_no: r.get(1)?,
                    subject_code: r.get(2)?,
                    subject_name: r.get(3)?,
                    decided_on: date(r.get(4)?)?,
                    categories: r.get(5)?,
                    violation: r.get(6)?,
                    fine: r.get::<_, Option<String>>(7)?.as_deref().and_then(Amount::parse_wan),
                })
            })?
            .collect()
        })
    }

    fn propose_entry(&self, ctx: &WriteContext, entry: &NewEntry, today: Date) -> Result<i64> {
        let list = list_of(&entry.list_code)?;
        self.write(|tx| {
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM list_entries WHERE list_code = ?1 AND party_type = ?2 AND party = ?3
                       AND (state IN ('proposed', 'notice') OR (state = 'listed' AND shown_until >= ?4))
                     LIMIT 1",
                    params![entry.list_code, entry.party_type.as_str(), entry.party, today.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err)?;
            if let Some(id) = open {
                return Err(StoreError::Conflict(format!("{} 已有未结束的条目（第 {id} 号）", entry.party_name)));
            }
            let subject_id = entry
                .subject
                .as_ref()
                .map(|s| super::records::find_or_create_subject(tx, ctx, s))
                .transpose()
                .map_err(err)?;
            tx.execute(
                "INSERT INTO list_entries (list_code, list_version, criterion, origin, party_type, party, party_name,
                   subject_id, reason, evidence, department_id, state, proposed_at, proposed_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'proposed', ?12, ?13)",
                params![
                    entry.list_code,
                    list.version,
                    entry.criterion,
                    entry.origin,
                    entry.party_type.as_str(),
                    entry.party,
                    entry.party_name,
                    subject_id,
                    entry.reason,
                    entry.evidence,
                    entry.department_id,
                    ctx.at.to_string(),
                    ctx.actor,
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({
                "entry": id, "list": entry.list_code, "criterion": entry.criterion, "party": entry.party,
                "party_type": entry.party_type.as_str(), "origin": entry.origin,
            })
            .to_string();
            insert_event(tx, ctx, "list_entry.proposed", subject_id, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn entry(&self, id: i64) -> Result<Option<Entry>> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM list_entries e LEFT JOIN subjects s ON s.id = e.subject_id WHERE e.id = ?1"),
                [id],
                entry_of,
            )
            .optional()
        })
    }

    fn entries(&self, filter: &EntryFilter, limit: u32) -> Result<Vec<Entry>> {
        let mut sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM list_entries e LEFT JOIN subjects s ON s.id = e.subject_id WHERE 1 = 1"
        );
        let mut args: Vec<Value> = Vec::new();
        if let Some(l) = &filter.list_code {
            args.push(Value::Text(l.clone()));
            sql.push_str(&format!(" AND e.list_code = ?{}", args.len()));
        }
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter
                .states
                .iter()
                .map(|st| {
                    args.push(Value::Text(st.as_str().into()));
                    format!("?{}", args.len())
                })
                .collect();
            sql.push_str(&format!(" AND e.state IN ({})", marks.join(", ")));
        }
        if let Some(id) = filter.subject_id {
            args.push(Value::Integer(id));
            sql.push_str(&format!(" AND e.subject_id = ?{}", args.len()));
        }
        if let Some(p) = &filter.party {
            args.push(Value::Text(p.clone()));
            sql.push_str(&format!(" AND e.party = ?{}", args.len()));
        }
        args.push(Value::Integer(i64::from(limit)));
        sql.push_str(&format!(" ORDER BY e.id DESC LIMIT ?{}", args.len()));
        self.read(|c| c.prepare(&sql)?.query_map(params_from_iter(args), entry_of)?.collect())
    }

    fn act_on_entry(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: &EntryAction,
        today: Date,
        cal: &Calendar,
    ) -> Result<Entry> {
        self.write(|tx| {
            let e = entry_in(tx, id)?;
            let change = plan_action(&e, &ctx.actor, action, today, open_objections(tx, id)?, cal)?;
            apply_change(tx, ctx, &e, &change)?;
            entry_in(tx, id)
        })
    }

    fn file_list_objection(
        &self,
        ctx: &WriteContext,
        o: &NewListObjection,
        today: Date,
        cal: &Calendar,
    ) -> Result<i64> {
        self.write(|tx| {
            let e = entry_in(tx, o.entry_id)?;
            may_object(&e, today, cal)?;
            tx.execute(
                "INSERT INTO list_objections (entry_id, objector, filed_via, reasons, status, filed_at, filed_on)
                 VALUES (?1, ?2, ?3, ?4, 'filed', ?5, ?6)",
                params![o.entry_id, o.objector, o.filed_via, o.reasons, ctx.at.to_string(), today.to_string()],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"objection": id, "entry": e.id, "via": o.filed_via}).to_string();
            insert_event(tx, ctx, "list_objection.filed", e.subject_id, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn list_objections(&self, entry_id: Option<i64>) -> Result<Vec<ListObjection>> {
        self.read(|c| match entry_id {
            Some(id) => c
                .prepare_cached(&format!("SELECT {OBJECTION_COLUMNS} FROM list_objections WHERE entry_id = ?1 ORDER BY id"))?
                .query_map([id], objection_of)?
                .collect(),
            None => c
                .prepare_cached(&format!(
                    "SELECT {OBJECTION_COLUMNS} FROM list_objections WHERE status IN ('filed', 'acknowledged') ORDER BY id"
                ))?
                .query_map([], objection_of)?
                .collect(),
        })
    }

    fn act_on_list_objection(&self, ctx: &WriteContext, id: i64, action: &ObjectionAction) -> Result<ListObjection> {
        self.write(|tx| {
            let o = tx
                .query_row(
                    &format!("SELECT {OBJECTION_COLUMNS} FROM list_objections WHERE id = ?1"),
                    [id],
                    objection_of,
                )
                .optional()
                .map_err(err)?
                .ok_or(StoreError::NotFound)?;
            let status = objection_status(&o, action)?;
            let at = ctx.at.to_string();
            let st = status.as_str();
            let (event, reason) = match action {
                ObjectionAction::Acknowledge => {
                    tx.execute(
                        "UPDATE list_objections SET status = ?2, acknowledged_at = ?3 WHERE id = ?1",
                        params![id, st, at],
                    )
                    .map_err(err)?;
                    ("list_objection.acknowledged", None)
                }
                ObjectionAction::Extend(r) => {
                    tx.execute(
                        "UPDATE list_objections SET status = ?2, extended_at = ?3, extension_reason = ?4 WHERE id = ?1",
                        params![id, st, at, r],
                    )
                    .map_err(err)?;
                    ("list_objection.extended", Some(r))
                }
                ObjectionAction::Uphold(r) | ObjectionAction::Reject(r) => {
                    tx.execute(
                        "UPDATE list_objections SET status = ?2, decided_at = ?3, decision_reason = ?4, decided_by = ?5
                         WHERE id = ?1",
                        params![id, st, at, r, ctx.actor],
                    )
                    .map_err(err)?;
                    let upheld = matches!(action, ObjectionAction::Uphold(_));
                    (if upheld { "list_objection.upheld" } else { "list_objection.rejected" }, Some(r))
                }
            };
            let e = entry_in(tx, o.entry_id)?;
            let detail =
                serde_json::json!({"objection": id, "entry": e.id, "status": status.as_str(), "reason": reason})
                    .to_string();
            insert_event(tx, ctx, event, e.subject_id, None, &detail).map_err(err)?;
            if let ObjectionAction::Uphold(r) = action {
                let note = format!("异议成立：{r}");
                let change = plan_action(
                    &e,
                    &ctx.actor,
                    &EntryAction::Withdraw(note),
                    ctx.china_date(),
                    0,
                    &Calendar::embedded(),
                )?;
                apply_change(tx, ctx, &e, &change)?;
            }
            tx.query_row(&format!("SELECT {OBJECTION_COLUMNS} FROM list_objections WHERE id = ?1"), [id], objection_of)
                .map_err(err)
        })
    }

    fn create_partner(&self, ctx: &WriteContext, p: &NewPartner) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO check_partners (name, scenarios, token_hash, created_at, created_by, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    p.name,
                    p.scenarios.join(","),
                    p.token_hash,
                    ctx.at.to_string(),
                    ctx.actor,
                    p.expires_at.to_string()
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"partner": id, "name": p.name, "scenarios": p.scenarios}).to_string();
            insert_event(tx, ctx, "check_partner.created", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn partner_by_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<Partner>> {
        Ok(self
            .partners_where("token_hash = ?1", &[&token_hash])?
            .into_iter()
            .find(|p| p.revoked_at.is_none() && p.expires_at > now))
    }

    fn partners(&self) -> Result<Vec<Partner>> {
        self.partners_where("1 = 1", &[])
    }

    fn revoke_partner(&self, ctx: &WriteContext, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE check_partners SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, ctx.at.to_string()],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            insert_event(tx, ctx, "check_partner.revoked", None, None, &serde_json::json!({"partner": id}).to_string())
                .map_err(err)?;
            Ok(())
        })
    }
}

impl SqliteStore {
    fn partners_where(&self, cond: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Partner>> {
        self.read(|c| {
            c.prepare(&format!(
                "SELECT id, name, scenarios, created_at, created_by, expires_at, revoked_at FROM check_partners WHERE {cond} ORDER BY id"
            ))?
            .query_map(args, |r| {
                Ok(Partner {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    scenarios: r.get::<_, String>(2)?.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                    created_at: ts(r.get(3)?)?,
                    created_by: r.get(4)?,
                    expires_at: ts(r.get(5)?)?,
                    revoked_at: r.get::<_, Option<String>>(6)?.map(ts).transpose()?,
                })
            })?
            .collect()
        })
    }
}
