//! The responsibility table (责任清单): who answers for each category of
//! data in each department, edited by coordinators and published.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use xinjiao_store::{Department, Responsibility, User};

use crate::kernel::auth::{MaybeUser, StaffUser};
use crate::kernel::context::{ctx, dept_name};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

/// This part's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/responsibilities", get(responsibilities_form).post(save_responsibilities))
        .route("/responsibilities", get(public_responsibilities))
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
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
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
        chrome: st.chrome(user, "/console/responsibilities").await?,
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
    banner: crate::kernel::state::Banner,
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
