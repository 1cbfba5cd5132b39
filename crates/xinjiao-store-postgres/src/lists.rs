//! The PostgreSQL backend of lists and measures ([`xinjiao_store::ListStore`]).

use xinjiao_core::lists::limits::{Axles, VehicleType};
use xinjiao_core::lists::overload::{Detection, PenaltyFact, VehicleRow};
use xinjiao_core::records::record::Amount;
use xinjiao_store::ListStore;

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
}
