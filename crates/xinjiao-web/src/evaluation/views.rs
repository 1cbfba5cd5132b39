//! Credit grades as people read them: the latest result of each scheme
//! and cycle, its status (初评公示 or final), and what lowered it.

use xinjiao_core::Date;
use xinjiao_core::evaluation::scheme::{Evaluates, Points, Scheme};
use xinjiao_store::{Run, StoredResult};

/// An item that changed the score.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reason {
    /// The record it comes from (staff pages link to it).
    #[serde(skip)]
    pub record_id: Option<i64>,
    pub item: String,
    pub name: String,
    pub points: f64,
    pub source: String,
    pub date: String,
}

/// A grade in a scheme's cycle.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GradeView {
    #[serde(skip)]
    pub run_id: i64,
    pub scheme: String,
    pub scheme_name: String,
    pub cycle: i16,
    pub grade: String,
    /// What the grade means (信用好 …).
    pub grade_label: String,
    pub score: f64,
    #[serde(skip)]
    pub score_text: String,
    /// `preliminary` (初评公示, open to objection) or `final`.
    pub status: &'static str,
    #[serde(skip)]
    pub status_label: String,
    pub final_from: String,
    pub valid_until: String,
    /// The items that lowered the score.
    pub lowered_by: Vec<Reason>,
    /// The special rules applied, in Chinese.
    pub rules: Vec<String>,
}

/// Every item of a result (bonuses too), for the subject's own view;
/// names from the result's version of `scheme`.
pub fn all_items(scheme: Option<&Scheme>, explanation: &str) -> Vec<Reason> {
    reasons(scheme, &xinjiao_store::evaluation::Explanation::parse(explanation))
}

/// The items of an explanation as people read them.
pub fn reasons(scheme: Option<&Scheme>, x: &xinjiao_store::evaluation::Explanation) -> Vec<Reason> {
    x.items
        .iter()
        .map(|i| Reason {
            record_id: i.record_id,
            item: i.item.clone(),
            name: x.item_name(scheme, &i.item).to_string(),
            points: i.points as f64 / 10.0,
            source: i.source.clone(),
            date: i.date.clone(),
        })
        .collect()
}

/// The latest result of each (scheme, cycle) among `results` (newest run
/// first), as of `today`; persons' grades only where `public` is false or
/// the scheme publishes them.
pub fn grade_views(
    schemes: &[Scheme],
    results: &[(Run, StoredResult)],
    today: Date,
    public: bool,
    person: bool,
) -> Vec<GradeView> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for (run, r) in results {
        if !seen.insert((run.scheme.clone(), run.cycle_year)) {
            continue;
        }
        let Some(scheme) = schemes.iter().find(|s| s.code == run.scheme) else { continue };
        if public && person && !(scheme.evaluates == Evaluates::Persons && scheme.persons_public) {
            continue;
        }
        let x = xinjiao_store::evaluation::Explanation::parse(&r.explanation);
        let version =
            scheme.versions.iter().find(|v| v.id == run.version).unwrap_or_else(|| scheme.version_on(run.as_of));
        let finalised = today >= run.final_from;
        out.push(GradeView {
            run_id: run.id,
            scheme: scheme.code.clone(),
            scheme_name: scheme.name.clone(),
            cycle: run.cycle_year,
            grade: r.grade.clone(),
            grade_label: version.bands.iter().find(|b| b.grade == r.grade).map(|b| b.label.clone()).unwrap_or_default(),
            score: r.score as f64 / 10.0,
            score_text: Points(r.score).to_string(),
            status: if finalised { "final" } else { "preliminary" },
            status_label: if finalised {
                "正式结果".to_string()
            } else {
                format!("初评公示中，{} 起为正式结果", run.final_from)
            },
            final_from: run.final_from.to_string(),
            lowered_by: reasons(Some(scheme), &x).into_iter().filter(|i| i.points < 0.0).collect(),
            rules: x.rules.iter().map(|r| r.why.clone()).collect(),
            valid_until: x.valid_until,
        });
    }
    out
}

/// Dynamic evaluation (动态评价): a serious dishonest act changes a grade at
/// once, between cycles. For each scheme with a serious rule that evaluates
/// `subject`'s kind, the subject is evaluated in the current cycle as of
/// `today` from what is known today; where the serious rule applies, that
/// grade is shown (first) until the next run reflects it.
pub fn dynamic_views(
    store: &dyn xinjiao_store::Store,
    schemes: &[Scheme],
    subject: &xinjiao_store::Subject,
    today: Date,
    public: bool,
) -> Result<Vec<GradeView>, xinjiao_store::StoreError> {
    let person = subject.kind == xinjiao_core::records::record::SubjectKind::NaturalPerson;
    let mut out = Vec::new();
    for scheme in schemes.iter().filter(|s| (s.evaluates == Evaluates::Persons) == person) {
        let Some(cycle) = scheme.cycle.cycle_of(today) else { continue };
        let version = scheme.version_on(today);
        let Some(serious) = &version.serious else { continue };
        if public && person && !scheme.persons_public {
            continue;
        }
        let runs = store.evaluation_runs(&scheme.code)?;
        let inputs = xinjiao_store::evaluation::evaluation_inputs(
            store,
            schemes,
            scheme,
            cycle.year,
            subject.id..subject.id + 1,
            &runs,
        )?;
        let Some(events) = inputs.events.get(&subject.id) else { continue };
        let prior = inputs.prior.get(&subject.id).cloned().unwrap_or_default();
        let Ok(e) = xinjiao_core::evaluation::engine::evaluate(scheme, cycle, events, &prior, today) else { continue };
        let Some(rule) = e.rules.iter().find(|r| r.rule == "serious") else { continue };
        out.push(GradeView {
            run_id: 0,
            scheme: scheme.code.clone(),
            scheme_name: scheme.name.clone(),
            cycle: cycle.year,
            grade: e.grade.clone(),
            grade_label: version
                .bands
                .iter()
                .find(|b| b.grade == serious.grade)
                .map(|b| b.label.clone())
                .unwrap_or_default(),
            score: e.score.0 as f64 / 10.0,
            score_text: e.score.to_string(),
            status: "dynamic",
            status_label: "动态评价：严重失信行为即时生效".into(),
            final_from: today.to_string(),
            valid_until: String::new(),
            lowered_by: e
                .items
                .iter()
                .filter(|a| a.points.0 < 0)
                .map(|a| Reason {
                    record_id: a.record_id,
                    item: a.item.clone(),
                    name: a.item_name.clone(),
                    points: a.points.0 as f64 / 10.0,
                    source: a.source.clone(),
                    date: a.date.to_string(),
                })
                .collect(),
            rules: vec![rule.why.clone()],
        });
    }
    Ok(out)
}
