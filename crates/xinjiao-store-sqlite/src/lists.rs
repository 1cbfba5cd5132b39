//! The SQLite backend of lists and measures ([`xinjiao_store::ListStore`]).

use xinjiao_core::lists::limits::{Axles, VehicleType};
use xinjiao_core::lists::overload::{Detection, PenaltyFact, VehicleRow};
use xinjiao_core::records::record::Amount;
use xinjiao_store::ListStore;

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
}
