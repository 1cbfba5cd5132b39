//! A small migration runner: numbered SQL files embedded in the binary, each
//! applied once in its own transaction and recorded with a checksum, so that an
//! edited migration that was already applied is detected instead of ignored.

use rusqlite::{Connection, OptionalExtension, params};

/// (version, name, SQL). Versions match the PostgreSQL backend's.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "calendar", include_str!("../migrations/0002_calendar.sql")),
    (3, "organisation", include_str!("../migrations/0003_organisation.sql")),
    (4, "day_counts", include_str!("../migrations/0004_day_counts.sql")),
    (5, "dry_runs", include_str!("../migrations/0005_dry_runs.sql")),
    (6, "windows", include_str!("../migrations/0006_windows.sql")),
    (7, "withdrawals", include_str!("../migrations/0007_withdrawals.sql")),
    (8, "subject_accounts", include_str!("../migrations/0008_subject_accounts.sql")),
    (9, "objections", include_str!("../migrations/0009_objections.sql")),
    (10, "repairs", include_str!("../migrations/0010_repairs.sql")),
    (11, "review", include_str!("../migrations/0011_review.sql")),
    (12, "tokens_and_disabled_users", include_str!("../migrations/0012_tokens_and_disabled_users.sql")),
    (13, "ownership", include_str!("../migrations/0013_ownership.sql")),
    (14, "batch_events", include_str!("../migrations/0014_batch_events.sql")),
    (15, "evaluation", include_str!("../migrations/0015_evaluation.sql")),
    (16, "result_objections", include_str!("../migrations/0016_result_objections.sql")),
    (17, "credit_events_read", include_str!("../migrations/0017_credit_events_read.sql")),
    (18, "inspection", include_str!("../migrations/0018_inspection.sql")),
    (19, "inspection_results", include_str!("../migrations/0019_inspection_results.sql")),
    (20, "monitoring", include_str!("../migrations/0020_monitoring.sql")),
    (21, "overload", include_str!("../migrations/0021_overload.sql")),
    (22, "list_entries", include_str!("../migrations/0022_list_entries.sql")),
    (23, "check_partners", include_str!("../migrations/0023_check_partners.sql")),
    (24, "transparency_log", include_str!("../migrations/0024_transparency_log.sql")),
    (25, "reports", include_str!("../migrations/0025_reports.sql")),
    (26, "log_peers", include_str!("../migrations/0026_log_peers.sql")),
    (27, "commitments", include_str!("../migrations/0027_commitments.sql")),
    (28, "commitment_scans", include_str!("../migrations/0028_commitment_scans.sql")),
    (29, "commitment_licences", include_str!("../migrations/0029_commitment_licences.sql")),
    (30, "repair_commitments", include_str!("../migrations/0030_repair_commitments.sql")),
];

/// Applies every pending migration.
pub fn run(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )",
    )?;
    for (version, name, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied: Option<String> = tx
            .query_row("SELECT checksum FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
            .optional()?;
        match applied {
            Some(sum) if sum == xinjiao_store::migration_checksum(sql) => {}
            Some(_) => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
                    Some(format!("migration {version} ({name}) was changed after it was applied")),
                ));
            }
            None => {
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
                    params![version, name, xinjiao_store::migration_checksum(sql)],
                )?;
            }
        }
        tx.commit()?;
    }
    Ok(())
}
