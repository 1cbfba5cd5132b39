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

/// The fields of [`PENALTY_FIELDS_READ`] in a record version's fields (a
/// JSON object of texts, as stored), the others skipped unread; `None` if
/// the text is not such an object. (PostgreSQL reads them so: its `jsonb`
/// conversion of the whole object cost three times the rest of the query.)
pub fn penalty_fields(json: &str) -> Option<BTreeMap<String, String>> {
    struct Wanted;
    impl<'de> serde::de::Visitor<'de> for Wanted {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object of texts")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if PENALTY_FIELDS_READ.contains(&key.as_ref()) {
                    out.insert(key.into_owned(), map.next_value::<String>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    serde::Deserializer::deserialize_map(&mut de, Wanted).ok()
}

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

    /// Stores a run and its results in one transaction, the results in
    /// batches from `next` (given the new run's id) until it returns `None` (a run of a million
    /// subjects is never in memory at once; an error from `next` rolls the
    /// run back); appends `evaluation.run`. Returns the run id and how
    /// many results were stored.
    fn store_evaluation_run(
        &self,
        ctx: &WriteContext,
        run: &NewRun,
        next: &mut dyn FnMut(i64) -> Result<Option<Vec<StoredResult>>>,
    ) -> Result<(i64, u64)>;

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

/// The explanation of a stored result (the JSON of `evaluations.explanation`):
/// the scheme version, the grade by score and demerits alone, the last day
/// the result is valid, each counted event as a compact array
/// `[item code, points in tenths, demerits, date, source, record id or null]`
/// (a run of a million subjects writes ten million of them: the objects
/// with keys and item names took 1.4 KB a result, the arrays 0.6 KB; an
/// item's name is its version's, [`Explanation::item_name`]), the special
/// rules applied and the 不良记录 conditions that hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Explanation {
    pub version: String,
    pub banded_grade: String,
    pub valid_until: String,
    pub items: Vec<ExplainedItem>,
    pub rules: Vec<ExplainedRule>,
    pub bad_record: Vec<String>,
}

/// A counted event of an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "ItemRow")]
pub struct ExplainedItem {
    pub item: String,
    /// Tenths of a point (a deduction is negative).
    pub points: i64,
    pub demerits: i64,
    pub date: String,
    /// Where it comes from: a decision number, a report number.
    pub source: String,
    /// The record it comes from, if any.
    pub record_id: Option<i64>,
}

/// An [`ExplainedItem`] as stored: item, points, demerits, date, source, record id.
type ItemRow = (String, i64, i64, String, String, Option<i64>);

impl From<ItemRow> for ExplainedItem {
    fn from((item, points, demerits, date, source, record_id): ItemRow) -> Self {
        ExplainedItem { item, points, demerits, date, source, record_id }
    }
}

/// A special rule of an [`Explanation`] and why it applied (in Chinese).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExplainedRule {
    pub rule: String,
    pub why: String,
}

impl Explanation {
    /// The explanation stored as `text` (an empty one if it cannot be read).
    pub fn parse(text: &str) -> Explanation {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The name of `item` in the explanation's version of `scheme` (the
    /// code itself if the version or item is unknown).
    pub fn item_name<'a>(&self, scheme: Option<&'a Scheme>, item: &'a str) -> &'a str {
        scheme
            .and_then(|s| s.versions.iter().find(|v| v.id == self.version))
            .and_then(|v| v.item(item))
            .map_or(item, |i| i.name.as_str())
    }
}

/// An [`ExplainedItem`] as written: item, points, demerits, date, source, record id.
type ItemOut<'a> = (&'a str, i64, i64, String, &'a str, Option<i64>);

/// [`Explanation`] as written (borrowing from the evaluation).
#[derive(serde::Serialize)]
struct ExplanationOut<'a> {
    version: &'a str,
    banded_grade: &'a str,
    valid_until: String,
    items: Vec<ItemOut<'a>>,
    rules: Vec<ExplainedRuleOut<'a>>,
    bad_record: &'a [String],
}

#[derive(serde::Serialize)]
struct ExplainedRuleOut<'a> {
    rule: &'a str,
    why: &'a str,
}

/// An evaluation as stored: the result row of `subject`.
pub fn stored_result(subject_id: i64, subject_key: &str, e: &Evaluation, fingerprint: String) -> StoredResult {
    let explanation = ExplanationOut {
        version: &e.version,
        banded_grade: &e.banded_grade,
        valid_until: e.valid_until.to_string(),
        items: e
            .items
            .iter()
            .map(|a| (a.item.as_str(), a.points.0, a.demerits, a.date.to_string(), a.source.as_str(), a.record_id))
            .collect(),
        rules: e.rules.iter().map(|r| ExplainedRuleOut { rule: r.rule, why: &r.why }).collect(),
        bad_record: &e.bad_record,
    };
    StoredResult {
        subject_id,
        subject_key: subject_key.to_string(),
        score: e.score.0,
        demerits: e.demerits,
        grade: e.grade.clone(),
        explanation: serde_json::to_string(&explanation).expect("an explanation serialises"),
        fingerprint,
    }
}

/// The fingerprint of a subject's evaluation inputs as they stood on
/// `as_of`: what was not known yet, and a withdrawal after that day, are
/// not part of them. (FNV-1a of a text of the inputs, one line per event in
/// sorted order; `lines` is a buffer reused between subjects.)
fn inputs_fingerprint(
    version: &str,
    as_of: Date,
    events: &[CreditEvent],
    prior: &[Prior],
    lines: &mut Vec<String>,
) -> String {
    use std::fmt::Write as _;
    let mut used = 0;
    for e in events.iter().filter(|e| e.known_from <= as_of) {
        if used == lines.len() {
            lines.push(String::new());
        }
        let line = &mut lines[used];
        line.clear();
        let _ = write!(
            line,
            "{}|{:?}|{}|{:?}|{}|{}|{:?}|{:?}",
            e.source,
            e.record_id,
            e.item,
            e.points,
            e.date,
            e.known_from,
            e.void_from.filter(|v| *v <= as_of),
            e.penalty_until
        );
        used += 1;
    }
    let lines = &mut lines[..used];
    lines.sort_unstable();
    let mut prior: Vec<String> = prior.iter().map(|p| format!("{}:{}", p.cycle_year, p.grade)).collect();
    prior.sort();
    let mut h = Fnv::default();
    h.write(version);
    h.write("\n");
    h.write(&as_of.to_string());
    h.write("\n");
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            h.write("\n");
        }
        h.write(l);
    }
    h.write("\n");
    h.write(&prior.join(","));
    format!("{:016x}", h.0)
}

/// FNV-1a, 64 bits, fed in pieces (the same value as
/// [`crate::installation::migration_checksum`] of the whole text).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}

impl Fnv {
    fn write(&mut self, s: &str) {
        for b in s.bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
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
    // Inspection results count where the version in force on the
    // inspection day maps their outcome to an item; known from the day entered.
    for (subject, r) in store.inspection_results_in(subjects.clone())? {
        let v = scheme.version_on(r.inspected_on);
        if let Some((_, item)) = v.inspection.iter().find(|(o, _)| o == r.outcome.as_str()) {
            events.entry(subject).or_default().push(CreditEvent {
                source: format!("第 {} 号抽查", r.draw_id),
                item: item.clone(),
                points: None,
                date: r.inspected_on,
                known_from: crate::china_date(r.entered_at),
                void_from: None,
                penalty_until: None,
                record_id: None,
            });
        }
    }
    // Commitments' outcomes (issue 17) count where the version in force on
    // the day concluded has the item the commitment rules name for the
    // outcome; known from that day (staff record it the day they find it).
    let commitment_rules = xinjiao_core::commitments::CommitmentRules::shipped();
    for c in store.concluded_commitments_in(subjects.clone())? {
        let (Some(on), Some(item)) = (c.concluded_on, commitment_rules.item_of(c.state)) else { continue };
        if scheme.version_on(on).item(item).is_some() {
            events.entry(c.subject_id).or_default().push(CreditEvent {
                source: format!("第 {} 号信用承诺", c.id),
                item: item.to_string(),
                points: None,
                date: on,
                known_from: on,
                void_from: None,
                penalty_until: None,
                record_id: None,
            });
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
/// bounded by one range's penalties, events and results, whatever the
/// installation's size.
const SUBJECTS_PER_RANGE: i64 = 5_000;

/// A cycle's grading of every subject of a scheme with events counting on
/// the day or earlier results, one range of subject ids at a time (by
/// [`Grading::next_range`]): runs store each range's results as they come,
/// `--verify` compares them with the stored ones range by range.
pub struct Grading<'a> {
    store: &'a dyn Store,
    schemes: &'a [Scheme],
    scheme: &'a Scheme,
    cycle_year: i16,
    cycle: xinjiao_core::evaluation::scheme::Cycle,
    version: String,
    as_of: Date,
    earlier_runs: Vec<Run>,
    next: i64,
    max: i64,
    lines: Vec<String>,
}

impl<'a> Grading<'a> {
    /// A grading of `scheme`'s cycle `cycle_year` as of `as_of`, with the
    /// scheme version in force on the earlier of `as_of` and the cycle's
    /// last day; [`StoreError::Conflict`] for a cycle the scheme cannot have.
    pub fn new(
        store: &'a dyn Store,
        schemes: &'a [Scheme],
        scheme: &'a Scheme,
        cycle_year: i16,
        as_of: Date,
    ) -> Result<Grading<'a>> {
        let cycle =
            scheme.cycle.cycle(cycle_year).ok_or_else(|| StoreError::Conflict(format!("周期 {cycle_year} 无效")))?;
        Ok(Grading {
            store,
            schemes,
            scheme,
            cycle_year,
            cycle,
            version: scheme.version_on(as_of.min(cycle.last)).id.clone(),
            as_of,
            earlier_runs: store.evaluation_runs(&scheme.code)?,
            next: 0,
            max: store.max_subject_id()?,
            lines: Vec::new(),
        })
    }

    /// The results of the next range of subject ids, by subject id (an
    /// empty list for a range with nobody to grade); `None` after the last.
    /// An event that cannot be evaluated (its item no longer in the
    /// version) is an error naming it.
    pub fn next_range(&mut self) -> Result<Option<(std::ops::Range<i64>, Vec<StoredResult>)>> {
        if self.next > self.max {
            return Ok(None);
        }
        let range = self.next..self.next.saturating_add(SUBJECTS_PER_RANGE);
        self.next = range.end;
        let inputs = evaluation_inputs(
            self.store,
            self.schemes,
            self.scheme,
            self.cycle_year,
            range.clone(),
            &self.earlier_runs,
        )?;
        let as_of = self.as_of;
        let subjects: BTreeSet<i64> = inputs
            .events
            .iter()
            .filter(|(_, evs)| evs.iter().any(|e| e.counts_on(as_of)))
            .map(|(s, _)| *s)
            .chain(inputs.prior.keys().copied())
            .collect();
        let ids: Vec<i64> = subjects.iter().copied().collect();
        let keys = if ids.is_empty() { BTreeMap::new() } else { self.store.subject_keys(&ids)? };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let events: &[CreditEvent] = inputs.events.get(&id).map_or(&[], Vec::as_slice);
            let prior: &[Prior] = inputs.prior.get(&id).map_or(&[], Vec::as_slice);
            let e = evaluate(self.scheme, self.cycle, events, prior, as_of)
                .map_err(|e| StoreError::Conflict(format!("{}：{}", e.source, e.message)))?;
            let fingerprint = inputs_fingerprint(&self.version, as_of, events, prior, &mut self.lines);
            out.push(stored_result(id, keys.get(&id).map_or("", String::as_str), &e, fingerprint));
        }
        Ok(Some((range, out)))
    }
}

/// The run [`run_evaluation`] stores for `scheme`'s cycle `cycle_year` as
/// of `as_of`: the version in force on the earlier of `as_of` and the
/// cycle's last day, final after its comment period in working days.
pub fn new_run(
    scheme: &Scheme,
    cycle_year: i16,
    as_of: Date,
    calendar: &xinjiao_core::calendar::Calendar,
) -> Result<NewRun> {
    let cycle =
        scheme.cycle.cycle(cycle_year).ok_or_else(|| StoreError::Conflict(format!("周期 {cycle_year} 无效")))?;
    let v = scheme.version_on(as_of.min(cycle.last));
    Ok(NewRun {
        scheme: scheme.code.clone(),
        cycle_year,
        as_of,
        version: v.id.clone(),
        final_from: calendar.add_working_days(as_of, v.comment_days).value,
    })
}

/// What [`run_evaluation`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub id: i64,
    /// Subjects graded.
    pub subjects: u64,
    pub final_from: Date,
}

/// Grades every subject with events or earlier results in `scheme`'s cycle
/// `cycle_year` as of `as_of`, and stores the run (preliminary until the
/// comment period ends) in one transaction, range by range: nothing of a
/// run is stored unless all of it is, and memory holds one range. `each`
/// sees every range's results with the run's id before they are stored
/// (the CLI prints them; an error from it rolls the run back).
#[allow(clippy::too_many_arguments)]
pub fn run_evaluation(
    store: &dyn Store,
    ctx: &WriteContext,
    schemes: &[Scheme],
    scheme: &Scheme,
    cycle_year: i16,
    as_of: Date,
    calendar: &xinjiao_core::calendar::Calendar,
    each: &mut dyn FnMut(i64, &[StoredResult]) -> Result<()>,
) -> Result<RunSummary> {
    let mut grading = Grading::new(store, schemes, scheme, cycle_year, as_of)?;
    let run = new_run(scheme, cycle_year, as_of, calendar)?;
    // The grading (reads and the engine) runs on a thread of its own, a
    // range or two ahead of the writes: the database writes one range while
    // the next is read and graded. The channel's bound keeps memory to a
    // few ranges; if the writes fail, the channel closes and the grading stops.
    let (id, subjects) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<Vec<StoredResult>>>>(2);
        scope.spawn(move || {
            loop {
                let next = grading.next_range().map(|r| r.map(|(_, results)| results));
                let last = !matches!(next, Ok(Some(_)));
                if tx.send(next).is_err() || last {
                    break;
                }
            }
        });
        store.store_evaluation_run(ctx, &run, &mut |id| {
            let batch = rx.recv().map_err(|_| StoreError::Backend("评价计算线程意外结束".into()))??;
            if let Some(results) = &batch {
                each(id, results)?;
            }
            Ok(batch)
        })
    })?;
    Ok(RunSummary { id, subjects, final_from: run.final_from })
}

/// Every result [`run_evaluation`] would store, without storing them (for
/// small installations and tests; runs and `--verify` go range by range).
pub fn evaluate_all(
    store: &dyn Store,
    schemes: &[Scheme],
    scheme: &Scheme,
    cycle_year: i16,
    as_of: Date,
) -> Result<Vec<StoredResult>> {
    let mut grading = Grading::new(store, schemes, scheme, cycle_year, as_of)?;
    let mut out = Vec::new();
    while let Some((_, results)) = grading.next_range()? {
        out.extend(results);
    }
    Ok(out)
}

/// A score as the outputs print it (94.9).
pub fn score_text(tenths: i64) -> String {
    Points(tenths).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_fields_reads_only_the_fields_the_mapping_reads() {
        let json =
            r#"{"CF_XDR_MC":"某公司","CF_WFXW":"超限\u8fd0输","CF_YJ":"《条例》","x":{"n":[1,2]},"CF_PJSX":"RT-01"}"#;
        let got = penalty_fields(json).unwrap();
        assert_eq!(
            got,
            [("CF_PJSX", "RT-01"), ("CF_WFXW", "超限运输"), ("CF_YJ", "《条例》")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into()
        );
        assert_eq!(penalty_fields("{}"), Some(BTreeMap::new()));
        assert_eq!(penalty_fields("[1]"), None, "not an object");
        assert_eq!(penalty_fields(r#"{"CF_WFXW":3}"#), None, "a wanted field that is not a text");
        assert_eq!(penalty_fields(r#"{"CF_WFXW":"a""#), None, "cut short");
    }
}
