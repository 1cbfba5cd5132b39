//! Monthly declarations (应报送数): each department declares how many
//! licensing and penalty decisions it made, by form or by count file; the
//! fill rate compares them with what was reported.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::RecordKind;
use xinjiao_core::reporting::period::Month;
use xinjiao_store::User;

use crate::kernel::auth::StaffUser;
use crate::kernel::context::{allowed_departments, ctx, dept_name, form_page_of};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;

/// This part's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/console/declarations", get(declarations_page).post(declare)).route(
        "/console/declarations/upload",
        post(upload_counts).layer(DefaultBodyLimit::max(4 * 1024 * 1024)).merge(form_page_of(1)),
    )
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
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    departments: Vec<(i64, String)>,
    selected_department: i64,
    month: String,
    kind: String,
    /// The month whose declarations are listed.
    shown: String,
    /// The last 12 months (newest first) with how many declarations each has.
    months: Vec<(String, usize)>,
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
    let (departments, users) = st.db(|s| Ok((s.departments()?, s.users()?))).await?;
    let words = crate::kernel::words::Words::new(&users, &departments);
    let allowed = allowed_departments(user, &departments);
    let this_month = Month::of(st.today());
    let from = (0..11).fold(this_month, |m, _| m.prev());
    let mut decls = st.db(move |s| s.declarations(from, this_month)).await?;
    decls.retain(|d| allowed.iter().any(|a| a.id == d.department_id));
    // One month at a time (the one asked for, else last month), with the
    // other months as tabs: a year of every department's declarations is
    // hundreds of rows.
    let shown: Month = Month::parse(&q.month).filter(|m| *m >= from && *m <= this_month).unwrap_or(this_month.prev());
    let months = std::iter::successors(Some(this_month), |m| Some(m.prev()))
        .take(12)
        .map(|m| (m.to_string(), decls.iter().filter(|d| d.month == m).count()))
        .collect();
    let mut rows: Vec<_> = decls.iter().filter(|d| d.month == shown).collect();
    rows.sort_by(|a, b| a.department_id.cmp(&b.department_id).then(a.kind.as_str().cmp(b.kind.as_str())));
    let page = DeclarationsPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/declarations").await?,
        selected_department: q.department.or(user.department_id).unwrap_or(0),
        departments: allowed.iter().map(|d| (d.id, d.name.clone())).collect(),
        month: if q.month.is_empty() { this_month.prev().to_string() } else { q.month },
        kind: q.kind,
        shown: shown.to_string(),
        months,
        rows: rows
            .iter()
            .map(|d| DeclRow {
                department: dept_name(&departments, d.department_id),
                month: d.month.to_string(),
                kind: d.kind.label(),
                due: d.due,
                declared_at: local_time(d.declared_at),
                declared_by: words.actor(&d.declared_by, |_| None),
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
    let parsed = xinjiao_core::organisation::counts::parse_count_file(&text, |c| allowed.iter().any(|d| d.code == c));
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
