//! The audit trail (审计): the append-only events and [`AuditStore`].

use jiff::Timestamp;

use crate::*;

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

/// The append-only event log and the data version derived from it.
pub trait AuditStore: Send + Sync {
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
}
