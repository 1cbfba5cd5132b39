//! Documents and news (信用文件与动态): drafted by a department, published
//! within the deadline the publication rules give, and listed publicly.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_store::{Department, DocumentFilter, DocumentKind, NewDocument, PageRequest, Store, User};

use crate::kernel::auth::{MaybeUser, StaffUser};
use crate::kernel::context::{allowed_departments, ctx, dept_name, form_page_of};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::Reminder;

/// This part's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/documents", get(documents_console).post(create_document))
        .route("/console/documents/{id}/publish", post(publish_document).merge(form_page_of(2)))
        .route("/documents", get(public_documents))
        .route("/documents/{id}", get(public_document))
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
    let soon = rules.soon(today);
    docs.iter()
        .map(|d| {
            let deadline = rules.publication.document_deadline(d.issue_date, &rules.calendar).value;
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
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
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
        chrome: st.chrome(user, "/console/documents").await?,
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
    let issue_date = xinjiao_core::records::date::parse_date(&f.issue_date);
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
    if !crate::kernel::context::acts_for(&user, Some(doc.department_id)) {
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
    banner: crate::kernel::state::Banner,
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
    banner: crate::kernel::state::Banner,
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

/// Reminders of a clerk's department: documents due within 2 working days
/// or overdue (a source of the workplace registry).
pub fn reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, xinjiao_store::StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let rules = st.rules.read().expect("rules");
    let today = st.today();
    let soon = rules.soon(today);
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
    Ok(out)
}
