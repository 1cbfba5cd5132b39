//! Running an import: rows from a [`RowReader`] are parsed, valid records are
//! handed to the store in batches inside one transaction, and every broken rule
//! becomes a row diagnostic of the report. Used by the CLI, the console and the API.
//! A file error met midway (a limit of [`xinjiao_import::Limits`]) rolls the
//! whole transaction back: nothing of the file is stored.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use xinjiao_core::records::record::ParseContext;
use xinjiao_core::{Date, Record, RecordKind};
use xinjiao_import::{FileError, ImportReport, RowDiagnostic, RowReader, parse_row};

use xinjiao_store::{RecordOutcome, Refusal, Store, StoreError, WriteContext};

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

pub use crate::kernel::imports::ImportError;

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

/// The field codes a row diagnostic about a record's identity names:
/// (decision number, decision-authority code, subject name).
fn identity_fields(kind: RecordKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        RecordKind::Penalty => ("CF_WSH", "CF_CFJGDM", "CF_XDR_MC"),
        RecordKind::License => ("XK_WSH", "XK_XKJGDM", "XK_XDR_MC"),
    }
}

/// `row.duplicate_key`: the second row of a key names the first.
fn duplicate_key(rec: &Record, first: u32) -> xinjiao_core::Diagnostic {
    xinjiao_core::Diagnostic::new(
        identity_fields(rec.kind()).0,
        "row.duplicate_key",
        format!(
            "决定书文号「{}」（决定机关 {}）已在第{first}行出现；同一文件中每个决定只能有一行，本行未导入",
            rec.decision_no(),
            rec.authority().code.as_str()
        ),
    )
}

/// What a writer may write: the decision-authority codes it may submit under
/// and the names of departments, for the diagnostics that name a record's owner.
#[derive(Debug, Clone, Default)]
pub struct Ownership {
    /// `None`: any code (a coordinator, or the system).
    allowed_codes: Option<Vec<String>>,
    /// The writer's department and division, as named in messages.
    writer: String,
    names: HashMap<i64, String>,
}

impl Ownership {
    /// No restriction (validation without a store, the system).
    pub fn unrestricted() -> Ownership {
        Ownership::default()
    }

    /// The restrictions of `ctx`'s writer, from the organisation in `store`
    /// (see [`WriteContext::owner_only`]).
    pub fn of(store: &dyn Store, ctx: &WriteContext) -> Result<Ownership, StoreError> {
        let departments = store.departments()?;
        let names = departments.iter().map(|d| (d.id, d.name.clone())).collect();
        let Some(dept) = ctx.owner_only() else {
            return Ok(Ownership { allowed_codes: None, writer: String::new(), names });
        };
        let divisions = store.divisions()?;
        let allowed = xinjiao_store::allowed_authority_codes(&departments, &divisions, dept);
        let d = departments.iter().find(|d| d.id == dept);
        let division = d.and_then(|d| divisions.iter().find(|v| v.code == d.division_code)).map(|v| v.name.as_str());
        let writer = format!("{}（{}）", d.map_or("", |d| d.name.as_str()), division.unwrap_or(""));
        Ok(Ownership { allowed_codes: Some(allowed), writer, names })
    }

    fn owner_name(&self, owner: Option<i64>) -> String {
        match owner.and_then(|id| self.names.get(&id)) {
            Some(name) => format!("「{name}」"),
            None => "系统导入（未归属部门）".to_string(),
        }
    }

    /// `row.authority_not_allowed` when the record's authority code is not the writer's.
    pub fn check_code(&self, rec: &Record) -> Option<xinjiao_core::Diagnostic> {
        let allowed = self.allowed_codes.as_ref()?;
        let code = rec.authority().code.as_str();
        if allowed.iter().any(|c| c == code) {
            return None;
        }
        let field = identity_fields(rec.kind()).1;
        let message = if allowed.is_empty() {
            format!(
                "本部门{}在组织机构文件中没有登记可使用的决定机关代码（authority_codes），不能报送决定机关代码为 {code} 的记录；请管理员在组织机构文件中登记后重新载入",
                self.writer
            )
        } else {
            format!(
                "决定机关代码 {code} 不属于本部门{}；可使用的代码：{}。其他机关的决定由该机关的部门报送",
                self.writer,
                allowed.join("、")
            )
        };
        Some(xinjiao_core::Diagnostic::new(field, "row.authority_not_allowed", message))
    }

    /// The diagnostic of a row the store refused.
    pub fn refusal(&self, rec_kind: RecordKind, refusal: Refusal) -> xinjiao_core::Diagnostic {
        let (wsh, _, name) = identity_fields(rec_kind);
        let (field, code, message) = match refusal {
            Refusal::NotOwner { owner, .. } => (
                wsh,
                "row.not_owner",
                format!("该决定已由{}报送，只能由该部门或信用工作协调员修改；本行未导入", self.owner_name(owner)),
            ),
            Refusal::SubjectNotHeld { owner, .. } => (
                name,
                "row.subject_not_held",
                format!(
                    "本行会更改该主体的名称（或法定代表人），但本部门没有该主体的记录；主体信息以{}报送的最新决定为准，本行未导入。如主体名称确已变更，请联系该部门或信用工作协调员",
                    self.owner_name(owner)
                ),
            ),
        };
        xinjiao_core::Diagnostic::new(field, code, message)
    }
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
/// `owner` says which rows the writer may not write (checked by the parser:
/// authority codes; by the store: other departments' records and subjects).
pub fn run_import(
    store: Option<&dyn Store>,
    reader: RowReader,
    kind: RecordKind,
    ctx: &WriteContext,
    owner: &Ownership,
    today: Date,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportResult, ImportError> {
    let parse_ctx = ParseContext { today };
    // (rows read so far, the row number of each record, the records)
    type Batch = (u64, Vec<u64>, Vec<Record>);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Batch, String>>(4);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || -> Result<ImportReport, FileError> {
            let mut report = ImportReport::default();
            let mut seen = SeenKeys::default();
            let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
            let mut batch_rows: Vec<u64> = Vec::with_capacity(BATCH);
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
                    None => match owner.check_code(&rec) {
                        Some(d) => Err(vec![d]),
                        None => Ok(rec),
                    },
                });
                match result {
                    Ok(rec) => {
                        batch.push(rec);
                        batch_rows.push(parsed.row);
                    }
                    Err(diags) => {
                        report.rejected += 1;
                        report.push_diagnostics(row_diagnostics(parsed.row, diags), MAX_DIAGNOSTICS);
                    }
                }
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    let rows = std::mem::replace(&mut batch_rows, Vec::with_capacity(BATCH));
                    if tx.send(Ok((report.rows, rows, full))).is_err() {
                        break; // the writer stopped
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok((report.rows, batch_rows, batch)));
            }
            Ok(report)
        });
        let mut n_valid = 0u64;
        let mut last_progress = 0u64;
        // The row of each record handed to the store, in order: the store
        // reports each record's outcome in the same order.
        let rows_in_flight: RefCell<VecDeque<u64>> = RefCell::new(VecDeque::new());
        let mut batches = rx.iter().map(|item| {
            let (rows_read, rows, batch) = item?;
            n_valid += batch.len() as u64;
            rows_in_flight.borrow_mut().extend(rows);
            if rows_read - last_progress >= 10_000 {
                progress(rows_read);
                last_progress = rows_read;
            }
            Ok::<_, String>((ctx.clone(), batch))
        });
        let (mut changed, mut unchanged, mut awaiting) = (0u64, 0u64, 0u64);
        let mut refused: Vec<RowDiagnostic> = Vec::new();
        let written = match store {
            Some(store) => store.write_batches(&mut batches, &mut |outcome| {
                let row = rows_in_flight.borrow_mut().pop_front().unwrap_or(0);
                match outcome {
                    RecordOutcome::Unchanged { .. } => unchanged += 1,
                    RecordOutcome::Refused(r) => refused.extend(row_diagnostics(row, vec![owner.refusal(kind, r)])),
                    RecordOutcome::Pending { .. } => {
                        changed += 1;
                        awaiting += 1;
                    }
                    RecordOutcome::Created { .. } | RecordOutcome::Updated { .. } => changed += 1,
                }
            }),
            // Validation only: a file error ends the parser, which reports it below.
            None => {
                batches.by_ref().for_each(drop);
                Ok(())
            }
        };
        drop(batches);
        let parsed = parser.join().map_err(|_| StoreError::Backend("import parser thread panicked".into()))?;
        let mut report = parsed.map_err(ImportError::File)?;
        written?;
        progress(report.rows);
        if store.is_some() {
            report.unchanged = unchanged;
            report.accepted = changed;
            report.awaiting_review = awaiting;
            if !refused.is_empty() {
                report.rejected += refused.len() as u64;
                report.push_diagnostics(refused.into_iter(), MAX_DIAGNOSTICS);
                report.diagnostics.sort_by_key(|d| d.row);
            }
        } else {
            report.accepted = n_valid;
        }
        Ok(ImportResult { report })
    })
}
