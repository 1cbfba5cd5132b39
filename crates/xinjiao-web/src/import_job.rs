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

/// Validates every row and, if a store is given, stores the valid ones in one
/// transaction. Parsing runs on its own thread, a few batches ahead of the
/// store, so that reading and writing use both cores.
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
    let headers = reader.headers().to_vec();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, Vec<Record>)>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut report = ImportReport::default();
            let mut rejected_rows = Vec::new();
            let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
            for source in reader {
                report.rows += 1;
                let parsed = parse_row(kind, source, &parse_ctx);
                match parsed.result {
                    Ok(rec) => batch.push(rec),
                    Err(diags) => {
                        report.rejected += 1;
                        report.diagnostics.extend(diags.into_iter().map(|d| RowDiagnostic {
                            row: parsed.row,
                            field: d.field.to_string(),
                            code: d.code.to_string(),
                            message: d.message,
                        }));
                        rejected_rows.push((parsed.row, parsed.cells));
                    }
                }
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send((report.rows, full)).is_err() {
                        break; // the writer stopped
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send((report.rows, batch));
            }
            (report, rejected_rows)
        });
        let mut n_valid = 0u64;
        let mut last_progress = 0u64;
        let mut batches = rx.iter().map(|(rows_read, batch)| {
            n_valid += batch.len() as u64;
            if rows_read - last_progress >= 10_000 {
                progress(rows_read);
                last_progress = rows_read;
            }
            Ok::<_, String>(batch)
        });
        let outcomes = match store {
            Some(store) => store.write_record_stream(ctx, &mut batches),
            None => {
                batches.by_ref().for_each(drop);
                Ok(Vec::new())
            }
        };
        drop(batches);
        let (mut report, rejected_rows) =
            parser.join().map_err(|_| StoreError::Backend("import parser thread panicked".into()))?;
        let outcomes = outcomes?;
        progress(report.rows);
        if store.is_some() {
            report.unchanged = outcomes.iter().filter(|o| matches!(o, RecordOutcome::Unchanged { .. })).count() as u64;
            report.accepted = outcomes.len() as u64 - report.unchanged;
        } else {
            report.accepted = n_valid;
        }
        Ok(ImportResult { report, headers, rejected_rows })
    })
}
