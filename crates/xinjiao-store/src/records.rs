//! Records and subjects (记录与主体): the records' and subjects' row types, the
//! filters of record lists, what a write did to each record, and
//! [`RecordStore`].

use std::collections::BTreeMap;

use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_core::Record;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::records::record::SubjectKind;

use crate::*;

/// A stored version's record, rebuilt from its canonical fields (to apply a
/// version approved after review); `None` if the fields no longer parse.
pub fn record_from_stored(kind: RecordKind, fields: &BTreeMap<String, String>, today: Date) -> Option<Record> {
    let values: xinjiao_core::records::record::FieldValues =
        fields.iter().filter_map(|(k, v)| kind.field(k).map(|d| (d.code, v.clone()))).collect();
    xinjiao_core::records::record::parse_record(kind, &values, &xinjiao_core::records::record::ParseContext { today })
        .ok()
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

/// An organ that issued records (处罚机关 / 许可机关), with its record count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityCount {
    pub code: String,
    pub name: String,
    pub n_records: i64,
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

/// Records and subjects: writes of record batches (new records, versions, subjects), reads of records, subjects and submissions.
pub trait RecordStore: Send + Sync {
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

    /// Every authority with its number of records.
    fn authorities(&self) -> Result<Vec<AuthorityCount>> {
        self.authorities_for(&RecordFilter::default())
    }

    /// The authorities of the records `filter` selects, whatever its own
    /// authority criterion: each count is what the list shows when that
    /// authority is chosen with the filter's other criteria (authorities
    /// with none are left out).
    fn authorities_for(&self, filter: &RecordFilter) -> Result<Vec<AuthorityCount>>;

    fn totals(&self) -> Result<Totals> {
        self.totals_on(None)
    }

    /// Like [`Store::totals`], counting only what is public on the day.
    fn totals_on(&self, public_on: Option<Date>) -> Result<Totals>;

    fn create_submission(&self, ctx: &WriteContext, s: &NewSubmission) -> Result<i64>;

    fn submissions_of(&self, user_id: i64, limit: u32) -> Result<Vec<Submission>>;

    fn submission(&self, id: i64) -> Result<Option<Submission>>;

    fn submission_file(&self, id: i64) -> Result<Option<Vec<u8>>>;

    /// Events about a subject itself (`subject.*`: created, renamed), oldest
    /// first: the history of its name, for staff.
    fn subject_history(&self, subject_id: i64) -> Result<Vec<Event>>;

    /// The subject with this USCC or document number (staff use: verifying identity).
    fn subject_by_identity(&self, identity: &str) -> Result<Option<Subject>>;
}
