//! Importing an inspector roster file (执法检查人员名录库): every row
//! checked (`parse_roster_row`), the valid rows stored in one transaction
//! (created or updated by certificate number), the rest reported with their
//! row, field and rule; a certificate number twice in a file is refused.

use xinjiao_core::inspection::roster::parse_roster_row;
use xinjiao_import::{ImportReport, RowDiagnostic, RowReader};
use xinjiao_store::{Inspector, Store, WriteContext};

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
    let mut report = ImportReport::default();
    let mut valid: Vec<Inspector> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in reader {
        let row = row.map_err(ImportError::File)?;
        report.rows += 1;
        let number = row.number;
        let mut diags: Vec<RowDiagnostic> = row.cell_errors.iter().map(|d| RowDiagnostic::of(number, d)).collect();
        match parse_roster_row(&row.values, &codes) {
            Ok(r) if diags.is_empty() => {
                if let Some(first) = seen.get(&r.certificate) {
                    diags.push(RowDiagnostic {
                        row: number,
                        field: "ZF_ZH".into(),
                        code: "row.duplicate_key".into(),
                        message: format!("执法证号 {} 与第 {first} 行重复", r.certificate),
                    });
                } else {
                    seen.insert(r.certificate.clone(), number);
                    let department_id = departments.iter().find(|d| d.code == r.department).map(|d| d.id).unwrap_or(0);
                    valid.push(Inspector { certificate: r.certificate, name: r.name, department_id, active: r.active });
                }
            }
            Ok(_) => {}
            Err(ds) => diags.extend(ds.iter().map(|d| RowDiagnostic::of(number, d))),
        }
        report.reject_row(diags, MAX_DIAGNOSTICS);
    }
    if dry_run {
        report.accepted = valid.len() as u64;
    } else {
        let (created, changed) = store.save_inspectors(ctx, &valid).map_err(ImportError::Store)?;
        report.accepted = (created + changed) as u64;
        report.unchanged = (valid.len() - created - changed) as u64;
    }
    Ok(report)
}
