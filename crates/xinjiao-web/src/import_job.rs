//! Running an import: rows from a [`RowReader`] are parsed, valid records are
//! handed to the store in batches inside one transaction, and every broken rule
//! becomes a row diagnostic of the report. Used by the CLI and the console.

use xinjiao_core::record::ParseContext;
use xinjiao_core::{Date, Record, RecordKind};
use xinjiao_import::{ImportReport, RowDiagnostic, RowReader, parse_row};
use xinjiao_store::{RecordOutcome, Store, StoreError, WriteContext};

/// Rows per store batch.
const BATCH: usize = 2000;

/// The outcome of an import.
#[derive(Debug, Default)]
pub struct ImportResult {
    pub report: ImportReport,
    /// Headers and the cells of rejected rows, for the XLSX error report.
    pub headers: Vec<String>,
    pub rejected_rows: Vec<(u64, Vec<String>)>,
}

/// Validates every row and, unless `dry_run`, stores the valid ones.
/// `progress` is called with the number of rows read so far.
pub fn run_import(
    store: Option<&dyn Store>,
    reader: RowReader,
    kind: RecordKind,
    ctx: &WriteContext,
    today: Date,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportResult, StoreError> {
    let parse_ctx = ParseContext { today };
    let mut result = ImportResult {
        headers: reader.headers().to_vec(),
        ..Default::default()
    };
    let mut rows = reader;
    let mut n_valid = 0u64;
    let outcomes = {
        let report = &mut result.report;
        let rejected_rows = &mut result.rejected_rows;
        let n_valid = &mut n_valid;
        let mut batches = std::iter::from_fn(|| {
            let mut batch: Vec<Record> = Vec::new();
            for source in rows.by_ref() {
                report.rows += 1;
                let parsed = parse_row(kind, source, &parse_ctx);
                match parsed.result {
                    Ok(rec) => {
                        *n_valid += 1;
                        batch.push(rec);
                    }
                    Err(diags) => {
                        report.rejected += 1;
                        report
                            .diagnostics
                            .extend(diags.into_iter().map(|d| RowDiagnostic {
                                row: parsed.row,
                                field: d.field.to_string(),
                                code: d.code.to_string(),
                                message: d.message,
                            }));
                        rejected_rows.push((parsed.row, parsed.cells));
                    }
                }
                if report.rows.is_multiple_of(1000) {
                    progress(report.rows);
                }
                if batch.len() >= BATCH {
                    break;
                }
            }
            (!batch.is_empty()).then_some(Ok::<_, String>(batch))
        });
        match store {
            Some(store) => store.write_record_stream(ctx, &mut batches)?,
            None => {
                batches.by_ref().for_each(drop);
                Vec::new()
            }
        }
    };
    progress(result.report.rows);
    if store.is_some() {
        result.report.unchanged = outcomes
            .iter()
            .filter(|o| matches!(o, RecordOutcome::Unchanged { .. }))
            .count() as u64;
        result.report.accepted = outcomes.len() as u64 - result.report.unchanged;
    } else {
        result.report.accepted = n_valid;
    }
    Ok(result)
}
