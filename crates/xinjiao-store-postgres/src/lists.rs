//! The PostgreSQL backend of lists and measures ([`xinjiao_store::ListStore`]).

use xinjiao_core::calendar::Calendar;
use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
use xinjiao_core::lists::definition::PartyType;
use xinjiao_core::lists::entries::{EntryAction, EntryState};
use xinjiao_core::lists::limits::{Axles, VehicleType};
use xinjiao_core::lists::overload::{Detection, PenaltyFact, VehicleRow};
use xinjiao_core::records::record::Amount;
use xinjiao_store::lists::{Change, list_of, may_object, objection_status, plan_action};
use xinjiao_store::{Entry, EntryFilter, ListObjection, ListStore, NewEntry, NewListObjection, NewPartner, Partner};

use super::audit::insert_event;
use super::*;

fn vehicle_type(s: &str) -> Result<VehicleType> {
    VehicleType::parse(s).ok_or_else(|| bad(format!("vehicle type {s}")))
}

fn small(n: i64) -> Result<u8> {
    u8::try_from(n).map_err(|_| bad(format!("axles {n}")))
}

const DETECTION_COLUMNS: &str =
    "id, detected_on::text, place, plate, vehicle_type, axles, single_tyre_axles, drive_axles,
    gross_kg, driver_id, driver_name, enterprise_code, enterprise_name, penalty_no";

fn detection_of(r: &Row) -> Result<Detection> {
    Ok(Detection {
        id: r.get(0),
        date: parse_date(r.get(1))?,
        place: r.get(2),
        plate: r.get(3),
        vehicle: vehicle_type(r.get(4))?,
        axles: Axles {
            total: small(r.get(5))?,
            single_tyre: small(r.get(6))?,
            drive: r.get::<_, Option<i64>>(7).map(small).transpose()?,
        },
        gross_kg: u32::try_from(r.get::<_, i64>(8)).map_err(|_| bad("gross mass"))?,
        driver_id: r.get(9),
        driver_name: r.get(10),
        enterprise_code: r.get(11),
        enterprise_name: r.get(12),
        penalty_no: r.get(13),
    })
}

const ENTRY_COLUMNS: &str =
    "e.id, e.list_code, e.list_version, e.criterion, e.origin, e.party_type, e.party, e.party_name,
    e.subject_id, s.public_key, e.reason, e.evidence, e.department_id, e.state,
    (extract(epoch from e.proposed_at) * 1000000)::bigint, e.proposed_by,
    (extract(epoch from e.reviewed_at) * 1000000)::bigint, e.reviewed_by, e.review_note, e.notice_from::text,
    e.listed_on::text, e.shown_until::text, e.ended_on::text, e.end_kind, e.end_note";

fn entry_of(r: &Row) -> Result<Entry> {
    let opt_date = |i: usize| r.get::<_, Option<&str>>(i).map(parse_date).transpose();
    let p: &str = r.get(5);
    let st: &str = r.get(13);
    Ok(Entry {
        id: r.get(0),
        list_code: r.get(1),
        list_version: u32::try_from(r.get::<_, i64>(2)).map_err(|_| bad("list version"))?,
        criterion: u32::try_from(r.get::<_, i64>(3)).map_err(|_| bad("criterion"))?,
        origin: r.get(4),
        party_type: PartyType::parse(p).ok_or_else(|| bad(format!("party type {p}")))?,
        party: r.get(6),
        party_name: r.get(7),
        subject_id: r.get(8),
        subject_key: r.get(9),
        reason: r.get(10),
        evidence: r.get(11),
        department_id: r.get(12),
        state: EntryState::parse(st).ok_or_else(|| bad(format!("entry state {st}")))?,
        proposed_at: ts_micros(r.get(14))?,
        proposed_by: r.get(15),
        reviewed_at: r.get::<_, Option<i64>>(16).map(ts_micros).transpose()?,
        reviewed_by: r.get(17),
        review_note: r.get(18),
        notice_from: opt_date(19)?,
        listed_on: opt_date(20)?,
        shown_until: opt_date(21)?,
        ended_on: opt_date(22)?,
        end_kind: r.get(23),
        end_note: r.get(24),
    })
}

const OBJECTION_COLUMNS: &str = "id, entry_id, objector, filed_via, reasons, status,
    (extract(epoch from filed_at) * 1000000)::bigint, filed_on::text,
    (extract(epoch from acknowledged_at) * 1000000)::bigint, (extract(epoch from extended_at) * 1000000)::bigint,
    extension_reason, (extract(epoch from decided_at) * 1000000)::bigint, decision_reason, decided_by";

fn objection_of(r: &Row) -> Result<ListObjection> {
    let opt = |i: usize| r.get::<_, Option<i64>>(i).map(ts_micros).transpose();
    let st: &str = r.get(5);
    Ok(ListObjection {
        id: r.get(0),
        entry_id: r.get(1),
        objector: r.get(2),
        filed_via: r.get(3),
        reasons: r.get(4),
        status: ObjectionStatus::parse(st).ok_or_else(|| bad(format!("objection status {st}")))?,
        filed_at: ts_micros(r.get(6))?,
        filed_on: parse_date(r.get(7))?,
        acknowledged_at: opt(8)?,
        extended_at: opt(9)?,
        extension_reason: r.get(10),
        decided_at: opt(11)?,
        decision_reason: r.get(12),
        decided_by: r.get(13),
    })
}

fn entry_in(tx: &mut Transaction<'_>, id: i64) -> Result<Entry> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM list_entries e LEFT JOIN subjects s ON s.id = e.subject_id
                 WHERE e.id = $1 FOR UPDATE OF e"
            ),
            &[&id],
        )
        .map_err(err)?
        .ok_or(StoreError::NotFound)?;
    entry_of(&row)
}

fn objection_in(tx: &mut Transaction<'_>, id: i64) -> Result<ListObjection> {
    let row = tx
        .query_opt(&format!("SELECT {OBJECTION_COLUMNS} FROM list_objections WHERE id = $1 FOR UPDATE"), &[&id])
        .map_err(err)?
        .ok_or(StoreError::NotFound)?;
    objection_of(&row)
}

fn apply_change(tx: &mut Transaction<'_>, ctx: &WriteContext, e: &Entry, c: &Change) -> Result<()> {
    let day = |d: Option<Date>| d.map(|d| d.to_string());
    tx.execute(
        "UPDATE list_entries SET state = $2,
           reviewed_at = CASE WHEN $3 THEN $4::text::timestamptz ELSE reviewed_at END,
           reviewed_by = CASE WHEN $3 THEN $5 ELSE reviewed_by END,
           review_note = CASE WHEN $3 THEN $6 ELSE review_note END,
           notice_from = coalesce($7::text::date, notice_from), listed_on = coalesce($8::text::date, listed_on),
           shown_until = coalesce($9::text::date, shown_until), ended_on = coalesce($10::text::date, ended_on),
           end_kind = coalesce($11, end_kind), end_note = CASE WHEN $3 THEN end_note ELSE coalesce($6, end_note) END
         WHERE id = $1",
        &[
            &e.id,
            &c.state.as_str(),
            &c.review,
            &ctx.at.to_string(),
            &ctx.actor,
            &c.note,
            &day(c.notice_from),
            &day(c.listed_on),
            &day(c.shown_until),
            &day(c.ended_on),
            &c.end_kind.map(|k| k.as_str()),
        ],
    )
    .map_err(err)?;
    let detail = serde_json::json!({
        "entry": e.id, "list": e.list_code, "party": e.party, "from": e.state.as_str(), "to": c.state.as_str(),
        "note": c.note, "shown_until": c.shown_until.map(|d| d.to_string()),
    })
    .to_string();
    insert_event(tx, ctx, c.event, e.subject_id, None, &detail)?;
    if let Some(leaf) = xinjiao_store::transparency::list_leaf(e, c, ctx.at) {
        super::transparency::LogWriter::open(tx)?.append(tx, &[leaf])?;
    }
    Ok(())
}

impl ListStore for PgStore {
    fn save_vehicles(&self, ctx: &WriteContext, rows: &[VehicleRow]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let (mut created, mut changed) = (0, 0);
            for v in rows {
                let before = tx
                    .query_opt(
                        "SELECT vehicle_type, axles, enterprise_code, enterprise_name FROM vehicles WHERE plate = $1",
                        &[&v.plate],
                    )
                    .map_err(err)?
                    .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1), r.get::<_, String>(2), r.get::<_, String>(3)));
                let now =
                    (v.vehicle.as_str().to_string(), i64::from(v.axles), v.enterprise_code.clone(), v.enterprise_name.clone());
                if before.as_ref() == Some(&now) {
                    continue;
                }
                tx.execute(
                    "INSERT INTO vehicles (plate, vehicle_type, axles, enterprise_code, enterprise_name, updated_at, updated_by)
                     VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz, $7)
                     ON CONFLICT (plate) DO UPDATE SET vehicle_type = excluded.vehicle_type, axles = excluded.axles,
                       enterprise_code = excluded.enterprise_code, enterprise_name = excluded.enterprise_name,
                       updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    &[&v.plate, &now.0, &now.1, &v.enterprise_code, &v.enterprise_name, &ctx.at.to_string(), &ctx.actor],
                )
                .map_err(err)?;
                if before.is_some() {
                    changed += 1
                } else {
                    created += 1
                }
                let detail = serde_json::json!({
                    "plate": v.plate, "vehicle_type": now.0, "axles": v.axles,
                    "enterprise_code": v.enterprise_code, "before": before.map(|b| b.2),
                })
                .to_string();
                insert_event(tx, ctx, "vehicle.saved", None, None, &detail)?;
            }
            Ok((created, changed))
        })
    }

    fn vehicles(&self) -> Result<Vec<VehicleRow>> {
        self.rows(
            "SELECT plate, vehicle_type, axles, enterprise_code, enterprise_name FROM vehicles ORDER BY plate COLLATE \"C\"",
            &[],
            |r| {
                Ok(VehicleRow {
                    plate: r.get(0),
                    vehicle: vehicle_type(r.get(1))?,
                    axles: small(r.get(2))?,
                    enterprise_code: r.get(3),
                    enterprise_name: r.get(4),
                })
            },
        )
    }

    fn save_detections(&self, ctx: &WriteContext, rows: &[Detection]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let (mut created, mut changed) = (0, 0);
            let at = ctx.at.to_string();
            for d in rows {
                let (day, plate, place, gross) = d.key();
                let (day, gross) = (day.to_string(), i64::from(gross));
                let before = tx
                    .query_opt(
                        "SELECT id, driver_id, driver_name, enterprise_code, enterprise_name, penalty_no, vehicle_type,
                                axles, single_tyre_axles, drive_axles
                         FROM overload_detections
                         WHERE detected_on = $1::text::date AND plate = $2 AND place = $3 AND gross_kg = $4",
                        &[&day, &plate, &place, &gross],
                    )
                    .map_err(err)?;
                let now = (
                    d.driver_id.clone(),
                    d.driver_name.clone(),
                    d.enterprise_code.clone(),
                    d.enterprise_name.clone(),
                    d.penalty_no.clone(),
                    d.vehicle.as_str().to_string(),
                    i64::from(d.axles.total),
                    i64::from(d.axles.single_tyre),
                    d.axles.drive.map(i64::from),
                );
                match before {
                    Some(b) => {
                        let was = (
                            b.get::<_, String>(1),
                            b.get::<_, String>(2),
                            b.get::<_, String>(3),
                            b.get::<_, String>(4),
                            b.get::<_, Option<String>>(5),
                            b.get::<_, String>(6),
                            b.get::<_, i64>(7),
                            b.get::<_, i64>(8),
                            b.get::<_, Option<i64>>(9),
                        );
                        if was != now {
                            tx.execute(
                                "UPDATE overload_detections SET driver_id = $2, driver_name = $3, enterprise_code = $4,
                                   enterprise_name = $5, penalty_no = $6, vehicle_type = $7, axles = $8,
                                   single_tyre_axles = $9, drive_axles = $10, imported_at = $11::text::timestamptz,
                                   imported_by = $12
                                 WHERE id = $1",
                                &[
                                    &b.get::<_, i64>(0),
                                    &now.0,
                                    &now.1,
                                    &now.2,
                                    &now.3,
                                    &now.4,
                                    &now.5,
                                    &now.6,
                                    &now.7,
                                    &now.8,
                                    &at,
                                    &ctx.actor,
                                ],
                            )
                            .map_err(err)?;
                            changed += 1;
                        }
                    }
                    None => {
                        tx.execute(
                            "INSERT INTO overload_detections (detected_on, place, plate, vehicle_type, axles, single_tyre_axles,
                               drive_axles, gross_kg, driver_id, driver_name, enterprise_code, enterprise_name, penalty_no,
                               imported_at, imported_by)
                             VALUES ($1::text::date, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                                     $14::text::timestamptz, $15)",
                            &[
                                &day, &place, &plate, &now.5, &now.6, &now.7, &now.8, &gross, &now.0, &now.1, &now.2,
                                &now.3, &now.4, &at, &ctx.actor,
                            ],
                        )
                        .map_err(err)?;
                        created += 1;
                    }
                }
            }
            if created + changed > 0 {
                let detail = serde_json::json!({"created": created, "changed": changed}).to_string();
                insert_event(tx, ctx, "overloads.imported", None, None, &detail)?;
            }
            Ok((created, changed))
        })
    }

    fn detections_between(&self, from: Date, to: Date) -> Result<Vec<Detection>> {
        self.rows(
            &format!(
                "SELECT {DETECTION_COLUMNS} FROM overload_detections
                 WHERE detected_on >= $1::text::date AND detected_on <= $2::text::date ORDER BY detected_on, id"
            ),
            &[&from.to_string(), &to.to_string()],
            detection_of,
        )
    }

    fn enterprise_penalties(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>> {
        self.rows(
            "SELECT r.id, r.decision_no, s.uscc, s.name, r.decision_date::text,
                    coalesce(v.fields::jsonb ->> 'CF_CFLB', ''),
                    coalesce(v.fields::jsonb ->> 'CF_WFXW', '') || ' ' || coalesce(v.fields::jsonb ->> 'CF_SY', ''),
                    v.fields::jsonb ->> 'CF_NR_FK'
             FROM records r JOIN subjects s ON s.id = r.subject_id
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE r.kind = 'penalty' AND r.decision_date >= $1::text::date AND r.decision_date <= $2::text::date
               AND r.withdrawn_on IS NULL AND r.published_on IS NOT NULL
               AND s.uscc IN (SELECT enterprise_code FROM vehicles
                              UNION SELECT enterprise_code FROM overload_detections
                              WHERE detected_on >= $1::text::date AND detected_on <= $2::text::date)
             ORDER BY s.uscc COLLATE \"C\", r.decision_date, r.id",
            &[&from.to_string(), &to.to_string()],
            |r| {
                Ok(PenaltyFact {
                    record_id: r.get(0),
                    decision_no: r.get(1),
                    subject_code: r.get(2),
                    subject_name: r.get(3),
                    decided_on: parse_date(r.get(4))?,
                    categories: r.get(5),
                    violation: r.get(6),
                    fine: r.get::<_, Option<String>>(7).as_deref().and_then(Amount::parse_wan),
                })
            },
        )
    }

    fn propose_entry(&self, ctx: &WriteContext, entry: &NewEntry, today: Date) -> Result<i64> {
        let list = list_of(&entry.list_code)?;
        self.write(|tx| {
            // One proposal per party at a time: serialise proposals for the list.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('list_entries:' || $1))", &[&entry.list_code])
                .map_err(err)?;
            let open = tx
                .query_opt(
                    "SELECT id FROM list_entries WHERE list_code = $1 AND party_type = $2 AND party = $3
                       AND (state IN ('proposed', 'notice') OR (state = 'listed' AND shown_until >= $4::text::date))
                     LIMIT 1",
                    &[&entry.list_code, &entry.party_type.as_str(), &entry.party, &today.to_string()],
                )
                .map_err(err)?;
            if let Some(r) = open {
                return Err(StoreError::Conflict(format!(
                    "{} 已有未结束的条目（第 {} 号）",
                    entry.party_name,
                    r.get::<_, i64>(0)
                )));
            }
            let subject_id =
                entry.subject.as_ref().map(|s| super::records::find_or_create_subject(tx, ctx, s)).transpose()?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO list_entries (list_code, list_version, criterion, origin, party_type, party, party_name,
                       subject_id, reason, evidence, department_id, state, proposed_at, proposed_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'proposed', $12::text::timestamptz, $13)
                     RETURNING id",
                    &[
                        &entry.list_code,
                        &i64::from(list.version),
                        &i64::from(entry.criterion),
                        &entry.origin,
                        &entry.party_type.as_str(),
                        &entry.party,
                        &entry.party_name,
                        &subject_id,
                        &entry.reason,
                        &entry.evidence,
                        &entry.department_id,
                        &ctx.at.to_string(),
                        &ctx.actor,
                    ],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({
                "entry": id, "list": entry.list_code, "criterion": entry.criterion, "party": entry.party,
                "party_type": entry.party_type.as_str(), "origin": entry.origin,
            })
            .to_string();
            insert_event(tx, ctx, "list_entry.proposed", subject_id, None, &detail)?;
            Ok(id)
        })
    }

    fn entry(&self, id: i64) -> Result<Option<Entry>> {
        self.opt_row(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM list_entries e LEFT JOIN subjects s ON s.id = e.subject_id WHERE e.id = $1"
            ),
            &[&id],
            entry_of,
        )
    }

    fn entries(&self, filter: &EntryFilter, limit: u32) -> Result<Vec<Entry>> {
        let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
        let all_states = states.is_empty();
        self.rows(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM list_entries e LEFT JOIN subjects s ON s.id = e.subject_id
                 WHERE ($1::text IS NULL OR e.list_code = $1) AND ($2 OR e.state = ANY($3))
                   AND ($4::bigint IS NULL OR e.subject_id = $4) AND ($5::text IS NULL OR e.party = $5)
                 ORDER BY e.id DESC LIMIT $6"
            ),
            &[&filter.list_code, &all_states, &states, &filter.subject_id, &filter.party, &i64::from(limit)],
            entry_of,
        )
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
            let open: i64 = tx
                .query_one(
                    "SELECT count(*) FROM list_objections WHERE entry_id = $1 AND status IN ('filed', 'acknowledged')",
                    &[&id],
                )
                .map_err(err)?
                .get(0);
            let change = plan_action(&e, &ctx.actor, action, today, open as usize, cal)?;
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
            let id: i64 = tx
                .query_one(
                    "INSERT INTO list_objections (entry_id, objector, filed_via, reasons, status, filed_at, filed_on)
                     VALUES ($1, $2, $3, $4, 'filed', $5::text::timestamptz, $6::text::date) RETURNING id",
                    &[&o.entry_id, &o.objector, &o.filed_via, &o.reasons, &ctx.at.to_string(), &today.to_string()],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"objection": id, "entry": e.id, "via": o.filed_via}).to_string();
            insert_event(tx, ctx, "list_objection.filed", e.subject_id, None, &detail)?;
            Ok(id)
        })
    }

    fn list_objections(&self, entry_id: Option<i64>) -> Result<Vec<ListObjection>> {
        self.rows(
            &format!(
                "SELECT {OBJECTION_COLUMNS} FROM list_objections
                 WHERE ($1::bigint IS NULL AND status IN ('filed', 'acknowledged')) OR entry_id = $1 ORDER BY id"
            ),
            &[&entry_id],
            objection_of,
        )
    }

    fn act_on_list_objection(&self, ctx: &WriteContext, id: i64, action: &ObjectionAction) -> Result<ListObjection> {
        self.write(|tx| {
            let o = objection_in(tx, id)?;
            let status = objection_status(&o, action)?;
            let at = ctx.at.to_string();
            let (event, reason) = match action {
                ObjectionAction::Acknowledge => {
                    tx.execute(
                        "UPDATE list_objections SET status = $2, acknowledged_at = $3::text::timestamptz WHERE id = $1",
                        &[&id, &status.as_str(), &at],
                    )
                    .map_err(err)?;
                    ("list_objection.acknowledged", None)
                }
                ObjectionAction::Extend(r) => {
                    tx.execute(
                        "UPDATE list_objections SET status = $2, extended_at = $3::text::timestamptz, extension_reason = $4
                         WHERE id = $1",
                        &[&id, &status.as_str(), &at, r],
                    )
                    .map_err(err)?;
                    ("list_objection.extended", Some(r))
                }
                ObjectionAction::Uphold(r) | ObjectionAction::Reject(r) => {
                    tx.execute(
                        "UPDATE list_objections SET status = $2, decided_at = $3::text::timestamptz, decision_reason = $4,
                           decided_by = $5
                         WHERE id = $1",
                        &[&id, &status.as_str(), &at, r, &ctx.actor],
                    )
                    .map_err(err)?;
                    let event = if matches!(action, ObjectionAction::Uphold(_)) {
                        "list_objection.upheld"
                    } else {
                        "list_objection.rejected"
                    };
                    (event, Some(r))
                }
            };
            let e = entry_in(tx, o.entry_id)?;
            let detail =
                serde_json::json!({"objection": id, "entry": e.id, "status": status.as_str(), "reason": reason}).to_string();
            insert_event(tx, ctx, event, e.subject_id, None, &detail)?;
            if let ObjectionAction::Uphold(r) = action {
                let note = format!("异议成立：{r}");
                let change = plan_action(&e, &ctx.actor, &EntryAction::Withdraw(note), ctx.china_date(), 0, &Calendar::embedded())?;
                apply_change(tx, ctx, &e, &change)?;
            }
            objection_in(tx, id)
        })
    }

    fn create_partner(&self, ctx: &WriteContext, p: &NewPartner) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO check_partners (name, scenarios, token_hash, created_at, created_by, expires_at)
                     VALUES ($1, $2, $3, $4::text::timestamptz, $5, $6::text::timestamptz) RETURNING id",
                    &[
                        &p.name,
                        &p.scenarios.join(","),
                        &p.token_hash,
                        &ctx.at.to_string(),
                        &ctx.actor,
                        &p.expires_at.to_string(),
                    ],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"partner": id, "name": p.name, "scenarios": p.scenarios}).to_string();
            insert_event(tx, ctx, "check_partner.created", None, None, &detail)?;
            Ok(id)
        })
    }

    fn partner_by_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<Partner>> {
        Ok(self
            .rows(
                &format!("SELECT {PARTNER_COLUMNS} FROM check_partners WHERE token_hash = $1"),
                &[&token_hash],
                partner_of,
            )?
            .into_iter()
            .find(|p| p.revoked_at.is_none() && p.expires_at > now))
    }

    fn partners(&self) -> Result<Vec<Partner>> {
        self.rows(&format!("SELECT {PARTNER_COLUMNS} FROM check_partners ORDER BY id"), &[], partner_of)
    }

    fn revoke_partner(&self, ctx: &WriteContext, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE check_partners SET revoked_at = $2::text::timestamptz WHERE id = $1 AND revoked_at IS NULL",
                    &[&id, &ctx.at.to_string()],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            insert_event(
                tx,
                ctx,
                "check_partner.revoked",
                None,
                None,
                &serde_json::json!({"partner": id}).to_string(),
            )?;
            Ok(())
        })
    }
}

const PARTNER_COLUMNS: &str = "id, name, scenarios, (extract(epoch from created_at) * 1000000)::bigint, created_by,
    (extract(epoch from expires_at) * 1000000)::bigint, (extract(epoch from revoked_at) * 1000000)::bigint";

fn partner_of(r: &Row) -> Result<Partner> {
    Ok(Partner {
        id: r.get(0),
        name: r.get(1),
        scenarios: r.get::<_, String>(2).split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        created_at: ts_micros(r.get(3))?,
        created_by: r.get(4),
        expires_at: ts_micros(r.get(5))?,
        revoked_at: r.get::<_, Option<i64>>(6).map(ts_micros).transpose()?,
    })
}
