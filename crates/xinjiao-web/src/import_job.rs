//! Running an import: rows from a [`RowReader`] are parsed, valid records are
//! handed to the store in batches inside one transaction, and every broken rule
//! becomes a row diagnostic of the report. Used by the CLI, the console and the API.
//! A file error met midway (a limit of [`xinjiao_import::Limits`]) rolls the
//! whole transaction back: nothing of the file is stored.

use xinjiao_core::record::ParseContext;
use xinjiao_core::{Date, Record, RecordKind};
use xinjiao_import::{FileError, ImportReport, RowDiagnostic, RowReader, parse_row};
use xinjiao_store::{Store, StoreError, WriteContext};

/// Rows per store batch.
const BATCH: usize = 2000;

/// Diagnostics (and warnings) kept in a report; further ones are counted only,
/// so that a file of broken rows cannot fill memory with messages.
pub const MAX_DIAGNOSTICS: usize = 100_000;

/// The outcome of an import.
#[derive(Debug, Default)]
pub struct ImportResult {
    pub report: ImportReport,
}

/// Why an import stored nothing.
#[derive(Debug)]
pub enum ImportError {
    /// The file broke a limit or could not be read midway.
    File(FileError),
    Store(StoreError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Store(e)
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::File(e) => write!(f, "文件未导入：{e}"),
            ImportError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// The rows of one file by natural key (kind, authority code, decision
/// number), to find a key given twice. Keys are kept as 64-bit hashes (16
/// bytes a row instead of the key's text): two different keys share a hash
/// with a chance of about 3 in 100 million for a file of a million rows.
#[derive(Default)]
struct SeenKeys(std::collections::HashMap<u64, u32>);

impl SeenKeys {
    /// The row where this record's key was first given, if it was.
    fn first_row(&mut self, rec: &Record, row: u64) -> Option<u32> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (rec.kind().as_str(), rec.authority().code.as_str(), rec.decision_no()).hash(&mut h);
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        match self.0.entry(h.finish()) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(row);
                None
            }
        }
    }
}

/// `row.duplicate_key`: the second row of a key names the first.
fn duplicate_key(rec: &Record, first: u32) -> xinjiao_core::Diagnostic {
    let field = match rec.kind() {
        RecordKind::Penalty => "CF_WSH",
        RecordKind::License => "XK_WSH",
    };
    xinjiao_core::Diagnostic::new(
        field,
        "row.duplicate_key",
        format!(
            "决定书文号「{}」（决定机关 {}）已在第{first}行出现；同一文件中每个决定只能有一行，本行未导入",
            rec.decision_no(),
            rec.authority().code.as_str()
        ),
    )
}

fn row_diagnostics(row: u64, diags: Vec<xinjiao_core::Diagnostic>) -> impl Iterator<Item = RowDiagnostic> {
    diags.into_iter().map(move |d| RowDiagnostic {
        row,
        field: d.field.to_string(),
        code: d.code.to_string(),
        message: d.message,
    })
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
) -> Result<ImportResult, ImportError> {
    let parse_ctx = ParseContext { today };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(u64, Vec<Record>), String>>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || -> Result<ImportReport, FileError> {
            let mut report = ImportReport::default();
            let mut seen = SeenKeys::default();
            let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
            for source in reader {
                let source = match source {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Err(e.message.clone()));
                        return Err(e);
                    }
                };
                report.rows += 1;
                let parsed = parse_row(kind, source, &parse_ctx);
                report.push_warnings(row_diagnostics(parsed.row, parsed.warnings), MAX_DIAGNOSTICS);
                let result = parsed.result.and_then(|rec| match seen.first_row(&rec, parsed.row) {
                    Some(first) => Err(vec![duplicate_key(&rec, first)]),
                    None => Ok(rec),
                });
                match result {
                    Ok(rec) => batch.push(rec),
                    Err(diags) => {
                        report.rejected += 1;
                        report.push_diagnostics(row_diagnostics(parsed.row, diags), MAX_DIAGNOSTICS);
                    }
                }
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(Ok((report.rows, full))).is_err() {
                        break; // the writer stopped
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok((report.rows, batch)));
            }
            Ok(report)
        });
        let mut n_valid = 0u64;
        let mut last_progress = 0u64;
        let mut batches = rx.iter().map(|item| {
            let (rows_read, batch) = item?;
            n_valid += batch.len() as u64;
            if rows_read - last_progress >= 10_000 {
                progress(rows_read);
                last_progress = rows_read;
            }
            Ok::<_, String>(batch)
        });
        let counts = match store {
            Some(store) => store.write_record_stream_counted(ctx, &mut batches),
            // Validation only: a file error ends the parser, which reports it below.
            None => {
                batches.by_ref().for_each(drop);
                Ok((0, 0))
            }
        };
        drop(batches);
        let parsed = parser.join().map_err(|_| StoreError::Backend("import parser thread panicked".into()))?;
        let mut report = parsed.map_err(ImportError::File)?;
        let (changed, unchanged) = counts?;
        progress(report.rows);
        if store.is_some() {
            report.unchanged = unchanged;
            report.accepted = changed;
        } else {
            report.accepted = n_valid;
        }
        Ok(ImportResult { report })
    })
}
