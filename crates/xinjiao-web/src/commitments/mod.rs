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
        .route("/account/commitments/new", get(sign_form).post(sign))
        .route("/account/commitments/{id}/withdraw", post(withdraw))
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
                sign: m
                    .types
                    .iter()
                    .filter_map(|t| RULES.type_of(t).map(|x| (x.code.clone(), x.name.clone())))
                    .collect(),
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
    commitments: Vec<CommitmentRow>,
}

pub struct CommitmentRow {
    pub id: i64,
    pub kind: String,
    pub matter: String,
    pub state: &'static str,
    pub due: String,
    pub withdrawable: bool,
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
    use xinjiao_core::commitments::{Stage, State};
    let commitments = store
        .commitments(&xinjiao_store::CommitmentFilter { subject_id: Some(subject.id), ..Default::default() }, 100)?
        .into_iter()
        .map(|c| {
            let ty = RULES.type_of(&c.kind);
            CommitmentRow {
                id: c.id,
                kind: ty.map_or(c.kind.clone(), |t| t.name.clone()),
                matter: c.matter.as_deref().and_then(|m| MATTERS.matter(m)).map(|m| m.name.clone()).unwrap_or_default(),
                state: c.state.label(),
                due: c.due.map(|d| d.to_string()).unwrap_or_default(),
                withdrawable: c.state == State::Signed
                    || (c.state == State::InForce && ty.is_some_and(|t| t.stage == Stage::Supervision)),
            }
        })
        .collect();
    let html = AccountFragment { materials, commitments }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "信用承诺与诚信教育".into(), html }])
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

/// The commitment `q` asks for, rendered for `subject`, or why it may not be
/// signed (Chinese). Checks the type and matter, the exclusion rules against
/// the subject's lists and breaches, and the education the matter requires.
fn prepare(
    st: &AppState,
    store: &dyn Store,
    subject: &Subject,
    q: &SignQuery,
) -> Result<Result<(xinjiao_store::NewCommitment, String), String>, StoreError> {
    let Some(ty) = RULES.type_of(&q.kind) else { return Ok(Err("没有这种承诺类型".into())) };
    let matter = match (ty.stage, q.matter.as_deref().filter(|m| !m.is_empty())) {
        (xinjiao_core::commitments::Stage::Approval, Some(code)) => match MATTERS.matter(code) {
            Some(m) if m.types.contains(&ty.code) => Some(m),
            Some(m) => return Ok(Err(format!("“{}”不接受{}", m.name, ty.name))),
            None => return Ok(Err("告知承诺事项清单中没有该事项".into())),
        },
        (xinjiao_core::commitments::Stage::Approval, None) => return Ok(Err("请选择办理的事项".into())),
        (xinjiao_core::commitments::Stage::Supervision, _) => None,
        _ => return Ok(Err(format!("{}不在此签署", ty.name))),
    };
    let today = st.today();
    let (facts, _) = crate::kernel::facts::party_facts(store, subject, today)?;
    let kinds: Vec<_> = facts
        .entries
        .iter()
        .filter_map(|e| xinjiao_core::lists::definition::ListDefinition::find(&e.list).map(|l| l.kind))
        .collect();
    let breaches = store
        .commitments(&xinjiao_store::CommitmentFilter { subject_id: Some(subject.id), ..Default::default() }, 1000)?
        .iter()
        .filter(|c| c.state.is_breach())
        .count();
    if let Err(why) = RULES.may_use(&kinds, breaches) {
        return Ok(Err(why));
    }
    if let Some(m) = matter {
        let acks: Vec<(String, u32)> =
            store.acknowledgements(subject.id)?.into_iter().map(|(c, v, _)| (c, v)).collect();
        if let Err(why) = xinjiao_core::commitments::matters::education_done(&MATTERS, m, &acks) {
            return Ok(Err(why));
        }
    }
    let tpl = TEMPLATES.current(&ty.code).expect("every type has a template");
    let days = matter.and_then(|m| m.working_days).or(ty.working_days);
    let values: std::collections::BTreeMap<&str, String> = [
        ("subject_name", subject.name.clone()),
        ("subject_code", subject.uscc.clone().or_else(|| subject.id_doc_no.clone()).unwrap_or_default()),
        ("matter", matter.map(|m| m.name.clone()).unwrap_or_default()),
        ("replaces", matter.map(|m| m.replaces.clone()).unwrap_or_default()),
        ("obligation", ty.obligation.clone().unwrap_or_default()),
        ("due", days.map(|d| format!("事项办结后第 {d} 个工作日")).unwrap_or_default()),
        ("consequences", matter.map(|m| m.consequences.clone()).unwrap_or_else(|| "违背承诺的，记入信用记录。".into())),
        ("date", today.to_string()),
    ]
    .into_iter()
    .collect();
    let text = match tpl.render(&values) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let department_id = match matter {
        Some(m) => store.departments()?.into_iter().find(|d| d.code == m.department).map(|d| d.id),
        None => None,
    };
    let new = xinjiao_store::NewCommitment {
        subject_id: subject.id,
        kind: ty.code.clone(),
        matter: matter.map(|m| m.code.clone()),
        template_version: tpl.version,
        text,
        signed_via: "account".into(),
        association: None,
        public: ty.public,
        department_id,
        scan: None,
    };
    Ok(Ok((new, tpl.title.clone())))
}

static TEMPLATES: LazyLock<xinjiao_core::commitments::templates::Templates> =
    LazyLock::new(xinjiao_core::commitments::templates::Templates::embedded);

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
    let prepared = st.db(move |store| prepare(&s, store, &subject, &q)).await?;
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
    let prepared = st.db(move |store| prepare(&s, store, &subject, &q)).await?;
    let (new, _) = prepared.map_err(PageError::BadRequest)?;
    let ty = RULES.type_of(&new.kind).expect("checked");
    let state = xinjiao_core::commitments::initial(ty);
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{key}"), st.now(), "签署信用承诺");
    st.db(move |store| store.sign_commitment(&ctx, &new, state)).await?;
    Ok(Redirect::to("/account?commitment=signed").into_response())
}

/// The subject withdraws its own commitment (before the decision, or a
/// public one).
async fn withdraw(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let c = st.db(move |s| s.commitment(id)).await?.ok_or(PageError::NotFound)?;
    if c.subject_id != subject.id {
        return Err(PageError::Forbidden);
    }
    let (today, cal) = (st.today(), st.rules.read().expect("rules").calendar.clone());
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "撤回信用承诺");
    let action = xinjiao_core::commitments::Action::Withdraw;
    match st.db(move |s| s.act_on_commitment(&ctx, id, action, today, None, &RULES, &cal)).await {
        Ok(_) => Ok(Redirect::to("/account?commitment=withdrawn").into_response()),
        Err(StoreError::Conflict(m)) => Err(PageError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}
