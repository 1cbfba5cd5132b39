//! The transparency log's storage (issue 16) and [`LogStore`].
//!
//! Two append-only tables: `log_entries` (one row per leaf: its entry bytes,
//! the salt and the content it commits to, and what it is about) and
//! `log_hashes` (the hash of every complete subtree, level by level: what
//! tiles serve and proofs read). The backends append to both in the same
//! transaction as the change a leaf records, through [`Appender`] (the tree's
//! frontier), and never update or delete a row. Signed checkpoints are kept
//! in `log_checkpoints`; the web crate signs them (the key is not the
//! store's).

use jiff::Timestamp;
use xinjiao_core::transparency::entry::{LogEntry, LogEvent, commitment, format_time};
use xinjiao_core::transparency::tree::{
    Hash, ProofError, consistency_proof_with, inclusion_proof_with, leaf_hash, needed_hashes, root_with,
};

use crate::*;

/// The most leaves or hashes one read returns (a full tile).
pub const MAX_READ: u64 = 256;

/// A leaf as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLeaf {
    pub index: u64,
    pub at: Timestamp,
    pub event: String,
    pub object: String,
    pub record_id: Option<i64>,
    /// The exact bytes hashed into the leaf.
    pub entry: Vec<u8>,
    pub salt: Vec<u8>,
    /// The committed content (canonical JSON). Served only with the rights
    /// to see it: the portal serves it while the record is public.
    pub content: String,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note.
    pub note: String,
    pub at: Timestamp,
}

/// A leaf appended outside a record write (a report issued).
#[derive(Debug, Clone)]
pub struct NewLeaf {
    pub event: xinjiao_core::transparency::entry::LogEvent,
    pub object: String,
    pub content: String,
}

impl NewLeaf {
    /// The leaf about to be appended at `at` (about no record).
    pub fn pending(&self, at: Timestamp) -> PendingLeaf {
        PendingLeaf {
            at,
            event: self.event,
            object: self.object.clone(),
            record_id: None,
            content: self.content.clone(),
        }
    }
}

/// Another installation whose log this one watches (`/console/log-peers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub id: i64,
    /// The installation's address (its log at `<url>/log/`).
    pub url: String,
    pub name: String,
    /// The verifier key trusted for it (advanced when a rotation is followed).
    pub vkey: String,
    /// The audit state after the last clean audit (`xinjiao-audit-state/1`).
    pub state: Option<String>,
    /// `new`, `ok`, `finding` or `unreachable`: the latest audit's outcome.
    pub status: String,
    /// The finding's code (`audit.fork`, `audit.rewritten_entry`…).
    pub code: Option<String>,
    pub message: Option<String>,
    /// The log's size at the last clean audit.
    pub size: Option<u64>,
    pub checked_at: Option<Timestamp>,
    pub added_by: String,
    pub added_at: Timestamp,
}

/// The outcome of one audit of a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAudit {
    /// `ok`, `finding` or `unreachable`.
    pub status: &'static str,
    pub code: Option<String>,
    pub message: String,
    /// The new state (a clean audit only; otherwise the last clean one stays).
    pub state: Option<String>,
    pub size: Option<u64>,
    /// The key to trust from now on (a followed rotation).
    pub vkey: Option<String>,
}

/// A credit report about to be issued: what its row and its leaf say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub number: String,
    pub subject_key: String,
    pub subject_name: String,
    /// `public` or `full` (the subject's own).
    pub edition: String,
    pub as_of: jiff::civil::Date,
    pub sha256: Hash,
    /// The store's data version when the report was made.
    pub data_version: i64,
    pub pages: u32,
    pub bytes: u64,
    /// A digest of each section's content (JSON object, section code →
    /// hex SHA-256): what "is it still the latest" compares.
    pub digests: String,
}

/// A credit report as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub number: String,
    pub subject_key: String,
    pub subject_name: String,
    pub edition: String,
    pub as_of: jiff::civil::Date,
    pub issued_at: Timestamp,
    pub issued_by: String,
    pub sha256: Hash,
    pub data_version: i64,
    /// Its report.issued leaf; also the log's size when it was issued.
    pub leaf_index: u64,
    pub pages: u32,
    pub bytes: u64,
    pub digests: String,
}

impl NewReport {
    /// The content its leaf commits to.
    pub fn content(&self) -> String {
        xinjiao_core::transparency::entry::report_content(&self.number, &self.subject_key, self.as_of, &self.sha256)
    }

    /// The pending leaf.
    pub fn leaf(&self, at: Timestamp) -> PendingLeaf {
        PendingLeaf {
            at,
            event: LogEvent::ReportIssued,
            object: format!("report/{}", self.number),
            record_id: None,
            content: self.content(),
        }
    }
}

pub trait LogStore: Send + Sync {
    /// The number of leaves.
    fn log_size(&self) -> Result<u64>;
    /// Leaves `[start, end)`, at most [`MAX_READ`].
    fn log_leaves(&self, start: u64, end: u64) -> Result<Vec<LogLeaf>>;
    /// Every leaf about record `record_id`, oldest first.
    fn record_leaves(&self, record_id: i64) -> Result<Vec<LogLeaf>>;
    /// The leaf whose object is `object` (the newest if several).
    fn object_leaf(&self, object: &str) -> Result<Option<LogLeaf>>;
    /// The stored hashes of tree level `level`, indices `[start, end)`, at
    /// most [`MAX_READ`]; fewer if the level has fewer.
    fn log_level(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>>;
    /// The stored hashes at the given (level, index) keys; a missing key is an error.
    fn log_hashes(&self, keys: &[(u32, u64)]) -> Result<Vec<Hash>>;
    /// Appends a leaf in its own transaction (with an event), returns its index.
    fn append_leaf(&self, ctx: &WriteContext, leaf: &NewLeaf) -> Result<u64>;
    /// Appends `leaves` in one transaction unless a leaf about the first
    /// one's object is already in the log (then nothing, `false`): a batch
    /// appended at most once, whoever else tries at the same time.
    fn append_leaves_once(&self, ctx: &WriteContext, leaves: &[NewLeaf]) -> Result<bool>;
    /// Stores a signed checkpoint of `size` leaves with root `root`, unless
    /// one of that size is stored already; false then. Refuses a root that
    /// is not the stored tree's.
    fn add_checkpoint(&self, size: u64, root: &Hash, note: &str, at: Timestamp) -> Result<bool>;
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>>;
    /// The checkpoint of exactly `size` leaves, if one was signed.
    fn checkpoint_of_size(&self, size: u64) -> Result<Option<StoredCheckpoint>>;
    /// Newest first.
    fn checkpoints(&self, limit: u32) -> Result<Vec<StoredCheckpoint>>;
    /// Stores an issued report and appends its `report.issued` leaf in one
    /// transaction (with an event); refuses a number or hash already used.
    fn issue_report(&self, ctx: &WriteContext, report: &NewReport) -> Result<StoredReport>;
    fn report(&self, number: &str) -> Result<Option<StoredReport>>;
    fn report_by_sha256(&self, sha256: &Hash) -> Result<Option<StoredReport>>;
    /// A subject's reports, newest first.
    fn subject_reports(&self, subject_key: &str, limit: u32) -> Result<Vec<StoredReport>>;

    /// Watches another installation's log; [`StoreError::Conflict`] if its
    /// address is watched already. Appends `log_peer.added`.
    fn add_peer(&self, ctx: &WriteContext, url: &str, name: &str, vkey: &str) -> Result<i64>;
    /// The watched installations, by name.
    fn peers(&self) -> Result<Vec<Peer>>;
    /// Stores an audit's outcome; a finding also appends `log_peer.finding`.
    fn record_peer_audit(&self, ctx: &WriteContext, id: i64, audit: &PeerAudit) -> Result<()>;
}

fn range(e: ProofError) -> StoreError {
    StoreError::Conflict(format!("log proof out of range: {e:?}"))
}

/// Runs a proof function against the store: names the hashes it needs,
/// fetches them in one call, runs it again with them.
fn with_hashes<T>(
    store: &(impl LogStore + ?Sized),
    run: impl Fn(&mut xinjiao_core::transparency::tree::HashSource<'_>) -> T,
) -> Result<T> {
    let keys = needed_hashes(|get| {
        run(get);
    });
    let hashes = store.log_hashes(&keys)?;
    let map: std::collections::HashMap<(u32, u64), Hash> = keys.into_iter().zip(hashes).collect();
    Ok(run(&mut |k, i| map[&(k, i)]))
}

/// The root of the tree of the first `size` leaves.
pub fn log_root(store: &(impl LogStore + ?Sized), size: u64) -> Result<Hash> {
    if size > store.log_size()? {
        return Err(StoreError::NotFound);
    }
    with_hashes(store, |get| root_with(size, get))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(store: &(impl LogStore + ?Sized), index: u64, size: u64) -> Result<Vec<Hash>> {
    if size > store.log_size()? {
        return Err(StoreError::NotFound);
    }
    with_hashes(store, |get| inclusion_proof_with(index, size, get))?.map_err(range)
}

/// The consistency proof between the trees of `old` and `new` leaves.
pub fn consistency_proof(store: &(impl LogStore + ?Sized), old: u64, new: u64) -> Result<Vec<Hash>> {
    if new > store.log_size()? {
        return Err(StoreError::NotFound);
    }
    with_hashes(store, |get| consistency_proof_with(old, new, get))?.map_err(range)
}

/// A leaf ready to store: its entry bytes, a fresh random salt and the
/// leaf hash.
#[derive(Debug, Clone)]
pub struct BuiltLeaf {
    pub entry: Vec<u8>,
    pub salt: [u8; 32],
    pub hash: Hash,
}

/// Builds the leaf recording `event` about `object` at `at`, committing to
/// `content` with a new salt.
pub fn build_leaf(at: Timestamp, event: LogEvent, object: &str, content: &str) -> BuiltLeaf {
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).expect("the operating system's random source");
    let entry = LogEntry {
        event,
        object: object.to_string(),
        time: format_time(at),
        commitment: commitment(&salt, content.as_bytes()),
    }
    .to_bytes();
    let hash = leaf_hash(&entry);
    BuiltLeaf { entry, salt, hash }
}

/// The object naming version `version` of record `id`.
pub fn record_object(id: i64, version: i64) -> String {
    format!("record/{id}/{version}")
}

/// A leaf about to be appended by a write.
#[derive(Debug, Clone)]
pub struct PendingLeaf {
    pub at: Timestamp,
    pub event: LogEvent,
    pub object: String,
    pub record_id: Option<i64>,
    pub content: String,
}

impl PendingLeaf {
    /// Version `version` of record `id`, whose fields are `fields`.
    pub fn record_version<K: std::borrow::Borrow<str> + Ord>(
        at: Timestamp,
        event: LogEvent,
        kind: xinjiao_core::records::fields::RecordKind,
        id: i64,
        version: i64,
        fields: &std::collections::BTreeMap<K, String>,
    ) -> PendingLeaf {
        let content = xinjiao_core::transparency::entry::record_content(kind, id, version, fields);
        PendingLeaf { at, event, object: record_object(id, version), record_id: Some(id), content }
    }

    /// The early end of version `version` of record `id` (withdrawn, repaired) on `on`.
    pub fn record_ending(
        at: Timestamp,
        event: LogEvent,
        id: i64,
        version: i64,
        on: jiff::civil::Date,
        reason: &str,
    ) -> PendingLeaf {
        let content = xinjiao_core::transparency::entry::ending_content(id, version, on, reason);
        PendingLeaf { at, event, object: record_object(id, version), record_id: Some(id), content }
    }
}

/// The leaf a list entry's change appends, if it is one the log records:
/// a confirmation (the party is listed) or the early end of a listed entry.
pub fn list_leaf(e: &crate::Entry, c: &crate::lists::Change, at: Timestamp) -> Option<PendingLeaf> {
    use xinjiao_core::lists::entries::EntryState;
    let object = format!("list-entry/{}", e.id);
    if c.state == EntryState::Listed && e.state != EntryState::Listed {
        let (listed_on, shown_until) = (c.listed_on?, c.shown_until?);
        let content = xinjiao_core::transparency::entry::listed_content(
            e.id,
            &e.list_code,
            e.criterion,
            e.subject_key.as_deref(),
            listed_on,
            shown_until,
        );
        return Some(PendingLeaf { at, event: LogEvent::ListEntered, object, record_id: None, content });
    }
    if e.state == EntryState::Listed && c.state != EntryState::Listed {
        let on = c.ended_on?;
        let how = c.end_kind.map_or("withdrawn", |k| k.as_str());
        let content = xinjiao_core::transparency::entry::exit_content(
            e.id,
            &e.list_code,
            on,
            how,
            c.note.as_deref().unwrap_or(""),
        );
        return Some(PendingLeaf { at, event: LogEvent::ListExited, object, record_id: None, content });
    }
    None
}

/// Logs the grades of every run of `schemes` made final by `today` and not
/// logged yet: one `grade.final` leaf per result (object
/// `grade/<run>/<subject id>`), a run's leaves in one transaction, at most
/// once. Called by the server's scheduler, which keeps `logged` (the runs
/// known to be in the log) between calls so that a run's results are read
/// once per process, not on every run of the scheduler. Returns how many
/// leaves were appended.
pub fn log_final_grades(
    store: &dyn Store,
    ctx: &WriteContext,
    schemes: &[&str],
    today: jiff::civil::Date,
    logged: &mut std::collections::BTreeSet<i64>,
) -> Result<u64> {
    let mut n = 0;
    for scheme in schemes {
        for run in store.evaluation_runs(scheme)? {
            if run.final_from > today || logged.contains(&run.id) {
                continue;
            }
            let mut results = store.evaluation_results(run.id)?;
            results.sort_by_key(|r| r.subject_id);
            let Some(first) = results.first() else {
                logged.insert(run.id);
                continue;
            };
            if store.object_leaf(&format!("grade/{}/{}", run.id, first.subject_id))?.is_some() {
                logged.insert(run.id);
                continue;
            }
            let leaves: Vec<NewLeaf> = results
                .iter()
                .map(|r| NewLeaf {
                    event: LogEvent::GradeFinal,
                    object: format!("grade/{}/{}", run.id, r.subject_id),
                    content: xinjiao_core::transparency::entry::grade_content(
                        run.id,
                        &run.scheme,
                        run.cycle_year,
                        &r.subject_key,
                        &r.grade,
                        r.score,
                        run.final_from,
                    ),
                })
                .collect();
            if store.append_leaves_once(ctx, &leaves)? {
                n += leaves.len() as u64;
            }
            logged.insert(run.id);
        }
    }
    Ok(n)
}
