//! Credit evaluation in the database: imported credit events, evaluation
//! runs and their results ([`EvaluationStore`]), and [`run_evaluation`],
//! which grades every subject of a scheme's cycle with the pure engine and
//! stores the run in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use xinjiao_core::evaluation::engine::{CreditEvent, Evaluation, Prior, evaluate};
use xinjiao_core::evaluation::penalties::{PenaltyFacts, penalty_events};
use xinjiao_core::evaluation::scheme::{Points, Scheme};
use xinjiao_core::records::record::SubjectInfo;

use crate::*;

/// A credit-event row to store (checked by `parse_event_row`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCreditEvent {
    pub subject: SubjectInfo,
    pub scheme: String,
    pub item: String,
    /// Tenths of a point (items with a range only).
    pub points: Option<i64>,
    pub date: Date,
    pub basis: String,
}

/// What storing a credit event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    Created {
        subject_id: i64,
    },
    /// The same event (scheme, subject, item, date, basis) was there.
    Unchanged {
        subject_id: i64,
    },
}

/// The fields of a penalty the mapping reads (the backends fetch only these).
pub const PENALTY_FIELDS_READ: [&str; 5] = ["CF_WFXW", "CF_YJ", "CF_CFLB", "CF_YXQ", "CF_PJSX"];

/// A penalty as the evaluation reads it: its subject, dates and fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyInput {
    pub record_id: i64,
    pub subject_id: i64,
    pub person: bool,
    pub decision_no: String,
    pub decision_date: Date,
    pub published_on: Option<Date>,
    /// Withdrawn or repaired from this day.
    pub void_from: Option<Date>,
    /// The fields of the version in force the mapping reads ([`PENALTY_FIELDS_READ`]).
    pub fields: BTreeMap<String, String>,
}

/// A run to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub scheme: String,
    pub cycle_year: i16,
    pub as_of: Date,
    pub version: String,
    /// The first day the results are final (after the comment period).
    pub final_from: Date,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub scheme: String,
    pub cycle_year: i16,
    pub as_of: Date,
    pub version: String,
    pub final_from: Date,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// A subject's result in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub subject_id: i64,
    /// The subject's public key (its USCC, or `P…` for a person).
    pub subject_key: String,
    /// Tenths of a point.
    pub score: i64,
    pub demerits: i64,
    pub grade: String,
    /// JSON: the items, the rules applied, the 不良记录 conditions.
    pub explanation: String,
    /// A checksum of the inputs (FNV-1a; a change detector, not a security measure).
    pub fingerprint: String,
}

/// An objection to a subject's result in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultObjection {
    pub id: i64,
    pub run_id: i64,
    pub scheme: String,
    pub cycle_year: i16,
    pub subject_id: i64,
    pub subject_key: String,
    pub subject_name: String,
    pub reasons: String,
    pub status: xinjiao_core::lifecycle::objections::ObjectionStatus,
    pub extended: bool,
    pub filed_at: Timestamp,
    pub decision_reason: Option<String>,
}

/// Credit events, evaluation runs and their results.
pub trait EvaluationStore: Send + Sync {
    /// Stores credit events in one transaction, creating their subjects as
    /// record imports do (found by identity; an event never renames a
    /// subject); each is known from `ctx`'s China day. Appends
    /// `credit_event.created` for each new event.
    fn write_credit_events(&self, ctx: &WriteContext, events: &[NewCreditEvent]) -> Result<Vec<EventOutcome>>;

    /// The credit events of `scheme` of the subjects whose ids are in
    /// `subjects`: (subject id, event), by subject.
    fn credit_events_in(&self, scheme: &str, subjects: std::ops::Range<i64>) -> Result<Vec<(i64, CreditEvent)>>;

    /// Every credit event of `scheme`.
    fn credit_events(&self, scheme: &str) -> Result<Vec<(i64, CreditEvent)>> {
        self.credit_events_in(scheme, 0..i64::MAX)
    }

    /// The published penalties of the subjects whose ids are in `subjects`,
    /// with their dates and current fields.
    fn penalty_inputs_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<PenaltyInput>>;

    /// Every published penalty.
    fn penalty_inputs(&self) -> Result<Vec<PenaltyInput>> {
        self.penalty_inputs_in(0..i64::MAX)
    }

    /// The largest subject id (0 without subjects): evaluations read
    /// subjects in ranges of ids, never all at once.
    fn max_subject_id(&self) -> Result<i64>;

    /// The results of a run of the subjects whose ids are in `subjects`.
    fn evaluation_results_in(&self, run_id: i64, subjects: std::ops::Range<i64>) -> Result<Vec<StoredResult>>;

    /// Stores a run and its results in one transaction; appends `evaluation.run`.
    fn store_evaluation_run(&self, ctx: &WriteContext, run: &NewRun, results: &[StoredResult]) -> Result<i64>;

    /// Runs of `scheme`, newest first.
    fn evaluation_runs(&self, scheme: &str) -> Result<Vec<Run>>;

    /// The results of a run, by subject key.
    fn evaluation_results(&self, run_id: i64) -> Result<Vec<StoredResult>>;

    /// How many subjects of a run got each grade (lists of runs show the
    /// distribution without reading every result).
    fn grade_counts(&self, run_id: i64) -> Result<BTreeMap<String, u64>>;

    /// A subject's results in every run, newest run first.
    fn subject_evaluations(&self, subject_id: i64) -> Result<Vec<(Run, StoredResult)>>;

    /// Files the subject's objection to its result in run `run_id` during
    /// the comment period (before the run's `final_from`, by `ctx`'s day).
    /// [`StoreError::NotFound`] without such a result, [`StoreError::Conflict`]
    /// after the period or while one is open. Appends `result_objection.filed`.
    fn file_result_objection(&self, ctx: &WriteContext, run_id: i64, subject_id: i64, reasons: &str) -> Result<i64>;

    /// Objections to results, newest first (of a subject, or all; open ones only if asked).
    fn result_objections(&self, subject_id: Option<i64>, open_only: bool) -> Result<Vec<ResultObjection>>;

    /// Applies a staff action (acknowledge, extend once, uphold, reject);
    /// appends `result_objection.<status>`.
    fn act_on_result_objection(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: &xinjiao_core::lifecycle::objections::ObjectionAction,
    ) -> Result<xinjiao_core::lifecycle::objections::ObjectionStatus>;

    /// The public keys of subjects by id (for results).
    fn subject_keys(&self, ids: &[i64]) -> Result<BTreeMap<i64, String>>;
}

/// An evaluation as stored: the result row of `subject`.
pub fn stored_result(subject_id: i64, subject_key: &str, e: &Evaluation, fingerprint: String) -> StoredResult {
    let items: Vec<_> = e
        .items
        .iter()
        .map(|a| {
            serde_json::json!({"item": a.item, "name": a.item_name, "points": a.points.0 as f64 / 10.0,
                "demerits": a.demerits, "date": a.date.to_string(), "source": a.source, "record_id": a.record_id})
        })
        .collect();
    let rules: Vec<_> = e.rules.iter().map(|r| serde_json::json!({"rule": r.rule, "why": r.why})).collect();
    let explanation = serde_json::json!({
        "version": e.version, "banded_grade": e.banded_grade, "valid_until": e.valid_until.to_string(),
        "items": items, "rules": rules, "bad_record": e.bad_record,
    });
    StoredResult {
        subject_id,
        subject_key: subject_key.to_string(),
        score: e.score.0,
        demerits: e.demerits,
        grade: e.grade.clone(),
        explanation: explanation.to_string(),
        fingerprint,
    }
}

/// The inputs of a subject's evaluation as they stood on `as_of`, as one
/// text (for the fingerprint): what was not known yet, and a withdrawal
/// after that day, are not part of them.
fn inputs_text(version: &str, as_of: Date, events: &[CreditEvent], prior: &[Prior]) -> String {
    let mut lines: Vec<String> = events
        .iter()
        .filter(|e| e.known_from <= as_of)
        .map(|e| {
            format!(
                "{}|{:?}|{}|{:?}|{}|{}|{:?}|{:?}",
                e.source,
                e.record_id,
                e.item,
                e.points,
                e.date,
                e.known_from,
                e.void_from.filter(|v| *v <= as_of),
                e.penalty_until
            )
        })
        .collect();
    lines.sort();
    let mut prior: Vec<String> = prior.iter().map(|p| format!("{}:{}", p.cycle_year, p.grade)).collect();
    prior.sort();
    format!("{version}\n{as_of}\n{}\n{}", lines.join("\n"), prior.join(","))
}

/// Every subject's evaluation inputs for `scheme`: the events (imported and
/// from penalties) of all times, and the grades of the latest run of each
/// earlier cycle.
pub struct Inputs {
    pub events: BTreeMap<i64, Vec<CreditEvent>>,
    pub prior: BTreeMap<i64, Vec<Prior>>,
}

/// Reads the inputs of `scheme` of the subjects whose ids are in
/// `subjects` (`earlier_runs`: the scheme's runs, newest first).
pub fn evaluation_inputs(
    store: &dyn Store,
    schemes: &[Scheme],
    scheme: &Scheme,
    cycle_year: i16,
    subjects: std::ops::Range<i64>,
    earlier_runs: &[Run],
) -> Result<Inputs> {
    let mut events: BTreeMap<i64, Vec<CreditEvent>> = BTreeMap::new();
    for (subject, e) in store.credit_events_in(&scheme.code, subjects.clone())? {
        events.entry(subject).or_default().push(e);
    }
    for p in store.penalty_inputs_in(subjects.clone())? {
        let get = |k: &str| p.fields.get(k).map(String::as_str).unwrap_or("");
        let facts = PenaltyFacts {
            record_id: p.record_id,
            decision_no: &p.decision_no,
            person: p.person,
            violation: get("CF_WFXW"),
            basis: get("CF_YJ"),
            classes: get("CF_CFLB").split(['、', ';', '；', ',']).map(str::trim).filter(|c| !c.is_empty()).collect(),
            decided: p.decision_date,
            known_from: p.published_on.unwrap_or(p.decision_date),
            void_from: p.void_from,
            until: xinjiao_core::records::date::parse_date(get("CF_YXQ")),
            item: Some(get("CF_PJSX")).filter(|c| !c.is_empty()),
        };
        for (code, e) in penalty_events(schemes, &facts) {
            if code == scheme.code {
                events.entry(p.subject_id).or_default().push(e);
            }
        }
    }
    // The latest run of each earlier cycle holds the grades in force.
    let mut prior: BTreeMap<i64, Vec<Prior>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for run in earlier_runs {
        if run.cycle_year >= cycle_year || !seen.insert(run.cycle_year) {
            continue;
        }
        for r in store.evaluation_results_in(run.id, subjects.clone())? {
            prior.entry(r.subject_id).or_default().push(Prior { cycle_year: run.cycle_year, grade: r.grade });
        }
    }
    Ok(Inputs { events, prior })
}

/// Subjects read and graded together (a range of ids): memory stays
/// bounded by one range's penalties and events, whatever the installation's size.
const SUBJECTS_PER_RANGE: i64 = 5_000;

/// Grades every subject with events or earlier results in `scheme`'s cycle
/// `cycle_year` as of `as_of`, and stores the run (preliminary until the
/// comment period ends). Returns the run id and the results. An event that
/// cannot be evaluated (its item no longer in the version) is an error
/// naming it.
pub fn run_evaluation(
    store: &dyn Store,
    ctx: &WriteContext,
    schemes: &[Scheme],
    scheme: &Scheme,
    cycle_year: i16,
    as_of: Date,
    calendar: &xinjiao_core::calendar::Calendar,
) -> Result<(i64, Vec<StoredResult>)> {
    let results = evaluate_all(store, schemes, scheme, cycle_year, as_of)?;
    let cycle =
        scheme.cycle.cycle(cycle_year).ok_or_else(|| StoreError::Conflict(format!("周期 {cycle_year} 无效")))?;
    let v = scheme.version_on(as_of.min(cycle.last));
    let run = NewRun {
        scheme: scheme.code.clone(),
        cycle_year,
        as_of,
        version: v.id.clone(),
        final_from: calendar.add_working_days(as_of, v.comment_days).value,
    };
    let id = store.store_evaluation_run(ctx, &run, &results)?;
    Ok((id, results))
}

/// The results [`run_evaluation`] would store, without storing them (also
/// what `evaluate --verify` compares stored results with).
pub fn evaluate_all(
    store: &dyn Store,
    schemes: &[Scheme],
    scheme: &Scheme,
    cycle_year: i16,
    as_of: Date,
) -> Result<Vec<StoredResult>> {
    let cycle =
        scheme.cycle.cycle(cycle_year).ok_or_else(|| StoreError::Conflict(format!("周期 {cycle_year} 无效")))?;
    let v = scheme.version_on(as_of.min(cycle.last));
    let earlier_runs = store.evaluation_runs(&scheme.code)?;
    let max = store.max_subject_id()?;
    let mut out = Vec::new();
    let mut lo = 0;
    while lo <= max {
        let range = lo..lo.saturating_add(SUBJECTS_PER_RANGE);
        lo = range.end;
        let inputs = evaluation_inputs(store, schemes, scheme, cycle_year, range, &earlier_runs)?;
        let subjects: BTreeSet<i64> = inputs
            .events
            .iter()
            .filter(|(_, evs)| evs.iter().any(|e| e.counts_on(as_of)))
            .map(|(s, _)| *s)
            .chain(inputs.prior.keys().copied())
            .collect();
        let ids: Vec<i64> = subjects.iter().copied().collect();
        let keys = store.subject_keys(&ids)?;
        for id in ids {
            let events: &[CreditEvent] = inputs.events.get(&id).map_or(&[], Vec::as_slice);
            let prior: &[Prior] = inputs.prior.get(&id).map_or(&[], Vec::as_slice);
            let e = evaluate(scheme, cycle, events, prior, as_of)
                .map_err(|e| StoreError::Conflict(format!("{}：{}", e.source, e.message)))?;
            let fingerprint = crate::installation::migration_checksum(&inputs_text(&v.id, as_of, events, prior));
            out.push(stored_result(id, keys.get(&id).map_or("", String::as_str), &e, fingerprint));
        }
    }
    Ok(out)
}

/// A score as the outputs print it (94.9).
pub fn score_text(tenths: i64) -> String {
    Points(tenths).to_string()
}
