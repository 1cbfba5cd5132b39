//! What every file import of the capabilities shares: why an import stored
//! nothing, how many diagnostics a report keeps, and the row loop
//! ([`collect_rows`]) that checks every row and refuses duplicate keys.

use xinjiao_import::FileError;
use xinjiao_store::StoreError;

/// Diagnostics a report keeps (the rest are counted).
pub const MAX_DIAGNOSTICS: usize = 100_000;

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

/// A row key seen twice: the field to name (empty: the whole row) and the
/// message, given the earlier row's number.
pub type Duplicate<'a, T> = &'a dyn Fn(&T, u64) -> (String, String);

/// Reads every row of `reader`: its cell problems and `parse`'s diagnostics
/// reject it; so does a key (`key`) that an earlier valid row had
/// (`row.duplicate_key`, named by `duplicate`). Returns the report so far
/// (rows and rejections counted) and the valid rows; a file error midway
/// stops everything.
pub fn collect_rows<T, K: Eq + std::hash::Hash>(
    reader: xinjiao_import::RowReader,
    mut parse: impl FnMut(&xinjiao_core::FieldValues) -> Result<T, Vec<xinjiao_core::Diagnostic>>,
    key: impl Fn(&T) -> K,
    duplicate: Duplicate<'_, T>,
) -> Result<(xinjiao_import::ImportReport, Vec<T>), ImportError> {
    use xinjiao_import::RowDiagnostic;
    let mut report = xinjiao_import::ImportReport::default();
    let mut valid = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in reader {
        let row = row.map_err(ImportError::File)?;
        report.rows += 1;
        let number = row.number;
        let mut diags: Vec<RowDiagnostic> = row.cell_errors.iter().map(|d| RowDiagnostic::of(number, d)).collect();
        match parse(&row.values) {
            Ok(v) if diags.is_empty() => match seen.get(&key(&v)) {
                Some(&first) => {
                    let (field, message) = duplicate(&v, first);
                    diags.push(RowDiagnostic { row: number, field, code: "row.duplicate_key".into(), message });
                }
                None => {
                    seen.insert(key(&v), number);
                    valid.push(v);
                }
            },
            Ok(_) => {}
            Err(ds) => diags.extend(ds.iter().map(|d| RowDiagnostic::of(number, d))),
        }
        report.reject_row(diags, MAX_DIAGNOSTICS);
    }
    Ok((report, valid))
}
