//! Credit commitments and integrity education on the web (issue 17, begun):
//! the public list of matters that accept a commitment
//! (`/commitments`), each matter's education material
//! (`/commitments/education/{code}`), the subject's acknowledgement of it
//! (`POST /account/education/{code}`), and the account section saying what
//! the subject has read.

use std::sync::LazyLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinjiao_core::commitments::CommitmentRules;
use xinjiao_core::commitments::matters::{Material, MatterList};
use xinjiao_store::{Store, StoreError, Subject};

use crate::kernel::auth::{MaybeUser, SubjectUser};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::ProfileSection;

static RULES: LazyLock<CommitmentRules> = LazyLock::new(CommitmentRules::embedded);
static MATTERS: LazyLock<MatterList> = LazyLock::new(MatterList::embedded);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/commitments", get(list))
        .route("/commitments/education/{code}", get(material))
        .route("/account/education/{code}", post(acknowledge))
}

pub struct MatterRow {
    pub code: String,
    pub name: String,
    pub department: String,
    pub types: String,
    pub replaces: String,
    pub deadline: String,
    pub consequences: String,
    pub education: Option<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "commitments.html")]
struct ListPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    matters: Vec<MatterRow>,
}

async fn list(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let matters = MATTERS
        .matters
        .iter()
        .map(|m| {
            let types: Vec<&str> =
                m.types.iter().map(|t| RULES.type_of(t).map_or(t.as_str(), |x| x.name.as_str())).collect();
            let days = m.working_days.or_else(|| m.types.iter().find_map(|t| RULES.type_of(t)?.working_days));
            MatterRow {
                code: m.code.clone(),
                name: m.name.clone(),
                department: departments
                    .iter()
                    .find(|d| d.code == m.department)
                    .map_or(m.department.clone(), |d| d.name.clone()),
                types: types.join("、"),
                replaces: m.replaces.clone(),
                deadline: days.map_or("—".into(), |d| format!("事项办结后 {d} 个工作日内")),
                consequences: m.consequences.clone(),
                education: m
                    .education
                    .as_deref()
                    .and_then(|c| MATTERS.material(c))
                    .map(|x| (x.code.clone(), x.title.clone(), m.education_required)),
            }
        })
        .collect();
    let page = ListPage { banner: st.banner(), user: u.0.map(|u| u.display_name), matters };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "education.html")]
struct MaterialPage<'a> {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    material: &'a Material,
    paragraphs: Vec<&'a str>,
    /// The subject signed in, and whether it acknowledged this version.
    subject: Option<(String, bool)>,
}

async fn material(
    State(st): State<AppState>,
    u: MaybeUser,
    subject: Result<SubjectUser, Response>,
    Path(code): Path<String>,
) -> Result<Html<String>, PageError> {
    let m = MATTERS.material(&code).ok_or(PageError::NotFound)?;
    let subject = match subject {
        Ok(SubjectUser(s)) => {
            let id = s.id;
            let acks = st.db(move |db| db.acknowledgements(id)).await?;
            Some((s.name, acks.iter().any(|(c, v, _)| c == &m.code && *v == m.version)))
        }
        Err(_) => None,
    };
    let page = MaterialPage {
        banner: st.banner(),
        user: u.0.map(|u| u.display_name),
        material: m,
        paragraphs: m.text.lines().map(str::trim).filter(|l| !l.is_empty()).collect(),
        subject,
    };
    Ok(Html(page.render()?))
}

/// The subject acknowledges the current version of a material.
async fn acknowledge(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let m = MATTERS.material(&code).ok_or(PageError::NotFound)?;
    let (version, material) = (m.version, m.code.clone());
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "确认已阅读诚信教育材料");
    st.db(move |s| s.acknowledge_education(&ctx, subject.id, &material, version)).await?;
    Ok(Redirect::to(&format!("/commitments/education/{code}")).into_response())
}

#[derive(Template)]
#[template(path = "commitments_account.html")]
struct AccountFragment {
    /// Material code, title, version, done (and when).
    materials: Vec<(String, String, u32, Option<String>)>,
}

/// The subject's account: which education material it has read.
pub fn account_section(_: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    let acks = store.acknowledgements(subject.id)?;
    let materials = MATTERS
        .materials
        .iter()
        .map(|m| {
            let done = acks
                .iter()
                .find(|(c, v, _)| c == &m.code && *v == m.version)
                .map(|(_, _, at)| crate::kernel::time::local_time(*at));
            (m.code.clone(), m.title.clone(), m.version, done)
        })
        .collect();
    let html = AccountFragment { materials }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "诚信教育".into(), html }])
}
