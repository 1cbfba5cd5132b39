//! Importing the vehicle register (车辆档案) and overload detections
//! (超限检测记录): every row checked (`parse_vehicle_row`,
//! `parse_detection_row` against `rules/vehicle-limits.toml`), the valid
//! rows stored in one transaction, the rest reported with their row, field
//! and rule; a plate twice in a register, or a detection twice in a file, is
//! refused.

use xinjiao_core::Date;
use xinjiao_core::lists::limits::VehicleLimits;
use xinjiao_core::lists::overload::{Detection, VehicleRow, parse_detection_row, parse_vehicle_row};
use xinjiao_import::{ImportReport, RowReader};
use xinjiao_store::{Store, WriteContext};

use crate::kernel::imports::collect_rows;
pub use crate::kernel::imports::{ImportError, MAX_DIAGNOSTICS};

fn stored(report: &mut ImportReport, valid: usize, saved: Option<(usize, usize)>) {
    match saved {
        None => report.accepted = valid as u64,
        Some((created, changed)) => {
            report.accepted = (created + changed) as u64;
            report.unchanged = (valid - created - changed) as u64;
        }
    }
}

/// Reads a vehicle register and (with a store) saves its valid rows.
pub fn run_vehicle_import(
    store: Option<&dyn Store>,
    reader: RowReader,
    ctx: &WriteContext,
) -> Result<ImportReport, ImportError> {
    let (mut report, rows) = collect_rows(reader, parse_vehicle_row, |v| v.plate.clone(), &|v: &VehicleRow, first| {
        ("CL_CPHM".into(), format!("车牌号码 {} 与第 {first} 行重复", v.plate))
    })?;
    let saved = store.map(|s| s.save_vehicles(ctx, &rows)).transpose().map_err(ImportError::Store)?;
    stored(&mut report, rows.len(), saved);
    Ok(report)
}

/// Reads a detection file as of `today` and (with a store) saves its valid rows.
pub fn run_overload_import(
    store: Option<&dyn Store>,
    reader: RowReader,
    limits: &VehicleLimits,
    ctx: &WriteContext,
    today: Date,
) -> Result<ImportReport, ImportError> {
    let (mut report, rows) = collect_rows(
        reader,
        |values| parse_detection_row(values, limits, today),
        Detection::key,
        &|d: &Detection, first| {
            (
                String::new(),
                format!("与第 {first} 行是同一检测（{} {} {} {} 千克）", d.date, d.plate, d.place, d.gross_kg),
            )
        },
    )?;
    let saved = store.map(|s| s.save_detections(ctx, &rows)).transpose().map_err(ImportError::Store)?;
    stored(&mut report, rows.len(), saved);
    Ok(report)
}
