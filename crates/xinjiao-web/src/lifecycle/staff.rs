//! The staff's side of the records' lifecycle: handling objections and
//! repair applications within their working-day deadlines, and review
//! before publication (the queue, approval, rejection, the department
//! setting).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_store::{PageRequest, User};

use crate::kernel::auth::StaffUser;
use crate::kernel::context::{allowed_departments, ctx, dept_name, encode_component, form_page_of};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

#[derive(Template)]
#[template(path = "objections_console.html")]
struct ObjectionsConsole {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    objections: Vec<super::subject::ObjectionView>,
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
        chrome: st.chrome(user, "/console/objections").await?,
        objections: list.iter().map(|o| super::subject::objection_view(st, o)).collect(),
        errors,
    };
    Ok(Html(page.render()?))
}

async fn objections_console(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_objections(&st, &user, vec![]).await
}

/// Acknowledges, extends or decides an objection (its department's staff or a coordinator).
async fn act_on_objection(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::kernel::context::ObjectionActionForm>,
) -> Result<Response, PageError> {
    let found = st
        .db(move |s| s.objections(&xinjiao_store::ObjectionFilter { id: Some(id), ..Default::default() }, 1))
        .await?
        .pop()
        .ok_or(PageError::NotFound)?;
    if !crate::kernel::context::acts_for(&user, found.department_id) {
        return Err(PageError::Forbidden);
    }
    let Some(action) = crate::kernel::context::objection_action(&f.action, &f.reason)? else {
        let page = render_objections(&st, &user, vec![crate::kernel::context::REASON_REQUIRED.into()]).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
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
    if !crate::kernel::context::acts_for(&user, department) {
        return Err(PageError::Forbidden);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{}", encode_component(&name))),
        ],
        content,
    )
        .into_response())
}

/// Routes of the staff's objection handling (merged by [`routes`]).
fn objection_routes() -> Router<AppState> {
    Router::new()
        .route("/console/objections", get(objections_console))
        .route("/console/objections/{id}", post(act_on_objection).merge(form_page_of(1)))
        .route("/console/objections/attachments/{id}", get(objection_attachment))
}

#[derive(Template)]
#[template(path = "repairs_console.html")]
struct RepairsConsole {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    repairs: Vec<super::subject::RepairView>,
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
        chrome: st.chrome(user, "/console/repairs").await?,
        repairs: list.iter().map(|r| super::subject::repair_view(st, r)).collect(),
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
    Form(f): Form<crate::kernel::context::ObjectionActionForm>,
) -> Result<Response, PageError> {
    use xinjiao_core::lifecycle::repairs::RepairAction;
    let found = st
        .db(move |s| s.repairs(&xinjiao_store::RepairFilter { id: Some(id), ..Default::default() }, 1))
        .await?
        .pop()
        .ok_or(PageError::NotFound)?;
    if !crate::kernel::context::acts_for(&user, found.department_id) {
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
    Router::new()
        .route("/console/repairs", get(repairs_console))
        .route("/console/repairs/{id}", post(act_on_repair).merge(form_page_of(1)))
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
    /// Sent back by the reviewer, with the reason (a clerk's view).
    rejected: Option<String>,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    records: Vec<PendingRecord>,
    departments: Vec<(i64, String, bool)>,
    errors: Vec<String>,
    /// A reviewer (who approves, sends back and sets review on); a clerk
    /// sees the department's records awaiting review or sent back.
    oversees: bool,
}

async fn render_reviews(st: &AppState, user: &User, errors: Vec<String>) -> Result<Html<String>, PageError> {
    let oversees = user.role.oversees();
    let department_id = if oversees { None } else { Some(user.department_id.unwrap_or(-1)) };
    let (rows, departments) = st
        .db(move |s| {
            let mut rows = Vec::new();
            for state in if oversees { &["pending"][..] } else { &["pending", "rejected"][..] } {
                let f = xinjiao_store::RecordFilter {
                    review_state: Some(state.to_string()),
                    department_id,
                    ..Default::default()
                };
                rows.extend(s.list_records(&f, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?.items);
            }
            Ok((rows, s.departments()?))
        })
        .await?;
    let today = st.today();
    let records = {
        let rules = st.rules.read().expect("rules");
        rows.iter()
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
                    rejected: (r.review_state.as_deref() == Some("rejected"))
                        .then(|| r.review_reason.clone().unwrap_or_default()),
                }
            })
            .collect()
    };
    let page = ReviewsPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/reviews").await?,
        records,
        departments: departments
            .iter()
            .filter(|d| oversees || user.department_id == Some(d.id))
            .map(|d| (d.id, d.name.clone(), d.review_required))
            .collect(),
        errors,
        oversees,
    };
    Ok(Html(page.render()?))
}

/// The records awaiting review: a reviewer's worklist, or a clerk's view of
/// the department's records awaiting review or sent back (read only).
async fn reviews(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_reviews(&st, &user, vec![]).await
}

/// Approves (publishes) or rejects a pending record (a reviewer: coordinator or administrator).
async fn review_record(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::kernel::context::ObjectionActionForm>,
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
        .route("/console/reviews/settings", post(review_setting).merge(form_page_of(1)))
        .route("/console/reviews/{id}", post(review_record).merge(form_page_of(1)))
}

/// Routes of the staff's side: objections, repairs and reviews.
pub fn routes() -> Router<AppState> {
    Router::new().merge(objection_routes()).merge(repair_routes()).merge(review_routes())
}
