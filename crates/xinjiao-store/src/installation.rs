//! The installation (安装): its backend and settings, migrations' checksums,
//! the tables a copy moves and [`copy_installation`], and
//! [`InstallationStore`].

use crate::*;

/// The checksum recorded with an applied migration, so that a migration edited
/// after it was applied is detected (FNV-1a, 64 bit; not a security measure).
pub fn migration_checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// A value in a dump: what every table column maps to on both backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DumpValue {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// How a dumped column is typed in the backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Text,
    Bytes,
    /// RFC 3339 text in a dump; `TIMESTAMPTZ` on PostgreSQL.
    Timestamp,
    /// `YYYY-MM-DD` in a dump; `DATE` on PostgreSQL.
    Date,
}

/// The tables of an installation in dependency order, with their columns in
/// dump order and the number of leading columns that form the sort key.
/// A dumped table: name, columns with their types, number of key columns.
pub type DumpTable = (&'static str, &'static [(&'static str, ColumnType)], usize);

pub const DUMP_TABLES: &[DumpTable] = {
    use ColumnType::*;
    &[
        ("meta", &[("key", Text), ("value", Text)], 1),
        (
            "divisions",
            &[("code", Text), ("name", Text), ("parent_code", Text), ("sort", Int), ("authority_codes", Text)],
            1,
        ),
        (
            "departments",
            &[
                ("id", Int),
                ("code", Text),
                ("division_code", Text),
                ("name", Text),
                ("kind", Text),
                ("sort", Int),
                ("review_required", Int),
                ("authority_codes", Text),
            ],
            1,
        ),
        ("calendar_years", &[("year", Int), ("source_text", Text), ("loaded_at", Timestamp), ("loaded_by", Text)], 1),
        (
            "users",
            &[
                ("id", Int),
                ("username", Text),
                ("display_name", Text),
                ("role", Text),
                ("password_hash", Text),
                ("created_at", Timestamp),
                ("department_id", Int),
                ("disabled_at", Timestamp),
            ],
            1,
        ),
        (
            "api_tokens",
            &[
                ("token_hash", Text),
                ("user_id", Int),
                ("name", Text),
                ("created_at", Timestamp),
                ("expires_at", Timestamp),
                ("revoked_at", Timestamp),
            ],
            1,
        ),
        (
            "subjects",
            &[
                ("id", Int),
                ("public_key", Text),
                ("identity_key", Text),
                ("kind", Text),
                ("name", Text),
                ("name_norm", Text),
                ("uscc", Text),
                ("id_doc_no", Text),
                ("legal_rep", Text),
                ("created_at", Timestamp),
                ("updated_at", Timestamp),
            ],
            1,
        ),
        (
            "records",
            &[
                ("id", Int),
                ("kind", Text),
                ("authority_code", Text),
                ("decision_no", Text),
                ("subject_id", Int),
                ("authority_name", Text),
                ("decision_date", Date),
                ("summary", Text),
                ("version", Int),
                ("created_at", Timestamp),
                ("updated_at", Timestamp),
                ("department_id", Int),
                ("published_on", Date),
                ("withdrawn_on", Date),
                ("withdrawal_reason", Text),
                ("change_decided_on", Date),
                ("repaired_on", Date),
                ("review_state", Text),
                ("review_reason", Text),
                ("pending_version", Int),
                ("created_event", Int),
            ],
            1,
        ),
        (
            "record_versions",
            &[
                ("record_id", Int),
                ("version", Int),
                ("authority_code", Text),
                ("fields", Text),
                ("created_at", Timestamp),
                ("created_by", Text),
            ],
            2,
        ),
        (
            "events",
            &[
                ("id", Int),
                ("authority_code", Text),
                ("at", Timestamp),
                ("actor", Text),
                ("action", Text),
                ("subject_id", Int),
                ("record_id", Int),
                ("reason", Text),
                ("detail", Text),
            ],
            1,
        ),
        (
            "submissions",
            &[
                ("id", Int),
                ("user_id", Int),
                ("at", Timestamp),
                ("kind", Text),
                ("filename", Text),
                ("n_rows", Int),
                ("n_accepted", Int),
                ("n_unchanged", Int),
                ("n_rejected", Int),
                ("report_json", Text),
                ("file", Bytes),
                ("department_id", Int),
                ("dry_run", Int),
            ],
            1,
        ),
        (
            "subject_accounts",
            &[("subject_id", Int), ("password_hash", Text), ("created_at", Timestamp), ("activated_by", Text)],
            1,
        ),
        (
            "claim_codes",
            &[
                ("code_hash", Text),
                ("subject_id", Int),
                ("record_id", Int),
                ("created_at", Timestamp),
                ("created_by", Text),
                ("used_at", Timestamp),
            ],
            1,
        ),
        (
            "objections",
            &[
                ("id", Int),
                ("record_id", Int),
                ("subject_id", Int),
                ("department_id", Int),
                ("reasons", Text),
                ("status", Text),
                ("filed_at", Timestamp),
                ("acknowledged_at", Timestamp),
                ("extended_at", Timestamp),
                ("extension_reason", Text),
                ("decided_at", Timestamp),
                ("decision_reason", Text),
                ("decided_by", Text),
            ],
            1,
        ),
        ("objection_attachments", &[("id", Int), ("objection_id", Int), ("filename", Text), ("content", Bytes)], 1),
        (
            "repairs",
            &[
                ("id", Int),
                ("record_id", Int),
                ("subject_id", Int),
                ("department_id", Int),
                ("commitment_by", Text),
                ("evidence", Text),
                ("evidence_name", Text),
                ("evidence_file", Bytes),
                ("status", Text),
                ("filed_at", Timestamp),
                ("accepted_at", Timestamp),
                ("decided_at", Timestamp),
                ("decision_reason", Text),
                ("decided_by", Text),
                ("revoked_at", Timestamp),
                ("revoke_reason", Text),
            ],
            1,
        ),
        (
            "declarations",
            &[
                ("department_id", Int),
                ("month", Text),
                ("kind", Text),
                ("due", Int),
                ("declared_at", Timestamp),
                ("declared_by", Text),
            ],
            3,
        ),
        (
            "responsibilities",
            &[("id", Int), ("category", Text), ("department_id", Int), ("person", Text), ("post", Text), ("sort", Int)],
            1,
        ),
        (
            "documents",
            &[
                ("id", Int),
                ("kind", Text),
                ("title", Text),
                ("body", Text),
                ("issue_date", Date),
                ("department_id", Int),
                ("published_on", Date),
                ("created_at", Timestamp),
                ("created_by", Text),
            ],
            1,
        ),
        (
            "credit_events",
            &[
                ("id", Int),
                ("scheme", Text),
                ("subject_id", Int),
                ("item", Text),
                ("points", Int),
                ("event_date", Date),
                ("basis", Text),
                ("known_from", Date),
                ("void_from", Date),
                ("created_at", Timestamp),
                ("created_by", Text),
            ],
            1,
        ),
        (
            "evaluation_runs",
            &[
                ("id", Int),
                ("scheme", Text),
                ("cycle_year", Int),
                ("as_of", Date),
                ("version", Text),
                ("final_from", Date),
                ("created_at", Timestamp),
                ("created_by", Text),
            ],
            1,
        ),
        (
            "evaluations",
            &[
                ("run_id", Int),
                ("subject_id", Int),
                ("score", Int),
                ("demerits", Int),
                ("grade", Text),
                ("explanation", Text),
                ("fingerprint", Text),
            ],
            2,
        ),
        (
            "result_objections",
            &[
                ("id", Int),
                ("run_id", Int),
                ("subject_id", Int),
                ("reasons", Text),
                ("status", Text),
                ("extended", Int),
                ("filed_at", Timestamp),
                ("acknowledged_at", Timestamp),
                ("decided_at", Timestamp),
                ("decision_reason", Text),
                ("decided_by", Text),
            ],
            1,
        ),
        (
            "inspection_matters",
            &[
                ("id", Int),
                ("code", Text),
                ("name", Text),
                ("department_id", Int),
                ("legal_basis", Text),
                ("scheme", Text),
                ("priority", Text),
                ("times_a_year", Int),
                ("updated_at", Timestamp),
                ("updated_by", Text),
            ],
            1,
        ),
        (
            "inspectors",
            &[
                ("id", Int),
                ("certificate", Text),
                ("name", Text),
                ("department_id", Int),
                ("active", Int),
                ("updated_at", Timestamp),
                ("updated_by", Text),
            ],
            1,
        ),
        (
            "inspector_conflicts",
            &[
                ("certificate", Text),
                ("subject_id", Int),
                ("reason", Text),
                ("declared_at", Timestamp),
                ("declared_by", Text),
            ],
            2,
        ),
        (
            "draws",
            &[
                ("id", Int),
                ("matter_id", Int),
                ("as_of", Date),
                ("population", Text),
                ("population_hash", Text),
                ("shares", Text),
                ("overridden", Text),
                ("inspectors_per_subject", Int),
                ("roster", Text),
                ("commitment", Text),
                ("secret", Text),
                ("public_value_source", Text),
                ("public_value", Text),
                ("seed", Text),
                ("run_at", Timestamp),
                ("run_by", Text),
                ("created_at", Timestamp),
                ("created_by", Text),
            ],
            1,
        ),
        (
            "draw_results",
            &[
                ("draw_id", Int),
                ("position", Int),
                ("subject_code", Text),
                ("grade", Text),
                ("inspectors", Text),
                ("short", Int),
            ],
            2,
        ),
        (
            "inspection_results",
            &[
                ("draw_id", Int),
                ("subject_code", Text),
                ("outcome", Text),
                ("findings", Text),
                ("inspected_on", Date),
                ("entered_at", Timestamp),
                ("entered_by", Text),
            ],
            2,
        ),
        (
            "warnings",
            &[
                ("id", Int),
                ("rule", Text),
                ("subject_id", Int),
                ("occasion", Text),
                ("department_id", Int),
                ("detail", Text),
                ("raised_on", Date),
                ("raised_at", Timestamp),
                ("acknowledged_at", Timestamp),
                ("acknowledged_by", Text),
                ("feedback", Text),
                ("feedback_at", Timestamp),
                ("feedback_by", Text),
            ],
            1,
        ),
        ("monitoring_days", &[("day", Date), ("evaluated_at", Timestamp), ("raised", Int), ("rules_version", Int)], 1),
        (
            "reminder_channels",
            &[
                ("department_id", Int),
                ("wecom_webhook", Text),
                ("email_to", Text),
                ("updated_at", Timestamp),
                ("updated_by", Text),
            ],
            1,
        ),
        (
            "outbox",
            &[
                ("id", Int),
                ("dedupe_key", Text),
                ("channel", Text),
                ("department_id", Int),
                ("title", Text),
                ("body", Text),
                ("state", Text),
                ("attempts", Int),
                ("next_attempt_at", Int),
                ("last_error", Text),
                ("created_at", Timestamp),
                ("sent_at", Timestamp),
            ],
            1,
        ),
        (
            "vehicles",
            &[
                ("plate", Text),
                ("vehicle_type", Text),
                ("axles", Int),
                ("enterprise_code", Text),
                ("enterprise_name", Text),
                ("updated_at", Timestamp),
                ("updated_by", Text),
            ],
            1,
        ),
        (
            "overload_detections",
            &[
                ("id", Int),
                ("detected_on", Date),
                ("place", Text),
                ("plate", Text),
                ("vehicle_type", Text),
                ("axles", Int),
                ("single_tyre_axles", Int),
                ("drive_axles", Int),
                ("gross_kg", Int),
                ("driver_id", Text),
                ("driver_name", Text),
                ("enterprise_code", Text),
                ("enterprise_name", Text),
                ("penalty_no", Text),
                ("imported_at", Timestamp),
                ("imported_by", Text),
            ],
            1,
        ),
        (
            "list_entries",
            &[
                ("id", Int),
                ("list_code", Text),
                ("list_version", Int),
                ("criterion", Int),
                ("origin", Text),
                ("party_type", Text),
                ("party", Text),
                ("party_name", Text),
                ("subject_id", Int),
                ("reason", Text),
                ("evidence", Text),
                ("department_id", Int),
                ("state", Text),
                ("proposed_at", Timestamp),
                ("proposed_by", Text),
                ("reviewed_at", Timestamp),
                ("reviewed_by", Text),
                ("review_note", Text),
                ("notice_from", Date),
                ("listed_on", Date),
                ("shown_until", Date),
                ("ended_on", Date),
                ("end_kind", Text),
                ("end_note", Text),
            ],
            1,
        ),
        (
            "list_objections",
            &[
                ("id", Int),
                ("entry_id", Int),
                ("objector", Text),
                ("filed_via", Text),
                ("reasons", Text),
                ("status", Text),
                ("filed_at", Timestamp),
                ("filed_on", Date),
                ("acknowledged_at", Timestamp),
                ("extended_at", Timestamp),
                ("extension_reason", Text),
                ("decided_at", Timestamp),
                ("decision_reason", Text),
                ("decided_by", Text),
            ],
            1,
        ),
        (
            "check_partners",
            &[
                ("id", Int),
                ("name", Text),
                ("scenarios", Text),
                ("token_hash", Text),
                ("created_at", Timestamp),
                ("created_by", Text),
                ("expires_at", Timestamp),
                ("revoked_at", Timestamp),
            ],
            1,
        ),
        (
            "log_entries",
            &[
                ("idx", Int),
                ("at", Timestamp),
                ("event", Text),
                ("object", Text),
                ("record_id", Int),
                ("entry", Bytes),
                ("salt", Bytes),
                ("content", Text),
            ],
            1,
        ),
        ("log_hashes", &[("level", Int), ("idx", Int), ("hash", Bytes)], 2),
        ("log_checkpoints", &[("size", Int), ("root", Bytes), ("note", Text), ("at", Timestamp)], 1),
        (
            "reports",
            &[
                ("number", Text),
                ("subject_key", Text),
                ("subject_name", Text),
                ("edition", Text),
                ("as_of", Date),
                ("issued_at", Timestamp),
                ("issued_by", Text),
                ("sha256", Bytes),
                ("data_version", Int),
                ("leaf_index", Int),
                ("pages", Int),
                ("bytes", Int),
                ("digests", Text),
            ],
            1,
        ),
        (
            "commitments",
            &[
                ("id", Int),
                ("subject_id", Int),
                ("kind", Text),
                ("matter", Text),
                ("template_version", Int),
                ("text", Text),
                ("signed_at", Timestamp),
                ("signed_by", Text),
                ("signed_via", Text),
                ("association", Text),
                ("public", Int),
                ("department_id", Int),
                ("state", Text),
                ("decided_on", Date),
                ("due", Date),
                ("concluded_on", Date),
                ("concluded_by", Text),
                ("note", Text),
                ("licence_record_id", Int),
                ("repair_id", Int),
            ],
            1,
        ),
        ("commitment_scans", &[("commitment_id", Int), ("filename", Text), ("content", Bytes), ("sha256", Text)], 1),
        (
            "education_acks",
            &[
                ("id", Int),
                ("subject_id", Int),
                ("material", Text),
                ("material_version", Int),
                ("acknowledged_at", Timestamp),
            ],
            1,
        ),
        (
            "log_peers",
            &[
                ("id", Int),
                ("url", Text),
                ("name", Text),
                ("vkey", Text),
                ("state", Text),
                ("status", Text),
                ("code", Text),
                ("message", Text),
                ("size", Int),
                ("checked_at", Timestamp),
                ("added_by", Text),
                ("added_at", Timestamp),
            ],
            1,
        ),
    ]
};

/// The columns of a dump table, or `None` for an unknown table.
pub fn dump_table(name: &str) -> Option<DumpTable> {
    DUMP_TABLES.iter().find(|t| t.0 == name).copied()
}

/// Copies a whole installation (records with every version, events, accounts,
/// submissions) from `from` into the empty store `to`, in one transaction on
/// `to`. Returns the number of rows copied.
pub fn copy_installation(from: &dyn Store, to: &dyn Store, batch: u32) -> Result<u64> {
    let mut tables = DUMP_TABLES.iter().map(|t| t.0);
    let mut current: Option<&'static str> = tables.next();
    let mut after: Option<Vec<DumpValue>> = None;
    let mut source = std::iter::from_fn(|| {
        loop {
            let table = current?;
            match from.dump_rows(table, after.as_deref(), batch) {
                Err(e) => {
                    current = None;
                    return Some(Err(e));
                }
                Ok(rows) if rows.is_empty() => {
                    current = tables.next();
                    after = None;
                }
                Ok(rows) => {
                    let n_key = dump_table(table).map_or(1, |t| t.2);
                    after = rows.last().map(|r| r[..n_key].to_vec());
                    return Some(Ok((table, rows)));
                }
            }
        }
    });
    to.restore(&mut source)
}

/// The installation itself: its backend, settings, whether a write is under way, and moving it whole between backends.
pub trait InstallationStore: Send + Sync {
    /// Name of the backend, for logs (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Whether a write transaction is open on the database right now (an
    /// import running, in this process or another).
    fn write_in_progress(&self) -> Result<bool>;

    fn meta(&self, key: &str) -> Result<Option<String>>;

    fn set_meta(&self, key: &str, value: &str) -> Result<()>;

    /// Up to `limit` rows of a table of [`DUMP_TABLES`] whose key (its first
    /// key columns) comes after `after` (`None`: from the start), in key order
    /// (keyset paging: each page costs the same however deep), in the canonical
    /// column order, timestamps as RFC 3339 text, dates as `YYYY-MM-DD`.
    /// Sessions are not dumped (they are transient), nor derived tables.
    fn dump_rows(&self, table: &str, after: Option<&[DumpValue]>, limit: u32) -> Result<Vec<Vec<DumpValue>>>;

    /// Loads dumped rows into this store, which must hold no subjects, records
    /// or users, in one transaction (all or nothing); ids are kept, so record
    /// versions and events keep pointing at the right rows. Returns the number
    /// of rows loaded.
    fn restore(&self, batches: &mut dyn Iterator<Item = Result<(&'static str, Vec<Vec<DumpValue>>)>>) -> Result<u64>;
}
