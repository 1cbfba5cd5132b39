//! Importing a credit-event file: every row checked against the schemes
//! (`parse_event_row`), the valid rows stored in one transaction (their
//! subjects created as record imports create them), the rest reported with
//! their row, field and rule. A file error midway stores nothing.

use xinjiao_core::Date;
use xinjiao_core::evaluation::events::parse_event_row;
use xinjiao_core::evaluation::scheme::Scheme;
use xinjiao_import::{ImportReport, RowDiagnostic, RowReader};
use xinjiao_store::{EventOutcome, NewCreditEvent, Store, StoreError, WriteContext};

pub use crate::kernel::imports::MAX_DIAGNOSTICS;

pub use crate::kernel::imports::ImportError;

/// Reads every row of `reader`, checks it, and (unless `store` is `None`: a
/// dry run) stores the valid ones in one transaction.
pub fn run_credit_event_import(
    store: Option<&dyn Store>,
    reader: RowReader,
    schemes: &[Scheme],
    ctx: &WriteContext,
    today: Date,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut valid: Vec<NewCreditEvent> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for row in reader {
        let row = row.map_err(ImportError::File)?;
        report.rows += 1;
        let number = row.number;
        let mut diags: Vec<RowDiagnostic> = row.cell_errors.iter().map(|d| RowDiagnostic::of(number, d)).collect();
        match parse_event_row(&row.values, schemes, today) {
            Ok(ev) if diags.is_empty() => {
                let key = (ev.scheme.clone(), ev.subject_code.clone(), ev.item.clone(), ev.date, ev.basis.clone());
                if let Some(first) = seen.get(&key) {
                    diags.push(RowDiagnostic {
                        row: number,
                        field: String::new(),
                        code: "row.duplicate_key".into(),
                        message: format!("与第 {first} 行是同一信用事件（主体、评价体系、事项、日期和依据均相同）"),
                    });
                } else {
                    seen.insert(key, number);
                    valid.push(NewCreditEvent {
                        subject: ev.subject_info(),
                        scheme: ev.scheme,
                        item: ev.item,
                        points: ev.points.map(|p| p.0),
                        date: ev.date,
                        basis: ev.basis,
                    });
                }
            }
            Ok(_) => {}
            Err(ds) => diags.extend(ds.iter().map(|d| RowDiagnostic::of(number, d))),
        }
        report.reject_row(diags, MAX_DIAGNOSTICS);
    }
    match store {
        None => report.accepted = valid.len() as u64,
        Some(store) => {
            for outcome in store.write_credit_events(ctx, &valid).map_err(ImportError::Store)? {
                match outcome {
                    EventOutcome::Created { .. } => report.accepted += 1,
                    EventOutcome::Unchanged { .. } => report.unchanged += 1,
                }
            }
        }
    }
    Ok(report)
}

/// Reads `bytes` (a CSV or XLSX credit-event file named `filename`) and
/// imports it on a blocking thread (the console upload and the API).
pub async fn import_bytes(
    st: &crate::kernel::state::AppState,
    ctx: WriteContext,
    filename: String,
    bytes: axum::body::Bytes,
    dry_run: bool,
) -> Result<ImportReport, ImportError> {
    let (schemes, today, store) = (st.rules.read().expect("rules").schemes.clone(), st.today(), st.store.clone());
    tokio::task::spawn_blocking(move || {
        let opts = xinjiao_import::ReadOptions::of(xinjiao_core::evaluation::events::CATALOGUE);
        let reader = xinjiao_import::open_bytes(&filename, bytes, &opts).map_err(ImportError::File)?;
        run_credit_event_import((!dry_run).then_some(&*store), reader, &schemes, &ctx, today)
    })
    .await
    .map_err(|e| ImportError::Store(StoreError::Backend(format!("import task failed: {e}"))))?
}
