//! Evaluation runs: a coordinator grades a scheme's cycle from the console
//! (stored as preliminary results during the comment period); the public
//! sees each run's grade distribution and results.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::kernel::auth::{MaybeUser, StaffUser};
use crate::kernel::context::ctx;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/evaluations", get(public_index))
        .route("/evaluations/runs/{id}", get(public_run))
        .route("/console/evaluations", get(console_index).post(start_run))
        .route("/console/evaluations/runs/{id}", get(console_run))
        .route("/console/evaluations/objections", get(objections_page))
        .route(
            "/console/evaluations/objections/{id}",
            axum::routing::post(act_on_objection).merge(crate::kernel::context::form_page_of(1)),
        )
        .route(
            "/console/evaluations/events",
            axum::routing::post(upload_events)
                .layer(axum::extract::DefaultBodyLimit::max(crate::kernel::context::MAX_UPLOAD_BYTES))
                .merge(crate::kernel::context::form_page_of(1)),
        )
}

#[derive(Template)]
#[template(path = "evaluation_import.html")]
struct ImportPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    filename: String,
    dry_run: bool,
    report: xinjiao_import::ImportReport,
    field_names: Vec<String>,
}

/// Uploads a credit-event file (coordinators and administrators: the events
/// are inputs of every department's subjects' grades).
async fn upload_events(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    mut mp: axum::extract::Multipart,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let (mut file, mut dry_run) = (None, false);
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(format!("上传内容无法读取（可能超过大小限制）：{e}")))?
    {
        match field.name().unwrap_or("") {
            "dry_run" => dry_run = true,
            "file" => {
                let name = field.file_name().unwrap_or("credit-events.csv").to_string();
                let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("文件读取失败：{e}")))?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let page = render_console(&st, &user, vec!["请选择要上传的信用事件文件（所选文件为空）。".into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let wctx = ctx(&st, &user, format!("上传信用事件文件 {filename}"));
    let report = match super::import_job::import_bytes(&st, wctx, filename.clone(), bytes, dry_run).await {
        Ok(r) => r,
        Err(super::import_job::ImportError::File(e)) => {
            let page = render_console(&st, &user, vec![format!("文件未导入：{}", e.message)]).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(super::import_job::ImportError::Store(e)) => return Err(e.into()),
    };
    let field_names = report
        .diagnostics
        .iter()
        .map(|d| {
            xinjiao_core::evaluation::events::CREDIT_EVENT_FIELDS
                .iter()
                .find(|f| f.code == d.field)
                .map_or_else(|| "整行".to_string(), |f| f.name.to_string())
        })
        .collect();
    let status =
        if report.rejected > 0 { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let page = ImportPage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/evaluations").await?,
        filename,
        dry_run,
        report,
        field_names,
    };
    Ok((status, Html(page.render()?)).into_response())
}

impl RunRow {
    fn of(
        scheme: &xinjiao_core::evaluation::scheme::Scheme,
        run: &xinjiao_store::Run,
        counts: &std::collections::BTreeMap<String, u64>,
        today: xinjiao_core::Date,
    ) -> RunRow {
        RunRow {
            id: run.id,
            scheme_name: scheme.name.clone(),
            cycle: run.cycle_year,
            as_of: run.as_of.to_string(),
            status: if today >= run.final_from {
                "正式结果".into()
            } else {
                format!("初评公示中，{} 起为正式结果", run.final_from)
            },
            n: counts.values().sum::<u64>() as usize,
            chart: distribution_svg(&distribution(scheme, &run.version, counts)),
        }
    }
}

/// A run as listed: its scheme, cycle, day, status and grade counts.
struct RunRow {
    id: i64,
    scheme_name: String,
    cycle: i16,
    as_of: String,
    status: String,
    n: usize,
    chart: String,
}

/// Counts of each grade of a scheme's version, best first.
fn distribution(
    scheme: &xinjiao_core::evaluation::scheme::Scheme,
    version: &str,
    counts: &std::collections::BTreeMap<String, u64>,
) -> Vec<(String, u64)> {
    let v = scheme.versions.iter().find(|v| v.id == version).unwrap_or(&scheme.versions[0]);
    v.bands.iter().map(|b| (b.grade.clone(), counts.get(&b.grade).copied().unwrap_or(0))).collect()
}

/// A bar chart of a grade distribution, server-rendered SVG.
fn distribution_svg(counts: &[(String, u64)]) -> String {
    let max = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
    let (w, bar, gap, top) = (60.0 * counts.len().max(1) as f64, 36.0, 24.0, 18.0);
    let h = 150.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="等级分布" class="distribution">"##
    );
    for (i, (grade, n)) in counts.iter().enumerate() {
        let x = gap / 2.0 + i as f64 * (bar + gap);
        let bh = (h - top - 24.0) * (*n as f64) / max;
        let y = h - 24.0 - bh;
        svg.push_str(&format!(
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar}" height="{bh:.1}" fill="#0b4f9c"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{n}</text><text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">{grade}</text>"##,
            x + bar / 2.0,
            y - 4.0,
            x + bar / 2.0,
            h - 6.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn run_rows(st: &AppState) -> Result<Vec<RunRow>, PageError> {
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let today = st.today();
    let codes: Vec<String> = schemes.iter().map(|s| s.code.clone()).collect();
    let runs = st
        .db(move |s| {
            let mut out = Vec::new();
            for code in codes {
                for run in s.evaluation_runs(&code)?.into_iter().take(10) {
                    let counts = s.grade_counts(run.id)?;
                    out.push((run, counts));
                }
            }
            Ok(out)
        })
        .await?;
    Ok(runs
        .iter()
        .filter_map(|(run, counts)| {
            let scheme = schemes.iter().find(|s| s.code == run.scheme)?;
            Some(RunRow::of(scheme, run, counts, today))
        })
        .collect())
}

#[derive(Template)]
#[template(path = "evaluations.html")]
struct PublicIndex {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    runs: Vec<RunRow>,
}

async fn public_index(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let runs = run_rows(&st).await?;
    Ok(Html(PublicIndex { banner: st.banner(), user: u.0.map(|u| u.display_name), runs }.render()?))
}

/// A result as a run's list shows it.
struct ResultRow {
    key: String,
    score: String,
    grade: String,
    demerits: i64,
    lowered: Vec<super::views::Reason>,
    rules: Vec<String>,
}

#[derive(Template)]
#[template(path = "evaluation_run.html")]
struct PublicRun {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    run: RunRow,
    results: Vec<ResultRow>,
    hidden_persons: usize,
}

/// The rows of run `id` (persons left out unless the scheme publishes them, when `public`).
async fn run_results(st: &AppState, id: i64, public: bool) -> Result<(RunRow, Vec<ResultRow>, usize), PageError> {
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let today = st.today();
    let codes: Vec<String> = schemes.iter().map(|s| s.code.clone()).collect();
    let (run, results) = st.db(move |s| run_with_results(s, &codes, id)).await?.ok_or(PageError::NotFound)?;
    let scheme = schemes.iter().find(|s| s.code == run.scheme).ok_or(PageError::NotFound)?;
    // Persons' results are public only where the scheme says so.
    let persons_hidden =
        public && scheme.evaluates == xinjiao_core::evaluation::scheme::Evaluates::Persons && !scheme.persons_public;
    let mut counts = std::collections::BTreeMap::new();
    for r in &results {
        *counts.entry(r.grade.clone()).or_insert(0) += 1;
    }
    let row = RunRow::of(scheme, &run, &counts, today);
    let hidden = if persons_hidden { results.len() } else { 0 };
    let rows = results
        .iter()
        .filter(|_| !persons_hidden)
        .map(|r| {
            let x = xinjiao_store::evaluation::Explanation::parse(&r.explanation);
            ResultRow {
                key: r.subject_key.clone(),
                score: xinjiao_store::evaluation::score_text(r.score),
                grade: r.grade.clone(),
                demerits: r.demerits,
                lowered: super::views::reasons(Some(scheme), &x).into_iter().filter(|i| i.points < 0.0).collect(),
                rules: x.rules.into_iter().map(|r| r.why).collect(),
            }
        })
        .collect();
    Ok((row, rows, hidden))
}

/// Run `id` (of one of the schemes `codes`) with its results, if it exists.
fn run_with_results(
    s: &dyn xinjiao_store::Store,
    codes: &[String],
    id: i64,
) -> Result<Option<(xinjiao_store::Run, Vec<xinjiao_store::StoredResult>)>, xinjiao_store::StoreError> {
    for code in codes {
        if let Some(run) = s.evaluation_runs(code)?.into_iter().find(|r| r.id == id) {
            let results = s.evaluation_results(id)?;
            return Ok(Some((run, results)));
        }
    }
    Ok(None)
}

async fn public_run(State(st): State<AppState>, u: MaybeUser, Path(id): Path<i64>) -> Result<Html<String>, PageError> {
    let (run, results, hidden_persons) = run_results(&st, id, true).await?;
    Ok(Html(
        PublicRun { banner: st.banner(), user: u.0.map(|u| u.display_name), run, results, hidden_persons }.render()?,
    ))
}

#[derive(Template)]
#[template(path = "evaluations_console.html")]
struct ConsoleIndex {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    schemes: Vec<(String, String, String)>,
    cycle: i16,
    oversees: bool,
    runs: Vec<RunRow>,
    errors: Vec<String>,
}

async fn render_console(
    st: &AppState,
    user: &xinjiao_store::User,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let schemes = st
        .rules
        .read()
        .expect("rules")
        .schemes
        .iter()
        .map(|s| {
            let v = s.version_on(st.today());
            (s.code.clone(), s.name.clone(), format!("{} 版，{} 起施行", v.id, v.effective_from))
        })
        .collect();
    let runs = run_rows(st).await?;
    let page = ConsoleIndex {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/evaluations").await?,
        schemes,
        cycle: st.today().year() - 1,
        oversees: user.role.oversees(),
        runs,
        errors,
    };
    Ok(Html(page.render()?))
}

async fn console_index(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_console(&st, &user, vec![]).await
}

#[derive(Deserialize)]
struct RunForm {
    scheme: String,
    cycle: String,
    #[serde(default)]
    as_of: String,
}

/// Grades a scheme's cycle (coordinators and administrators).
async fn start_run(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<RunForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let (schemes, calendar) = {
        let rules = st.rules.read().expect("rules");
        (rules.schemes.clone(), rules.calendar.clone())
    };
    let mut errors = Vec::new();
    let scheme = schemes.iter().find(|s| s.code == f.scheme).cloned();
    if scheme.is_none() {
        errors.push(format!("评价体系“{}”不存在", f.scheme));
    }
    let cycle: Option<i16> = f.cycle.trim().parse().ok().filter(|y| (2000..=st.today().year()).contains(y));
    if cycle.is_none() {
        errors.push(format!("评价周期“{}”无效，应为 2000 到今年之间的年份", f.cycle));
    }
    let as_of: Option<xinjiao_core::Date> = match f.as_of.trim() {
        "" => None,
        d => match d.parse() {
            Ok(d) if d <= st.today() => Some(d),
            _ => {
                errors.push(format!("评价基准日“{d}”无效，应为不晚于今天的 YYYY-MM-DD"));
                None
            }
        },
    };
    let (Some(scheme), Some(cycle), true) = (scheme, cycle, errors.is_empty()) else {
        let page = render_console(&st, &user, errors).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let Some(c) = scheme.cycle.cycle(cycle) else { return Err(PageError::BadRequest("周期无效".into())) };
    let as_of = as_of.unwrap_or_else(|| c.last.tomorrow().unwrap_or(c.last).min(st.today()));
    let wctx = ctx(&st, &user, format!("信用评价 {} {cycle}", scheme.name));
    let result = st
        .db(move |s| {
            xinjiao_store::evaluation::run_evaluation(
                s,
                &wctx,
                &schemes,
                &scheme,
                cycle,
                as_of,
                &calendar,
                &mut |_, _| Ok(()),
            )
            .map(|run| run.id)
        })
        .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/console/evaluations/runs/{id}")).into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_console(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "evaluation_run_console.html")]
struct ConsoleRun {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    run: RunRow,
    results: Vec<ResultRow>,
}

async fn console_run(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let (run, results, _) = run_results(&st, id, false).await?;
    let chrome = st.chrome(&user, "/console/evaluations").await?;
    Ok(Html(ConsoleRun { banner: st.banner(), chrome, run, results }.render()?))
}

/// An objection to a result as staff handle it.
struct ObjectionRow {
    id: i64,
    run_id: i64,
    scheme_name: String,
    cycle: i16,
    subject_key: String,
    subject_name: String,
    reasons: String,
    status: &'static str,
    open: bool,
    acknowledged: bool,
    deadline: String,
    decision_reason: String,
}

#[derive(Template)]
#[template(path = "evaluation_objections.html")]
struct ObjectionsPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    rows: Vec<ObjectionRow>,
    oversees: bool,
    errors: Vec<String>,
}

async fn render_objections(
    st: &AppState,
    user: &xinjiao_store::User,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let list = st.db(|s| s.result_objections(None, false)).await?;
    let rows = {
        let rules = st.rules.read().expect("rules");
        list.iter()
            .map(|o| {
                let filed = crate::kernel::time::china_date(o.filed_at);
                let deadline = if o.status == xinjiao_core::lifecycle::objections::ObjectionStatus::Filed {
                    format!("受理 {} 前", rules.objections.acknowledge_by(filed, &rules.calendar))
                } else {
                    format!("办结 {} 前", rules.objections.decide_by(filed, o.extended, &rules.calendar))
                };
                ObjectionRow {
                    id: o.id,
                    run_id: o.run_id,
                    scheme_name: rules
                        .schemes
                        .iter()
                        .find(|s| s.code == o.scheme)
                        .map_or(o.scheme.clone(), |s| s.name.clone()),
                    cycle: o.cycle_year,
                    subject_key: o.subject_key.clone(),
                    subject_name: crate::kernel::views::mask_text(&o.subject_name),
                    reasons: o.reasons.clone(),
                    status: o.status.label(),
                    open: o.status.is_open(),
                    acknowledged: o.status == xinjiao_core::lifecycle::objections::ObjectionStatus::Acknowledged,
                    deadline: if o.status.is_open() { deadline } else { String::new() },
                    decision_reason: o.decision_reason.clone().unwrap_or_default(),
                }
            })
            .collect()
    };
    let page = ObjectionsPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/evaluations").await?,
        rows,
        oversees: user.role.oversees(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn objections_page(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_objections(&st, &user, vec![]).await
}

/// Acknowledges, extends, upholds or rejects an objection to a result (coordinators and administrators).
async fn act_on_objection(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::kernel::context::ObjectionActionForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let Some(action) = crate::kernel::context::objection_action(&f.action, &f.reason)? else {
        let page = render_objections(&st, &user, vec![crate::kernel::context::REASON_REQUIRED.into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let wctx = ctx(&st, &user, "处理评价结果异议");
    match st.db(move |s| s.act_on_result_objection(&wctx, id, &action)).await {
        Ok(_) => Ok(Redirect::to("/console/evaluations/objections").into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_objections(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Counts behind the console's 信用评价 entry: open objections to results.
pub fn objection_badges(
    _st: &AppState,
    store: &dyn xinjiao_store::Store,
    _user: &xinjiao_store::User,
) -> Result<Vec<crate::kernel::workplace::Badge>, xinjiao_store::StoreError> {
    let n = store.result_objections(None, true)?.len() as u64;
    Ok(vec![crate::kernel::workplace::Badge { n, what: "件评价结果异议待处理", urgent: false }])
}
