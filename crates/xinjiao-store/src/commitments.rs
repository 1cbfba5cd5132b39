//! Credit commitments in the database ([`CommitmentStore`], issue 17): the
//! signed text kept unchanged with its template version, signer and time;
//! each step decided by the core's [`xinjiao_core::commitments::apply`]
//! inside the backends' transactions; integrity-education acknowledgements.

use jiff::Timestamp;
use jiff::civil::Date;
use xinjiao_core::calendar::Calendar;
use xinjiao_core::commitments::{Action, CommitmentRules, State, Step, apply};

use crate::*;

/// A commitment about to be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommitment {
    pub subject_id: i64,
    /// The commitment type's code.
    pub kind: String,
    /// The matter it comes with (approval-stage types).
    pub matter: Option<String>,
    pub template_version: u32,
    /// The text as rendered and signed.
    pub text: String,
    /// `account` (the subject itself), `window` (staff record a paper one)
    /// or `association` (an association's upload for its members).
    pub signed_via: String,
    /// The association, for self-regulation commitments.
    pub association: Option<String>,
    pub public: bool,
    /// The department that handles the matter.
    pub department_id: Option<i64>,
    /// The scan of a paper commitment (file name, bytes), for `window`.
    pub scan: Option<(String, Vec<u8>)>,
}

/// A commitment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commitment {
    pub id: i64,
    pub subject_id: i64,
    pub subject_key: String,
    pub subject_name: String,
    pub kind: String,
    pub matter: Option<String>,
    pub template_version: u32,
    pub text: String,
    pub signed_at: Timestamp,
    pub signed_by: String,
    pub signed_via: String,
    pub association: Option<String>,
    pub public: bool,
    pub department_id: Option<i64>,
    pub state: State,
    pub decided_on: Option<Date>,
    pub due: Option<Date>,
    pub concluded_on: Option<Date>,
    pub concluded_by: Option<String>,
    pub note: Option<String>,
    /// The licence record the commitment obtained, once staff name it.
    pub licence_record_id: Option<i64>,
    /// The repair application a repair commitment belongs to.
    pub repair_id: Option<i64>,
}

/// Which commitments to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentFilter {
    pub subject_id: Option<i64>,
    pub matter: Option<String>,
    pub states: Vec<State>,
    pub public_only: bool,
    pub department_id: Option<i64>,
    /// In force with a deadline before this day (overdue on it).
    pub due_before: Option<Date>,
    /// Concluded on or after this day.
    pub concluded_from: Option<Date>,
}

/// The storage of the commitments capability.
pub trait CommitmentStore {
    /// Keeps a signed commitment (its text never changes); appends
    /// `commitment.signed`. The caller has checked the exclusion rules and
    /// the education required.
    fn sign_commitment(&self, ctx: &WriteContext, c: &NewCommitment, state: State) -> Result<i64>;

    /// Keeps an association's upload of its members' self-regulation
    /// commitments (in force at once) in one transaction; a member that
    /// already has one of the same association in force is left as it is.
    /// Returns (new, already held).
    fn sign_member_commitments(&self, ctx: &WriteContext, members: &[NewCommitment]) -> Result<(u64, u64)>;

    /// Applies `action` on `on` (the core decides; a refusal is
    /// [`StoreError::Conflict`] with its reason); appends
    /// `commitment.<new state>`.
    #[allow(clippy::too_many_arguments)]
    fn act_on_commitment(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: Action,
        on: Date,
        matter_days: Option<u32>,
        rules: &CommitmentRules,
        cal: &Calendar,
    ) -> Result<Commitment>;

    fn commitment(&self, id: i64) -> Result<Option<Commitment>>;

    /// Names the licence record a granted commitment obtained (once: a
    /// commitment already linked is a conflict). Appends
    /// `commitment.licence_linked`.
    fn link_commitment_licence(&self, ctx: &WriteContext, id: i64, record_id: i64) -> Result<()>;

    /// Newest first, at most `limit`.
    fn commitments(&self, filter: &CommitmentFilter, limit: u32) -> Result<Vec<Commitment>>;

    /// How many commitments `filter` selects (the badges and dashboard counts).
    fn count_commitments(&self, filter: &CommitmentFilter) -> Result<u64>;

    /// The scan kept with a commitment signed at a window: (file name, bytes, SHA-256 hex).
    fn commitment_scan(&self, id: i64) -> Result<Option<(String, Vec<u8>, String)>>;

    /// The commitments of the subjects whose ids are in `subjects` that
    /// have an outcome (kept, kept late, not kept, false), by subject: the
    /// evaluation's credit events.
    fn concluded_commitments_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<Commitment>>;

    /// Records that the subject read a material's version; `false` if it had
    /// already. Appends `education.acknowledged` the first time.
    fn acknowledge_education(&self, ctx: &WriteContext, subject_id: i64, material: &str, version: u32) -> Result<bool>;

    /// How many subjects acknowledged each material version: (code, version, count).
    fn education_counts(&self) -> Result<Vec<(String, u32, u64)>>;

    /// The materials (code, version, when) a subject has acknowledged.
    fn acknowledgements(&self, subject_id: i64) -> Result<Vec<(String, u32, Timestamp)>>;
}

/// The step an action makes on a stored commitment, or the refusal as a
/// conflict (shared by the backends, inside their transactions).
pub fn plan_step(
    c: &Commitment,
    action: Action,
    on: Date,
    matter_days: Option<u32>,
    rules: &CommitmentRules,
    cal: &Calendar,
) -> Result<Step> {
    let ty =
        rules.type_of(&c.kind).ok_or_else(|| StoreError::Backend(format!("unknown commitment type {}", c.kind)))?;
    apply(ty, c.state, c.due, action, on, matter_days, cal).map_err(|m| StoreError::Conflict(m.into()))
}

/// A state read back from the database.
pub fn state_of(s: &str) -> Result<State> {
    State::parse(s).ok_or_else(|| StoreError::Backend(format!("unknown commitment state {s}")))
}

/// The repair commitment of an application as a commitment to insert.
pub fn repair_commitment(
    subject_id: i64,
    department_id: Option<i64>,
    c: &crate::RepairCommitment<'_>,
) -> NewCommitment {
    NewCommitment {
        subject_id,
        kind: "repair".into(),
        matter: None,
        template_version: c.template_version,
        text: c.text.to_string(),
        signed_via: "account".into(),
        association: None,
        public: false,
        department_id,
        scan: None,
    }
}
