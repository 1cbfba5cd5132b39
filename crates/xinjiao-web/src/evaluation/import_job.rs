//! Importing a credit-event file: every row checked against the schemes
//! (`parse_event_row`), the valid rows stored in one transaction (their
//! subjects created as record imports create them), the rest reported with
//! their row, field and rule. A file error midway stores nothing.

use xinjiao_core::Date;
use xinjiao_core::evaluation::events::parse_event_row;
use xinjiao_core::evaluation::scheme::Scheme;
use xinjiao_import::{ImportReport, RowReader};
use xinjiao_store::{EventOutcome, NewCreditEvent, Store, StoreError, WriteContext};

use crate::kernel::imports::collect_rows;
pub use crate::kernel::imports::{ImportError, MAX_DIAGNOSTICS};

/// Reads every row of `reader`, checks it, and (unless `store` is `None`: a
/// dry run) stores the valid ones in one transaction.
pub fn run_credit_event_import(
    store: Option<&dyn Store>,
    reader: RowReader,
    schemes: &[Scheme],
    ctx: &WriteContext,
    today: Date,
) -> Result<ImportReport, ImportError> {
    let (mut report, rows) = collect_rows(
        reader,
        |values| parse_event_row(values, schemes, today),
        |ev| (ev.scheme.clone(), ev.subject_code.clone(), ev.item.clone(), ev.date, ev.basis.clone()),
        &|_, first| (String::new(), format!("与第 {first} 行是同一信用事件（主体、评价体系、事项、日期和依据均相同）")),
    )?;
    let valid: Vec<NewCreditEvent> = rows
        .into_iter()
        .map(|ev| NewCreditEvent {
            subject: ev.subject_info(),
            scheme: ev.scheme,
            item: ev.item,
            points: ev.points.map(|p| p.0),
            date: ev.date,
            basis: ev.basis,
        })
        .collect();
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
