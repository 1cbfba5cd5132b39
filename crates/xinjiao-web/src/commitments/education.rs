//! The public list of matters that accept a commitment (`/commitments`),
//! each matter's integrity education material
//! (`/commitments/education/{code}`), and the subject's acknowledgement of
//! it (`POST /account/education/{code}`, once per material version).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinjiao_core::commitments::matters::Material;

use super::shared::{matters, rules};
use crate::kernel::auth::{MaybeUser, SubjectUser};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

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
    /// The types it accepts: code, name (links to sign).
    pub sign: Vec<(String, String)>,
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
    let matters = matters()
        .matters
        .iter()
        .map(|m| {
            let types: Vec<&str> =
                m.types.iter().map(|t| rules().type_of(t).map_or(t.as_str(), |x| x.name.as_str())).collect();
            let days = m.working_days.or_else(|| m.types.iter().find_map(|t| rules().type_of(t)?.working_days));
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
                sign: m
                    .types
                    .iter()
                    .filter_map(|t| rules().type_of(t).map(|x| (x.code.clone(), x.name.clone())))
                    .collect(),
                education: m
                    .education
                    .as_deref()
                    .and_then(|c| matters().material(c))
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
    let m = matters().material(&code).ok_or(PageError::NotFound)?;
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
    let m = matters().material(&code).ok_or(PageError::NotFound)?;
    let (version, material) = (m.version, m.code.clone());
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "确认已阅读诚信教育材料");
    st.db(move |s| s.acknowledge_education(&ctx, subject.id, &material, version)).await?;
    Ok(Redirect::to(&format!("/commitments/education/{code}")).into_response())
}
