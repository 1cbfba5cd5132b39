//! The console pages of the three reporting rates: the dashboard by
//! department or division with its trend chart and the open cases the
//! coordinator watches, its XLSX export, and the drill-down to the records
//! behind every shortfall.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use xinjiao_core::reporting::period::Period;
use xinjiao_core::reporting::rates::{RateCounts, RateKind};
use xinjiao_store::{DocumentFilter, PageRequest, User};

use super::figures::{By, Figures, departments_of, parse_period};
use crate::kernel::auth::StaffUser;
use crate::kernel::context::{dept_name, encode_component};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;

/// This part's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/dashboard", get(dashboard))
        .route("/console/dashboard.xlsx", get(dashboard_xlsx))
        .route("/console/dashboard/drill", get(drill))
}

/// A figure as shown: text, numerator and denominator, and where to drill.
pub struct RateCell {
    pub text: String,
    pub num: u64,
    pub den: u64,
    pub bad: bool,
    pub href: Option<String>,
    pub note: String,
}

fn cells(c: &RateCounts, drill: impl Fn(&str) -> String) -> [RateCell; 3] {
    let cell = |kind: RateKind, what: &str| {
        let r = c.rate(kind);
        let bad = !c.meets_target(kind);
        // A red figure says why; a fill rate that reads 100.0 % with months
        // not declared is shown as not met, not as a red 100.0 %.
        let note = c.shortfall(kind).unwrap_or_default();
        let text = figure_text(c, kind);
        RateCell { text, num: r.numerator, den: r.denominator, bad, href: bad.then(|| drill(what)), note }
    };
    [cell(RateKind::Fill, "fill"), cell(RateKind::Pass, "rejected"), cell(RateKind::Timeliness, "overdue")]
}

/// A figure as the page prints it: the rate, or 未达标 when the rate itself
/// reads as met but the target is not (a fill rate with months not declared).
fn figure_text(c: &RateCounts, kind: RateKind) -> String {
    let r = c.rate(kind);
    if !c.meets_target(kind) && r.meets_target() { "未达标".to_string() } else { r.display() }
}

struct RowView {
    key: String,
    name: String,
    division: String,
    cells: [RateCell; 3],
}

struct TrendRow {
    label: String,
    cells: [String; 3],
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    period_label: String,
    period_kind: &'static str,
    at: String,
    by: &'static str,
    prev_at: String,
    next_at: String,
    definitions: Vec<(&'static str, &'static str)>,
    rows: Vec<RowView>,
    total: [RateCell; 3],
    trend_svg: String,
    trend_of: String,
    trend: Vec<TrendRow>,
    export_href: String,
    /// Opened on an earlier period because the current one (label, key) has no data yet.
    opened_on: Option<(String, String)>,
    /// Open objections and repair applications with their deadlines.
    pending: Vec<crate::kernel::workplace::Case>,
    tallies: Vec<crate::kernel::workplace::Tally>,
}

#[derive(Deserialize, Default)]
struct DashQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    trend: String,
}

/// The figures `user` may see ([`super::figures::compute_for`]).
async fn figures(st: &AppState, user: &User, q: &DashQuery) -> Result<Figures, PageError> {
    let period = parse_period(&q.period, &q.at, st.today()).map_err(PageError::BadRequest)?;
    figures_of(st, user, q, period).await
}

/// Whether figures hold nothing at all for their period (no declaration,
/// record, row or publication).
fn nothing_in(f: &Figures) -> bool {
    let t = &f.total;
    t.due + t.reported + t.rows_submitted + t.published == 0
}

async fn figures_of(st: &AppState, user: &User, q: &DashQuery, period: Period) -> Result<Figures, PageError> {
    let by = By::parse(&q.by).ok_or_else(|| PageError::BadRequest("by 应为 department 或 division".into()))?;
    let trend = (!q.trend.is_empty()).then(|| q.trend.clone());
    let (rules, cache, user) = (st.rules.clone(), st.rates_cache.clone(), user.clone());
    Ok(st
        .db(move |s| {
            let rules = rules.read().expect("rules");
            super::figures::compute_for(s, &rules, &cache, period, by, trend.as_deref(), &user)
        })
        .await?)
}

fn drill_href(f: &Figures, key: &str, what: &str) -> String {
    format!(
        "/console/dashboard/drill?what={what}&by={}&key={}&period={}&at={}",
        f.by.as_str(),
        encode_component(key),
        f.period.kind.as_str(),
        f.period.key()
    )
}

async fn dashboard(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<DashQuery>,
) -> Result<Html<String>, PageError> {
    let mut f = figures(&st, &user, &q).await?;
    // Opened without a period: the current one when it has data, else the
    // last one that has (up to a year back), saying so.
    let mut opened_on = None;
    if q.at.trim().is_empty() && nothing_in(&f) {
        let current = f.period;
        let mut p = current;
        for _ in 0..12 {
            p = p.prev();
            let g = figures_of(&st, &user, &q, p).await?;
            if !nothing_in(&g) {
                opened_on = Some((current.label(), current.key()));
                f = g;
                break;
            }
        }
    }
    let rows = f
        .rows
        .iter()
        .map(|r| {
            let mut cells = cells(&r.counts, |what| drill_href(&f, &r.key, what));
            if r.key == super::figures::NONE_KEY {
                // Records without a department: nothing to drill into by department.
                for c in &mut cells {
                    c.href = None;
                }
            }
            RowView { key: r.key.clone(), name: r.name.clone(), division: r.division.clone(), cells }
        })
        .collect();
    // A clerk's total is their department's (the only scope they drill into).
    let total_key = match (user.role.oversees(), user.department_id) {
        (false, Some(d)) if f.by == By::Department => d.to_string(),
        _ => String::new(),
    };
    let mut total = cells(&f.total, |what| drill_href(&f, &total_key, what));
    if !user.role.oversees() && total_key.is_empty() {
        for c in &mut total {
            c.href = None;
        }
    }
    let trend = f
        .trend
        .iter()
        .map(|(p, c)| TrendRow {
            label: p.label(),
            cells: [RateKind::Fill, RateKind::Pass, RateKind::Timeliness].map(|k| figure_text(c, k)),
        })
        .collect();
    let next = Period { kind: f.period.kind, start: f.period.last_month().next() };
    let (state, u) = (st.clone(), user.clone());
    let (pending, tallies) =
        st.db(move |s| Ok((state.workplace.cases(&state, s, &u)?, state.workplace.tallies(&state, s, &u)?))).await?;
    let page = DashboardPage {
        pending,
        tallies,
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/dashboard").await?,
        period_label: f.period.label(),
        period_kind: f.period.kind.as_str(),
        at: f.period.key(),
        by: f.by.as_str(),
        prev_at: f.period.prev().key(),
        next_at: next.key(),
        definitions: [RateKind::Fill, RateKind::Pass, RateKind::Timeliness]
            .iter()
            .map(|k| (k.label(), k.definition()))
            .collect(),
        rows,
        total,
        trend_svg: super::figures::trend_svg(&f.trend),
        trend_of: f.trend_of.clone(),
        trend,
        export_href: format!(
            "/console/dashboard.xlsx?period={}&at={}&by={}",
            f.period.kind.as_str(),
            f.period.key(),
            f.by.as_str()
        ),
        opened_on,
    };
    Ok(Html(page.render()?))
}

async fn dashboard_xlsx(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<DashQuery>,
) -> Result<Response, PageError> {
    use xinjiao_import::Cell;
    let f = figures(&st, &user, &q).await?;
    let pct = |c: &RateCounts, k: RateKind| match c.rate(k).per_mille() {
        Some(pm) => Cell::Percent(f64::from(pm) / 1000.0),
        None => Cell::Text("—".into()),
    };
    let row = |name: &str, division: &str, c: &RateCounts| {
        vec![
            Cell::Text(name.to_string()),
            Cell::Text(division.to_string()),
            Cell::Number(c.due as f64),
            Cell::Number(c.reported as f64),
            pct(c, RateKind::Fill),
            Cell::Number(c.undeclared as f64),
            Cell::Number(c.rows_submitted as f64),
            Cell::Number(c.rows_first_pass as f64),
            pct(c, RateKind::Pass),
            Cell::Number(c.published as f64),
            Cell::Number(c.published_on_time as f64),
            pct(c, RateKind::Timeliness),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = f.rows.iter().map(|r| row(&r.name, &r.division, &r.counts)).collect();
    rows.push(row("合计", "", &f.total));
    let headers = vec![
        "部门/区划",
        "所属区划",
        "应报送数",
        "已报送数",
        "填报率",
        "未申报项",
        "提交行数",
        "通过校验行数",
        "合格率",
        "已公示数",
        "按期公示数",
        "及时率",
    ];
    let trend: Vec<Vec<Cell>> = f
        .trend
        .iter()
        .map(|(p, c)| {
            vec![Cell::Text(p.label()), pct(c, RateKind::Fill), pct(c, RateKind::Pass), pct(c, RateKind::Timeliness)]
        })
        .collect();
    let defs: Vec<Vec<Cell>> = [RateKind::Fill, RateKind::Pass, RateKind::Timeliness]
        .iter()
        .map(|k| vec![Cell::Text(k.label().into()), Cell::Text(k.definition().into())])
        .collect();
    let bytes = xinjiao_import::table_xlsx(&[
        ("三率统计", headers, rows),
        ("趋势", vec!["统计期", "填报率", "合格率", "及时率"], trend),
        ("口径说明", vec!["指标", "计算口径"], defs),
    ])
    .map_err(|e| PageError::Internal(e.to_string()))?;
    let name = format!("三率统计-{}.xlsx", f.period.key());
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{}", encode_component(&name))),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct DrillQuery {
    what: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    at: String,
}

struct DrillRow {
    cells: Vec<String>,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "drill.html")]
struct DrillPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    title: String,
    scope: String,
    period_label: String,
    back: String,
    headers: Vec<&'static str>,
    rows: Vec<DrillRow>,
    note: String,
}

async fn drill(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<DrillQuery>,
) -> Result<Html<String>, PageError> {
    let period = parse_period(&q.period, &q.at, st.today()).map_err(PageError::BadRequest)?;
    let by = By::parse(&q.by).ok_or_else(|| PageError::BadRequest("by 应为 department 或 division".into()))?;
    let departments = st.db(|s| s.departments()).await?;
    let divisions = st.db(|s| s.divisions()).await?;
    // A clerk drills only into their own department (see `figures`).
    if !user.role.oversees() && (by != By::Department || q.key.parse::<i64>().ok() != user.department_id) {
        return Err(PageError::Forbidden);
    }
    let scope_ids = if q.key.is_empty() { None } else { departments_of(&q.key, by, &departments) };
    let scope = match (q.key.as_str(), by) {
        ("", _) => "全部部门".to_string(),
        (k, By::Department) => dept_name(&departments, k.parse().unwrap_or(0)),
        (k, By::Division) => divisions.iter().find(|v| v.code == k).map_or(k.to_string(), |v| v.name.clone()),
    };
    let rules = st.rules.clone();
    let (first, last) = (period.first_day(), period.last_day());
    let ids = scope_ids.clone();
    let (title, headers, rows, note) = match q.what.as_str() {
        "overdue" => {
            let (late, docs, names) = st
                .db(move |s| {
                    let rules = rules.read().expect("rules");
                    let deadlines =
                        xinjiao_store::reporting::deadlines(first, last, &rules.calendar, &rules.publication);
                    let late = s.late_records(ids.as_deref(), first, last, &deadlines, 1000)?;
                    let late: Vec<_> = late
                        .into_iter()
                        .map(|l| {
                            let days =
                                l.row.published_on.map(|p| rules.calendar.working_days_between(l.deadline, p).value);
                            (l, days)
                        })
                        .collect();
                    let filter = DocumentFilter {
                        published_only: true,
                        departments: ids.clone(),
                        issued_from: Some(first),
                        issued_to: Some(last),
                        ..Default::default()
                    };
                    let docs: Vec<_> = s
                        .documents(&filter, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?
                        .items
                        .into_iter()
                        .filter_map(|d| {
                            let deadline = rules.publication.document_deadline(d.issue_date, &rules.calendar).value;
                            let p = d.published_on?;
                            (p > deadline).then(|| {
                                let days = rules.calendar.working_days_between(deadline, p).value;
                                (d, deadline, days)
                            })
                        })
                        .collect();
                    Ok((late, docs, s.departments()?))
                })
                .await?;
            let mut rows: Vec<DrillRow> = late
                .iter()
                .map(|(l, days)| DrillRow {
                    cells: vec![
                        l.row.kind.label().to_string(),
                        l.row.decision_no.clone(),
                        l.row.subject_name.clone(),
                        l.row.department_id.map_or_else(|| "未归属".into(), |d| dept_name(&names, d)),
                        l.row.decision_date.to_string(),
                        l.deadline.to_string(),
                        l.row.published_on.map_or_else(|| "—".into(), |d| d.to_string()),
                        days.map_or_else(|| "—".into(), |d| d.to_string()),
                    ],
                    href: Some(format!("/console/records/{}", l.row.id)),
                })
                .collect();
            rows.extend(docs.iter().map(|(d, deadline, days)| DrillRow {
                cells: vec![
                    d.kind.label().to_string(),
                    d.title.clone(),
                    String::new(),
                    dept_name(&names, d.department_id),
                    d.issue_date.to_string(),
                    deadline.to_string(),
                    d.published_on.map_or_else(String::new, |p| p.to_string()),
                    days.to_string(),
                ],
                href: Some(format!("/documents/{}", d.id)),
            }));
            (
                "超期公示的记录",
                vec!["类别", "决定文书号 / 标题", "行政相对人", "部门", "决定/印发日期", "公示期限", "公示日期", "超期工作日"],
                rows,
                "公示期限 = 决定（印发）日期后第 7 个工作日（国务院节假日安排）；超期工作日 = 公示期限之后到公示日的工作日数。".to_string(),
            )
        }
        "rejected" => {
            let subs = st.db(move |s| s.rejected_submissions(ids.as_deref(), first, last, 500)).await?;
            let rows = subs
                .iter()
                .map(|s| DrillRow {
                    cells: vec![
                        local_time(s.at),
                        s.department_id.map_or_else(|| "未归属".into(), |d| dept_name(&departments, d)),
                        s.filename.clone(),
                        (s.n_rows - s.n_unchanged).to_string(),
                        s.n_rejected.to_string(),
                    ],
                    href: Some(format!("/console/submissions/{}", s.id)),
                })
                .collect();
            (
                "含被拒绝行的上报",
                vec!["上报时间", "部门", "文件", "提交行数", "被拒绝行数"],
                rows,
                "点击查看每一行被拒绝的原因（字段与规则）。".to_string(),
            )
        }
        "fill" => {
            let lines = st
                .db(move |s| {
                    let rules = rules.read().expect("rules");
                    super::figures::fill_lines(s, &rules, period, ids.as_deref())
                })
                .await?;
            let rows = lines
                .iter()
                .filter(|l| l.declared.is_none_or(|d| (l.reported as i64) < d))
                .map(|l| DrillRow {
                    cells: vec![
                        dept_name(&departments, l.department_id),
                        l.month.to_string(),
                        l.kind.label().to_string(),
                        l.declared.map_or_else(|| "未申报".into(), |d| d.to_string()),
                        l.reported.to_string(),
                        l.declared.map_or_else(String::new, |d| (d - l.reported as i64).max(0).to_string()),
                    ],
                    href: Some(format!(
                        "/console/declarations?department={}&month={}&kind={}",
                        l.department_id,
                        l.month,
                        l.kind.as_str()
                    )),
                })
                .collect();
            (
                "未申报或未报足的月份",
                vec!["部门", "月份", "类别", "应报送（申报数）", "已报送", "差额"],
                rows,
                "已报送数按决定日期所在月份统计；有记录但未申报应报送数的月份也列出。".to_string(),
            )
        }
        _ => return Err(PageError::BadRequest("what 应为 overdue、rejected 或 fill".into())),
    };
    let page = DrillPage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/dashboard/drill").await?,
        title: title.to_string(),
        scope,
        period_label: period.label(),
        back: format!("/console/dashboard?period={}&at={}&by={}", period.kind.as_str(), period.key(), by.as_str()),
        headers,
        rows,
        note,
    };
    Ok(Html(page.render()?))
}
