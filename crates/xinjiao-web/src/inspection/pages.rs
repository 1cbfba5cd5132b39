//! "双随机、一公开" in the browser: the public list of inspection matters and
//! draws, each draw's page (the plan as frozen, and once run the public
//! value, the revealed secret and what was drawn, with how to check it), and
//! the console where a coordinator plans and runs draws.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::kernel::auth::{MaybeUser, StaffUser};
use crate::kernel::context::ctx;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inspections", get(public_index))
        .route("/inspections/draws/{id}", get(public_draw))
        .route("/console/inspections", get(console_index).post(create_plan))
        .route("/console/inspections/draws/{id}/run", post(run).merge(crate::kernel::context::form_page_of(1)))
        .route("/console/inspections/draws/{id}", get(console_draw).post(enter_result))
}

/// A matter as listed.
struct MatterRow {
    code: String,
    name: String,
    department: String,
    basis: String,
    scheme: String,
    priority: String,
    times: u32,
}

/// A draw as listed.
struct DrawRow {
    id: i64,
    matter: String,
    as_of: String,
    population: usize,
    drawn: usize,
    run: Option<String>,
    source: String,
}

fn matter_rows(st: &AppState, matters: Vec<xinjiao_store::Matter>) -> Vec<MatterRow> {
    let rules = st.rules.read().expect("rules");
    matters
        .into_iter()
        .map(|m| MatterRow {
            scheme: rules.schemes.iter().find(|s| s.code == m.scheme).map_or(m.scheme.clone(), |s| s.name.clone()),
            priority: xinjiao_store::inspection::PRIORITIES
                .iter()
                .find(|(p, _)| *p == m.priority)
                .map_or(m.priority.clone(), |(_, l)| l.to_string()),
            code: m.code,
            name: m.name,
            department: m.department_name,
            basis: m.legal_basis,
            times: m.times_a_year,
        })
        .collect()
}

fn draw_rows(draws: Vec<xinjiao_store::DrawSummary>) -> Vec<DrawRow> {
    draws
        .into_iter()
        .map(|d| DrawRow {
            id: d.id,
            matter: format!("{}（{}）", d.matter_name, d.matter_code),
            as_of: d.as_of.to_string(),
            population: d.population,
            drawn: d.drawn,
            run: d.run_at.map(crate::kernel::time::local_time),
            source: d.public_value_source,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct PublicIndex {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    matters: Vec<MatterRow>,
    draws: Vec<DrawRow>,
}

async fn public_index(State(st): State<AppState>, MaybeUser(user): MaybeUser) -> Result<Html<String>, PageError> {
    let (matters, draws) = st.db(|s| Ok((s.matters()?, s.draws()?))).await?;
    let page = PublicIndex {
        banner: st.banner(),
        user: user.map(|u| u.display_name),
        matters: matter_rows(&st, matters),
        draws: draw_rows(draws),
    };
    Ok(Html(page.render()?))
}

/// A drawn subject as the page shows it, with its inspection's result once entered.
struct DrawnRow {
    code: String,
    grade: String,
    inspectors: String,
    short: bool,
    result: Option<ResultCell>,
}

/// An inspection's result as pages show it (findings masked).
struct ResultCell {
    outcome: String,
    inspected_on: String,
    published_on: String,
    publish_by: String,
    findings: String,
    late: bool,
}

/// A stratum as people read it ([`NO_GRADE`](xinjiao_core::inspection::draw::NO_GRADE) is 无等级).
fn grade_label(g: &str) -> String {
    if g == xinjiao_core::inspection::draw::NO_GRADE { "无等级".to_string() } else { g.to_string() }
}

/// The drawn subjects of `d` with the results entered for them.
fn drawn_rows(st: &AppState, d: &xinjiao_store::Draw, results: &[xinjiao_store::InspectionResult]) -> Vec<DrawnRow> {
    let (calendar, days) = {
        let r = st.rules.read().expect("rules");
        (r.calendar.clone(), r.inspection.publish_days)
    };
    d.drawn
        .iter()
        .map(|a| DrawnRow {
            code: a.member.code.clone(),
            grade: grade_label(a.member.stratum()),
            inspectors: a.inspectors.join("、"),
            short: a.short,
            result: results.iter().find(|r| r.subject_code == a.member.code).map(|r| {
                let by = xinjiao_core::inspection::results::publish_by(&calendar, r.inspected_on, days);
                let on = xinjiao_store::china_date(r.entered_at);
                ResultCell {
                    outcome: r.outcome.label().into(),
                    inspected_on: r.inspected_on.to_string(),
                    published_on: on.to_string(),
                    publish_by: by.to_string(),
                    findings: crate::kernel::views::mask_text(&r.findings),
                    late: on > by,
                }
            }),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "inspection_draw.html")]
struct DrawPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    id: i64,
    matter: MatterRow,
    as_of: String,
    population: usize,
    graded: usize,
    population_hash: String,
    /// (grade, share, the rules' default if the plan changed it)
    shares: Vec<(String, String, String)>,
    inspectors: u32,
    eligible: String,
    excluded: usize,
    commitment: String,
    source: String,
    run: Option<String>,
    public_value: String,
    secret: String,
    seed: String,
    drawn: Vec<DrawnRow>,
}

async fn public_draw(
    State(st): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let (d, results) = st.db(move |s| Ok((s.draw(id)?, s.inspection_results(id)?))).await?;
    let page = DrawPage {
        banner: st.banner(),
        user: user.map(|u| u.display_name),
        id: d.id,
        matter: matter_rows(&st, vec![d.matter.clone()]).remove(0),
        as_of: d.as_of.to_string(),
        population: d.population.len(),
        graded: d.population.iter().filter(|m| m.grade.is_some()).count(),
        population_hash: d.population_hash.clone(),
        shares: {
            // In the scheme's order of grades (best first), no grade last.
            let order: Vec<String> = st
                .rules
                .read()
                .expect("rules")
                .schemes
                .iter()
                .find(|s| s.code == d.matter.scheme)
                .map(|s| s.version_on(d.as_of).bands.iter().map(|b| b.grade.clone()).collect())
                .unwrap_or_default();
            let rank = |g: &str| order.iter().position(|o| o == g).unwrap_or(order.len());
            let mut rows: Vec<_> = d.shares.iter().collect();
            rows.sort_by_key(|(g, _)| (rank(g), g.as_str() == xinjiao_core::inspection::draw::NO_GRADE));
            rows.into_iter()
                .map(|(g, s)| {
                    (grade_label(g), s.to_string(), d.overridden.get(g).map(|x| x.to_string()).unwrap_or_default())
                })
                .collect()
        },
        inspectors: d.inspectors_per_subject,
        eligible: d.roster.eligible.join("、"),
        excluded: d.roster.excluded.values().map(Vec::len).sum(),
        commitment: d.commitment.clone(),
        source: d.public_value_source.clone(),
        run: d.run_at.map(crate::kernel::time::local_time),
        public_value: d.public_value.clone().unwrap_or_default(),
        secret: d.revealed_secret().unwrap_or_default().to_string(),
        seed: d.seed.clone().filter(|_| d.run_at.is_some()).unwrap_or_default(),
        drawn: drawn_rows(&st, &d, &results),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "inspection_results_console.html")]
struct ConsoleDraw {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    id: i64,
    matter: String,
    department: String,
    may_enter: bool,
    run: bool,
    errors: Vec<String>,
    drawn: Vec<DrawnRow>,
    outcomes: Vec<(&'static str, &'static str)>,
    today: String,
    days: u32,
}

async fn render_console_draw(
    st: &AppState,
    user: &xinjiao_store::User,
    id: i64,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let (d, results) = st.db(move |s| Ok((s.draw(id)?, s.inspection_results(id)?))).await?;
    let page = ConsoleDraw {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/inspections").await?,
        id,
        matter: d.matter.name.clone(),
        department: d.matter.department_name.clone(),
        may_enter: user.role.oversees() || user.department_id == Some(d.matter.department_id),
        run: d.run_at.is_some(),
        errors,
        drawn: drawn_rows(st, &d, &results),
        outcomes: xinjiao_core::inspection::results::Outcome::ALL.iter().map(|o| (o.as_str(), o.label())).collect(),
        today: st.today().to_string(),
        days: st.rules.read().expect("rules").inspection.publish_days,
    };
    Ok(Html(page.render()?))
}

async fn console_draw(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    render_console_draw(&st, &user, id, vec![]).await
}

#[derive(Deserialize)]
struct ResultForm {
    subject: String,
    outcome: String,
    inspected_on: String,
    #[serde(default)]
    findings: String,
}

/// Enters an inspection's result (the matter's department or a coordinator;
/// anyone else is refused with 403).
async fn enter_result(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<ResultForm>,
) -> Result<Response, PageError> {
    let department = st.db(move |s| Ok(s.draw(id)?.matter.department_id)).await?;
    if !user.role.oversees() && user.department_id != Some(department) {
        return Err(PageError::Forbidden);
    }
    let outcome = xinjiao_core::inspection::results::Outcome::parse(&f.outcome);
    let on = f.inspected_on.trim().parse::<xinjiao_core::Date>().ok();
    let (Some(outcome), Some(on)) = (outcome, on) else {
        let page =
            render_console_draw(&st, &user, id, vec!["请选择检查结果并填写检查日期（YYYY-MM-DD）".into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let wctx = ctx(&st, &user, format!("录入第 {id} 号抽查的检查结果"));
    let subject = f.subject.clone();
    match st
        .db(move |s| xinjiao_store::inspection::enter_result(s, &wctx, id, &subject, outcome, &f.findings, on))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/console/inspections/draws/{id}")).into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_console_draw(&st, &user, id, vec![m]).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "inspections_console.html")]
struct ConsolePage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    oversees: bool,
    errors: Vec<String>,
    matters: Vec<MatterRow>,
    draws: Vec<DrawRow>,
    today: String,
    roster: usize,
    recent_days: u32,
}

async fn render_console(
    st: &AppState,
    user: &xinjiao_store::User,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let (matters, draws, roster) = st.db(|s| Ok((s.matters()?, s.draws()?, s.inspectors()?.len()))).await?;
    let page = ConsolePage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/inspections").await?,
        oversees: user.role.oversees(),
        errors,
        matters: matter_rows(st, matters),
        draws: draw_rows(draws),
        today: st.today().to_string(),
        roster,
        recent_days: st.rules.read().expect("rules").inspection.recent_days,
    };
    Ok(Html(page.render()?))
}

async fn console_index(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_console(&st, &user, vec![]).await
}

#[derive(Deserialize)]
struct PlanForm {
    matter: String,
    as_of: String,
    #[serde(default)]
    shares: String,
    #[serde(default)]
    inspectors: String,
    public_value_source: String,
}

/// Plans a draw (coordinators and administrators).
async fn create_plan(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<PlanForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let mut errors = Vec::new();
    let as_of = f
        .as_of
        .trim()
        .parse::<xinjiao_core::Date>()
        .map_err(|_| errors.push("名录日期应为 YYYY-MM-DD".to_string()))
        .ok();
    let overrides = xinjiao_core::inspection::rules::parse_overrides(&f.shares).map_err(|m| errors.push(m)).ok();
    let inspectors = match f.inspectors.trim() {
        "" => None,
        t => t.parse::<u32>().map_err(|_| errors.push("每个对象的检查人员数应为整数".into())).ok(),
    };
    if f.public_value_source.trim().chars().count() > 200 {
        errors.push("公开值来源至多 200 个字符".into());
    }
    let (Some(as_of), Some(overrides), true) = (as_of, overrides, errors.is_empty()) else {
        let page = render_console(&st, &user, errors).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let req = xinjiao_store::inspection::PlanRequest {
        matter_code: f.matter.trim().to_string(),
        as_of,
        overrides,
        inspectors,
        public_value_source: f.public_value_source,
        secret: super::secret::new_secret(),
    };
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let rules = st.rules.read().expect("rules").inspection.clone();
    let wctx = ctx(&st, &user, "制定抽查计划".to_string());
    match st.db(move |s| xinjiao_store::inspection::plan_draw(s, &wctx, &rules, &schemes, &req)).await {
        Ok(id) => Ok(Redirect::to(&format!("/inspections/draws/{id}")).into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_console(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RunForm {
    public_value: String,
}

/// Runs a planned draw once with the public value (coordinators and administrators).
async fn run(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<RunForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let wctx = ctx(&st, &user, "抽取".to_string());
    match st.db(move |s| xinjiao_store::inspection::run_draw(s, &wctx, id, &f.public_value)).await {
        Ok(_) => Ok(Redirect::to(&format!("/inspections/draws/{id}")).into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_console(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The start page: the department's draws planned and waiting to be run,
/// and drawn subjects whose result is still to be entered (a source of the
/// workplace registry).
pub fn draw_reminders(
    _: &AppState,
    store: &dyn xinjiao_store::Store,
    user: &xinjiao_store::User,
) -> Result<Vec<crate::kernel::workplace::Reminder>, xinjiao_store::StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let ours: Vec<String> = store.matters()?.into_iter().filter(|m| m.department_id == dept).map(|m| m.code).collect();
    let mut out = Vec::new();
    for d in store.draws()?.into_iter().filter(|d| ours.contains(&d.matter_code)) {
        if d.run_at.is_none() {
            out.push(crate::kernel::workplace::Reminder {
                level: "task",
                text: format!("第 {} 号抽查（{}）已公布计划，待录入公开值后抽取", d.id, d.matter_name),
                href: format!("/inspections/draws/{}", d.id),
            });
        } else {
            if d.entered < d.drawn {
                out.push(crate::kernel::workplace::Reminder {
                    level: "task",
                    text: format!(
                        "第 {} 号抽查（{}）有 {} 个对象待录入检查结果",
                        d.id,
                        d.matter_name,
                        d.drawn - d.entered
                    ),
                    href: format!("/console/inspections/draws/{}", d.id),
                });
            }
        }
    }
    Ok(out)
}
