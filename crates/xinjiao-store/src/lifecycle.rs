//! The lifecycle of a published record (公示与修复): disclosure windows and
//! the rules they are computed with, objections, repairs, review before
//! publication, and [`LifecycleStore`].

use std::collections::BTreeMap;

use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_core::records::fields::RecordKind;

use crate::*;

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
    pub rules: xinjiao_core::lifecycle::disclosure::DisclosureRules,
    pub fingerprint: String,
}

impl WindowRules {
    /// The rules embedded in the binary (`rules/disclosure.toml`).
    pub fn embedded() -> WindowRules {
        WindowRules {
            rules: xinjiao_core::lifecycle::disclosure::DisclosureRules::embedded(),
            fingerprint: xinjiao_core::lifecycle::disclosure::fingerprint(&[
                xinjiao_core::lifecycle::disclosure::EMBEDDED,
            ]),
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
    ) -> xinjiao_core::lifecycle::disclosure::RecordWindow {
        let ended = match (withdrawn_on, repaired_on) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        xinjiao_core::lifecycle::disclosure::record_window(&self.rules, kind, decision_date, fields, ended)
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

/// A credit objection (信用异议) with the record it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objection {
    pub id: i64,
    pub record_id: i64,
    pub record_kind: RecordKind,
    pub decision_no: String,
    pub subject_id: i64,
    /// The subject's name (as it is now).
    pub subject_name: String,
    pub department_id: Option<i64>,
    pub reasons: String,
    pub status: xinjiao_core::lifecycle::objections::ObjectionStatus,
    pub filed_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub extended: bool,
    pub extension_reason: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    /// (attachment id, file name)
    pub attachments: Vec<(i64, String)>,
}

/// Which objections to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectionFilter {
    pub id: Option<i64>,
    pub record_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub departments: Option<Vec<i64>>,
    pub open_only: bool,
}

/// A credit repair application with the record it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    pub id: i64,
    pub record_id: i64,
    pub decision_no: String,
    pub subject_id: i64,
    pub department_id: Option<i64>,
    /// Who signed the repair commitment.
    pub commitment_by: String,
    /// How the obligations were met.
    pub evidence: String,
    pub evidence_name: Option<String>,
    pub status: xinjiao_core::lifecycle::repairs::RepairStatus,
    pub filed_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    pub decision_reason: Option<String>,
    pub revoke_reason: Option<String>,
}

/// The repair commitment signed with an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairCommitment<'a> {
    /// Who signed (the name the applicant gives).
    pub by: &'a str,
    pub template_version: u32,
    /// The text as rendered and signed.
    pub text: &'a str,
}

/// Which repair applications to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairFilter {
    pub id: Option<i64>,
    pub subject_id: Option<i64>,
    pub departments: Option<Vec<i64>>,
}

/// The lifecycle of a published record: disclosure windows, withdrawals, objections, credit repair and review before publication.
pub trait LifecycleStore: Send + Sync {
    /// The rules every write computes disclosure windows with (by default
    /// the embedded ones).
    fn window_rules(&self) -> std::sync::Arc<WindowRules>;

    /// Replaces the rules of [`Store::window_rules`]; [`refresh_windows`]
    /// then recomputes the windows computed with others.
    fn set_window_rules(&self, rules: std::sync::Arc<WindowRules>);

    /// Records whose disclosure window is not computed yet (or was computed
    /// with other rules), with their current fields, at most `limit`.
    fn stale_windows(&self, limit: u32) -> Result<Vec<StaleWindow>>;

    /// Stores computed windows, marked with the rules' fingerprint.
    fn set_windows(
        &self,
        fingerprint: &str,
        windows: &[(i64, xinjiao_core::lifecycle::disclosure::RecordWindow)],
    ) -> Result<()>;

    /// Marks stale every window not computed with the rules of `fingerprint`
    /// (the rules changed); those records are not public until recomputed.
    fn invalidate_windows(&self, fingerprint: &str) -> Result<()>;

    /// Withdraws a record from publication from today (`ctx`'s day), because
    /// the decision was changed, revoked, or confirmed illegal or void by a
    /// decision of `change_decided_on`. Appends `record.withdrawn`; the
    /// record's window becomes stale. [`StoreError::Conflict`] if it already is
    /// withdrawn, [`StoreError::NotFound`] if there is no such record.
    fn withdraw_record(&self, ctx: &WriteContext, record_id: i64, reason: &str, change_decided_on: Date) -> Result<()>;

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
        action: &xinjiao_core::lifecycle::objections::ObjectionAction,
    ) -> Result<xinjiao_core::lifecycle::objections::ObjectionStatus>;

    /// An attachment: (objection id, file name, content).
    fn objection_attachment(&self, id: i64) -> Result<Option<(i64, String, Vec<u8>)>>;

    /// Files a credit repair application by the subject for one of its
    /// records, with its repair commitment (kept in `commitments`, type
    /// `repair`, in force, in the same transaction), the evidence and an
    /// optional file. Appends `repair.filed` and `commitment.signed`. [`StoreError::NotFound`] when the record is
    /// not the subject's, [`StoreError::Conflict`] when one is pending or approved.
    fn file_repair(
        &self,
        ctx: &WriteContext,
        record_id: i64,
        subject_id: i64,
        commitment: &RepairCommitment<'_>,
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
        action: &xinjiao_core::lifecycle::repairs::RepairAction,
    ) -> Result<xinjiao_core::lifecycle::repairs::RepairStatus>;

    /// Approves a pending record: public from `ctx`'s day, counted in the
    /// rates. [`StoreError::Conflict`] unless it is pending.
    fn approve_record(&self, ctx: &WriteContext, record_id: i64) -> Result<()>;

    /// Rejects a pending record with a reason for the clerk.
    fn reject_record(&self, ctx: &WriteContext, record_id: i64, reason: &str) -> Result<()>;
}
