//! Importing an inspector roster file (执法检查人员名录库): every row
//! checked (`parse_roster_row`), the valid rows stored in one transaction
//! (created or updated by certificate number), the rest reported with their
//! row, field and rule; a certificate number twice in a file is refused.

use xinjiao_core::inspection::roster::parse_roster_row;
use xinjiao_import::{ImportReport, RowReader};
use xinjiao_store::{Inspector, Store, WriteContext};

use crate::kernel::imports::collect_rows;
pub use crate::kernel::imports::{ImportError, MAX_DIAGNOSTICS};

/// Reads every row of `reader`, checks it against the departments of
/// `store`, and (unless `dry_run`) stores the valid ones in one transaction.
pub fn run_roster_import(
    store: &dyn Store,
    reader: RowReader,
    ctx: &WriteContext,
    dry_run: bool,
) -> Result<ImportReport, ImportError> {
    let departments = store.departments().map_err(ImportError::Store)?;
    let codes: Vec<String> = departments.iter().map(|d| d.code.clone()).collect();
    let (mut report, rows) = collect_rows(
        reader,
        |values| parse_roster_row(values, &codes),
        |r| r.certificate.clone(),
        &|r: &xinjiao_core::inspection::roster::RosterRow, first| {
            ("ZF_ZH".into(), format!("执法证号 {} 与第 {first} 行重复", r.certificate))
        },
    )?;
    let valid: Vec<Inspector> = rows
        .into_iter()
        .map(|r| Inspector {
            department_id: departments.iter().find(|d| d.code == r.department).map(|d| d.id).unwrap_or(0),
            certificate: r.certificate,
            name: r.name,
            active: r.active,
        })
        .collect();
    if dry_run {
        report.accepted = valid.len() as u64;
    } else {
        let (created, changed) = store.save_inspectors(ctx, &valid).map_err(ImportError::Store)?;
        report.accepted = (created + changed) as u64;
        report.unchanged = (valid.len() - created - changed) as u64;
    }
    Ok(report)
}
