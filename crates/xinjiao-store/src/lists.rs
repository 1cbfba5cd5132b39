//! Lists and measures in the database ([`ListStore`]): the vehicle register
//! and overload detections (issue 15), the facts the list criteria read
//! ([`overload_facts`]), list entries and their objections. The backends
//! store; the decisions of each step are [`plan_action`] and
//! [`may_object`], run inside the backends' transactions.

use jiff::Timestamp;
use xinjiao_core::calendar::Calendar;
use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
use xinjiao_core::lists::definition::{Computation, ListDefinition, PartyType};
use xinjiao_core::lists::entries::{EndKind, EntryAction, EntryState, may_confirm, notice_last_day, shown_until};
use xinjiao_core::lists::overload::{Detection, OverloadFacts, PenaltyFact, VehicleRow};
use xinjiao_core::monitoring::warnings::months_back;
use xinjiao_core::records::record::SubjectInfo;

use crate::*;

/// The storage of the lists capability.
pub trait ListStore {
    /// Creates or updates (by plate) vehicles of the register in one
    /// transaction, an event per vehicle created or changed. Returns (created,
    /// changed); identical rows change nothing.
    fn save_vehicles(&self, ctx: &WriteContext, rows: &[VehicleRow]) -> Result<(usize, usize)>;
    /// The register, by plate.
    fn vehicles(&self) -> Result<Vec<VehicleRow>>;
    /// Stores detections in one transaction, keyed by
    /// [`Detection::key`]: a known key with other driver, enterprise or
    /// penalty is updated, an identical one changes nothing. One event for
    /// the batch. Returns (created, changed).
    fn save_detections(&self, ctx: &WriteContext, rows: &[Detection]) -> Result<(usize, usize)>;
    /// Detections dated `from` to `to` inclusive, by date and id.
    fn detections_between(&self, from: Date, to: Date) -> Result<Vec<Detection>>;
    /// Penalties decided `from` to `to`, published and not withdrawn, of the
    /// enterprises of the register or of detections in those days.
    fn enterprise_penalties(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>>;

    /// Stores a proposed entry (its subject found or created), with the
    /// event `list_entry.proposed`; `Conflict` if the party already has an
    /// open entry on the list ([`EntryState::is_open`], a listed one only
    /// while shown on `today`).
    fn propose_entry(&self, ctx: &WriteContext, entry: &NewEntry, today: Date) -> Result<i64>;
    fn entry(&self, id: i64) -> Result<Option<Entry>>;
    /// Entries matching `filter`, newest first, at most `limit`.
    fn entries(&self, filter: &EntryFilter, limit: u32) -> Result<Vec<Entry>>;
    /// Applies `action` to entry `id` as [`plan_action`] decides, inside one
    /// transaction (open objections counted in it), with an event.
    fn act_on_entry(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: &EntryAction,
        today: Date,
        cal: &Calendar,
    ) -> Result<Entry>;
    /// Files an objection to an entry in notice ([`may_object`]), event
    /// `list_objection.filed`.
    fn file_list_objection(
        &self,
        ctx: &WriteContext,
        objection: &NewListObjection,
        today: Date,
        cal: &Calendar,
    ) -> Result<i64>;
    /// The objections of an entry (or, with `None`, every open one), oldest first.
    fn list_objections(&self, entry_id: Option<i64>) -> Result<Vec<ListObjection>>;
    /// Acknowledges, extends, upholds or rejects an objection; upholding
    /// withdraws the entry from its notice in the same transaction.
    fn act_on_list_objection(&self, ctx: &WriteContext, id: i64, action: &ObjectionAction) -> Result<ListObjection>;

    /// Registers a partner system whose token hashes to `token_hash`, event
    /// `check_partner.created`.
    fn create_partner(&self, ctx: &WriteContext, p: &NewPartner) -> Result<i64>;
    /// The partner whose token hashes to `token_hash`, if not revoked or expired at `now`.
    fn partner_by_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<Partner>>;
    fn partners(&self) -> Result<Vec<Partner>>;
    /// Revokes a partner's token (event `check_partner.revoked`).
    fn revoke_partner(&self, ctx: &WriteContext, id: i64) -> Result<()>;
}

/// A partner system to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub name: String,
    pub scenarios: Vec<String>,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

/// A partner system with its scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: i64,
    pub name: String,
    pub scenarios: Vec<String>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// An entry to propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub list_code: String,
    pub criterion: u32,
    /// `computed` (from a candidate) or `proposed` (grounds and evidence given by staff).
    pub origin: String,
    pub party_type: PartyType,
    pub party: String,
    pub party_name: String,
    /// The subject the entry is about (for a vehicle: its owner), found or created.
    pub subject: Option<SubjectInfo>,
    pub reason: String,
    /// JSON: the candidate's evidence, or the proposer's evidence text.
    pub evidence: String,
    pub department_id: Option<i64>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub list_code: String,
    pub list_version: u32,
    pub criterion: u32,
    pub origin: String,
    pub party_type: PartyType,
    pub party: String,
    pub party_name: String,
    pub subject_id: Option<i64>,
    pub subject_key: Option<String>,
    pub reason: String,
    pub evidence: String,
    pub department_id: Option<i64>,
    pub state: EntryState,
    pub proposed_at: Timestamp,
    pub proposed_by: String,
    pub reviewed_at: Option<Timestamp>,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    pub notice_from: Option<Date>,
    pub listed_on: Option<Date>,
    pub shown_until: Option<Date>,
    pub ended_on: Option<Date>,
    pub end_kind: Option<String>,
    pub end_note: Option<String>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub list_code: Option<String>,
    pub states: Vec<EntryState>,
    pub subject_id: Option<i64>,
    pub party: Option<String>,
}

/// An objection to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewListObjection {
    pub entry_id: i64,
    /// Who objects (the party's name, or the person a clerk recorded it for).
    pub objector: String,
    /// `account` (the subject's own account) or `staff` (recorded at a window).
    pub filed_via: String,
    pub reasons: String,
}

/// A stored objection to an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjection {
    pub id: i64,
    pub entry_id: i64,
    pub objector: String,
    pub filed_via: String,
    pub reasons: String,
    pub status: ObjectionStatus,
    pub filed_at: Timestamp,
    pub filed_on: Date,
    pub acknowledged_at: Option<Timestamp>,
    pub extended_at: Option<Timestamp>,
    pub extension_reason: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
}

/// What an action changes on an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub state: EntryState,
    /// `list_entry.<event>`.
    pub event: &'static str,
    pub notice_from: Option<Date>,
    pub listed_on: Option<Date>,
    pub shown_until: Option<Date>,
    pub ended_on: Option<Date>,
    pub end_kind: Option<EndKind>,
    pub note: Option<String>,
    /// A review: set reviewed_at/by.
    pub review: bool,
}

/// The list an entry belongs to, or a backend error naming it.
pub fn list_of(code: &str) -> Result<&'static ListDefinition> {
    ListDefinition::find(code).ok_or_else(|| StoreError::Backend(format!("unknown list {code}")))
}

/// Decides what `action` does to `entry` on `today`: the core's state
/// machine; the reviewer is not the proposer; a confirmation only after the
/// notice and with no objection open; the days each step sets.
pub fn plan_action(
    entry: &Entry,
    actor: &str,
    action: &EntryAction,
    today: Date,
    open_objections: usize,
    cal: &Calendar,
) -> Result<Change> {
    let state = action.apply(entry.state).map_err(|m| StoreError::Conflict(m.into()))?;
    let list = list_of(&entry.list_code)?;
    let mut c = Change {
        state,
        event: "",
        notice_from: None,
        listed_on: None,
        shown_until: None,
        ended_on: None,
        end_kind: None,
        note: None,
        review: false,
    };
    match action {
        EntryAction::Approve | EntryAction::Reject(_) => {
            if entry.proposed_by == actor {
                return Err(StoreError::Conflict("审核人不能是提出人（两人复核）".into()));
            }
            c.review = true;
            if let EntryAction::Reject(note) = action {
                c.event = "list_entry.rejected";
                c.note = Some(note.clone());
            } else {
                c.event = "list_entry.approved";
                c.notice_from = Some(today);
            }
        }
        EntryAction::Withdraw(note) => {
            c.event = "list_entry.withdrawn";
            c.ended_on = Some(today);
            c.note = Some(note.clone());
        }
        EntryAction::Confirm => {
            let from = entry.notice_from.ok_or_else(|| StoreError::Backend("notice without a day".into()))?;
            may_confirm(notice_last_day(list, from, cal), today, open_objections).map_err(StoreError::Conflict)?;
            c.event = "list_entry.confirmed";
            c.listed_on = Some(today);
            c.shown_until = Some(shown_until(list, today));
        }
        EntryAction::End(kind, note) => {
            if !list.exits.iter().any(|e| e.as_str() == kind.as_str()) {
                return Err(StoreError::Conflict(format!("{}不允许以{}提前移出", list.name, kind.label())));
            }
            if entry.shown_until.is_some_and(|d| d < today) {
                return Err(StoreError::Conflict("该条目已期满移出".into()));
            }
            c.event = "list_entry.ended";
            c.ended_on = Some(today);
            c.end_kind = Some(*kind);
            c.note = Some(note.clone());
        }
    }
    Ok(c)
}

/// Whether an objection may be filed against `entry` on `today`: during its
/// notice only, up to the notice's last day.
pub fn may_object(entry: &Entry, today: Date, cal: &Calendar) -> Result<()> {
    let list = list_of(&entry.list_code)?;
    match (entry.state, entry.notice_from) {
        (EntryState::Notice, Some(from)) => {
            let last = notice_last_day(list, from, cal);
            if today > last {
                return Err(StoreError::Conflict(format!("公示期已于 {last} 届满，不再受理异议")));
            }
            Ok(())
        }
        _ => Err(StoreError::Conflict("该条目不在公示期内，不受理异议".into())),
    }
}

/// The objection's next status under `action` (the core's workflow).
pub fn objection_status(o: &ListObjection, action: &ObjectionAction) -> Result<ObjectionStatus> {
    action.apply(o.status, o.extended_at.is_some()).map_err(|m| StoreError::Conflict(m.into()))
}

/// What `list`'s computed overload criteria read as of `as_of`: detections
/// and penalties in the longest look-back of its criteria, the register.
pub fn overload_facts(store: &dyn Store, list: &ListDefinition, as_of: Date) -> Result<OverloadFacts> {
    let months = list
        .criteria
        .iter()
        .filter_map(|c| match &c.computed {
            Some(Computation::Trips { months, .. })
            | Some(Computation::FleetShare { months, .. })
            | Some(Computation::DirectingPenalties { months, .. }) => Some(*months),
            _ => None,
        })
        .max();
    let Some(months) = months else { return Ok(OverloadFacts::default()) };
    let from = months_back(as_of, months);
    Ok(OverloadFacts {
        detections: store.detections_between(from, as_of)?,
        fleet: store.vehicles()?,
        penalties: store.enterprise_penalties(from, as_of)?,
    })
}

/// Every candidate of `list` as of `as_of`: the overload criteria and the
/// grade streaks it computes, by criterion and party.
pub fn candidates(
    store: &dyn Store,
    list: &ListDefinition,
    limits: &xinjiao_core::lists::limits::VehicleLimits,
    as_of: Date,
) -> Result<Vec<xinjiao_core::lists::overload::Candidate>> {
    let mut out = xinjiao_core::lists::overload::candidates(list, &overload_facts(store, list, as_of)?, limits, as_of);
    let mut streaks =
        xinjiao_core::lists::red::grade_streak_candidates(list, &streak_facts(store, list, as_of)?, as_of);
    for c in &mut streaks {
        if let Some(s) = store.subject_by_key(&c.party)? {
            c.party_name = s.name;
        }
    }
    out.extend(streaks);
    out.extend(xinjiao_core::lists::breaches::breach_candidates(list, &breach_facts(store, list, as_of)?, as_of));
    out.sort_by(|a, b| (a.criterion, &a.party).cmp(&(b.criterion, &b.party)));
    Ok(out)
}

/// Parties with an entry in force on `as_of` on list `code`.
pub fn listed_parties(store: &dyn Store, code: &str, as_of: Date) -> Result<std::collections::BTreeSet<String>> {
    let filter =
        EntryFilter { list_code: Some(code.to_string()), states: vec![EntryState::Listed], ..Default::default() };
    Ok(store
        .entries(&filter, u32::MAX)?
        .into_iter()
        .filter(|e| e.listed_on.is_some_and(|d| d <= as_of) && e.shown_until.is_some_and(|d| d >= as_of))
        .map(|e| e.party)
        .collect())
}

/// What `list`'s grade-streak criteria read as of `as_of`.
pub fn streak_facts(
    store: &dyn Store,
    list: &ListDefinition,
    as_of: Date,
) -> Result<xinjiao_core::lists::red::StreakFacts> {
    use xinjiao_core::lists::red::{CycleGrades, StreakFacts};
    let Some(Computation::GradeStreak { scheme, cycles, not_on, no_commitment_breach, .. }) =
        list.criteria.iter().find_map(|c| c.computed.as_ref().filter(|x| matches!(x, Computation::GradeStreak { .. })))
    else {
        return Ok(StreakFacts::default());
    };
    // The latest final run of each cycle, newest cycle first.
    let mut latest: std::collections::BTreeMap<i16, crate::Run> = std::collections::BTreeMap::new();
    for run in store.evaluation_runs(scheme)?.into_iter().filter(|r| r.final_from <= as_of) {
        match latest.get(&run.cycle_year) {
            Some(r) if r.id > run.id => {}
            _ => {
                latest.insert(run.cycle_year, run);
            }
        }
    }
    let mut out = StreakFacts::default();
    for run in latest.values().rev().take(*cycles as usize) {
        let grades = store
            .evaluation_results(run.id)?
            .into_iter()
            .map(|r| (r.subject_key.clone(), (r.subject_key, r.grade)))
            .collect();
        out.cycles.push(CycleGrades { cycle_year: run.cycle_year, run_id: run.id, grades });
    }
    let months = xinjiao_core::lists::red::penalty_months(list);
    if months > 0 {
        let ids: Vec<i64> =
            store.penalty_facts(months_back(as_of, months), as_of)?.into_iter().map(|p| p.subject_id).collect();
        out.penalised = store.subject_keys(&ids)?.into_values().collect();
        // A commitment found not kept or false bars the streak as a penalty does.
        if *no_commitment_breach {
            out.penalised.extend(breach_facts(store, list, as_of)?.into_iter().map(|f| f.party));
        }
    }
    for code in not_on {
        out.listed.extend(listed_parties(store, code, as_of)?);
    }
    Ok(out)
}

/// The commitments found not kept or false in the look-back of `list`'s
/// criteria that count them (none if no criterion does), each with its
/// party as the list names it (a USCC, or a person's ID number).
pub fn breach_facts(
    store: &dyn Store,
    list: &ListDefinition,
    as_of: Date,
) -> Result<Vec<xinjiao_core::lists::breaches::BreachFact>> {
    use xinjiao_core::commitments::State;
    let months = xinjiao_core::lists::breaches::breach_months(list);
    if months == 0 {
        return Ok(vec![]);
    }
    let filter = crate::CommitmentFilter {
        states: vec![State::NotKept, State::False],
        concluded_from: Some(months_back(as_of, months)),
        ..Default::default()
    };
    let rules = xinjiao_core::commitments::CommitmentRules::shipped();
    let matters = xinjiao_core::commitments::matters::MatterList::shipped();
    let mut subjects: std::collections::BTreeMap<i64, Option<crate::Subject>> = Default::default();
    let mut out = Vec::new();
    for c in store.commitments(&filter, u32::MAX)? {
        let Some(found_on) = c.concluded_on.filter(|d| *d <= as_of) else { continue };
        let s = match subjects.entry(c.subject_id) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(store.subject_by_key(&c.subject_key)?),
        };
        let Some(s) = s else { continue };
        let (party, person) = match (&s.uscc, &s.id_doc_no) {
            (Some(u), _) => (u.clone(), false),
            (None, Some(id)) => (id.clone(), true),
            (None, None) => continue,
        };
        let kind = rules.type_of(&c.kind).map_or(c.kind.clone(), |t| t.name.clone());
        let matter = c.matter.as_deref().and_then(|m| matters.matter(m)).map(|m| format!("（{}）", m.name));
        out.push(xinjiao_core::lists::breaches::BreachFact {
            commitment_id: c.id,
            party,
            party_name: s.name.clone(),
            person,
            state: c.state,
            found_on,
            what: format!("{kind}{}", matter.unwrap_or_default()),
        });
    }
    Ok(out)
}
