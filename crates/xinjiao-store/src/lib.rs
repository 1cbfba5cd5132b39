//! The storage interface of Xinjiao. The web layer and the CLI hold an
//! `Arc<dyn Store>`; each backend (`xinjiao-store-sqlite`, later PostgreSQL)
//! implements [`Store`] and must pass [`suite`], the one shared test suite.
//!
//! The trait is synchronous: backends use blocking drivers, and async callers
//! run store calls on a blocking thread (`tokio::task::spawn_blocking`). See
//! ARCHITECTURE.md for why.

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod commitments;
pub mod evaluation;
pub mod inspection;
pub mod installation;
pub mod lifecycle;
pub mod lists;
pub mod monitoring;
pub mod organisation;
pub mod records;
pub mod reporting;
pub mod suite;
pub mod transparency;

pub use accounts::*;
pub use audit::*;
pub use calendar::*;
pub use commitments::{Commitment, CommitmentFilter, CommitmentStore, NewCommitment};
pub use evaluation::{
    EvaluationStore, EventOutcome, NewCreditEvent, NewRun, PenaltyInput, ResultObjection, Run, StoredResult,
};
pub use inspection::{
    Draw, DrawSummary, FrozenRoster, InspectionResult, InspectionStore, Inspector, Matter, NewDraw, NewMatter,
};
pub use installation::*;
pub use lifecycle::*;
pub use lists::{Entry, EntryFilter, ListObjection, ListStore, NewEntry, NewListObjection, NewPartner, Partner};
pub use monitoring::{
    Attempt, Channel, Channels, Message, MonitoringDay, MonitoringStore, NewMessage, Warning, WarningFilter,
    WarningState,
};
pub use organisation::*;
pub use records::*;
pub use reporting::*;
pub use transparency::{LogLeaf, LogStore, NewLeaf, NewReport, StoredCheckpoint, StoredReport};

use jiff::Timestamp;
use xinjiao_core::Date;

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

/// The storage interface: the sum of one trait per capability, so that
/// callers hold one `Arc<dyn Store>`. All writes are atomic: a batch is
/// stored whole or not at all. Every backend implements each capability's
/// trait in a module of the same name.
pub trait Store:
    RecordStore
    + LifecycleStore
    + OrganisationStore
    + ReportingStore
    + AccountStore
    + AuditStore
    + CalendarStore
    + EvaluationStore
    + InspectionStore
    + MonitoringStore
    + ListStore
    + LogStore
    + CommitmentStore
    + InstallationStore
{
}

impl<
    T: RecordStore
        + LifecycleStore
        + OrganisationStore
        + ReportingStore
        + AccountStore
        + AuditStore
        + CalendarStore
        + EvaluationStore
        + InspectionStore
        + MonitoringStore
        + ListStore
        + LogStore
        + CommitmentStore
        + InstallationStore
        + ?Sized,
> Store for T
{
}
