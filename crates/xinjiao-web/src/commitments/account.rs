//! The subject's side: the account section (education read, commitments
//! with their state and deadline, what it still owes), signing from the
//! account (`/account/commitments/new`) and withdrawing before the decision.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinjiao_store::{Store, StoreError, Subject};

use super::shared::{Ask, matters, prepare, rules};
use crate::kernel::auth::SubjectUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::ProfileSection;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/commitments/new", get(sign_form).post(sign))
        .route("/account/commitments/{id}/withdraw", post(withdraw))
}

/// What a subject may sign: a type, for a matter (approval-stage types) or
/// none (a public commitment).
#[derive(serde::Deserialize)]
pub struct SignQuery {
    kind: String,
    matter: Option<String>,
    /// The applicant confirmed the consequences (the form's checkbox).
    agree: Option<String>,
}

impl SignQuery {
    fn ask(&self) -> Ask<'_> {
        Ask { kind: &self.kind, matter: self.matter.as_deref() }
    }
}

#[derive(Template)]
#[template(path = "commitments_account.html")]
struct AccountFragment {
    /// Material code, title, version, done (and when).
    materials: Vec<(String, String, u32, Option<String>)>,
    commitments: Vec<CommitmentRow>,
}

/// A commitment in the account: the shared row, whether the subject may
/// still withdraw it, and what it still owes.
pub struct CommitmentRow {
    pub row: super::shared::Row,
    pub withdrawable: bool,
    pub owes: String,
}

/// The subject's account: its commitments (state, deadline, what it still
/// owes) and which education material it has read.
pub fn account_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    let acks = store.acknowledgements(subject.id)?;
    let materials = matters()
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
    use xinjiao_core::commitments::{Stage, State};
    let today = st.today();
    let commitments = store
        .commitments(&xinjiao_store::CommitmentFilter { subject_id: Some(subject.id), ..Default::default() }, 100)?
        .into_iter()
        .map(|c| {
            let ty = rules().type_of(&c.kind);
            let owes = match (c.state, c.due, ty.and_then(|t| t.obligation.as_deref())) {
                (State::InForce, Some(due), Some(what)) if due < today => format!("已逾期：应于 {due} 前{what}"),
                (State::InForce, Some(due), Some(what)) => format!("应于 {due} 前{what}"),
                (State::Signed, _, Some(what)) => format!("事项办结后{what}"),
                _ => String::new(),
            };
            CommitmentRow {
                withdrawable: c.state == State::Signed
                    || (c.state == State::InForce && ty.is_some_and(|t| t.stage == Stage::Supervision)),
                owes,
                row: super::shared::row(&c, today, false),
            }
        })
        .collect();
    let html = AccountFragment { materials, commitments }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "信用承诺与诚信教育".into(), html }])
}

#[derive(Template)]
#[template(path = "commitment_sign.html")]
struct SignPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    kind: String,
    matter: String,
    title: String,
    text: String,
    problem: Option<String>,
}

async fn sign_form(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    axum::extract::Query(q): axum::extract::Query<SignQuery>,
) -> Result<Response, PageError> {
    let s = st.clone();
    let (kind, matter) = (q.kind.clone(), q.matter.clone().unwrap_or_default());
    let prepared = st.db(move |store| prepare(&s, store, &subject, &q.ask())).await?;
    let (status, title, text, problem) = match prepared {
        Ok((new, title)) => (axum::http::StatusCode::OK, title, new.text, None),
        Err(why) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, "不能签署".to_string(), String::new(), Some(why)),
    };
    let page = SignPage { banner: st.banner(), user: None, kind, matter, title, text, problem };
    Ok((status, Html(page.render()?)).into_response())
}

/// Signs: the text is rendered again here, never taken from the form.
async fn sign(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    axum::extract::Form(q): axum::extract::Form<SignQuery>,
) -> Result<Response, PageError> {
    if q.agree.as_deref() != Some("on") {
        return Err(PageError::BadRequest("请先阅读承诺书和违诺后果，并勾选确认。".into()));
    }
    let s = st.clone();
    let key = subject.key.clone();
    let prepared = st.db(move |store| prepare(&s, store, &subject, &q.ask())).await?;
    let (new, _) = prepared.map_err(PageError::BadRequest)?;
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{key}"), st.now(), "签署信用承诺");
    st.db(move |store| super::shared::sign(store, &ctx, &new)).await?;
    Ok(Redirect::to("/account?commitment=signed").into_response())
}

/// The subject withdraws its own commitment (before the decision, or a
/// public one).
async fn withdraw(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let s = st.clone();
    match st.db(move |store| super::shared::withdraw(&s, store, &subject, id)).await? {
        Ok(_) => Ok(Redirect::to("/account?commitment=withdrawn").into_response()),
        Err(r) if r.code == "commitment.forbidden" => Err(PageError::Forbidden),
        Err(r) => Err(PageError::BadRequest(r.message)),
    }
}
