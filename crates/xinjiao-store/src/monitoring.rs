//! Credit risk monitoring and reminders in the database
//! ([`MonitoringStore`]): the facts the warning rules read, the warnings
//! (unique by rule, subject and occasion, so a day evaluated twice raises
//! nothing twice), the days evaluated, each department's reminder channels
//! and the outbox of messages to them. [`gather_facts`] reads a day's facts
//! through the trait.

use std::collections::BTreeMap;

use xinjiao_core::evaluation::scheme::Scheme;
use xinjiao_core::monitoring::rules::WarningRules;
use xinjiao_core::monitoring::warnings::{
    Facts, GradeChange, LicenceFact, PenaltyFact, Raised, RectificationFact, months_back,
};

use crate::*;

/// Where a warning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningState {
    /// Raised, not yet acknowledged (待签收).
    Open,
    /// Acknowledged by the department, feedback to come (已签收).
    Acknowledged,
    /// Feedback recorded (已反馈).
    Answered,
}

impl WarningState {
    pub const ALL: [WarningState; 3] = [WarningState::Open, WarningState::Acknowledged, WarningState::Answered];

    pub fn as_str(self) -> &'static str {
        match self {
            WarningState::Open => "open",
            WarningState::Acknowledged => "acknowledged",
            WarningState::Answered => "answered",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WarningState::Open => "待签收",
            WarningState::Acknowledged => "已签收，待反馈",
            WarningState::Answered => "已反馈",
        }
    }

    pub fn parse(s: &str) -> Option<WarningState> {
        WarningState::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

/// A stored warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub id: i64,
    pub rule: String,
    pub subject_id: i64,
    pub subject_key: String,
    pub subject_name: String,
    pub subject_kind: xinjiao_core::records::record::SubjectKind,
    pub occasion: String,
    pub department_id: Option<i64>,
    pub detail: String,
    /// The day evaluated when it was raised.
    pub raised_on: Date,
    pub raised_at: Timestamp,
    pub acknowledged: Option<(Timestamp, String)>,
    /// The department's feedback (反馈): text, when, by whom.
    pub feedback: Option<(String, Timestamp, String)>,
}

impl Warning {
    pub fn state(&self) -> WarningState {
        match (&self.acknowledged, &self.feedback) {
            (_, Some(_)) => WarningState::Answered,
            (Some(_), None) => WarningState::Acknowledged,
            (None, None) => WarningState::Open,
        }
    }
}

/// Which warnings to list (all conditions must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarningFilter {
    pub subject_id: Option<i64>,
    pub rule: Option<String>,
    pub department_id: Option<i64>,
    /// Warnings with no department (the coordinators' own).
    pub no_department: bool,
    pub state: Option<WarningState>,
    pub raised_on: Option<Date>,
}

/// A day the rules were evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringDay {
    pub day: Date,
    pub evaluated_at: Timestamp,
    /// Warnings newly raised by it.
    pub raised: u64,
    pub rules_version: i64,
}

/// Where a department's reminders go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    pub department_id: i64,
    /// The WeCom (粤政易) group robot's webhook address; empty: none.
    pub wecom_webhook: String,
    /// E-mail addresses separated by commas; empty: none.
    pub email_to: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// How a message leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A WeCom group robot's webhook (JSON `msgtype: markdown`).
    WeCom,
    /// E-mail over SMTP.
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WeCom => "wecom",
            Channel::Email => "email",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Channel::WeCom => "粤政易（企业微信群机器人）",
            Channel::Email => "电子邮件",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::WeCom, Channel::Email].into_iter().find(|c| c.as_str() == s)
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique: a message with a key already queued is not queued again.
    pub dedupe_key: String,
    pub channel: Channel,
    pub department_id: Option<i64>,
    pub title: String,
    /// Markdown (WeCom) that reads as plain text (e-mail).
    pub body: String,
}

/// A queued message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub dedupe_key: String,
    pub channel: Channel,
    pub department_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// `pending`, `sending`, `sent`, `failed`, `uncertain`.
    pub state: String,
    pub attempts: u32,
    /// Seconds since the epoch.
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// The outcome of an attempt to send a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Failed: retry at this second (since the epoch).
    Retry {
        error: String,
        at: i64,
    },
    /// Failed with no attempt left.
    GaveUp {
        error: String,
    },
}

/// Warnings, the days evaluated, reminder channels and the outbox.
pub trait MonitoringStore: Send + Sync {
    /// Penalties not withdrawn decided from `from` to `to` (inclusive).
    fn penalty_facts(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>>;

    /// Licences not withdrawn whose validity ends from `from` to `to` (inclusive).
    fn licence_facts(&self, from: Date, to: Date) -> Result<Vec<LicenceFact>>;

    /// Inspections whose result ordered rectification.
    fn rectification_facts(&self) -> Result<Vec<RectificationFact>>;

    /// The department of each subject's latest record (by decision date), for the subjects that have one.
    fn latest_departments(&self, subjects: &[i64]) -> Result<BTreeMap<i64, i64>>;

    /// Stores the warnings not stored yet (by rule, subject and occasion),
    /// raised on `day`, in one transaction; appends `warning.raised` for
    /// each new one. Returns how many were new.
    fn save_warnings(&self, ctx: &WriteContext, day: Date, raised: &[Raised]) -> Result<u64>;

    /// Records that `day` was evaluated (once; again is a no-op).
    fn finish_monitoring_day(&self, ctx: &WriteContext, day: MonitoringDay) -> Result<()>;

    /// The days evaluated, latest first.
    fn monitoring_days(&self, limit: u32) -> Result<Vec<MonitoringDay>>;

    /// Warnings matching `f`, newest first, at most `limit`.
    fn warnings(&self, f: &WarningFilter, limit: u32) -> Result<Vec<Warning>>;

    /// How many warnings match `f`.
    fn count_warnings(&self, f: &WarningFilter) -> Result<u64>;

    fn warning(&self, id: i64) -> Result<Warning>;

    /// Acknowledges (签收) a warning; appends `warning.acknowledged`.
    /// `Conflict` if acknowledged already.
    fn acknowledge_warning(&self, ctx: &WriteContext, id: i64) -> Result<()>;

    /// Records the department's feedback (反馈) on an acknowledged warning;
    /// appends `warning.answered`. `Conflict` if not acknowledged or answered already.
    fn answer_warning(&self, ctx: &WriteContext, id: i64, feedback: &str) -> Result<()>;

    /// Every department's channels (departments without any are absent).
    fn channels(&self) -> Result<Vec<Channels>>;

    /// Sets a department's channels; appends `reminder_channels.saved` (without the addresses).
    fn set_channels(&self, ctx: &WriteContext, department_id: i64, wecom_webhook: &str, email_to: &str) -> Result<()>;

    /// Queues the messages whose key is not queued yet, due at once, in one
    /// transaction. Returns how many were queued.
    fn enqueue(&self, ctx: &WriteContext, messages: &[NewMessage]) -> Result<u64>;

    /// Claims up to `limit` pending messages due at `now` (seconds since
    /// the epoch), marking them `sending` before they are sent.
    fn claim_due(&self, now: i64, limit: u32) -> Result<Vec<Message>>;

    /// Records an attempt at a claimed message.
    fn finish_attempt(&self, id: i64, at: Timestamp, attempt: &Attempt) -> Result<()>;

    /// Marks messages left `sending` (the server stopped while sending them)
    /// `uncertain`: they are not sent again unless an administrator asks.
    fn release_unfinished(&self) -> Result<u64>;

    /// Puts a failed or uncertain message back in the queue, due at `now`;
    /// appends `outbox.requeued`. `Conflict` in another state.
    fn requeue(&self, ctx: &WriteContext, id: i64, now: i64) -> Result<()>;

    /// The newest messages.
    fn messages(&self, limit: u32) -> Result<Vec<Message>>;
}

/// The facts the rules read on `day`: penalties of the longest look-back,
/// licences of the longest look-ahead, rectification orders, and each
/// scheme's grade changes between its latest final run on `day` and the
/// final run before it (results read a range of subjects at a time).
pub fn gather_facts(store: &dyn Store, rules: &WarningRules, schemes: &[Scheme], day: Date) -> Result<Facts> {
    let mut facts = Facts::default();
    let months = rules.penalty_months();
    if months > 0 {
        facts.penalties = store.penalty_facts(months_back(day, months), day)?;
    }
    let days = rules.licence_days();
    if days > 0 {
        let until = day.checked_add(jiff::Span::new().days(i64::from(days))).unwrap_or(day);
        facts.licences = store.licence_facts(day, until)?;
    }
    facts.rectifications = store.rectification_facts()?;
    if rules.rules.iter().any(|r| matches!(r.kind, xinjiao_core::monitoring::rules::RuleKind::GradeDrop { .. })) {
        let max = store.max_subject_id()?;
        for scheme in schemes {
            let mut finals: Vec<Run> = store
                .evaluation_runs(&scheme.code)?
                .into_iter()
                .filter(|r| r.final_from <= day && r.as_of <= day)
                .collect();
            finals.sort_by_key(|r| (r.cycle_year, r.id));
            let [.., before, after] = finals.as_slice() else { continue };
            let version = scheme.version_on(after.as_of);
            let mut changes = Vec::new();
            let mut start = 1;
            while start <= max {
                let range = start..start.saturating_add(5_000);
                start = range.end;
                let old: BTreeMap<i64, String> = store
                    .evaluation_results_in(before.id, range.clone())?
                    .into_iter()
                    .map(|r| (r.subject_id, r.grade))
                    .collect();
                for r in store.evaluation_results_in(after.id, range)? {
                    let Some(was) = old.get(&r.subject_id) else { continue };
                    let (Some(b), Some(a)) = (version.rank(was), version.rank(&r.grade)) else { continue };
                    if a > b {
                        changes.push(GradeChange {
                            scheme: scheme.code.clone(),
                            scheme_name: scheme.name.clone(),
                            run_id: after.id,
                            subject_id: r.subject_id,
                            department_id: None,
                            before: was.clone(),
                            after: r.grade,
                            before_rank: b,
                            after_rank: a,
                        });
                    }
                }
            }
            let ids: Vec<i64> = changes.iter().map(|c| c.subject_id).collect();
            let departments = store.latest_departments(&ids)?;
            for c in &mut changes {
                c.department_id = departments.get(&c.subject_id).copied();
            }
            facts.grade_changes.extend(changes);
        }
    }
    Ok(facts)
}
