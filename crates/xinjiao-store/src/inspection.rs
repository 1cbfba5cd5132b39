//! Graded supervision in the database: inspection matters, the inspector
//! roster with declared conflicts, and "双随机、一公开" draws
//! ([`InspectionStore`]); [`plan_draw`] freezes a plan (population, shares,
//! eligible roster, commitment) and [`run_draw`] runs it once with the
//! public value, exactly as `xinjiao_core::inspection::draw` specifies.

use std::collections::{BTreeMap, BTreeSet};

use xinjiao_core::evaluation::scheme::{Evaluates, Scheme};
use xinjiao_core::inspection::draw::{self, Assignment, Member, Share};
use xinjiao_core::inspection::rules::InspectionRules;
use xinjiao_core::records::record::SubjectKind;

use crate::*;

/// 重点 (key: safety, quality, public interest) or 一般 (general).
pub const PRIORITIES: [(&str, &str); 2] = [("key", "重点检查事项"), ("general", "一般检查事项")];

/// A matter of the 随机抽查事项清单 to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatter {
    pub code: String,
    pub name: String,
    pub department_id: i64,
    pub legal_basis: String,
    /// The evaluation scheme whose grades stratify its draws.
    pub scheme: String,
    /// `key` or `general` ([`PRIORITIES`]).
    pub priority: String,
    pub times_a_year: u32,
}

/// A stored matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub department_id: i64,
    pub department_name: String,
    pub legal_basis: String,
    pub scheme: String,
    pub priority: String,
    pub times_a_year: u32,
}

/// An inspector of the roster (执法检查人员名录库).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    /// 执法证号.
    pub certificate: String,
    pub name: String,
    pub department_id: i64,
    pub active: bool,
}

/// The roster frozen with a plan: the certificate numbers of the matter's
/// department's active inspectors, and those excluded from a subject
/// (declared conflicts, or an inspection of it within the rules' period).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrozenRoster {
    pub eligible: Vec<String>,
    /// Subject code → certificate numbers excluded from it.
    pub excluded: BTreeMap<String, Vec<String>>,
}

impl FrozenRoster {
    /// The certificate numbers eligible for the subject `code`.
    pub fn eligible_for(&self, code: &str) -> Vec<String> {
        let out: BTreeSet<&String> = self.excluded.get(code).into_iter().flatten().collect();
        self.eligible.iter().filter(|c| !out.contains(c)).cloned().collect()
    }
}

/// A plan to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDraw {
    pub matter_id: i64,
    pub as_of: Date,
    pub population: Vec<Member>,
    pub shares: BTreeMap<String, Share>,
    /// Grades whose share the plan set, with the rules' default.
    pub overridden: BTreeMap<String, Share>,
    pub inspectors_per_subject: u32,
    pub roster: FrozenRoster,
    /// Kept unpublished until the draw runs.
    pub secret: String,
    /// The public value named in advance (e.g. a lottery result of a stated date).
    pub public_value_source: String,
}

/// A stored draw: its plan, and its run once run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub id: i64,
    pub matter: Matter,
    pub as_of: Date,
    pub population: Vec<Member>,
    pub population_hash: String,
    pub shares: BTreeMap<String, Share>,
    pub overridden: BTreeMap<String, Share>,
    pub inspectors_per_subject: u32,
    pub roster: FrozenRoster,
    pub commitment: String,
    /// Stored from the start; callers publish it only once the draw has run.
    pub secret: String,
    pub public_value_source: String,
    pub public_value: Option<String>,
    pub seed: Option<String>,
    pub run_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub created_by: String,
    /// The drawn subjects with their inspectors (empty until run).
    pub drawn: Vec<Assignment>,
}

impl Draw {
    /// The secret if it may be shown (after the run).
    pub fn revealed_secret(&self) -> Option<&str> {
        self.run_at.map(|_| self.secret.as_str())
    }
}

/// A draw in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawSummary {
    pub id: i64,
    pub matter_code: String,
    pub matter_name: String,
    pub as_of: Date,
    pub population: usize,
    pub drawn: usize,
    /// Results entered so far.
    pub entered: usize,
    pub commitment: String,
    pub public_value_source: String,
    pub run_at: Option<Timestamp>,
}

/// The result of an inspection of a drawn subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionResult {
    pub draw_id: i64,
    pub subject_code: String,
    pub outcome: xinjiao_core::inspection::results::Outcome,
    pub findings: String,
    pub inspected_on: Date,
    pub entered_at: Timestamp,
    pub entered_by: String,
}

/// Inspection matters, the roster and draws.
pub trait InspectionStore: Send + Sync {
    /// Creates or updates (by code) a matter; appends `inspection_matter.saved`.
    fn save_matter(&self, ctx: &WriteContext, m: &NewMatter) -> Result<i64>;

    /// Every matter, by code.
    fn matters(&self) -> Result<Vec<Matter>>;

    /// Creates or updates (by certificate number) the inspectors, all in one
    /// transaction; appends `inspector.saved` for each created or changed.
    /// Returns how many were created and how many changed.
    fn save_inspectors(&self, ctx: &WriteContext, rows: &[Inspector]) -> Result<(usize, usize)>;

    /// The roster, by certificate number.
    fn inspectors(&self) -> Result<Vec<Inspector>>;

    /// Declares an inspector's relation to a subject (回避); appends `inspector.conflict_declared`.
    fn declare_conflict(&self, ctx: &WriteContext, certificate: &str, subject_id: i64, reason: &str) -> Result<()>;

    /// Declared conflicts: (certificate number, subject's public key).
    fn conflicts(&self) -> Result<Vec<(String, String)>>;

    /// Subjects holding a licence the department decided: (public key, kind).
    fn licensed_subjects(&self, department_id: i64) -> Result<Vec<(String, SubjectKind)>>;

    /// (subject code, certificate number) of the draws run on or after `since`.
    fn assignments_since(&self, since: Date) -> Result<Vec<(String, String)>>;

    /// Stores a plan; appends `draw.planned`.
    fn create_draw(&self, ctx: &WriteContext, d: &NewDraw) -> Result<i64>;

    /// A draw with its plan and run.
    fn draw(&self, id: i64) -> Result<Draw>;

    /// Every draw, newest first.
    fn draws(&self) -> Result<Vec<DrawSummary>>;

    /// Records the run of draw `id`: the public value, the seed and what was
    /// drawn; appends `draw.run`. [`StoreError::Conflict`] if it has run already.
    fn record_draw_run(
        &self,
        ctx: &WriteContext,
        id: i64,
        public_value: &str,
        seed: &str,
        drawn: &[Assignment],
    ) -> Result<()>;

    /// Enters the result of the inspection of `subject_code`, drawn in
    /// draw `draw_id` (public from then on); appends `inspection.result`.
    /// [`StoreError::Conflict`] if the subject was not drawn there or its
    /// result is already entered.
    fn record_inspection_result(&self, ctx: &WriteContext, r: &InspectionResult) -> Result<()>;

    /// The results entered for a draw, by subject code.
    fn inspection_results(&self, draw_id: i64) -> Result<Vec<InspectionResult>>;

    /// The results of the subjects whose ids are in `subjects` (for the
    /// evaluation): (subject id, result).
    fn inspection_results_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<(i64, InspectionResult)>>;
}

/// The population of a matter's draw on `as_of`: the subjects of the kind
/// its scheme evaluates that hold a licence of the matter's department or
/// have a result in the scheme, each with its grade in the latest cycle
/// whose result is final on that day (none if not graded).
pub fn population(store: &dyn Store, matter: &Matter, scheme: &Scheme, as_of: Date) -> Result<Vec<Member>> {
    let persons = scheme.evaluates == Evaluates::Persons;
    let mut grades: BTreeMap<String, Option<String>> = store
        .licensed_subjects(matter.department_id)?
        .into_iter()
        .filter(|(_, kind)| (*kind == SubjectKind::NaturalPerson) == persons)
        .map(|(key, _)| (key, None))
        .collect();
    // The newest run of the latest cycle whose results are final on the day
    // holds the grades; read a range of subjects at a time (only the key and
    // grade of each result are kept, not a million explanations).
    let runs = store.evaluation_runs(&scheme.code)?;
    if let Some(run) =
        runs.iter().filter(|r| r.final_from <= as_of && r.as_of <= as_of).max_by_key(|r| (r.cycle_year, r.id))
    {
        let (mut lo, max) = (0, store.max_subject_id()?);
        while lo <= max {
            let range = lo..lo.saturating_add(10_000);
            lo = range.end;
            for r in store.evaluation_results_in(run.id, range)? {
                grades.insert(r.subject_key, Some(r.grade));
            }
        }
    }
    Ok(grades.into_iter().map(|(code, grade)| Member { code, grade }).collect())
}

/// What a coordinator asks for when planning a draw.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub matter_code: String,
    pub as_of: Date,
    pub overrides: BTreeMap<String, Share>,
    /// Inspectors per drawn subject (at least the rules' minimum).
    pub inspectors: Option<u32>,
    pub public_value_source: String,
    /// 32 random bytes as lowercase hex, from the operating system.
    pub secret: String,
}

/// Freezes a plan: the population with grades, the shares (the rules' with
/// the plan's overrides, checked against their limits), the eligible
/// roster and exclusions, the commitment to the secret. Returns its id.
/// [`StoreError::Conflict`] with a Chinese message for a plan the rules refuse.
pub fn plan_draw(
    store: &dyn Store,
    ctx: &WriteContext,
    rules: &InspectionRules,
    schemes: &[Scheme],
    req: &PlanRequest,
) -> Result<i64> {
    let conflict = |m: String| StoreError::Conflict(m);
    let matter = store
        .matters()?
        .into_iter()
        .find(|m| m.code == req.matter_code)
        .ok_or_else(|| conflict(format!("没有抽查事项“{}”", req.matter_code)))?;
    let scheme = schemes
        .iter()
        .find(|s| s.code == matter.scheme)
        .ok_or_else(|| conflict(format!("事项的评价体系“{}”不存在", matter.scheme)))?;
    if req.secret.len() != 64 || !req.secret.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return Err(conflict("秘密值应为 64 位小写十六进制".into()));
    }
    if req.public_value_source.trim().is_empty() || req.public_value_source.chars().count() > 200 {
        return Err(conflict("请写明将混入的公开值（如某日某期开奖结果），至多 200 个字符".into()));
    }
    let grades: Vec<String> = scheme.version_on(req.as_of).bands.iter().map(|b| b.grade.clone()).collect();
    let plan = rules.plan_shares(&grades, &req.overrides).map_err(conflict)?;
    let inspectors = req.inspectors.unwrap_or(rules.min_inspectors);
    if inspectors < rules.min_inspectors || inspectors > 20 {
        return Err(conflict(format!("每个对象的检查人员应为 {} 到 20 名", rules.min_inspectors)));
    }
    let population = population(store, &matter, scheme, req.as_of)?;
    let codes: BTreeSet<&str> = population.iter().map(|m| m.code.as_str()).collect();
    let eligible: Vec<String> = store
        .inspectors()?
        .into_iter()
        .filter(|i| i.active && i.department_id == matter.department_id)
        .map(|i| i.certificate)
        .collect();
    let mut excluded: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let since = req.as_of.checked_sub(jiff::Span::new().days(i64::from(rules.recent_days))).unwrap_or(req.as_of);
    for (cert, code) in
        store.conflicts()?.into_iter().chain(store.assignments_since(since)?.into_iter().map(|(s, c)| (c, s)))
    {
        if codes.contains(code.as_str()) && eligible.contains(&cert) {
            excluded.entry(code).or_default().insert(cert);
        }
    }
    let new = NewDraw {
        matter_id: matter.id,
        as_of: req.as_of,
        population,
        shares: plan.shares,
        overridden: plan.overridden,
        inspectors_per_subject: inspectors,
        roster: FrozenRoster {
            eligible,
            excluded: excluded.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect(),
        },
        secret: req.secret.clone(),
        public_value_source: req.public_value_source.trim().to_string(),
    };
    store.create_draw(ctx, &new)
}

/// Runs draw `id` once with `public_value`: the seed from the secret and the
/// public value, the subjects and inspectors as specified. A draw that has
/// run is never run again: the attempt is refused ([`StoreError::Conflict`])
/// and logged (`draw.rerun_refused`, with the public value offered).
pub fn run_draw(store: &dyn Store, ctx: &WriteContext, id: i64, public_value: &str) -> Result<Draw> {
    let public_value = public_value.trim();
    if public_value.is_empty() || public_value.chars().count() > 500 {
        return Err(StoreError::Conflict("公开值应为 1 到 500 个字符".into()));
    }
    let d = store.draw(id)?;
    let refuse = |why: String| -> Result<Draw> {
        let detail = serde_json::json!({"draw": id, "public_value": public_value, "why": why}).to_string();
        store.append_event(ctx, "draw.rerun_refused", None, None, &detail)?;
        Err(StoreError::Conflict(why))
    };
    if d.run_at.is_some() {
        return refuse(format!(
            "第 {id} 号抽查已于 {} 完成，不能重新抽取",
            d.run_at.map(|t| t.to_string()).unwrap_or_default()
        ));
    }
    let seed = draw::seed(&d.secret, public_value);
    let drawn = draw::run(
        &seed,
        &d.population,
        &d.shares,
        &|code| d.roster.eligible_for(code),
        d.inspectors_per_subject as usize,
    )
    .map_err(|e| StoreError::Conflict(e.to_string()))?;
    match store.record_draw_run(ctx, id, public_value, &seed, &drawn) {
        Err(StoreError::Conflict(why)) => refuse(why),
        Err(e) => Err(e),
        Ok(()) => store.draw(id),
    }
}

/// Enters an inspection's result: the draw must have run and drawn the
/// subject; only the matter's department or a coordinator enters it
/// (`Conflict` otherwise, with the reason in Chinese); the day inspected
/// lies between the draw and `ctx`'s day; findings are described unless
/// none were found.
pub fn enter_result(
    store: &dyn Store,
    ctx: &WriteContext,
    draw_id: i64,
    subject_code: &str,
    outcome: xinjiao_core::inspection::results::Outcome,
    findings: &str,
    inspected_on: Date,
) -> Result<()> {
    let d = store.draw(draw_id)?;
    let Some(run_at) = d.run_at else {
        return Err(StoreError::Conflict(format!("第 {draw_id} 号抽查尚未抽取")));
    };
    if !ctx.oversees && ctx.department_id != Some(d.matter.department_id) {
        return Err(StoreError::Conflict(format!("检查结果由{}录入", d.matter.department_name)));
    }
    let run_on = crate::china_date(run_at);
    xinjiao_core::inspection::results::check_result(outcome, findings, inspected_on, run_on, ctx.china_date())
        .map_err(StoreError::Conflict)?;
    store.record_inspection_result(
        ctx,
        &InspectionResult {
            draw_id,
            subject_code: subject_code.to_string(),
            outcome,
            findings: findings.trim().to_string(),
            inspected_on,
            entered_at: ctx.at,
            entered_by: ctx.actor.clone(),
        },
    )
}

/// Shares as text by grade (the published form).
pub fn shares_text(shares: &BTreeMap<String, Share>) -> BTreeMap<String, String> {
    shares.iter().map(|(g, s)| (g.clone(), s.to_string())).collect()
}

/// Shares from their published text form.
pub fn shares_from_text(text: &BTreeMap<String, String>) -> Option<BTreeMap<String, Share>> {
    text.iter().map(|(g, s)| Share::parse(s).map(|s| (g.clone(), s))).collect()
}

/// The population as stored (one `code\tgrade` line each, as hashed).
pub fn population_from_text(text: &str) -> Vec<Member> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(c, g)| Member { code: c.to_string(), grade: (!g.is_empty()).then(|| g.to_string()) })
        .collect()
}
