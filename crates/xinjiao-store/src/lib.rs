//! The storage interface of Xinjiao. The web layer and the CLI hold an
//! `Arc<dyn Store>`; each backend (`xinjiao-store-sqlite`, later PostgreSQL)
//! implements [`Store`] and must pass [`suite`], the one shared test suite.
//!
//! The trait is synchronous: backends use blocking drivers, and async callers
//! run store calls on a blocking thread (`tokio::task::spawn_blocking`). See
//! ARCHITECTURE.md for why.

pub mod org;
pub mod rates;
pub mod suite;

pub use org::*;

use std::collections::BTreeMap;

use jiff::Timestamp;
use xinjiao_core::fields::RecordKind;
use xinjiao_core::period::Month;
use xinjiao_core::record::SubjectKind;
use xinjiao_core::{Date, Record};

/// Errors of every backend, mapped to a few cases callers act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Backend(String),
    /// The caller's batch source failed; the transaction was rolled back.
    #[error("aborted: {0}")]
    Aborted(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who does a write, when and why. Every write appends events carrying these.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// User name of the staff member or `system`.
    pub actor: String,
    pub at: Timestamp,
    /// Why: e.g. `导入文件 处罚.xlsx`.
    pub reason: String,
    /// The department the actor works for: records created and submissions
    /// made in this write are attributed to it.
    pub department_id: Option<i64>,
    /// The actor acts for every department (a coordinator or administrator).
    /// Otherwise an actor with a department changes only that department's
    /// records and renames only subjects it has records of (see
    /// [`RecordOutcome::Refused`]); an actor without a department is the
    /// system (the command line without `--department`, migrations, the demo).
    pub oversees: bool,
}

impl WriteContext {
    pub fn new(actor: impl Into<String>, at: Timestamp, reason: impl Into<String>) -> WriteContext {
        WriteContext { actor: actor.into(), at, reason: reason.into(), department_id: None, oversees: false }
    }
    /// Acting for every department (see [`WriteContext::oversees`]).
    pub fn overseeing(mut self, oversees: bool) -> WriteContext {
        self.oversees = oversees;
        self
    }
    /// Whether this write may change only the records of its own department.
    pub fn owner_only(&self) -> Option<i64> {
        if self.oversees { None } else { self.department_id }
    }
    pub fn in_department(mut self, department_id: Option<i64>) -> WriteContext {
        self.department_id = department_id;
        self
    }
    /// The day (China time) of this write: the publication day of records it creates.
    pub fn china_date(&self) -> Date {
        china_date(self.at)
    }
}

/// The calendar date in China (UTC+8, no daylight saving) at `ts`.
pub fn china_date(ts: Timestamp) -> Date {
    jiff::tz::Offset::constant(8).to_datetime(ts).date()
}

/// The bound value of the "public on" day of a query: a day before every
/// window when no day is given, so one SQL text serves both cases.
pub fn public_day_arg(public_on: Option<Date>) -> String {
    public_on.map_or_else(|| "0001-01-01".to_string(), |d| d.to_string())
}

/// A record whose window is to be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleWindow {
    pub record_id: i64,
    pub kind: RecordKind,
    pub decision_date: Date,
    pub fields: BTreeMap<String, String>,
    pub withdrawn_on: Option<Date>,
    pub repaired_on: Option<Date>,
}

/// The disclosure rules every write computes windows with, and their
/// fingerprint (stored with each window, so that a change of rules is seen).
#[derive(Debug, Clone)]
pub struct WindowRules {
    pub rules: xinjiao_core::disclosure::DisclosureRules,
    pub fingerprint: String,
}

impl WindowRules {
    /// The rules embedded in the binary (`rules/disclosure.toml`).
    pub fn embedded() -> WindowRules {
        WindowRules {
            rules: xinjiao_core::disclosure::DisclosureRules::embedded(),
            fingerprint: xinjiao_core::disclosure::fingerprint(&[xinjiao_core::disclosure::EMBEDDED]),
        }
    }

    /// The window of a record's current version. Withdrawal and an approved
    /// repair both end publication.
    pub fn window<K: std::borrow::Borrow<str> + Ord>(
        &self,
        kind: RecordKind,
        decision_date: Date,
        fields: &BTreeMap<K, String>,
        withdrawn_on: Option<Date>,
        repaired_on: Option<Date>,
    ) -> xinjiao_core::disclosure::RecordWindow {
        let ended = match (withdrawn_on, repaired_on) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        xinjiao_core::disclosure::record_window(&self.rules, kind, decision_date, fields, ended)
    }
}

/// The replaceable [`WindowRules`] a backend holds (the embedded ones by default).
pub struct WindowRulesCell(std::sync::RwLock<std::sync::Arc<WindowRules>>);

impl Default for WindowRulesCell {
    fn default() -> Self {
        WindowRulesCell(std::sync::RwLock::new(std::sync::Arc::new(WindowRules::embedded())))
    }
}

impl WindowRulesCell {
    pub fn get(&self) -> std::sync::Arc<WindowRules> {
        self.0.read().expect("window rules").clone()
    }
    pub fn set(&self, rules: std::sync::Arc<WindowRules>) {
        *self.0.write().expect("window rules") = rules;
    }
}

/// Brings every record's disclosure window up to date with the store's
/// rules ([`Store::window_rules`]): all of them when the rules changed since
/// the last run, else those not computed yet. Every write computes the windows
/// of the records it changes in its own transaction, so this has work only
/// after a change of rules or an upgrade. Returns the number of records computed.
pub fn refresh_windows(store: &dyn Store) -> Result<u64> {
    let rules = store.window_rules();
    let fingerprint = rules.fingerprint.as_str();
    if store.meta("window_rules")?.as_deref() != Some(fingerprint) {
        store.invalidate_windows(fingerprint)?;
        store.set_meta("window_rules", fingerprint)?;
    }
    let mut n = 0;
    loop {
        let stale = store.stale_windows(5000)?;
        if stale.is_empty() {
            return Ok(n);
        }
        let windows: Vec<_> = stale
            .iter()
            .map(|s| (s.record_id, rules.window(s.kind, s.decision_date, &s.fields, s.withdrawn_on, s.repaired_on)))
            .collect();
        store.set_windows(fingerprint, &windows)?;
        n += windows.len() as u64;
    }
}

/// A stored version's record, rebuilt from its canonical fields (to apply a
/// version approved after review); `None` if the fields no longer parse.
pub fn record_from_stored(kind: RecordKind, fields: &BTreeMap<String, String>, today: Date) -> Option<Record> {
    let values: xinjiao_core::record::FieldValues =
        fields.iter().filter_map(|(k, v)| kind.field(k).map(|d| (d.code, v.clone()))).collect();
    xinjiao_core::record::parse_record(kind, &values, &xinjiao_core::record::ParseContext { today }).ok()
}

/// What happened to one record of a write batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// A new record (version 1).
    Created { record_id: i64 },
    /// An existing record got a new version.
    Updated { record_id: i64, version: i64 },
    /// Identical to the current version: nothing written.
    Unchanged { record_id: i64 },
    /// A new version of a published record of a department that reviews
    /// before publication: stored, awaiting review; the public keeps seeing
    /// the approved version.
    Pending { record_id: i64, version: i64 },
    /// Not written: the writer may not make this change.
    Refused(Refusal),
}

/// Why a record was not written ([`RecordOutcome::Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The record belongs to another department (`None`: to no department,
    /// i.e. it was loaded by the system); only it or a coordinator may change it.
    NotOwner { record_id: i64, owner: Option<i64> },
    /// The row would rename a subject of which the writer's department holds
    /// no record; `owner` is the department of the subject's latest record.
    SubjectNotHeld { subject_id: i64, owner: Option<i64> },
}

impl RecordOutcome {
    /// The record written or found (not for a refused row).
    pub fn record_id(self) -> i64 {
        match self {
            RecordOutcome::Created { record_id }
            | RecordOutcome::Updated { record_id, .. }
            | RecordOutcome::Pending { record_id, .. }
            | RecordOutcome::Unchanged { record_id } => record_id,
            RecordOutcome::Refused(Refusal::NotOwner { record_id, .. }) => record_id,
            RecordOutcome::Refused(Refusal::SubjectNotHeld { .. }) => 0,
        }
    }
    /// Whether something was stored (a new record or version).
    pub fn is_change(self) -> bool {
        matches!(self, RecordOutcome::Created { .. } | RecordOutcome::Updated { .. } | RecordOutcome::Pending { .. })
    }
}

/// A subject (信用主体) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: i64,
    /// Public key used in URLs: the USCC, or `P` + id for natural persons.
    pub key: String,
    pub kind: SubjectKind,
    pub name: String,
    pub uscc: Option<String>,
    /// Personal data: callers that serve the public must mask it.
    pub id_doc_no: Option<String>,
    pub legal_rep: Option<String>,
    pub n_licenses: i64,
    pub n_penalties: i64,
}

/// A record's current version, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub id: i64,
    pub kind: RecordKind,
    pub subject_id: i64,
    pub subject_key: String,
    pub subject_name: String,
    pub authority_code: String,
    pub authority_name: String,
    pub decision_no: String,
    pub decision_date: Date,
    pub summary: String,
    pub version: i64,
    pub updated_at: Timestamp,
    /// The department the record is attributed to.
    pub department_id: Option<i64>,
    /// The day (China time) it was made public.
    pub published_on: Option<Date>,
    /// The first day it is no longer public (its disclosure window); `None`:
    /// no end, or not computed yet.
    pub public_until: Option<Date>,
    /// `pending` or `rejected` while it awaits or failed review (not public).
    pub review_state: Option<String>,
    /// Why a reviewer rejected it.
    pub review_reason: Option<String>,
    /// The day credit repair may be applied for (penalties).
    pub repairable_from: Option<Date>,
    /// A newer version awaiting review (the row shows the approved one).
    pub pending_version: Option<i64>,
}

/// One version of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVersion {
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: String,
    /// Canonical field values (field code → text).
    pub fields: BTreeMap<String, String>,
}

/// An entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject_id: Option<i64>,
    pub record_id: Option<i64>,
    pub reason: String,
    pub detail: String,
}

/// A record with all its versions (oldest first) and events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDetail {
    pub row: RecordRow,
    pub versions: Vec<RecordVersion>,
    pub events: Vec<Event>,
}

impl RecordDetail {
    /// The version in force: what the public sees once the record is public.
    pub fn current(&self) -> &RecordVersion {
        self.versions
            .iter()
            .find(|v| v.version == self.row.version)
            .or(self.versions.last())
            .expect("a record has at least one version")
    }
    /// The version awaiting review, if any.
    pub fn pending(&self) -> Option<&RecordVersion> {
        let v = self.row.pending_version?;
        self.versions.iter().find(|x| x.version == v)
    }
}

/// Filters of record lists. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    pub kind: Option<RecordKind>,
    pub subject_id: Option<i64>,
    pub authority_code: Option<String>,
    pub date_from: Option<Date>,
    pub date_to: Option<Date>,
    /// Only records of this department (staff lists).
    pub department_id: Option<i64>,
    /// Only records public on this day (inside their disclosure window):
    /// every public list sets it.
    pub public_on: Option<Date>,
    /// Only records in this review state (`pending`, `rejected`).
    pub review_state: Option<String>,
}

/// The first day a record (`r`) is not public, for a `>` comparison with a
/// day: never published (awaiting review) counts as the earliest day.
/// A record whose window is not computed is public on no day (but listed to
/// staff, whose queries compare with the first day).
pub const PUBLIC_UNTIL_SQL: &str =
    "(CASE WHEN r.published_on IS NULL THEN '0001-01-01' WHEN r.window_rules IS NULL THEN '0001-01-02'
    ELSE coalesce(r.public_until, '9999-12-31') END) >";

/// A value a record filter compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterArg {
    Text(String),
    Int(i64),
    Date(Date),
}

impl RecordFilter {
    /// The filter as conditions for a `records r` query: the left side with its
    /// operator (`r.kind =`) and the value; each backend numbers and binds the
    /// values in its own dialect.
    pub fn conditions(&self) -> Vec<(&'static str, FilterArg)> {
        let mut out = Vec::new();
        if let Some(k) = self.kind {
            out.push(("r.kind =", FilterArg::Text(k.as_str().to_string())));
        }
        if let Some(id) = self.subject_id {
            out.push(("r.subject_id =", FilterArg::Int(id)));
        }
        if let Some(code) = &self.authority_code {
            out.push(("r.authority_code =", FilterArg::Text(code.clone())));
        }
        if let Some(d) = self.date_from {
            out.push(("r.decision_date >=", FilterArg::Date(d)));
        }
        if let Some(d) = self.date_to {
            out.push(("r.decision_date <=", FilterArg::Date(d)));
        }
        if let Some(id) = self.department_id {
            out.push(("r.department_id =", FilterArg::Int(id)));
        }
        if let Some(d) = self.public_on {
            // Inside the window: decided by then (the start) and not yet ended.
            out.push(("r.decision_date <=", FilterArg::Date(d)));
            out.push((PUBLIC_UNTIL_SQL, FilterArg::Date(d)));
        }
        if let Some(s) = &self.review_state {
            out.push(("r.review_state =", FilterArg::Text(s.clone())));
        }
        out
    }
}

/// A page request: 1-based page number and page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 100;
    pub fn new(page: u32, per_page: u32) -> Self {
        PageRequest { page: page.max(1), per_page: per_page.clamp(1, Self::MAX_PER_PAGE) }
    }
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

/// One page of results and the total count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn n_pages(&self) -> u32 {
        self.total.div_ceil(u64::from(self.per_page)).max(1) as u32
    }
}

/// An organ that issued records (处罚机关 / 许可机关), with its record count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityCount {
    pub code: String,
    pub name: String,
    pub n_records: i64,
}

/// Staff roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 报送员: submits records and documents for their department.
    Clerk,
    /// 信用工作牵头科室 (政策法规科): watches every department's rates, edits
    /// the responsibility table, declares for any department.
    Coordinator,
    /// 管理员: also manages accounts and the calendar.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "clerk" => Some(Role::Clerk),
            "coordinator" => Some(Role::Coordinator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Clerk => "报送员",
            Role::Coordinator => "信用工作协调员",
            Role::Admin => "管理员",
        }
    }
    /// Sees every department's figures and edits the responsibility table.
    pub fn oversees(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// PHC string of the Argon2id hash.
    pub password_hash: String,
    pub department_id: Option<i64>,
    /// A disabled account signs in by no means.
    pub disabled: bool,
}

/// An API token as listed: never its secret, nor its whole hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The first 12 hex digits of the token's hash: how a token is named
    /// when it is listed or revoked.
    pub id: String,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What a file upload did, kept so the clerk can look at it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub user_id: i64,
    pub kind: RecordKind,
    pub filename: String,
    pub n_rows: i64,
    pub n_accepted: i64,
    pub n_unchanged: i64,
    pub n_rejected: i64,
    /// The diagnostics as the JSON report of the import contract.
    pub report_json: String,
    /// The uploaded file, for the XLSX error report.
    pub file: Vec<u8>,
    /// Validated only, nothing stored: not counted in the pass rate.
    pub dry_run: bool,
}

impl NewSubmission {
    /// The submission of a file of `kind` as an import reported it.
    pub fn from_report(
        user_id: i64,
        kind: RecordKind,
        filename: String,
        counts: [u64; 4],
        report_json: String,
        file: Vec<u8>,
        dry_run: bool,
    ) -> NewSubmission {
        let [rows, accepted, unchanged, rejected] = counts.map(|n| n as i64);
        NewSubmission {
            user_id,
            kind,
            filename,
            n_rows: rows,
            n_accepted: accepted,
            n_unchanged: unchanged,
            n_rejected: rejected,
            report_json,
            file,
            dry_run,
        }
    }
}

/// A stored submission (without its file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: i64,
    pub user_id: i64,
    pub at: Timestamp,
    pub kind: RecordKind,
    pub filename: String,
    pub n_rows: i64,
    pub n_accepted: i64,
    pub n_unchanged: i64,
    pub n_rejected: i64,
    pub report_json: String,
    pub department_id: Option<i64>,
}

/// Counts for the portal's home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub n_subjects: i64,
    pub n_licenses: i64,
    pub n_penalties: i64,
}

/// The storage interface. All writes are atomic: a batch is stored whole or not at all.
pub trait Store: Send + Sync {
    /// Name of the backend, for logs (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Stores records keyed by (kind, authority code, decision number): new keys
    /// create records, changed content creates a new version, identical content
    /// changes nothing. Subjects are created or renamed as the records say.
    /// One transaction for the whole batch; an event per change.
    fn write_records(&self, ctx: &WriteContext, records: &[Record]) -> Result<Vec<RecordOutcome>> {
        self.write_record_stream(ctx, &mut std::iter::once(Ok(records.to_vec())))
    }

    /// Like [`Store::write_records`], pulling batches from `batches` inside one
    /// transaction, so that a large file is stored whole with bounded memory. If
    /// the source yields an error, everything is rolled back and
    /// [`StoreError::Aborted`] is returned.
    fn write_record_stream(
        &self,
        ctx: &WriteContext,
        batches: &mut dyn Iterator<Item = std::result::Result<Vec<Record>, String>>,
    ) -> Result<Vec<RecordOutcome>> {
        let mut out = Vec::new();
        self.write_batches(&mut batches.map(|b| b.map(|records| (ctx.clone(), records))), &mut |o| out.push(o))?;
        Ok(out)
    }

    /// Like [`Store::write_record_stream`], counting the outcomes instead of
    /// listing them, so that a file of millions of rows costs no memory per
    /// row: (records created or changed, records unchanged).
    fn write_record_stream_counted(
        &self,
        ctx: &WriteContext,
        batches: &mut dyn Iterator<Item = std::result::Result<Vec<Record>, String>>,
    ) -> Result<(u64, u64)> {
        let (mut changed, mut unchanged) = (0u64, 0u64);
        self.write_batches(&mut batches.map(|b| b.map(|records| (ctx.clone(), records))), &mut |o| match o {
            RecordOutcome::Unchanged { .. } => unchanged += 1,
            _ => changed += 1,
        })?;
        Ok((changed, unchanged))
    }

    /// Like [`Store::write_record_stream`], with a context per batch: one
    /// transaction for batches written by different people or on different
    /// days (a migrated history, the demo data). Each record's outcome is
    /// handed to `on_outcome`, in order.
    fn write_batches(
        &self,
        batches: &mut dyn Iterator<Item = std::result::Result<(WriteContext, Vec<Record>), String>>,
        on_outcome: &mut dyn FnMut(RecordOutcome),
    ) -> Result<()>;

    /// Subjects whose normalised name contains the normalised query, or whose
    /// USCC equals it; ranked exact > prefix > shorter name > name.
    fn search_subjects(&self, query: &str, page: PageRequest) -> Result<Page<Subject>> {
        self.search_subjects_on(query, page, None)
    }
    /// Like [`Store::search_subjects`]; with a day, only subjects with a record
    /// public on that day, and their counts of public records (the portal).
    fn search_subjects_on(&self, query: &str, page: PageRequest, public_on: Option<Date>) -> Result<Page<Subject>>;
    fn subject_by_key(&self, key: &str) -> Result<Option<Subject>> {
        self.subject_by_key_on(key, None)
    }
    /// Like [`Store::subject_by_key`]; with a day, `None` unless the subject
    /// has a record public on that day, and counts of public records.
    fn subject_by_key_on(&self, key: &str, public_on: Option<Date>) -> Result<Option<Subject>>;
    fn list_records(&self, filter: &RecordFilter, page: PageRequest) -> Result<Page<RecordRow>>;
    fn record(&self, id: i64) -> Result<Option<RecordDetail>>;
    fn authorities(&self) -> Result<Vec<AuthorityCount>>;
    fn totals(&self) -> Result<Totals> {
        self.totals_on(None)
    }
    /// Like [`Store::totals`], counting only what is public on the day.
    fn totals_on(&self, public_on: Option<Date>) -> Result<Totals>;

    /// Appends an event that is not tied to a record write (e.g. an audited read
    /// of personal data).
    fn append_event(
        &self,
        ctx: &WriteContext,
        action: &str,
        subject_id: Option<i64>,
        record_id: Option<i64>,
        detail: &str,
    ) -> Result<i64>;
    fn events(&self, limit: u32) -> Result<Vec<Event>>;
    /// A number that grows with every change to the installation (the last
    /// event's id: every write appends one), for caches of derived figures.
    fn data_version(&self) -> Result<i64>;

    fn create_user(
        &self,
        ctx: &WriteContext,
        username: &str,
        display_name: &str,
        role: Role,
        password_hash: &str,
        department_id: Option<i64>,
    ) -> Result<i64>;
    fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    fn user(&self, id: i64) -> Result<Option<User>>;

    /// Sessions and API tokens are stored by the SHA-256 of their secret.
    fn create_session(&self, token_hash: &str, user_id: i64, expires_at: Timestamp) -> Result<()>;
    fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>>;
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// A token that works until `expires_at` (if any) or until revoked.
    fn create_api_token(
        &self,
        ctx: &WriteContext,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<()>;
    /// The account of a token that is neither expired at `now` nor revoked,
    /// if the account is not disabled.
    fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>>;
    /// Tokens of one account (or of all), newest first.
    fn api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>>;
    /// Revokes the token named `id` ([`ApiToken::id`]), of `user_id` if
    /// given; [`StoreError::NotFound`] if there is no such live token.
    /// Appends `api_token.revoked`.
    fn revoke_api_token(&self, ctx: &WriteContext, id: &str, user_id: Option<i64>) -> Result<()>;
    /// Every staff account, by user name.
    fn users(&self) -> Result<Vec<User>>;
    /// Disables (ending its sessions) or re-enables an account. Appends
    /// `user.disabled` or `user.enabled`; [`StoreError::NotFound`] for an unknown name.
    fn set_user_disabled(&self, ctx: &WriteContext, username: &str, disabled: bool) -> Result<()>;

    fn create_submission(&self, ctx: &WriteContext, s: &NewSubmission) -> Result<i64>;
    fn submissions_of(&self, user_id: i64, limit: u32) -> Result<Vec<Submission>>;
    fn submission(&self, id: i64) -> Result<Option<Submission>>;
    fn submission_file(&self, id: i64) -> Result<Option<Vec<u8>>>;

    /// The rules every write computes disclosure windows with (by default
    /// the embedded ones).
    fn window_rules(&self) -> std::sync::Arc<WindowRules>;
    /// Replaces the rules of [`Store::window_rules`]; [`refresh_windows`]
    /// then recomputes the windows computed with others.
    fn set_window_rules(&self, rules: std::sync::Arc<WindowRules>);
    /// Whether a write transaction is open on the database right now (an
    /// import running, in this process or another).
    fn write_in_progress(&self) -> Result<bool>;
    /// Records whose disclosure window is not computed yet (or was computed
    /// with other rules), with their current fields, at most `limit`.
    fn stale_windows(&self, limit: u32) -> Result<Vec<StaleWindow>>;
    /// Stores computed windows, marked with the rules' fingerprint.
    fn set_windows(&self, fingerprint: &str, windows: &[(i64, xinjiao_core::disclosure::RecordWindow)]) -> Result<()>;
    /// Marks stale every window not computed with the rules of `fingerprint`
    /// (the rules changed); those records are not public until recomputed.
    fn invalidate_windows(&self, fingerprint: &str) -> Result<()>;

    /// Events about a subject itself (`subject.*`: created, renamed), oldest
    /// first: the history of its name, for staff.
    fn subject_history(&self, subject_id: i64) -> Result<Vec<Event>>;

    /// Withdraws a record from publication from today (`ctx`'s day), because
    /// the decision was changed, revoked, or confirmed illegal or void by a
    /// decision of `change_decided_on`. Appends `record.withdrawn`; the
    /// record's window becomes stale. [`StoreError::Conflict`] if it already is
    /// withdrawn, [`StoreError::NotFound`] if there is no such record.
    fn withdraw_record(&self, ctx: &WriteContext, record_id: i64, reason: &str, change_decided_on: Date) -> Result<()>;

    /// Stores a one-time claim code (its hash) for a subject, issued with a
    /// record's credit-repair notice; the subject's earlier unused codes stop
    /// working. Appends `claim_code.created`.
    fn create_claim_code(
        &self,
        ctx: &WriteContext,
        subject_id: i64,
        record_id: Option<i64>,
        code_hash: &str,
    ) -> Result<()>;
    /// Activates the account of the subject whose USCC or document number is
    /// `identity`, with an unused claim code issued to it after `issued_after`:
    /// marks the code used and stores the password hash, in one transaction.
    /// [`StoreError::NotFound`] when identity and code do not match,
    /// [`StoreError::Conflict`] when the account is already active.
    fn claim_subject_account(
        &self,
        ctx: &WriteContext,
        identity: &str,
        code_hash: &str,
        issued_after: Timestamp,
        password_hash: &str,
    ) -> Result<Subject>;
    /// The subject with this USCC or document number (staff use: verifying identity).
    fn subject_by_identity(&self, identity: &str) -> Result<Option<Subject>>;
    /// The subject with this USCC or document number and its account's password hash.
    fn subject_account(&self, identity: &str) -> Result<Option<(Subject, String)>>;
    fn create_subject_session(&self, token_hash: &str, subject_id: i64, expires_at: Timestamp) -> Result<()>;
    fn subject_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Subject>>;
    /// Ends a subject session (logout).
    fn delete_subject_session(&self, token_hash: &str) -> Result<()>;

    /// Files an objection by the subject against one of its records, with
    /// attachments (file name, content); routed to the record's department.
    /// Appends `objection.filed`. [`StoreError::NotFound`] when the record is
    /// not the subject's, [`StoreError::Conflict`] when one is already open.
    fn file_objection(
        &self,
        ctx: &WriteContext,
        record_id: i64,
        subject_id: i64,
        reasons: &str,
        attachments: &[(String, Vec<u8>)],
    ) -> Result<i64>;
    /// Objections, newest first, at most `limit`.
    fn objections(&self, filter: &ObjectionFilter, limit: u32) -> Result<Vec<Objection>>;
    /// Applies a staff action (acknowledge, extend once, uphold, reject) and
    /// appends an event; [`StoreError::Conflict`] when the state does not allow it.
    fn act_on_objection(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: &xinjiao_core::objections::ObjectionAction,
    ) -> Result<xinjiao_core::objections::ObjectionStatus>;
    /// An attachment: (objection id, file name, content).
    fn objection_attachment(&self, id: i64) -> Result<Option<(i64, String, Vec<u8>)>>;

    /// Files a credit repair application by the subject for one of its
    /// records, with the signer of the commitment, the evidence and an optional
    /// file. Appends `repair.filed`. [`StoreError::NotFound`] when the record is
    /// not the subject's, [`StoreError::Conflict`] when one is pending or approved.
    fn file_repair(
        &self,
        ctx: &WriteContext,
        record_id: i64,
        subject_id: i64,
        commitment_by: &str,
        evidence: &str,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<i64>;
    /// Repair applications, newest first, at most `limit`.
    fn repairs(&self, filter: &RepairFilter, limit: u32) -> Result<Vec<Repair>>;
    /// Applies a staff action; approving ends the record's publication from
    /// `ctx`'s day, revoking restores it (both make its window stale).
    fn act_on_repair(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: &xinjiao_core::repairs::RepairAction,
    ) -> Result<xinjiao_core::repairs::RepairStatus>;

    /// Turns review before publication on or off for a department (event
    /// `department.review_changed`).
    fn set_review_required(&self, ctx: &WriteContext, department_id: i64, required: bool) -> Result<()>;
    /// Approves a pending record: public from `ctx`'s day, counted in the
    /// rates. [`StoreError::Conflict`] unless it is pending.
    fn approve_record(&self, ctx: &WriteContext, record_id: i64) -> Result<()>;
    /// Rejects a pending record with a reason for the clerk.
    fn reject_record(&self, ctx: &WriteContext, record_id: i64, reason: &str) -> Result<()>;

    /// Creates or updates divisions (by code) and departments (by code).
    /// Appends an `organisation.saved` event.
    fn save_organisation(
        &self,
        ctx: &WriteContext,
        divisions: &[Division],
        departments: &[NewDepartment],
    ) -> Result<()>;
    /// Divisions in display order.
    fn divisions(&self) -> Result<Vec<Division>>;
    /// Departments in display order.
    fn departments(&self) -> Result<Vec<Department>>;

    /// Stores declarations (replacing those of the same department, month and
    /// kind), with a `declaration.saved` event for each that changed.
    fn declare(&self, ctx: &WriteContext, declarations: &[(i64, Month, RecordKind, i64)]) -> Result<()>;
    /// Declarations of months `from..=to`.
    fn declarations(&self, from: Month, to: Month) -> Result<Vec<Declaration>>;

    /// Replaces the whole responsibility table; appends a `responsibilities.saved` event.
    fn replace_responsibilities(&self, ctx: &WriteContext, rows: &[Responsibility]) -> Result<()>;
    fn responsibilities(&self) -> Result<Vec<Responsibility>>;

    /// Stores a document (published or draft); the actor and time come from `ctx`.
    fn create_document(&self, ctx: &WriteContext, doc: &NewDocument) -> Result<i64>;
    /// Publishes a draft on `on`; [`StoreError::Conflict`] if already published.
    fn publish_document(&self, ctx: &WriteContext, id: i64, on: Date) -> Result<()>;
    fn document(&self, id: i64) -> Result<Option<Document>>;
    /// Documents, newest issue date first.
    fn documents(&self, filter: &DocumentFilter, page: PageRequest) -> Result<Page<Document>>;

    /// Reported and on-time counts of records decided in `from..=to`, by
    /// department, month of decision and kind. A record is on time when it was
    /// published on or before the deadline that `deadlines` gives for its kind
    /// and decision date. `deadlines` must cover every day of the range:
    /// records of a (kind, day) without an entry are not counted.
    fn record_rate_rows(&self, from: Date, to: Date, deadlines: &[Deadline]) -> Result<Vec<RecordRateRow>>;
    /// Submitted and passed rows of submissions made in `from..=to` (China time), by department and month.
    fn submission_rate_rows(&self, from: Date, to: Date) -> Result<Vec<SubmissionRateRow>>;
    /// Records decided in `from..=to` (of the given departments, or all)
    /// published after their deadline, most overdue first, at most `limit`
    /// (`deadlines` as for [`Store::record_rate_rows`]).
    fn late_records(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        deadlines: &[Deadline],
        limit: u32,
    ) -> Result<Vec<LateRecord>>;
    /// Submissions made in `from..=to` (of the given departments, or all) with rejected rows, newest first.
    fn rejected_submissions(
        &self,
        departments: Option<&[i64]>,
        from: Date,
        to: Date,
        limit: u32,
    ) -> Result<Vec<Submission>>;

    fn meta(&self, key: &str) -> Result<Option<String>>;
    fn set_meta(&self, key: &str, value: &str) -> Result<()>;

    /// Stores (or replaces) a year of the working-day calendar: the validated
    /// text of its rule file. Appends a `calendar.loaded` event.
    fn save_calendar_year(&self, ctx: &WriteContext, year: i16, source_text: &str) -> Result<()>;
    /// The calendar years loaded into this installation, with their texts.
    fn calendar_years(&self) -> Result<Vec<(i16, String)>>;

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
