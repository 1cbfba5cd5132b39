//! Console pages of the organisation's reporting duty: the rates dashboard
//! with drill-down and XLSX export, monthly declarations (form and count
//! file), the responsibility table, and documents and news; plus their public
//! pages (the responsibility table, documents).

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::RecordKind;
use xinjiao_core::period::{Month, Period};
use xinjiao_core::rates::{RateCounts, RateKind};
use xinjiao_store::{Department, DocumentFilter, DocumentKind, NewDocument, PageRequest, Responsibility, Store, User};

use crate::auth::{MaybeUser, StaffUser};
use crate::console::{ctx, local_time};
use crate::dashboard::{By, Figures, departments_of, parse_period};
use crate::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/dashboard", get(dashboard))
        .route("/console/dashboard.xlsx", get(dashboard_xlsx))
        .route("/console/dashboard/drill", get(drill))
        .route("/console/declarations", get(declarations_page).post(declare))
        .route("/console/declarations/upload", post(upload_counts).layer(DefaultBodyLimit::max(4 * 1024 * 1024)))
        .route("/console/responsibilities", get(responsibilities_form).post(save_responsibilities))
        .route("/console/documents", get(documents_console).post(create_document))
        .route("/console/documents/{id}/publish", post(publish_document))
        .route("/responsibilities", get(public_responsibilities))
        .route("/documents", get(public_documents))
        .route("/documents/{id}", get(public_document))
        .merge(objection_routes())
        .merge(repair_routes())
        .merge(review_routes())
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
        let note = if kind == RateKind::Fill && c.undeclared > 0 {
            format!("{} 项未申报", c.undeclared)
        } else {
            String::new()
        };
        RateCell { text: r.display(), num: r.numerator, den: r.denominator, bad, href: bad.then(|| drill(what)), note }
    };
    [cell(RateKind::Fill, "fill"), cell(RateKind::Pass, "rejected"), cell(RateKind::Timeliness, "overdue")]
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
    banner: crate::Banner,
    user: Option<String>,
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
    /// Open objections and repair applications with their deadlines.
    pending: Vec<PendingCase>,
}

/// An open objection or repair application, as the coordinator watches it.
struct PendingCase {
    what: &'static str,
    decision_no: String,
    department: String,
    status: &'static str,
    deadline: String,
    overdue: bool,
    href: &'static str,
}

/// Open objections and repair applications that `user` acts for.
async fn pending_cases(st: &AppState, user: &User) -> Result<Vec<PendingCase>, PageError> {
    let (objections, repairs, departments) = st
        .db(|s| {
            let o = s.objections(&xinjiao_store::ObjectionFilter { open_only: true, ..Default::default() }, 500)?;
            let r = s.repairs(&xinjiao_store::RepairFilter::default(), 500)?;
            Ok((o, r, s.departments()?))
        })
        .await?;
    let name = |d: Option<i64>| d.map_or_else(|| "未归属部门".to_string(), |d| dept_name(&departments, d));
    let mut out: Vec<PendingCase> = objections
        .iter()
        .filter(|o| crate::console::acts_for(user, o.department_id))
        .map(|o| {
            let v = crate::account::objection_view(st, o);
            PendingCase {
                what: "信用异议",
                decision_no: o.decision_no.clone(),
                department: name(o.department_id),
                status: v.status,
                deadline: if v.acknowledged { v.decide_by } else { v.acknowledge_by },
                overdue: v.overdue,
                href: "/console/objections",
            }
        })
        .collect();
    out.extend(repairs.iter().filter(|r| r.status.is_open() && crate::console::acts_for(user, r.department_id)).map(
        |r| {
            let v = crate::account::repair_view(st, r);
            PendingCase {
                what: "信用修复",
                decision_no: r.decision_no.clone(),
                department: name(r.department_id),
                status: v.status,
                deadline: if r.accepted_at.is_some() { v.decide_by } else { v.accept_by },
                overdue: v.overdue,
                href: "/console/repairs",
            }
        },
    ));
    out.sort_by(|a, b| a.deadline.cmp(&b.deadline));
    Ok(out)
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

/// The figures `user` may see ([`crate::dashboard::compute_for`]).
async fn figures(st: &AppState, user: &User, q: &DashQuery) -> Result<Figures, PageError> {
    let period = parse_period(&q.period, &q.at, st.today()).map_err(PageError::BadRequest)?;
    let by = By::parse(&q.by).ok_or_else(|| PageError::BadRequest("by 应为 department 或 division".into()))?;
    let trend = (!q.trend.is_empty()).then(|| q.trend.clone());
    let (rules, cache, user) = (st.rules.clone(), st.rates_cache.clone(), user.clone());
    Ok(st
        .db(move |s| {
            let rules = rules.read().expect("rules");
            crate::dashboard::compute_for(s, &rules, &cache, period, by, trend.as_deref(), &user)
        })
        .await?)
}

fn drill_href(f: &Figures, key: &str, what: &str) -> String {
    format!(
        "/console/dashboard/drill?what={what}&by={}&key={}&period={}&at={}",
        f.by.as_str(),
        urlencode(key),
        f.period.kind.as_str(),
        f.period.key()
    )
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

async fn dashboard(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<DashQuery>,
) -> Result<Html<String>, PageError> {
    let f = figures(&st, &user, &q).await?;
    let rows = f
        .rows
        .iter()
        .map(|r| {
            let mut cells = cells(&r.counts, |what| drill_href(&f, &r.key, what));
            if r.key == crate::dashboard::NONE_KEY {
                // Records without a department: nothing to drill into by department.
                for c in &mut cells {
                    c.href = None;
                }
            }
            RowView { key: r.key.clone(), name: r.name.clone(), division: r.division.clone(), cells }
        })
        .collect();
    let total = cells(&f.total, |what| drill_href(&f, "", what));
    let trend = f
        .trend
        .iter()
        .map(|(p, c)| TrendRow {
            label: p.label(),
            cells: [
                c.rate(RateKind::Fill).display(),
                c.rate(RateKind::Pass).display(),
                c.rate(RateKind::Timeliness).display(),
            ],
        })
        .collect();
    let next = Period { kind: f.period.kind, start: f.period.last_month().next() };
    let pending = pending_cases(&st, &user).await?;
    let page = DashboardPage {
        pending,
        banner: st.banner(),
        user: Some(user.display_name.clone()),
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
        trend_svg: crate::dashboard::trend_svg(&f.trend),
        trend_of: f.trend_of.clone(),
        trend,
        export_href: format!(
            "/console/dashboard.xlsx?period={}&at={}&by={}",
            f.period.kind.as_str(),
            f.period.key(),
            f.by.as_str()
        ),
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
            (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{}", urlencode(&name))),
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
    banner: crate::Banner,
    user: Option<String>,
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
                    let deadlines = xinjiao_store::rates::deadlines(first, last, &rules.calendar, &rules.publication);
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
                    crate::dashboard::fill_lines(s, &rules, period, ids.as_deref())
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
        user: Some(user.display_name.clone()),
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

fn dept_name(departments: &[Department], id: i64) -> String {
    departments.iter().find(|d| d.id == id).map_or_else(|| format!("部门{id}"), |d| d.name.clone())
}

/// Departments a user may act for: all for coordinators and administrators,
/// their own otherwise.
fn allowed_departments(user: &User, departments: &[Department]) -> Vec<Department> {
    departments.iter().filter(|d| user.role.oversees() || user.department_id == Some(d.id)).cloned().collect()
}

struct DeclRow {
    department: String,
    month: String,
    kind: &'static str,
    due: i64,
    declared_at: String,
    declared_by: String,
}

#[derive(Template)]
#[template(path = "declarations.html")]
struct DeclarationsPage {
    banner: crate::Banner,
    user: Option<String>,
    departments: Vec<(i64, String)>,
    selected_department: i64,
    month: String,
    kind: String,
    rows: Vec<DeclRow>,
    message: Option<String>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct DeclQuery {
    #[serde(default)]
    department: Option<i64>,
    #[serde(default)]
    month: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    saved: String,
}

async fn render_declarations(
    st: &AppState,
    user: &User,
    q: DeclQuery,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let allowed = allowed_departments(user, &departments);
    let this_month = Month::of(st.today());
    let from = (0..12).fold(this_month, |m, _| m.prev());
    let mut decls = st.db(move |s| s.declarations(from, this_month)).await?;
    decls.retain(|d| allowed.iter().any(|a| a.id == d.department_id));
    decls.sort_by(|a, b| b.month.cmp(&a.month).then(a.department_id.cmp(&b.department_id)));
    let page = DeclarationsPage {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        selected_department: q.department.or(user.department_id).unwrap_or(0),
        departments: allowed.iter().map(|d| (d.id, d.name.clone())).collect(),
        month: if q.month.is_empty() { this_month.prev().to_string() } else { q.month },
        kind: q.kind,
        rows: decls
            .iter()
            .take(300)
            .map(|d| DeclRow {
                department: dept_name(&departments, d.department_id),
                month: d.month.to_string(),
                kind: d.kind.label(),
                due: d.due,
                declared_at: local_time(d.declared_at),
                declared_by: d.declared_by.clone(),
            })
            .collect(),
        message: (!q.saved.is_empty()).then(|| format!("已保存 {} 条申报。", q.saved)),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn declarations_page(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<DeclQuery>,
) -> Result<Html<String>, PageError> {
    render_declarations(&st, &user, q, vec![]).await
}

#[derive(Deserialize)]
struct DeclForm {
    department: i64,
    month: String,
    kind: String,
    due: String,
}

async fn declare(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<DeclForm>,
) -> Result<Response, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let mut errors = Vec::new();
    if !allowed_departments(&user, &departments).iter().any(|d| d.id == f.department) {
        errors.push("只能为本部门申报（信用工作协调员可为任一部门申报）。".to_string());
    }
    let month = Month::parse(&f.month);
    if month.is_none() {
        errors.push(format!("月份“{}”无效，应如 2026-10。", f.month));
    }
    let kind = RecordKind::parse(&f.kind);
    if kind.is_none() {
        errors.push("请选择类别（行政许可或行政处罚）。".into());
    }
    let due = f.due.trim().parse::<i64>().ok().filter(|n| (0..=1_000_000).contains(n));
    if due.is_none() {
        errors.push(format!("应报送数“{}”应为 0 到 1000000 的整数。", f.due));
    }
    let (Some(month), Some(kind), Some(due), true) = (month, kind, due, errors.is_empty()) else {
        let q = DeclQuery { department: Some(f.department), month: f.month, kind: f.kind, saved: String::new() };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render_declarations(&st, &user, q, errors).await?)
            .into_response());
    };
    let wctx = ctx(&st, &user, format!("申报 {month} 应报送数"));
    let dept = f.department;
    st.db(move |s| s.declare(&wctx, &[(dept, month, kind, due)])).await?;
    Ok(Redirect::to("/console/declarations?saved=1").into_response())
}

async fn upload_counts(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let mut text = None;
    while let Some(field) =
        mp.next_field().await.map_err(|e| PageError::BadRequest(format!("上传内容无法读取：{e}")))?
    {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("文件读取失败：{e}")))?;
            text = Some(
                String::from_utf8(bytes.to_vec())
                    .unwrap_or_else(|e| encoding_rs::GB18030.decode(e.as_bytes()).0.into_owned()),
            );
        }
    }
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(render_declarations(&st, &user, DeclQuery::default(), vec!["请选择计数文件。".into()])
            .await?
            .into_response());
    };
    let departments = st.db(|s| s.departments()).await?;
    let allowed = allowed_departments(&user, &departments);
    let parsed = xinjiao_core::counts::parse_count_file(&text, |c| allowed.iter().any(|d| d.code == c));
    let lines = match parsed {
        Ok(l) => l,
        Err(errs) => {
            let errors = errs
                .iter()
                .map(|e| {
                    let field = if e.field.is_empty() { String::new() } else { format!("「{}」", e.field) };
                    format!("第 {} 行{field}：{}（{}）", e.row, e.message, e.code)
                })
                .chain(std::iter::once("文件未导入，请更正后重新上传。".to_string()))
                .collect();
            return Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render_declarations(&st, &user, DeclQuery::default(), errors).await?,
            )
                .into_response());
        }
    };
    let decl: Vec<(i64, Month, RecordKind, i64)> = lines
        .iter()
        .filter_map(|l| Some((allowed.iter().find(|d| d.code == l.department_code)?.id, l.month, l.kind, l.due)))
        .collect();
    let n = decl.len();
    let wctx = ctx(&st, &user, "导入应报送数计数文件");
    st.db(move |s| s.declare(&wctx, &decl)).await?;
    Ok(Redirect::to(&format!("/console/declarations?saved={n}")).into_response())
}

struct RespRow {
    category: String,
    department_id: i64,
    department: String,
    person: String,
    post: String,
}

#[derive(Template)]
#[template(path = "responsibilities_form.html")]
struct ResponsibilitiesForm {
    banner: crate::Banner,
    user: Option<String>,
    rows: Vec<RespRow>,
    departments: Vec<(i64, String)>,
    errors: Vec<String>,
}

fn resp_rows(rows: &[Responsibility], departments: &[Department]) -> Vec<RespRow> {
    rows.iter()
        .map(|r| RespRow {
            category: r.category.clone(),
            department_id: r.department_id,
            department: dept_name(departments, r.department_id),
            person: r.person.clone(),
            post: r.post.clone(),
        })
        .collect()
}

async fn render_resp_form(
    st: &AppState,
    user: &User,
    rows: Vec<Responsibility>,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let mut rows = resp_rows(&rows, &departments);
    for _ in 0..3 {
        rows.push(RespRow {
            category: String::new(),
            department_id: 0,
            department: String::new(),
            person: String::new(),
            post: String::new(),
        });
    }
    let page = ResponsibilitiesForm {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        rows,
        departments: departments.iter().map(|d| (d.id, d.name.clone())).collect(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn responsibilities_form(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
) -> Result<Html<String>, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let rows = st.db(|s| s.responsibilities()).await?;
    render_resp_form(&st, &user, rows, vec![]).await
}

async fn save_responsibilities(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let departments = st.db(|s| s.departments()).await?;
    // Fields come as category_N, department_N, person_N, post_N.
    let mut by_index: std::collections::BTreeMap<usize, [String; 4]> = Default::default();
    for (k, v) in pairs {
        let Some((name, i)) = k.rsplit_once('_') else { continue };
        let Ok(i) = i.parse::<usize>() else { continue };
        let slot = match name {
            "category" => 0,
            "department" => 1,
            "person" => 2,
            "post" => 3,
            _ => continue,
        };
        by_index.entry(i).or_default()[slot] = v.trim().to_string();
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (n, (_, [category, dept, person, post])) in
        by_index.into_iter().filter(|(_, f)| f.iter().any(|v| !v.is_empty() && v != "0")).enumerate()
    {
        let row = n + 1;
        let department_id = dept.parse::<i64>().ok().filter(|id| departments.iter().any(|d| d.id == *id));
        if category.is_empty() {
            errors.push(format!("第 {row} 行：请填写信息类别。"));
        }
        if department_id.is_none() {
            errors.push(format!("第 {row} 行：请选择责任部门。"));
        }
        if person.is_empty() {
            errors.push(format!("第 {row} 行：请填写责任人姓名。"));
        }
        rows.push(Responsibility { category, department_id: department_id.unwrap_or(0), person, post });
    }
    if !errors.is_empty() {
        errors.push("责任表未保存。".into());
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render_resp_form(&st, &user, rows, errors).await?)
            .into_response());
    }
    let wctx = ctx(&st, &user, "修改责任表");
    st.db(move |s| s.replace_responsibilities(&wctx, &rows)).await?;
    Ok(Redirect::to("/responsibilities").into_response())
}

#[derive(Template)]
#[template(path = "responsibilities.html")]
struct PublicResponsibilities {
    banner: crate::Banner,
    user: Option<String>,
    rows: Vec<RespRow>,
    can_edit: bool,
}

async fn public_responsibilities(
    State(st): State<AppState>,
    MaybeUser(u): MaybeUser,
) -> Result<Html<String>, PageError> {
    let (rows, departments) = st.db(|s| Ok((s.responsibilities()?, s.departments()?))).await?;
    let page = PublicResponsibilities {
        banner: st.banner(),
        can_edit: u.as_ref().is_some_and(|u| u.role.oversees()),
        user: u.map(|u| u.display_name),
        rows: resp_rows(&rows, &departments),
    };
    Ok(Html(page.render()?))
}

/// A document as listed.
struct DocRow {
    id: i64,
    kind: &'static str,
    title: String,
    department: String,
    issue_date: String,
    deadline: String,
    published_on: String,
    /// `overdue`, `soon` or empty.
    state: &'static str,
}

fn doc_rows(st: &AppState, docs: &[xinjiao_store::Document], departments: &[Department]) -> Vec<DocRow> {
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    docs.iter()
        .map(|d| {
            let deadline = rules.publication.document_deadline(d.issue_date, &rules.calendar).value;
            let soon = rules.calendar.add_working_days(today, 2).value;
            let state = match d.published_on {
                Some(p) if p > deadline => "late",
                Some(_) => "",
                None if today > deadline => "overdue",
                None if deadline <= soon => "soon",
                None => "",
            };
            DocRow {
                id: d.id,
                kind: d.kind.label(),
                title: d.title.clone(),
                department: dept_name(departments, d.department_id),
                issue_date: d.issue_date.to_string(),
                deadline: deadline.to_string(),
                published_on: d.published_on.map_or_else(|| "草稿（未发布）".into(), |p| p.to_string()),
                state,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "documents_console.html")]
struct DocumentsConsole {
    banner: crate::Banner,
    user: Option<String>,
    docs: Vec<DocRow>,
    departments: Vec<(i64, String)>,
    selected_department: i64,
    kinds: Vec<(&'static str, &'static str)>,
    today: String,
    errors: Vec<String>,
}

async fn render_documents_console(st: &AppState, user: &User, errors: Vec<String>) -> Result<Html<String>, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let allowed = allowed_departments(user, &departments);
    let filter = DocumentFilter {
        departments: (!user.role.oversees()).then(|| allowed.iter().map(|d| d.id).collect()),
        ..Default::default()
    };
    let docs = st.db(move |s| s.documents(&filter, PageRequest::new(1, 100))).await?;
    let page = DocumentsConsole {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        docs: doc_rows(st, &docs.items, &departments),
        departments: allowed.iter().map(|d| (d.id, d.name.clone())).collect(),
        selected_department: user.department_id.unwrap_or(0),
        kinds: DocumentKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        today: st.today().to_string(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn documents_console(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_documents_console(&st, &user, vec![]).await
}

#[derive(Deserialize)]
struct DocForm {
    kind: String,
    title: String,
    body: String,
    issue_date: String,
    department: i64,
    #[serde(default)]
    publish: String,
}

async fn create_document(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<DocForm>,
) -> Result<Response, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let mut errors = Vec::new();
    if !allowed_departments(&user, &departments).iter().any(|d| d.id == f.department) {
        errors.push("只能以本部门名义发布。".to_string());
    }
    let kind = DocumentKind::parse(&f.kind);
    if kind.is_none() {
        errors.push("请选择文件类别。".into());
    }
    if f.title.trim().is_empty() {
        errors.push("请填写标题。".into());
    }
    let issue_date = xinjiao_core::date::parse_date(&f.issue_date);
    match issue_date {
        None => errors.push(format!("印发日期“{}”无效，应如 2026-11-20。", f.issue_date)),
        Some(d) if d > st.today() => errors.push("印发日期不能晚于今天。".into()),
        Some(_) => {}
    }
    let (Some(kind), Some(issue_date), true) = (kind, issue_date, errors.is_empty()) else {
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render_documents_console(&st, &user, errors).await?)
            .into_response());
    };
    let doc = NewDocument {
        kind,
        title: f.title.trim().to_string(),
        body: f.body.trim().to_string(),
        issue_date,
        department_id: f.department,
        published_on: (!f.publish.is_empty()).then(|| st.today()),
    };
    let wctx = ctx(&st, &user, format!("{} {}", kind.label(), doc.title));
    st.db(move |s| s.create_document(&wctx, &doc)).await?;
    Ok(Redirect::to("/console/documents").into_response())
}

async fn publish_document(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let doc = st.db(move |s| s.document(id)).await?.ok_or(PageError::NotFound)?;
    if !crate::console::acts_for(&user, Some(doc.department_id)) {
        return Err(PageError::Forbidden);
    }
    let (wctx, today) = (ctx(&st, &user, format!("发布 {}", doc.title)), st.today());
    match st.db(move |s| s.publish_document(&wctx, id, today)).await {
        Ok(()) | Err(xinjiao_store::StoreError::Conflict(_)) => Ok(Redirect::to("/console/documents").into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "documents.html")]
struct PublicDocuments {
    banner: crate::Banner,
    user: Option<String>,
    docs: Vec<DocRow>,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
}

#[derive(Deserialize, Default)]
struct DocsQuery {
    #[serde(default)]
    kind: String,
}

async fn public_documents(
    State(st): State<AppState>,
    MaybeUser(u): MaybeUser,
    Query(q): Query<DocsQuery>,
) -> Result<Html<String>, PageError> {
    let filter = DocumentFilter { published_only: true, kind: DocumentKind::parse(&q.kind), ..Default::default() };
    let (docs, departments) =
        st.db(move |s| Ok((s.documents(&filter, PageRequest::new(1, 100))?, s.departments()?))).await?;
    let page = PublicDocuments {
        banner: st.banner(),
        user: u.map(|u| u.display_name),
        docs: doc_rows(&st, &docs.items, &departments),
        kinds: DocumentKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        kind: q.kind,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "document.html")]
struct PublicDocument {
    banner: crate::Banner,
    user: Option<String>,
    doc: DocRow,
    paragraphs: Vec<String>,
}

async fn public_document(
    State(st): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let (doc, departments) = st.db(move |s| Ok((s.document(id)?, s.departments()?))).await?;
    let doc = doc.filter(|d| d.published_on.is_some()).ok_or(PageError::NotFound)?;
    let page = PublicDocument {
        banner: st.banner(),
        user: u.map(|u| u.display_name),
        paragraphs: doc.body.split('\n').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect(),
        doc: doc_rows(&st, std::slice::from_ref(&doc), &departments).remove(0),
    };
    Ok(Html(page.render()?))
}

/// Reminders on a clerk's start page: documents due within 2 working days or
/// overdue, months not declared or not fully reported, records published late
/// in the last 30 days.
pub struct Reminder {
    pub level: &'static str,
    pub text: String,
    pub href: String,
}

pub fn reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, xinjiao_store::StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    let soon = rules.calendar.add_working_days(today, 2).value;
    let mut out = Vec::new();
    let drafts = DocumentFilter { departments: Some(vec![dept]), ..Default::default() };
    for d in store.documents(&drafts, PageRequest::new(1, 100))?.items.iter().filter(|d| d.published_on.is_none()) {
        let deadline = rules.publication.document_deadline(d.issue_date, &rules.calendar).value;
        if today > deadline {
            out.push(Reminder {
                level: "overdue",
                text: format!("「{}」已超过公示期限（{deadline}），仍未发布", d.title),
                href: "/console/documents".into(),
            });
        } else if deadline <= soon {
            out.push(Reminder {
                level: "soon",
                text: format!("「{}」须在 {deadline} 前发布（2 个工作日内到期）", d.title),
                href: "/console/documents".into(),
            });
        }
    }
    let last = Month::of(today).prev();
    let decl = store.declarations(last, last)?;
    let period = Period::containing(xinjiao_core::period::PeriodKind::Month, last);
    let lines = crate::dashboard::fill_lines(store, &rules, period, Some(&[dept]))?;
    if !decl.iter().any(|d| d.department_id == dept) {
        out.push(Reminder {
            level: "soon",
            text: format!("尚未申报 {last} 的应报送数（行政许可、行政处罚决定数）"),
            href: format!("/console/declarations?month={last}"),
        });
    }
    for l in lines.iter().filter(|l| l.declared.is_some_and(|d| (l.reported as i64) < d)) {
        out.push(Reminder {
            level: "overdue",
            text: format!(
                "{} {}：申报 {} 条，已报送 {} 条，尚缺 {} 条",
                l.month,
                l.kind.label(),
                l.declared.unwrap_or(0),
                l.reported,
                l.declared.unwrap_or(0) - l.reported as i64
            ),
            href: format!("/console/dashboard/drill?what=fill&by=department&key={dept}&period=month&at={last}"),
        });
    }
    // Only the department's records awaiting or failing review (not its newest
    // records at large, which could hide older pending ones).
    let mut waiting = Vec::new();
    for state in ["pending", "rejected"] {
        let f = xinjiao_store::RecordFilter {
            department_id: Some(dept),
            review_state: Some(state.to_string()),
            ..Default::default()
        };
        waiting.extend(store.list_records(&f, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?.items);
    }
    for r in &waiting {
        match r.review_state.as_deref() {
            Some("pending") => {
                let deadline = rules.publication.deadline(r.kind, r.decision_date, &rules.calendar).value;
                if today > deadline || deadline <= soon {
                    out.push(Reminder {
                        level: if today > deadline { "overdue" } else { "soon" },
                        text: format!("{}（{}）待审核，公示期限 {deadline}", r.decision_no, r.kind.label()),
                        href: format!("/console/records/{}", r.id),
                    });
                }
            }
            Some("rejected") => out.push(Reminder {
                level: "overdue",
                text: format!(
                    "{}（{}）审核未通过：{}。请更正后重新报送",
                    r.decision_no,
                    r.kind.label(),
                    r.review_reason.clone().unwrap_or_default()
                ),
                href: format!("/console/records/{}", r.id),
            }),
            _ => {}
        }
    }
    let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    let from_decisions = from.checked_sub(jiff::Span::new().days(60)).unwrap_or(from);
    let deadlines = xinjiao_store::rates::deadlines(from_decisions, today, &rules.calendar, &rules.publication);
    for l in store
        .late_records(Some(&[dept]), from_decisions, today, &deadlines, 20)?
        .iter()
        .filter(|l| l.row.published_on.is_some_and(|p| p >= from))
    {
        out.push(Reminder {
            level: "late",
            text: format!(
                "{}（{}）公示期限 {}，实际公示 {}，已超期",
                l.row.decision_no,
                l.row.kind.label(),
                l.deadline,
                l.row.published_on.map_or_else(String::new, |p| p.to_string())
            ),
            href: format!("/console/records/{}", l.row.id),
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "objections_console.html")]
struct ObjectionsConsole {
    banner: crate::Banner,
    user: Option<String>,
    objections: Vec<crate::account::ObjectionView>,
    errors: Vec<String>,
}

async fn render_objections(st: &AppState, user: &User, errors: Vec<String>) -> Result<Html<String>, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let filter = xinjiao_store::ObjectionFilter {
        departments: (!user.role.oversees())
            .then(|| allowed_departments(user, &departments).iter().map(|d| d.id).collect()),
        ..Default::default()
    };
    let list = st.db(move |s| s.objections(&filter, 200)).await?;
    let page = ObjectionsConsole {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        objections: list.iter().map(|o| crate::account::objection_view(st, o)).collect(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn objections_console(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_objections(&st, &user, vec![]).await
}

#[derive(Deserialize)]
struct ObjectionActionForm {
    action: String,
    #[serde(default)]
    reason: String,
}

/// Acknowledges, extends or decides an objection (its department's staff or a coordinator).
async fn act_on_objection(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<ObjectionActionForm>,
) -> Result<Response, PageError> {
    use xinjiao_core::objections::ObjectionAction;
    let found = st
        .db(move |s| s.objections(&xinjiao_store::ObjectionFilter { id: Some(id), ..Default::default() }, 1))
        .await?
        .pop()
        .ok_or(PageError::NotFound)?;
    if !crate::console::acts_for(&user, found.department_id) {
        return Err(PageError::Forbidden);
    }
    let reason = f.reason.trim().to_string();
    let action = match f.action.as_str() {
        "acknowledge" => ObjectionAction::Acknowledge,
        "extend" => ObjectionAction::Extend(reason.clone()),
        "uphold" => ObjectionAction::Uphold(reason.clone()),
        "reject" => ObjectionAction::Reject(reason.clone()),
        _ => return Err(PageError::BadRequest("未知的操作".into())),
    };
    if f.action != "acknowledge" && reason.is_empty() {
        let page = render_objections(&st, &user, vec!["延期、认定成立或不成立都须写明理由。".into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let wctx = ctx(&st, &user, format!("处理信用异议 {id}"));
    match st.db(move |s| s.act_on_objection(&wctx, id, &action)).await {
        Ok(_) => Ok(Redirect::to("/console/objections").into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_objections(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// An objection's attachment, for the staff who handle it.
async fn objection_attachment(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (oid, name, content) = st.db(move |s| s.objection_attachment(id)).await?.ok_or(PageError::NotFound)?;
    let department = st
        .db(move |s| s.objections(&xinjiao_store::ObjectionFilter { id: Some(oid), ..Default::default() }, 1))
        .await?
        .pop()
        .and_then(|o| o.department_id);
    if !crate::console::acts_for(&user, department) {
        return Err(PageError::Forbidden);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{}", urlencode(&name))),
        ],
        content,
    )
        .into_response())
}

/// Routes of the staff's objection handling (merged by [`routes`]).
fn objection_routes() -> Router<AppState> {
    Router::new()
        .route("/console/objections", get(objections_console))
        .route("/console/objections/{id}", post(act_on_objection))
        .route("/console/objections/attachments/{id}", get(objection_attachment))
}

#[derive(Template)]
#[template(path = "repairs_console.html")]
struct RepairsConsole {
    banner: crate::Banner,
    user: Option<String>,
    repairs: Vec<crate::account::RepairView>,
    errors: Vec<String>,
}

async fn render_repairs(st: &AppState, user: &User, errors: Vec<String>) -> Result<Html<String>, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let filter = xinjiao_store::RepairFilter {
        departments: (!user.role.oversees())
            .then(|| allowed_departments(user, &departments).iter().map(|d| d.id).collect()),
        ..Default::default()
    };
    let list = st.db(move |s| s.repairs(&filter, 200)).await?;
    let page = RepairsConsole {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        repairs: list.iter().map(|r| crate::account::repair_view(st, r)).collect(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn repairs_console(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_repairs(&st, &user, vec![]).await
}

/// Accepts, approves, refuses or revokes a repair (its department's staff or a coordinator).
async fn act_on_repair(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<ObjectionActionForm>,
) -> Result<Response, PageError> {
    use xinjiao_core::repairs::RepairAction;
    let found = st
        .db(move |s| s.repairs(&xinjiao_store::RepairFilter { id: Some(id), ..Default::default() }, 1))
        .await?
        .pop()
        .ok_or(PageError::NotFound)?;
    if !crate::console::acts_for(&user, found.department_id) {
        return Err(PageError::Forbidden);
    }
    let reason = f.reason.trim().to_string();
    let action = match f.action.as_str() {
        "accept" => RepairAction::Accept,
        "approve" => RepairAction::Approve(reason.clone()),
        "refuse" => RepairAction::Refuse(reason.clone()),
        "revoke" => RepairAction::Revoke(reason.clone()),
        _ => return Err(PageError::BadRequest("未知的操作".into())),
    };
    if f.action != "accept" && reason.is_empty() {
        let page = render_repairs(&st, &user, vec!["批准、不予修复或撤销修复都须写明理由。".into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let wctx = ctx(&st, &user, format!("处理信用修复申请 {id}"));
    match st.db(move |s| s.act_on_repair(&wctx, id, &action)).await {
        Ok(_) => Ok(Redirect::to("/console/repairs").into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_repairs(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Routes of the staff's repair handling (merged by [`routes`]).
fn repair_routes() -> Router<AppState> {
    Router::new().route("/console/repairs", get(repairs_console)).route("/console/repairs/{id}", post(act_on_repair))
}

struct PendingRecord {
    id: i64,
    kind_label: &'static str,
    decision_no: String,
    subject_name: String,
    department: String,
    decision_date: String,
    deadline: String,
    overdue: bool,
    /// A change to a published record: the version awaiting review.
    change_of: Option<i64>,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    banner: crate::Banner,
    user: Option<String>,
    records: Vec<PendingRecord>,
    departments: Vec<(i64, String, bool)>,
    errors: Vec<String>,
}

async fn render_reviews(st: &AppState, user: &User, errors: Vec<String>) -> Result<Html<String>, PageError> {
    let (rows, departments) = st
        .db(|s| {
            let f = xinjiao_store::RecordFilter { review_state: Some("pending".into()), ..Default::default() };
            Ok((s.list_records(&f, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?, s.departments()?))
        })
        .await?;
    let today = st.today();
    let records = {
        let rules = st.rules.read().expect("rules");
        rows.items
            .iter()
            .map(|r| {
                let deadline = rules.publication.deadline(r.kind, r.decision_date, &rules.calendar).value;
                PendingRecord {
                    id: r.id,
                    kind_label: r.kind.label(),
                    decision_no: r.decision_no.clone(),
                    subject_name: r.subject_name.clone(),
                    department: r.department_id.map_or_else(|| "未归属部门".into(), |d| dept_name(&departments, d)),
                    decision_date: r.decision_date.to_string(),
                    deadline: deadline.to_string(),
                    overdue: today > deadline && r.published_on.is_none(),
                    change_of: r.published_on.and(r.pending_version),
                }
            })
            .collect()
    };
    let page = ReviewsPage {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        records,
        departments: departments.iter().map(|d| (d.id, d.name.clone(), d.review_required)).collect(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn reviews(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    render_reviews(&st, &user, vec![]).await
}

/// Approves (publishes) or rejects a pending record (a reviewer: coordinator or administrator).
async fn review_record(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<ObjectionActionForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let reason = f.reason.trim().to_string();
    if f.action == "reject" && reason.is_empty() {
        let page = render_reviews(&st, &user, vec!["退回时须写明原因，报送员据此更正。".into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let wctx = ctx(&st, &user, "审核记录");
    let result = match f.action.as_str() {
        "approve" => st.db(move |s| s.approve_record(&wctx, id)).await,
        "reject" => st.db(move |s| s.reject_record(&wctx, id, &reason)).await,
        _ => return Err(PageError::BadRequest("未知的操作".into())),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/console/reviews").into_response()),
        Err(xinjiao_store::StoreError::Conflict(m)) => {
            let page = render_reviews(&st, &user, vec![m]).await?;
            Ok((axum::http::StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct ReviewSettingForm {
    department: i64,
    #[serde(default)]
    required: String,
}

/// Turns review before publication on or off for a department (coordinator).
async fn review_setting(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<ReviewSettingForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let required = f.required == "1";
    let wctx = ctx(&st, &user, if required { "开启发布前审核" } else { "关闭发布前审核" });
    st.db(move |s| s.set_review_required(&wctx, f.department, required)).await?;
    Ok(Redirect::to("/console/reviews").into_response())
}

/// Routes of review before publication (merged by [`routes`]).
fn review_routes() -> Router<AppState> {
    Router::new()
        .route("/console/reviews", get(reviews))
        .route("/console/reviews/settings", post(review_setting))
        .route("/console/reviews/{id}", post(review_record))
}
